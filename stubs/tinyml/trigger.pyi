"""Events that start work: pin edges, thresholds, motion, timers, audio level; any or all
(README: "Triggers")."""

from array import array
from collections.abc import Callable, Sequence
from typing import Literal, Self

from tinyml._types import AnyWindow, MotionSensor, Pin

class Trigger:
    """The base of every trigger: events counted in interrupts, taken by polling or `on`."""

    debounce_ms: int
    events: int
    """Accepted events."""
    missed: int
    """Events that came while one was pending, or that the schedule queue could not take."""
    pending: bool
    pins: tuple[Pin, ...]
    """The pins whose edge is this trigger: what a sleep can wake on."""
    fire_ref: Callable[..., None]
    """`fire`, bound once, for interrupt handlers."""
    def __init__(self, debounce_ms: int = 0) -> None: ...
    def on(self, callback: Callable[[Self], object]) -> Self:
        """Call `callback(trigger)` through micropython.schedule on each event."""
    def fire(self, _source: object = None) -> None:
        """Record an event; safe in a hard interrupt handler."""
    def take(self) -> bool:
        """True, once, if an event is pending."""
    def poll(self, window: AnyWindow, new: int) -> None:
        """Look at the `new` samples last pushed into `window` (level triggers)."""
    def total_missed(self) -> int:
        """Missed events, this trigger's and those of the triggers inside it."""

class PinEdge(Trigger):
    """An edge on a pin (a hard interrupt)."""

    pin: Pin
    def __init__(
        self,
        pin: Pin,
        edge: Literal["rising", "falling", "both"] = "rising",
        debounce_ms: int = 0,
    ) -> None: ...

class Every(Trigger):
    """Every `period_ms`, from a hardware timer (a virtual one on the simulator)."""

    period_ms: int
    def __init__(self, period_ms: int, timer_id: int | None = None) -> None: ...
    def next_event_us(self) -> int:
        """The next tick in virtual time (a clock source)."""
    def fire_event(self) -> None:
        """Fire on the virtual clock's tick."""
    def stop(self) -> None:
        """Stop the timer."""

class Threshold(Trigger):
    """A pushed sample's `channel` crossing `level` (in counts), above or below."""

    level: float
    channel: int
    above: bool
    def __init__(
        self, level: float, channel: int = 0, above: bool = True, debounce_ms: int = 0
    ) -> None: ...
    def poll(self, window: AnyWindow, new: int) -> None: ...

class MotionDetector:
    """Movement as the IMU chips find it: a sample that differs from a slow running mean by
    more than `limit` on any channel, `run` samples in a row."""

    channels: int
    def __init__(self, channels: int, limit: int, run: int) -> None: ...
    def feed(
        self,
        data: Sequence[float],
        k: int,
        end: int,
        found: array[int] | None = None,
        first: int = 0,
    ) -> bool:
        """Look at the samples data[k:end]; True if one of them ended a movement."""

class Motion(Trigger):
    """Movement of more than `threshold` (g for IMUs) on any axis, lasting `duration_ms`: the
    sensor's motion interrupt pin, or in software when it has none."""

    def __init__(
        self,
        sensor: MotionSensor,
        threshold: float,
        debounce_ms: int = 0,
        duration_ms: int = 0,
    ) -> None: ...
    def take(self) -> bool: ...
    def poll(self, window: AnyWindow, new: int) -> None: ...

class AudioLevel(Trigger):
    """A pushed sample louder than `threshold` (a fraction of full scale); with `hold=n`,
    every poll while a loud sample is among the last `n` samples."""

    def __init__(
        self, threshold: float, scale: float = 1 / 32768, debounce_ms: int = 0, hold: int = 0
    ) -> None: ...
    def poll(self, window: AnyWindow, new: int) -> None: ...

class Any(Trigger):
    """Fires when any of its triggers fires."""

    triggers: tuple[Trigger, ...]
    def __init__(self, *triggers: Trigger, debounce_ms: int = 0) -> None: ...

class All(Trigger):
    """Fires when each of its triggers has fired within the last `within_ms`."""

    triggers: tuple[Trigger, ...]
    within_ms: int
    def __init__(
        self, *triggers: Trigger, within_ms: int = 1000, debounce_ms: int = 0
    ) -> None: ...
