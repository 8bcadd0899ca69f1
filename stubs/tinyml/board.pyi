"""The board a script runs on: its sensors, LED and timer, from its board.toml's [pins]
(README: "The board"). On a board without sensors every sensor is a Replay of the recording."""

from typing import Any, overload

from tinyml._types import IMU, AnySensor

name: str
"""The board id (boards/ID)."""
NAME: str
"""The board's name."""
PINS: dict[str, Any]
"""The board's default pins, by role."""
RECORDING: str
"""Where a board without sensors finds its recording, without .wav or .csv."""
SIMULATOR: bool
"""Sensors are replayed recordings."""
TIMER_ID: int | None
"""The hardware timer trigger.Every uses."""

def imu(*, rate: int | None = None, range: int = 2, gyro: bool = False, **kwargs: Any) -> IMU:
    """The board's IMU (MPU6050/6500, LSM6DS3/DSOX or ADXL345), found on its I2C pins."""

def mic(*, rate: int = 16000, **kwargs: Any) -> AnySensor:
    """The board's I2S microphone, started."""

def analog(*, rate: int = 100, oversample: int = 4) -> AnySensor:
    """The board's analog input, 0..65535."""

def led() -> _LED:
    """The board's LED as PWM: duty_u16(0..65535), on(), off()."""

class _LED:
    def __init__(self, pwm: Any) -> None: ...
    @overload
    def duty_u16(self, value: None = None) -> int:
        """The duty cycle, or set it (0..65535)."""
    @overload
    def duty_u16(self, value: int) -> None: ...
    def on(self) -> None:
        """Full brightness."""
    def off(self) -> None:
        """Dark."""
