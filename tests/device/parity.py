"""Parity: run every model listed in /rom/parity.txt on its input sets and print the outputs.

Manifest lines: `<name> <inputs> <outputs> <sets>`; files `<name>.tflite` and
`<name>.s<set>.in<input>.bin` (raw tensor bytes). Prints, per model:
    IO <name> in|out <index> <dtype> <d0,d1,...> <scale> <zero_point>
    OUT <name> <set> <output> <hex of the output tensor's bytes>
    RESET <name> <output> <hex>   (set 0 again after model.reset(): its outputs again)
or `ERR <name> <ExceptionType> <message>`. The host compares with tflite-micro.
"""

import os

from tinyml import Model

ROM = "/rom/"


def hexbytes(buf):
    return "".join("%02x" % b for b in bytes(buf))


def describe(name, kind, tensors):
    for i, t in enumerate(tensors):
        shape = ",".join(str(d) for d in t.shape)
        print("IO", name, kind, i, t.dtype, shape, repr(t.scale), t.zero_point)


def load_input(tensor, path):
    # readinto fills the tensor's own memory whatever its element type; a short read means the
    # tensor is smaller than the data the host made for it.
    with open(path, "rb") as f:
        got = f.readinto(tensor)
    size = os.stat(path)[6]
    if got != size:
        raise ValueError("%s: tensor took %d of %d bytes" % (path, got, size))


def run(name, inputs, outputs, sets):
    model = Model(ROM + name + ".tflite")
    describe(name, "in", model.inputs)
    describe(name, "out", model.outputs)
    # Sets in order on one model: models with state (LSTM) carry it between invokes, as on the
    # host.
    for k in range(sets):
        for i in range(inputs):
            load_input(model.input(i), "%s%s.s%d.in%d.bin" % (ROM, name, k, i))
        model.invoke()
        for j in range(outputs):
            print("OUT", name, k, j, hexbytes(model.output(j)))
    # reset() forgets the state the sets left: set 0 gives its first outputs again.
    model.reset()
    for i in range(inputs):
        load_input(model.input(i), "%s%s.s0.in%d.bin" % (ROM, name, i))
    model.invoke()
    for j in range(outputs):
        print("RESET", name, j, hexbytes(model.output(j)))
    model.close()


with open(ROM + "parity.txt") as manifest:
    entries = [line.split() for line in manifest if line.strip()]
for name, inputs, outputs, sets in entries:
    try:
        run(name, int(inputs), int(outputs), int(sets))
    except Exception as e:
        print("ERR", name, type(e).__name__, str(e).replace("\n", " "))
