"""Analog input with oversampling, and the I2S microphone's callback, on fakes."""

from array import array

import check
import tinyml.clock as clock
from fakes import FakeADC
from tinyml import Window
from tinyml.sensors import Analog, Mic

adc = FakeADC([100, 200, 300, 400, 1000, 1000, 1000, 1000])
knob = Analog(adc, rate=100, oversample=4)
check.eq("a sample is due at once", knob.available(), 1)
sample = array("H", (0,))
knob.read_into(sample)
check.eq("mean of 4 conversions", (sample[0], adc.reads), (250, 4))
check.eq("next one after a period", knob.available(), 0)
clock.sleep_ms(10)
check.eq("due after 10 ms", knob.available(), 1)
clock.sleep_ms(40)
win = Window(2, typecode="H")
check.eq(
    "ADC has no FIFO: one sample, missed periods counted", (knob.drain(win), knob.overruns), (1, 4)
)
check.raises("oversample >= 1", ValueError, Analog, adc, oversample=0)


class FakeI2S:
    """Stands in for the bus after start(): tests call the callback as the DMA would."""

    def __init__(self):
        self.reads = 0

    def readinto(self, buf):
        self.reads += 1


mic = Mic(0, sck=None, ws=None, sd=None, rate=16000, block=4, buffer_ms=1)  # 16-sample ring
bus = FakeI2S()
slots = mic._raw  # what the bus wrote: 32-bit slots, 24-bit data left-justified
for k, value in enumerate((1000, -1000, 32767, -32768)):
    slots[2 * k] = 0x1234  # low 16 bits of the slot: discarded
    slots[2 * k + 1] = value
mic._on_block(bus)
check.eq("callback re-arms the read", bus.reads, 1)
check.eq("block in the ring", mic.available(), 4)
audio = Window(4, hop=2)
check.eq(
    "top 16 bits of each slot",
    (mic.drain(audio), list(audio.view())),
    (4, [1000, -1000, 32767, -32768]),
)
for _ in range(5):
    mic._on_block(bus)
check.eq("full ring drops whole blocks, counted", (mic.available(), mic.overruns), (16, 4))
audio = Window(6, hop=6)
check.eq("drain across the ring's end", (mic.drain(audio), mic.available()), (6, 10))


def blocks(n):
    for _ in range(n):
        mic._on_block(bus)
        mic.drain(audio)
        if audio.due:
            audio.view()


blocks(20)
check.eq("callback + drain allocate nothing", check.allocated(blocks, 1000), 0)
