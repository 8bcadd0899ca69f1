"""A recording played back as a sensor, at its recorded rate, in virtual or real time.

    imu = Replay("wand.csv", typecode="h", scale=1 / 16384)   # g in the file, counts out
    mic = Replay("yes.wav")                                   # 16-bit PCM, rate from header
    n = imu.drain(win)

CSV: one sample per row, one column per channel, values in physical units; a first row of
names is a header; a column named `t` or `time` (seconds) gives the rate and is not a
channel; otherwise pass `rate=`. WAV: PCM, 16-bit, any channel count, rate from the header,
scale 1/32768; with typecode "H" the samples become ADC counts centred at 32768. The file is
loaded whole when the Replay is made, so reading allocates
nothing.

Sample i becomes available `i / rate` seconds after the Replay was made, by `tinyml.clock`
(virtual time on the simulator): a sensor that waits for data advances virtual time.
Samples not read in time are kept in a FIFO of `fifo` samples, like a chip's, and dropped
(counted in `overruns`) past that. After the last sample, reads raise EOFError.
`int_pin` is a virtual pin that pulses on each sample ("data") or on motion, after
`enable_interrupt`, so code that sleeps until an IMU interrupt runs unchanged.
"""

from array import array

import tinyml.clock as clock

from . import Sensor

_INT_TYPECODES = "bBhHiIlL"


class Replay(Sensor):
    def __init__(self, path, *, rate=None, typecode=None, scale=None, unit="", fifo=1024):
        self.path = path
        self.unit = unit
        self.fifo = fifo
        if path.endswith((".wav", ".WAV")):
            self._load_wav(path, typecode or "h", scale)
        elif path.endswith((".csv", ".CSV")):
            self._load_csv(path, typecode or "f", 1 if scale is None else scale, rate)
        else:
            raise ValueError("Replay: %s is neither .csv nor .wav" % path)
        if rate is not None:
            if rate != int(rate):
                raise ValueError("Replay: rate must be a whole number of Hz, not %r" % (rate,))
            self.rate = int(rate)
        if self.rate is None or self.rate <= 0:
            raise ValueError("Replay: %s has no time column; pass rate=" % path)
        self.samples = len(self._data) // self.channels
        self._start_us = clock.ticks_us()
        self._next = 0
        self._make_sample()
        self.int_pin = VirtualPin(self)

    def _load_wav(self, path, typecode, scale):
        with open(path, "rb") as f:
            data = f.read()
        if data[0:4] != b"RIFF" or data[8:12] != b"WAVE":
            raise ValueError("Replay: %s is not a RIFF/WAVE file" % path)
        pos = 12
        fmt = None
        while pos + 8 <= len(data):
            size = int.from_bytes(data[pos + 4 : pos + 8], "little")
            chunk = data[pos : pos + 4]
            if chunk == b"fmt ":
                fmt = data[pos + 8 : pos + 8 + size]
            elif chunk == b"data":
                if fmt is None:
                    raise ValueError("Replay: %s has its data chunk before fmt" % path)
                audio_format = int.from_bytes(fmt[0:2], "little")
                bits = int.from_bytes(fmt[14:16], "little")
                if audio_format != 1 or bits != 16:
                    raise ValueError(
                        "Replay: %s must be 16-bit PCM (format %d, %d bits)"
                        % (path, audio_format, bits)
                    )
                self.channels = int.from_bytes(fmt[2:4], "little")
                self.rate = int.from_bytes(fmt[4:8], "little")
                self.typecode = typecode
                pcm = array("h", data[pos + 8 : pos + 8 + (size & ~1)])
                if typecode == "h":
                    self._data = pcm
                    self.scale = 1 / 32768 if scale is None else scale
                elif typecode == "H":
                    # As an ADC reads a signal centred at mid-scale: 0..65535.
                    self._data = array("H", bytes(2 * len(pcm)))
                    for i in range(len(pcm)):
                        self._data[i] = pcm[i] + 32768
                    self.scale = 1 / 65535 if scale is None else scale
                else:
                    raise ValueError(
                        "Replay: WAV samples are 16-bit: typecode 'h' (signed)"
                        " or 'H' (ADC counts, centred at 32768), not %r" % (typecode,)
                    )
                return
            pos += 8 + size + (size & 1)
        raise ValueError("Replay: %s has no data chunk" % path)

    def _load_csv(self, path, typecode, scale, rate):
        values = array(typecode)
        integer = typecode in _INT_TYPECODES
        time_column = -1
        times = []
        self.channels = 0
        self.columns = None
        with open(path) as f:
            for number, line in enumerate(f, 1):
                line = line.strip()
                if not line or line[0] == "#":
                    continue
                fields = line.split(",")
                if self.columns is None and not _is_number(fields[0]):
                    self.columns = [name.strip() for name in fields]
                    for name in ("t", "time"):
                        if name in self.columns:
                            time_column = self.columns.index(name)
                    continue
                if self.channels == 0:
                    self.channels = len(fields) - (time_column >= 0)
                if len(fields) - (time_column >= 0) != self.channels:
                    raise ValueError(
                        "Replay: %s line %d has %d fields, expected %d"
                        % (path, number, len(fields), self.channels)
                    )
                for k, field in enumerate(fields):
                    try:
                        value = float(field)
                    except ValueError:
                        raise ValueError(
                            "Replay: %s line %d: %r is not a number" % (path, number, field)
                        ) from None
                    if k == time_column:
                        if len(times) < 2:
                            times.append(value)
                    elif integer:
                        values.append(round(value / scale))
                    else:
                        values.append(value / scale)
        if self.channels == 0:
            raise ValueError("Replay: %s holds no samples" % path)
        if self.columns is not None and time_column >= 0:
            self.columns.pop(time_column)
        self.rate = None
        if rate is None and len(times) == 2 and times[1] > times[0]:
            self.rate = round(1 / (times[1] - times[0]))
        self.typecode = typecode
        self.scale = scale
        self._data = values

    def _due(self):
        """How many samples have been recorded by now."""
        elapsed = clock.ticks_diff(clock.ticks_us(), self._start_us)
        due = elapsed * self.rate // 1000000 + 1
        return due if due < self.samples else self.samples

    def sample_time_us(self, index):
        return clock.ticks_add(self._start_us, (index * 1000000 + self.rate - 1) // self.rate)

    def available(self):
        if self._next >= self.samples:
            raise EOFError("Replay: end of %s" % self.path)
        waiting = self._due() - self._next
        if waiting > self.fifo:
            self.overruns += waiting - self.fifo
            self._next += waiting - self.fifo
            waiting = self.fifo
        return waiting

    def read_into(self, sample):
        """The next sample, waiting (in virtual time on the simulator) until it is recorded."""
        if self.available() == 0:
            clock.sleep_us(clock.ticks_diff(self.sample_time_us(self._next), clock.ticks_us()))
        data = self._data
        k = self._next * self.channels
        for c in range(self.channels):
            sample[c] = data[k + c]
        self._next += 1

    def drain(self, window):
        n = min(self.available(), window.until_due())
        window.extend(self._data, self._next * self.channels, n)
        self._next += n
        return n

    def enable_interrupt(self, event="data", *, threshold=0.1, duration_ms=0):
        """Make `int_pin` pulse on each sample ("data"), on each sample that differs from
        the recent mean by more than `threshold` (in units) on any channel for `duration_ms`
        in a row ("motion"), or never (None)."""
        if event not in (None, "data", "motion"):
            raise ValueError("Replay: interrupt event must be 'data', 'motion' or None")
        self.int_pin.events = None
        if event == "data":
            self.int_pin.events = range(self.samples)
        elif event == "motion":
            self.int_pin.events = self._motion(
                threshold / self.scale, _samples_for(duration_ms, self.rate)
            )
        self.int_pin.restart()

    def clear_interrupt(self):
        return self.int_pin.value()

    def _motion(self, limit, run):
        # As the chips' high-pass filtered motion detectors: a sample counts when it differs
        # from a slow running mean (1/16 per sample) by more than the limit on any channel,
        # and it and the `run - 1` before it all did (MPU6050 MOT_DUR, LSM6DS WAKE_DUR): a
        # knock of a sample or two does not wake the board, a movement does.
        data = self._data
        channels = self.channels
        baseline = [data[c] for c in range(channels)]
        found = array("I")
        over = 0
        for i in range(1, self.samples):
            k = i * channels
            moved = False
            for c in range(channels):
                value = data[k + c]
                if abs(value - baseline[c]) > limit:
                    moved = True
                baseline[c] += (value - baseline[c]) / 16
            over = over + 1 if moved else 0
            if over >= run:
                found.append(i)
        return found


def _samples_for(duration_ms, rate):
    """How many samples in a row make `duration_ms` (at least one)."""
    return max(1, (duration_ms * rate + 999) // 1000)


class VirtualPin:
    """An input pin driven by a Replay's samples: `value()`, `irq(handler, trigger)`.

    A clock source: at each event sample's time it goes high, calls its handler (as a
    hard interrupt would) and reads high until the next sample.
    """

    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, replay):
        self._replay = replay
        self.events = None
        self._handler = None
        self._index = 0
        self._high_until_us = -1
        self.edges = 0  # events fired so far: a sleep compares it to see what woke it

    def restart(self):
        """Start at the first event not yet in the past."""
        self._index = 0
        if self.events is None:
            clock.remove_source(self)
            return
        now = clock.ticks_us()
        while (
            self._index < len(self.events)
            and clock.ticks_diff(self._replay.sample_time_us(self.events[self._index]), now) < 0
        ):
            self._index += 1
        clock.add_source(self)

    def next_event_us(self):
        if self.events is None or self._index >= len(self.events):
            return -1
        return self._replay.sample_time_us(self.events[self._index])

    def fire_event(self):
        i = self.events[self._index]
        self._index += 1
        self._high_until_us = self._replay.sample_time_us(i + 1)
        self.edges += 1
        if self._handler is not None:
            self._handler(self)

    def value(self):
        return 1 if clock.ticks_diff(self._high_until_us, clock.ticks_us()) > 0 else 0

    def irq(self, handler=None, trigger=IRQ_RISING, hard=False):
        if trigger != self.IRQ_RISING:
            raise ValueError("VirtualPin: only rising edges (events) can interrupt")
        self._handler = handler


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False
