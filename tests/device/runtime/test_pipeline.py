from array import array

import check
import tinyml.clock as clock
import tinyml.trigger as trigger
from fakes import FakeModel
from tinyml import Pipeline, Window
from tinyml.sensors import Replay

with open("ramp.csv", "w") as f:
    f.write("v\n")
    for i in range(100):
        f.write("%d\n" % i)

results = []


def keep(result):
    results.append((int(result[0]), int(result[1])))


# always on: a window of 10 every 5 samples
source = Replay("ramp.csv", rate=100, typecode="h")
pipe = Pipeline(source, Window(10, hop=5), FakeModel(10), on_result=keep)
t0 = clock.ticks_ms()
pipe.run()
check.eq("runs until the recording ends", (pipe.invokes, len(results)), (19, 19))
check.eq("first window 0..9", results[0], (45, 9))
check.eq("then every hop", results[1], (sum(range(5, 15)), 14))
check.eq("last window 90..99", results[-1], (sum(range(90, 100)), 99))
check.eq("took the recording's time", clock.ticks_diff(clock.ticks_ms(), t0), 990)
check.eq("nothing dropped", pipe.dropped, 0)
check.true("latency measured", pipe.latency_max_us >= pipe.latency_us > 0)


def double(view, out):
    for i in range(len(view)):
        out[i] = 2 * view[i]


# features, gated by a level trigger: only windows with a sample above 80
results.clear()
pipe = Pipeline(
    Replay("ramp.csv", rate=100, typecode="h"),
    Window(10, hop=10),
    FakeModel(10),
    features=double,
    feature_buffer=array("h", bytes(20)),
    on_result=keep,
    trigger=trigger.Threshold(80),
)
pipe.run()
check.eq(
    "features feed the model; the trigger gates it",
    results,
    [(2 * sum(range(80, 90)), 178), (2 * sum(range(90, 100)), 198)],
)


class RunningSum:
    """A streaming feature: each value the running sum of the samples so far, last 10 kept."""

    def __init__(self):
        self.total = 0
        self.sums = Window(10, typecode="i", hop=1)
        self.sample = array("i", (0,))
        self.taken = 0

    def extend(self, samples, start, count):
        for i in range(start, start + count):
            self.total += samples[i]
            self.sample[0] = self.total
            self.sums.push(self.sample)
        self.taken += count

    def view(self):
        return self.sums.view()


# a streaming feature takes every sample once, as it arrives; a window hands over its view
results.clear()
running = RunningSum()
pipe = Pipeline(
    Replay("ramp.csv", rate=100, typecode="h"),
    Window(10, hop=5),
    FakeModel(10),
    features=running,
    on_result=keep,
)
pipe.run()
check.eq("a streaming feature sees each sample once", running.taken, 100)
check.eq(
    "the model gets the stream's view",
    results[0],
    (sum(sum(range(k + 1)) for k in range(10)), sum(range(10))),
)
check.raises(
    "a streaming feature takes no feature_buffer",
    ValueError,
    Pipeline,
    Replay("ramp.csv", rate=100, typecode="h"),
    Window(10),
    FakeModel(10),
    features=RunningSum(),
    feature_buffer=array("i", bytes(40)),
    on_result=keep,
)


# quantize=False: the features are the input tensor's integers, copied as they are
class RawModel(FakeModel):
    def __init__(self, inputs):
        super().__init__(inputs)
        self._in.quantize = None  # must not be called


raw = RawModel(10)
results.clear()
Pipeline(
    Replay("ramp.csv", rate=100, typecode="i"),
    Window(10, typecode="i", hop=10),
    raw,
    on_result=keep,
    quantize=False,
).run()
check.eq(
    "raw copy into the tensor's memory",
    (len(results), results[0], results[-1]),
    (10, (sum(range(0, 10)), 9), (sum(range(90, 100)), 99)),
)

# duty cycle: sleep 200 ms, take the FIFO's samples, run on each window due
results.clear()
duty = Pipeline(
    Replay("ramp.csv", rate=100, typecode="h", fifo=16),
    Window(10, hop=10),
    FakeModel(10),
    on_result=keep,
    policy="duty",
    duty_ms=200,
)
duty.run()
check.eq("duty: asleep between windows", duty.asleep_ms, 1000)
# 21 samples by the first wake, then 20 per wake, 19 at the end: a FIFO of 16 keeps 16
check.eq("duty: the FIFO's overruns", duty.source.overruns, 5 + 4 + 4 + 4 + 3)
check.eq("dropped counts the sensor's overruns", duty.dropped, 20)
check.eq("duty: windows seen", len(results), 8)

# event: sleep until the motion interrupt, then fill one window
with open("taps.csv", "w") as f:
    f.write("x\n")
    for i in range(300):
        f.write("%d\n" % (1000 if i in (50, 200) else 0))
imu = Replay("taps.csv", rate=100, typecode="h")
results.clear()
event = Pipeline(
    imu,
    Window(20, hop=10),
    FakeModel(20),
    on_result=keep,
    trigger=trigger.Motion(imu, threshold=500),
    policy="event",
)
event.run()
check.eq("event: one run per tap", event.invokes, 2)
check.eq("event: each window holds its tap", results, [(1000, 0), (1000, 0)])
check.true("event: slept until each tap", event.asleep_ms >= 1900, "(%d)" % event.asleep_ms)

check.raises(
    "event needs a trigger",
    ValueError,
    Pipeline,
    imu,
    Window(20),
    FakeModel(20),
    on_result=keep,
    policy="event",
)
check.raises(
    "unknown policy",
    ValueError,
    Pipeline,
    imu,
    Window(20),
    FakeModel(20),
    on_result=keep,
    policy="sometimes",
)
check.raises(
    "channels must match",
    ValueError,
    Pipeline,
    imu,
    Window(20, channels=3),
    FakeModel(60),
    on_result=keep,
)

# steady state: a long recording, many steps, no allocation
with open("long.csv", "w") as f:
    f.write("x,y,z\n")
    for i in range(30000):
        f.write("%d,%d,%d\n" % (i % 100, -(i % 50), 1000))


def ignore(result):
    pass


imu3 = Replay("long.csv", rate=100, typecode="h")
steady = Pipeline(
    imu3,
    Window(50, channels=3, hop=25),
    FakeModel(150),
    on_result=ignore,
    trigger=trigger.Any(trigger.Motion(imu3, threshold=10000), trigger.Every(250)),
)


def steps(n):
    for _ in range(n):
        steady.step()


steps(400)  # views for every hop offset made
start_invokes = steady.invokes
bytes_used = check.allocated(steps, 20000)
check.eq("steady-state pipeline allocates 0 bytes over 20000 samples", bytes_used, 0)
check.true("and it ran the model", steady.invokes - start_invokes > 100)
