"""host.energy's arithmetic, checked on a case worked by hand."""

import pytest

from host.boards import Power
from host.energy import estimate, period_seconds
from host.errors import CommandError

PICO_LIKE = Power(volts=5.0, active_ma=20.0, light_sleep_ma=1.5, deep_sleep_ma=1.5, source="test")


def test_estimate_by_hand():
    # 10 ms at 20 mA and 5 V: 5 x 20 x 0.01 = 1 mJ. Once a second: (20 x 0.01 + 1.5 x 0.99) / 1
    # = 1.685 mA on average, so 1000 mAh last 1000 / 1.685 = 593.47 h.
    e = estimate(PICO_LIKE, active_s=0.01, period_s=1.0, battery_mah=1000)
    assert e.millijoules == pytest.approx(1.0)
    assert e.average_ma == pytest.approx(1.685)
    assert e.battery_hours == pytest.approx(593.4718, rel=1e-6)
    assert e.battery_days == pytest.approx(24.7280, rel=1e-5)


def test_an_inference_longer_than_its_period_is_refused():
    with pytest.raises(CommandError, match="longer than the duty cycle"):
        estimate(PICO_LIKE, active_s=2.0, period_s=1.0, battery_mah=1000)


@pytest.mark.parametrize(
    "duty,seconds",
    [("1/s", 1), ("2/s", 0.5), ("1/10s", 10), ("6/min", 10), ("1/h", 3600), ("1 / 0.5s", 0.5)],
)
def test_duty(duty, seconds):
    assert period_seconds(duty) == pytest.approx(seconds)


@pytest.mark.parametrize("duty", ["", "1", "0/s", "1/day", "s/1", "-1/s"])
def test_bad_duty(duty):
    with pytest.raises(CommandError, match="--duty"):
        period_seconds(duty)
