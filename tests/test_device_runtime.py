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


# tinyml.load on the board: what it gives for each kind of model, and what it refuses.
LOAD_SCRIPT = """
from array import array

import tinyml
from tinyml import features


def outcome(fn):
    try:
        return fn()
    except ValueError as err:
        return "ValueError: " + str(err)


gesture = tinyml.load("/rom/gesture.tflite", verify=True)
print("gesture", gesture.task, gesture.rate, gesture.window, gesture.channels, gesture.labels)
samples = array("h", (((i * 37) % 1001) - 500 for i in range(3 * gesture.window)))
mine = array("b", bytes(3 * gesture.window))
theirs = array("b", bytes(3 * gesture.window))
gesture.features(samples, mine)
features.motion_features(samples, theirs, gesture.params["shift"])
print("features equal", mine == theirs, "nonzero", any(mine))
print(outcome(gesture.spectrogram))
print(outcome(gesture.commands))
print(outcome(lambda: gesture.score([0.0], mine)))

keyword = tinyml.load("/rom/keyword.tflite")
spectrogram = keyword.spectrogram()
spectrogram.extend(array("h", bytes(2 * keyword.window)))
print("spectrogram", spectrogram.full, len(spectrogram.view()), keyword.model.input(0).nbytes)
print("commands", type(keyword.commands()).__name__)

sine = tinyml.load("/rom/sine.tflite")
print("sine", sine.task, sine.labels, sine.rate, sine.threshold)
print(outcome(lambda: sine.features(samples, mine)))
for name in ("old", "bare", "junk", "none"):
    print(name, outcome(lambda: tinyml.load("/rom/%s.tflite" % name)))
"""


def test_load_gives_a_model_with_its_sidecar(simulator, trained, tmp_path: Path) -> None:
    """`tinyml.load` binds the sidecar's feature function and parameters (the same bytes as
    calling the function with them), and refuses a sidecar of another schema, a missing one
    and one that is not JSON, with ValueErrors naming the file."""
    import json
    import shutil

    from host.run import run_script
    from host.train.sidecar import SCHEMA

    rom = tmp_path / "rom"
    rom.mkdir()
    for recipe in ("gesture", "keyword", "sine"):
        for suffix in (".tflite", ".json"):
            shutil.copy(trained(recipe) / (recipe + suffix), rom)
    sine = (rom / "sine.tflite").read_bytes()
    old = json.loads((rom / "sine.json").read_text())
    old["schema"] = SCHEMA - 1
    (rom / "old.json").write_text(json.dumps(old))
    (rom / "junk.json").write_text("{not json")
    for name in ("old", "bare", "junk"):
        (rom / f"{name}.tflite").write_bytes(sine)
    script = tmp_path / "load.py"
    script.write_text(LOAD_SCRIPT)
    result = run_script("unix", script, rom_dir=rom, firmware=simulator, timeout=600)
    assert result.returncode == 0, result.output
    gesture = json.loads((rom / "gesture.json").read_text())
    features = gesture["features"]
    assert result.output.splitlines() == [
        f"gesture classify {features['sample_rate_hz']} {features['window']} 3"
        f" {gesture['labels']}",
        "features equal True nonzero True",
        "ValueError: a spectrogram is the input of log_spectrogram models only",
        "ValueError: the sidecar names no tinyml.commands.Commands postprocessing",
        "ValueError: the sidecar defines no score: not an anomaly model",
        "spectrogram True 1568 1568",
        "commands Commands",
        "sine regress ['sin(x)'] None None",
        "ValueError: this model's input is not features: quantize its values",
        f"old ValueError: /rom/old.json: sidecar schema {SCHEMA - 1}, this tinyml reads"
        f" {SCHEMA}: train the model again with host train",
        "bare ValueError: /rom/bare.json: no sidecar (host train writes it beside the model)",
        "junk ValueError: /rom/junk.json: not JSON",
        "none ValueError: /rom/none.json: no sidecar (host train writes it beside the model)",
    ]
