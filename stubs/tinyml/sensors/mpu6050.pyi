"""InvenSense MPU6050 / MPU6500 accelerometer + gyroscope over I2C; rate divides 1 kHz."""

from tinyml._types import I2C, Pin
from tinyml.sensors import IMU

class MPU6050(IMU):
    ADDRESSES: tuple[int, ...]
    """The I2C addresses the chip can have."""
    gyro_scale: float
    """Degrees/s per count (+-2000 dps)."""
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
