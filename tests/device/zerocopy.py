"""Zero copy: a model in /rom is used in place, so loading it grows the heap by far less than its
size.

Prints `SIZE <model bytes>`, then `HEAP explicit <arena_size> <growth>` for a model given a
preallocated arena (growth excludes the arena: only the interpreter's own objects count) and
`HEAP auto <arena_size> <growth>` for one that sizes its own arena (on the heap or not, the port
decides), and `OUT big 0 0 <hex>` from invoking it.
"""

import gc
import os

from tinyml import Model

PATH = "/rom/big.tflite"


def load_measured(arena):
    # A function, so that no new module global (a dict insert) lands in the measurement.
    gc.collect()
    before = gc.mem_alloc()
    model = Model(PATH) if arena is None else Model(PATH, arena=arena)
    gc.collect()
    return model, gc.mem_alloc() - before


print("SIZE", os.stat(PATH)[6])

model = Model(PATH)
arena_size = model.arena_size
model.close()
model = None
# Room for the module to align the arena's start within the buffer.
arena = bytearray(arena_size + 16)
model, growth = load_measured(arena)
print("HEAP explicit", arena_size, growth)
model.close()
model = None
arena = None

model, growth = load_measured(None)
print("HEAP auto", model.arena_size, growth)
with open("/rom/big.in0.bin", "rb") as f:
    f.readinto(model.input(0))
model.invoke()
print("OUT", "big", 0, 0, "".join("%02x" % b for b in bytes(model.output(0))))
model.close()
