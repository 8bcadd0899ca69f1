"""Fake hardware for device tests on the unix port: an I2C bus with register-level models of
the IMU chips, an ADC, an I2S bus, and a model with the tinyml.Model tensor interface.

The chip models implement what the datasheets say the drivers rely on: WHO_AM_I, the
configuration registers (kept, so tests read back what a driver wrote), data registers in
the chip's byte order, the status bits, and the FIFO with its count, data port and overrun.
"""

from array import array

import uctypes


def _bytes_of(buf):
    """A bytearray over the memory of any buffer (array("h") included)."""
    return uctypes.bytearray_at(uctypes.addressof(buf), len(bytes(buf)))


def _i16(value):
    return value & 0xFFFF


class FakeI2C:
    def __init__(self, *chips):
        self.chips = {}
        for chip in chips:
            self.chips[chip.addr] = chip

    def scan(self):
        return sorted(self.chips)

    def _chip(self, addr):
        chip = self.chips.get(addr)
        if chip is None:
            raise OSError(19)  # ENODEV: nobody acknowledged the address
        return chip

    def readfrom_mem_into(self, addr, reg, buf):
        raw = _bytes_of(buf)
        self._chip(addr).read(reg, raw)

    def writeto_mem(self, addr, reg, buf):
        self._chip(addr).write(reg, bytes(buf))


class Chip:
    """256 registers with auto-increment; subclasses add data, status and FIFO."""

    FIFO_PORT = -1
    FIFO_WORD = 1

    def __init__(self, addr, who_reg, who):
        self.addr = addr
        self.regs = bytearray(256)
        self.who_reg = who_reg
        self.regs[who_reg] = who
        self.fifo = []  # words of FIFO_WORD bytes, oldest first
        self.writes = []

    def read(self, reg, raw):
        if reg == self.FIFO_PORT:
            self.read_fifo(raw)
            return
        for i in range(len(raw)):
            raw[i] = self.read_reg(reg + i)

    def read_reg(self, reg):
        return self.regs[reg]

    def write(self, reg, data):
        for i, value in enumerate(data):
            self.writes.append((reg + i, value))
            self.write_reg(reg + i, value)

    def write_reg(self, reg, value):
        self.regs[reg] = value

    def read_fifo(self, raw):
        # One word per transaction, as the drivers read it.
        word = self.fifo.pop(0) if self.fifo else bytes(self.FIFO_WORD)
        raw[0 : len(raw)] = word[0 : len(raw)]


class MPU6050Chip(Chip):
    FIFO_PORT = 0x74
    FIFO_BYTES = 1024

    def __init__(self, addr=0x68, who=0x68):
        super().__init__(addr, 0x75, who)
        self.fifo_bytes = bytearray()
        self.regs[0x6B] = 0x40  # asleep after power-on

    def write_reg(self, reg, value):
        if reg == 0x6B and value & 0x80:
            who = self.regs[0x75]
            self.regs = bytearray(256)
            self.regs[0x75] = who
            self.regs[0x6B] = 0x40
            return
        if reg == 0x6A and value & 0x04:
            self.fifo_bytes = bytearray()
            value &= ~0x04
        self.regs[reg] = value

    def read_reg(self, reg):
        count = len(self.fifo_bytes)
        if reg == 0x72:
            return count >> 8
        if reg == 0x73:
            return count & 0xFF
        value = self.regs[reg]
        if reg == 0x3A:
            self.regs[0x3A] = 0  # INT_STATUS clears on read
        return value

    def read_fifo(self, raw):
        n = len(raw)
        raw[0:n] = self.fifo_bytes[0:n]
        self.fifo_bytes = self.fifo_bytes[n:]

    def sample(self, ax, ay, az, gx=0, gy=0, gz=0):
        """The chip measures one sample."""
        values = (ax, ay, az, 0, gx, gy, gz)
        for k, v in enumerate(values):
            v = _i16(v)
            self.regs[0x3B + 2 * k] = v >> 8
            self.regs[0x3C + 2 * k] = v & 0xFF
        self.regs[0x3A] |= 0x01
        if self.regs[0x6A] & 0x40:
            frame = bytearray()
            chosen = ()
            if self.regs[0x23] & 0x08:
                chosen += (ax, ay, az)
            if self.regs[0x23] & 0x70 == 0x70:
                chosen += (gx, gy, gz)
            for v in chosen:
                v = _i16(v)
                frame.append(v >> 8)
                frame.append(v & 0xFF)
            self.fifo_bytes += frame
            if len(self.fifo_bytes) > self.FIFO_BYTES:
                self.fifo_bytes = self.fifo_bytes[len(self.fifo_bytes) - self.FIFO_BYTES :]
                self.regs[0x3A] |= 0x10


class LSM6DSChip(Chip):
    def __init__(self, addr=0x6A, who=0x6C):
        super().__init__(addr, 0x0F, who)
        self.dsox = who == 0x6C
        self.FIFO_PORT = 0x78 if self.dsox else 0x3E
        self.FIFO_WORD = 7 if self.dsox else 2
        self.capacity = 512 if self.dsox else 4096  # records / 16-bit words
        self.overrun = False

    def write_reg(self, reg, value):
        if reg == 0x12 and value & 0x01:
            who = self.regs[0x0F]
            self.regs = bytearray(256)
            self.regs[0x0F] = who
            self.regs[0x12] = 0x04
            self.fifo = []
            return
        mode_reg = 0x0A
        if reg == mode_reg and value & 0x07 == 0:
            self.fifo = []  # bypass mode empties the FIFO
            self.overrun = False
        self.regs[reg] = value

    def read_reg(self, reg):
        n = len(self.fifo)
        if reg == 0x3A:
            return n & 0xFF
        if reg == 0x3B:
            return (n >> 8) | (0x40 if self.overrun else 0)
        return self.regs[reg]

    def sample(self, ax, ay, az, gx=0, gy=0, gz=0):
        for k, v in enumerate((gx, gy, gz, ax, ay, az)):
            v = _i16(v)
            self.regs[0x22 + 2 * k] = v & 0xFF
            self.regs[0x23 + 2 * k] = v >> 8
        self.regs[0x1E] |= 0x01 | (0x02 if self.regs[0x11] else 0)
        if self.regs[0x0A] & 0x07 != 0b110:
            return
        words = []
        if self.dsox:
            bdr = self.regs[0x09]
            if bdr >> 4:
                words.append(bytes([0x01 << 3]) + _le(gx, gy, gz))
            if bdr & 0x0F:
                words.append(bytes([0x02 << 3]) + _le(ax, ay, az))
        else:
            dec = self.regs[0x08]
            if (dec >> 3) & 0x07:
                words += [_le(v) for v in (gx, gy, gz)]
            if dec & 0x07:
                words += [_le(v) for v in (ax, ay, az)]
        self.fifo += words
        if len(self.fifo) > self.capacity:
            del self.fifo[0 : len(self.fifo) - self.capacity]
            self.overrun = True


def _le(*values):
    out = bytearray()
    for v in values:
        v = _i16(v)
        out.append(v & 0xFF)
        out.append(v >> 8)
    return bytes(out)


class ADXL345Chip(Chip):
    FIFO_PORT = 0x32
    FIFO_WORD = 6

    def __init__(self, addr=0x53):
        super().__init__(addr, 0x00, 0xE5)
        self.latest = bytes(6)

    def read_reg(self, reg):
        if reg == 0x39:
            return len(self.fifo)
        value = self.regs[reg]
        if reg == 0x30:
            self.regs[0x30] &= 0x82  # reading INT_SOURCE clears all but data ready/watermark
        return value

    def read_fifo(self, raw):
        if self.regs[0x38] & 0xC0 and self.fifo:
            word = self.fifo.pop(0)
        else:
            word = self.latest
        raw[0 : len(raw)] = word[0 : len(raw)]

    def sample(self, ax, ay, az):
        if not self.regs[0x2D] & 0x08:
            return  # standby: no measurements
        self.latest = _le(ax, ay, az)
        self.regs[0x30] |= 0x80
        if self.regs[0x38] & 0xC0:
            self.fifo.append(self.latest)
            if len(self.fifo) > 32:
                self.fifo.pop(0)
                self.regs[0x30] |= 0x01


class FakeADC:
    """Returns the values of `readings` in turn, then repeats the last one."""

    def __init__(self, readings):
        self.readings = readings
        self.reads = 0

    def read_u16(self):
        value = self.readings[min(self.reads, len(self.readings) - 1)]
        self.reads += 1
        return value


class FakeTensor(array):
    """A tensor of int32: its memory is the array it is (so memoryview() works, as on a
    real Tensor), with the quantize/dequantize methods of tinyml.Model's tensors."""

    def quantize(self, values, scale=1):
        # Integer inputs at scale 1 only: a copy that allocates nothing, as the C version.
        if scale != 1:
            raise ValueError("FakeTensor.quantize: scale 1 only")
        for i in range(len(self)):
            self[i] = values[i]

    def dequantize(self, out=None):
        for i in range(len(self)):
            out[i] = self[i]
        return out


def tensor(shape):
    size = 1
    for n in shape:
        size *= n
    t = FakeTensor("i", bytes(4 * size))
    t.shape = shape
    t.dtype = "int32"
    t.scale = 1.0
    t.zero_point = 0
    return t


class FakeModel:
    """Output = the sum of the input, then the input's last item: easy to predict."""

    def __init__(self, inputs):
        self._in = tensor((1, inputs))
        self._out = tensor((1, 2))
        self.invokes = 0

    def input(self, i):
        return self._in

    def output(self, i):
        return self._out

    def invoke(self):
        data = self._in
        total = 0
        for i in range(len(data)):
            total += data[i]
        self._out[0] = total
        self._out[1] = data[len(data) - 1]
        self.invokes += 1


class FakePin:
    """A GPIO input whose edges the test makes."""

    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self):
        self.handler = None
        self.level = 0

    def irq(self, handler=None, trigger=IRQ_RISING, hard=False):
        self.handler = handler
        self.trigger = trigger
        self.hard = hard

    def value(self):
        return self.level

    def edge(self):
        self.level ^= 1
        self.handler(self)
