"""A recording (CSV or 16-bit PCM WAV) played back as a sensor, at its recorded rate
(README: "Sensors")."""

from array import array
from collections.abc import Callable, Sequence
from typing import Literal

from tinyml.sensors import Sensor

class Replay(Sensor):
    """Sample i becomes available i / rate s after the Replay was made; after the last one,
    reads raise EOFError."""

    path: str
    unit: str
    fifo: int
    """Samples kept when not read in time; the rest are dropped (overruns)."""
    rate: int
    scale: float
    samples: int
    """The recording's length in samples."""
    columns: list[str] | None
    """A CSV's header, without its time column."""
    @property
    def int_pin(self) -> VirtualPin:
        """A virtual pin that pulses on each sample or on motion (enable_interrupt)."""
    def __init__(
        self,
        path: str,
        *,
        rate: float | None = None,
        typecode: str | None = None,
        scale: float | None = None,
        unit: str = "",
        fifo: int = 1024,
    ) -> None: ...
    def sample_time_us(self, index: int) -> int:
        """When sample `index` is (or was) recorded, in clock.ticks_us()."""
    def close(self) -> None:
        """Close the recording's file."""
    def enable_interrupt(
        self,
        event: Literal["data", "motion"] | None = "data",
        *,
        threshold: float = 0.1,
        duration_ms: int = 0,
    ) -> None:
        """Make `int_pin` pulse on each sample, on motion over `threshold` for
        `duration_ms`, or never (None)."""
    def clear_interrupt(self) -> int:
        """The interrupt pin's level."""

class VirtualPin:
    """An input pin driven by a Replay's samples: `value()`, `irq(handler, trigger)`."""

    IRQ_RISING: int
    IRQ_FALLING: int
    events: Sequence[int] | array[int] | None
    edges: int
    """Events fired so far."""
    def __init__(self, replay: Replay) -> None: ...
    def restart(self) -> None:
        """Start at the first event not yet in the past."""
    def next_event_us(self) -> int: ...
    def fire_event(self) -> None: ...
    def value(self) -> int:
        """1 from an event until the next sample, else 0."""
    def irq(
        self,
        handler: Callable[[VirtualPin], None] | None = None,
        trigger: int = IRQ_RISING,
        hard: bool = False,
    ) -> None:
        """Call `handler(pin)` at each event; only rising edges."""
