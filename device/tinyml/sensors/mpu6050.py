"""InvenSense MPU6050 / MPU6500 accelerometer + gyroscope over I2C.

    imu = MPU6050(I2C(0), rate=100, range=4, gyro=True, int_pin=Pin(4))
    imu.enable_interrupt("motion", threshold=0.3)   # g, wakes the MCU through int_pin

Samples are ax, ay, az (and gx, gy, gz with gyro=True) in counts, typecode "h";
`scale` is g per count, `gyro_scale` degrees/s per count (+-2000 dps).
"""

from micropython import const

import tinyml.clock as clock

from . import IMU, clamp

_SMPLRT_DIV = const(0x19)
_CONFIG = const(0x1A)
_GYRO_CONFIG = const(0x1B)
_ACCEL_CONFIG = const(0x1C)
_ACCEL_CONFIG2 = const(0x1D)  # MPU6500 only
_MOT_THR = const(0x1F)  # MPU6050: 2 mg/LSB; MPU6500 WOM_THR: 4 mg/LSB
_MOT_DUR = const(0x20)  # MPU6050 only, ms
_FIFO_EN = const(0x23)
_INT_PIN_CFG = const(0x37)
_INT_ENABLE = const(0x38)
_INT_STATUS = const(0x3A)
_ACCEL_XOUT_H = const(0x3B)
_ACCEL_INTEL_CTRL = const(0x69)  # MPU6500 only
_USER_CTRL = const(0x6A)
_PWR_MGMT_1 = const(0x6B)
_FIFO_COUNTH = const(0x72)
_FIFO_R_W = const(0x74)
_WHO_AM_I = const(0x75)

_FIFO_ACCEL = const(0x08)
_FIFO_GYRO = const(0x70)
_INT_DATA_RDY = const(0x01)
_INT_MOTION = const(0x40)
_FIFO_BYTES_6050 = const(1024)
_FIFO_BYTES_6500 = const(512)
_INTERNAL_RATE = const(1000)  # Hz, with the digital low-pass filter on

_RANGE_CODES = {2: 0, 4: 1, 8: 2, 16: 3}


class MPU6050(IMU):
    ADDRESSES = (0x68, 0x69)
    WHO_AM_I_REG = _WHO_AM_I
    WHO_AM_I = {0x68: "MPU6050", 0x70: "MPU6500"}
    _INT_STATUS_REG = _INT_STATUS
    gyro_scale = 1 / 16.4

    def __init__(self, i2c, addr=0x68, *, rate=100, range=2, gyro=False, fifo=True, int_pin=None):
        super().__init__(i2c, addr, int_pin, fifo)
        self.channels = 6 if gyro else 3
        self._frame = bytearray(14 if gyro else 6)
        self._fifo_frame = bytearray(2 * self.channels)
        self._count = bytearray(2)
        self._fifo_bytes = _FIFO_BYTES_6500 if self.model == "MPU6500" else _FIFO_BYTES_6050
        # A full FIFO's oldest bytes are the tail of a frame (its size is no multiple of one).
        self._partial = bytearray(self._fifo_bytes % len(self._fifo_frame))
        self._make_sample()
        self._write8(_PWR_MGMT_1, 0x80)  # reset every register to its default
        clock.sleep_ms(100)
        self._write8(_PWR_MGMT_1, 0x01)  # wake, clock from the X gyro PLL
        self._write8(_CONFIG, 0x01)  # low-pass filter on: the 1 kHz internal rate
        if self.model == "MPU6500":
            self._write8(_ACCEL_CONFIG2, 0x01)
        self._write8(_GYRO_CONFIG, 0x18)  # +-2000 dps
        self.rate = rate
        self.range = range
        if fifo:
            self._write8(_FIFO_EN, _FIFO_ACCEL | (_FIFO_GYRO if gyro else 0))
            self._reset_fifo()

    def _apply_rate(self, hz):
        if hz < 4 or hz > _INTERNAL_RATE or _INTERNAL_RATE % hz:
            raise ValueError(
                "%s: rate must divide 1000 Hz, between 4 and 1000, not %r" % (self.model, hz)
            )
        self._write8(_SMPLRT_DIV, _INTERNAL_RATE // hz - 1)

    def _apply_range(self, g):
        self._update8(_ACCEL_CONFIG, 0x18, _RANGE_CODES[g] << 3)
        return g / 32768

    def _reset_fifo(self):
        self._write8(_USER_CTRL, 0x04)  # FIFO_RESET
        self._write8(_USER_CTRL, 0x40)  # FIFO_EN

    def available(self):
        if not self._fifo:
            return 1 if self._read8(_INT_STATUS) & _INT_DATA_RDY else 0
        self._i2c.readfrom_mem_into(self._addr, _FIFO_COUNTH, self._count)
        count = (self._count[0] << 8) | self._count[1]
        if count >= self._fifo_bytes:
            # Full: the chip has written over its oldest bytes, one byte at a time, so they
            # start inside a frame. INT_STATUS's overflow bit cannot tell: any read clears it
            # (INT_RD_CLEAR). Read the partial frame away; the frames after it are whole.
            self.overruns += 1
            self._i2c.readfrom_mem_into(self._addr, _FIFO_R_W, self._partial)
            count -= len(self._partial)
        return count // len(self._fifo_frame)

    def read_into(self, sample):
        """The newest sample, from the data registers."""
        frame = self._frame
        self._i2c.readfrom_mem_into(self._addr, _ACCEL_XOUT_H, frame)
        _unpack_be(frame, 0, sample, 0, 3)
        if len(frame) == 14:
            _unpack_be(frame, 8, sample, 3, 3)  # after the two temperature bytes

    def drain(self, window):
        if not self._fifo:
            return super().drain(window)
        n = min(self.available(), window.until_due())
        frame = self._fifo_frame
        sample = self._sample
        for _ in range(n):
            self._i2c.readfrom_mem_into(self._addr, _FIFO_R_W, frame)
            _unpack_be(frame, 0, sample, 0, self.channels)
            window.push(sample)
        return n

    def _route_interrupt(self, event, threshold, duration_ms):
        # INT stays high until clear_interrupt() or any other register read.
        self._write8(_INT_PIN_CFG, 0x30)  # active high, push-pull, latched, cleared by any read
        if event is None:
            self._write8(_INT_ENABLE, 0)
        elif event == "data":
            self._write8(_INT_ENABLE, _INT_DATA_RDY)
        else:
            if self.model == "MPU6500":
                self._write8(_MOT_THR, clamp(int(threshold / 0.004), 1, 255))
                self._write8(_ACCEL_INTEL_CTRL, 0xC0)  # compare each sample with the previous
            else:
                self._write8(_MOT_THR, clamp(int(threshold / 0.002), 1, 255))
                self._write8(_MOT_DUR, clamp(duration_ms, 1, 255))
                self._update8(_ACCEL_CONFIG, 0x07, 0x01)  # 5 Hz high-pass: motion, not gravity
            self._write8(_INT_ENABLE, _INT_MOTION)


def _unpack_be(frame, offset, sample, index, count):
    for k in range(count):
        value = (frame[offset] << 8) | frame[offset + 1]
        sample[index + k] = value - 0x10000 if value & 0x8000 else value
        offset += 2
