"""An I2S MEMS microphone (INMP441 and alike), filled by the I2S callback (typecode "h",
scale 1/32768)."""

from tinyml._types import Pin
from tinyml.sensors import Sensor

class Mic(Sensor):
    """The top 16 bits of each 32-bit slot, in a ring of `buffer_ms`."""

    unit: str
    scale: float
    rate: int
    def __init__(
        self,
        i2s_id: int,
        *,
        sck: Pin,
        ws: Pin,
        sd: Pin,
        rate: int = 16000,
        block: int = 256,
        buffer_ms: int = 250,
    ) -> None: ...
    def start(self) -> None:
        """Start the I2S reads."""
    def stop(self) -> None:
        """Stop them."""
