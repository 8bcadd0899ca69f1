"""Bad input: malformed models, misused tensors and closed models must raise, never crash.

/rom/bad.txt lists case names; each case is `/rom/<name>.bad`, loaded from its path (in place)
and from a copy in RAM. Prints
    BAD <name> path|buf <ExceptionType> <message>      rejected
    BAD <name> path|buf ACCEPTED OK|<ExceptionType> <message>   loaded, then invoked
then `CASE <name> OK|<ExceptionType> <message>` for each misuse of the good model
(/rom/good.tflite, int8 in and out; the arena-error cases also load the corpus' huge_input_dim,
which fits no arena), `OUT good 0 0 <hex>` from the good model after all that.
The host decides which outcomes are allowed.
"""

from array import array

from tinyml import Model

ROM = "/rom/"
GOOD = ROM + "good.tflite"


def explain(e):
    return "%s %s" % (type(e).__name__, str(e).replace("\n", " "))


def try_model(name, how, src):
    try:
        model = Model(src)
    except Exception as e:
        print("BAD", name, how, explain(e))
        return
    try:
        model.invoke()
        result = "OK"
    except Exception as e:
        result = explain(e)
    model.close()
    print("BAD", name, how, "ACCEPTED", result)


def case(name, action):
    try:
        action()
        print("CASE", name, "OK")
    except Exception as e:
        print("CASE", name, explain(e))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def assign(view, data):
    view[:] = data


with open(ROM + "bad.txt") as listing:
    names = [line.strip() for line in listing if line.strip()]
for name in names:
    path = ROM + name + ".bad"
    try_model(name, "path", path)
    try_model(name, "buf", read(path))

model = Model(GOOD)
tin = model.input(0)
tout = model.output(0)
n_in = len(bytes(tin))
n_out = len(bytes(tout))
case("quantize_right", lambda: tin.quantize([0.5] * n_in))
case("quantize_too_many", lambda: tin.quantize([0.5] * (n_in + 1)))
case("quantize_too_few", lambda: tin.quantize([0.5] * (n_in - 1)))
case("quantize_not_numbers", lambda: tin.quantize(["x"] * n_in))
case("quantize_not_iterable", lambda: tin.quantize(None))


def quantize_scaled():
    # values * scale, quantized: the same tensor bytes as the scaled values themselves
    tin.quantize([0.5] * n_in)
    want = bytes(tin)
    tin.quantize(array("h", [2] * n_in), 0.25)
    if bytes(tin) != want:
        raise ValueError("quantize(values, 0.25) differs from quantize(values * 0.25)")


case("quantize_scaled", quantize_scaled)
case("quantize_scale_not_a_number", lambda: tin.quantize([0.5] * n_in, "x"))
case("write_right", lambda: assign(memoryview(tin), bytes(n_in)))
case("write_too_long", lambda: assign(memoryview(tin), bytes(n_in + 1)))
case("write_too_short", lambda: assign(memoryview(tin), bytes(n_in - 1)))
case("write_wrong_type", lambda: assign(memoryview(tin), array("f", [0.0] * n_in)))
case("dequantize_right", lambda: tout.dequantize(out=array("f", [0.0] * n_out)))
case("dequantize_out_too_small", lambda: tout.dequantize(out=array("f", [0.0] * (n_out - 1))))
case("input_index_out_of_range", lambda: model.input(len(model.inputs)))
case("output_index_negative", lambda: model.output(-100))
case("model_missing_file", lambda: Model(ROM + "no_such_model.tflite"))
case("model_not_a_buffer", lambda: Model(12345))
case("arena_int_too_small", lambda: Model(GOOD, arena=64))
case("arena_negative", lambda: Model(GOOD, arena=-1))
case("arena_buffer_too_small", lambda: Model(GOOD, arena=bytearray(64)))
case("arena_read_only", lambda: Model(GOOD, arena=bytes(65536)))


def arena_buffer_misaligned():
    # A buffer of exactly the needed length at each of 16 offsets: at most one starts on a
    # 16-byte boundary and works; the others lose bytes to TFLM's alignment and must say so.
    probe = Model(GOOD)
    need = probe.arena_size
    probe.close()
    buffer = bytearray(need + 16)
    for offset in range(16):
        try:
            Model(GOOD, arena=memoryview(buffer)[offset : offset + need]).close()
        except ValueError as e:
            if not str(e).startswith("arena too small: the model needs %d bytes" % need):
                raise


case("arena_buffer_misaligned", arena_buffer_misaligned)


def load_error(path, arena):
    """The message of the ValueError that loading the model at `path` in `arena` raises."""
    try:
        Model(path, arena=arena).close()
    except ValueError as e:
        return str(e)
    raise AssertionError("%s loaded with arena %r" % (path, arena))


def arena_error_is_its_own():
    # A model that fits no arena (an input dimension of 2**31): a given arena's error must be
    # that arena's, with its free bytes, not that of the trial arena measured after it fails.
    for size in (2048, 4096):
        for arena in (size, bytearray(size)):
            message = load_error(ROM + "huge_input_dim.bad", arena)
            available = int(message.split("available ")[1].split(",")[0])
            if available >= size:
                raise AssertionError("a %d-byte arena failed with: %s" % (size, message))


case("arena_error_is_its_own", arena_error_is_its_own)


def error_lines_end_with_newline():
    # TFLM's log, in the message of an arena too small to start the model, has two lines.
    message = load_error(ROM + "huge_input_dim.bad", 512)
    if "\r" in message or "\n" not in message:
        raise AssertionError("not lines ending with a newline: %r" % message)


case("error_lines_end_with_newline", error_lines_end_with_newline)

# Read-only and not 8-byte aligned, as a model in a /rom packed by stock `mpremote romfs build`:
# used through an aligned copy.
case("model_unaligned_buffer", lambda: Model(memoryview(b"\0" + read(GOOD))[1:]).invoke())

closed = Model(GOOD)
closed_input = closed.input(0)
closed.close()
case("closed_invoke", closed.invoke)
case("closed_input", lambda: closed.input(0))
case("closed_tensor_quantize", lambda: closed_input.quantize([0.5] * n_in))
case("closed_tensor_memoryview", lambda: memoryview(closed_input))
case("closed_again", closed.close)


def closed_forgets_its_arena():
    if (closed.arena_size, closed.arena_used) != (0, 0):
        raise AssertionError("arena %d/%d" % (closed.arena_used, closed.arena_size))


case("closed_forgets_its_arena", closed_forgets_its_arena)

# The good model still works after every misuse above.
assign(memoryview(tin), read(ROM + "good.in0.bin"))
model.invoke()
print("OUT", "good", 0, 0, "".join("%02x" % b for b in bytes(tout)))
model.close()
