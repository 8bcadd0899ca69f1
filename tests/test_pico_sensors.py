"""The examples on the emulated Pico, with the real drivers: rp2040js plays each example's
recording into emulated sensors (an MPU6050 on I2C0, ADC input 0; see
host/emulators/rp2040js/pico.mjs), and the example prints its expected.txt as it does on
the simulator (tests/test_device_runtime.py), run as
`host run examples/NAME/main.py --board rpi_pico --rom MODELS --data examples/NAME/sample.*`.
"""

import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import assert_passed, emulated, take_ctrl_c
from test_device_runtime import BEHAVIOUR, assert_prints_expected

ROOT = Path(__file__).resolve().parent.parent
# The examples whose sensors the emulator has: the IMU (magic_wand) and the knob (hello_world).
EXAMPLES = {"hello_world": "sine", "magic_wand": "gesture"}


@pytest.fixture(scope="module")
def pico():
    return emulated("rpi_pico")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_on_emulated_pico(pico, trained, name: str) -> None:
    example = ROOT / "examples" / name
    (data,) = example.glob("sample.*")
    output = pico.check(example / "main.py", trained(EXAMPLES[name]), data=data, timeout=900)
    lines = output.splitlines()
    BEHAVIOUR[name](lines)
    assert_prints_expected(lines, example)


def test_magic_wand_deployed_as_its_readme_says(pico, trained, tmp_path: Path) -> None:
    """examples/magic_wand/README.md's path to a board, on the emulated Pico: the app folder
    with the model `host train gesture` made, then `host deploy examples/magic_wand --board
    rpi_pico --port PORT --follow`, with the emulator's IMU playing sample.csv."""
    from host.emulators import rp2040js
    from host.transport import PicoEmulatorTransport

    example = ROOT / "examples" / "magic_wand"
    app = tmp_path / "magic_wand"
    app.mkdir()
    shutil.copy(example / "main.py", app)
    shutil.copytree(trained("gesture"), app / "models")
    proc, port = rp2040js.start(pico.firmware.path, tmp_path / "flash.img", example / "sample.csv")
    try:
        deploy = subprocess.Popen(
            [sys.executable, "-m", "host", "deploy", str(app), "--board", "rpi_pico"]
            + ["--port", port, "--follow"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=take_ctrl_c,
        )
        assert rp2040js.wait_recording_ended(proc), "the emulator stopped before the recording"
        timer = threading.Timer(
            PicoEmulatorTransport.DRAIN_SECONDS, deploy.send_signal, [signal.SIGINT]
        )
        timer.start()
        output, _ = deploy.communicate(timeout=300)
    finally:
        rp2040js.stop(proc)
    assert deploy.returncode == 0, output
    assert "deployed to rpi_pico" in output and "MPY: soft reboot" in output, output
    lines = [line for line in output.split("MPY: soft reboot", 1)[1].splitlines() if line]
    assert_prints_expected(lines, example)


PULSES = 20000  # at 10 kHz: 2 s of the 3 s tests/device/irq_load.py runs


def test_interrupts_under_load(pico, trained, tmp_path: Path) -> None:
    """While the keyword pipeline runs, the emulator drives its trigger pin at 10 kHz: the
    hard interrupt handler sees every edge, the pipeline takes one per window and the rest
    are counted missed, inference goes on, and nothing is allocated."""
    from host import romfs
    from host.boards import load_board
    from host.emulators import rp2040js
    from host.transport import MpremoteTransport

    rom = tmp_path / "rom"
    shutil.copytree(trained("keyword"), rom)
    shutil.copyfile(ROOT / "examples" / "keyword" / "sample.wav", rom / "speech.wav")
    romfs.write_image(rom, tmp_path / "rom.img")
    proc, device = rp2040js.start(
        pico.firmware.path, tmp_path / "flash.img", pulses=f"2:10000:{PULSES}:3"
    )
    try:
        board = MpremoteTransport(load_board("rpi_pico"), device)
        board.deploy_rom(tmp_path / "rom.img", timeout=600)
        result = board.run(ROOT / "tests" / "device" / "irq_load.py", timeout=900)
    finally:
        rp2040js.stop(proc)
    output = assert_passed(result)
    assert "rror" not in output, output  # no uncaught error in a handler
    found = re.search(r"^LOAD (\d+) (\d+) (\d+) (-?\d+)$", output, re.M)
    assert found, output
    events, missed, invokes, grown = map(int, found.groups())
    taken = events - missed  # `events` counts every edge, `missed` those that found one pending
    print(f"{events} events of {PULSES} edges, {taken} taken, {missed} missed; {invokes} invokes")
    print(output.splitlines()[-1])
    assert events == PULSES
    assert taken in (invokes, invokes + 1)  # each invoke took one; one may still be pending
    assert invokes >= 8  # a window every 240 ms while the pulses last (2 s): inference went on
    assert grown == 0
