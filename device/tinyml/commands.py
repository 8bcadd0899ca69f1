"""Commands from a keyword model's scores, one window after another, as TFLM's micro_speech
example's RecognizeCommands turns them into words.

    commands = Commands(model.output(0), labels, **meta["postprocessing"]["params"])
    def on_result(scores):
        word = commands.update()      # a label once per spoken word, else None

A single window's top score is noisy: a word fills several overlapping windows, and a window
with half a word can look like another word. So the scores of the windows of the last
`average_ms` are averaged; a label is a command when its average is at least `threshold`
over at least `minimum_count` windows, it is not one of `ignore` (background classes), and
`suppression_ms` have passed since the last command, so one word is one command.

It reads the output tensor's integers (`memoryview(tensor)`), not the dequantized floats,
and keeps its history in arrays made here: an update allocates nothing, on boards whose
floats are heap objects too. The parameters come from the model's sidecar (`host train`
measures them on speech the model was not trained on).
"""

from array import array

import tinyml.clock as clock

_HISTORY = 32  # windows kept: average_ms at the fastest hop the examples use, with room


class Commands:
    def __init__(
        self,
        output,
        labels,
        *,
        average_ms=1000,
        threshold=0.8,
        minimum_count=3,
        suppression_ms=1500,
        ignore=("unknown", "silence"),
    ):
        dtype = getattr(output, "dtype", None)
        if dtype not in ("int8", "uint8"):
            raise ValueError(
                "Commands: the output must be an int8 or uint8 tensor, not %r" % dtype
            )
        self._scores = memoryview(output)
        self.labels = labels
        n = len(labels)
        if len(self._scores) != n:
            raise ValueError(
                "Commands: the output has %d scores, labels %d" % (len(self._scores), n)
            )
        if not 0 < threshold <= 1 or minimum_count < 1 or minimum_count > _HISTORY:
            raise ValueError(
                "Commands: threshold must be in (0, 1], minimum_count in 1..%d" % _HISTORY
            )
        self.average_ms = average_ms
        self.minimum_count = minimum_count
        self.suppression_ms = suppression_ms
        # The threshold in the tensor's integers: a sum over `count` windows reaches it when
        # sum >= (threshold / scale + zero_point) * count, compared in integers, rounded up.
        self._limit_q = int(threshold / output.scale + output.zero_point + 0.999)
        self._ignored = bytearray(n)
        for name in ignore:
            if name in labels:
                self._ignored[labels.index(name)] = 1
        self._history = array("h", bytes(2 * _HISTORY * n))
        self._times = array("i", bytes(4 * _HISTORY))
        self._sums = array("i", bytes(4 * n))
        self._next = 0
        self._count = 0
        self._last_ms = clock.ticks_add(clock.ticks_ms(), -suppression_ms)
        self.previous = None  # the last command

    def update(self, now_ms=None):
        """Take the model's current output; return a label when it makes a command, else None."""
        now = clock.ticks_ms() if now_ms is None else now_ms
        n = len(self.labels)
        history = self._history
        sums = self._sums
        scores = self._scores
        # the oldest window leaves when the history is full or it is older than average_ms
        while self._count and (
            self._count == _HISTORY
            or clock.ticks_diff(now, self._times[self._oldest()]) >= self.average_ms
        ):
            base = self._oldest() * n
            for i in range(n):
                sums[i] -= history[base + i]
            self._count -= 1
        base = self._next * n
        for i in range(n):
            history[base + i] = scores[i]
            sums[i] += scores[i]
        self._times[self._next] = now
        self._next = (self._next + 1) % _HISTORY
        self._count += 1
        if self._count < self.minimum_count:
            return None
        best = 0
        for i in range(1, n):
            if sums[i] > sums[best]:
                best = i
        if self._ignored[best] or sums[best] < self._limit_q * self._count:
            return None
        if clock.ticks_diff(now, self._last_ms) < self.suppression_ms:
            return None
        self._last_ms = now
        self.previous = self.labels[best]
        return self.previous

    def _oldest(self):
        return (self._next - self._count) % _HISTORY
