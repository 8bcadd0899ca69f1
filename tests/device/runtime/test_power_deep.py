"""Deep sleep on the simulator: the script starts again; retained memory and time go on.

Prints `boot <count> <wake reason> <ticks_ms>` at each start, for the host to check all four."""

import tinyml.clock as clock
import tinyml.power as power

boot = power.retained[0]
print("boot", boot, power.wake_reason(), clock.ticks_ms())
power.retained[0] = boot + 1
if boot < 3:
    power.sleep(500, mode="deep")
    raise AssertionError("deep sleep returned")
