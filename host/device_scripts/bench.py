# `host bench`'s script: latency of one invoke from Python and from a C loop, and the arena.
# Under QEMU with -icount shift=0, one tick of ticks_us() is 1000 instructions.
# With a file /rom/profile (`host bench --profile`), also each operator's ticks over N invokes
# of a second, profiled model (made after the first is closed: the figures above stay those of
# the unprofiled invoke).
# Everything runs inside main(): a new global would grow the module's dict on the heap.
import gc
import sys
import time

import tinyml

# The simulator's clock ticks in real microseconds: more invokes for a readable figure.
N = 100000 if sys.platform == "linux" else 1000


def python_loop(invoke, n):
    start = time.ticks_us()
    for _ in range(n):
        invoke()
    return time.ticks_diff(time.ticks_us(), start)


def empty_loop(n):
    start = time.ticks_us()
    for _ in range(n):
        pass
    return time.ticks_diff(time.ticks_us(), start)


def main():
    model = tinyml.Model("/rom/model.tflite")
    invoke = model.invoke
    c_ticks = model.benchmark(N)
    loop_ticks = empty_loop(N)
    gc.collect()
    before = gc.mem_alloc()
    py_ticks = python_loop(invoke, N)
    allocated = gc.mem_alloc() - before
    print("ARENA", model.arena_size, model.arena_used)
    print("N", N)
    print("C_LOOP_TICKS", c_ticks)
    print("PY_LOOP_TICKS", py_ticks)
    print("EMPTY_LOOP_TICKS", loop_ticks)
    print("HEAP_DELTA", allocated)
    model.close()
    if profiling():
        profile()


def profiling():
    try:
        open("/rom/profile").close()
    except OSError:
        return False
    return True


def profile():
    gc.collect()
    model = tinyml.Model("/rom/model.tflite", profile=True)
    print("PROFILED_C_LOOP_TICKS", model.benchmark(N))
    for index, (name, ticks) in enumerate(model.profile()):
        print("OP", index, ticks, name)


main()
