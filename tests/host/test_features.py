"""The board's integer features (device/tinyml/features.py) against their numpy twin."""

import sys
from array import array

import numpy as np

from host import features
from host.paths import DEVICE_DIR

pure = features.pure


def _clips(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(16000) / 16000
    tone = 12000 * np.sin(2 * np.pi * 440 * t) * (t > 0.3)
    return np.clip(
        np.stack(
            [
                rng.integers(-32768, 32768, 16000),  # full-scale noise
                rng.normal(0, 40, 16000),  # quiet noise
                np.zeros(16000),  # digital silence
                np.full(16000, -32768),  # DC at the rail
                tone + rng.normal(0, 200, 16000),  # a tone starting mid-clip
                rng.normal(0, 3000, 16000) * np.sin(2 * np.pi * 3 * t),
            ]
        ),
        -32768,
        32767,
    ).astype(np.int16)


def test_log_spectrogram_numpy_equals_pure():
    clips = _clips(np.random.default_rng(3))
    fast = features.log_spectrogram(clips)
    for clip, expected in zip(clips, fast):
        out = array("b", bytes(pure.KEYWORD_FEATURES))
        assert pure.log_spectrogram(array("h", clip.tobytes()), out) == pure.KEYWORD_FRAMES
        assert list(out) == expected.tolist()
    assert fast.min() == -128 and fast.max() > 0


def test_vibration_and_motion_numpy_equal_pure():
    rng = np.random.default_rng(4)
    vibration = np.concatenate(
        [rng.normal(0, rng.uniform(1, 5000), (40, 1024)), np.zeros((1, 1024))]
    ).astype(np.int64)
    fast = features.vibration_features(vibration)
    for window, expected in zip(vibration, fast):
        out = [0] * 32
        pure.vibration_features(window.tolist(), out)
        assert out == expected.tolist()
    motion = rng.normal(0, rng.uniform(5, 3000), (60, 128, 3)).astype(np.int64)
    fast = features.motion_features(motion)
    for window, expected in zip(motion, fast):
        out = [0] * 384
        pure.motion_features(window.reshape(-1).tolist(), out)
        assert out == expected.tolist()


def test_spectrum_matches_a_float_fft():
    """The fixed-point FFT's band energies are numpy's float ones floored to a quarter octave
    (1.5 dB), give or take a quarter step of fixed-point rounding."""
    rng = np.random.default_rng(5)
    frame = rng.normal(0, 3000, 512).astype(np.int64)
    out = [0] * 32
    pure.frame_bands(frame.tolist(), 0, 9, pure.KEYWORD_EDGES, 96, out, 0)
    tables = pure.tables(9)
    windowed = (frame - frame.sum() // 512) * np.asarray(tables.hann) / 32768
    power = np.abs(np.fft.fft(windowed)) ** 2
    edges = pure.KEYWORD_EDGES
    expected = [np.log2(power[edges[i] : edges[i + 1]].sum()) * 4 - 96 for i in range(32)]
    below = np.asarray(expected) - np.asarray(out)
    assert below.min() > -0.25 and below.max() < 1.25


def test_log2_q4():
    for value in (1, 2, 3, 15, 16, 17, 1000, 2**20 + 1, 2**35 - 1):
        assert abs(pure.log2_q4(value) - 16 * np.log2(value)) <= 1.0


def test_cpython_uses_the_python_definitions():
    """Under CPython (training) there is no _features module: the public names are the Python
    definitions, which the numpy twin is checked against above."""
    assert pure._features is None
    assert pure.frame_bands is pure.py_frame_bands
    assert pure.log_spectrogram is pure.py_log_spectrogram
    assert pure.vibration_features is pure.py_vibration_features
    assert pure.motion_features is pure.py_motion_features


def test_streaming_spectrogram_equals_log_spectrogram(monkeypatch):
    """features.Spectrogram (here over window.py's PyWindow, as on a firmware without
    _features) holds, after each new frame, log_spectrogram of the audio from its oldest
    frame on: blocks of any size, one frame computed per hop."""
    monkeypatch.syspath_prepend(str(DEVICE_DIR))
    for name in [m for m in sys.modules if m == "tinyml" or m.startswith("tinyml.")]:
        monkeypatch.delitem(sys.modules, name)
    rng = np.random.default_rng(8)
    audio = np.clip(rng.normal(0, 2000, 17500), -32768, 32767).astype(np.int16)
    spec = pure.Spectrogram()
    samples = array("h", audio.tobytes())
    position = frames = 0
    checked = 0
    while position < len(samples):
        block = int(rng.integers(1, 900))
        frames += spec.extend(samples, position, block)
        position += block
        if spec.full:
            first = (frames - pure.KEYWORD_FRAMES) * 320
            expected = features.log_spectrogram(audio[first : first + 15872])[0]
            assert bytes(spec.view()) == expected.tobytes()
            checked += 1
    assert checked >= 3 and spec.count == frames == 1 + (len(audio) - 512) // 320
    spec.clear()
    assert spec.count == 0 and not spec.full


MICROPYTHON_SCRIPT = """
from array import array
from tinyml import features
with open("/rom/clip.raw", "rb") as f:
    audio = array("h", f.read())
# the C functions (the firmware's _features), then the Python definitions
for log_spectrogram, vibration_features, motion_features in (
        (features.log_spectrogram, features.vibration_features, features.motion_features),
        (features.py_log_spectrogram, features.py_vibration_features,
         features.py_motion_features)):
    out = array("b", bytes(features.KEYWORD_FEATURES))
    log_spectrogram(audio, out)
    vibration = array("b", bytes(32))
    vibration_features(audio[:1024], vibration)
    motion = array("b", bytes(384))
    motion_features(audio[:384], motion)
    print(bytes(out).hex() + bytes(vibration).hex() + bytes(motion).hex())
print(features.log_spectrogram is features.py_log_spectrogram)
"""


def test_micropython_gives_the_same_bytes(tmp_path):
    """The board's VM computes the same features, in C and in Python: the simulator firmware
    (`host build --board unix`) on its frozen `tinyml`."""
    from conftest import emulated

    clip = _clips(np.random.default_rng(6))[4]
    rom = tmp_path / "rom"
    rom.mkdir()
    (rom / "clip.raw").write_bytes(clip.tobytes())
    (tmp_path / "features_check.py").write_text(MICROPYTHON_SCRIPT)
    output = emulated("unix").check(tmp_path / "features_check.py", rom, timeout=600)
    expected = (
        features.log_spectrogram(clip)[0].tobytes()
        + features.vibration_features(clip[:1024].astype(np.int64))[0].tobytes()
        + features.motion_features(clip[:384].reshape(1, 128, 3))[0].tobytes()
    )
    assert output.split() == [expected.hex(), expected.hex(), "False"]
