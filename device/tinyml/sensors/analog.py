"""Analog input (a potentiometer, a microphone's envelope, a current sensor) over machine.ADC.

    knob = Analog(ADC(Pin(26)), rate=50, oversample=8)
    n = knob.drain(win)

Each sample is the mean of `oversample` conversions (typecode "H", 0..65535, `scale`
1/65535 of the reference voltage): oversampling trades conversions for noise. The ADC has
no FIFO: a sample is taken when asked, at most one per period; periods missed in between
are counted in `overruns`.
"""

import tinyml.clock as clock

from . import Sensor


class Analog(Sensor):
    typecode = "H"
    unit = "full scale"
    channels = 1
    scale = 1 / 65535

    def __init__(self, adc, *, rate=100, oversample=4):
        if oversample < 1:
            raise ValueError("Analog: oversample must be >= 1")
        if rate < 1 or 1000000 % rate:
            raise ValueError("Analog: rate must divide 1000000 Hz, not %r" % (rate,))
        self._adc = adc
        self.rate = rate
        self.oversample = oversample
        self._period_us = 1000000 // rate
        self._last_us = clock.ticks_add(clock.ticks_us(), -self._period_us)
        self._make_sample()

    def available(self):
        late = clock.ticks_diff(clock.ticks_us(), self._last_us)
        return 1 if late >= self._period_us else 0

    def read_into(self, sample):
        now = clock.ticks_us()
        missed = clock.ticks_diff(now, self._last_us) // self._period_us - 1
        if missed > 0:
            self.overruns += missed
        self._last_us = now
        adc = self._adc
        total = 0
        for _ in range(self.oversample):
            total += adc.read_u16()
        sample[0] = total // self.oversample
