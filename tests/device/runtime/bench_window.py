"""Cost of Window.push: run under callgrind with BENCH_N=0 and BENCH_N=n; the difference / n.

    valgrind --tool=callgrind micropython bench_window.py   (BENCH_N in the environment)
"""
import os
from array import array

from tinyml import Window

n = int(os.getenv("BENCH_N") or "0")
window = Window(100, channels=3, typecode="h", hop=25)
sample = array("h", (1, 2, 3))
for _ in range(n):
    window.push(sample)
