"""Fixtures shared by the tests: firmware for each board, the model zoo, the trained models.

A fixture whose inputs are missing skips its tests with the reason and the command that
provides them; in CI `.ci/run` provides everything, so nothing skips there.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

from host import build, sources  # noqa: E402
from host.paths import cache_dir  # noqa: E402

BOARD_TOOLS = {
    "unix": ["gcc", "g++", "make"],
    "qemu_m4": ["arm-none-eabi-gcc", "qemu-system-arm", "make"],
}


def _require_sources() -> None:
    missing = [s.name for s in sources.load_lock() if not s.is_present()]
    if missing:
        pytest.skip(f"upstream sources missing ({', '.join(missing)}); run: host setup")


def _require_tools(board_id: str) -> None:
    from host.toolchains import TOOLS

    for program in BOARD_TOOLS[board_id]:
        if shutil.which(program) is None:
            hint = next((t.install for t in TOOLS if t.program == program), "")
            pytest.skip(f"{program} missing; install it with: {hint}")


_firmware: dict[tuple[str, bool], build.Firmware] = {}


def firmware_for(board_id: str, *, asan: bool = False) -> build.Firmware:
    """The board's firmware, built once per test session (and cached across sessions)."""
    key = (board_id, asan)
    if key not in _firmware:
        _require_sources()
        _require_tools(board_id)
        _firmware[key] = build.firmware(board_id, asan=asan)
    return _firmware[key]


@pytest.fixture(scope="session")
def simulator() -> build.Firmware:
    return firmware_for("unix")


@pytest.fixture(scope="session", params=["unix", "qemu_m4"])
def board_firmware(request) -> build.Firmware:
    return firmware_for(request.param)


@pytest.fixture(scope="session")
def zoo():
    from zoo import build_zoo

    return build_zoo(cache_dir() / "zoo")
