"""Integer features, the same on the PC and on the board (README: "Features").

`log_spectrogram`, `vibration_features`, `motion_features` and `frame_bands` run in C on a
firmware with `_features` (buffers only); the `py_` functions are their Python definitions.
"""

from collections.abc import Sequence

from _features import frame_bands as frame_bands
from tinyml._types import Edges, Ints, WritableInts
from typing_extensions import Buffer

KEYWORD_RATE: int
"""Keyword audio: 16000 Hz."""
KEYWORD_FRAME_LOG2: int
"""Keyword frames of 2**9 = 512 samples (32 ms)."""
KEYWORD_HOP: int
"""A keyword frame every 320 samples (20 ms)."""
KEYWORD_OFFSET: int
"""Subtracted from the keyword band energies (in 1.5 dB steps): 96."""
KEYWORD_FRAMES: int
"""Frames of 1 s of keyword audio: 49."""
KEYWORD_EDGES: tuple[int, ...]
"""The 32 mel bands (100 Hz to 7.6 kHz) in bins of a 512-point FFT at 16 kHz."""
KEYWORD_FEATURES: int
"""Keyword features: 49 x 32 = 1568 int8."""
VIBRATION_RATE: int
"""Vibration samples: 4000 Hz."""
VIBRATION_SAMPLES: int
"""Samples of one vibration window: 1024."""
VIBRATION_FRAME_LOG2: int
"""Vibration frames of 2**8 = 256 samples."""
VIBRATION_OFFSET: int
"""Subtracted from the vibration band energies: 64."""
VIBRATION_EDGES: tuple[int, ...]
"""32 linear bands of 62.5 Hz in bins of a 256-point FFT at 4 kHz."""
MOTION_SHIFT: int
"""Motion features are milli-g / 2**4."""
INPUT_SCALE_LOG2: int
"""Features fill an int8 input tensor of scale 2**-6, zero point 0, as they are."""
PARAMS: dict[str, tuple[tuple[str, int | tuple[int, ...]], ...]]
"""The feature functions a sidecar can name, with their parameters (in order) and values."""

class _Tables:
    hann: list[int]
    cos: list[int]
    sin: list[int]
    order: list[int]
    re: list[int]
    im: list[int]
    def __init__(self, n_log2: int) -> None: ...

def tables(n_log2: int) -> _Tables:
    """The (cached) tables of a 2**n_log2-point FFT."""

def block_shift(peak: int) -> int:
    """The left shift that brings a frame's peak to 14 bits (negative: a right shift)."""

def log2_q4(value: int) -> int:
    """log2 of a positive integer in sixteenths."""

def py_frame_bands(
    samples: Ints,
    start: int,
    frame_log2: int,
    edges: Sequence[int],
    offset: int,
    out: WritableInts,
    out_start: int,
) -> None:
    """One frame's int8 log band energies into out[out_start:out_start + len(edges) - 1]."""

def frame_count(samples: int, frame_log2: int = KEYWORD_FRAME_LOG2, hop: int = KEYWORD_HOP) -> int:
    """How many frames of 2**frame_log2 samples, one every `hop`, `samples` samples hold."""

def py_log_spectrogram(
    audio: Ints,
    out: WritableInts,
    frame_log2: int = KEYWORD_FRAME_LOG2,
    hop: int = KEYWORD_HOP,
    edges: Sequence[int] = KEYWORD_EDGES,
    offset: int = KEYWORD_OFFSET,
) -> int:
    """Keyword features of int16 `audio` into `out`; returns the number of frames."""

def py_vibration_features(
    samples: Ints,
    out: WritableInts,
    frame_log2: int = VIBRATION_FRAME_LOG2,
    edges: Sequence[int] = VIBRATION_EDGES,
    offset: int = VIBRATION_OFFSET,
) -> None:
    """Band energies of consecutive frames of `samples`, averaged over the frames."""

def py_motion_features(samples: Ints, out: WritableInts, shift: int = MOTION_SHIFT) -> None:
    """Mean-removed x/y/z readings divided by 2**shift, clamped to int8, interleaved."""

def log_spectrogram(
    audio: Buffer,
    out: Buffer,
    frame_log2: int = KEYWORD_FRAME_LOG2,
    hop: int = KEYWORD_HOP,
    edges: Edges = KEYWORD_EDGES,
    offset: int = KEYWORD_OFFSET,
) -> int:
    """Keyword features of 1 s of int16 `audio` into `out` (49 x 32 int8); returns the
    number of frames."""

def vibration_features(
    samples: Buffer,
    out: Buffer,
    frame_log2: int = VIBRATION_FRAME_LOG2,
    edges: Edges = VIBRATION_EDGES,
    offset: int = VIBRATION_OFFSET,
) -> None:
    """Anomaly features: band energies of consecutive frames, averaged (1024 samples -> 32)."""

def motion_features(samples: Buffer, out: Buffer, shift: int = MOTION_SHIFT) -> None:
    """Gesture features: mean-removed x/y/z readings / 2**shift, clamped to int8."""

class Spectrogram:
    """`log_spectrogram` as audio arrives: one frame per hop."""

    bands: int
    def __init__(
        self,
        frames: int = KEYWORD_FRAMES,
        frame_log2: int = KEYWORD_FRAME_LOG2,
        hop: int = KEYWORD_HOP,
        edges: Edges = KEYWORD_EDGES,
        offset: int = KEYWORD_OFFSET,
    ) -> None:
        """Holds the last `frames` frames."""
    @property
    def full(self) -> bool:
        """`frames` frames have been computed."""
    @property
    def count(self) -> int:
        """Frames computed since the start or the last clear()."""
    def extend(self, samples: Buffer | Sequence[int], start: int = 0, count: int = -1) -> int:
        """Take `count` samples (all, if negative) from item `start`; returns the new frames."""
    def view(self) -> memoryview:
        """The last `frames` frames of bands, oldest first (int8)."""
    def clear(self) -> None:
        """Start again."""
