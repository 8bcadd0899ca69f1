# The board's half of benchmarks/features.py: the cost of each feature function and of
# Window.push, in C (the firmware's _features) and in Python (the definitions), with the heap
# each allocates. Prints one line per measurement: NAME IMPL CALLS TICKS HEAP_BYTES, and the
# ticks of an empty loop. Under QEMU's -icount shift=0 a tick of ticks_us() is 1000
# instructions. Everything runs inside main(): a new global would grow the module's dict.
import gc
import time
from array import array

from tinyml import features, window


def noise(n, amplitude, seed):
    out = array("h", bytes(2 * n))
    for i in range(n):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = (seed >> 8) % (2 * amplitude + 1) - amplitude
    return out


def measure(name, impl, calls, run, *args):
    run(1, *args)  # warm up: tables, cached views
    gc.collect()
    heap = gc.mem_alloc()
    start = time.ticks_us()
    run(calls, *args)
    ticks = time.ticks_diff(time.ticks_us(), start)
    print(name, impl, calls, ticks, gc.mem_alloc() - heap)


def empty(n):
    for _ in range(n):
        pass


def spectrogram(n, fn, audio, out):
    for _ in range(n):
        fn(audio, out)


def frame(n, fn, audio, out):
    edges = features.KEYWORD_EDGES
    for _ in range(n):
        fn(audio, 320, 9, edges, 96, out, 0)


def hop(n, spec, blocks):
    for i in range(n):
        spec.extend(blocks[i & 1])


def vibration(n, fn, samples, out):
    for _ in range(n):
        fn(samples, out)


def push(n, win, sample):
    for _ in range(n):
        win.push(sample)


def main():
    audio = noise(16000, 10000, 1)
    vibration_window = noise(1024, 8000, 2)
    motion_window = noise(384, 3000, 3)
    spectrum = array("b", bytes(features.KEYWORD_FEATURES))
    bands = array("b", bytes(32))
    motion = array("b", bytes(384))
    spec = features.Spectrogram()
    spec.extend(audio)
    blocks = (noise(320, 10000, 4), noise(320, 10000, 5))
    sample = array("h", (1, 2, 3))

    gc.collect()
    start = time.ticks_us()
    empty(10000)
    print("EMPTY_LOOP", 10000, time.ticks_diff(time.ticks_us(), start))
    measure("log_spectrogram", "C", 10, spectrogram, features.log_spectrogram, audio, spectrum)
    measure(
        "log_spectrogram", "Python", 1, spectrogram, features.py_log_spectrogram, audio, spectrum
    )
    measure("hop", "C", 20, hop, spec, blocks)
    measure("frame_bands", "C", 20, frame, features.frame_bands, audio, bands)
    measure("frame_bands", "Python", 2, frame, features.py_frame_bands, audio, bands)
    measure(
        "vibration_features",
        "C",
        50,
        vibration,
        features.vibration_features,
        vibration_window,
        bands,
    )
    measure(
        "vibration_features",
        "Python",
        2,
        vibration,
        features.py_vibration_features,
        vibration_window,
        bands,
    )
    measure("motion_features", "C", 50, vibration, features.motion_features, motion_window, motion)
    measure(
        "motion_features",
        "Python",
        2,
        vibration,
        features.py_motion_features,
        motion_window,
        motion,
    )
    measure("Window.push", "C", 2000, push, window.Window(100, channels=3, hop=25), sample)
    measure("Window.push", "Python", 200, push, window.PyWindow(100, channels=3, hop=25), sample)


main()
