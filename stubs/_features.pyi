"""The firmware's feature functions and Window in C (native_modules/tflm/modfeatures.c).

Scripts use them through `tinyml.features` and `tinyml.Window` (README: "Features" and
"Windows"). Samples are a buffer of integers of typecode b, B, h, H or i; `out` a writable
int8 buffer. The functions take positional arguments only.
"""

from collections.abc import Sequence

from tinyml._types import Edges
from typing_extensions import Buffer

MAX_FRAME_LOG2: int
"""The largest frame: 2**MAX_FRAME_LOG2 samples."""

def frame_bands(
    samples: Buffer,
    start: int,
    frame_log2: int,
    edges: Edges,
    offset: int,
    out: Buffer,
    out_start: int,
    /,
) -> None:
    """One frame's int8 log band energies into out[out_start:out_start + len(edges) - 1]."""

def log_spectrogram(
    audio: Buffer, out: Buffer, frame_log2: int, hop: int, edges: Edges, offset: int, /
) -> int:
    """Keyword features of int16 `audio` into `out`; returns the number of frames."""

def vibration_features(
    samples: Buffer, out: Buffer, frame_log2: int, edges: Edges, offset: int, /
) -> None:
    """Band energies of consecutive frames, averaged over the frames."""

def motion_features(samples: Buffer, out: Buffer, shift: int, /) -> None:
    """Mean-removed x/y/z readings divided by 2**shift, clamped to int8, interleaved."""

class Window:
    """The last `length` samples of `channels` values; its attributes are read-only."""

    def __init__(
        self, length: int, channels: int = 1, typecode: str = "h", hop: int | None = None
    ) -> None:
        """A window is due when full and `hop` (default `length`) samples came since the last."""
    @property
    def count(self) -> int:
        """Samples pushed since the start or clear()."""
    @property
    def due(self) -> bool:
        """The last push or extend completed a window."""
    @property
    def full(self) -> bool:
        """`length` samples have been pushed."""
    @property
    def length(self) -> int:
        """Samples the window holds."""
    @property
    def channels(self) -> int:
        """Values per sample."""
    @property
    def hop(self) -> int:
        """Samples between two windows due."""
    @property
    def typecode(self) -> str:
        """The samples' array typecode."""
    def push(self, sample: Buffer, /) -> bool:
        """Append one sample (`channels` values); True when a window is due. Allocates nothing."""
    def extend(self, samples: Buffer | Sequence[float], start: int = 0, count: int = -1, /) -> int:
        """Append up to `count` samples from item `start`, stopping where a window becomes
        due; returns how many were taken."""
    def view(self) -> memoryview:
        """The window, oldest sample first, as a memoryview into its own memory."""
    def until_due(self) -> int:
        """Samples still to push before the next window is due."""
    def restart_hop(self) -> None:
        """Count the next hop from now."""
    def clear(self) -> None:
        """Empty the window."""
