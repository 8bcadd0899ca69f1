"""Integer feature extraction, identical on the PC and on the board.

The same file runs under CPython (`host train` imports it to make training data) and under
MicroPython (the board computes a model's input with it). Only integers are used, so every
result is the same bit for bit everywhere; the cosine tables are built with integer arithmetic
for the same reason (a board's single-precision `math.cos` would round differently).

    from array import array
    from tinyml import features
    audio = array("h", bytes(2 * 16000))     # 1 s of 16 kHz int16 samples
    out = array("b", bytes(features.KEYWORD_FEATURES))
    features.log_spectrogram(audio, out)     # 49 frames x 32 bands of int8, row-major
    model.input(0)  # scale 2**-INPUT_SCALE_LOG2, zero point 0: the features as they are

Functions (every `out` is a writable sequence of int8 such as `array("b", ...)`; a parameter
left out is the recipes' value, the `KEYWORD_`, `VIBRATION_` or `MOTION_` constant below):

- `log_spectrogram(audio, out, frame_log2, hop, edges, offset)`: keyword features. Frames of
  2**frame_log2 samples every `hop` samples; per frame, the log2 energy (in quarter octaves,
  1.5 dB) of each band `edges[i] <= bin < edges[i+1]` of a Hann-windowed fixed-point FFT,
  minus `offset`, clamped to int8. Returns the frame count.
- `vibration_features(samples, out, frame_log2, edges, offset)`: anomaly features: the same
  band energies for consecutive frames, averaged over the frames.
- `motion_features(samples, out, shift)`: gesture features. `samples` holds n interleaved x,
  y, z readings in milli-g; each axis has its mean removed and is divided by 2**shift
  (16 mg per step), clamped to int8; the output keeps the interleaved order.
- `frame_bands(samples, start, frame_log2, edges, offset, out, out_start)`: one frame's bands,
  the building block of the first two; `frame_count(samples, frame_log2, hop)`: how many
  frames `samples` samples hold.
- `Spectrogram(frames, frame_log2, hop, edges, offset)`: `log_spectrogram` as audio arrives.
  `extend(samples, start=0, count=-1)` takes int16 samples in blocks of any size and computes
  each frame they complete (one frame per hop, not the whole second again); `view()` is the
  last `frames` frames, oldest first, as a memoryview of int8: after the first `frames`
  frames it equals `log_spectrogram` of the audio from the oldest frame's first sample on.
  `full`, `count` (frames so far), `clear()`.

        spec = features.Spectrogram()
        spec.extend(block)                       # e.g. the 256 samples mic.drain() gave
        if spec.full:
            memoryview(model.input(0))[:] = spec.view()   # the int8 input tensor

On a board whose firmware has the `_features` module (every firmware `host build` makes),
these functions run in C: the same integers, about 75 times faster, allocating nothing.
There `samples` must be a buffer of integers (`array("h")`, `bytearray`, a memoryview) and
`out` a writable buffer of int8 (`array("b")`, `bytearray`, a memoryview of an int8 tensor);
a length that does not fit raises ValueError. `py_frame_bands`, `py_log_spectrogram`,
`py_vibration_features` and `py_motion_features` are the Python definitions, on every VM.
"""

from array import array

try:
    from micropython import const
except ImportError:  # CPython: `const` is only a compile-time hint on MicroPython

    def const(value):
        return value


# Every parameter of the recipes' features is defined here, once: the functions' defaults,
# training's numpy twin (host/features.py) and the sidecars (`PARAMS`) all read these.
KEYWORD_RATE = const(16000)
KEYWORD_FRAME_LOG2 = const(9)  # 512-sample (32 ms) frames ...
KEYWORD_HOP = const(320)  # ... every 20 ms
KEYWORD_OFFSET = const(96)  # subtracted from the band energies (1.5 dB steps) to centre them
KEYWORD_FRAMES = const(49)  # 1 + (KEYWORD_RATE - 2**KEYWORD_FRAME_LOG2) // KEYWORD_HOP
# Mel-spaced band edges in FFT bins of a 512-point FFT at 16 kHz (100 Hz .. 7.6 kHz, 32 bands).
# Kept literal so that no board has to compute a logarithm to get the same integers.
KEYWORD_EDGES = (
    3,
    5,
    7,
    9,
    12,
    14,
    17,
    20,
    24,
    27,
    31,
    35,
    39,
    44,
    49,
    54,
    60,
    66,
    73,
    80,
    88,
    96,
    105,
    115,
    126,
    137,
    149,
    162,
    176,
    191,
    207,
    224,
    243,
)
KEYWORD_FEATURES = const(1568)  # KEYWORD_FRAMES * 32

VIBRATION_RATE = const(4000)
VIBRATION_SAMPLES = const(1024)
VIBRATION_FRAME_LOG2 = const(8)
VIBRATION_OFFSET = const(64)
# 32 bands of 4 bins of a 256-point FFT at 4 kHz: 15.6 Hz .. 2 kHz, 62.5 Hz each.
VIBRATION_EDGES = tuple(range(1, 130, 4))

MOTION_SHIFT = const(4)  # milli-g / 16: 16 mg per step, +-2 g within int8

# The features are the model's input times 2**INPUT_SCALE_LOG2: training feeds the model
# features * 2**-6 and calibrates with the int8 extremes, so the converter picks input scale
# 2**-6 and zero point 0, and the int8 features fill the input tensor as they are.
INPUT_SCALE_LOG2 = const(6)

# The feature functions a sidecar can name (its "features" "function"), each with the
# parameters it takes after its buffers, in order, and the values the recipes train with.
PARAMS = {
    "log_spectrogram": (
        ("frame_log2", KEYWORD_FRAME_LOG2),
        ("hop", KEYWORD_HOP),
        ("edges", KEYWORD_EDGES),
        ("offset", KEYWORD_OFFSET),
    ),
    "vibration_features": (
        ("frame_log2", VIBRATION_FRAME_LOG2),
        ("edges", VIBRATION_EDGES),
        ("offset", VIBRATION_OFFSET),
    ),
    "motion_features": (("shift", MOTION_SHIFT),),
}

# round(16 * log2(1 + i / 16)): the fraction of a log2 in sixteenths
_LOG2_FRACTION = (0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15)

_Q28 = 1 << 28
_PI_Q28 = 843314857  # round(pi * 2**28)


def _cos_q15(k, n):
    """cos(2*pi*k/n) in Q15 for 0 <= k <= n/2, by an integer Taylor series in Q28 (the same
    result on every VM; every product fits in 64 bits, so no port needs big integers)."""
    if 4 * k > n:
        return -_cos_q15(n // 2 - k, n)  # cos(pi - a) = -cos(a): keep the angle <= pi/2
    x = 2 * _PI_Q28 * k // n
    x2 = x * x >> 28
    term = _Q28
    total = _Q28
    for i in range(1, 12):
        term = -term * x2 // (_Q28 * (2 * i - 1) * (2 * i))
        total += term
    return (total + (1 << 12)) >> 13


class _Tables:
    """Bit-reversal order, Hann window (Q15) and twiddles (Q14) of one FFT size."""

    def __init__(self, n_log2):
        n = 1 << n_log2
        cos = [_cos_q15(k, n) for k in range(n // 2 + 1)]
        self.hann = [(32768 - cos[k if k <= n // 2 else n - k]) >> 1 for k in range(n)]
        quarter = n // 4
        self.cos = [(cos[k] + 1) >> 1 for k in range(n // 2)]
        # sin(2*pi*k/n) = cos(2*pi*(n/4 - k)/n)
        self.sin = [
            (cos[quarter - k if k <= quarter else k - quarter] + 1) >> 1 for k in range(n // 2)
        ]
        self.order = [_bit_reverse(i, n_log2) for i in range(n)]
        self.re = [0] * n
        self.im = [0] * n


def _bit_reverse(value, bits):
    result = 0
    for _ in range(bits):
        result = (result << 1) | (value & 1)
        value >>= 1
    return result


_tables = {}


def tables(n_log2):
    """The (cached) tables of a 2**n_log2-point FFT."""
    table = _tables.get(n_log2)
    if table is None:
        table = _tables[n_log2] = _Tables(n_log2)
    return table


def block_shift(peak):
    """Left shift that brings a frame's peak magnitude to 14 bits (negative: a right shift)."""
    bits = 0
    while peak:
        bits += 1
        peak >>= 1
    return 14 - bits if bits else 0


def log2_q4(value):
    """floor-ish log2 of a positive integer in sixteenths: 16*msb + a 16-entry fraction table."""
    msb = -1
    probe = value
    while probe:
        msb += 1
        probe >>= 1
    if msb >= 4:
        fraction = (value >> (msb - 4)) & 15
    else:
        fraction = (value << (4 - msb)) & 15
    return 16 * msb + _LOG2_FRACTION[fraction]


def py_frame_bands(samples, start, frame_log2, edges, offset, out, out_start):
    """Write one frame's int8 log band energies to out[out_start:out_start + len(edges) - 1]."""
    t = tables(frame_log2)
    n = 1 << frame_log2
    re = t.re
    im = t.im
    total = 0
    for i in range(n):
        total += samples[start + i]
    mean = total // n
    hann = t.hann
    order = t.order
    peak = 0
    for i in range(n):
        value = ((samples[start + i] - mean) * hann[i]) >> 15
        re[order[i]] = value
        if value < 0:
            value = -value
        if value > peak:
            peak = value
    shift = block_shift(peak)
    for i in range(n):
        re[i] = re[i] << shift if shift >= 0 else re[i] >> -shift
        im[i] = 0
    # Radix-2 decimation in time; every stage halves the values so they stay within 15 bits
    # and every product within 29 bits (a small int on a 32-bit MicroPython port).
    cos = t.cos
    sin = t.sin
    size = 2
    while size <= n:
        half = size >> 1
        step = n // size
        for base in range(0, n, size):
            for j in range(half):
                wr = cos[j * step]
                wi = sin[j * step]
                a = base + j
                b = a + half
                # (wr - i*wi) * (re[b] + i*im[b]): forward transform, e^(-i*2*pi*k/n)
                tr = (wr * re[b] + wi * im[b]) >> 14
                ti = (wr * im[b] - wi * re[b]) >> 14
                re[b] = (re[a] - tr) >> 1
                im[b] = (im[a] - ti) >> 1
                re[a] = (re[a] + tr) >> 1
                im[a] = (im[a] + ti) >> 1
        size <<= 1
    # Power of the scaled spectrum times 2**(2*frame_log2 - 2*shift) is the true power; the
    # log adds that exponent instead of multiplying.
    scale_q4 = 32 * (frame_log2 - shift)
    for band in range(len(edges) - 1):
        energy = 0
        for k in range(edges[band], edges[band + 1]):
            energy += re[k] * re[k] + im[k] * im[k]
        if energy:
            value = ((log2_q4(energy) + scale_q4) >> 2) - offset
            value = -128 if value < -128 else 127 if value > 127 else value
        else:
            value = -128
        out[out_start + band] = value


def frame_count(samples, frame_log2=KEYWORD_FRAME_LOG2, hop=KEYWORD_HOP):
    """How many frames of 2**frame_log2 samples, one every `hop`, `samples` samples hold."""
    return 1 + (samples - (1 << frame_log2)) // hop


def py_log_spectrogram(
    audio,
    out,
    frame_log2=KEYWORD_FRAME_LOG2,
    hop=KEYWORD_HOP,
    edges=KEYWORD_EDGES,
    offset=KEYWORD_OFFSET,
):
    """Keyword features of `audio` (int16 samples) into `out`; returns the number of frames."""
    bands = len(edges) - 1
    frames = frame_count(len(audio), frame_log2, hop)
    for frame in range(frames):
        py_frame_bands(audio, frame * hop, frame_log2, edges, offset, out, frame * bands)
    return frames


def py_vibration_features(
    samples, out, frame_log2=VIBRATION_FRAME_LOG2, edges=VIBRATION_EDGES, offset=VIBRATION_OFFSET
):
    """Band energies of consecutive frames of `samples`, averaged (floor) over the frames."""
    bands = len(edges) - 1
    n = 1 << frame_log2
    frames = len(samples) // n
    sums = [0] * bands
    for frame in range(frames):
        py_frame_bands(samples, frame * n, frame_log2, edges, offset, out, 0)
        for band in range(bands):
            sums[band] += out[band]
    for band in range(bands):
        out[band] = sums[band] // frames


def py_motion_features(samples, out, shift=MOTION_SHIFT):
    """Mean-removed, scaled, clamped x/y/z accelerometer readings (interleaved) into `out`."""
    count = len(samples) // 3
    for axis in range(3):
        total = 0
        for i in range(axis, 3 * count, 3):
            total += samples[i]
        mean = total // count
        for i in range(axis, 3 * count, 3):
            value = (samples[i] - mean) >> shift
            out[i] = -128 if value < -128 else 127 if value > 127 else value


try:
    import _features
except ImportError:  # CPython, or a firmware without the C module
    _features = None

if _features:
    frame_bands = _features.frame_bands

    def log_spectrogram(
        audio,
        out,
        frame_log2=KEYWORD_FRAME_LOG2,
        hop=KEYWORD_HOP,
        edges=KEYWORD_EDGES,
        offset=KEYWORD_OFFSET,
    ):
        """Keyword features of `audio` (int16 samples) into `out`; returns the number of frames."""
        return _features.log_spectrogram(audio, out, frame_log2, hop, edges, offset)

    def vibration_features(
        samples,
        out,
        frame_log2=VIBRATION_FRAME_LOG2,
        edges=VIBRATION_EDGES,
        offset=VIBRATION_OFFSET,
    ):
        """Band energies of consecutive frames of `samples`, averaged (floor) over the frames."""
        _features.vibration_features(samples, out, frame_log2, edges, offset)

    def motion_features(samples, out, shift=MOTION_SHIFT):
        """Mean-removed, scaled, clamped x/y/z accelerometer readings (interleaved) into `out`."""
        _features.motion_features(samples, out, shift)
else:
    frame_bands = py_frame_bands
    log_spectrogram = py_log_spectrogram
    vibration_features = py_vibration_features
    motion_features = py_motion_features


class Spectrogram:
    """`log_spectrogram` of a stream of audio, one frame per hop (see the module docstring)."""

    def __init__(
        self,
        frames=KEYWORD_FRAMES,
        frame_log2=KEYWORD_FRAME_LOG2,
        hop=KEYWORD_HOP,
        edges=KEYWORD_EDGES,
        offset=KEYWORD_OFFSET,
    ):
        from tinyml.window import Window

        self.bands = len(edges) - 1
        # The audio window is due when a frame is complete: first after 2**frame_log2
        # samples, then every hop, as log_spectrogram's frames of the same stream.
        self._audio = Window(1 << frame_log2, hop=hop)
        self._frames = Window(frames, channels=self.bands, typecode="b", hop=1)
        self._row = array("b", bytes(self.bands))
        self._frame_log2 = frame_log2
        self._edges = edges
        self._offset = offset

    @property
    def full(self):
        return self._frames.full

    @property
    def count(self):
        """Frames computed since the start or the last clear()."""
        return self._frames.count

    def extend(self, samples, start=0, count=-1):
        """Take `count` samples (all, if negative) from item `start` of `samples`; compute
        the frames they complete. Returns the number of new frames."""
        end = len(samples) if count < 0 else min(len(samples), start + count)
        audio = self._audio
        row = self._row
        new = 0
        while start < end:
            start += audio.extend(samples, start, end - start)
            if audio.due:
                frame_bands(audio.view(), 0, self._frame_log2, self._edges, self._offset, row, 0)
                self._frames.push(row)
                new += 1
        return new

    def view(self):
        """The last `frames` frames of bands, oldest first (int8, a memoryview)."""
        return self._frames.view()

    def clear(self):
        self._audio.clear()
        self._frames.clear()
