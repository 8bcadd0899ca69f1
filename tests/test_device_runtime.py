"""The on-board runtime (tinyml.window/sensors/trigger/power/pipeline/board) on MicroPython.

Each script under tests/device/runtime/ prints one line per check and ends with PASS; a
failed check raises, so the script exits non-zero with the reason. They run on the
simulator firmware (the unix port), not CPython, each in its own temporary folder.
"""

import math
import os
import re
import subprocess
from pathlib import Path

import pytest

from examples import make_samples

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "tests" / "device" / "runtime"
SCRIPTS = sorted(RUNTIME.glob("test_*.py"))

# Scripts whose whole output is the check (the deep-sleep script restarts itself).
EXACT = {
    "test_power_deep": [
        "boot 0 reset 0",
        "boot 1 timer 500",
        "boot 2 timer 1000",
        "boot 3 timer 1500",
        "PASS",
    ],
}

# Environment a script needs (paths relative to its working folder).
ENV = {
    "test_board": {"TINYML_DATA": "board.csv"},
}


@pytest.fixture(scope="session")
def micropython(simulator) -> str:
    return str(simulator.path)


def run_device(micropython: str, args: list, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    # .frozen first: the package under test is the one the firmware ships.
    environment = dict(os.environ, MICROPYPATH=f".frozen:{RUNTIME}", **env)
    return subprocess.run(
        [micropython, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_device_script(micropython: str, script: Path, tmp_path: Path) -> None:
    result = run_device(micropython, [str(script)], tmp_path, **ENV.get(script.stem, {}))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()
    if script.stem in EXACT:
        assert lines == EXACT[script.stem], output
    else:
        assert lines and lines[-1] == "PASS", output


EXAMPLES = sorted(path.parent for path in (ROOT / "examples").glob("*/main.py"))
MODELS = {
    "hello_world": "sine",
    "magic_wand": "gesture",
    "keyword": "keyword",
    "anomaly": "anomaly",
}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_example_prints_expected(simulator, trained, example: Path) -> None:
    """Each example, on its recording, does what it is for and prints its expected.txt, run as
    `host run examples/NAME/main.py --board unix --rom MODELS --data examples/NAME/sample.*`."""
    from host.run import run_script

    (data,) = example.glob("sample.*")
    result = run_script(
        "unix",
        example / "main.py",
        rom_dir=trained(MODELS[example.name]),
        data=data,
        firmware=simulator,
        timeout=600,
    )
    assert result.returncode == 0, result.output
    lines = result.output.splitlines()
    BEHAVIOUR[example.name](lines)
    assert_prints_expected(lines, example)


_NUMBER = re.compile(r"-?\d+\.\d+")


def assert_prints_expected(lines: list[str], example: Path) -> None:
    """The example's output is its expected.txt: every word exactly, every decimal number to
    within one unit of its last printed digit (a model trained on another CPU's TensorFlow
    kernels may round a score the other way; what the scores mean is BEHAVIOUR's check)."""
    expected = (example / "expected.txt").read_text().splitlines()
    assert [_NUMBER.sub("#", line) for line in lines] == [
        _NUMBER.sub("#", line) for line in expected
    ]
    for got, want in zip(lines, expected):
        for a, b in zip(_NUMBER.findall(got), _NUMBER.findall(want)):
            unit = 10 ** -len(b.split(".")[1])
            assert abs(float(a) - float(b)) <= unit * 1.01, f"{got!r} is not {want!r}"


# What each example must do with its recording (examples/make_samples.py says what the
# recordings hold), checked before the exact text, so a wrong expected.txt cannot pass.


def _hello_world(lines: list) -> None:
    # the LED's brightness follows sin(x) over the knob's whole turn
    xs = []
    for line in lines:
        x, y, led = (float(part.split("=")[1].rstrip("%")) for part in line.split())
        assert abs(y - math.sin(x)) < 0.15, line
        assert abs(led - min(max((math.sin(x) + 1) * 50, 0), 100)) < 8, line
        xs.append(x)
    assert xs[0] == 0 and xs[-1] == pytest.approx(2 * math.pi, abs=0.01) and len(xs) == 21


def _magic_wand(lines: list) -> None:
    # each move in the recording is named once, in order; rest wakes nothing
    assert [line.split()[0] for line in lines] == [
        m for m in make_samples.WAND_MOVES if m != "idle"
    ]


def _keyword(lines: list) -> None:
    # "yes" switches the LED on, "no" switches it off, background does nothing
    act = {"yes": "yes -> LED on", "no": "no -> LED off"}
    assert lines == [act[word] for word in make_samples.KEYWORD_WORDS if word]


def _anomaly(lines: list) -> None:
    # an alert exactly on the wakes whose window falls in the faulty part of the recording
    window_ms = 1024 * 1000 // 4000
    fault_ms = make_samples.ANOMALY_STRETCH * 1000 // 4000
    assert (
        len(lines)
        == 2 * make_samples.ANOMALY_STRETCH * 1000 // 4000 // make_samples.ANOMALY_WAKE_MS
    )
    for wake, line in enumerate(lines, 1):
        start_ms = (wake - 1) * make_samples.ANOMALY_WAKE_MS
        faulty = start_ms >= fault_ms
        assert faulty or start_ms + window_ms <= fault_ms, "a window straddles the fault"
        assert line.startswith(f"wake {wake}: score ") and line.endswith(
            "ALERT: the machine sounds wrong" if faulty else " ok"
        ), line


BEHAVIOUR = {
    "hello_world": _hello_world,
    "magic_wand": _magic_wand,
    "keyword": _keyword,
    "anomaly": _anomaly,
}
