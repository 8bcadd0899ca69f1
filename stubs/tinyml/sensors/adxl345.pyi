"""Analog Devices ADXL345 accelerometer over I2C: full resolution (1/256 g per count), a
32-sample FIFO in stream mode."""

from typing import Literal

from tinyml._types import I2C, Pin
from tinyml.sensors import I2CDevice

class ADXL345(I2CDevice):
    """Samples ax, ay, az in counts, typecode "h"."""

    ADDRESSES: tuple[int, ...]
    WHO_AM_I_REG: int
    WHO_AM_I: tuple[int, ...]
    unit: str
    scale: float
    """g per count: 1/256 at every range."""
    model: str
    def __init__(
        self,
        i2c: I2C,
        addr: int = 0x53,
        *,
        rate: int = 100,
        range: int = 2,
        gyro: bool = False,
        fifo: bool = True,
        int_pin: Pin | None = None,
    ) -> None:
        """`gyro=True` raises: the chip has no gyroscope."""
    @property
    def rate(self) -> int:
        """Samples per second (25..3200); can be set at any time."""
    @rate.setter
    def rate(self, hz: int) -> None: ...
    @property
    def range(self) -> int:
        """+-g full scale: 2, 4, 8 or 16; can be set at any time."""
    @range.setter
    def range(self, g: int) -> None: ...
    def enable_interrupt(
        self,
        event: Literal["data", "motion"] | None = "data",
        *,
        threshold: float = 0.1,
        duration_ms: int = 0,
    ) -> None:
        """Route "data" (sample ready), "motion" (activity over `threshold` g) or None (off)
        to INT1; the chip has no duration setting and ignores `duration_ms`."""
    def clear_interrupt(self) -> int:
        """Read the chip's interrupt status."""
