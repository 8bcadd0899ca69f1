"""Types the stubs share; no module of the board has this name (stubs only).

They describe what tinyml's code takes by its shape rather than its class, so that
MicroPython's own `machine.Pin`, `machine.I2C` and `machine.ADC` (from a port's
micropython-stubs, where an editor has them) fit, as does a replayed sensor's `VirtualPin`.
"""

from array import array
from collections.abc import Callable
from typing import Any, Literal, Protocol, TypeAlias

from tinyml.window import PyWindow, Window

# What a sensor's drain() fills: the firmware's C Window or the Python PyWindow.
AnyWindow: TypeAlias = Window | PyWindow
# Band edges, FFT bins: the C functions take a tuple or a list.
Edges: TypeAlias = tuple[int, ...] | list[int]
# A function that computes a model input from a window: features(window.view(), out).
FeatureFunction: TypeAlias = Callable[[memoryview, Any], object]

class Pin(Protocol):
    """An input pin: `machine.Pin`, or the `VirtualPin` of a replayed sensor."""

    @property
    def IRQ_RISING(self) -> int: ...
    @property
    def IRQ_FALLING(self) -> int: ...
    def value(self) -> int: ...
    def irq(
        self,
        handler: Callable[[Any], None] | None = ...,
        trigger: int = ...,
        *,
        hard: bool = ...,
    ) -> Any: ...

class I2C(Protocol):
    """An I2C bus: `machine.I2C` or `machine.SoftI2C`."""

    def scan(self) -> list[int]: ...
    def readfrom_mem_into(self, addr: int, memaddr: int, buf: Any, /) -> Any: ...
    def writeto_mem(self, addr: int, memaddr: int, buf: Any, /) -> Any: ...

class ADC(Protocol):
    """An analog input: `machine.ADC`."""

    def read_u16(self) -> int: ...

class ClockSource(Protocol):
    """Something that makes events in virtual time (tinyml.clock.add_source)."""

    def next_event_us(self) -> int: ...
    def fire_event(self) -> None: ...

class Source(Protocol):
    """What a Pipeline reads samples from: any sensor of tinyml.sensors."""

    @property
    def channels(self) -> int: ...
    @property
    def rate(self) -> int: ...
    @property
    def overruns(self) -> int: ...
    def drain(self, window: AnyWindow, /) -> int: ...

class AnySensor(Source, Protocol):
    """What every sensor has (README: Sensors)."""

    @property
    def typecode(self) -> str: ...
    @property
    def scale(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def int_pin(self) -> Pin | None: ...
    def available(self) -> int: ...
    def read_into(self, sample: array[Any], /) -> None: ...

class IMU(AnySensor, Protocol):
    """An IMU driver (MPU6050, LSM6DS, ADXL345) or, on the simulator, its Replay."""

    def enable_interrupt(
        self,
        event: Literal["data", "motion"] | None = ...,
        *,
        threshold: float = ...,
        duration_ms: int = ...,
    ) -> None: ...
    def clear_interrupt(self) -> int: ...

class MotionSensor(Protocol):
    """What trigger.Motion reads of its sensor (and, with an `int_pin`, enable_interrupt)."""

    @property
    def channels(self) -> int: ...
    @property
    def rate(self) -> int: ...
    @property
    def scale(self) -> float: ...
    @property
    def int_pin(self) -> Pin | None: ...

class StreamingFeature(Protocol):
    """A feature fed as samples arrive, such as tinyml.features.Spectrogram."""

    def extend(self, samples: memoryview, start: int, count: int, /) -> int: ...
    def view(self) -> memoryview: ...

class Ints(Protocol):
    """Integers read by index: an array, a list, a memoryview, bytes."""

    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> int: ...

class WritableInts(Ints, Protocol):
    """Integers written by index: an array("b"), a bytearray, a list, a memoryview."""

    def __setitem__(self, index: int, value: int, /) -> None: ...
