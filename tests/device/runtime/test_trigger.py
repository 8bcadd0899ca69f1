from array import array

import check
import micropython
import tinyml.clock as clock
import tinyml.trigger as trigger
from fakes import FakePin
from tinyml import Window
from tinyml.sensors import Replay

pin = FakePin()
button = trigger.PinEdge(pin, edge="falling", debounce_ms=20)
check.eq(
    "pin irq set up hard, falling",
    (pin.trigger, pin.hard, button.pins),
    (FakePin.IRQ_FALLING, True, (pin,)),
)
pin.edge()
check.eq("edge -> pending event", (button.events, button.take(), button.take()), (1, True, False))
clock.sleep_ms(5)
pin.edge()
check.eq("bounce within 20 ms ignored", button.events, 1)
clock.sleep_ms(30)
pin.edge()
clock.sleep_ms(30)
pin.edge()
check.eq(
    "second event while pending: missed, counted",
    (button.events, button.missed, button.take()),
    (3, 1, True),
)
check.raises("bad edge", ValueError, trigger.PinEdge, FakePin(), edge="up")

seen = []
tick = trigger.PinEdge(FakePin()).on(lambda t: seen.append(t.events))
tick.pin.edge()
for _ in range(5):
    pass  # scheduled callbacks run between bytecodes
check.eq("callback via micropython.schedule", (seen, tick.pending), ([1], False))

# Inside a scheduled callback nothing else scheduled runs: fill the queue from there.
flood = [trigger.PinEdge(FakePin()).on(lambda t: None) for _ in range(20)]


def burst(_):
    for t in flood:
        t.pin.edge()


micropython.schedule(burst, None)
for _ in range(50):
    pass
missed = sum(t.missed for t in flood)
check.true("a full schedule queue is counted as missed", 0 < missed < 20, "(%d)" % missed)
check.eq("every event accounted for", sum(t.events for t in flood), 20)

quiet = trigger.PinEdge(FakePin())


def fire_take(n):
    for _ in range(n):
        quiet.pin.edge()
        quiet.take()


check.eq("fire + take allocate nothing", check.allocated(fire_take, 1000), 0)
calls = [0]


def count(t):
    calls[0] += 1


loud = trigger.PinEdge(FakePin()).on(count)


def fire_dispatch(n):
    for _ in range(n):
        loud.pin.edge()
        for _ in range(3):
            pass


check.eq("fire + scheduled callback allocate nothing", check.allocated(fire_dispatch, 1000), 0)
check.eq("each ran", calls[0], 1001)

timer = trigger.Every(100)
clock.sleep_ms(1000)
check.eq("timer on the virtual clock: 10 events, 9 missed", (timer.events, timer.missed), (10, 9))
timer.take()
clock.sleep_ms(100)
check.eq("taken events are not missed", (timer.take(), timer.missed), (True, 9))
timer.stop()

a, b = trigger.PinEdge(FakePin()), trigger.PinEdge(FakePin())
either = trigger.Any(a, b)
b.pin.edge()
check.eq("any", (either.take(), either.pins), (True, (a.pin, b.pin)))
both = trigger.All(trigger.PinEdge(FakePin()), trigger.PinEdge(FakePin()), within_ms=50)
first, second = both.triggers
first.pin.edge()
check.eq("all: one is not enough", both.take(), False)
clock.sleep_ms(60)
second.pin.edge()
check.eq("all: too far apart", both.take(), False)
first.pin.edge()
check.eq("all: both within 50 ms", both.take(), True)
first.pin.edge()
first.pin.edge()
check.eq("a group counts what it could not take", both.total_missed(), 1)

win = Window(4, typecode="h", hop=1)
level = trigger.Threshold(500)
loudness = trigger.AudioLevel(0.5)
for v in (100, 200, -20000):
    win.push(array("h", (v,)))
level.poll(win, 3)
loudness.poll(win, 3)
check.eq("threshold above: no; audio peak: yes", (level.take(), loudness.take()), (False, True))
win.push(array("h", (600,)))
level.poll(win, 1)
check.eq("threshold crossed", level.take(), True)
check.raises("audio level is a fraction", ValueError, trigger.AudioLevel, 2)

with open("still.csv", "w") as f:
    f.write("x,y,z\n")
    for i in range(100):
        f.write("0,0,%s\n" % ("1" if i != 50 else "1.8"))
imu = Replay("still.csv", rate=100, typecode="h", scale=1 / 16384)
moved = trigger.Motion(imu, threshold=0.5)
check.eq(
    "motion through the sensor's interrupt pin",
    (moved.pins, list(imu.int_pin.events)),
    ((imu.int_pin,), [50]),
)
clock.sleep_ms(505)
check.eq("pin fired the trigger", (moved.events, moved.take()), (1, True))


class Plain:
    int_pin = None
    channels = 3
    rate = 100
    scale = 1 / 16384


soft = trigger.Motion(Plain(), threshold=0.5)
win3 = Window(3, channels=3, hop=1)
moves = []
for z in (16384, 16500, 16300, 30000, 16384):
    win3.push(array("h", (0, 0, z)))
    soft.poll(win3, 1)
    moves.append(soft.take())
check.eq("level motion without an interrupt pin", moves, [False, False, False, True, False])


# duration_ms=30 at 100 Hz: three samples in a row over the threshold; a knock of two is not
# a movement, and a run is counted across pushes.
lasting = trigger.Motion(Plain(), threshold=0.5, duration_ms=30)
win3.clear()
moves = []
for z in (16384, 30000, 30000, 16384, 16384, 30000, 30000, 30000, 30000, 16384):
    win3.push(array("h", (0, 0, z)))
    lasting.poll(win3, 1)
    moves.append(lasting.take())
check.eq(
    "level motion lasting duration_ms",
    moves,
    [False, False, False, False, False, False, False, True, True, False],
)

# AudioLevel(hold=n) keeps firing while a loud sample is among the last n samples.
held = trigger.AudioLevel(0.01, hold=4)
plain = trigger.AudioLevel(0.01)
win1 = Window(8, hop=1)
fired = []
for value in (0, 5000, 0, 0, 0, 0, 0, -5000, 0):
    win1.push(array("h", (value,)))
    held.poll(win1, 1)
    plain.poll(win1, 1)
    fired.append((held.take(), plain.take()))
check.eq(
    "audio level held for 4 samples",
    fired,
    [
        (False, False),
        (True, True),
        (True, False),
        (True, False),
        (True, False),
        (False, False),
        (False, False),
        (True, True),
        (True, False),
    ],
)
blocks = []
for values in ((0, 5000, 0), (0, 0), (0, 0, 0, 0)):
    for value in values:
        win1.push(array("h", (value,)))
    held.poll(win1, len(values))
    blocks.append(held.take())
check.eq("blocks: loud in it, loud 3 samples ago, loud 7 samples ago", blocks, [True, True, False])
check.raises("hold is a count", ValueError, trigger.AudioLevel, 0.1, hold=-1)
