from array import array

import check
import tinyml.clock as clock
from tinyml.commands import Commands


class Scores(array):
    """A keyword model's int8 softmax output: scale 1/256, zero point -128."""

    dtype = "int8"
    scale = 1 / 256
    zero_point = -128

    def set(self, *probabilities):
        for i in range(len(probabilities)):
            self[i] = min(127, round(probabilities[i] * 256) - 128)


LABELS = ["yes", "no", "unknown", "silence"]
out = Scores("b", bytes(4))
commands = Commands(
    out, LABELS, average_ms=500, threshold=0.6, minimum_count=2, suppression_ms=1500
)


def window(*probabilities):
    """One window 250 ms after the last: its scores, then the command they make."""
    clock.sleep_ms(250)
    out.set(*probabilities)
    return commands.update()


check.eq("silence is no command", window(0, 0, 0, 1), None)
check.eq("a word averaged with the silence before it", window(0.9, 0.1, 0, 0), None)
check.eq("two windows over the threshold: yes", window(0.9, 0.1, 0, 0), "yes")
check.eq("the same word, suppressed", window(0.9, 0.1, 0, 0), None)
window(0, 1, 0, 0)
check.eq("another word within suppression_ms", window(0, 1, 0, 0), None)
clock.sleep_ms(1500)
check.eq("one window is under minimum_count", window(0, 1, 0, 0), None)
check.eq("the average of the last 500 ms: no", window(0, 1, 0, 0), "no")
clock.sleep_ms(1500)
window(0.5, 0, 0.5, 0)
check.eq("an average under the threshold", window(0.6, 0, 0.4, 0), None)
clock.sleep_ms(1500)
window(0, 0, 1, 0)
check.eq("ignored labels make no command", window(0, 0, 1, 0), None)
check.eq("last command", commands.previous, "no")


def steady(n):
    for _ in range(n):
        clock.sleep_ms(250)
        commands.update()


check.eq("an update allocates nothing", check.allocated(steady, 100), 0)
check.raises("float output", ValueError, Commands, array("f", bytes(16)), LABELS)
check.raises("labels and scores differ", ValueError, Commands, out, LABELS[:3])
check.raises("threshold above 1", ValueError, Commands, out, LABELS, threshold=1.5)
