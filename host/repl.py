"""`host repl --board B [--rom DIR]`: MicroPython's REPL on a board, /rom holding DIR's files.

On the simulator the REPL is the firmware's own (Ctrl-D leaves); on a QEMU board it is
mpremote's, over the emulated serial port (Ctrl-] leaves).
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from host import build, romfs
from host.run import deploy_rom, mpremote_command, simulator_command, start_qemu


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", default="unix", help="board id (default: unix, the simulator)")
    parser.add_argument("--rom", type=Path, metavar="DIR", help="folder packed into ROMFS and mounted at /rom")


def run(args: argparse.Namespace) -> int:
    firmware = build.firmware(args.board)
    with tempfile.TemporaryDirectory(prefix="tinyml-repl-") as tmp:
        image = None
        if args.rom:
            image = Path(tmp) / "rom.img"
            romfs.write_image(args.rom, image)
        if firmware.board.port == "unix":
            cmd, env = simulator_command(firmware, None, image, None)
            return subprocess.run([*cmd[:-2], "-i", *cmd[-2:]], env=env).returncode
        qemu, port = start_qemu(firmware, False)
        try:
            if image:
                deploy_rom(port, image)
            return subprocess.run(mpremote_command("connect", port, "repl")).returncode
        finally:
            qemu.kill()
            qemu.wait()
