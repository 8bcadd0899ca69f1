"""Sliding window of sensor samples: N samples x C channels of one typecode (README: "Windows").

`Window` is the firmware's C type (`_features.Window`); `PyWindow` its definition in Python,
the fallback on a firmware without `_features`.
"""

from collections.abc import Sequence

from _features import Window as Window
from typing_extensions import Buffer

class PyWindow:
    """The Python Window: the same behaviour, with writable attributes."""

    length: int
    channels: int
    typecode: str
    hop: int
    count: int
    """Samples pushed since the start or clear()."""
    due: bool
    """The last push or extend completed a window."""
    def __init__(
        self, length: int, channels: int = 1, typecode: str = "h", hop: int | None = None
    ) -> None:
        """A window is due when full and `hop` (default `length`) samples came since the last."""
    @property
    def full(self) -> bool:
        """`length` samples have been pushed."""
    def until_due(self) -> int:
        """Samples still to push before the next window is due."""
    def push(self, sample: Buffer | Sequence[float]) -> bool:
        """Append one sample (`channels` values); True when a window is due."""
    def extend(self, samples: Buffer | Sequence[float], start: int = 0, count: int = -1) -> int:
        """Append up to `count` samples from item `start`, stopping where a window becomes
        due; returns how many were taken."""
    def view(self) -> memoryview:
        """The window, oldest sample first, as a memoryview into its own memory."""
    def restart_hop(self) -> None:
        """Count the next hop from now."""
    def clear(self) -> None:
        """Empty the window."""
