"""model.profile(): what it refuses, and that profiled invokes allocate nothing.

Prints `ROWS <n>`, `INVOKE_DELTA <bytes>` (heap growth over 1,000 profiled invokes, must be
0), `UNPROFILED <exception>` and `CLOSED <exception>`.
"""

import gc

from tinyml import Model

PATH = "/rom/model.tflite"
INVOKES = 1000


# A `while` over small ints: a range() iterator is itself a heap object.
def invoke_growth(model):
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    i = 0
    while i < INVOKES:
        model.invoke()
        i += 1
    growth = gc.mem_alloc() - before
    gc.enable()
    return growth


def error_of(call):
    try:
        call()
    except ValueError as error:
        return "ValueError: %s" % error
    return "no error"


model = Model(PATH, profile=True)
model.invoke()
print("ROWS", len(model.profile()))
print("INVOKE_DELTA", invoke_growth(model))
model.close()
print("CLOSED", error_of(model.profile))
model = Model(PATH)
print("UNPROFILED", error_of(model.profile))
model.close()
