"""Cost of the magic wand's pipeline with the real gesture model, on the simulator firmware.

Run under callgrind with BENCH_N=0 and BENCH_N=n; the difference / n is one unit of
BENCH_WHAT:
    step      Pipeline.step ("always": one step takes the waiting sample or, finding none,
              waits one sample period; a window of 128 every 32 samples runs the model)
    invoke    Pipeline.invoke: the example's features, copy into the input, TFLM invoke,
              dequantize, on_result
    features  the example's features alone (counts -> milli-g, motion_features)
    model     Model.invoke alone (TFLM)
BENCH_MODEL is gesture.tflite (`host train gesture`), BENCH_DATA a 3-axis CSV in g with a
time column (examples/magic_wand/sample.csv); it is repeated 20 times. After the
run it prints the heap bytes allocated per second of (virtual) sample time.

    BENCH_N=n BENCH_WHAT=step BENCH_MODEL=... BENCH_DATA=... \\
        valgrind --tool=callgrind FIRMWARE $REPO/benchmarks/bench_gesture.py

FIRMWARE is the simulator firmware, which runs the script on its frozen `tinyml` (its path:
`python -c 'from host.build import firmware; print(firmware("unix").path)'` in the
project's venv); REPO is this repository. Run it in an empty folder: it writes its
recording there.
"""

import gc
import os
from array import array

import tinyml
import tinyml.clock as clock
from tinyml import Pipeline, Window
from tinyml.features import motion_features
from tinyml.sensors import Replay

RANGE_G = 4
n = int(os.getenv("BENCH_N") or "0")
what = os.getenv("BENCH_WHAT") or "step"

with open(os.getenv("BENCH_MODEL"), "rb") as f:
    model = tinyml.Model(f.read())
with open(os.getenv("BENCH_DATA")) as f:
    rows = f.read().split("\n")[1:]
with open("bench.csv", "w") as f:
    f.write("x,y,z\n")
    # The same length whatever n is, or the baseline run would parse less CSV: 2 steps a
    # sample, 20 x 900 samples, enough for n up to 34800 after the warm-up.
    for _ in range(20):
        for row in rows:
            if row:
                f.write(row[row.index(",") + 1 :] + "\n")

milli_g = array("h", bytes(2 * 3 * 128))
inputs = array("b", bytes(3 * 128))


def gesture_features(view, out):
    # as examples/magic_wand/main.py
    for i in range(len(view)):
        milli_g[i] = view[i] * (1000 * RANGE_G) >> 15
    motion_features(milli_g, out, shift=4)


def ignore(scores):
    pass


imu = Replay("bench.csv", rate=100, typecode="h", scale=RANGE_G / 32768, fifo=170)
window = Window(128, channels=3, hop=32)
pipe = Pipeline(
    imu,
    window,
    model,
    features=gesture_features,
    feature_buffer=inputs,
    quantize=False,
    on_result=ignore,
)
for _ in range(600):  # warm-up: the window fills, every hop offset's view is made
    pipe.step()

if what == "step":
    run = pipe.step
elif what == "invoke":
    run = pipe.invoke
elif what == "features":
    view = window.view()

    def run():
        gesture_features(view, inputs)
else:
    run = model.invoke


def measure(run, n):
    # In a function: its variables are locals, so the measurement itself allocates nothing
    # (a new global would grow the module's dict). One call first: the first call of a
    # function from here may allocate once (Pipeline.invoke: 64 bytes for 200 calls and
    # for 4000), which is not the steady state.
    run()
    gc.collect()
    before = gc.mem_alloc()
    start_ms = clock.ticks_ms()
    invokes = pipe.invokes
    for _ in range(n):
        run()
    allocated = gc.mem_alloc() - before
    return allocated, clock.ticks_diff(clock.ticks_ms(), start_ms), pipe.invokes - invokes


allocated, elapsed_ms, invokes = measure(run, n)
if n and what == "step":
    print("steps", n, "virtual ms", elapsed_ms, "invokes", invokes)
    print("heap bytes per second:", allocated * 1000 // elapsed_ms)
elif n:
    print(what, n, "heap bytes:", allocated)
