"""InvenSense MPU6050 / MPU6500 accelerometer + gyroscope over I2C; rate divides 1 kHz."""

from typing import Literal

from tinyml._types import I2C, Pin
from tinyml.sensors import I2CDevice

class MPU6050(I2CDevice):
    """Samples ax, ay, az (and gx, gy, gz with gyro=True) in counts, typecode "h"."""

    ADDRESSES: tuple[int, ...]
    WHO_AM_I_REG: int
    WHO_AM_I: tuple[int, ...]
    unit: str
    gyro_scale: float
    """Degrees/s per count (+-2000 dps)."""
    model: str
    """The chip found."""
    scale: float
    """g per count at the set range."""
    def __init__(
        self,
        i2c: I2C,
        addr: int = 0x68,
        *,
        rate: int = 100,
        range: int = 2,
        gyro: bool = False,
        fifo: bool = True,
        int_pin: Pin | None = None,
    ) -> None: ...
    @property
    def rate(self) -> int:
        """Samples per second; can be set at any time."""
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
        duration_ms: int = 1,
    ) -> None:
        """Route "data" (sample ready), "motion" (over `threshold` g) or None (off) to the
        chip's INT (INT1) pin."""
    def clear_interrupt(self) -> int:
        """Read the chip's interrupt status."""
