"""The board a script runs on: its sensors, LED and timer, so main.py needs no pin numbers.

    import tinyml.board as board
    imu = board.imu(rate=100, range=4)    # the board's IMU, or the recording on the simulator
    mic = board.mic()                     # I2S microphone, 16 kHz
    knob = board.analog()                 # ADC input
    led = board.led()                     # PWM LED: led.duty_u16(0..65535)

The pins are the board's defaults, from its folder of boards/ (frozen into the firmware by
`host build` as tinyml._board); keyword arguments go to the driver. On a board without
sensors (the simulator and the QEMU boards, `replay` in board.toml) every sensor is a `Replay`
of the recording `host run SCRIPT --board B --data FILE` gives: on the simulator the file in
the environment variable TINYML_DATA, elsewhere FILE packed into /rom as recording.wav or
recording.csv. It is shaped like the real sensor: an IMU recording in g becomes counts at
the asked range, a WAV becomes 16 kHz 16-bit audio. The same Replay
object is returned on every call, so a script re-run after a simulated deep sleep goes on
where the recording is now, not from its start.
"""

import os

import tinyml.clock as clock
from tinyml._board import ID as name
from tinyml._board import NAME, PINS, RECORDING  # noqa: F401 (NAME: board.NAME)

SIMULATOR = clock.VIRTUAL  # sensors are replayed recordings
TIMER_ID = PINS.get("timer")
_replays = {}


def _pin(role):
    """The board's default pin for `role`, or an error naming the board and the role."""
    if role not in PINS:
        raise OSError(
            "board %s has no default %s pin; pass pins to tinyml.sensors drivers"
            " directly" % (name, role)
        )
    return PINS[role]


def _recording():
    # The simulator's is named in its environment; a board without one has it in /rom.
    path = os.getenv("TINYML_DATA") if hasattr(os, "getenv") else None
    if path:
        return path
    for suffix in (".wav", ".csv"):
        try:
            open(RECORDING + suffix).close()
            return RECORDING + suffix
        except OSError:
            pass
    raise OSError(
        "board %s: no recording to replay; run the script with"
        " `host run SCRIPT --board %s --data FILE`" % (name, name)
    )


def _replay(kind, make):
    replay = _replays.get(kind)
    if replay is None:
        replay = _replays[kind] = make(_recording())
    return replay


def imu(*, rate=None, range=2, gyro=False, **kwargs):
    """The board's IMU (MPU6050/6500, LSM6DS3/DSOX or ADXL345), found on its I2C pins."""
    if SIMULATOR:
        from .sensors.replay import Replay

        replay = _replay(
            "imu", lambda path: Replay(path, typecode="h", scale=range / 32768, unit="g", fifo=170)
        )
        _check_shape(replay, rate, 6 if gyro else 3)
        return replay
    from machine import I2C, Pin

    from .sensors import imu as find_imu

    bus, sda, scl = _pin("i2c")
    if rate is not None:
        kwargs["rate"] = rate
    return find_imu(
        I2C(bus, sda=Pin(sda), scl=Pin(scl), freq=400000),
        range=range,
        gyro=gyro,
        int_pin=Pin(_pin("imu_int"), Pin.IN),
        **kwargs,
    )


def mic(*, rate=16000, **kwargs):
    """The board's I2S microphone, started."""
    if SIMULATOR:
        from .sensors.replay import Replay

        replay = _replay("mic", lambda path: Replay(path, fifo=rate // 4))
        _check_shape(replay, rate, 1)
        return replay
    from machine import Pin

    from .sensors.mic import Mic

    bus, sck, ws, sd = _pin("i2s")
    mic = Mic(bus, sck=Pin(sck), ws=Pin(ws), sd=Pin(sd), rate=rate, **kwargs)
    mic.start()
    return mic


def analog(*, rate=100, oversample=4):
    """The board's analog input (a potentiometer on the ADC pin), 0..65535."""
    if SIMULATOR:
        from .sensors.replay import Replay

        replay = _replay(
            "analog",
            lambda path: Replay(path, typecode="H", scale=1 / 65535, unit="full scale", fifo=1),
        )
        _check_shape(replay, rate, 1)
        return replay
    from machine import ADC, Pin

    from .sensors.analog import Analog

    return Analog(ADC(Pin(_pin("adc"))), rate=rate, oversample=oversample)


def led():
    """The board's LED as PWM: `duty_u16(0..65535)`, `on()`, `off()`."""
    if SIMULATOR:
        return _SimLED()
    from machine import PWM, Pin

    return _LED(PWM(Pin(_pin("led")), freq=1000, duty_u16=0))


class _LED:
    def __init__(self, pwm):
        self._pwm = pwm

    def duty_u16(self, value=None):
        if value is None:
            return self._pwm.duty_u16()
        self._pwm.duty_u16(value)

    def on(self):
        self._pwm.duty_u16(65535)

    def off(self):
        self._pwm.duty_u16(0)


class _SimLED(_LED):
    """Keeps the duty cycle a real LED would show, for the script (and tests) to read."""

    def __init__(self):
        self._duty = 0
        self._pwm = self

    def duty_u16(self, value=None):
        if value is None:
            return self._duty
        if not 0 <= value <= 65535:
            raise ValueError("duty_u16 must be 0..65535, not %r" % (value,))
        self._duty = value


def _check_shape(replay, rate, channels):
    if rate is not None and rate != replay.rate:
        raise ValueError(
            "simulator: %s is recorded at %d Hz; the script asks for %d Hz"
            % (replay.path, replay.rate, rate)
        )
    if replay.channels != channels:
        raise ValueError(
            "simulator: %s has %d channels; the script expects %d"
            % (replay.path, replay.channels, channels)
        )
