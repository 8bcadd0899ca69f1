"""No crash at any arena size: every model of the zoo, the four recipes and TFLM's own example
models, loaded with arenas from 0 bytes to twice its minimum and invoked where it loads, either
runs or raises, on the AddressSanitizer simulator and on the emulated Cortex-M4.

Every push runs a bounded sample (8-byte steps within 64 bytes of each minimum, 16 steps
elsewhere); `pytest -m full_sweep` runs the full sweep (8-byte steps within 1 KB of each
minimum, 256 steps elsewhere). TFLM's kernels crashed at such sizes before the patches
builtin-data-, operator-data- and kernel-data-out-of-memory in native_modules/tflm/patches/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from host import sources
from host.train import RECIPES

DEVICE = Path(__file__).resolve().parent / "device"
# TFLM's example and benchmark models, relative to its source tree: an int8 and a float
# model, a speech model, an int8 LSTM, and a larger CNN.
TFLM_MODELS = (
    "tensorflow/lite/micro/examples/hello_world/models/hello_world_int8.tflite",
    "tensorflow/lite/micro/examples/hello_world/models/hello_world_float.tflite",
    "tensorflow/lite/micro/examples/micro_speech/models/micro_speech_quantized.tflite",
    "tensorflow/lite/micro/examples/micro_speech/models/audio_preprocessor_int8.tflite",
    "tensorflow/lite/micro/examples/mnist_lstm/trained_lstm_int8.tflite",
    "tensorflow/lite/micro/models/keyword_scrambled_8bit.tflite",
    "tensorflow/lite/micro/models/person_detect.tflite",
)
BOUNDED = (64, 16)  # (SPAN, PARTS) of tests/device/arena_sweep.py
FULL = (1024, 256)
SWEEP_BOARDS = [("unix", True), ("qemu_m4", False)]  # (board, AddressSanitizer)


def write_sweep_rom(folder: Path, zoo, trained, span: int, parts: int) -> list[str]:
    models = {f"zoo_{m.name}.tflite": m.path for m in zoo}
    tflm = sources.source("tflite-micro").path
    models.update({f"tflm_{Path(p).name}": tflm / p for p in TFLM_MODELS})
    models.update({f"recipe_{r}.tflite": trained(r) / f"{r}.tflite" for r in RECIPES})
    for name, path in models.items():
        shutil.copy(path, folder / name)
    (folder / "sweep.txt").write_text("".join(f"{name} {span} {parts}\n" for name in models))
    return list(models)


def check_sweep(output: str, names: list[str]) -> None:
    results = {}
    for line in output.splitlines():
        if line.startswith("MODEL "):
            name, *figures = line.split()[1:]
            results[name] = [int(f) for f in figures]
    assert list(results) == names, output[-3000:]
    for name, (minimum, ran, raised, largest_refused) in results.items():
        # Arenas below the minimum raise and every arena from the minimum up runs: the
        # automatic arena search and an explicit arena agree.
        assert minimum > 0 and ran > 0 and raised > 0, (name, output[-3000:])
        assert largest_refused < minimum, (name, minimum, largest_refused)


def _sweep(board_id: str, asan: bool, zoo, trained, tmp_path, shape) -> None:
    from conftest import emulated

    names = write_sweep_rom(tmp_path, zoo, trained, *shape)
    output = emulated(board_id, asan=asan).check(DEVICE / "arena_sweep.py", tmp_path, timeout=3600)
    print(output)
    check_sweep(output, names)


@pytest.mark.parametrize("board_id,asan", SWEEP_BOARDS)
def test_arena_sweep_sample(board_id, asan, zoo, trained, tmp_path):
    _sweep(board_id, asan, zoo, trained, tmp_path, BOUNDED)


@pytest.mark.full_sweep
@pytest.mark.parametrize("board_id,asan", SWEEP_BOARDS)
def test_arena_sweep_full(board_id, asan, zoo, trained, tmp_path):
    _sweep(board_id, asan, zoo, trained, tmp_path, FULL)
