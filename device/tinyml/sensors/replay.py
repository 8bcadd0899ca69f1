"""A recording played back as a sensor, at its recorded rate, in virtual or real time.

    imu = Replay("wand.csv", typecode="h", scale=1 / 16384)   # g in the file, counts out
    mic = Replay("yes.wav")                                   # 16-bit PCM, rate from header
    n = imu.drain(win)

CSV: one sample per row, one column per channel, values in physical units; a first row of
names is a header; a column named `t` or `time` (seconds) gives the rate and is not a
channel; otherwise pass `rate=`. WAV: PCM, 16-bit, any channel count, rate from the header,
scale 1/32768; with typecode "H" the samples become ADC counts centred at 32768. A WAV is
read from its file as it plays, through a buffer of 4 KB, so a recording of any length
replays in the same memory; a CSV is parsed whole when the Replay is made. Reading
allocates nothing.

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
_BUFFER_BYTES = 4096


class Replay(Sensor):
    def __init__(self, path, *, rate=None, typecode=None, scale=None, unit="", fifo=1024):
        self.path = path
        self.unit = unit
        self.fifo = fifo
        self._file = None
        if path.endswith((".wav", ".WAV")):
            self._open_wav(path, typecode or "h", scale)
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
        # Sample _base_index was recorded at _base_us; both move on by whole seconds as
        # time passes, so the arithmetic stays within small ints and ticks_diff's range.
        self._base_us = clock.ticks_us()
        self._base_index = 0
        self._next = 0
        self._make_sample()
        self.int_pin = VirtualPin(self)

    def _open_wav(self, path, typecode, scale):
        f = open(path, "rb")
        try:
            self._read_wav_header(f, path, typecode, scale)
        except BaseException:
            f.close()
            raise
        self._file = f
        self._frame_bytes = 2 * self.channels
        frames = max(1, _BUFFER_BYTES // self._frame_bytes)
        self._data = array(typecode, bytes(frames * self._frame_bytes))
        self._fill(0)

    def _read_wav_header(self, f, path, typecode, scale):
        """Reads up to the start of the samples; sets channels, rate, samples, scale."""
        riff = f.read(12)
        if riff[0:4] != b"RIFF" or riff[8:12] != b"WAVE":
            raise ValueError("Replay: %s is not a RIFF/WAVE file" % path)
        fmt = None
        while True:
            head = f.read(8)
            if len(head) < 8:
                raise ValueError("Replay: %s has no data chunk" % path)
            size = int.from_bytes(head[4:8], "little")
            if head[0:4] == b"fmt ":
                fmt = f.read(size)
                f.seek(size & 1, 1)
            elif head[0:4] == b"data":
                break
            else:
                f.seek(size + (size & 1), 1)
        if fmt is None:
            raise ValueError("Replay: %s has its data chunk before fmt" % path)
        audio_format = int.from_bytes(fmt[0:2], "little")
        bits = int.from_bytes(fmt[14:16], "little")
        if audio_format != 1 or bits != 16:
            raise ValueError(
                "Replay: %s must be 16-bit PCM (format %d, %d bits)" % (path, audio_format, bits)
            )
        if typecode not in ("h", "H"):
            raise ValueError(
                "Replay: WAV samples are 16-bit: typecode 'h' (signed)"
                " or 'H' (ADC counts), not %r" % (typecode,)
            )
        self.channels = int.from_bytes(fmt[2:4], "little")
        if self.channels < 1:
            raise ValueError("Replay: %s has no channels" % path)
        self.rate = int.from_bytes(fmt[4:8], "little")
        self.typecode = typecode
        self.samples = size // (2 * self.channels)
        # 'H': as an ADC reads a signal centred at mid-scale, 0..65535.
        self.scale = scale if scale is not None else 1 / 32768 if typecode == "h" else 1 / 65535
        self._data_pos = f.tell()

    def _fill(self, index):
        """Read the file's samples from `index` on into the buffer."""
        f = self._file
        f.seek(self._data_pos + index * self._frame_bytes)
        frames = f.readinto(self._data) // self._frame_bytes
        if frames == 0:
            raise EOFError("Replay: %s ends before its data chunk does" % self.path)
        if self.typecode == "H":
            data = self._data
            i = 0
            n = frames * self.channels
            while i < n:
                data[i] ^= 0x8000  # two's complement -> offset binary: x + 32768
                i += 1
        self._buf_start = index
        self._buf_frames = min(frames, self.samples - index)

    def _offset(self, index):
        """Where sample `index` starts in `self._data`, reading it from the file if it is not
        buffered; the buffer holds it and `self._buf_start + self._buf_frames - index` more."""
        if index < self._buf_start or index >= self._buf_start + self._buf_frames:
            self._fill(index)
        return (index - self._buf_start) * self.channels

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
        self.samples = len(values) // self.channels
        self._buf_start = 0
        self._buf_frames = self.samples

    def _due(self):
        """How many samples have been recorded by now."""
        elapsed = clock.ticks_diff(clock.ticks_us(), self._base_us)
        if elapsed >= 1000000:
            seconds = elapsed // 1000000
            self._base_us = clock.ticks_add(self._base_us, seconds * 1000000)
            self._base_index += seconds * self.rate
            elapsed -= seconds * 1000000
        # base + floor(elapsed * rate / 1e6) + 1, in parts: the product passes 2**30 (where a
        # 32-bit port's integers leave the small ints and allocate) at 1 s of 1 kHz.
        rate = self.rate
        per_ms = elapsed // 1000 * rate
        due = (
            self._base_index
            + per_ms // 1000
            + (per_ms % 1000 * 1000 + elapsed % 1000 * rate) // 1000000
            + 1
        )
        return due if due < self.samples else self.samples

    def sample_time_us(self, index):
        """When sample `index` is (or was) recorded: base + ceil(d * 1e6 / rate), in parts."""
        rate = self.rate
        d = index - self._base_index
        thousandths = d % rate * 1000
        us = (
            d // rate * 1000000
            + thousandths // rate * 1000
            + (thousandths % rate * 1000 + rate - 1) // rate
        )
        return clock.ticks_add(self._base_us, us)

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
        k = self._offset(self._next)
        data = self._data
        for c in range(self.channels):
            sample[c] = data[k + c]
        self._next += 1

    def drain(self, window):
        n = min(self.available(), window.until_due())
        left = n
        while left:
            k = self._offset(self._next)
            m = min(left, self._buf_start + self._buf_frames - self._next)
            window.extend(self._data, k, m)
            self._next += m
            left -= m
        return n

    def close(self):
        """Close the recording's file (a WAV is read as it plays)."""
        if self._file is not None:
            self._file.close()
            self._file = None

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
            self.int_pin.events = self._motion(threshold, duration_ms)
        self.int_pin.restart()

    def clear_interrupt(self):
        return self.int_pin.value()

    def _motion(self, threshold, duration_ms):
        # The samples where the chip's motion detector would fire: trigger.MotionDetector,
        # as trigger.Motion runs it on pushed samples.
        from tinyml.trigger import MotionDetector, _run_of

        detector = MotionDetector(
            self.channels, int(threshold / self.scale), _run_of(duration_ms, self.rate)
        )
        found = array("I")
        i = 0
        while i < self.samples:
            k = self._offset(i)
            m = self._buf_start + self._buf_frames - i
            detector.feed(self._data, k, k + m * self.channels, found, i)
            i += m
        return found


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
