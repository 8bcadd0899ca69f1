"""The examples on the emulated Pico, with the real drivers: rp2040js plays each example's
recording into emulated sensors (an MPU6050 on I2C0, ADC input 0; see
host/emulators/rp2040js/pico.mjs), and the example prints its expected.txt as it does on
the simulator (tests/test_device_runtime.py), run as
`host run examples/NAME/main.py --board rpi_pico --rom MODELS --data examples/NAME/sample.*`.
"""

from pathlib import Path

import pytest
from conftest import firmware_for
from test_device_runtime import BEHAVIOUR, assert_prints_expected

ROOT = Path(__file__).resolve().parent.parent
# The examples whose sensors the emulator has: the IMU (magic_wand) and the knob (hello_world).
EXAMPLES = {"hello_world": "sine", "magic_wand": "gesture"}


@pytest.fixture(scope="module")
def pico():
    return firmware_for("rpi_pico")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_on_emulated_pico(pico, trained, name: str) -> None:
    from host.run import run_script

    example = ROOT / "examples" / name
    (data,) = example.glob("sample.*")
    result = run_script(
        "rpi_pico",
        example / "main.py",
        rom_dir=trained(EXAMPLES[name]),
        data=data,
        firmware=pico,
        timeout=900,
    )
    assert result.returncode == 0, result.output
    lines = result.output.splitlines()
    BEHAVIOUR[name](lines)
    assert_prints_expected(lines, example)
