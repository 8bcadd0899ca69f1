"""`gesture`: 3-axis accelerometer windows (128 samples at 100 Hz) into gestures plus idle.

The generator moves a hand along a gesture's path (random size, speed, start time), turns the
path into acceleration, adds gravity, turns it all into the sensor's frame at a random
orientation, and adds sensor noise and offset; readings are milli-g integers, as an IMU
driver gives them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from host import features
from host.errors import CommandError
from host.train import data as datasets
from host.train.data import Dataset

TASK = "classify"
EPOCHS = 30
RATE = 100
WINDOW = 128
LABELS = ["idle", "circle", "punch", "shake", "lift"]
PER_CLASS = {"train": 240, "val": 60, "test": 80}
_G = 9.81


def _path(label: str, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hand position in metres (n, 3) along a gesture, u = 0..1 its progress."""
    # minimum-jerk progress: starts and ends at rest
    s = 10 * u**3 - 15 * u**4 + 6 * u**5
    zero = np.zeros_like(u)
    if label == "circle":
        radius = rng.uniform(0.08, 0.25)
        angle = 2 * math.pi * s * rng.choice([-1, 1])
        return np.stack([radius * (np.cos(angle) - 1), zero, radius * np.sin(angle)], 1)
    if label == "punch":
        reach = rng.uniform(0.15, 0.4)
        return np.stack([reach * np.sin(math.pi * s) ** 2, zero, zero], 1)
    if label == "shake":
        amplitude = rng.uniform(0.03, 0.09)
        cycles = rng.integers(2, 5)
        return np.stack([zero, amplitude * np.sin(2 * math.pi * cycles * s), zero], 1)
    if label == "lift":
        height = rng.uniform(0.15, 0.4)
        return np.stack([zero, zero, height * s], 1)
    # idle: the hand drifts a little
    drift = rng.normal(0, 0.01, (4, 3))
    return np.stack([np.interp(u, np.linspace(0, 1, 4), drift[:, axis]) for axis in range(3)], 1)


def _rotation(rng: np.random.Generator) -> np.ndarray:
    """A random sensor orientation: yaw, pitch and roll within +-25 degrees."""
    yaw, pitch, roll = np.radians(rng.uniform(-25, 25, 3))
    rz = np.array(
        [[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]]
    )
    ry = np.array(
        [[math.cos(pitch), 0, math.sin(pitch)], [0, 1, 0], [-math.sin(pitch), 0, math.cos(pitch)]]
    )
    rx = np.array(
        [[1, 0, 0], [0, math.cos(roll), -math.sin(roll)], [0, math.sin(roll), math.cos(roll)]]
    )
    return rz @ ry @ rx


def generate(label: str, rng: np.random.Generator) -> np.ndarray:
    """One window of readings (WINDOW, 3) in milli-g, int."""
    t = np.arange(WINDOW) / RATE
    duration = rng.uniform(0.5, 1.1)
    start = rng.uniform(0, WINDOW / RATE - duration)
    u = np.clip((t - start) / duration, 0, 1)
    position = _path(label, u, rng)
    acceleration = np.gradient(np.gradient(position, 1 / RATE, axis=0), 1 / RATE, axis=0)
    # an accelerometer measures acceleration minus gravity: +1 g upwards at rest
    specific_force = acceleration / _G * 1000 + np.array([0, 0, 1000.0])
    reading = specific_force @ _rotation(rng)  # world -> sensor frame (R transposed)
    reading += rng.uniform(-60, 60, 3) + rng.normal(0, rng.uniform(5, 25), reading.shape)
    return np.clip(np.rint(reading), -4000, 4000).astype(np.int64)


def _synthesize(rng: np.random.Generator) -> Dataset:
    parts = {}
    for part, count in PER_CLASS.items():
        windows, targets = [], []
        for index, label in enumerate(LABELS):
            windows += [generate(label, rng) for _ in range(count)]
            targets += [index] * count
        parts[part] = (np.stack(windows), np.asarray(targets))
    return _dataset(TASK, LABELS, parts)


def _from_folder(root: Path, rng: np.random.Generator, task: str) -> Dataset:
    folders = datasets.label_folders(root, ".csv")
    datasets.require_classes(folders, root)
    labels = list(folders)
    if task == "regress":
        try:
            values = [float(label) for label in labels]
        except ValueError as err:
            raise CommandError(
                f"{root}: for --task regress every folder name must be the "
                f"number to predict ({err})"
            ) from err
    windows, targets = [], []
    for index, label in enumerate(labels):
        for path in folders[label]:
            recording = datasets.read_csv(path, channels=3)
            # a short recording is padded with its own first and last readings (a still hand)
            padded = np.pad(recording, ((WINDOW, WINDOW), (0, 0)), mode="edge")
            windows.append(
                datasets.fit_length(padded if len(recording) < WINDOW else recording, WINDOW)
            )
            targets.append(values[index] if task == "regress" else index)
    windows, targets = np.stack(windows), np.asarray(targets)
    train, val, test = datasets.split(len(targets), rng, None if task == "regress" else targets)
    if min(len(train), len(val), len(test)) == 0:
        raise CommandError(
            f"{root}: too few recordings to split into train, validation and test sets"
        )
    parts = {
        "train": (windows[train], targets[train]),
        "val": (windows[val], targets[val]),
        "test": (windows[test], targets[test]),
    }
    return _dataset(task, ["value"] if task == "regress" else labels, parts)


def _dataset(task: str, labels: list[str], parts: dict) -> Dataset:
    arrays = {}
    for part, (windows, targets) in parts.items():
        arrays["x_" + part] = datasets.int8_features_to_input(features.motion_features(windows))
        if task == "classify":
            arrays["y_" + part] = np.eye(len(labels), dtype=np.float32)[targets]
        else:
            arrays["y_" + part] = targets.astype(np.float32)[:, None]
    return Dataset(
        task=task,
        labels=labels,
        **arrays,
        calibration_extra=datasets.int8_extremes((WINDOW * 3,)),
        features=features.sidecar_entry(
            "motion_features", rate=RATE, window=WINDOW, channels=3, unit="milli-g"
        ),
    )


def make_dataset(
    rng: np.random.Generator, data_dir: Path | None = None, task: str = TASK
) -> Dataset:
    return _synthesize(rng) if data_dir is None else _from_folder(data_dir, rng, task)


def build_model(dataset: Dataset, teacher: bool = False):
    """Strided 1-D convolutions along time (as Conv2D with (k, 1) kernels, which the
    quantization toolkit supports), global average pooling, dense output."""
    import tf_keras as keras

    widths = (32, 48, 64) if teacher else (8, 16, 24)
    classify = dataset.task == "classify"
    layers = [keras.Input(shape=(WINDOW * 3,)), keras.layers.Reshape((WINDOW, 1, 3))]
    for width in widths:
        layers.append(
            keras.layers.Conv2D(width, (5, 1), strides=(2, 1), padding="same", activation="relu")
        )
    layers += [
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(
            len(dataset.labels) if classify else 1, activation="softmax" if classify else None
        ),
    ]
    return keras.Sequential(layers)
