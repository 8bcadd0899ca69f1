"""The on-board runtime (tinyml.window/sensors/trigger/power/pipeline/board) on MicroPython.

Each script under tests/device/runtime/ runs on the simulator firmware (the unix port) as
`host run SCRIPT --board unix` runs it, on the firmware's frozen `tinyml`, with the helpers
beside it (check.py, fakes.py: the simulator puts a script's folder on its path). A script
passes when it ends without an uncaught exception: a failed check raises with the reason.
Each runs in its own temporary folder, where it writes the recordings it replays.

The scripts that write no files and use no module of the unix port's run on qemu_m4 too, a
32-bit board (small ints and the heap differ there), with the helpers in its /rom, which is on
its sys.path.
"""

import math
import re
import shutil
from pathlib import Path

import pytest
from conftest import emulated

from examples import make_samples

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "tests" / "device" / "runtime"
DEEP_SLEEP = RUNTIME / "test_power_deep.py"
SCRIPTS = sorted(set(RUNTIME.glob("test_*.py")) - {DEEP_SLEEP})

# The recording a script's run replays as sensors (`host run --data`), as CSV lines.
RECORDINGS = {
    "test_board": ["t,x,y,z"] + [f"{i / 50:.2f},0,0,{1 + i / 100:.3f}" for i in range(10)],
}


ON_32_BIT = [
    RUNTIME / f"{name}.py"
    for name in (
        "test_commands",
        "test_imu_adxl345",
        "test_imu_lsm6ds",
        "test_imu_mpu6050",
        "test_sensors_io",
        "test_window",
    )
]
HELPERS = ("check.py", "fakes.py")


@pytest.fixture
def simulator_board(tmp_path: Path, monkeypatch):
    """The simulator, run from the test's own folder (the scripts write files there)."""
    monkeypatch.chdir(tmp_path)
    return emulated("unix")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_device_script(simulator_board, script: Path, tmp_path: Path) -> None:
    data = None
    if script.stem in RECORDINGS:
        data = tmp_path / f"{script.stem.removeprefix('test_')}.csv"
        data.write_text("\n".join(RECORDINGS[script.stem]) + "\n")
    simulator_board.check(script, data=data, timeout=600)


@pytest.mark.parametrize("script", ON_32_BIT, ids=lambda path: path.stem)
def test_device_script_on_a_32_bit_board(script: Path, tmp_path: Path) -> None:
    for helper in HELPERS:
        shutil.copy(RUNTIME / helper, tmp_path)
    emulated("qemu_m4").check(script, tmp_path, timeout=600)


def test_deep_sleep_restarts_the_script(simulator_board) -> None:
    """Each start of the script after a deep sleep: woken by the timer, retained memory
    counting the starts, the clock gone on by the 500 ms slept."""
    lines = simulator_board.check(DEEP_SLEEP, timeout=600).splitlines()
    assert lines == [
        "boot 0 reset 0",
        "boot 1 timer 500",
        "boot 2 timer 1000",
        "boot 3 timer 1500",
    ]


EXAMPLES = sorted(path.parent for path in (ROOT / "examples").glob("*/main.py"))
MODELS = {
    "hello_world": "sine",
    "magic_wand": "gesture",
    "keyword": "keyword",
    "anomaly": "anomaly",
}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_example_prints_expected(trained, example: Path) -> None:
    """Each example, on its recording, does what it is for and prints its expected.txt, run as
    `host run examples/NAME/main.py --board unix --rom MODELS --data examples/NAME/sample.*`."""
    (data,) = example.glob("sample.*")
    output = emulated("unix").check(
        example / "main.py", trained(MODELS[example.name]), data=data, timeout=600
    )
    lines = output.splitlines()
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


def test_load_gives_a_model_with_its_sidecar(trained, tmp_path: Path) -> None:
    """`tinyml.load` binds the sidecar's feature function and parameters (the same bytes as
    calling the function with them), and refuses a sidecar of another schema, a missing one
    and one that is not JSON, with ValueErrors naming the file."""
    import json
    import shutil

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
    output = emulated("unix").check(script, rom, timeout=600)
    gesture = json.loads((rom / "gesture.json").read_text())
    features = gesture["features"]
    assert output.splitlines() == [
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
