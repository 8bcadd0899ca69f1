"""Run converted models on the held-out set and score them.

"int8" figures come from TensorFlow Lite's interpreter with its reference kernels, "tflm" from
the `tflite-micro` runtime (the board's interpreter on the PC); the two must agree.
"""

from __future__ import annotations

import warnings

import numpy as np

from host.tflite_model import NUMPY_TYPES, Tensor, read_model, run_micro
from host.train.data import Dataset


def quantize(x: np.ndarray, detail: dict) -> np.ndarray:
    """Float inputs -> the tensor's integer type with its scale and zero point."""
    dtype = np.dtype(detail["dtype"])
    scales, zero_points = (
        detail["quantization_parameters"]["scales"],
        detail["quantization_parameters"]["zero_points"],
    )
    if dtype == np.float32 or len(scales) == 0:
        return x.astype(dtype)
    info = np.iinfo(dtype)
    q = np.round(x / scales[0]) + zero_points[0]
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize(q: np.ndarray, detail: dict) -> np.ndarray:
    scales, zero_points = (
        detail["quantization_parameters"]["scales"],
        detail["quantization_parameters"]["zero_points"],
    )
    if q.dtype == np.float32 or len(scales) == 0:
        return q.astype(np.float32)
    return ((q.astype(np.float32) - zero_points[0]) * scales[0]).astype(np.float32)


def _detail(tensor: Tensor) -> dict:
    """A tensor as TensorFlow Lite's get_input_details() describes it (what quantize and
    dequantize read)."""
    return {
        "dtype": NUMPY_TYPES[tensor.dtype],
        "shape": tensor.shape,
        "quantization_parameters": {"scales": tensor.scale, "zero_points": tensor.zero_point},
    }


def run_tflm(model: bytes, x: np.ndarray) -> tuple[np.ndarray, list[tuple[bytes, bytes]]]:
    """Outputs (dequantized) of the `tflite-micro` runtime, and the raw (input, output) bytes."""
    info = read_model(model)
    input_detail = _detail(info.tensors[info.inputs[0]])
    output_detail = _detail(info.tensors[info.outputs[0]])
    inputs = [
        quantize(sample[None, ...].reshape(input_detail["shape"]), input_detail) for sample in x
    ]
    results = run_micro(model, [[q] for q in inputs])
    raw = [(q.tobytes(), out.tobytes()) for q, (out,) in zip(inputs, results)]
    outputs = [dequantize(out, output_detail).reshape(-1) for (out,) in results]
    return np.stack(outputs), raw


def run_tflite(model: bytes, x: np.ndarray) -> np.ndarray:
    """Outputs (dequantized) of TensorFlow Lite's interpreter with reference kernels."""
    import tensorflow as tf

    with warnings.catch_warnings():
        # its deprecation notice (LiteRT) is about TensorFlow's plans, not this model
        warnings.simplefilter("ignore", UserWarning)
        interpreter = tf.lite.Interpreter(
            model_content=model,
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
        )
    interpreter.allocate_tensors()
    input_detail = interpreter.get_input_details()[0]
    output_detail = interpreter.get_output_details()[0]
    outputs = []
    for sample in x:
        q = quantize(sample[None, ...].reshape(input_detail["shape"]), input_detail)
        interpreter.set_tensor(input_detail["index"], q)
        interpreter.invoke()
        outputs.append(
            dequantize(interpreter.get_tensor(output_detail["index"]), output_detail).reshape(-1)
        )
    return np.stack(outputs)


def anomaly_scores(x: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    return np.mean((reconstruction.reshape(len(x), -1) - x.reshape(len(x), -1)) ** 2, axis=1)


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve: the chance a faulty window scores above a healthy one."""
    pos, neg = scores[positive > 0.5], scores[positive <= 0.5]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def choose_threshold(scores: np.ndarray, positive: np.ndarray) -> float:
    """The validation threshold with the best balanced accuracy (ties: the lowest)."""
    best, best_threshold = -1.0, float(scores.max())
    for threshold in np.unique(scores):
        flagged = scores > threshold
        balanced = 0.5 * (flagged[positive > 0.5].mean() + (~flagged[positive <= 0.5]).mean())
        if balanced > best:
            best, best_threshold = balanced, float(threshold)
    return best_threshold


def score(dataset: Dataset, predict) -> dict:
    """Metrics of `predict` (inputs -> outputs) on the test set; anomaly: threshold from val."""
    if dataset.task == "classify":
        predicted = predict(dataset.x_test)
        accuracy = np.mean(predicted.argmax(axis=1) == dataset.y_test.argmax(axis=1))
        return {"accuracy": round(float(accuracy), 4)}
    if dataset.task == "regress":
        predicted = predict(dataset.x_test).reshape(dataset.y_test.shape)
        return {"mae": round(float(np.mean(np.abs(predicted - dataset.y_test))), 4)}
    val_scores = anomaly_scores(dataset.x_val, predict(dataset.x_val))
    threshold = choose_threshold(val_scores, dataset.y_val)
    test_scores = anomaly_scores(dataset.x_test, predict(dataset.x_test))
    accuracy = np.mean((test_scores > threshold) == (dataset.y_test > 0.5))
    return {
        "auc": round(auc(test_scores, dataset.y_test), 4),
        "accuracy": round(float(accuracy), 4),
        "threshold": threshold,
    }


def headline(metrics: dict) -> tuple[str, float]:
    """The one figure that sums up a model: accuracy, mean absolute error or AUC."""
    for key in ("auc", "accuracy", "mae"):
        if key in metrics:
            return key, metrics[key]
    raise KeyError("no metric")
