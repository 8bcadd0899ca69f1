from array import array

import check
import tinyml.sensors as sensors
from fakes import FakeI2C, MPU6050Chip
from tinyml import Window

chip = MPU6050Chip()
bus = FakeI2C(chip)
imu = sensors.imu(bus, rate=200, range=4)
check.eq(
    "found by WHO_AM_I", (type(imu).__name__, imu.model, imu.channels), ("MPU6050", "MPU6050", 3)
)
check.eq("awake on the gyro PLL", chip.regs[0x6B], 0x01)
check.eq("rate: SMPLRT_DIV = 1000/200 - 1", chip.regs[0x19], 4)
check.eq("range: AFS_SEL=1 (+-4 g)", chip.regs[0x1C] & 0x18, 0x08)
check.eq("scale g per count", imu.scale, 4 / 32768)
check.eq("FIFO on, accelerometer in it", (chip.regs[0x6A] & 0x40, chip.regs[0x23]), (0x40, 0x08))

imu.range = 16
check.eq("range settable", (chip.regs[0x1C] & 0x18, imu.scale), (0x18, 16 / 32768))
imu.rate = 50
check.eq("rate settable", chip.regs[0x19], 19)
check.raises("rate not a divisor of 1 kHz", ValueError, setattr, imu, "rate", 300)
check.raises("range not supported", ValueError, setattr, imu, "range", 3)

chip.sample(100, -200, 16384)
sample = array("h", (0, 0, 0))
imu.read_into(sample)
check.eq("data registers, big-endian, signed", list(sample), [100, -200, 16384])

check.eq("that sample went into the FIFO too", imu.drain(Window(1, channels=3)), 1)
win = Window(4, channels=3, hop=2)
for i in range(5):
    chip.sample(i, -i, 1000 + i)
check.eq("FIFO count in samples", imu.available(), 5)
n = imu.drain(win)
check.eq("drain stops when a window is due", (n, win.due), (4, True))
check.eq(
    "FIFO samples in order", list(win.view()), [0, 0, 1000, 1, -1, 1001, 2, -2, 1002, 3, -3, 1003]
)
check.eq("rest stays in the FIFO", (imu.available(), imu.drain(win), imu.available()), (1, 1, 0))

for i in range(200):  # 1200 bytes into a 1024-byte FIFO, which keeps the newest 1024
    chip.sample(i, i, i)
check.eq(
    "overflow: counted, the partial oldest frame read away",
    (imu.available(), imu.overruns),
    (170, 1),
)
win = Window(170, channels=3)
imu.drain(win)
view = list(win.view())
check.eq(
    "then the newest 170 samples, whole and in order",
    (view[:3], view[-3:]),
    ([30, 30, 30], [199, 199, 199]),
)

imu.enable_interrupt("motion", threshold=0.2, duration_ms=5)
check.eq(
    "motion: threshold 2 mg/LSB, duration, INT_ENABLE.MOT_EN",
    (chip.regs[0x1F], chip.regs[0x20], chip.regs[0x38], chip.regs[0x37]),
    (100, 5, 0x40, 0x30),
)
imu.enable_interrupt("data")
check.eq("data ready interrupt", chip.regs[0x38], 0x01)
check.raises("unknown interrupt", ValueError, imu.enable_interrupt, "tap")

chip6500 = MPU6050Chip(addr=0x69, who=0x70)
imu6500 = sensors.imu(FakeI2C(chip6500), gyro=True, fifo=False)
check.eq(
    "MPU6500 with gyro", (imu6500.model, imu6500.channels, chip6500.regs[0x23]), ("MPU6500", 6, 0)
)
chip6500.sample(1, 2, 3, -4, -5, -6)
check.eq("data ready without FIFO", imu6500.available(), 1)
sample6 = array("h", bytes(12))
imu6500.read_into(sample6)
check.eq("accel then gyro, skipping temperature", list(sample6), [1, 2, 3, -4, -5, -6])
check.eq("data ready cleared by reading status", imu6500.available(), 0)
imu6500.enable_interrupt("motion", threshold=0.2)
check.eq(
    "MPU6500 wake-on-motion: 4 mg/LSB, ACCEL_INTEL on",
    (chip6500.regs[0x1F], chip6500.regs[0x69], chip6500.regs[0x38]),
    (50, 0xC0, 0x40),
)

check.raises("nothing on the bus", OSError, sensors.imu, FakeI2C())
