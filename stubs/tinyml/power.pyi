"""Sleep until a timer or a pin wakes the board; the same call on every port (README:
"Sleep")."""

from typing import Literal

RETAINED_BYTES: int
"""The size of `retained` on most ports."""
retained: bytearray
"""Memory kept across deep sleep."""
SLEEP: tuple[str, ...]
"""The sleep modes this board has ("light", "deep")."""

def wake_reason() -> Literal["reset", "timer", "pin", "touch", "other"]:
    """Why the board last woke."""

def sleep(
    ms: int | None = None,
    mode: Literal["light", "deep"] = "light",
    wake: object = (),
    *,
    level: int = 1,
    poll_ms: int = 10,
) -> Literal["timer", "pin", "touch", "other"]:
    """Sleep `ms` milliseconds (None: until a wake source); `wake` is a pin, a touch pad or a
    list of them. Light sleep returns the wake reason; deep sleep resets the board."""
