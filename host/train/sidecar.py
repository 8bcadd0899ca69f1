"""NAME.json: the contract between a model, the board and the firmware builder."""

from __future__ import annotations

import hashlib

import numpy as np

from host.errors import CommandError
from host.features import device_module, pure
from host.tflite_model import measure_arena, read_model
from host.train.data import INPUT_SCALE, Dataset
from host.train.evaluate import run_tflm

REFERENCE_PAIRS = 6
# the version the board's tinyml.sidecar reads
SCHEMA = device_module("sidecar").SCHEMA


def tensor_entry(tensor) -> dict:
    return {
        "shape": tensor.shape,
        "dtype": tensor.dtype,
        "scale": tensor.scale[0] if tensor.scale else 0.0,
        "zero_point": tensor.zero_point[0] if tensor.zero_point else 0,
    }


def reference_pairs(model: bytes, dataset: Dataset) -> list[dict]:
    """Input/output tensor bytes (hex) from the `tflite-micro` runtime on held-out samples,
    one per class first for classifiers, for device tests to replay."""
    if dataset.task == "classify":
        classes = dataset.y_test.argmax(axis=1)
        picks = [int(np.flatnonzero(classes == c)[0]) for c in np.unique(classes)]
    else:
        picks = []
    spread = np.linspace(0, len(dataset.x_test) - 1, REFERENCE_PAIRS).astype(int)
    picks += [int(i) for i in spread if int(i) not in picks]
    _, raw = run_tflm(model, dataset.x_test[picks])
    return [{"input": [q_in.hex()], "output": [q_out.hex()]} for q_in, q_out in raw]


def build(name: str, model: bytes, dataset: Dataset, metrics: dict, training: dict) -> dict:
    """Every sidecar key, measured from the model bytes themselves."""
    info = read_model(model)
    inputs = [tensor_entry(info.tensors[i]) for i in info.inputs]
    scale, zero_point = inputs[0]["scale"], inputs[0]["zero_point"]
    if dataset.features is not None and (scale, zero_point) != (INPUT_SCALE, 0):
        # the board copies the int8 features into the input tensor as they are
        raise CommandError(
            f"{name}: the converter quantized the features with scale {scale} and zero point"
            f" {zero_point}, not 2**-{pure.INPUT_SCALE_LOG2} and 0"
        )
    sidecar = {
        "schema": SCHEMA,
        "name": name,
        "task": dataset.task,
        "labels": dataset.labels,
        "inputs": inputs,
        "outputs": [tensor_entry(info.tensors[i]) for i in info.outputs],
        "features": dataset.features,
        "ops": [{"name": op, "version": version} for op, version in sorted(info.op_counts)],
        "arena_bytes": measure_arena(model),
        "flash_bytes": len(model),
        "macs": info.macs,
        "params": info.params,
        "sha256": hashlib.sha256(model).hexdigest(),
        "metrics": metrics,
        "reference": reference_pairs(model, dataset),
        "training": training,
    }
    if dataset.postprocessing is not None:
        sidecar["postprocessing"] = dataset.postprocessing
    if dataset.task == "anomaly":
        # how tinyml.sidecar's Bundle.score computes the score that `threshold` applies to
        sidecar["score"] = "mean_squared_error"
        # the board compares its own (tflite-micro) scores, so its threshold is the one chosen
        # on those scores
        sidecar["threshold"] = metrics["tflm"]["threshold"]
    return sidecar
