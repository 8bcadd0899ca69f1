"""tinyml.Window: the firmware's C window (_features.Window) and window.py's PyWindow, the
same checks on both, then both driven by the same seeded random calls must agree at every step."""

from array import array

import check
from tinyml import window


def suite(Window, tag):
    w = Window(4, channels=2, typecode="h", hop=2)
    dues = []
    for i in range(1, 8):
        dues.append(w.push(array("h", (i, -i))))
    check.eq(
        tag + " due every hop once full", dues, [False, False, False, True, False, True, False]
    )
    check.eq(tag + " view oldest first", list(w.view()), [4, -4, 5, -5, 6, -6, 7, -7])
    check.eq(tag + " count", w.count, 7)
    check.eq(tag + " view is zero-copy", w.view()[0], 4)

    mono = Window(5, typecode="f")
    for x in (0.5, 1.5, 2.5):
        mono.push(array("f", (x,)))
    check.eq(tag + " not full yet", (mono.full, mono.until_due()), (False, 2))
    check.eq(
        tag + " float view, zeros before the first sample",
        list(mono.view()),
        [0, 0, 0.5, 1.5, 2.5],
    )

    # extend stops where a window is due, so no window is skipped
    ext = Window(8, hop=4)
    block = array("h", range(100, 120))
    taken = ext.extend(block)
    check.eq(tag + " extend stops at the first full window", (taken, ext.due), (8, True))
    check.eq(tag + " window holds the first 8", list(ext.view()), list(range(100, 108)))
    taken = ext.extend(block, 8)
    check.eq(
        tag + " then at each hop",
        (taken, ext.due, list(ext.view())),
        (4, True, list(range(104, 112))),
    )
    taken = ext.extend(block, 12, 3)
    check.eq(tag + " count limits", (taken, ext.due, ext.until_due()), (3, False, 1))
    ext.clear()
    check.eq(tag + " clear", (ext.count, ext.due, list(ext.view())), (0, False, [0] * 8))

    stereo = Window(3, channels=2)
    stereo.extend(array("h", (1, 2, 3, 4, 5, 6, 7, 8)))
    check.eq(tag + " extend wraps whole samples", list(stereo.view()), [1, 2, 3, 4, 5, 6])
    check.eq(tag + " extend holds back a partial sample", stereo.count, 3)

    check.raises(tag + " bad typecode", ValueError, Window, 4, typecode="x")
    check.raises(tag + " hop > length", ValueError, Window, 4, hop=5)
    check.raises(tag + " sample width", ValueError, w.push, array("h", (1, 2, 3)))

    imu_win = Window(100, channels=3, typecode="h", hop=25)
    sample = array("h", (1, 2, 3))

    def push_many(n):
        for _ in range(n):
            imu_win.push(sample)

    def view_many(n):
        for _ in range(n):
            imu_win.push(sample)
            imu_win.view()

    audio = Window(16000, typecode="h", hop=4000)
    chunk = array("h", range(256))

    def extend_many(n):
        for _ in range(n):
            taken = audio.extend(chunk)
            if taken < len(chunk):
                audio.view()
                audio.extend(chunk, taken)

    check.eq(tag + " push allocates nothing (10000 pushes)", check.allocated(push_many, 10000), 0)
    view_many(200)  # every start offset used once, so views are cached
    check.eq(
        tag + " push + view allocate nothing once views are cached",
        check.allocated(view_many, 10000),
        0,
    )
    extend_many(200)
    check.eq(tag + " extend + view allocate nothing", check.allocated(extend_many, 500), 0)


def agree(seed, steps):
    """Random windows and calls, on both implementations; every observable must be equal."""

    def rand(n):
        nonlocal seed
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        return (seed >> 8) % n

    for case in range(20):
        typecode = "hHbBiIfd"[rand(8)]
        length = 1 + rand(9)
        channels = 1 + rand(3)
        hop = 1 + rand(length)
        wins = (
            window.Window(length, channels, typecode, hop),
            window.PyWindow(length, channels, typecode, hop),
        )
        for step in range(steps):
            op = rand(10)
            values = [rand(100) for _ in range(channels * (1 + rand(12)))]
            if typecode in "fd":
                block = array(typecode, [v / 4 for v in values])
            else:
                block = array(typecode, values)
            start = rand(2) * channels
            count = rand(4) - 1
            clear = rand(4) == 0
            results = []
            for w in wins:
                if op < 5:
                    result = w.push(block[:channels])
                elif op < 7:
                    result = w.extend(block, start, count)
                elif op == 7:
                    result = w.extend(list(block))  # not a buffer: item by item
                elif op == 8:
                    result = w.restart_hop()
                else:
                    result = w.clear() if clear else None
                results.append(
                    (
                        result,
                        w.count,
                        w.due,
                        w.full,
                        w.until_due(),
                        list(w.view()),
                        w.length,
                        w.channels,
                        w.typecode,
                        w.hop,
                    )
                )
            if results[0] != results[1]:
                raise AssertionError(
                    "case %d step %d op %d: C %r, Python %r"
                    % (case, step, op, results[0], results[1])
                )
    print("C and Python windows agree", seed)


check.true("Window is the C type", window.Window is not window.PyWindow)
suite(window.Window, "C")
suite(window.PyWindow, "Python")
agree(1, 200)
