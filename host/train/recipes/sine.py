"""`sine`: the hello-world regression, y = sin(x) on [0, 2*pi]."""

from __future__ import annotations

import math

import numpy as np

from host.train.data import Dataset

TASK = "regress"
EPOCHS = 60


def make_dataset(rng: np.random.Generator, data_dir=None, task: str = TASK) -> Dataset:
    """Noisy samples for training (as in TFLM's hello world); a clean grid for the test.
    (`host train` refuses --data for sine, so `data_dir` is always None.)"""

    def noisy(count: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.uniform(0, 2 * math.pi, count).astype(np.float32)
        y = (np.sin(x) + rng.normal(0, 0.05, count)).astype(np.float32)
        return x[:, None], y[:, None]

    x_train, y_train = noisy(4000)
    x_val, y_val = noisy(500)
    x_test = np.linspace(0, 2 * math.pi, 1000, dtype=np.float32)[:, None]
    return Dataset(
        task=TASK,
        labels=["sin(x)"],
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        x_test=x_test,
        y_test=np.sin(x_test).astype(np.float32),
        # x in radians, 0 <= x <= 2*pi: a value to quantize, not features
        features=None,
    )


def build_model(dataset: Dataset, teacher: bool = False):
    """Two hidden ReLU layers of 16 (teacher: 64)."""
    import tf_keras as keras

    width = 64 if teacher else 16
    return keras.Sequential(
        [
            keras.Input(shape=(1,)),
            keras.layers.Dense(width, activation="relu"),
            keras.layers.Dense(width, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
