"""NAME.json: the contract between a model, the board and the firmware builder."""

from __future__ import annotations

import hashlib

import numpy as np

from host.tflite_model import measure_arena, read_model
from host.train.data import Dataset
from host.train.evaluate import run_tflm

REFERENCE_PAIRS = 6


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
    sidecar = {
        "name": name,
        "task": dataset.task,
        "labels": dataset.labels,
        "inputs": [tensor_entry(info.tensors[i]) for i in info.inputs],
        "outputs": [tensor_entry(info.tensors[i]) for i in info.outputs],
        "preprocessing": dataset.preprocessing,
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
        # the board compares its own (tflite-micro) scores, so its threshold is the one chosen
        # on those scores
        sidecar["threshold"] = metrics["tflm"]["threshold"]
    return sidecar
