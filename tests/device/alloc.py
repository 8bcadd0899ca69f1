"""Allocation: invoke() allocates nothing; creating and closing models leaks nothing.

Prints `ARENA <arena_size> <arena_used>`, `INVOKE_DELTA <bytes>` (heap growth over 10,000
invokes, must be 0), and `CYCLE_DELTA <bytes>` (heap growth over 1,000 create/invoke/close
cycles).
"""

import gc

from tinyml import Model

PATH = "/rom/alloc.tflite"
INVOKES = 10000
CYCLES = 1000


# Measurements run inside functions: a new module global would grow the globals dict and be
# counted. Loops are `while` over small ints, because a range() iterator is itself a heap object.
def invoke_growth(model):
    gc.collect()
    # Collection off, so garbage made by invoke() shows in mem_alloc() instead of being swept.
    gc.disable()
    before = gc.mem_alloc()
    i = 0
    try:
        while i < INVOKES:
            model.invoke()
            i += 1
    except MemoryError:
        gc.enable()
        return "heap exhausted after %d invokes" % i
    growth = gc.mem_alloc() - before
    gc.enable()
    return growth


def cycle_growth():
    gc.collect()
    before = gc.mem_alloc()
    i = 0
    while i < CYCLES:
        model = Model(PATH)
        model.invoke()
        model.close()
        i += 1
    model = None
    gc.collect()
    return gc.mem_alloc() - before


model = Model(PATH)
print("ARENA", model.arena_size, model.arena_used)
model.invoke()  # first invoke outside the count: anything made once on first use is not a leak
print("INVOKE_DELTA", invoke_growth(model))
model.close()
model = None
print("CYCLE_DELTA", cycle_growth())
