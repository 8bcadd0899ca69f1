"""The examples on a 32-bit board: `qemu_m4`, which has no sensors, replays their recordings
from /rom on a virtual clock (`replay` in boards/qemu_m4/board.toml), as the simulator does.

Each example prints its expected.txt there, and each example's pipeline, in steady state,
allocates 0 heap bytes over 100 windows (tests/device/pipeline_heap.py): a 32-bit port's
integers leave the small ints at 2**30 and its floats are heap objects, which the 64-bit
simulator does not show.
"""

import array
import re
import wave
from pathlib import Path

import pytest
from conftest import emulated
from test_device_runtime import BEHAVIOUR, EXAMPLES, MODELS, assert_prints_expected

ROOT = Path(__file__).resolve().parent.parent
BOARD = "qemu_m4"
HEAP_HARNESS = ROOT / "tests" / "device" / "pipeline_heap.py"

# anomaly deep-sleeps between windows, and the QEMU boards have light sleep only.
PRINTING = [example for example in EXAMPLES if example.name != "anomaly"]

# How many copies of each recording make the 110 windows the heap test runs (10 to warm up).
COPIES = {"hello_world": 6, "magic_wand": 40, "keyword": 7, "anomaly": 3}
IMU_RANGE_G = 4  # examples/magic_wand/main.py's RANGE_G: its IMU counts


@pytest.fixture(scope="module")
def board():
    return emulated(BOARD)


@pytest.mark.parametrize("example", PRINTING, ids=lambda path: path.name)
def test_example_prints_expected(board, trained, example: Path) -> None:
    (data,) = example.glob("sample.*")
    output = board.check(
        example / "main.py", trained(MODELS[example.name]), data=data, timeout=600
    )
    lines = output.splitlines()
    BEHAVIOUR[example.name](lines)
    assert_prints_expected(lines, example)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_pipeline_allocates_nothing(board, trained, example: Path, tmp_path: Path) -> None:
    script = tmp_path / "main.py"
    source = (example / "main.py").read_text()
    script.write_text(HEAP_HARNESS.read_text() + f"\nrun_example({source!r})\n")
    output = board.check(
        script,
        trained(MODELS[example.name]),
        data=longer_recording(example, COPIES[example.name], tmp_path),
        timeout=900,
    )
    found = re.search(r"^HEAP (\d+) (\d+) (\d+) (\d+)$", output, re.M)
    assert found, output
    pipeline, reports, windows, elapsed_us = map(int, found.groups())
    print(
        f"{example.name} on {BOARD}: pipeline {pipeline} B over {windows} windows"
        f" ({elapsed_us / 1e6:.1f} s of samples); on_result {reports / windows:.0f} B per call"
    )
    assert pipeline == 0


def longer_recording(example: Path, copies: int, folder: Path) -> Path:
    """The example's recording `copies` times over, as a WAV (which Replay streams)."""
    (sample,) = example.glob("sample.*")
    out = folder / f"{example.name}.wav"
    if sample.suffix == ".wav":
        with wave.open(str(sample)) as recording:
            params = recording.getparams()
            frames = recording.readframes(recording.getnframes())
        rate, channels = params.framerate, params.nchannels
    else:
        # t,<channels> in physical units; the IMU's g become counts at the example's range,
        # the knob's fraction of full scale becomes signed 16-bit (Replay's 'H' adds 32768).
        rows = [line.split(",") for line in sample.read_text().splitlines()[1:]]
        rate = round(1 / (float(rows[1][0]) - float(rows[0][0])))
        full_scale = 32768 / IMU_RANGE_G if example.name == "magic_wand" else 65535
        offset = 0 if example.name == "magic_wand" else -32768
        counts = array.array("h")
        for row in rows:
            for value in row[1:]:
                counts.append(max(-32768, min(32767, round(float(value) * full_scale) + offset)))
        frames, channels = counts.tobytes(), len(rows[0]) - 1
    with wave.open(str(out), "wb") as longer:
        longer.setnchannels(channels)
        longer.setsampwidth(2)
        longer.setframerate(rate)
        longer.writeframes(frames * copies)
    return out
