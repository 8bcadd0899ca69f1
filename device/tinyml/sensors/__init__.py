"""Sensors behind one interface: IMUs over I2C, an I2S microphone, analog input, recordings.

    from machine import I2C, Pin
    import tinyml.sensors as sensors
    imu = sensors.imu(I2C(0), int_pin=Pin(4))  # MPU6050/6500, LSM6DS3/DSOX or ADXL345, by WHO_AM_I
    imu.rate = 100                             # Hz
    imu.range = 4                              # +-4 g; imu.scale is g per count
    n = imu.drain(win)                         # every waiting sample (FIFO) into a Window

Every sensor has `channels`, `typecode`, `rate` (Hz), `scale` (unit per count), `unit`,
`overruns` (samples the sensor had to drop), `read_into(sample)` (the newest sample),
`available()` and `drain(window)`. IMUs also have `int_pin` and `enable_interrupt(...)`.
"""

from array import array

_IMU_ADDRESSES = (0x68, 0x69, 0x6A, 0x6B, 0x53, 0x1D)
_RANGES = (2, 4, 8, 16)  # +-g: every IMU driver's full scales


class Sensor:
    overruns = 0
    int_pin = None

    def _make_sample(self):
        self._sample = array(self.typecode, [0] * self.channels)

    def drain(self, window):
        """Push waiting samples into `window`, stopping when a window is due.

        Returns how many were pushed; never waits.
        """
        n = min(self.available(), window.until_due())
        sample = self._sample
        for _ in range(n):
            self.read_into(sample)
            window.push(sample)
        return n


class I2CDevice(Sensor):
    """A chip on an I2C bus, with register helpers that do not allocate."""

    def __init__(self, i2c, addr):
        self._i2c = i2c
        self._addr = addr
        self._byte = bytearray(1)

    def _read8(self, reg):
        self._i2c.readfrom_mem_into(self._addr, reg, self._byte)
        return self._byte[0]

    def _write8(self, reg, value):
        self._byte[0] = value
        self._i2c.writeto_mem(self._addr, reg, self._byte)

    def _update8(self, reg, mask, value):
        self._write8(reg, (self._read8(reg) & ~mask) | value)


class IMU(I2CDevice):
    """An accelerometer, with a gyroscope on some chips: samples in counts, typecode "h";
    `rate` (Hz) and `range` (+-g) can be set at any time; `enable_interrupt` routes the chip's
    data-ready or motion detector to its interrupt pin.

    A driver names its chips by the id its register `WHO_AM_I_REG` holds (`WHO_AM_I`: id ->
    model) and implements `_apply_rate(hz)` (a ValueError, before any change, for a rate the
    chip lacks), `_apply_range(g)` (returns the g per count at that range) and
    `_route_interrupt(event, threshold, duration_ms)`; `_INT_STATUS_REG` is the register whose
    read clears the interrupt.
    """

    typecode = "h"
    unit = "g"

    def __init__(self, i2c, addr, int_pin, fifo):
        super().__init__(i2c, addr)
        who = self._read8(self.WHO_AM_I_REG)
        if who not in self.WHO_AM_I:
            raise OSError(
                "no %s at I2C address 0x%02x: register 0x%02x reads 0x%02x"
                % ("/".join(sorted(set(self.WHO_AM_I.values()))), addr, self.WHO_AM_I_REG, who)
            )
        self.model = self.WHO_AM_I[who]
        self.int_pin = int_pin
        self._fifo = fifo

    @property
    def rate(self):
        return self._rate

    @rate.setter
    def rate(self, hz):
        self._apply_rate(hz)
        self._rate = hz

    @property
    def range(self):
        return self._range

    @range.setter
    def range(self, g):
        if g not in _RANGES:
            raise ValueError("%s: range must be 2, 4, 8 or 16 (g), not %r" % (self.model, g))
        self._range = g
        self.scale = self._apply_range(g)

    def enable_interrupt(self, event="data", *, threshold=0.1, duration_ms=0):
        """Drive the interrupt pin on `event`: "data" (a sample is ready), "motion" (an axis
        moves by more than `threshold` g, for `duration_ms` where the chip counts it), or None
        (off)."""
        if event not in (None, "data", "motion"):
            raise ValueError("%s: interrupt event must be 'data', 'motion' or None" % self.model)
        self._route_interrupt(event, threshold, duration_ms)

    def clear_interrupt(self):
        """Read the chip's interrupt status, which lowers a latched interrupt pin."""
        return self._read8(self._INT_STATUS_REG)


def clamp(value, low, high):
    return low if value < low else high if value > high else value


def imu(i2c, addr=None, **kwargs):
    """The IMU on `i2c`, found by address and WHO_AM_I; keyword arguments go to its driver."""
    from .adxl345 import ADXL345
    from .lsm6ds import LSM6DS
    from .mpu6050 import MPU6050

    drivers = (MPU6050, LSM6DS, ADXL345)
    present = i2c.scan() if addr is None else [addr]
    byte = bytearray(1)
    for address in present:
        if address not in _IMU_ADDRESSES:
            continue
        for driver in drivers:
            if address not in driver.ADDRESSES:
                continue
            i2c.readfrom_mem_into(address, driver.WHO_AM_I_REG, byte)
            if byte[0] in driver.WHO_AM_I:
                return driver(i2c, address, **kwargs)
    raise OSError(
        "no supported IMU (MPU6050/6500, LSM6DS3/DSOX, ADXL345) on the I2C bus;"
        " devices found at %s" % [hex(a) for a in present]
    )


_DRIVERS = {
    "MPU6050": "mpu6050",
    "LSM6DS": "lsm6ds",
    "ADXL345": "adxl345",
    "Mic": "mic",
    "Analog": "analog",
    "Replay": "replay",
}


def __getattr__(name):
    # Drivers load on first use: a board with one IMU pays RAM for one driver.
    submodule = _DRIVERS.get(name)
    if submodule is None:
        raise AttributeError(name)
    module = __import__("tinyml.sensors." + submodule, None, None, (name,))
    return getattr(module, name)
