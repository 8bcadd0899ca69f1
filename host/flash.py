"""`host flash --board B [--port P | --drive DIR] [--firmware FILE]`: write firmware to a board.

rp2 boards take a UF2 file, checked first to be for the board's chip (`mcu` in board.toml).
With picotool installed it loads the file over USB (`picotool load -x FILE -t uf2 -f`);
otherwise the file is copied to the drive the bootloader shows in BOOTSEL mode (found by its
INFO_UF2.TXT, or given with --drive). With --port, the MicroPython running on the board is
first asked to enter its bootloader, so the BOOTSEL button is not needed.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from host import build, uf2
from host.boards import Board, load_board
from host.errors import CommandError
from host.transport import SerialTransport

EMULATED_PORTS = ("unix", "qemu")
DRIVE_WAIT = 15.0
BOOTLOADER_TIMEOUT = 20.0
INFO_FILE = "INFO_UF2.TXT"
# The Board-ID line of INFO_UF2.TXT on each chip's bootloader drive (an RP2350 whose OTP
# "white-labels" the drive may say something else).
DRIVE_BOARD_IDS = {"rp2040": "RPI-RP2", "rp2350": "RP2350"}
# Where desktops mount removable drives, besides what /proc/mounts lists.
MOUNT_GLOBS = ("/media/*/*", "/run/media/*/*", "/Volumes/*")
COPY_CHUNK = 32 * uf2.BLOCK_SIZE
BOOTSEL_HINT = (
    "hold the BOOTSEL button while plugging the board in (or pass --port P if it runs "
    "MicroPython), then run the command again; if the drive shows up but is not "
    "mounted, mount it and pass it with --drive DIR"
)


def board_mcu(board: Board) -> str:
    """The board's chip, `mcu` in its board.toml, checked to be one whose UF2 this module knows."""
    if board.mcu not in uf2.MCU_FAMILIES:
        raise CommandError(
            f"board {board.id}: mcu = {board.mcu!r} in board.toml, but an rp2 "
            f"board's mcu is one of {', '.join(map(repr, uf2.MCU_FAMILIES))}"
        )
    return board.mcu


def default_firmware(board_id: str) -> Path:
    """The UF2 that `host build --board B` makes, built or reused now."""
    return build.firmware(board_id).path


def wait_for(ready: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    """Poll `ready` until it is true or `timeout` seconds have passed; return its last answer."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def enter_bootloader(board: Board, port: str) -> None:
    """Ask the MicroPython on `port` to restart into the ROM bootloader (BOOTSEL mode).

    The board drops off USB as it restarts, so mpremote ends with an error: that is expected
    and ignored; only a port that cannot be opened at all is an error.
    """
    print(f"asking MicroPython on {port} to enter its bootloader", file=sys.stderr, flush=True)
    try:
        result = SerialTransport(board, port).mpremote(
            "exec", "import machine; machine.bootloader()", timeout=BOOTLOADER_TIMEOUT
        )
    except subprocess.TimeoutExpired as err:
        raise CommandError(
            f"MicroPython on {port} did not answer in {BOOTLOADER_TIMEOUT:.0f} s; " + BOOTSEL_HINT
        ) from err
    output = result.stdout + result.stderr
    if "failed to access" in output or "no device found" in output:
        raise CommandError(f"cannot open {port}: {output.strip()}")


def picotool_command(picotool: str, firmware: Path) -> list[str]:
    """Load the UF2 and run it (-x); -f resets a board running code with pico-sdk's USB reset
    interface into BOOTSEL first (MicroPython has none: --port does it instead)."""
    return [picotool, "load", "-x", str(firmware), "-t", "uf2", "-f"]


def load_with_picotool(
    picotool: str, firmware: Path, board: Board, port: str | None, wait: float
) -> None:
    """Load the UF2 with picotool, showing its output."""
    if port:
        enter_bootloader(board, port)
        # picotool info succeeds once a device in BOOTSEL mode is on the bus; if none comes,
        # the load below says why (no device, no USB permission, ...).
        wait_for(
            lambda: (
                subprocess.run([picotool, "info"], capture_output=True, check=False).returncode
                == 0
            ),
            wait,
        )
    result = subprocess.run(picotool_command(picotool, firmware), check=False)
    if result.returncode != 0:
        raise CommandError(
            f"picotool load failed (exit status {result.returncode}); " + BOOTSEL_HINT
        )


def _unescape_mount(field: str) -> str:
    """/proc/mounts writes a space in a path as \\040 (octal escapes)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mount_points(mounts_file: Path = Path("/proc/mounts")) -> list[Path]:
    """Every mounted folder: /proc/mounts, then the desktops' removable-media folders."""
    found: list[Path] = []
    try:
        lines = mounts_file.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 2:
            found.append(Path(_unescape_mount(fields[1])))
    for pattern in MOUNT_GLOBS:
        found += (Path(p) for p in sorted(glob.glob(pattern)))
    return list(dict.fromkeys(found))


def drive_board_id(drive: Path) -> str | None:
    """The Board-ID line of the drive's INFO_UF2.TXT; None if it is not a UF2 drive."""
    try:
        info = (Path(drive) / INFO_FILE).read_text(errors="replace")
    except OSError:
        return None
    match = re.search(r"^Board-ID:\s*(.*?)\s*$", info, re.MULTILINE)
    return match.group(1) if match else ""


def find_drives(mcu: str, candidates: Iterable[Path] | None = None) -> list[Path]:
    """The mounted UF2 drives of `mcu` chips (candidates: the folders to look in)."""
    wanted = DRIVE_BOARD_IDS[mcu]
    folders = mount_points() if candidates is None else candidates
    return [Path(folder) for folder in folders if drive_board_id(Path(folder)) == wanted]


def check_drive(drive: Path, mcu: str, board_id: str) -> None:
    """Refuse a folder that is not a UF2 drive, or is the drive of another chip."""
    found = drive_board_id(drive)
    if found is None:
        raise CommandError(f"{drive} is not a UF2 bootloader drive (it has no {INFO_FILE})")
    other = next((chip for chip, name in DRIVE_BOARD_IDS.items() if name == found), None)
    if other is not None and other != mcu:
        raise CommandError(
            f"{drive} is the drive of an {other.upper()} (Board-ID: {found}), "
            f"but board {board_id} is an {mcu.upper()}"
        )
    if other is None:
        print(
            f"note: {drive} says Board-ID: {found!r}, not {DRIVE_BOARD_IDS[mcu]!r}; copying "
            "as asked",
            file=sys.stderr,
        )


def locate_drive(board: Board, port: str | None, wait: float) -> Path:
    """The chip's bootloader drive, asking MicroPython on `port` to show it if none is mounted."""
    mcu = board_mcu(board)
    name = DRIVE_BOARD_IDS[mcu]
    drives = find_drives(mcu)

    def appeared() -> bool:
        drives[:] = find_drives(mcu)
        return bool(drives)

    if not drives:
        if port:
            enter_bootloader(board, port)
        print(
            f"waiting up to {wait:.0f} s for the {mcu.upper()} bootloader drive ({name})",
            file=sys.stderr,
            flush=True,
        )
        wait_for(appeared, wait)
    if not drives:
        raise CommandError(
            f"no {name} drive is mounted; " + BOOTSEL_HINT + " (or install picotool)"
        )
    if len(drives) > 1:
        raise CommandError(
            f"several {name} drives are mounted ({', '.join(map(str, drives))}); "
            "pick one with --drive DIR"
        )
    return drives[0]


def copy_to_drive(firmware: Path, drive: Path) -> Path:
    """Copy the UF2 onto the drive with progress, then fsync; the board restarts by itself once
    the bootloader has the last block. Return the file written."""
    data = Path(firmware).read_bytes()
    target = Path(drive) / Path(firmware).name
    written = 0
    try:
        with open(target, "wb") as out:
            while written < len(data):
                written += out.write(data[written : written + COPY_CHUNK])
                print(
                    f"\rcopying to {drive}: {written} / {len(data)} bytes",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
            out.flush()
            os.fsync(out.fileno())
    except OSError as err:
        if written < len(data):
            raise CommandError(
                f"copying to {drive} failed after {written} of {len(data)} "
                f"bytes: {err.strerror}; " + BOOTSEL_HINT
            ) from err
        # Every byte was handed over; the drive may vanish before fsync returns because the
        # bootloader restarts the board as soon as it has the last block.
        print(
            f"\nnote: {drive} went away while syncing ({err.strerror}): the board restarted; "
            "if it does not run the new firmware, flash again",
            end="",
            file=sys.stderr,
        )
    finally:
        print(file=sys.stderr)
    return target


def flash(
    board_id: str,
    *,
    firmware: Path | None = None,
    port: str | None = None,
    drive: Path | None = None,
    wait: float = DRIVE_WAIT,
) -> None:
    """Write the firmware (default: the board's build) to the board."""
    board = load_board(board_id)
    if board.port in EMULATED_PORTS:
        raise CommandError(
            f"nothing to flash: board {board_id} runs in emulation "
            f"(host run --board {board_id} SCRIPT)"
        )
    if board.port != "rp2":
        # esp32 will go here, through esptool.
        raise CommandError(f"host flash does not support {board.port} boards yet")
    mcu = board_mcu(board)
    if firmware is None:
        firmware = default_firmware(board_id)
    elif not Path(firmware).is_file():
        raise CommandError(f"no such firmware file: {firmware}")
    uf2.check_family(firmware, mcu, board=board_id)

    picotool = shutil.which("picotool")
    if picotool and drive is None:
        load_with_picotool(picotool, firmware, board, port, wait)
        return
    if drive is not None:
        check_drive(Path(drive), mcu, board_id)
    else:
        drive = locate_drive(board, port, wait)
    copy_to_drive(firmware, Path(drive))
    print(f"copied {firmware} to {drive}; the board restarts with it")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", required=True, help="board id, a folder of boards/")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--port",
        metavar="P",
        help="serial port of the board's MicroPython, asked to enter the bootloader",
    )
    where.add_argument(
        "--drive",
        type=Path,
        metavar="DIR",
        help="the mounted bootloader drive to copy to (skips picotool)",
    )
    parser.add_argument(
        "--firmware",
        type=Path,
        metavar="FILE",
        help="UF2 file to write (default: the one host build --board B makes)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=DRIVE_WAIT,
        metavar="SECONDS",
        help=f"how long to wait for the board in BOOTSEL mode (default {DRIVE_WAIT:.0f})",
    )


def run(args: argparse.Namespace) -> int:
    flash(args.board, firmware=args.firmware, port=args.port, drive=args.drive, wait=args.wait)
    return 0
