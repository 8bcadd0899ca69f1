"""Analog Devices ADXL345 accelerometer over I2C.

    imu = ADXL345(I2C(0), rate=100, range=8, int_pin=Pin(4))
    imu.enable_interrupt("motion", threshold=0.5)   # g, on INT1

Samples are ax, ay, az in counts, typecode "h", in full-resolution mode: `scale` is
1/256 g per count at every range. The 32-sample FIFO runs in stream mode.
"""

from micropython import const

import tinyml.clock as clock

from . import IMU, clamp

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
_RANGE_CODES = {2: 0, 4: 1, 8: 2, 16: 3}


class ADXL345(IMU):
    ADDRESSES = (0x53, 0x1D)
    WHO_AM_I_REG = _DEVID
    WHO_AM_I = {0xE5: "ADXL345"}
    _INT_STATUS_REG = _INT_SOURCE
    channels = 3

    def __init__(self, i2c, addr=0x53, *, rate=100, range=2, gyro=False, fifo=True, int_pin=None):
        if gyro:
            raise ValueError("ADXL345: the chip has no gyroscope")
        super().__init__(i2c, addr, int_pin, fifo)
        self._make_sample()
        self._write8(_POWER_CTL, 0)  # standby while configuring
        self.rate = rate
        self.range = range
        self._write8(_FIFO_CTL, (_FIFO_STREAM | 16) if fifo else 0)
        self._write8(_POWER_CTL, _MEASURE)
        clock.sleep_ms(2)

    def _apply_rate(self, hz):
        code = _RATES.get(hz)
        if code is None:
            raise ValueError("ADXL345: rate must be one of %s Hz, not %r" % (sorted(_RATES), hz))
        self._write8(_BW_RATE, code)

    def _apply_range(self, g):
        self._write8(_DATA_FORMAT, _FULL_RES | _RANGE_CODES[g])
        return 1 / 256  # full resolution: the same at every range

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

    def _route_interrupt(self, event, threshold, duration_ms):
        # Motion is activity: an axis, ac-coupled, moves by more than `threshold` g. The chip
        # counts no duration, so `duration_ms` has no effect.
        self._write8(_INT_MAP, 0)  # every source to INT1
        if event is None:
            self._write8(_INT_ENABLE, 0)
        elif event == "data":
            self._write8(_INT_ENABLE, _INT_DATA_READY)
        else:
            self._write8(_THRESH_ACT, clamp(int(threshold / 0.0625), 1, 255))
            self._write8(_ACT_INACT_CTL, 0xF0)  # ac-coupled activity on x, y and z
            self._write8(_INT_ENABLE, _INT_ACTIVITY)
