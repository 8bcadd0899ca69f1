"""Datasets: the split arrays a recipe hands to training, and the user's folder formats.

Folder format, for every task: `DATA/<label>/*.csv` or `DATA/<label>/*.wav`, one folder per label.
A CSV holds one recording, a row per sample and a column per channel (a first row that is not
numeric is a header); a WAV holds one mono or multi-channel 16-bit recording.
"""

from __future__ import annotations

import csv
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host.errors import CommandError
from host.features import pure

# Features are int8 values; the model sees them times 2**-INPUT_SCALE_LOG2, so the converter's
# input quantization (that scale, zero point 0) makes the int8 input tensor equal the features.
INPUT_SCALE = 2.0**-pure.INPUT_SCALE_LOG2


@dataclass
class Dataset:
    """Train/validation/test arrays plus what the sidecar says about them."""

    task: str  # "classify", "regress" or "anomaly"
    labels: list[str]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    # the sidecar's "features" (host.features.sidecar_entry); None: the input is values
    features: dict | None
    # extra inputs for the representative dataset, e.g. the int8 extremes that pin the scale
    calibration_extra: np.ndarray | None = None
    # how the board turns outputs into events: {"function": "tinyml....", "params": {...}}
    postprocessing: dict | None = None


def say(message: str) -> None:
    """A progress line on stderr."""
    print(f"train: {message}", file=sys.stderr, flush=True)


def int8_features_to_input(features: np.ndarray) -> np.ndarray:
    """Model input (float32) from int8 features: exactly representable, features * 2**-6."""
    return features.astype(np.float32) * np.float32(INPUT_SCALE)


def int8_extremes(shape: tuple[int, ...]) -> np.ndarray:
    """Two inputs at -128 and 127 so that calibration sees the full int8 range of the features."""
    return int8_features_to_input(np.stack([np.full(shape, -128), np.full(shape, 127)]))


def split(
    count: int,
    rng: np.random.Generator,
    labels: np.ndarray | None = None,
    fractions: tuple[float, float] = (0.7, 0.15),
) -> tuple[np.ndarray, ...]:
    """Indices of a seeded train/val/test split, stratified by label when labels are given."""
    groups = (
        [np.arange(count)]
        if labels is None
        else [np.flatnonzero(labels == v) for v in np.unique(labels)]
    )
    train, val, test = [], [], []
    for group in groups:
        group = rng.permutation(group)
        n_train = int(round(len(group) * fractions[0]))
        n_val = max(1, int(round(len(group) * fractions[1])))
        train.append(group[:n_train])
        val.append(group[n_train : n_train + n_val])
        test.append(group[n_train + n_val :])
    return tuple(np.sort(np.concatenate(part)) for part in (train, val, test))


def label_folders(root: Path, suffix: str | None = None) -> dict[str, list[Path]]:
    """label -> sorted files of `root/<label>/*` (.csv or .wav), checked for the usual mistakes."""
    if not root.is_dir():
        raise CommandError(f"{root}: no such dataset folder")
    folders = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(
            p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".wav")
        )
        if files:
            folders[folder.name] = files
    if not folders:
        raise CommandError(f"{root}: no <label>/*.csv or <label>/*.wav files")
    suffixes = {p.suffix.lower() for files in folders.values() for p in files}
    if len(suffixes) > 1:
        raise CommandError(f"{root}: mixes .csv and .wav files; use one format")
    if suffix is not None and suffixes != {suffix}:
        raise CommandError(f"{root}: this recipe needs {suffix} files, found {suffixes.pop()}")
    return folders


def read_csv(path: Path, channels: int) -> np.ndarray:
    """A CSV recording as an int array (rows, channels); every row must have `channels` values."""
    try:
        with path.open(newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as err:
        raise CommandError(f"{path}: cannot read: {err}") from err
    rows = [row for row in rows if row and any(cell.strip() for cell in row)]
    if rows and not _numeric(rows[0]):
        rows = rows[1:]
    if not rows:
        raise CommandError(f"{path}: no samples")
    values = []
    for number, row in enumerate(rows, start=1):
        if len(row) != channels:
            raise CommandError(
                f"{path}: row {number} has {len(row)} values, expected "
                f"{channels} (rows must all have the same length)"
            )
        if not _numeric(row):
            raise CommandError(f"{path}: row {number} is not numeric: {','.join(row)}")
        values.append([float(cell) for cell in row])
    return np.rint(np.asarray(values)).astype(np.int64)


def read_wav(path: Path, rate: int) -> np.ndarray:
    """A 16-bit WAV at `rate` Hz as int16 samples (first channel)."""
    try:
        with wave.open(str(path), "rb") as handle:
            if handle.getsampwidth() != 2:
                raise CommandError(
                    f"{path}: {8 * handle.getsampwidth()}-bit samples; need 16-bit PCM"
                )
            if handle.getframerate() != rate:
                raise CommandError(
                    f"{path}: {handle.getframerate()} Hz; need {rate} Hz "
                    f"(e.g. sox in.wav -r {rate} -b 16 out.wav)"
                )
            channels = handle.getnchannels()
            frames = handle.readframes(handle.getnframes())
    except (wave.Error, EOFError, OSError) as err:
        raise CommandError(f"{path}: unreadable WAV: {err}") from err
    samples = np.frombuffer(frames, dtype="<i2")
    return samples[::channels].astype(np.int16)


def fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    """Cut or zero-pad a recording (along axis 0) to `length` samples, centred."""
    if len(samples) >= length:
        start = (len(samples) - length) // 2
        return samples[start : start + length]
    pad = length - len(samples)
    widths = [(pad // 2, pad - pad // 2)] + [(0, 0)] * (samples.ndim - 1)
    return np.pad(samples, widths)


def require_classes(labels: dict[str, list[Path]], root: Path, minimum: int = 2) -> None:
    if len(labels) < minimum:
        raise CommandError(
            f"{root}: found only the class {', '.join(labels)}; "
            f"need at least {minimum} label folders"
        )


def _numeric(row: list[str]) -> bool:
    try:
        for cell in row:
            float(cell)
    except ValueError:
        return False
    return True
