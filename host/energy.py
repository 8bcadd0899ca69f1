"""Energy per inference and battery life for a duty cycle: an estimate, not a measurement.

An inference wakes the board, runs for the time its measured cost takes at the board's clock,
drawing the board's active current, and the board deep-sleeps until the next one. The
currents are the datasheet or published figures kept in `board.toml` ([power], with their
source). Waking up, sensors and radios are not counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from host.boards import Power
from host.errors import CommandError

_DUTY = re.compile(r"^(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)?(s|min|h)$")
_SECONDS = {"s": 1, "min": 60, "h": 3600}


def period_seconds(duty: str) -> float:
    """Seconds between inferences for a rate like "1/s", "1/10s", "6/min" or "1/h"."""
    match = _DUTY.match(duty.replace(" ", ""))
    if not match or float(match.group(1)) == 0:
        raise CommandError(f"--duty {duty}: give inferences per time, e.g. 1/s, 1/10s, 6/min, 1/h")
    count, span, unit = match.groups()
    return float(span or 1) * _SECONDS[unit] / float(count)


@dataclass(frozen=True)
class Estimate:
    active_s: float  # one inference
    millijoules: float  # one inference
    average_ma: float  # over the duty cycle
    battery_hours: float

    @property
    def battery_days(self) -> float:
        return self.battery_hours / 24


def estimate(power: Power, active_s: float, period_s: float, battery_mah: float) -> Estimate:
    """Energy of one inference of `active_s` seconds, and the battery's life when one runs
    every `period_s` seconds with deep sleep in between."""
    if active_s > period_s:
        raise CommandError(
            f"an inference takes {active_s:.3f} s, longer than the duty cycle's {period_s:.3f} s"
        )
    average_ma = (
        power.active_ma * active_s + power.deep_sleep_ma * (period_s - active_s)
    ) / period_s
    return Estimate(
        active_s=active_s,
        millijoules=power.volts * power.active_ma * active_s,  # V x mA x s = mJ
        average_ma=average_ma,
        battery_hours=battery_mah / average_ma,
    )
