"""Sensors behind one interface: IMUs over I2C, an I2S microphone, analog input, recordings
(README: "Sensors"). Every sensor has `channels`, `typecode`, `rate` (Hz), `scale` (unit per
count), `unit`, `overruns`, `read_into(sample)`, `available()` and `drain(window)`."""

from array import array
from typing import Any, Literal

from tinyml._types import I2C, AnyWindow, Pin
from tinyml.sensors.adxl345 import ADXL345 as ADXL345
from tinyml.sensors.analog import Analog as Analog
from tinyml.sensors.lsm6ds import LSM6DS as LSM6DS
from tinyml.sensors.mic import Mic as Mic
from tinyml.sensors.mpu6050 import MPU6050 as MPU6050
from tinyml.sensors.replay import Replay as Replay

class Sensor:
    """The base of every sensor."""

    channels: int
    typecode: str
    overruns: int
    """Samples the sensor had to drop."""
    @property
    def int_pin(self) -> Pin | None:
        """The pin the sensor's interrupt drives, if any."""
    def available(self) -> int:
        """Samples waiting to be read."""
    def read_into(self, sample: array[Any]) -> None:
        """Read one sample into `sample`, an array of `channels` values."""
    def drain(self, window: AnyWindow) -> int:
        """Push waiting samples into `window`, stopping when a window is due; never waits.
        Returns how many were pushed."""

class I2CDevice(Sensor):
    """A chip on an I2C bus."""

    def __init__(self, i2c: I2C, addr: int) -> None: ...

class IMU(I2CDevice):
    """An accelerometer (MPU6050, LSM6DS, ADXL345), with a gyroscope on some chips: samples
    ax, ay, az (and gx, gy, gz with gyro=True) in counts, typecode "h"."""

    WHO_AM_I_REG: int
    """The register that holds the chip's id."""
    WHO_AM_I: dict[int, str]
    """The driver's chips: id -> model."""
    unit: str
    model: str
    """The chip found."""
    scale: float
    """g per count at the set range."""
    def __init__(self, i2c: I2C, addr: int, int_pin: Pin | None, fifo: bool) -> None: ...
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
        duration_ms: int = 0,
    ) -> None:
        """Route "data" (sample ready), "motion" (over `threshold` g, for `duration_ms` where
        the chip counts it) or None (off) to the chip's INT (INT1) pin."""
    def clear_interrupt(self) -> int:
        """Read the chip's interrupt status."""

def clamp(value: int, low: int, high: int) -> int:
    """`value` limited to low..high."""

def imu(i2c: I2C, addr: int | None = None, **kwargs: Any) -> MPU6050 | LSM6DS | ADXL345:
    """The IMU on `i2c`, found by address and WHO_AM_I; keyword arguments go to its driver."""
