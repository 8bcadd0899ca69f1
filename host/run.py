"""`host run SCRIPT --board B [--rom DIR] [--data FILE]`: run a script on a board.

On the simulator the script runs in the unix firmware with DIR's ROMFS image mounted at /rom
and FILE replayed as sensors. On a QEMU board the firmware boots under qemu-system-arm and
the image and the script reach it over the emulated serial port with mpremote.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from host import build, romfs, toolchains
from host.errors import CommandError

QEMU_PTY = re.compile(r"char device redirected to (\S+)")
QEMU_BOOT_TIMEOUT = 30


@dataclass(frozen=True)
class RunResult:
    returncode: int
    output: str


def _stream(proc: subprocess.Popen, echo: bool, timeout: float | None) -> str:
    """Collect a process's output line by line, echoing it as it comes; kill it after
    `timeout` seconds even if it has gone silent."""
    lines = []
    watchdog = threading.Timer(timeout, proc.kill) if timeout else None
    if watchdog:
        watchdog.start()
    try:
        for line in proc.stdout:
            lines.append(line)
            if echo:
                sys.stdout.write(line)
                sys.stdout.flush()
        proc.wait()
    finally:
        if watchdog:
            watchdog.cancel()
    if watchdog and watchdog.finished.is_set() and proc.returncode < 0:
        raise CommandError(f"the script ran longer than {timeout:.0f} s:\n" + "".join(lines[-20:]))
    return "".join(lines)


def simulator_command(fw: build.Firmware, script: Path | None, image: Path | None,
                      data: Path | None) -> tuple[list[str], dict]:
    """The simulator's command line and environment (see device/tinyml/simulator.py)."""
    env = dict(os.environ)
    for name, value in (("TINYML_SCRIPT", script), ("TINYML_ROMFS", image), ("TINYML_DATA", data)):
        env.pop(name, None)
        if value:
            env[name] = str(value)
    heap = fw.board.config["ram_bytes"]
    return [str(fw.path), "-X", f"heapsize={heap}", "-c", "import tinyml.simulator"], env


def _run_unix(fw: build.Firmware, script: Path, image: Path | None, data: Path | None, echo: bool,
              timeout: float | None) -> RunResult:
    cmd, env = simulator_command(fw, script, image, data)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    output = _stream(proc, echo, timeout)
    return RunResult(proc.returncode, output)


def mpremote_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mpremote", *args]


def qemu_command(fw: build.Firmware, *, icount: bool = False) -> list[str]:
    """qemu-system-arm booting the firmware with its UART on a pseudo-terminal.

    -semihosting as MicroPython's own `make -C ports/qemu run` passes it: the port's start-up
    code uses it, and without it the firmware stops before its banner.
    """
    cmd = [toolchains.require("qemu-system-arm"), "-machine", fw.board.config["qemu_machine"],
           "-nographic", "-monitor", "none", "-semihosting", "-serial", "pty", "-kernel", str(fw.path)]
    cmd += fw.board.config.get("qemu_args", [])
    if icount:
        # One instruction per virtual nanosecond: ticks_us() x 1000 counts instructions.
        cmd += ["-icount", "shift=0"]
    return cmd


def start_qemu(fw: build.Firmware, icount: bool) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(qemu_command(fw, icount=icount), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    # QEMU names its pseudo-terminal first thing; a QEMU that says nothing is killed.
    watchdog = threading.Timer(QEMU_BOOT_TIMEOUT, proc.kill)
    watchdog.start()
    try:
        for line in proc.stdout:
            match = QEMU_PTY.search(line)
            if match:
                return proc, match.group(1)
    finally:
        watchdog.cancel()
    proc.kill()
    proc.wait()
    raise CommandError(f"qemu-system-arm did not open its serial port ({' '.join(qemu_command(fw))})")


def deploy_rom(port: str, image: Path, timeout: float | None = None) -> None:
    """Write a ROMFS image into the board's ROM partition with mpremote."""
    deploy = subprocess.run(mpremote_command("connect", port, "romfs", "deploy", str(image)),
                            capture_output=True, text=True, timeout=timeout)
    if deploy.returncode != 0:
        raise CommandError(f"mpremote romfs deploy failed:\n{deploy.stdout}{deploy.stderr}")


def _run_qemu(fw: build.Firmware, script: Path, image: Path | None, echo: bool, timeout: float | None,
              icount: bool) -> RunResult:
    proc, port = start_qemu(fw, icount)
    try:
        if image:
            deploy_rom(port, image, timeout)
        # mpremote soft-resets the board as it connects, and MicroPython mounts the ROM
        # partition at /rom on every reset, as on a real board.
        cmd = mpremote_command("connect", port, "run", str(script))
        runner = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output = _stream(runner, echo, timeout)
        return RunResult(runner.returncode, output)
    finally:
        proc.kill()
        proc.wait()


def run_script(board_id: str, script: Path, *, rom_dir: Path | None = None, data: Path | None = None,
               echo: bool = False, timeout: float | None = None, icount: bool = False,
               firmware: build.Firmware | None = None) -> RunResult:
    """Run `script` on the board and return its exit status and everything it printed."""
    script = Path(script).resolve()
    if not script.is_file():
        raise CommandError(f"no such script: {script}")
    fw = firmware or build.firmware(board_id)
    if data is not None:
        data = Path(data).resolve()
        if not data.is_file():
            raise CommandError(f"no such recording: {data}")
        if fw.board.port != "unix":
            raise CommandError("--data replays a recording on the simulator only (--board unix)")
    with tempfile.TemporaryDirectory(prefix="tinyml-run-") as tmp:
        image = None
        if rom_dir is not None:
            image = Path(tmp) / "rom.img"
            romfs.write_image(Path(rom_dir), image)
        if fw.board.port == "unix":
            return _run_unix(fw, script, image, data, echo, timeout)
        return _run_qemu(fw, script, image, echo, timeout, icount)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("script", type=Path, help="MicroPython script to run")
    parser.add_argument("--board", default="unix", help="board id (default: unix, the simulator)")
    parser.add_argument("--rom", type=Path, metavar="DIR", help="folder packed into ROMFS and mounted at /rom")
    parser.add_argument("--data", type=Path, metavar="FILE", help="simulator: recording replayed as sensors")
    parser.add_argument("--icount", action="store_true",
                        help="QEMU boards: count instructions (ticks_us() x 1000 = instructions)")


def run(args: argparse.Namespace) -> int:
    result = run_script(args.board, args.script, rom_dir=args.rom, data=args.data, echo=True, icount=args.icount)
    return 0 if result.returncode == 0 else 1
