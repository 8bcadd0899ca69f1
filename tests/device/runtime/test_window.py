from array import array

import check
from tinyml import Window

w = Window(4, channels=2, typecode="h", hop=2)
dues = []
for i in range(1, 8):
    dues.append(w.push(array("h", (i, -i))))
check.eq("due every hop once full", dues, [False, False, False, True, False, True, False])
check.eq("view oldest first", list(w.view()), [4, -4, 5, -5, 6, -6, 7, -7])
check.eq("count", w.count, 7)
check.eq("view is zero-copy", w.view()[0], 4)

mono = Window(5, typecode="f")
for x in (0.5, 1.5, 2.5):
    mono.push(array("f", (x,)))
check.eq("not full yet", (mono.full, mono.until_due()), (False, 2))
check.eq("float view, zeros before the first sample", list(mono.view()), [0, 0, 0.5, 1.5, 2.5])

# extend stops where a window is due, so no window is skipped
ext = Window(8, hop=4)
block = array("h", range(100, 120))
taken = ext.extend(block)
check.eq("extend stops at the first full window", (taken, ext.due), (8, True))
check.eq("window holds the first 8", list(ext.view()), list(range(100, 108)))
taken = ext.extend(block, 8)
check.eq("then at each hop", (taken, ext.due, list(ext.view())),
         (4, True, list(range(104, 112))))
taken = ext.extend(block, 12, 3)
check.eq("count limits", (taken, ext.due, ext.until_due()), (3, False, 1))
ext.clear()
check.eq("clear", (ext.count, ext.due, list(ext.view())), (0, False, [0] * 8))

stereo = Window(3, channels=2)
stereo.extend(array("h", (1, 2, 3, 4, 5, 6, 7, 8)))
check.eq("extend wraps whole samples", list(stereo.view()), [1, 2, 3, 4, 5, 6])
check.eq("extend holds back a partial sample", stereo.count, 3)

check.raises("bad typecode", ValueError, Window, 4, typecode="x")
check.raises("hop > length", ValueError, Window, 4, hop=5)
check.raises("sample width", ValueError, w.push, array("h", (1, 2, 3)))

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


check.eq("push allocates nothing (10000 pushes)", check.allocated(push_many, 10000), 0)
view_many(200)  # every start offset used once, so views are cached
check.eq("push + view allocate nothing once views are cached",
         check.allocated(view_many, 10000), 0)
extend_many(200)
check.eq("extend + view allocate nothing", check.allocated(extend_many, 500), 0)
check.done()
