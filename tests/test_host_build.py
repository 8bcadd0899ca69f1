"""`build`, the library call under `host build`: the firmware and its sizes, and the options
it refuses."""

from __future__ import annotations

import pytest

from host import cli
from host.build import build
from host.errors import CommandError


def test_library_call_returns_the_firmware(simulator) -> None:
    result = build("unix")
    assert result.firmware == simulator and result.firmware.path.is_file()
    assert result.sizes is None  # the simulator has no flash to share out


def test_asan_is_for_the_simulator_only(capsys) -> None:
    with pytest.raises(CommandError, match="--asan is for the simulator"):
        build("qemu_m4", asan=True)
    assert cli.main(["build", "--board", "qemu_m4", "--asan"]) == 1
    assert capsys.readouterr().err == "host: --asan is for the simulator (--board unix) only\n"
