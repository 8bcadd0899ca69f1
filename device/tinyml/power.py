"""Sleep until a timer or a pin wakes the board; the same call on every port.

    import tinyml.power as power
    power.sleep(60000, mode="deep", wake=imu.int_pin)   # a minute, or the IMU's interrupt
    power.wake_reason()           # "reset", "timer", "pin", "touch" or "other"
    power.retained[0] += 1        # kept across deep sleep

`wake` is a pin (wakes when it reads `level`), a touch pad (esp32), or a list of them.
After a light sleep the script goes on; after a deep sleep the board resets and the script
starts again from the top, with `wake_reason()` and `retained` telling it why and where.

Which modes a board has is in its board.toml (`sleep`), frozen into the firmware; asking a
board for a mode it lacks (the QEMU boards have none) raises OSError.

Per port:
- esp32: light and deep sleep with a timer; one pin by ext0, several by ext1 (gpio wake on
  chips without ext0/ext1, such as the ESP32-C3); touch pads with wake_on_touch.
  `retained` lives in RTC slow memory (`machine.RTC().memory()`), RETAINED_BYTES long.
- rp2: `machine.lightsleep(ms)` with the timer. A pin wake is a loop of short light sleeps
  that checks the pin, every `poll_ms`. Deep sleep is what MicroPython's rp2
  `machine.deepsleep` is: a light sleep followed by a reset. `retained` is 12 bytes in the
  watchdog's scratch registers 1-3 (scratch 0 holds the wake reason), which a reset keeps.
- simulator (unix): a virtual clock (tinyml.clock). Sleep returns at once, time advanced;
  pins are the virtual interrupt pins of replayed sensors. Deep sleep re-runs the script
  (TINYML_SCRIPT as set by `host run`, else sys.argv[0]) in the same process, with tinyml's
  modules kept as the board's hardware
  and the script's own modules forgotten; the simulation ends when a replay runs out.
"""

import sys

import tinyml.clock as clock
from tinyml._board import ID as _BOARD
from tinyml._board import MCU as _MCU
from tinyml._board import PORT as _PORT
from tinyml._board import SLEEP

RETAINED_BYTES = 64
_SEQUENCES = (list, tuple)  # built once: a tuple of names is built at each use

_reason = "reset"

if clock.VIRTUAL or not SLEEP:
    retained = bytearray(RETAINED_BYTES)
else:
    import machine

    if _PORT == "esp32":
        import esp32

        _rtc = machine.RTC()
        retained = bytearray(RETAINED_BYTES)
        if machine.reset_cause() == machine.DEEPSLEEP_RESET:
            _saved = _rtc.memory()
            _n = min(len(_saved), RETAINED_BYTES)
            retained[0:_n] = _saved[0:_n]
            _reason = {
                machine.EXT0_WAKE: "pin",
                machine.EXT1_WAKE: "pin",
                machine.TIMER_WAKE: "timer",
                machine.TOUCHPAD_WAKE: "touch",
            }.get(machine.wake_reason(), "other")
    elif _PORT == "rp2":
        # WATCHDOG_SCRATCH0 at offset 0x0c; the SDK's reboot uses scratch 4-7 only.
        _SCRATCH = 0x400D800C if _MCU == "rp2350" else 0x4005800C
        _MAGIC = 0x7D5E0000
        _REASONS = ("timer", "pin")
        retained = bytearray(12)
        _mark = machine.mem32[_SCRATCH]
        if (_mark & 0xFFFF0000) == _MAGIC and machine.reset_cause() == machine.WDT_RESET:
            _reason = _REASONS[_mark & 1]
            for _i in range(12):
                retained[_i] = machine.mem32[_SCRATCH + 4 + (_i & ~3)] >> (8 * (_i & 3)) & 0xFF
        machine.mem32[_SCRATCH] = 0
    else:
        raise ImportError(
            "tinyml.power: board %s lists sleep modes, but port %s has no"
            " sleep code here" % (_BOARD, _PORT)
        )


def wake_reason():
    """Why the board last woke: "reset" (power on or reset), "timer", "pin", "touch", "other"."""
    return _reason


def sleep(ms=None, mode="light", wake=(), *, level=1, poll_ms=10):
    """Sleep `ms` milliseconds (None: until a wake source) in mode "light" or "deep"."""
    global _reason
    if mode not in ("light", "deep"):
        raise ValueError("power.sleep: mode must be 'light' or 'deep', not %r" % (mode,))
    if mode not in SLEEP:
        raise OSError(
            "power.sleep: board %s has no %s sleep (its modes: %s)"
            % (_BOARD, mode, ", ".join(SLEEP) or "none")
        )
    if ms is not None and ms < 0:
        raise ValueError("power.sleep: ms must be >= 0")
    if not isinstance(wake, _SEQUENCES):
        wake = (wake,)
    if ms is None and not wake:
        raise ValueError("power.sleep: give ms, wake, or both; nothing would wake the board")
    if clock.VIRTUAL:
        _reason = _sleep_virtual(ms, wake)
        if mode == "deep":
            _restart_script()
    elif _PORT == "esp32":
        _sleep_esp32(ms, mode, wake, level)
    else:
        _reason = _sleep_rp2(ms, mode, wake, level, poll_ms)
    return _reason


if clock.VIRTUAL:

    class _Restart(BaseException):
        """Unwinds a re-run script back to the loop that runs it: the simulated reset."""

    _running = False

    def _sleep_virtual(ms, wake):
        global _wake, _edges_before
        for source in wake:
            if not hasattr(source, "next_event_us"):
                raise ValueError(
                    "power.sleep: on the simulator wake sources are the"
                    " int_pin of replayed sensors, not %r" % (source,)
                )
        start = clock.ticks_us()
        if ms is None:
            target = -1
            for source in wake:
                t = source.next_event_us()
                if t >= 0 and (target < 0 or t < target):
                    target = t
            if target < 0:
                raise EOFError("power.sleep: the recording holds no more wake events")
        else:
            target = clock.ticks_add(start, ms * 1000)
        _wake = wake
        _edges_before = _edges(wake)
        clock.advance_to(target, _woken)
        return "pin" if _woken(0) else "timer"

    # The sleep's wake sources and their edge count before it, for _woken: module state
    # rather than a closure, so a sleep allocates nothing.
    _wake = ()
    _edges_before = 0

    def _edges(wake):
        n = 0
        for source in wake:
            n += source.edges
        return n

    def _woken(now):
        return _edges(_wake) != _edges_before

    def _restart_script():
        global _running
        if _running:
            raise _Restart()
        _running = True
        import os

        script = os.getenv("TINYML_SCRIPT") or sys.argv[0]
        with open(script) as f:
            code = compile(f.read(), script, "exec")
        while True:
            for name in list(sys.modules):
                if name != "tinyml" and not name.startswith("tinyml."):
                    del sys.modules[name]
            try:
                exec(code, {"__name__": "__main__", "__file__": script})
            except _Restart:
                continue
            except EOFError:
                pass  # a replay ran out: the end of the simulated world
            sys.exit(0)

else:

    def _sleep_esp32(ms, mode, wake, level):
        pins = []
        for source in wake:
            if isinstance(source, machine.TouchPad):
                esp32.wake_on_touch(True)
            elif isinstance(source, machine.Pin):
                pins.append(source)
            else:
                raise ValueError(
                    "power.sleep: wake sources are Pin or TouchPad, not %r" % (source,)
                )
        if pins:
            if _MCU == "esp32c3":
                esp32.wake_on_gpio(pins=pins, level=level)
            elif len(pins) == 1:
                esp32.wake_on_ext0(pin=pins[0], level=level)
            else:
                esp32.wake_on_ext1(pins=pins, level=level)
        if mode == "deep":
            machine.RTC().memory(retained)
            if ms is None:
                machine.deepsleep()
            machine.deepsleep(ms)
        if ms is None:
            machine.lightsleep()
        else:
            machine.lightsleep(ms)
        global _reason
        _reason = {
            machine.EXT0_WAKE: "pin",
            machine.EXT1_WAKE: "pin",
            machine.TIMER_WAKE: "timer",
            machine.TOUCHPAD_WAKE: "touch",
        }.get(machine.wake_reason(), "other")

    def _any_at(pins, level):
        for pin in pins:  # not any(generator): a poll allocates nothing
            if pin.value() == level:
                return True
        return False

    def _sleep_rp2(ms, mode, wake, level, poll_ms):
        for source in wake:
            if not isinstance(source, machine.Pin):
                raise ValueError("power.sleep: on rp2 wake sources are Pin, not %r" % (source,))
        reason = "timer"
        if wake:
            left = ms
            while left is None or left > 0:
                if _any_at(wake, level):
                    reason = "pin"
                    break
                step = poll_ms if left is None else min(poll_ms, left)
                machine.lightsleep(step)
                if left is not None:
                    left -= step
        elif ms:
            machine.lightsleep(ms)
        if mode == "deep":
            machine.mem32[_SCRATCH] = _MAGIC | _REASONS.index(reason)
            for i in range(0, 12, 4):
                machine.mem32[_SCRATCH + 4 + i] = int.from_bytes(retained[i : i + 4], "little")
            machine.reset()
        return reason
