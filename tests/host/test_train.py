"""`host train` and `train`, the library call under it: every recipe meets its bar, the sidecar
keeps its promises, bad input is a one-line error. Trained models are cached (keyed by arguments
and code), so only the first run after a change trains."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from host.errors import CommandError
from host.features import pure
from host.tflite_model import NUMPY_TYPES, measure_arena, model_ops, read_model, run_micro
from host.train import DISTILL_DEFAULT, train
from host.train.sidecar import SCHEMA

REPO = Path(__file__).resolve().parents[2]
slow = pytest.mark.slow  # trains models (the first run; later runs hit the model cache)
REQUIRED_KEYS = (
    "schema",
    "task",
    "labels",
    "inputs",
    "outputs",
    "ops",
    "arena_bytes",
    "flash_bytes",
    "macs",
    "params",
    "sha256",
    "metrics",
    "reference",
)
# recipe -> (metric, bar, higher is better)
BARS = {
    "sine": ("mae", 0.08, False),
    "gesture": ("accuracy", 0.90, True),
    "keyword": ("accuracy", 0.85, True),
    "anomaly": ("auc", 0.90, True),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("models")
    for recipe in BARS:
        if _available(recipe):
            train(recipe, out)
    return out


def _available(recipe: str) -> bool:
    return recipe != "keyword" or shutil.which("espeak-ng") is not None


def _load(models: Path, name: str) -> tuple[bytes, dict]:
    if not _available(name):
        pytest.skip("the keyword demo data needs espeak-ng (apt install espeak-ng)")
    return (models / f"{name}.tflite").read_bytes(), json.loads(
        (models / f"{name}.json").read_text()
    )


@slow
@pytest.mark.parametrize("recipe", list(BARS))
def test_recipe_meets_its_bar(models, recipe):
    _, sidecar = _load(models, recipe)
    metric, bar, higher = BARS[recipe]
    quantized = sidecar["metrics"]["int8"][metric]
    assert quantized >= bar if higher else quantized <= bar
    # int8 within 2 points (0.02) of float
    assert abs(quantized - sidecar["metrics"]["float"][metric]) <= 0.02
    if sidecar["task"] == "classify":
        assert "accuracy" in sidecar["metrics"]["int8"]


@slow
@pytest.mark.parametrize("recipe", list(BARS))
def test_sidecar_contract(models, recipe):
    model, sidecar = _load(models, recipe)
    for key in REQUIRED_KEYS:
        assert sidecar.get(key) not in (None, [], {}, ""), key
    # null for a model whose input is a value (the sine model's x), not features
    assert "features" in sidecar and (sidecar["features"] is None) == (recipe == "sine")
    assert sidecar["sha256"] == hashlib.sha256(model).hexdigest()
    assert [(op["name"], op["version"]) for op in sidecar["ops"]] == model_ops(
        models / f"{recipe}.tflite"
    )
    info = read_model(model)
    assert sidecar["flash_bytes"] == len(model)
    assert (sidecar["macs"], sidecar["params"]) == (info.macs, info.params)
    assert sidecar["arena_bytes"] == measure_arena(model)
    for entries, indices in ((sidecar["inputs"], info.inputs), (sidecar["outputs"], info.outputs)):
        assert [e["shape"] for e in entries] == [info.tensors[i].shape for i in indices]
        assert all(e["dtype"] == "int8" for e in entries)
    # the int8 model through tflite-micro scores what TensorFlow Lite scores
    for metric in ("accuracy", "auc", "mae"):
        if metric in sidecar["metrics"]["int8"]:
            assert sidecar["metrics"]["tflm"][metric] == pytest.approx(
                sidecar["metrics"]["int8"][metric], abs=0.002
            )
    # every reference pair is reproduced by the tflite-micro runtime
    assert len(sidecar["reference"]) >= 4
    tensor = info.tensors[info.inputs[0]]
    inputs = [
        [
            np.frombuffer(bytes.fromhex(pair["input"][0]), NUMPY_TYPES[tensor.dtype]).reshape(
                tensor.shape
            )
        ]
        for pair in sidecar["reference"]
    ]
    outputs = run_micro(model, inputs, arena=sidecar["arena_bytes"])
    assert [out.tobytes().hex() for (out,) in outputs] == [
        pair["output"][0] for pair in sidecar["reference"]
    ]


@slow
@pytest.mark.parametrize("recipe", ["gesture", "keyword", "anomaly"])
def test_features_are_the_input_tensor(models, recipe):
    """Scale 2**-6 and zero point 0: the board copies its int8 features into the tensor; the
    sidecar names the feature function with the parameters of tinyml.features' table."""
    _, sidecar = _load(models, recipe)
    assert sidecar["schema"] == SCHEMA
    assert sidecar["inputs"][0]["scale"] == 2.0**-pure.INPUT_SCALE_LOG2 == 1 / 64
    assert sidecar["inputs"][0]["zero_point"] == 0
    spec = sidecar["features"]
    # the table's values as JSON writes them (tuples become lists)
    assert spec["params"] == json.loads(json.dumps(dict(pure.PARAMS[spec["function"]])))


@slow
def test_anomaly_threshold(models):
    _, sidecar = _load(models, "anomaly")
    assert sidecar["threshold"] == sidecar["metrics"]["tflm"]["threshold"] > 0


@slow
def test_same_seed_same_bytes(tmp_path):
    first, second = (
        train("sine", tmp_path / run, epochs=3, seed=7, no_cache=True).model for run in "ab"
    )
    assert first.read_bytes() == second.read_bytes()


@slow
def test_shrinking_steps(tmp_path):
    """--prune reaches its sparsity; --qat and --distill run and report their effect."""
    sidecar = train(
        "sine", tmp_path, epochs=20, prune=0.5, qat=True, distill=DISTILL_DEFAULT
    ).document
    assert sidecar["metrics"]["sparsity"] >= 0.5
    steps = [step["step"] for step in sidecar["training"]["shrinking"]]
    assert steps == [
        "distillation teacher",
        "prune 0.5",
        "quantization-aware training",
        "int8 quantization",
    ]
    assert sidecar["metrics"]["int8"]["mae"] <= 0.15


@slow
def test_float_int16x8_and_teacher_file(tmp_path):
    floats = train("sine", tmp_path / "f", epochs=3, mode="float")
    int16 = train("sine", tmp_path / "i", epochs=3, mode="int16x8").document
    assert floats.document["inputs"][0]["dtype"] == "float32"
    assert "int8" not in floats.document["metrics"]
    assert int16["inputs"][0]["dtype"] == "int16" and "int16x8" in int16["metrics"]
    # a teacher given as a file: the float model above
    taught = train("sine", tmp_path / "d", epochs=3, distill=str(floats.model)).document
    teacher = taught["training"]["shrinking"][0]
    assert teacher["step"] == "distillation teacher" and teacher["params"] == 321
    assert teacher["teacher"] == pytest.approx(floats.document["metrics"]["tflm"]["mae"], abs=1e-3)


def _gesture_folder(root: Path, labels: list[str], per_label: int) -> None:
    from host.train.recipes import gesture

    rng = np.random.default_rng(0)
    for label in labels:
        (root / label).mkdir(parents=True)
        for index in range(per_label):
            window = gesture.generate(label, rng)
            lines = ["x,y,z"] + [",".join(str(v) for v in row) for row in window]
            (root / label / f"{index}.csv").write_text("\n".join(lines) + "\n")


@slow
def test_custom_csv_folder(tmp_path, capsys):
    _gesture_folder(tmp_path / "moves", ["idle", "punch", "shake"], 20)
    result = train(None, tmp_path / "out", data=tmp_path / "moves", task="classify", epochs=15)
    assert result.sidecar == tmp_path / "out" / "moves.json"
    assert result.document["labels"] == ["idle", "punch", "shake"]
    assert result.document["metrics"]["int8"]["accuracy"] >= 0.8
    assert "moves:" in capsys.readouterr().out


def _error(*args: str) -> str:
    """The error `host ARGS` ends with: exit status 1, one `host: ` line, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "host", *args], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    # progress lines may come first; the error is the last line
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("host: ")
    return last


def test_bad_input(tmp_path):
    assert "unknown recipe" in _error("train", "walk", "-o", str(tmp_path))
    assert "no such dataset folder" in _error(
        "train", "--data", str(tmp_path / "none"), "--task", "classify", "-o", str(tmp_path)
    )
    _gesture_folder(tmp_path / "one", ["punch"], 3)
    assert "only the class punch" in _error(
        "train", "--data", str(tmp_path / "one"), "--task", "classify", "-o", str(tmp_path)
    )
    ragged = tmp_path / "ragged"
    _gesture_folder(ragged, ["idle", "punch"], 3)
    with (ragged / "punch" / "1.csv").open("a") as handle:
        handle.write("1,2\n")
    assert "same length" in _error(
        "train", "--data", str(ragged), "--task", "classify", "-o", str(tmp_path)
    )
    words = tmp_path / "words"
    for label in ("yes", "no"):
        (words / label).mkdir(parents=True)
        with wave.open(str(words / label / "0.wav"), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(16000)
            handle.writeframes(bytes(32000))
    (words / "no" / "broken.wav").write_bytes(b"RIFF\x00\x00not a wave file")
    assert "unreadable WAV" in _error(
        "train", "--data", str(words), "--task", "classify", "-o", str(tmp_path)
    )
    assert "--prune" in _error("train", "sine", "--prune", "1.5", "-o", str(tmp_path))
    assert "--task" in _error("train", "--data", str(ragged), "-o", str(tmp_path))


def test_library_call_returns_what_it_wrote(tmp_path):
    """`train`, the library under `host train`: the files it wrote, the sidecar's contents, and a
    CommandError for a bad argument."""
    result = train("sine", tmp_path / "lib")
    assert result.model == tmp_path / "lib" / "sine.tflite" and result.model.is_file()
    assert result.document == json.loads(result.sidecar.read_text())
    assert result.document["name"] == "sine"
    with pytest.raises(CommandError, match="unknown mode int4"):
        train("sine", tmp_path, mode="int4")
