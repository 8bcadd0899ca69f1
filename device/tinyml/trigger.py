"""Events that start work: pin edges, thresholds, motion, timers, audio level; any or all.

    import tinyml.trigger as trigger
    button = trigger.PinEdge(Pin(0, Pin.IN), edge="falling", debounce_ms=50)
    wake = trigger.Any(trigger.Motion(imu, threshold=0.3), trigger.Every(60000))
    wake.on(lambda t: print("woke"))    # runs via micropython.schedule
    if wake.take(): ...                 # or poll: True once per event

Interrupt handlers allocate nothing: they count the event, mark it pending and schedule
the callback. An event that arrives while the previous one is still pending, or that the
schedule queue cannot take, is counted in `missed`, never dropped silently. Level triggers
(Threshold, level Motion, AudioLevel) look at the samples a Pipeline has just pushed.
"""

from array import array

import micropython
from micropython import const

import tinyml.clock as clock

_SINCE_MAX = const(1 << 24)  # AudioLevel's "long ago": a small int, so counting never allocates


class Trigger:
    def __init__(self, debounce_ms=0):
        self.debounce_ms = debounce_ms
        self.events = 0  # accepted events
        self.missed = 0  # events that came while one was pending, or the queue was full
        self.pending = False
        self.pins = ()  # pins whose edge is this trigger: what a sleep can wake on
        self._last_ms = clock.ticks_add(clock.ticks_ms(), -debounce_ms)
        self._callback = None
        self._parent = None
        self._dispatch_ref = self._dispatch  # bound once: binding allocates
        self.fire_ref = self.fire

    def on(self, callback):
        """Call `callback(trigger)` (scheduled, not in the interrupt) on each event."""
        self._callback = callback
        return self

    def fire(self, _source=None):
        """Record an event; safe in a hard interrupt handler."""
        now = clock.ticks_ms()
        if self.debounce_ms and clock.ticks_diff(now, self._last_ms) < self.debounce_ms:
            return
        self._last_ms = now
        self.events += 1
        if self._parent is not None:
            self._parent._child_fired()  # a member's events are its group's to take
            return
        if self.pending:
            self.missed += 1
            return
        self.pending = True
        if self._callback is not None:
            try:
                micropython.schedule(self._dispatch_ref, None)
            except RuntimeError:
                self.pending = False
                self.missed += 1

    def take(self):
        """True, once, if an event is pending."""
        if self.pending:
            self.pending = False
            return True
        return False

    def poll(self, window, new):
        """Look at the `new` samples last pushed into `window` (level triggers only)."""

    def total_missed(self):
        """Missed events, this trigger's and those of the triggers inside it."""
        return self.missed

    def _dispatch(self, _arg):
        if self.pending:
            self.pending = False
            self._callback(self)


class PinEdge(Trigger):
    """An edge on a pin: "rising", "falling" or "both"."""

    def __init__(self, pin, edge="rising", debounce_ms=0):
        super().__init__(debounce_ms)
        if edge == "rising":
            flags = pin.IRQ_RISING
        elif edge == "falling":
            flags = pin.IRQ_FALLING
        elif edge == "both":
            flags = pin.IRQ_RISING | pin.IRQ_FALLING
        else:
            raise ValueError("PinEdge: edge must be 'rising', 'falling' or 'both'")
        self.pin = pin
        self.pins = (pin,)
        pin.irq(handler=self.fire_ref, trigger=flags, hard=True)


class Every(Trigger):
    """Every `period_ms`, from a hardware timer (`timer_id`, see tinyml.board.TIMER_ID)."""

    def __init__(self, period_ms, timer_id=None):
        super().__init__(0)
        if period_ms < 1:
            raise ValueError("Every: period_ms must be >= 1")
        self.period_ms = period_ms
        if clock.VIRTUAL:
            self._next_us = clock.ticks_add(clock.ticks_us(), period_ms * 1000)
            clock.add_source(self)
        else:
            import machine

            from .board import TIMER_ID

            self._timer = machine.Timer(TIMER_ID if timer_id is None else timer_id)
            self._timer.init(period=period_ms, mode=machine.Timer.PERIODIC, callback=self.fire_ref)

    def next_event_us(self):
        return self._next_us

    def fire_event(self):
        self._next_us = clock.ticks_add(self._next_us, self.period_ms * 1000)
        self.fire()

    def stop(self):
        if clock.VIRTUAL:
            clock.remove_source(self)
        else:
            self._timer.deinit()


class Threshold(Trigger):
    """A channel's value goes `above` (or below) `level`, in counts."""

    def __init__(self, level, channel=0, above=True, debounce_ms=0):
        super().__init__(debounce_ms)
        self.level = level
        self.channel = channel
        self.above = above

    def poll(self, window, new):
        view = window.view()
        channels = window.channels
        k = len(view) - new * channels + self.channel
        while k < len(view):
            if (view[k] > self.level) if self.above else (view[k] < self.level):
                self.fire()
                return
            k += channels


class MotionDetector:
    """Movement in samples of `channels` channels, as the IMU chips' motion detectors find it:
    a sample moves when it differs from a slow running mean of its channel (1/16 per
    sample, kept x16 so that integer means keep their fraction) by more than `limit` (the
    samples' unit) on any channel, and a movement is `run` moving samples in a row. Both
    `Motion` (on the samples a Pipeline pushes) and `Replay` (for its emulated interrupt pin)
    use it, so the two agree on every sample.
    """

    def __init__(self, channels, limit, run):
        self.channels = channels
        self._limit16 = 16 * limit
        self._run = run
        self._over = 0
        self._baseline = None

    def feed(self, data, k, end, found=None, first=0):
        """Look at the whole samples data[k:end]; True if one of them ended a movement. With
        `found`, the number of each such sample is appended, the first one being `first`.
        Allocates nothing (an array `found` may grow)."""
        channels = self.channels
        baseline = self._baseline
        if baseline is None:
            # A plain loop: a comprehension would make `data` and `k` closure cells.
            baseline = self._baseline = array("i" if isinstance(data[k], int) else "f")
            for c in range(channels):
                baseline.append(16 * data[k + c])
        limit16 = self._limit16
        run = self._run
        over = self._over
        moved = False
        sample_over = False
        c = 0
        while k < end:
            value16 = 16 * data[k]
            if abs(value16 - baseline[c]) > limit16:
                sample_over = True
            baseline[c] += (value16 - baseline[c]) // 16
            k += 1
            c += 1
            if c == channels:
                # one whole sample seen: extend or break the run of samples over the limit
                over = over + 1 if sample_over else 0
                if over >= run:
                    moved = True
                    if found is not None:
                        found.append(first)
                sample_over = False
                c = 0
                first += 1
        self._over = over
        return moved


def _run_of(duration_ms, rate):
    """The samples in a row that make a movement of `duration_ms`, as the chips count them."""
    return max(1, (duration_ms * rate + 999) // 1000) if duration_ms else 1


class Motion(Trigger):
    """Movement of more than `threshold` (the sensor's unit, g for IMUs) on any axis.

    With a sensor that has an interrupt pin, the chip watches and its pin fires the
    trigger (the MCU can sleep); without one, the pushed samples go through a
    `MotionDetector`, as the chips' high-pass filters do. `duration_ms`: the movement must
    last that long (samples in a row over the threshold), so a single knock does not count.
    """

    def __init__(self, sensor, threshold, debounce_ms=0, duration_ms=0):
        super().__init__(debounce_ms)
        if sensor.int_pin is not None:
            sensor.enable_interrupt("motion", threshold=threshold, duration_ms=duration_ms)
            self.pins = (sensor.int_pin,)
            sensor.int_pin.irq(handler=self.fire_ref, trigger=sensor.int_pin.IRQ_RISING, hard=True)
        self._sensor = sensor
        self._detector = MotionDetector(
            sensor.channels, int(threshold / sensor.scale), _run_of(duration_ms, sensor.rate)
        )

    def take(self):
        # A chip may hold its INT pin high until its status is read (ADXL345 activity,
        # latched MPU6050): read it, or the next sleep would wake at once.
        if super().take():
            if self.pins:
                self._sensor.clear_interrupt()
            return True
        return False

    def poll(self, window, new):
        if self.pins:
            return
        view = window.view()
        if self._detector.feed(view, len(view) - new * window.channels, len(view)):
            self.fire()


class AudioLevel(Trigger):
    """Sound louder than `threshold` (fraction of full scale) at its peak.

    `hold` (samples): keep firing while a loud sample is among the last `hold` samples, as
    a voice detector's hang-over does. A keyword model needs it: a word at the start of a
    one-second window is often recognised only in a later window, after the word, when
    the newest samples are quiet again. With `hold=0` only the new samples count.
    """

    def __init__(self, threshold, scale=1 / 32768, debounce_ms=0, hold=0):
        super().__init__(debounce_ms)
        if not 0 < threshold <= 1:
            raise ValueError("AudioLevel: threshold is a fraction of full scale, 0 < t <= 1")
        if hold < 0:
            raise ValueError("AudioLevel: hold is a number of samples, >= 0")
        self._limit = int(threshold / scale)
        self._hold = hold
        self._since = _SINCE_MAX  # values pushed since the last loud one

    def poll(self, window, new):
        view = window.view()
        limit = self._limit
        count = new * window.channels
        # newest first: the last loud value is all that matters
        k = len(view) - 1
        first = len(view) - count
        while k >= first and abs(view[k]) <= limit:
            k -= 1
        if k >= first:
            self._since = len(view) - 1 - k
        else:
            self._since = min(self._since + count, _SINCE_MAX)
        if self._since < max(count, self._hold * window.channels):
            self.fire()


class _Group(Trigger):
    def __init__(self, triggers, debounce_ms):
        super().__init__(debounce_ms)
        if not triggers:
            raise ValueError("a trigger group needs at least one trigger")
        self.triggers = triggers
        pins = []
        for t in triggers:
            t._parent = self
            pins.extend(t.pins)
        self.pins = tuple(pins)

    def poll(self, window, new):
        for t in self.triggers:
            t.poll(window, new)

    def total_missed(self):
        total = self.missed
        for t in self.triggers:
            total += t.total_missed()
        return total


class Any(_Group):
    """Fires when any of its triggers fires."""

    def __init__(self, *triggers, debounce_ms=0):
        super().__init__(triggers, debounce_ms)

    def _child_fired(self):
        self.fire()


class All(_Group):
    """Fires when each of its triggers has fired within the last `within_ms`."""

    def __init__(self, *triggers, within_ms=1000, debounce_ms=0):
        super().__init__(triggers, debounce_ms)
        self.within_ms = within_ms

    def _child_fired(self):
        now = clock.ticks_ms()
        for t in self.triggers:
            if not t.events or clock.ticks_diff(now, t._last_ms) > self.within_ms:
                return
        self.fire()
