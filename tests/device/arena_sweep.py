# Loads every model named in /rom/sweep.txt with arenas from 0 bytes to twice the model's
# minimum and invokes it where it loads: each arena must work or raise, never crash the VM.
# Each line of sweep.txt is `NAME SPAN PARTS`: 8-byte steps within SPAN bytes of the minimum,
# steps of a PARTS-th of the minimum elsewhere. Prints `MODEL NAME MINIMUM RAN RAISED
# LARGEST_RAISED` per model (-1: none raised).
import tinyml

ROM = "/rom/"
FINE = 8


def sizes(minimum, span, parts):
    coarse = max(FINE, minimum // parts)
    size = 0
    while size <= 2 * minimum:
        yield size
        size += FINE if abs(size - minimum) <= span else coarse


def sweep(path, span, parts):
    minimum = tinyml.Model(path).arena_size
    ran = raised = 0
    largest_raised = -1
    for size in sizes(minimum, span, parts):
        try:
            # An int arena must be positive: 0 bytes is an empty buffer.
            model = tinyml.Model(path, arena=size or bytearray(0))
            model.invoke()
            model.close()
            ran += 1
        except (ValueError, RuntimeError, MemoryError):
            raised += 1
            largest_raised = size
    return minimum, ran, raised, largest_raised


def main():
    with open(ROM + "sweep.txt") as f:
        cases = [line.split() for line in f if line.strip()]
    for name, span, parts in cases:
        print("MODEL", name, *sweep(ROM + name, int(span), int(parts)))


main()
