"""ST LSM6DS3 (and LSM6DS3TR-C/LSM6DSL) and LSM6DSOX (and LSM6DSO) over I2C.

    imu = LSM6DS(I2C(0), rate=104, range=4, int_pin=Pin(4))
    imu.enable_interrupt("motion", threshold=0.25)   # g, on INT1

Samples are ax, ay, az (and gx, gy, gz with gyro=True) in counts, typecode "h";
`scale` is g per count, `gyro_scale` degrees/s per count (+-2000 dps). The two families
share configuration and data registers and differ in FIFO layout: the DS3 FIFO holds
16-bit words, gyro first; the DSOX FIFO holds 7-byte records, each with a tag byte.
"""

from micropython import const

import tinyml.clock as clock

from . import IMU, clamp

_FIFO_CTRL3_DS3 = const(0x08)  # decimation: gyro bits 5:3, accel bits 2:0
_FIFO_CTRL5_DS3 = const(0x0A)  # FIFO ODR bits 6:3, mode bits 2:0
_FIFO_CTRL3_DSOX = const(0x09)  # batch rate: gyro bits 7:4, accel bits 3:0
_FIFO_CTRL4_DSOX = const(0x0A)  # mode bits 2:0
_INT1_CTRL = const(0x0D)
_WHO_AM_I = const(0x0F)
_CTRL1_XL = const(0x10)
_CTRL2_G = const(0x11)
_CTRL3_C = const(0x12)
_WAKE_UP_SRC = const(0x1B)
_STATUS = const(0x1E)
_OUTX_L_G = const(0x22)
_OUTX_L_XL = const(0x28)
_FIFO_STATUS1 = const(0x3A)
_FIFO_STATUS2 = const(0x3B)
_FIFO_DATA_OUT_L_DS3 = const(0x3E)
_TAP_CFG = const(0x58)  # TAP_CFG on DS3, TAP_CFG2 on DSOX
_WAKE_UP_THS = const(0x5B)
_WAKE_UP_DUR = const(0x5C)
_MD1_CFG = const(0x5E)
_FIFO_DATA_OUT_TAG_DSOX = const(0x78)

_FIFO_CONTINUOUS = const(0b110)
_TAG_GYRO = const(0x01)
_TAG_ACCEL = const(0x02)

_ODR = {13: 1, 26: 2, 52: 3, 104: 4, 208: 5, 416: 6, 833: 7, 1660: 8, 3330: 9, 6660: 10}
_RANGE_CODES = {2: 0b00, 4: 0b10, 8: 0b11, 16: 0b01}


class LSM6DS(IMU):
    ADDRESSES = (0x6A, 0x6B)
    WHO_AM_I_REG = _WHO_AM_I
    # LSM6DS3TR-C and LSM6DSL (0x6A) work as an LSM6DS3, LSM6DSO as an LSM6DSOX.
    WHO_AM_I = {0x69: "LSM6DS3", 0x6A: "LSM6DS3", 0x6C: "LSM6DSOX"}
    _INT_STATUS_REG = _WAKE_UP_SRC
    gyro_scale = 0.07

    def __init__(self, i2c, addr=0x6A, *, rate=104, range=2, gyro=False, fifo=True, int_pin=None):
        super().__init__(i2c, addr, int_pin, fifo)
        self.channels = 6 if gyro else 3
        self._gyro = gyro
        self._raw = bytearray(12)  # gyro xyz then accel xyz, little-endian
        self._word = bytearray(7 if self.model == "LSM6DSOX" else 2)
        self._count = bytearray(2)
        self._make_sample()
        self._write8(_CTRL3_C, 0x01)  # software reset
        clock.sleep_ms(10)
        self._write8(_CTRL3_C, 0x44)  # block data update, register address auto-increment
        self._range = 2
        self.rate = rate
        self.range = range

    def _apply_rate(self, hz):
        odr = _ODR.get(hz)
        if odr is None:
            raise ValueError(
                "%s: rate must be one of %s Hz, not %r" % (self.model, sorted(_ODR), hz)
            )
        self._configure(odr)

    def _apply_range(self, g):
        self._configure(_ODR[self._rate])
        return g / 32768

    def _configure(self, odr):
        self._write8(_CTRL1_XL, (odr << 4) | (_RANGE_CODES[self._range] << 2))
        self._write8(_CTRL2_G, ((odr << 4) | 0x0C) if self._gyro else 0)  # +-2000 dps or off
        if not self._fifo:
            return
        # Bypass first: changing mode empties the FIFO, so it restarts on a sample boundary.
        if self.model == "LSM6DSOX":
            self._write8(_FIFO_CTRL4_DSOX, 0)
            self._write8(_FIFO_CTRL3_DSOX, ((odr << 4) if self._gyro else 0) | odr)
            self._write8(_FIFO_CTRL4_DSOX, _FIFO_CONTINUOUS)
        else:
            self._write8(_FIFO_CTRL5_DS3, 0)
            self._write8(_FIFO_CTRL3_DS3, (0b001 << 3 if self._gyro else 0) | 0b001)
            self._write8(_FIFO_CTRL5_DS3, (odr << 3) | _FIFO_CONTINUOUS)

    def available(self):
        if not self._fifo:
            return 1 if self._read8(_STATUS) & 0x01 else 0  # XLDA
        self._i2c.readfrom_mem_into(self._addr, _FIFO_STATUS1, self._count)
        status2 = self._count[1]
        if status2 & 0x40:  # overrun: the oldest data was overwritten
            self.overruns += 1
        if self.model == "LSM6DSOX":
            records = ((status2 & 0x03) << 8) | self._count[0]
            return records // (2 if self._gyro else 1)
        words = ((status2 & 0x0F) << 8) | self._count[0]
        return words // self.channels

    def read_into(self, sample):
        """The newest sample, from the data registers."""
        raw = self._raw
        self._i2c.readfrom_mem_into(self._addr, _OUTX_L_G, raw)
        _unpack_le(raw, 6, sample, 0)
        if self._gyro:
            _unpack_le(raw, 0, sample, 3)

    def drain(self, window):
        if not self._fifo:
            return super().drain(window)
        n = min(self.available(), window.until_due())
        sample = self._sample
        word = self._word
        i2c = self._i2c
        addr = self._addr
        for _ in range(n):
            if self.model == "LSM6DSOX":
                for _ in range(2 if self._gyro else 1):
                    i2c.readfrom_mem_into(addr, _FIFO_DATA_OUT_TAG_DSOX, word)
                    tag = word[0] >> 3
                    if tag == _TAG_ACCEL:
                        _unpack_le(word, 1, sample, 0)
                    elif tag == _TAG_GYRO:
                        _unpack_le(word, 1, sample, 3)
            else:
                # Words come gyro xyz (when on) then accel xyz.
                first = 3 if self._gyro else 0
                for k in range(self.channels):
                    i2c.readfrom_mem_into(addr, _FIFO_DATA_OUT_L_DS3, word)
                    value = word[0] | (word[1] << 8)
                    index = first + k if first + k < self.channels else first + k - 6
                    sample[index] = value - 0x10000 if value & 0x8000 else value
            window.push(sample)
        return n

    def _route_interrupt(self, event, threshold, duration_ms):
        # To INT1. Motion: the change between samples exceeds `threshold` g on any axis.
        if event is None:
            self._write8(_INT1_CTRL, 0)
            self._write8(_MD1_CFG, 0)
        elif event == "data":
            self._write8(_MD1_CFG, 0)
            self._write8(_INT1_CTRL, 0x01)  # INT1_DRDY_XL
        else:
            self._write8(_INT1_CTRL, 0)
            # DS3: slope filter feeds wake-up; DSOX: the interrupt enable bit.
            self._write8(_TAP_CFG, 0x80 if self.model == "LSM6DSOX" else 0x10)
            self._write8(_WAKE_UP_DUR, clamp(duration_ms * self._rate // 1000, 0, 3) << 5)
            self._write8(_WAKE_UP_THS, clamp(int(threshold * 64 / self._range), 1, 63))
            self._write8(_MD1_CFG, 0x20)  # INT1_WU


def _unpack_le(raw, offset, sample, index):
    for k in range(3):
        value = raw[offset] | (raw[offset + 1] << 8)
        sample[index + k] = value - 0x10000 if value & 0x8000 else value
        offset += 2
