"""Cost of Window.push: run under callgrind with BENCH_N=0 and BENCH_N=n; the difference / n.

    BENCH_N=n valgrind --tool=callgrind FIRMWARE $REPO/benchmarks/bench_window.py

FIRMWARE is the simulator firmware, which runs the script on its frozen `tinyml` (its path:
`python -c 'from host.build import firmware; print(firmware("unix").path)'` in the
project's venv); REPO is this repository.

BENCH_WHAT gives the baselines the figure is read against: "loop" (the empty loop alone)
and "copy" (the sample's 3 values copied one by one into a preallocated array, the least a
Python window could do per sample); default "push".
"""

import os
from array import array

from tinyml import Window

n = int(os.getenv("BENCH_N") or "0")
what = os.getenv("BENCH_WHAT") or "push"
window = Window(100, channels=3, typecode="h", hop=25)
sample = array("h", (1, 2, 3))
ring = array("h", bytes(2 * 300))


def push(n):
    for _ in range(n):
        window.push(sample)


def copy(n):
    k = 0
    for _ in range(n):
        for c in range(3):
            ring[k + c] = sample[c]
        k = k + 3 if k < 297 else 0


def loop(n):
    for _ in range(n):
        pass


{"push": push, "copy": copy, "loop": loop}[what](n)
