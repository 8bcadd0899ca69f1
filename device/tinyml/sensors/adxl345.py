"""Analog Devices ADXL345 accelerometer over I2C.

    imu = ADXL345(I2C(0), rate=100, range=8, int_pin=Pin(4))
    imu.enable_interrupt("motion", threshold=0.5)   # g, on INT1

Samples are ax, ay, az in counts, typecode "h", in full-resolution mode: `scale` is
1/256 g per count at every range. The 32-sample FIFO runs in stream mode.
"""

from micropython import const

import tinyml.clock as clock

from . import I2CDevice, clamp

_DEVID = const(0x00)
_THRESH_ACT = const(0x24)  # 62.5 mg/LSB
_ACT_INACT_CTL = const(0x27)
_BW_RATE = const(0x2C)
_POWER_CTL = const(0x2D)
_INT_ENABLE = const(0x2E)
_INT_MAP = const(0x2F)
_INT_SOURCE = const(0x30)
_DATA_FORMAT = const(0x31)
_DATAX0 = const(0x32)
_FIFO_CTL = const(0x38)
_FIFO_STATUS = const(0x39)

_INT_DATA_READY = const(0x80)
_INT_ACTIVITY = const(0x10)
_INT_OVERRUN = const(0x01)
_FULL_RES = const(0x08)
_MEASURE = const(0x08)
_FIFO_STREAM = const(0x80)

_RATES = {25: 0x08, 50: 0x09, 100: 0x0A, 200: 0x0B, 400: 0x0C, 800: 0x0D, 1600: 0x0E, 3200: 0x0F}
_RANGES = {2: 0, 4: 1, 8: 2, 16: 3}


class ADXL345(I2CDevice):
    ADDRESSES = (0x53, 0x1D)
    WHO_AM_I_REG = _DEVID
    WHO_AM_I = (0xE5,)
    typecode = "h"
    unit = "g"
    channels = 3
    scale = 1 / 256

    def __init__(self, i2c, addr=0x53, *, rate=100, range=2, gyro=False, fifo=True, int_pin=None):
        super().__init__(i2c, addr)
        if gyro:
            raise ValueError("ADXL345: the chip has no gyroscope")
        who = self._read8(_DEVID)
        if who not in self.WHO_AM_I:
            raise OSError("ADXL345: DEVID at 0x%02x is 0x%02x, not 0xe5" % (addr, who))
        self.model = "ADXL345"
        self.int_pin = int_pin
        self._fifo = fifo
        self._make_sample()
        self._write8(_POWER_CTL, 0)  # standby while configuring
        self.rate = rate
        self.range = range
        self._write8(_FIFO_CTL, (_FIFO_STREAM | 16) if fifo else 0)
        self._write8(_POWER_CTL, _MEASURE)
        clock.sleep_ms(2)

    @property
    def rate(self):
        return self._rate

    @rate.setter
    def rate(self, hz):
        code = _RATES.get(hz)
        if code is None:
            raise ValueError("ADXL345: rate must be one of %s Hz, not %r" % (sorted(_RATES), hz))
        self._write8(_BW_RATE, code)
        self._rate = hz

    @property
    def range(self):
        return self._range

    @range.setter
    def range(self, g):
        code = _RANGES.get(g)
        if code is None:
            raise ValueError("ADXL345: range must be 2, 4, 8 or 16 (g), not %r" % (g,))
        self._write8(_DATA_FORMAT, _FULL_RES | code)
        self._range = g

    def available(self):
        if not self._fifo:
            return 1 if self._read8(_INT_SOURCE) & _INT_DATA_READY else 0
        # Overrun is a sticky bit in INT_SOURCE; reading the source clears the activity bit,
        # so only look when the FIFO is full.
        entries = self._read8(_FIFO_STATUS) & 0x3F
        if entries >= 32 and self._read8(_INT_SOURCE) & _INT_OVERRUN:
            self.overruns += 1
        return entries

    def read_into(self, sample):
        """The next sample: the newest, or with the FIFO on, the oldest it holds."""
        self._i2c.readfrom_mem_into(self._addr, _DATAX0, sample)

    def enable_interrupt(self, event="data", *, threshold=0.1, duration_ms=0):
        """Drive INT1 high on `event`: "data" (sample ready), "motion" (activity: an axis,
        ac-coupled, moves by more than `threshold` g), or None (off). The chip has no activity
        duration, so `duration_ms` is accepted for a common interface and has no effect."""
        self._write8(_INT_MAP, 0)  # every source to INT1
        if event is None:
            self._write8(_INT_ENABLE, 0)
        elif event == "data":
            self._write8(_INT_ENABLE, _INT_DATA_READY)
        elif event == "motion":
            self._write8(_THRESH_ACT, clamp(int(threshold / 0.0625), 1, 255))
            self._write8(_ACT_INACT_CTL, 0xF0)  # ac-coupled activity on x, y and z
            self._write8(_INT_ENABLE, _INT_ACTIVITY)
        else:
            raise ValueError("ADXL345: interrupt event must be 'data', 'motion' or None")

    def clear_interrupt(self):
        return self._read8(_INT_SOURCE)
