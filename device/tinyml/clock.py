"""Time as the runtime sees it: the chip's ticks on a board, a virtual clock on the simulator.

    import tinyml.clock as clock
    t0 = clock.ticks_ms()
    clock.sleep_ms(250)                       # simulator: returns at once, 250 ms later
    clock.ticks_diff(clock.ticks_ms(), t0)    # 250

On the simulator, and any board without sensors (`replay` in its board.toml), nothing
waits: virtual time moves only when code sleeps or waits for a sensor, so a recording
replays at its own rate, as fast as the CPU goes, with the same result every run. Things
that make events in virtual time (replayed sensors, their interrupt pins, timers) register
with `add_source`; the clock fires them, in time order, as time passes them.
A source has `next_event_us()` (absolute virtual microseconds, or -1 for none) and
`fire_event()`, after which its next event must lie later.
"""

import time

from tinyml._board import REPLAY as VIRTUAL

ticks_diff = time.ticks_diff
ticks_add = time.ticks_add

if VIRTUAL:
    _now_us = 0
    _sources = []

    def ticks_us():
        return _now_us

    def ticks_ms():
        return _now_us // 1000

    def add_source(source):
        if source not in _sources:
            _sources.append(source)

    def remove_source(source):
        if source in _sources:
            _sources.remove(source)

    def next_event_us():
        """The earliest pending event of any source, or -1."""
        first = -1
        for source in _sources:
            t = source.next_event_us()
            if t >= 0 and (first < 0 or t < first):
                first = t
        return first

    def advance_to(t_us, stop=None):
        """Move virtual time to `t_us`, firing every source event on the way.

        `stop(t_us)` is asked after each event; when it returns True time stops there
        (a sleep woken early). Returns the time reached.
        """
        global _now_us
        while True:
            first = None
            first_t = t_us + 1
            for source in _sources:
                t = source.next_event_us()
                if 0 <= t < first_t:
                    first, first_t = source, t
            if first is None:
                break
            if first_t > _now_us:
                _now_us = first_t
            first.fire_event()
            if stop is not None and stop(_now_us):
                return _now_us
        if t_us > _now_us:
            _now_us = t_us
        return _now_us

    def sleep_us(us):
        advance_to(_now_us + us)

    def sleep_ms(ms):
        advance_to(_now_us + ms * 1000)

else:
    ticks_us = time.ticks_us
    ticks_ms = time.ticks_ms
    sleep_us = time.sleep_us
    sleep_ms = time.sleep_ms
