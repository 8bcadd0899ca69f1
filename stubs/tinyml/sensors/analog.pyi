"""Analog input over machine.ADC: each sample the mean of `oversample` conversions (typecode
"H", 0..65535)."""

from tinyml._types import ADC
from tinyml.sensors import Sensor

class Analog(Sensor):
    """An ADC input read at `rate` Hz."""

    unit: str
    scale: float
    rate: int
    oversample: int
    def __init__(self, adc: ADC, *, rate: int = 100, oversample: int = 4) -> None: ...
