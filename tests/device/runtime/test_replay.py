from array import array

import check
import tinyml.clock as clock
from tinyml import Window
from tinyml.sensors import Replay

with open("imu.csv", "w") as f:
    f.write("t,x,y,z\n")
    for i in range(50):
        f.write("%.2f,%.3f,%.3f,%.3f\n" % (i / 100, 0.001 * i, -0.5, 1.0 if i != 30 else 2.0))

start = clock.ticks_ms()
imu = Replay("imu.csv", typecode="h", scale=1 / 16384, fifo=8)
check.eq(
    "rate from the time column; t is not a channel",
    (imu.rate, imu.channels, imu.columns),
    (100, 3, ["x", "y", "z"]),
)
check.eq(
    "units to counts",
    (imu.samples, imu._data[3], imu._data[4], imu._data[5]),
    (50, 16, -8192, 16384),
)
check.eq("first sample at start", imu.available(), 1)
sample = array("h", (0, 0, 0))
imu.read_into(sample)
imu.read_into(sample)  # waits for the second: virtual time advances 10 ms
check.eq(
    "blocking read advances virtual time",
    (list(sample), clock.ticks_diff(clock.ticks_ms(), start)),
    ([16, -8192, 16384], 10),
)
clock.sleep_ms(200)  # 20 samples recorded, FIFO holds 8
check.eq("FIFO keeps the newest, counts the rest", (imu.available(), imu.overruns), (8, 12))
win = Window(4, channels=3, hop=4)
check.eq("drain to the window", (imu.drain(win), win.due), (4, True))
check.eq("oldest kept sample first", win.view()[0], round(0.001 * 14 * 16384))

imu.enable_interrupt("motion", threshold=0.5)  # g; the jump at sample 30 (back at 31 is
check.eq("motion events", list(imu.int_pin.events), [30])  # near the running mean again)
imu.enable_interrupt("motion", threshold=0.5, duration_ms=20)
check.eq("a one-sample jump is shorter than duration_ms", list(imu.int_pin.events), [])
imu.enable_interrupt("motion", threshold=0.5)
hits = []
imu.int_pin.irq(lambda pin: hits.append(clock.ticks_ms() - start))
clock.sleep_ms(400)
check.eq("virtual pin fires at the sample's time", hits, [300])
check.eq("samples left after the end of time", (imu.available(), imu.overruns), (8, 12 + 24))


def drain_all():
    while True:
        imu.drain(win)


check.raises("the recording ends", EOFError, drain_all)

# a WAV: 16-bit PCM, rate from the header
pcm = array("h", (0, 1000, -1000, 32767, -32768, 5, 6, 7))
with open("a.wav", "wb") as f:
    f.write(b"RIFF" + (36 + 16).to_bytes(4, "little") + b"WAVE")
    f.write(
        b"fmt "
        + (16).to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (1).to_bytes(2, "little")
    )
    f.write(
        (16000).to_bytes(4, "little") + (32000).to_bytes(4, "little") + (2).to_bytes(2, "little")
    )
    f.write((16).to_bytes(2, "little"))
    f.write(b"data" + (16).to_bytes(4, "little") + bytes(pcm))
mic = Replay("a.wav")
check.eq(
    "wav header",
    (mic.rate, mic.channels, mic.typecode, mic.scale, mic.samples),
    (16000, 1, "h", 1 / 32768, 8),
)
clock.sleep_us(1000)
audio = Window(8, hop=8)
check.eq("wav drain", (mic.drain(audio), list(audio.view())), (8, list(pcm)))
adc = Replay("a.wav", typecode="H")
check.eq("wav as ADC counts", list(adc._data[0:4]), [32768, 33768, 31768, 65535])
# Within an ulp: the frozen package's constant 1 / 65535 went through mpy-cross's float repr.
check.true("full scale", abs(adc.scale * 65535 - 1) < 1e-12, adc.scale)
check.raises("wav as float", ValueError, Replay, "a.wav", typecode="f")

with open("bad.csv", "w") as f:
    f.write("1,2\n3\n")
check.raises("ragged csv", ValueError, Replay, "bad.csv", rate=10)
with open("good.csv", "w") as f:
    f.write("1,2\n3,4\n")
check.eq("csv without header or time", (Replay("good.csv", rate=10).channels), 2)
check.raises("csv without time needs rate", ValueError, Replay, "good.csv")
with open("text.csv", "w") as f:
    f.write("a,b\n1,x\n")
check.raises("not a number", ValueError, Replay, "text.csv", rate=10)
check.raises("unknown format", ValueError, Replay, "a.mp3")
check.raises("fractional rate", ValueError, Replay, "good.csv", rate=2.5)
with open("b.wav", "wb") as f:
    f.write(b"RIFX0000WAVE")
check.raises("not a wav", ValueError, Replay, "b.wav")


def write_wav(path, seconds, rate=16000, claimed=None):
    """A mono WAV whose sample i is i % 30000; its header may claim more seconds."""
    second = array("h", range(0, rate))
    data_bytes = 2 * rate * (claimed or seconds)
    with open(path, "wb") as f:
        f.write(b"RIFF" + (36 + data_bytes).to_bytes(4, "little") + b"WAVE")
        f.write(b"fmt " + (16).to_bytes(4, "little") + (1).to_bytes(2, "little") * 2)
        f.write(rate.to_bytes(4, "little") + (2 * rate).to_bytes(4, "little"))
        f.write((2).to_bytes(2, "little") + (16).to_bytes(2, "little"))
        f.write(b"data" + data_bytes.to_bytes(4, "little"))
        for s in range(seconds):
            for i in range(rate):
                second[i] = (s * rate + i) % 30000
            f.write(second)


# Ten minutes of 16 kHz audio (19 MB, more than the simulator's heap) replays through the
# keyword example's window in constant memory: the WAV is read as it plays.
write_wav("long.wav", 600)
long = Replay("long.wav", fifo=4000)
audio = Window(16000, hop=4000)
checked = [0, 0]  # windows, windows whose samples were the file's


def replay_all(windows):
    i = 0
    try:
        while i < windows:
            long.drain(audio)
            if audio.due:
                view = audio.view()
                last = long._next - 1
                checked[0] += 1
                first = (last - 15999) % 30000
                checked[1] += view[len(view) - 1] == last % 30000 and view[0] == first
                i += 1
            else:
                clock.sleep_ms(250)
    except EOFError:
        pass


replay_all(4)  # the window makes its 4 views (one per hop offset) on first use
# Up to the end, not through it: the EOFError at the end is an allocation.
grown = check.allocated(replay_all, 2390)
replay_all(10)
check.eq("10 minutes replayed, every window the file's samples", checked, [2397, 2397])
check.eq("heap grown while replaying 10 minutes", grown, 0)
long.close()

write_wav("short.wav", 1, claimed=2)
cut = Replay("short.wav")
clock.sleep_ms(3000)


def drain_cut():
    while True:
        cut.drain(audio)


check.raises("a WAV shorter than its header", EOFError, drain_cut)
