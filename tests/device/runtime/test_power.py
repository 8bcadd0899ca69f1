import check
import tinyml.clock as clock
import tinyml.power as power
from tinyml.sensors import Replay

check.eq("first boot", power.wake_reason(), "reset")
t0 = clock.ticks_ms()
check.eq("light sleep, timer", power.sleep(250), "timer")
check.eq("virtual time advanced", clock.ticks_diff(clock.ticks_ms(), t0), 250)

with open("bump.csv", "w") as f:
    f.write("x\n")
    for i in range(200):
        f.write("%d\n" % (5 if i in (120, 180) else 0))
sensor = Replay("bump.csv", rate=100, typecode="h")
sensor.enable_interrupt("motion", threshold=3)
t0 = clock.ticks_ms()
check.eq("woken by the pin", power.sleep(5000, wake=sensor.int_pin), "pin")
check.eq("at the event, not the timeout", clock.ticks_diff(clock.ticks_ms(), t0), 1200)
check.eq("wake_reason", power.wake_reason(), "pin")
check.eq("no timeout: until the next pin event", power.sleep(None, wake=[sensor.int_pin]), "pin")
check.eq("which is the second bump", clock.ticks_diff(clock.ticks_ms(), t0), 1800)
check.raises("no more events", EOFError, power.sleep, None, wake=sensor.int_pin)
check.raises("bad mode", ValueError, power.sleep, 10, mode="hibernate")
check.raises("nothing to wake", ValueError, power.sleep)
check.raises("real pins on the simulator", ValueError, power.sleep, 10, wake=object())
check.eq("retained memory", (len(power.retained), power.RETAINED_BYTES), (64, 64))
