"""Cost of one pipeline step (one 3-axis sample at 100 Hz, a window of 50 every 25, a model
of the tinyml.Model interface whose invoke is a Python loop over 150 inputs): run under
callgrind with BENCH_N=0 and BENCH_N=n; the difference / n. Also prints the heap bytes the
steady state allocates per second of samples. BENCH_WHAT=invoke times `Pipeline.invoke`
alone (features, quantize, the fake model, dequantize, on_result), so the step's own cost is
the step's minus invoke's / 25.

    MICROPYPATH=.frozen:$REPO/tests/device/runtime BENCH_N=n \\
        valgrind --tool=callgrind FIRMWARE $REPO/benchmarks/bench_pipeline.py

FIRMWARE is the simulator firmware, which runs the script on its frozen `tinyml` (its path:
`python -c 'from host.build import firmware; print(firmware("unix").path)'` in the
project's venv); REPO is this repository. The fake model is the device tests'
(tests/device/runtime/fakes.py). Run it in an empty folder: it writes its recording there.
"""

import gc
import os

from fakes import FakeModel
from tinyml import Pipeline, Window
from tinyml.sensors import Replay

n = int(os.getenv("BENCH_N") or "0")
with open("bench.csv", "w") as f:
    f.write("x,y,z\n")
    for i in range(20600):
        f.write("%d,%d,%d\n" % (i % 100, -(i % 50), 1000))


def ignore(result):
    pass


imu = Replay("bench.csv", rate=100, typecode="h")
pipe = Pipeline(imu, Window(50, channels=3, hop=25), FakeModel(150), on_result=ignore)
for _ in range(200):  # warm-up: every hop offset's view is made
    pipe.step()
step = pipe.invoke if os.getenv("BENCH_WHAT") == "invoke" else pipe.step
gc.collect()
before = gc.mem_alloc()
for _ in range(n):
    step()
if n:
    print("heap bytes per second of samples:", (gc.mem_alloc() - before) * imu.rate // n)
    print("invokes:", pipe.invokes)
