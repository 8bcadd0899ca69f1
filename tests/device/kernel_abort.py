"""A kernel that gives up inside invoke (TFLM's abort()): the RuntimeError says the model was
closed, and it is, as after close().

/rom/abort.tflite has one BROADCAST_ARGS operator between its int32[2] input and the constant
[5, 7]: it runs for a shape that broadcasts with [5, 7] and aborts for [0, 0]. Prints
`OUT <values>` from the run that works, a `CASE <name> OK|<ExceptionType> <message>` line for each
invoke, and `ARENA <arena_size> <arena_used>` after the abort.
"""

from array import array

from tinyml import Model


def case(name, action):
    try:
        action()
        print("CASE", name, "OK")
    except Exception as e:
        print("CASE", name, type(e).__name__, str(e).replace("\n", " "))


model = Model("/rom/abort.tflite")
tin = model.input(0)
tout = model.output(0)
# Valid after the model closes too: the tensor keeps its memory while it lives.
shape = memoryview(tin)

shape[:] = array("i", [1, 7])
case("broadcasts", model.invoke)
print("OUT", " ".join(str(v) for v in memoryview(tout)))
shape[:] = array("i", [0, 0])
case("aborts", model.invoke)
shape[:] = array("i", [5, 7])
case("after_abort", model.invoke)
print("ARENA", model.arena_size, model.arena_used)
