"""Fixtures shared by the tests: firmware for each board, the model zoo, the trained models.

A fixture whose inputs are missing skips its tests with the reason and the command that
provides them; in CI `.ci/run` provides everything, so nothing skips there.
"""

from __future__ import annotations

import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

from host import boards, build, sources  # noqa: E402
from host.paths import cache_dir  # noqa: E402
from host.train import train  # noqa: E402
from host.transport import RunResult  # noqa: E402

# What building and emulating a board of each port needs on this machine (a QEMU board: its
# toolchain and QEMU, see _board_tools).
PORT_TOOLS = {
    "unix": ["gcc", "g++", "make"],
    "rp2": ["arm-none-eabi-gcc", "cmake", "make", "node", "npm"],
    # ESP-IDF's compilers are checked with ESP-IDF itself (_require_tools).
    "esp32": ["cmake", "make"],
}
# The boards the device suite runs on when no --board is given: every emulated one.
DEVICE_BOARDS = ["unix", "qemu_m4", "qemu_m33", "qemu_rv32", "rpi_pico"]


def pytest_addoption(parser):
    parser.addoption(
        "--board",
        action="append",
        metavar="B",
        help="run the device suite on board B (repeatable; default: every emulated board)",
    )
    parser.addoption(
        "--port", metavar="P", help="the real board's serial port for --board (e.g. /dev/ttyACM0)"
    )


def pytest_generate_tests(metafunc):
    if "device_board" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("board") or DEVICE_BOARDS
        metafunc.parametrize("device_board", chosen, indirect=True, scope="session")


def require_sources() -> None:
    """Skip the test, naming host setup, unless every upstream source is in the cache."""
    missing = [s.name for s in sources.load_lock() if not s.is_present()]
    if missing:
        pytest.skip(f"upstream sources missing ({', '.join(missing)}); run: host setup")


def _board_tools(board: boards.Board) -> list[str]:
    if board.port != "qemu":
        return PORT_TOOLS[board.port]
    from host.transport import qemu_program

    tools = [board.cross_prefix + "gcc", board.cross_prefix + "g++", qemu_program(board), "make"]
    if board.tflm.cxx_headers:
        tools.append(f"{board.tflm.cxx_headers}-g++")
    return tools


def _require_tools(board_id: str) -> None:
    from host.toolchains import TOOLS

    board = boards.load_board(board_id)
    if board.port == "esp32":
        from host import esp32_toolchain
        from host.errors import CommandError

        try:
            esp32_toolchain.idf_environment()
        except CommandError as err:  # names host setup --esp32
            pytest.skip(str(err))
    for program in _board_tools(board):
        if shutil.which(program) is None:
            hint = next((t.install for t in TOOLS if t.program == program), "")
            pytest.skip(f"{program} missing; install it with: {hint}")


def take_ctrl_c() -> None:
    """`preexec_fn` for a host command a test stops with SIGINT, as a user's Ctrl-C: a shell
    that starts the test run as a background job without job control ignores SIGINT for it and
    for every process it starts, and a Python started so never sees the signal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


_firmware: dict[tuple[str, bool], build.Firmware] = {}


def firmware_for(board_id: str, *, asan: bool = False) -> build.Firmware:
    """The board's firmware, built once per test session (and cached across sessions)."""
    key = (board_id, asan)
    if key not in _firmware:
        require_sources()
        _require_tools(board_id)
        _firmware[key] = build.firmware(board_id, asan=asan)
    return _firmware[key]


@pytest.fixture(scope="session")
def simulator() -> build.Firmware:
    return firmware_for("unix")


# How much of a failed script's output a failure shows: its traceback and what led to it.
TAIL_LINES = 40


def assert_passed(result: RunResult) -> str:
    """The device tests' one rule for pass or fail: a script passed when it exited normally
    (status 0). A script fails by raising; an uncaught exception ends the run with status 1 on
    every board, and a crash of the simulator or a timeout raises in the transport instead.
    Returns what the script printed, for the test to judge the data lines it asks for."""
    if result.returncode != 0:
        tail = "\n".join(result.output.splitlines()[-TAIL_LINES:])
        pytest.fail(
            f"the script exited with status {result.returncode}; its output ends:\n{tail}",
            pytrace=False,
        )
    return result.output


@dataclass(frozen=True)
class DeviceBoard:
    """A board the device suite runs on: emulated (its firmware built here) or real (`port`).

    Scripts run as `host run` runs them, on the firmware's frozen `tinyml`: `rom` is the folder
    mounted at /rom, `data` the recording replayed as sensors."""

    id: str
    firmware: build.Firmware | None
    port: str | None = None

    def run(
        self,
        script: Path,
        rom: Path | None = None,
        *,
        data: Path | None = None,
        timeout: float = 900,
    ) -> RunResult:
        """`script`'s exit status and everything it printed."""
        from host.run import run_script

        return run_script(
            self.id,
            script,
            rom_dir=rom,
            data=data,
            timeout=timeout,
            firmware=self.firmware,
            port=self.port,
        )

    def check(
        self,
        script: Path,
        rom: Path | None = None,
        *,
        data: Path | None = None,
        timeout: float = 900,
    ) -> str:
        """What `script` printed; the test fails unless the script passed (`assert_passed`)."""
        return assert_passed(self.run(script, rom, data=data, timeout=timeout))


def emulated(board_id: str, *, asan: bool = False) -> DeviceBoard:
    return DeviceBoard(board_id, firmware_for(board_id, asan=asan))


@pytest.fixture(scope="session")
def device_board(request) -> DeviceBoard:
    port = request.config.getoption("port")
    if port:
        return DeviceBoard(request.param, None, port)
    return emulated(request.param)


@pytest.fixture(scope="session")
def zoo():
    from zoo import build_zoo

    return build_zoo(cache_dir() / "zoo")


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """recipe -> a folder holding RECIPE.tflite and RECIPE.json, made by host.train's `train`.

    Training keeps its results in its cache (keyed by arguments and code), so only the
    first run after a change trains (about two minutes for all four); later runs copy."""
    root = tmp_path_factory.mktemp("models")
    folders = {}

    def get(recipe: str) -> Path:
        if recipe not in folders:
            if recipe == "keyword" and shutil.which("espeak-ng") is None:
                pytest.skip("the keyword recipe's data needs espeak-ng (apt install espeak-ng)")
            out = root / recipe
            train(recipe, out)
            folders[recipe] = out
        return folders[recipe]

    return get
