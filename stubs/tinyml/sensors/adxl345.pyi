"""Analog Devices ADXL345 accelerometer over I2C: full resolution (1/256 g per count), a
32-sample FIFO in stream mode; rates 25..3200 Hz; no duration for motion."""

from tinyml._types import I2C, Pin
from tinyml.sensors import IMU

class ADXL345(IMU):
    """Samples ax, ay, az; `scale` is 1/256 g per count at every range."""

    ADDRESSES: tuple[int, ...]
    """The I2C addresses the chip can have."""
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
