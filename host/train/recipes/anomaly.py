"""`anomaly`: an autoencoder on spectral features of machine vibration.

The generator spins a machine at a random speed: a healthy one shows a small 1x (rotation)
peak, a little 2x, a blade-pass tone and broadband noise; faults add what a vibration analyst
looks for: imbalance (a large 1x), a bearing defect (impacts at the outer-race defect
frequency ringing a structural resonance) and looseness (many harmonics and half harmonics,
a clipped waveform). The autoencoder learns healthy spectra only; its reconstruction error is
the anomaly score and the threshold is chosen on validation data with both kinds.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from host import features
from host.errors import CommandError
from host.train import data as datasets
from host.train.data import Dataset

TASK = "anomaly"
EPOCHS = 60
RATE = features.pure.VIBRATION_RATE
SAMPLES = features.pure.VIBRATION_SAMPLES
FAULTS = ["imbalance", "bearing", "looseness"]
HEALTHY_NAMES = ("normal", "healthy")
COUNTS = {"train": 900, "val": 150, "test": 300}  # healthy windows; faults: as many, split


def generate(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One window of vibration (SAMPLES,) in milli-g, int."""
    t = np.arange(SAMPLES) / RATE
    rotation = rng.uniform(20, 50)  # 1200 .. 3000 rpm

    def phase():
        return rng.uniform(0, 2 * math.pi)

    one_x = rng.uniform(20, 60)
    signal = one_x * np.sin(2 * math.pi * rotation * t + phase())
    signal += rng.uniform(5, 20) * np.sin(4 * math.pi * rotation * t + phase())
    blades = rng.integers(5, 13)
    signal += rng.uniform(5, 25) * np.sin(2 * math.pi * blades * rotation * t + phase())
    if kind == "imbalance":
        signal += rng.uniform(3, 8) * one_x * np.sin(2 * math.pi * rotation * t + phase())
    elif kind == "bearing":
        # outer-race defect frequency: balls/2 * (1 - d/D cos(angle)) times the rotation
        defect = rotation * rng.uniform(3.0, 5.5)
        resonance = rng.uniform(900, 1800)
        impacts = np.zeros(SAMPLES)
        period = RATE / defect
        for start in np.arange(rng.uniform(0, period), SAMPLES, period):
            impacts[int(start)] += rng.uniform(0.7, 1.0)
        ring = np.exp(-np.arange(64) / rng.uniform(4, 10)) * np.sin(
            2 * math.pi * resonance * np.arange(64) / RATE
        )
        signal += rng.uniform(60, 200) * np.convolve(impacts, ring)[:SAMPLES]
    elif kind == "looseness":
        for harmonic in np.arange(0.5, 10.5, 0.5):
            signal += (
                one_x
                * rng.uniform(0.2, 0.8)
                / math.sqrt(harmonic)
                * np.sin(2 * math.pi * harmonic * rotation * t + phase())
            )
        limit = np.percentile(np.abs(signal), rng.uniform(70, 90))
        signal = np.clip(signal, -limit, limit)
    signal += rng.normal(0, rng.uniform(3, 12), SAMPLES)
    return np.clip(np.rint(signal), -32768, 32767).astype(np.int64)


def _synthesize(rng: np.random.Generator) -> dict:
    parts = {}
    for part, count in COUNTS.items():
        windows = [generate("healthy", rng) for _ in range(count)]
        faulty = 0 if part == "train" else count // len(FAULTS)
        windows += [generate(kind, rng) for kind in FAULTS for _ in range(faulty)]
        parts[part] = (np.stack(windows), np.asarray([0] * count + [1] * faulty * len(FAULTS)))
    return parts


def _from_folder(root: Path, rng: np.random.Generator) -> dict:
    folders = datasets.label_folders(root)
    datasets.require_classes(folders, root)
    healthy = [name for name in folders if name.lower() in HEALTHY_NAMES]
    if not healthy:
        raise CommandError(
            f"{root}: anomaly data needs a folder of healthy recordings named "
            f"{' or '.join(HEALTHY_NAMES)}"
        )
    windows, targets = [], []
    for label, paths in folders.items():
        for path in paths:
            recording = (
                datasets.read_wav(path, RATE)
                if path.suffix.lower() == ".wav"
                else datasets.read_csv(path, channels=1)[:, 0]
            )
            if len(recording) < SAMPLES:
                raise CommandError(
                    f"{path}: {len(recording)} samples; need at least {SAMPLES} "
                    f"({SAMPLES / RATE:.3f} s at {RATE} Hz)"
                )
            for start in range(0, len(recording) - SAMPLES + 1, SAMPLES):
                windows.append(recording[start : start + SAMPLES])
                targets.append(0 if label in healthy else 1)
    windows, targets = np.stack(windows), np.asarray(targets)
    train, val, test = datasets.split(len(targets), rng, targets)
    # the autoencoder learns healthy data only; faulty training windows go to validation
    val = np.sort(np.concatenate([val, train[targets[train] == 1]]))
    train = train[targets[train] == 0]
    if min(len(train), len(test)) == 0 or len(set(targets[val])) < 2:
        raise CommandError(
            f"{root}: too few recordings to split into train, validation and "
            "test sets with both healthy and faulty windows"
        )
    return {
        part: (windows[index], targets[index])
        for part, index in (("train", train), ("val", val), ("test", test))
    }


def make_dataset(
    rng: np.random.Generator, data_dir: Path | None = None, task: str = TASK
) -> Dataset:
    parts = _synthesize(rng) if data_dir is None else _from_folder(data_dir, rng)
    arrays = {}
    for part, (windows, targets) in parts.items():
        arrays["x_" + part] = datasets.int8_features_to_input(features.vibration_features(windows))
        arrays["y_" + part] = targets.astype(np.float32)
    bands = len(features.pure.VIBRATION_EDGES) - 1
    return Dataset(
        task=TASK,
        labels=["healthy", "anomaly"],
        **arrays,
        calibration_extra=datasets.int8_extremes((bands,)),
        features=features.sidecar_entry(
            "vibration_features", rate=RATE, window=SAMPLES, channels=1, unit="milli-g"
        ),
    )


def build_model(dataset: Dataset, teacher: bool = False):
    """A dense autoencoder with a narrow bottleneck."""
    import tf_keras as keras

    bands = dataset.x_train.shape[1]
    widths = (32, 8) if teacher else (16, 6)
    return keras.Sequential(
        [
            keras.Input(shape=(bands,)),
            keras.layers.Dense(widths[0], activation="relu"),
            keras.layers.Dense(widths[1], activation="relu"),
            keras.layers.Dense(widths[0], activation="relu"),
            keras.layers.Dense(bands),
        ]
    )
