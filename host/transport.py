"""One transport per kind of board, as mpremote has one per connection.

    with connect("rpi_pico") as board:          # the emulated Pico
        board.deploy_rom(image)
        result = board.run(script)

- the simulator: the unix firmware as a process, /rom from an image file, sensors replayed;
- QEMU boards: qemu-system-arm or -riscv32 with the UART on a pseudo-terminal, reached with
  mpremote;
- the emulated Pico: the real firmware.uf2 in rp2040js, its USB CDC serial on a socket,
  reached with mpremote, its flash kept in a file beside the firmware;
- a real board: mpremote on the serial port the user names (`--port`).

`host run`, `repl`, `bench` and the tests go through here; nothing else knows which kind of
board it talks to.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from host import build, toolchains
from host.boards import Board, load_board
from host.errors import CommandError

QEMU_PTY = re.compile(r"char device redirected to (\S+)")
BOOT_TIMEOUT = 60


@dataclass(frozen=True)
class RunResult:
    """How a script on a board ended and what it printed. `returncode` is 0 when it ran to its
    end and non-zero when it raised (the simulator's exit status, or mpremote's, which exits 1
    when the board reports an uncaught exception); the simulator crashing, or a timeout, raises
    CommandError instead."""

    returncode: int
    output: str  # everything it printed (stdout and stderr), a traceback included


def stream(proc: subprocess.Popen, echo: bool, timeout: float | None) -> str:
    """Collect a process's output line by line, echoing it as it comes; kill it after
    `timeout` seconds even if it has gone silent."""
    lines = []
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        proc.kill()

    watchdog = threading.Timer(timeout, kill) if timeout else None
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
    if timed_out.is_set():
        raise CommandError(f"the script ran longer than {timeout:.0f} s:\n" + "".join(lines[-20:]))
    return "".join(lines)


def mpremote_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mpremote", *args]


class Transport:
    """A board reached for the length of a `with` block."""

    board: Board

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop what `connect` started (an emulator); a real board is left as it is."""

    def deploy_rom(self, image: Path, timeout: float | None = None) -> None:
        raise NotImplementedError

    def run(
        self,
        script: Path,
        *,
        data: Path | None = None,
        echo: bool = False,
        timeout: float | None = None,
    ) -> RunResult:
        raise NotImplementedError

    def repl(self) -> int:
        raise NotImplementedError


class MpremoteTransport(Transport):
    """A board with a MicroPython REPL on a serial connection mpremote opens by name."""

    def __init__(self, board: Board, port: str):
        self.board = board
        self.port = port

    def mpremote(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            mpremote_command("connect", self.port, *args),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def deploy_rom(self, image: Path, timeout: float | None = None) -> None:
        """Write a ROMFS image into the board's ROM partition with mpremote."""
        deploy = self.mpremote("romfs", "deploy", str(image), timeout=timeout)
        if deploy.returncode != 0:
            raise CommandError(f"mpremote romfs deploy failed:\n{deploy.stdout}{deploy.stderr}")

    def run(
        self,
        script: Path,
        *,
        data: Path | None = None,
        echo: bool = False,
        timeout: float | None = None,
    ) -> RunResult:
        if data is not None:
            raise CommandError(
                f"--data replays a recording on the simulator (--board unix) and"
                f" on emulated boards that drive sensors; {self.board.id} here"
                " reads its real sensors"
            )
        # mpremote soft-resets the board as it connects, and MicroPython mounts the ROM
        # partition at /rom on every reset, as on a real board.
        runner = subprocess.Popen(
            mpremote_command("connect", self.port, "run", str(script)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output = stream(runner, echo, timeout)
        return RunResult(runner.returncode, output)

    def repl(self) -> int:
        return subprocess.run(mpremote_command("connect", self.port, "repl")).returncode


class SerialTransport(MpremoteTransport):
    """A real board on a serial port (`--port /dev/ttyACM0`): mpremote's own connection."""

    def __init__(self, board: Board | None, port: str):
        require_port(port)
        super().__init__(board, port)


def require_port(port: str) -> None:
    """A device path that is not there is refused, said before mpremote's own words would."""
    if "://" not in port and "/" in port and not Path(port).exists():
        from serial.tools import list_ports

        ports = ", ".join(sorted(p.device for p in list_ports.comports())) or "none"
        raise CommandError(
            f"no serial port {port}: is the board plugged in? (serial ports here: {ports})"
        )


class SimulatorTransport(Transport):
    """The unix firmware as a process: /rom from an image file, sensors from a recording."""

    def __init__(self, firmware: build.Firmware):
        self.board = firmware.board
        self.firmware = firmware
        self.image: Path | None = None

    def deploy_rom(self, image: Path, timeout: float | None = None) -> None:
        self.image = image

    def command(self, script: Path | None, data: Path | None) -> tuple[list[str], dict]:
        """The simulator's command line and environment (see device/tinyml/simulator.py)."""
        env = dict(os.environ)
        for name, value in (
            ("TINYML_SCRIPT", script),
            ("TINYML_ROMFS", self.image),
            ("TINYML_DATA", data),
        ):
            env.pop(name, None)
            if value:
                env[name] = str(value)
        return [
            str(self.firmware.path),
            "-X",
            f"heapsize={self.board.heap_bytes}",
            "-c",
            "import tinyml.simulator",
        ], env

    def run(
        self,
        script: Path,
        *,
        data: Path | None = None,
        echo: bool = False,
        timeout: float | None = None,
    ) -> RunResult:
        cmd, env = self.command(script, data)
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        output = stream(proc, echo, timeout)
        if proc.returncode < 0:
            raise CommandError(
                f"the simulator crashed ({signal.Signals(-proc.returncode).name}) "
                f"running {script.name}:\n" + "\n".join(output.splitlines()[-20:])
            )
        return RunResult(proc.returncode, output)

    def repl(self) -> int:
        cmd, env = self.command(None, None)
        return subprocess.run([*cmd[:-2], "-i", *cmd[-2:]], env=env).returncode


class QemuTransport(MpremoteTransport):
    """A QEMU board: qemu-system-<arch> with the board's UART on a pseudo-terminal."""

    def __init__(self, firmware: build.Firmware, *, icount: bool = False):
        self.process = subprocess.Popen(
            qemu_command(firmware, icount=icount),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        port = _announced_port(self.process, QEMU_PTY, qemu_program(firmware.board))
        super().__init__(firmware.board, port)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def qemu_program(board: Board) -> str:
    return f"qemu-system-{board.qemu_arch}"


def qemu_command(firmware: build.Firmware, *, icount: bool = False) -> list[str]:
    """QEMU booting the firmware with its UART on a pseudo-terminal.

    -semihosting as MicroPython's own `make -C ports/qemu run` passes it: the port's start-up
    code uses it, and without it the firmware stops before its banner.
    """
    board = firmware.board
    cmd = [
        toolchains.require(qemu_program(board)),
        "-machine",
        board.qemu_machine,
        "-nographic",
        "-monitor",
        "none",
        "-semihosting",
        "-serial",
        "pty",
        "-kernel",
        str(firmware.path),
        *board.qemu_args,
    ]
    if icount:
        # One instruction per virtual nanosecond: ticks_us() x 1000 counts instructions.
        cmd += ["-icount", "shift=0"]
    return cmd


class PicoEmulatorTransport(MpremoteTransport):
    """The real RP2040 firmware.uf2 in rp2040js, its flash kept beside the firmware.

    With `data`, the emulator plays that recording into emulated sensors (an MPU6050 on I2C0,
    ADC input 0) that the firmware's real drivers read; when it is over the emulator stops
    the chip and the script's run ends there, as a replay's end ends it on the simulator.
    """

    # Wall seconds between the emulator's `recording ended` and stopping mpremote, for the
    # device's last output, already on the socket, to come through it.
    DRAIN_SECONDS = 1.0

    def __init__(self, firmware: build.Firmware, data: Path | None = None):
        from host.emulators import rp2040js

        self.data = data
        self.process, port = rp2040js.start(firmware.path, firmware.build_dir / "flash.img", data)
        super().__init__(firmware.board, port)

    def run(
        self,
        script: Path,
        *,
        data: Path | None = None,
        echo: bool = False,
        timeout: float | None = None,
    ) -> RunResult:
        if data is None or self.data is None:
            return super().run(script, data=data, echo=echo, timeout=timeout)
        if Path(data).resolve() != Path(self.data).resolve():
            raise CommandError(f"the emulator plays {self.data}; connect with data={data}")
        from host.emulators import rp2040js

        runner = subprocess.Popen(
            mpremote_command("connect", self.port, "run", str(script)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ended = threading.Event()

        def end_with_recording() -> None:
            if rp2040js.wait_recording_ended(self.process):
                ended.set()
                threading.Timer(self.DRAIN_SECONDS, runner.terminate).start()

        threading.Thread(target=end_with_recording, daemon=True).start()
        output = stream(runner, echo, timeout)
        # Stopped by the recording's end, the script ended as a replay's end ends it; one that
        # exited by itself (an uncaught exception, even just before that end) keeps its status.
        stopped = ended.is_set() and runner.returncode == -signal.SIGTERM
        return RunResult(0 if stopped else runner.returncode, output)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def _announced_port(proc: subprocess.Popen, pattern: re.Pattern, name: str) -> str:
    """The serial port an emulator names as it starts; one that says nothing is killed."""
    watchdog = threading.Timer(BOOT_TIMEOUT, proc.kill)
    watchdog.start()
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            match = pattern.search(line)
            if match:
                return match.group(1)
    finally:
        watchdog.cancel()
    proc.kill()
    proc.wait()
    raise CommandError(f"{name} did not open its serial port:\n{''.join(seen[-10:])}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose the board `connect` reaches: `--board`, `--port`."""
    parser.add_argument("--board", default="unix", help="board id (default: unix, the simulator)")
    parser.add_argument(
        "--port",
        metavar="P",
        help="a real board's serial port (e.g. /dev/ttyACM0); default: emulate it",
    )


def connect(
    board_id: str,
    *,
    port: str | None = None,
    icount: bool = False,
    firmware: build.Firmware | None = None,
    data: Path | None = None,
) -> Transport:
    """Reach the board: a real one on `port`, else its emulator (built firmware, started).

    `data`: a recording for the emulated Pico to play into its sensors (given to `run` too);
    the simulator takes it in `run`, and QEMU and real boards refuse it there."""
    if port:
        return SerialTransport(load_board(board_id), port)
    firmware = firmware or build.firmware(board_id)
    board = firmware.board
    if board.port == "unix":
        return SimulatorTransport(firmware)
    if board.port == "qemu":
        return QemuTransport(firmware, icount=icount)
    if board.port == "rp2" and board.mcu == "rp2040":
        return PicoEmulatorTransport(firmware, data)
    raise CommandError(
        f"nothing emulates {board.name} here; connect the board and pass"
        " --port (e.g. --port /dev/ttyACM0)"
    )
