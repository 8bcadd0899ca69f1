"""Time as the runtime sees it: the chip's ticks on a board, a virtual clock on the simulator
(README: "On the simulator").

On a board without sensors (`replay` in its board.toml) time moves only when code sleeps or
waits for a sensor; `add_source` and the functions after it exist there only.
"""

from collections.abc import Callable

from tinyml._types import ClockSource

VIRTUAL: bool
"""Time is virtual: the simulator or a QEMU board."""

def ticks_diff(ticks1: int, ticks2: int, /) -> int:
    """ticks1 - ticks2, in the ticks' wrap-around range (time.ticks_diff)."""

def ticks_add(ticks: int, delta: int, /) -> int:
    """ticks + delta, wrapped (time.ticks_add)."""

def ticks_us() -> int:
    """Microseconds, wrapping."""

def ticks_ms() -> int:
    """Milliseconds, wrapping."""

def sleep_us(us: int) -> None:
    """Wait `us` microseconds (on the simulator: advance virtual time)."""

def sleep_ms(ms: int) -> None:
    """Wait `ms` milliseconds (on the simulator: advance virtual time)."""

def add_source(source: ClockSource) -> None:
    """Fire `source`'s events as virtual time passes them."""

def remove_source(source: ClockSource) -> None:
    """Stop firing `source`'s events."""

def next_event_us() -> int:
    """The earliest pending event of any source, or -1."""

def advance_to(t_us: int, stop: Callable[[int], bool] | None = None) -> int:
    """Move virtual time to `t_us`, firing every event on the way, or stop early where
    `stop(t_us)` is True; returns the time reached."""
