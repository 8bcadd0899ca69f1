"""Features on the board equal the host's (issue 4 item 3; issue 10), byte for byte.

The test vectors are made on the host with seeded data from the recipes' own generators
(background audio, gesture windows, machine vibration) plus edge cases (full-scale noise,
digital silence, rail-to-rail square wave, clamped motion) and one second of the keyword example's
speech.
The firmware runs its frozen `tinyml.features` on them, called the way the examples call it
(parameters as the sidecar's `features` records them, samples in `array("h")` or a
memoryview of one, as a Window gives them): the C functions of the `_features` module, and
the Python definitions (`py_log_spectrogram`, ...) in the same VM. The host computes what
training computes (host/features.py, called as the recipes call it). Every output byte must
be equal: the model was trained on the host's bytes. Thousands of seeded random inputs (every
frame size, band layout, offset, sample typecode) compare the C functions with numpy the same
way, and a share of them with the board's Python too. It runs on the simulator (64-bit) and on
the emulated Cortex-M4 (32-bit: the Python definitions' big integers there are the slow path).
"""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import emulated

from host import features
from host.train.recipes import anomaly, gesture, keyword

ROOT = Path(__file__).resolve().parent.parent
pure = features.pure
SEED = 41
BOARDS = ["unix", "qemu_m4"]
LOG_SPECTROGRAM, VIBRATION, MOTION, FRAME = range(4)
# kind, sample typecode, out typecode, frame_log2, shift, offset, hop, Python check, edges, count
HEADER = "<BBBBBhHBHI"

# Reads the records of /rom/vectors.bin one at a time and prints, for each, the C function's
# output in hex and "=" when the Python definition gives the same bytes (or its own output;
# "-" when the record asks for no Python check).
BOARD_SCRIPT = """
import struct
from array import array
from tinyml import features

HEADER = %(header)r
SIZE = struct.calcsize(HEADER)


def run(kind, samples, out, frame_log2, shift, offset, hop, edges, python):
    if kind == 0:
        fn = features.py_log_spectrogram if python else features.log_spectrogram
        fn(samples, out, frame_log2, hop, edges, offset)
    elif kind == 1:
        fn = features.py_vibration_features if python else features.vibration_features
        fn(samples, out, frame_log2, edges, offset)
    elif kind == 2:
        fn = features.py_motion_features if python else features.motion_features
        fn(samples, out, shift)
    else:
        fn = features.py_frame_bands if python else features.frame_bands
        fn(samples, 0, frame_log2, edges, offset, out, 0)


def main():
    with open("/rom/vectors.bin", "rb") as f:
        while True:
            header = f.read(SIZE)
            if not header:
                break
            kind, tc, out_tc, frame_log2, shift, offset, hop, check, n_edges, count = (
                struct.unpack(HEADER, header))
            tc = chr(tc)
            edges = tuple(array("H", f.read(2 * n_edges)))
            samples = array(tc, f.read(count * struct.calcsize(tc)))
            if kind == 0:
                size = (1 + (count - (1 << frame_log2)) // hop) * (n_edges - 1)
                samples = memoryview(samples)  # as a Window's view gives them
            elif kind == 2:
                size = count // 3 * 3
            else:
                size = n_edges - 1
            out = array("b", bytes(size)) if out_tc == 98 else bytearray(size)  # 98: "b"
            run(kind, samples, out, frame_log2, shift, offset, hop, edges, False)
            result = bytes(out)
            python = "-"
            if check:
                out = array("b", bytes(size)) if out_tc == 98 else bytearray(size)
                run(kind, samples, out, frame_log2, shift, offset, hop, edges, True)
                python = "=" if bytes(out) == result else bytes(out).hex()
            print(result.hex() or "empty", python)


main()
"""


def _audio(rng: np.random.Generator) -> list[np.ndarray]:
    t = np.arange(16000) / 16000
    with wave.open(str(ROOT / "examples" / "keyword" / "sample.wav")) as recording:
        speech = np.frombuffer(recording.readframes(recording.getnframes()), "<i2")
    clips = [keyword._clip(None, rng) for _ in range(3)]  # the recipe's backgrounds
    clips += [
        speech[16000:32000],  # "yes" (examples/make_samples.py)
        speech[48000:64000],  # "no"
        rng.integers(-32768, 32768, 16000),  # full-scale noise
        np.zeros(16000),  # digital silence
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
    windows += [
        np.full((128, 3), 1000),  # still: all zero
        rng.integers(-4000, 4001, (128, 3)),  # clamps at +-127
        rng.integers(-32768, 32768, (128, 3)),
    ]  # int16 extremes
    return [np.asarray(w).astype(np.int16) for w in windows]


class Record:
    """One call of a feature function, as the board makes it, with the host's expected bytes."""

    def __init__(
        self,
        name: str,
        kind: int,
        samples: np.ndarray,
        *,
        typecode: str = "h",
        out_typecode: str = "b",
        frame_log2: int = pure.KEYWORD_FRAME_LOG2,
        shift: int = pure.MOTION_SHIFT,
        offset: int = pure.KEYWORD_OFFSET,
        hop: int = pure.KEYWORD_HOP,
        edges: tuple = pure.KEYWORD_EDGES,
        check: bool = True,
    ) -> None:
        self.name = name
        self.kind = kind
        self.samples = np.asarray(samples).reshape(-1).astype(np.int64)
        self.typecode, self.out_typecode = typecode, out_typecode
        self.frame_log2, self.shift, self.offset, self.hop = frame_log2, shift, offset, hop
        self.edges = tuple(int(e) for e in edges)
        self.check = check

    def pack(self) -> bytes:
        dtype = {"h": "<i2", "H": "<u2", "b": "i1", "B": "u1", "i": "<i4"}[self.typecode]
        data = self.samples.astype(dtype)
        return (
            struct.pack(
                HEADER,
                self.kind,
                ord(self.typecode),
                ord(self.out_typecode),
                self.frame_log2,
                self.shift,
                self.offset,
                self.hop,
                self.check,
                len(self.edges),
                len(self.samples),
            )
            + struct.pack(f"<{len(self.edges)}H", *self.edges)
            + data.tobytes()
        )

    def expected(self) -> str:
        """What training's numpy code computes (the board's bytes must be these)."""
        x = self.samples
        if self.kind == LOG_SPECTROGRAM:
            out = features.log_spectrogram(x, self.frame_log2, self.hop, self.edges, self.offset)[
                0
            ]
        elif self.kind == VIBRATION and self.out_typecode == "B":
            out = _bytearray_vibration(self)
        elif self.kind == VIBRATION:
            out = features.vibration_features(x, self.frame_log2, self.edges, self.offset)[0]
        elif self.kind == MOTION:
            count = len(x) // 3
            out = features.motion_features(x[: 3 * count].reshape(1, count, 3), self.shift)[0]
        else:
            out = features.frames_bands(
                x[None, : 1 << self.frame_log2], self.frame_log2, self.edges, self.offset
            )[0]
        return np.asarray(out).astype(np.int8).tobytes().hex() or "empty"


class _Bytearray(list):
    """A list that stores and reads back values as a MicroPython bytearray does."""

    def __setitem__(self, index, value):
        super().__setitem__(index, value & 255)


def _bytearray_vibration(record: Record) -> np.ndarray:
    # features.py reads each frame's values back from `out`: a bytearray returns them unsigned
    out = _Bytearray([0] * (len(record.edges) - 1))
    pure.py_vibration_features(
        record.samples.tolist(), out, record.frame_log2, record.edges, record.offset
    )
    return np.frombuffer(bytes(out), np.uint8)


def _shared_records(rng: np.random.Generator) -> list[Record]:
    audio, vibration, motion = _audio(rng), _vibration(rng), _motion(rng)
    records = [Record(f"audio {i}", LOG_SPECTROGRAM, a) for i, a in enumerate(audio)]
    records += [
        Record(
            f"vibration {i}",
            VIBRATION,
            v,
            frame_log2=pure.VIBRATION_FRAME_LOG2,
            edges=pure.VIBRATION_EDGES,
            offset=pure.VIBRATION_OFFSET,
        )
        for i, v in enumerate(vibration)
    ]
    records += [Record(f"motion {i}", MOTION, m) for i, m in enumerate(motion)]
    return records


def _random_records(rng: np.random.Generator, frames: int, python_every: int) -> list[Record]:
    """Seeded random calls: every frame size from 4 to 512, random band edges (sorted or not,
    empty bands, bins up to n), offsets, amplitudes from silence to the typecode's rails,
    every sample typecode the C functions take, int8 and bytearray outputs."""
    limits = {
        "h": (-32768, 32767),
        "H": (0, 65535),
        "b": (-128, 127),
        "B": (0, 255),
        "i": (-(2**31), 2**31 - 1),
    }

    def samples(typecode: str, count: int) -> np.ndarray:
        low, high = limits[typecode]
        centre = rng.integers(low, high + 1)
        spread = (high - low) * 2.0 ** -rng.integers(0, 20)
        kind = rng.integers(4)
        if kind == 0:
            x = rng.normal(centre, spread / 4, count)
        elif kind == 1:
            x = rng.integers(low, high + 1, count)  # rail to rail
        elif kind == 2:
            x = np.full(count, centre)  # DC: an empty spectrum
        else:
            t = np.arange(count)
            x = centre + spread / 2 * np.sin(2 * np.pi * rng.uniform(0, 0.5) * t)
        return np.clip(np.rint(x), low, high).astype(np.int64)

    def edges(n: int) -> np.ndarray:
        found = rng.integers(0, n + 1, rng.integers(2, min(n + 1, 40) + 1))
        return found if rng.random() < 0.1 else np.sort(found)

    records = []
    for i in range(frames):
        log2 = int(rng.integers(2, 10))
        typecode = str(rng.choice(list(limits)))
        records.append(
            Record(
                f"random frame {i}",
                FRAME,
                samples(typecode, 1 << log2),
                typecode=typecode,
                out_typecode=str(rng.choice(["b", "B"])),
                frame_log2=log2,
                edges=edges(1 << log2),
                offset=int(rng.integers(-300, 300)),
                check=i % python_every == 0,
            )
        )
    for i in range(frames // 10):
        log2 = int(rng.integers(2, 10))
        typecode = str(rng.choice(list(limits)))
        count = int(rng.integers(1 << log2, 5 << log2))
        records.append(
            Record(
                f"random vibration {i}",
                VIBRATION,
                samples(typecode, count),
                typecode=typecode,
                out_typecode=str(rng.choice(["b", "B"])),
                frame_log2=log2,
                edges=edges(1 << log2),
                offset=int(rng.integers(-300, 300)),
                check=i % python_every == 0,
            )
        )
    for i in range(frames // 10):
        typecode = str(rng.choice(list(limits)))
        count = int(rng.integers(3, 400))
        records.append(
            Record(
                f"random motion {i}",
                MOTION,
                samples(typecode, count),
                typecode=typecode,
                shift=int(rng.integers(0, 12)),
                check=i % python_every == 0,
            )
        )
    for i in range(4):
        log2 = int(rng.integers(6, 10))
        records.append(
            Record(
                f"random spectrogram {i}",
                LOG_SPECTROGRAM,
                samples("h", rng.integers(1 << log2, 4000)),
                frame_log2=log2,
                hop=int(rng.integers(1, 1 << log2)),
                edges=edges(1 << log2),
                offset=int(rng.integers(-100, 100)),
                check=i == 0,
            )
        )
    return records


def _run_records(board: str, records: list[Record], tmp_path: Path) -> None:
    rom = tmp_path / "rom"
    rom.mkdir()
    (rom / "vectors.bin").write_bytes(b"".join(r.pack() for r in records))
    script = tmp_path / "board_features.py"
    script.write_text(BOARD_SCRIPT % {"header": HEADER})
    output = emulated(board).check(script, rom, timeout=1800)
    lines = [line.split() for line in output.splitlines() if line.strip()]
    assert len(lines) == len(records), output[-2000:]
    for record, (c_output, python) in zip(records, lines):
        assert c_output == record.expected(), f"{record.name}: C differs from the host's bytes"
        assert python in ("=", "-"), f"{record.name}: the board's Python differs from its C"
        assert python == "=" or not record.check


@pytest.mark.parametrize("board", BOARDS)
def test_board_features_equal_the_hosts(board: str, tmp_path: Path) -> None:
    records = _shared_records(np.random.default_rng(SEED))
    expected = [r.expected() for r in records]
    # the vectors exercise the features' range, not one corner of it
    keyword_rows = np.concatenate(
        [
            np.frombuffer(bytes.fromhex(e), np.int8)
            for r, e in zip(records, expected)
            if r.kind == LOG_SPECTROGRAM
        ]
    )
    assert keyword_rows.min() == -128 and keyword_rows.max() > 60
    assert len(set(expected)) == len(expected)
    _run_records(board, records, tmp_path)


@pytest.mark.parametrize("board, frames, python_every", [("unix", 3000, 1), ("qemu_m4", 2000, 20)])
def test_board_features_on_random_inputs(
    board: str, frames: int, python_every: int, tmp_path: Path
) -> None:
    _run_records(
        board, _random_records(np.random.default_rng(SEED + 1), frames, python_every), tmp_path
    )


ERRORS_SCRIPT = """
from array import array
from tinyml import features
import _features

audio = array("h", bytes(2 * 600))
out = array("b", bytes(1568))
EDGES = features.KEYWORD_EDGES
big = array("h", bytes(2048))
cases = [
    ("short audio", features.log_spectrogram, (array("h", bytes(200)), out)),
    ("short out", features.log_spectrogram, (audio, array("b", bytes(10)))),
    ("list samples", features.log_spectrogram, ([0] * 16000, out)),
    ("float samples", features.vibration_features, (array("f", bytes(4096)), out)),
    ("int16 out", features.vibration_features, (audio, array("h", bytes(64)))),
    ("read-only out", features.motion_features, (audio, bytes(600))),
    ("short vibration", features.vibration_features, (audio[:100], out)),
    ("frame past the end", features.frame_bands, (audio, 100, 9, EDGES, 96, out, 0)),
    ("negative start", features.frame_bands, (audio, -1, 9, EDGES, 96, out, 0)),
    ("out_start past the end", features.frame_bands, (audio, 0, 9, EDGES, 96, out, 1560)),
    ("frame too large", features.frame_bands, (big, 0, 10, (1, 2), 96, out, 0)),
    ("edge past the FFT", features.frame_bands, (audio, 0, 8, (1, 300), 96, out, 0)),
    ("one edge", features.frame_bands, (audio, 0, 8, (1,), 96, out, 0)),
    ("edges not a tuple", features.frame_bands, (audio, 0, 8, 5, 96, out, 0)),
    ("no motion sample", features.motion_features, (audio[:2], out)),
    ("negative shift", features.motion_features, (audio, out, -1)),
    ("zero hop", features.log_spectrogram, (audio, out, 9, 0)),
]
for name, fn, args in cases:
    try:
        fn(*args)
        print(name, "| no error")
    except (ValueError, TypeError) as err:
        print(name, "|", type(err).__name__ + ":", err)
print("intact", bytes(out) == bytes(1568))
"""

# What each bad call raises on the board: the type and the start of the message.
ERRORS = {
    "short audio": "ValueError: log_spectrogram: audio holds 100 samples, fewer "
    "than one frame (512)",
    "short out": "ValueError: log_spectrogram: out holds 10 values, 32 are written from index 0",
    "list samples": "TypeError: log_spectrogram: audio must be a buffer of integers",
    "float samples": "TypeError: vibration_features: samples must hold integers of typecode "
    "b, B, h, H or i, not 'f'",
    "int16 out": "TypeError: vibration_features: out must hold int8 (typecode b or B), not 'h'",
    "read-only out": "TypeError: motion_features: out must be a writable buffer of int8",
    "short vibration": "ValueError: vibration_features: samples holds 100 values, "
    "fewer than one frame (256)",
    "frame past the end": "ValueError: frame_bands: samples holds 600 values, a frame "
    "needs 512 from index 100",
    "negative start": "ValueError: frame_bands: samples holds 600 values, a frame "
    "needs 512 from index -1",
    "out_start past the end": "ValueError: frame_bands: out holds 1568 values, 32 are "
    "written from index 1560",
    "frame too large": "ValueError: frame_bands: frame_log2 must be between 2 and 9",
    "edge past the FFT": "ValueError: frame_bands: edges must be FFT bins from 0 to 256",
    "one edge": "ValueError: frame_bands: edges must hold 2 to 257 bins",
    "edges not a tuple": "TypeError: ",
    "no motion sample": "ValueError: motion_features: samples holds no x, y, z reading",
    "negative shift": "ValueError: motion_features: shift must be between 0 and 31",
    "zero hop": "ValueError: log_spectrogram: hop must be >= 1",
}


@pytest.mark.parametrize("board", BOARDS)
def test_board_features_refuse_bad_input(board: str, tmp_path: Path) -> None:
    """A buffer too short, of the wrong type or not writable is an exception with the reason,
    before anything is read or written."""
    script = tmp_path / "errors.py"
    script.write_text(ERRORS_SCRIPT)
    output = emulated(board).check(script, timeout=600)
    got = dict(line.split(" | ", 1) for line in output.splitlines() if " | " in line)
    assert got.keys() == ERRORS.keys(), output
    for name, message in ERRORS.items():
        assert got[name].startswith(message), f"{name}: {got[name]}"
    assert "intact True" in output


STREAM_SCRIPT = """
from array import array
from tinyml import features

with open("/rom/audio.raw", "rb") as f:
    audio = array("h", f.read())
spec = features.Spectrogram()
check = array("b", bytes(features.KEYWORD_FEATURES))
seed = 7
pos = 0
frames = 0
while pos < len(audio):
    seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
    block = 1 + seed % 700                      # blocks of any size, as a microphone gives them
    new = spec.extend(audio, pos, block)
    pos = min(len(audio), pos + block)
    frames += new
    if spec.full and new:
        # the frames held come from the audio of the oldest frame's first sample on
        first = (frames - features.KEYWORD_FRAMES) * 320
        features.log_spectrogram(audio[first:first + 15872], check)
        print("frames", frames, "equal", bytes(spec.view()) == bytes(check))
print("count", spec.count, "of", frames, "full", spec.full)
spec.clear()
print("cleared", spec.count, spec.full)
"""


@pytest.mark.parametrize("board", BOARDS)
def test_board_streaming_spectrogram(board: str, tmp_path: Path) -> None:
    """features.Spectrogram, fed blocks of random sizes, holds at every new frame what
    log_spectrogram of the last second (from its oldest frame on) gives."""
    rng = np.random.default_rng(SEED + 2)
    audio = np.clip(rng.normal(0, 3000, 16000 * 2 + 777), -32768, 32767).astype("<i2")
    rom = tmp_path / "rom"
    rom.mkdir()
    (rom / "audio.raw").write_bytes(audio.tobytes())
    script = tmp_path / "stream.py"
    script.write_text(STREAM_SCRIPT)
    output = emulated(board).check(script, rom, timeout=1800)
    checks = [line for line in output.splitlines() if line.startswith("frames")]
    total = 1 + (len(audio) - 512) // 320
    assert len(checks) >= 20 and all(line.endswith("equal True") for line in checks), output
    assert f"count {total} of {total} full True" in output
    assert "cleared 0 False" in output
