"""`host run` and the transports: how a script's end reaches the user, and the device tests.

A script's exit status is the device tests' one signal of pass or fail (conftest's
`assert_passed`): checked here on every board the suite runs on."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_passed, emulated

from host import cli, transport
from host.boards import load_board
from host.build import Firmware
from host.errors import CommandError
from host.run import RunResult, run_script

ROOT = Path(__file__).resolve().parent.parent
RAISES = "print('before')\nraise ValueError('the check failed')\n"
CRASH = "import uctypes\nprint('before')\nuctypes.bytearray_at(0, 8)[0] = 1\n"


def test_library_call_returns_the_status_and_output(simulator, tmp_path: Path) -> None:
    """`run_script`, the library under `host run`: 0 and the output for a script that ends,
    nonzero and the traceback for one that raises."""
    script = tmp_path / "ends.py"
    script.write_text("print('hello', 6 * 7)\n")
    assert run_script("unix", script, firmware=simulator) == RunResult(0, "hello 42\n")
    script.write_text("print('before')\nraise ValueError('on purpose')\n")
    result = run_script("unix", script, firmware=simulator)
    assert result.returncode != 0
    assert result.output.startswith("before\n") and "ValueError: on purpose" in result.output


def test_a_crash_is_reported_as_a_crash_with_its_signal(simulator, tmp_path: Path, capsys) -> None:
    """A segfault of the simulator is a crash, named with the signal: not a timeout, not
    silence.
    """
    script = tmp_path / "crash.py"
    script.write_text(CRASH)
    assert cli.main(["run", str(script)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("host: the simulator crashed (SIGSEGV) running crash.py"), err
    assert "before" in err
    with pytest.raises(CommandError, match=r"crashed \(SIGSEGV\)"):
        run_script("unix", script, firmware=simulator, timeout=900)


def test_a_script_that_runs_too_long_is_a_timeout(simulator, tmp_path: Path) -> None:
    script = tmp_path / "forever.py"
    script.write_text("while True:\n    pass\n")
    with pytest.raises(CommandError, match="longer than 2 s"):
        run_script("unix", script, firmware=simulator, timeout=2)


def test_a_board_nothing_emulates_needs_a_port(tmp_path: Path) -> None:
    firmware = Firmware(load_board("rpi_pico2"), tmp_path / "firmware.uf2", tmp_path)
    with pytest.raises(CommandError, match="Pico 2.*--port"):
        transport.connect("rpi_pico2", firmware=firmware)


def test_a_script_passes_when_it_ends_and_fails_when_it_raises(device_board, tmp_path) -> None:
    """On every board, a script that raises ends its run with a non-zero status and its
    traceback, and one that runs to its end with status 0."""
    raises = tmp_path / "raises.py"
    raises.write_text(RAISES)
    result = device_board.run(raises, timeout=300)
    assert result.returncode != 0, result.output
    assert "before" in result.output, result.output
    with pytest.raises(pytest.fail.Exception, match="ValueError: the check failed"):
        assert_passed(result)
    ends = tmp_path / "ends.py"
    ends.write_text("print('ran to the end')\n")
    assert device_board.check(ends, timeout=300).splitlines()[-1] == "ran to the end"


def test_a_script_that_raises_during_a_recording_fails_on_the_emulated_pico(tmp_path) -> None:
    """The emulated Pico playing a recording ends the run at the recording's end with status
    0; a script that raised before that keeps its own status."""
    script = tmp_path / "raises.py"
    script.write_text(RAISES)
    data = ROOT / "examples" / "magic_wand" / "sample.csv"
    result = emulated("rpi_pico").run(script, data=data, timeout=300)
    assert result.returncode != 0, result.output


def test_host_run_exits_1_when_the_script_raises(simulator, tmp_path, capsys) -> None:
    script = tmp_path / "raises.py"
    script.write_text(RAISES)
    assert cli.main(["run", str(script)]) == 1
    assert "ValueError: the check failed" in capsys.readouterr().out
