"""The rpi_pico emulator (host/emulators/rp2040js): a real RP2040 firmware.uf2 in rp2040js,
driven by mpremote over its USB serial port exactly as a Pico on /dev/ttyACM0.

Runs the rpi_pico firmware (`host build --board rpi_pico`, built by the fixture), with
Node.js and npm, and the rp2040js source (`host setup`) for the boot ROM.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import firmware_for

from host.emulators import rp2040js

MPREMOTE_TIMEOUT = 120


@pytest.fixture(scope="module")
def uf2() -> Path:
    for program in ("node", "npm"):
        if shutil.which(program) is None:
            pytest.skip(f"{program} missing; install it with: {rp2040js.NODE_INSTALL}")
    return firmware_for("rpi_pico").path


class Pico:
    """One emulator run on a flash image; `restart()` boots a new one on the same image."""

    def __init__(self, uf2: Path, image: Path):
        self.uf2, self.image = uf2, image
        self.proc, self.device = rp2040js.start(uf2, image)

    def restart(self) -> None:
        rp2040js.stop(self.proc)
        self.proc, self.device = rp2040js.start(self.uf2, self.image)

    def mpremote(self, *args: str | Path) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "mpremote", "connect", self.device, *map(str, args)],
            check=False,
            capture_output=True,
            text=True,
            timeout=MPREMOTE_TIMEOUT,
        )
        assert result.returncode == 0, f"mpremote {args}: {result.stdout}{result.stderr}"
        return result.stdout

    def exec(self, code: str) -> str:
        return self.mpremote("exec", code).strip()


@pytest.fixture(scope="module")
def pico(uf2: Path, tmp_path_factory) -> Pico:
    board = Pico(uf2, tmp_path_factory.mktemp("pico") / "flash.img")
    yield board
    rp2040js.stop(board.proc)


def test_exec(pico: Pico):
    assert pico.exec("print(1+1)") == "2"
    assert "RP2040" in pico.exec("import os; print(os.uname().machine)")


def test_run_script(pico: Pico, tmp_path: Path):
    script = tmp_path / "script.py"
    script.write_text("import sys\nprint('ran on', sys.platform, sum(range(1000)))\n")
    assert pico.mpremote("run", script).strip() == "ran on rp2 499500"


def test_file_persists_across_reset_and_restart(pico: Pico, tmp_path: Path):
    data = tmp_path / "data.txt"
    data.write_text("kept in flash\n" * 50)
    pico.mpremote("fs", "cp", data, ":data.txt")
    assert pico.mpremote("fs", "cat", ":data.txt") == data.read_text()

    pico.mpremote("reset")
    # `reset` returns before the firmware reboots (it sleeps 100 ms first): a Ctrl-C sent in
    # that window would interrupt the sleep instead.
    time.sleep(2)
    cause = "import machine; print(machine.reset_cause() == machine.WDT_RESET)"
    assert pico.exec(cause) == "True"
    assert pico.mpremote("fs", "cat", ":data.txt") == data.read_text()

    pico.restart()  # a new emulator process on the same flash image
    assert pico.mpremote("fs", "cat", ":data.txt") == data.read_text()


def test_romfs_deploy(pico: Pico, tmp_path: Path):
    rom = tmp_path / "rom"
    rom.mkdir()
    (rom / "label.txt").write_text("from romfs\n")
    (rom / "romconst.py").write_text("VALUE = 42\n")
    image = tmp_path / "rom.img"
    subprocess.run(
        [sys.executable, "-m", "host", "romfs", str(rom), "-o", str(image)],
        check=True,
        capture_output=True,
    )
    pico.mpremote("romfs", "deploy", image)
    assert pico.exec("print(open('/rom/label.txt').read())") == "from romfs"
    assert pico.exec("import romconst; print(romconst.VALUE)") == "42"

    pico.restart()  # the ROMFS partition is in the flash image too
    assert (
        pico.exec("import os; print(sorted(os.listdir('/rom')))") == "['label.txt', 'romconst.py']"
    )
