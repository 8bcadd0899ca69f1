"""ST LSM6DS3 (LSM6DS3TR-C, LSM6DSL) and LSM6DSOX (LSM6DSO) over I2C; rates 13..6660 Hz."""

from tinyml._types import I2C, Pin
from tinyml.sensors import IMU

class LSM6DS(IMU):
    ADDRESSES: tuple[int, ...]
    """The I2C addresses the chip can have."""
    gyro_scale: float
    """Degrees/s per count (+-2000 dps)."""
    def __init__(
        self,
        i2c: I2C,
        addr: int = 0x6A,
        *,
        rate: int = 104,
        range: int = 2,
        gyro: bool = False,
        fifo: bool = True,
        int_pin: Pin | None = None,
    ) -> None: ...
