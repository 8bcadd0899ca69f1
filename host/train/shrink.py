"""Training and the shrinking steps: distillation, pruning, quantization-aware training.

Each step appends what it measured (the headline metric before and after) to `report`, which
ends up in the sidecar's training.shrinking and on the terminal.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from host.errors import CommandError
from host.tflite_model import read_model
from host.train import evaluate
from host.train.data import Dataset, say

DISTILL_DEFAULT = "default"
LEARNING_RATE = 0.003
FINE_TUNE_RATE = 0.001
BATCH = 32
# Share of the hard labels in distillation targets (the rest is the teacher's), and the
# temperature that softens a teacher's class probabilities.
DISTILL_LABEL_WEIGHT = 0.5
DISTILL_TEMPERATURE = 2.0


def fit(
    model,
    dataset: Dataset,
    targets: np.ndarray,
    epochs: int,
    what: str,
    learning_rate: float = LEARNING_RATE,
    callbacks: list | None = None,
) -> None:
    """Compile for the task and train, one progress line per epoch on stderr."""
    import tf_keras as keras

    loss = "categorical_crossentropy" if dataset.task == "classify" else "mse"
    steps = int(np.ceil(len(dataset.x_train) / BATCH)) * epochs
    # cosine decay: fast at first, then small steps that settle the weights
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss)
    val_targets = dataset.x_val if dataset.task == "anomaly" else dataset.y_val
    if dataset.task == "anomaly":
        # validation loss on healthy windows only: faulty ones are there to pick the threshold
        healthy = dataset.y_val < 0.5
        validation = (dataset.x_val[healthy], val_targets[healthy])
    else:
        validation = (dataset.x_val, val_targets)
    model.fit(
        dataset.x_train,
        targets,
        epochs=epochs,
        batch_size=BATCH,
        validation_data=validation,
        verbose=0,
        shuffle=True,
        callbacks=[_progress(what, epochs)] + (callbacks or []),
    )


def keras_predict(model):
    return lambda x: model.predict(x, batch_size=256, verbose=0)


def distill_targets(
    teacher: str, recipe, dataset: Dataset, targets: np.ndarray, epochs: int, report: list[dict]
) -> np.ndarray:
    """Training targets mixed from the labels and a teacher's outputs (soft labels)."""
    if teacher == DISTILL_DEFAULT:
        model = recipe.build_model(dataset, teacher=True)
        fit(model, dataset, targets, epochs, "teacher")
        outputs = keras_predict(model)(dataset.x_train)
        metrics = evaluate.score(dataset, keras_predict(model))
        params = model.count_params()
    else:
        data = Path(teacher).read_bytes()
        info = read_model(data)
        shape = info.tensors[info.inputs[0]].shape[1:]
        if list(shape) != list(dataset.x_train.shape[1:]):
            raise CommandError(
                f"{teacher}: input shape {shape} does not match the data's "
                f"{list(dataset.x_train.shape[1:])}"
            )
        outputs = evaluate.run_tflite(data, dataset.x_train)
        metrics = evaluate.score(dataset, lambda x: evaluate.run_tflite(data, x))
        params = info.params
    name, value = evaluate.headline(metrics)
    say(f"teacher: {params} parameters, {name} {value}")
    report.append(
        {"step": "distillation teacher", "params": params, "metric": name, "teacher": value}
    )
    outputs = outputs.reshape(targets.shape)
    if dataset.task == "classify":
        soft = np.power(np.clip(outputs, 1e-8, 1), 1 / DISTILL_TEMPERATURE)
        outputs = soft / soft.sum(axis=1, keepdims=True)
    mixed = DISTILL_LABEL_WEIGHT * targets + (1 - DISTILL_LABEL_WEIGHT) * outputs
    return mixed.astype(np.float32)


def prune(
    model, dataset: Dataset, targets: np.ndarray, sparsity: float, epochs: int, report: list[dict]
):
    """Magnitude pruning to `sparsity` with fine-tuning; returns the stripped model."""
    import tensorflow_model_optimization as tfmot

    metric, before = evaluate.headline(evaluate.score(dataset, keras_predict(model)))
    steps = int(np.ceil(len(dataset.x_train) / BATCH))
    schedule = tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=0.0,
        final_sparsity=sparsity,
        begin_step=0,
        end_step=max(1, steps * max(1, epochs // 4)),
        frequency=max(1, steps // 4),
    )
    pruned = tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=schedule)
    fit(
        pruned,
        dataset,
        targets,
        max(2, epochs // 2),
        "pruning",
        FINE_TUNE_RATE,
        [tfmot.sparsity.keras.UpdatePruningStep()],
    )
    stripped = tfmot.sparsity.keras.strip_pruning(pruned)
    _, after = evaluate.headline(evaluate.score(dataset, keras_predict(stripped)))
    report.append(
        {"step": f"prune {sparsity}", "metric": metric, "before": before, "after": after}
    )
    return stripped


def quantization_aware(
    model,
    dataset: Dataset,
    targets: np.ndarray,
    epochs: int,
    report: list[dict],
    keep_sparsity: bool,
):
    """Fine-tune with fake quantization in the graph, so the int8 model loses less.
    After pruning, the prune-preserving scheme keeps the zeros at zero."""
    import tensorflow_model_optimization as tfmot

    quantization = tfmot.quantization.keras
    metric, before = evaluate.headline(evaluate.score(dataset, keras_predict(model)))
    try:
        if keep_sparsity:
            aware = quantization.quantize_apply(
                quantization.quantize_annotate_model(model),
                tfmot.experimental.combine.Default8BitPrunePreserveQuantizeScheme(),
            )
        else:
            aware = quantization.quantize_model(model)
    except (RuntimeError, ValueError) as err:
        raise CommandError(
            f"quantization-aware training does not support this model: {err}"
        ) from err
    fit(aware, dataset, targets, max(2, epochs // 4), "quantization-aware", FINE_TUNE_RATE)
    _, after = evaluate.headline(evaluate.score(dataset, keras_predict(aware)))
    report.append(
        {
            "step": "quantization-aware training",
            "metric": metric,
            "before": before,
            "after_fake_quant": after,
        }
    )
    return aware


def _progress(what: str, epochs: int):
    """A Keras callback printing `what epoch i/n loss ... val_loss ...` lines on stderr."""
    import tf_keras as keras

    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.started = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            print(
                f"train: {what} epoch {epoch + 1}/{epochs}  loss {logs.get('loss', 0):.4f}"
                f"  val_loss {logs.get('val_loss', 0):.4f}  "
                f"({time.monotonic() - self.started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )

    return Progress()
