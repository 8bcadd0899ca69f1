from array import array

import check
import tinyml.sensors as sensors
import tinyml.trigger as trigger
from fakes import ADXL345Chip, FakeI2C, FakePin, MPU6050Chip
from tinyml import Window

chip = ADXL345Chip()
other = MPU6050Chip(addr=0x69, who=0x12)  # something else answering on the bus
imu = sensors.imu(FakeI2C(other, chip), rate=400, range=8)
check.eq(
    "found by DEVID, skipping the unknown chip", (type(imu).__name__, imu.channels), ("ADXL345", 3)
)
check.eq("BW_RATE 400 Hz", chip.regs[0x2C], 0x0C)
check.eq("full resolution, +-8 g", chip.regs[0x31], 0x08 | 0x02)
check.eq("measuring", chip.regs[0x2D], 0x08)
check.eq("FIFO stream mode", chip.regs[0x38] & 0xC0, 0x80)
check.eq("scale 3.9 mg", imu.scale, 1 / 256)
check.raises("no gyro", ValueError, sensors.ADXL345, FakeI2C(ADXL345Chip()), gyro=True)
check.raises("bad rate", ValueError, setattr, imu, "rate", 1000)

win = Window(8, channels=3, hop=8)
for i in range(5):
    chip.sample(i, 2 * i, -i)
check.eq("FIFO entries", imu.available(), 5)
check.eq("drain all", imu.drain(win), 5)
check.eq("in order", list(win.view())[9:], [0, 0, 0, 1, 2, -1, 2, 4, -2, 3, 6, -3, 4, 8, -4])
for i in range(40):
    chip.sample(i, i, i)
check.eq("32-entry FIFO, overrun counted", (imu.available(), imu.overruns), (32, 1))

imu.enable_interrupt("motion", threshold=0.5)
check.eq(
    "activity: 62.5 mg/LSB, ac-coupled xyz, to INT1",
    (chip.regs[0x24], chip.regs[0x27], chip.regs[0x2E], chip.regs[0x2F]),
    (8, 0xF0, 0x10, 0),
)

plain = sensors.ADXL345(FakeI2C(ADXL345Chip(addr=0x1D)), addr=0x1D, fifo=False)
plain_chip = plain._i2c.chips[0x1D]
plain_chip.sample(-5, 6, 256)
sample = array("h", (0, 0, 0))
check.eq("data ready", plain.available(), 1)
plain.read_into(sample)
check.eq("little-endian data registers", list(sample), [-5, 6, 256])
# The activity interrupt is latched until INT_SOURCE is read: taking the event reads it.
wired = ADXL345Chip()
wand = sensors.imu(FakeI2C(wired), int_pin=FakePin())
moved = trigger.Motion(wand, threshold=0.5)
check.eq("motion trigger set up the chip", wired.regs[0x2E], 0x10)
wired.regs[0x30] |= 0x10  # the chip saw activity and raised INT1
wand.int_pin.edge()
check.eq(
    "taking the event clears the latched activity",
    (moved.take(), wired.regs[0x30] & 0x10),
    (True, 0),
)
