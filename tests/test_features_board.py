"""Features on the board equal the host's (issue 4 item 3), byte for byte.

The test vectors are made on the host with seeded data from the recipes' own generators
(background audio, gesture windows, machine vibration) plus edge cases (full-scale noise,
digital silence, rail-to-rail square wave, clamped motion) and one second of the keyword example's speech.
The simulator firmware runs its frozen `tinyml.features` on them, called the way the
examples call it (parameters as the sidecar's `preprocessing` records them, samples in
`array("h")` or a memoryview of one, as a Window gives them); the host computes what
training computes (host/features.py, called as the recipes call it). Every output byte must
be equal: the model was trained on the host's bytes.
"""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from host import features
from host.train.recipes import anomaly, gesture, keyword

ROOT = Path(__file__).resolve().parent.parent
pure = features.pure
SEED = 41

BOARD_SCRIPT = """
import sys
from array import array
from tinyml import features

KEYWORD = dict(frame_log2=9, hop=320, edges=tuple(%(keyword_edges)r), offset=96)
VIBRATION = dict(frame_log2=8, edges=tuple(%(vibration_edges)r), offset=64)
MOTION = dict(shift=4)

with open(%(vectors)r, "rb") as f:
    data = f.read()
pos = 0
while pos < len(data):
    kind = data[pos]
    count = int.from_bytes(data[pos + 1:pos + 5], "little")
    samples = array("h", data[pos + 5:pos + 5 + 2 * count])
    pos += 5 + 2 * count
    if kind == 0:
        out = array("b", bytes(features.KEYWORD_FEATURES))
        frames = features.log_spectrogram(memoryview(samples), out, **KEYWORD)
        assert frames == features.KEYWORD_FRAMES, frames
    elif kind == 1:
        out = array("b", bytes(len(VIBRATION["edges"]) - 1))
        features.vibration_features(samples, out, **VIBRATION)
    else:
        out = array("b", bytes(count))
        features.motion_features(samples, out, **MOTION)
    print(bytes(out).hex())
"""


def _audio(rng: np.random.Generator) -> list[np.ndarray]:
    t = np.arange(16000) / 16000
    with wave.open(str(ROOT / "examples" / "keyword" / "sample.wav")) as recording:
        speech = np.frombuffer(recording.readframes(recording.getnframes()), "<i2")
    clips = [keyword._clip(None, rng) for _ in range(3)]          # the recipe's backgrounds
    clips += [
        speech[16000:32000],                                      # "yes" (examples/make_samples.py)
        speech[48000:64000],                                      # "no"
        rng.integers(-32768, 32768, 16000),                       # full-scale noise
        np.zeros(16000),                                          # digital silence
        np.where(np.sin(2 * np.pi * 1000 * t) >= 0, 32767, -32768),  # rail to rail, 1 kHz
        6000 * np.sin(2 * np.pi * (200 + 3000 * t) * t) + rng.normal(0, 50, 16000),  # a chirp
    ]
    return [np.clip(np.rint(c), -32768, 32767).astype(np.int16) for c in clips]


def _vibration(rng: np.random.Generator) -> list[np.ndarray]:
    windows = [anomaly.generate(kind, rng) for kind in ["healthy", "healthy", *anomaly.FAULTS]]
    windows += [np.zeros(1024, np.int64), rng.integers(-32768, 32768, 1024)]
    return [np.clip(w, -32768, 32767).astype(np.int16) for w in windows]


def _motion(rng: np.random.Generator) -> list[np.ndarray]:
    windows = [gesture.generate(label, rng) for label in gesture.LABELS]
    windows += [np.full((128, 3), 1000),                              # still: all zero
                rng.integers(-4000, 4001, (128, 3)),                  # clamps at +-127
                rng.integers(-32768, 32768, (128, 3))]                # int16 extremes
    return [np.asarray(w).astype(np.int16) for w in windows]


def _pack(kind: int, samples: np.ndarray) -> bytes:
    flat = samples.reshape(-1).astype("<i2")
    return bytes([kind]) + len(flat).to_bytes(4, "little") + flat.tobytes()


def test_board_features_equal_the_hosts(simulator, tmp_path: Path) -> None:
    from host.run import run_script

    rng = np.random.default_rng(SEED)
    audio, vibration, motion = _audio(rng), _vibration(rng), _motion(rng)
    # what training computes, called as the recipes call it
    expected = [row.tobytes().hex() for row in features.log_spectrogram(np.stack(audio))]
    expected += [row.tobytes().hex()
                 for row in features.vibration_features(np.stack(vibration).astype(np.int64))]
    expected += [row.tobytes().hex()
                 for row in features.motion_features(np.stack(motion).astype(np.int64))]
    # the vectors exercise the features' range, not one corner of it
    keyword_rows = features.log_spectrogram(np.stack(audio))
    assert keyword_rows.min() == -128 and keyword_rows.max() > 60
    assert len(set(expected)) == len(expected)

    vectors = tmp_path / "vectors.bin"
    vectors.write_bytes(b"".join([_pack(0, a) for a in audio] + [_pack(1, v) for v in vibration]
                                 + [_pack(2, m) for m in motion]))
    script = tmp_path / "board_features.py"
    script.write_text(BOARD_SCRIPT % {"vectors": str(vectors),
                                      "keyword_edges": list(pure.KEYWORD_EDGES),
                                      "vibration_edges": list(pure.VIBRATION_EDGES)})
    result = run_script("unix", script, firmware=simulator, timeout=600)
    assert result.returncode == 0, result.output
    board = result.output.split()
    assert len(board) == len(expected), result.output[-2000:]
    names = ([f"audio {i}" for i in range(len(audio))] + [f"vibration {i}" for i in range(len(vibration))]
             + [f"motion {i}" for i in range(len(motion))])
    for name, got, want in zip(names, board, expected):
        assert got == want, f"{name}: the board's features differ from the host's"

