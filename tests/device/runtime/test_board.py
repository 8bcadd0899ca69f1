"""tinyml.board on the simulator: sensors are replays of the run's recording (TINYML_DATA,
`host run --data`; the test gives board.csv: 10 samples at 50 Hz, z from 1 g up by 0.01 g)."""

import os

import check
import tinyml.board as board

check.eq(
    "simulator board",
    (board.name, board.SIMULATOR, os.getenv("TINYML_DATA").rsplit("/", 1)[-1]),
    ("unix", True, "board.csv"),
)
imu = board.imu(rate=50, range=4)
check.eq(
    "an IMU-shaped replay",
    (imu.rate, imu.channels, imu.typecode, imu.scale),
    (50, 3, "h", 4 / 32768),
)
check.eq("values in counts at the asked range", imu._data[2], 8192)
check.true(
    "the same replay on every call (it survives a simulated deep sleep)", board.imu(range=4) is imu
)
check.raises("the recording's rate wins", ValueError, board.imu, rate=100)
check.raises("gyro needs 6 columns", ValueError, board.imu, gyro=True)
led = board.led()
led.duty_u16(30000)
check.eq("LED duty kept", led.duty_u16(), 30000)
led.on()
check.eq("on is full duty", led.duty_u16(), 65535)
check.raises("duty range", ValueError, led.duty_u16, 70000)
