"""Sliding window of sensor samples: N samples x C channels of one typecode.

    win = Window(100, channels=3, typecode="h", hop=25)   # 1 s at 100 Hz, every 250 ms
    if win.push(sample):                                  # no allocation
        model.input(0).quantize(win.view())               # oldest sample first

Samples are stored twice, at i and i + N, so the last N samples in time order are always
one contiguous run of memory: `view()` hands that run out as a memoryview without copying,
and push writes with two slice stores. The price is twice the RAM of the samples. A view
shows the window as it was when view() was called, until the next push or extend.

`Window` is the C type of the firmware's `_features` module where the firmware has it (a push
costs a call and two copies, a few hundred instructions on a Cortex-M4); `PyWindow`, this
file's class, is its definition and the fallback elsewhere. Both behave the same, except that
the C window's attributes are read-only, and that the C window has one memoryview that view()
moves, while PyWindow keeps one per start offset it was asked for (length / gcd(length, hop)
when read once per hop, up to `length` when read after every push).
"""

from array import array

# Typecodes whose size is the same on every port ("l" is 4 bytes on a board, 8 on unix).
_ITEMSIZE = {"b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "f": 4, "d": 8}


class PyWindow:
    def __init__(self, length, channels=1, typecode="h", hop=None):
        if length < 1 or channels < 1:
            raise ValueError("Window: length and channels must be >= 1")
        if hop is None:
            hop = length
        if not 1 <= hop <= length:
            raise ValueError("Window: hop must be between 1 and length (%d)" % length)
        size = _ITEMSIZE.get(typecode)
        if size is None:
            raise ValueError(
                "Window: typecode must be one of %s, not %r"
                % ("".join(sorted(_ITEMSIZE)), typecode)
            )
        self._data = array(typecode, bytes(2 * length * channels * size))
        self.length = length
        self.channels = channels
        self.typecode = typecode
        self.hop = hop
        self.count = 0  # samples pushed since the last clear()
        self._mv = memoryview(self._data)
        self._span = length * channels
        self._write = 0  # next slot, in items
        self._since_due = 0
        self.due = False  # the last push or extend completed a window
        # One memoryview per start offset used, made on first use so steady state allocates
        # nothing (Python cannot move a memoryview as the C window does).
        self._views = {}

    @property
    def full(self):
        return self.count >= self.length

    def until_due(self):
        """Samples still to push before the next window is due."""
        if self.count < self.length:
            return self.length - self.count
        return self.hop - self._since_due

    def push(self, sample):
        """Append one sample (a buffer of `channels` values of the window's typecode).

        Returns True when a window is due: the window is full and `hop` samples have arrived
        since the last one.
        """
        channels = self.channels
        if len(sample) != channels:
            raise ValueError(
                "Window.push: sample has %d values, window has %d channels"
                % (len(sample), channels)
            )
        i = self._write
        self._mv[i : i + channels] = sample
        j = i + self._span
        self._mv[j : j + channels] = sample
        i += channels
        self._write = 0 if i == self._span else i
        self.count += 1
        self._since_due += 1
        due = self._since_due >= self.hop and self.count >= self.length
        if due:
            self._since_due = 0
        self.due = due
        return due

    def extend(self, samples, start=0, count=-1):
        """Append up to `count` samples from the flat buffer `samples` (item `start` on).

        Stops early when a window becomes due, so the caller can use it before it slides on.
        Returns how many samples were taken; `due` tells whether the last one made a window.
        Copies item by item: slicing a buffer would allocate a memoryview per call, and
        integer items copy without allocating (float items are boxed on most ports).
        """
        channels = self.channels
        available = (len(samples) - start) // channels
        if count < 0 or count > available:
            count = available
        take = min(count, self.until_due())
        data = self._data
        span = self._span
        i = self._write
        k = start
        end = start + take * channels
        while k < end:
            value = samples[k]
            data[i] = value
            data[i + span] = value
            k += 1
            i += 1
            if i == span:
                i = 0
        self._write = i
        self.count += take
        self._since_due += take
        self.due = self._since_due >= self.hop and self.count >= self.length
        if self.due:
            self._since_due = 0
        return take

    def view(self):
        """The last `length` samples, oldest first, as a memoryview into the window."""
        i = self._write
        view = self._views.get(i)
        if view is None:
            view = self._mv[i : i + self._span]
            self._views[i] = view
        return view

    def restart_hop(self):
        """Count the next hop from now: the next window is due `hop` samples later."""
        self._since_due = 0
        self.due = False

    def clear(self):
        self.count = 0
        self._since_due = 0
        self.due = False
        self._write = 0
        mv = self._mv
        for i in range(len(mv)):
            mv[i] = 0


try:
    from _features import Window
except ImportError:  # a firmware without the C module
    Window = PyWindow
