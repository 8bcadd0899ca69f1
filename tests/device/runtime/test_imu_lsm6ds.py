from array import array

import check
import tinyml.sensors as sensors
from fakes import FakeI2C, LSM6DSChip
from tinyml import Window

for who, model in ((0x6C, "LSM6DSOX"), (0x69, "LSM6DS3")):
    chip = LSM6DSChip(addr=0x6B, who=who)
    imu = sensors.imu(FakeI2C(chip), rate=208, range=8, gyro=True)
    check.eq(model + " found", (type(imu).__name__, imu.model, imu.channels), ("LSM6DS", model, 6))
    check.eq(model + " CTRL1_XL: ODR 208 Hz, +-8 g", chip.regs[0x10], (5 << 4) | (0b11 << 2))
    check.eq(model + " CTRL2_G: ODR 208 Hz, 2000 dps", chip.regs[0x11], (5 << 4) | 0x0C)
    check.eq(model + " BDU and auto-increment", chip.regs[0x12], 0x44)
    check.eq(model + " scale", imu.scale, 8 / 32768)
    imu.range = 2
    check.eq(model + " range settable", chip.regs[0x10] & 0x0C, 0)
    check.raises(model + " bad rate", ValueError, setattr, imu, "rate", 100)

    chip.sample(10, -20, 30, 1, 2, 3)
    sample = array("h", bytes(12))
    imu.read_into(sample)
    check.eq(
        model + " data registers, accel first in the sample", list(sample), [10, -20, 30, 1, 2, 3]
    )

    check.eq(model + " that sample went into the FIFO too", imu.drain(Window(1, channels=6)), 1)
    win = Window(3, channels=6, hop=3)
    for i in range(4):
        chip.sample(i, i + 1, i + 2, -i, -i - 1, -i - 2)
    check.eq(model + " FIFO count in samples", imu.available(), 4)
    check.eq(model + " drain", (imu.drain(win), win.due), (3, True))
    check.eq(
        model + " FIFO samples reassembled",
        list(win.view()),
        [0, 1, 2, 0, -1, -2, 1, 2, 3, -1, -2, -3, 2, 3, 4, -2, -3, -4],
    )
    imu.enable_interrupt("motion", threshold=0.25)
    check.eq(
        model + " wake-up threshold FS/64 units, routed to INT1",
        (chip.regs[0x5B], chip.regs[0x5E]),
        (8, 0x20),
    )
    check.eq(model + " wake-up enable", chip.regs[0x58], 0x80 if who == 0x6C else 0x10)
    imu.enable_interrupt("data")
    check.eq(model + " data ready on INT1", (chip.regs[0x0D], chip.regs[0x5E]), (0x01, 0))

chip = LSM6DSChip(who=0x6C)
imu = sensors.imu(FakeI2C(chip), rate=26)
for i in range(600):
    chip.sample(i, i, i)
check.eq("overrun flag counted", (imu.available(), imu.overruns), (512, 1))
check.eq("accel only FIFO: one record per sample", chip.regs[0x09], 0x02)
