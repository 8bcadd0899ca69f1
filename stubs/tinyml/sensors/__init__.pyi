"""Sensors behind one interface: IMUs over I2C, an I2S microphone, analog input, recordings
(README: "Sensors"). Every sensor has `channels`, `typecode`, `rate` (Hz), `scale` (unit per
count), `unit`, `overruns`, `read_into(sample)`, `available()` and `drain(window)`."""

from array import array
from typing import Any

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

def clamp(value: int, low: int, high: int) -> int:
    """`value` limited to low..high."""

def imu(i2c: I2C, addr: int | None = None, **kwargs: Any) -> MPU6050 | LSM6DS | ADXL345:
    """The IMU on `i2c`, found by address and WHO_AM_I; keyword arguments go to its driver."""
