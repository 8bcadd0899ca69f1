"""Keras model -> .tflite with TensorFlow's converter, run in a child process.

TensorFlow 2.21's converter can crash the process (it segfaults on full-int8 LSTMs), so it runs
in `python -m host.train.convert WORKDIR MODE...`: a crash costs one conversion and is reported
as a clear error. The parent saves a SavedModel and the calibration inputs into WORKDIR; the
child writes WORKDIR/<mode>.tflite for each mode ("float", "int8", "int16x8").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from host.errors import CommandError
from host.paths import REPO_ROOT

CALIBRATION_SAMPLES = 300  # training inputs in the representative dataset


def convert(
    model, calibration: np.ndarray, modes: list[str], workdir: Path, verbose: bool
) -> dict[str, bytes]:
    """Convert `model` once per mode; returns mode -> .tflite bytes."""
    import tensorflow as tf

    # A batch of exactly 1, as on the board: with a free batch dimension every Reshape
    # becomes SHAPE + STRIDED_SLICE + PACK + RESHAPE operators.
    spec = tf.TensorSpec([1, *model.input_shape[1:]], tf.float32)
    serve = tf.function(lambda x: model(x, training=False), input_signature=[spec])
    tf.saved_model.save(
        model,
        str(workdir / "saved_model"),
        signatures={"serving_default": serve.get_concrete_function()},
    )
    np.save(workdir / "calibration.npy", calibration.astype(np.float32))
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    if not verbose:
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    result = subprocess.run(
        [sys.executable, "-m", "host.train.convert", str(workdir), *modes],
        cwd=REPO_ROOT,
        env=env,
        capture_output=not verbose,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        if result.returncode < 0:
            reason = f"crashed with {signal.Signals(-result.returncode).name}"
        else:
            tail = (result.stderr or "").strip().splitlines()[-3:]
            reason = "failed: " + " / ".join(tail)
        raise CommandError(f"the TensorFlow Lite converter {reason} (run with -v for its log)")
    return {mode: (workdir / f"{mode}.tflite").read_bytes() for mode in modes}


def quantize_as(converter, mode: str, representative) -> None:
    """Set a tf.lite.TFLiteConverter to make a `mode` model: "float" (as it is), "int8" (int8
    weights, activations, input and output) or "int16x8" (int16 activations, input and
    output, int8 weights), calibrated on what `representative()` yields. The project's one
    set of converter settings: `host train` and the test zoo (tests/zoo_build.py) use it."""
    import tensorflow as tf

    if mode == "float":
        return
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    if mode == "int8":
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    elif mode == "int16x8":
        # TensorFlow's defaults: per-channel dense weights, which CMSIS-NN's int16 fully
        # connected kernel lacks (the Cortex-M boards run the reference one for them).
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        ]
        converter.inference_input_type = tf.int16
        converter.inference_output_type = tf.int16
    else:
        raise ValueError(f"unknown mode {mode}")


def _convert_one(workdir: Path, mode: str) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(workdir / "saved_model"))
    if mode != "float":
        calibration = np.load(workdir / "calibration.npy")

        def representative():
            for sample in calibration:
                yield [sample[None, ...]]

        quantize_as(converter, mode, representative)
    return converter.convert()


def main(argv: list[str]) -> int:
    workdir = Path(argv[0])
    for mode in argv[1:]:
        (workdir / f"{mode}.tflite").write_bytes(_convert_one(workdir, mode))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
