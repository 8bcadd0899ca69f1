"""The board's integer features (device/tinyml/features.py), vectorized with numpy for training.

The pure-Python module is the definition; these functions repeat its integer steps on whole
batches of frames (numpy's `>>` floors like Python's), and tests/host/test_features.py checks
that both give the same bytes on many inputs.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import numpy as np

from host.paths import DEVICE_DIR


def device_module(name: str) -> ModuleType:
    """The board package's pure-Python module `tinyml.<name>`, loaded from its file rather
    than imported, so that the package's __init__ (which expects MicroPython's lazy imports)
    is not involved."""
    spec = importlib.util.spec_from_file_location(
        f"tinyml_{name}", DEVICE_DIR / "tinyml" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pure = device_module("features")


def sidecar_entry(function: str, *, rate: int, window: int, channels: int, unit: str) -> dict:
    """The sidecar's `features`: `function` of tinyml.features with the parameters the
    recipes train with (pure.PARAMS), and the samples it takes: `window` samples per channel
    at `rate` per second, in `unit`."""
    params = {name: list(v) if isinstance(v, tuple) else v for name, v in pure.PARAMS[function]}
    return {
        "function": function,
        "params": params,
        "sample_rate_hz": rate,
        "window": window,
        "channels": channels,
        "sample_unit": unit,
    }


def _log2_q4(values: np.ndarray) -> np.ndarray:
    """pure.log2_q4 on an array of positive int64."""
    msb = np.floor(np.log2(values.astype(np.float64))).astype(np.int64)
    # float log2 can be off by one next to powers of two; correct it exactly
    msb -= np.left_shift(np.int64(1), msb) > values
    msb += np.left_shift(np.int64(1), msb + 1) <= values
    high = np.right_shift(values, np.maximum(msb - 4, 0))
    low = np.left_shift(values, np.maximum(4 - msb, 0))
    fraction = np.where(msb >= 4, high, low) & 15
    return 16 * msb + np.asarray(pure._LOG2_FRACTION)[fraction]


def frames_bands(frames: np.ndarray, frame_log2: int, edges: tuple, offset: int) -> np.ndarray:
    """pure.frame_bands on each row of `frames` (int, shape (F, 2**frame_log2)) -> int8 (F, B)."""
    t = pure.tables(frame_log2)
    n = 1 << frame_log2
    x = frames.astype(np.int64)
    mean = np.floor_divide(x.sum(axis=1, keepdims=True), n)
    windowed = ((x - mean) * np.asarray(t.hann, np.int64)) >> 15
    peak = np.abs(windowed).max(axis=1)
    bits = np.where(peak > 0, np.floor(np.log2(np.maximum(peak, 1))).astype(np.int64) + 1, 0)
    shift = np.where(bits > 0, 14 - bits, 0)
    re = np.empty_like(windowed)
    re[:, np.asarray(t.order)] = windowed
    re = np.where(
        shift[:, None] >= 0,
        re << np.maximum(shift, 0)[:, None],
        re >> np.maximum(-shift, 0)[:, None],
    )
    im = np.zeros_like(re)
    cos = np.asarray(t.cos, np.int64)
    sin = np.asarray(t.sin, np.int64)
    count = len(x)
    size = 2
    while size <= n:
        half = size >> 1
        step = n // size
        wr = cos[np.arange(half) * step]
        wi = sin[np.arange(half) * step]
        re4 = re.reshape(count, n // size, 2, half)
        im4 = im.reshape(count, n // size, 2, half)
        ar, ai = re4[:, :, 0, :], im4[:, :, 0, :]
        br, bi = re4[:, :, 1, :], im4[:, :, 1, :]
        tr = (wr * br + wi * bi) >> 14
        ti = (wr * bi - wi * br) >> 14
        re = np.stack(((ar + tr) >> 1, (ar - tr) >> 1), axis=2).reshape(count, n)
        im = np.stack(((ai + ti) >> 1, (ai - ti) >> 1), axis=2).reshape(count, n)
        size <<= 1
    power = re * re + im * im
    cumulative = np.concatenate((np.zeros((count, 1), np.int64), np.cumsum(power, axis=1)), 1)
    edges_array = np.asarray(edges)
    energy = cumulative[:, edges_array[1:]] - cumulative[:, edges_array[:-1]]
    scale_q4 = (32 * (frame_log2 - shift))[:, None]
    value = ((_log2_q4(np.maximum(energy, 1)) + scale_q4) >> 2) - offset
    value = np.where(energy > 0, np.clip(value, -128, 127), -128)
    return value.astype(np.int8)


def log_spectrogram(
    audio: np.ndarray,
    frame_log2: int = pure.KEYWORD_FRAME_LOG2,
    hop: int = pure.KEYWORD_HOP,
    edges: tuple = pure.KEYWORD_EDGES,
    offset: int = pure.KEYWORD_OFFSET,
) -> np.ndarray:
    """pure.log_spectrogram of each clip in `audio` (shape (C, samples)) -> int8 (C, F*B)."""
    audio = np.atleast_2d(audio)
    n = 1 << frame_log2
    frames = pure.frame_count(audio.shape[1], frame_log2, hop)
    index = np.arange(frames)[:, None] * hop + np.arange(n)[None, :]
    windows = audio[:, index].reshape(-1, n)
    bands = frames_bands(windows, frame_log2, edges, offset)
    return bands.reshape(len(audio), -1)


def vibration_features(
    samples: np.ndarray,
    frame_log2: int = pure.VIBRATION_FRAME_LOG2,
    edges: tuple = pure.VIBRATION_EDGES,
    offset: int = pure.VIBRATION_OFFSET,
) -> np.ndarray:
    """pure.vibration_features of each row of `samples` -> int8 (C, bands)."""
    samples = np.atleast_2d(samples)
    n = 1 << frame_log2
    frames = samples.shape[1] // n
    windows = samples[:, : frames * n].reshape(-1, n)
    bands = frames_bands(windows, frame_log2, edges, offset).astype(np.int64)
    bands = bands.reshape(len(samples), frames, -1).sum(axis=1)
    return np.floor_divide(bands, frames).astype(np.int8)


def motion_features(samples: np.ndarray, shift: int = pure.MOTION_SHIFT) -> np.ndarray:
    """pure.motion_features of each window (shape (C, n, 3), milli-g) -> int8 (C, n*3)."""
    x = np.asarray(samples, np.int64)
    mean = np.floor_divide(x.sum(axis=1, keepdims=True), x.shape[1])
    value = np.clip((x - mean) >> shift, -128, 127)
    return value.astype(np.int8).reshape(len(x), -1)
