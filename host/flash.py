"""`host flash --board B [--port P | --drive DIR] [--firmware FILE]`: write firmware to a board.

rp2 boards take a UF2 file, checked first to be for the board's chip (`mcu` in board.toml).
With picotool installed it loads the file over USB (`picotool load -x FILE -t uf2 -f`);
otherwise the file is copied to the drive the bootloader shows in BOOTSEL mode (found by its
INFO_UF2.TXT, or given with --drive). With --port, the MicroPython running on the board is
first asked to enter its bootloader, so the BOOTSEL button is not needed.

esp32 boards take the merged image the build makes (firmware.bin: bootloader, partition table
and app), written with esptool's Python API over the serial port (--port, required) at the
bootloader's offset. The image's bootloader header names its chip: it is checked against the
board offline, and the chip esptool finds on the port is checked before anything is written.
Only the image's own span is written, so the ROMFS and filesystem partitions after the app
survive a firmware update unless --erase erases the whole flash first.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import esptool.cmds
from esptool.bin_image import LoadFirmwareImage
from esptool.loader import ESPLoader
from esptool.targets import CHIP_DEFS, ROM_LIST
from esptool.util import FatalError
from serial import SerialException

from host import build, transport, uf2
from host.boards import Board, load_board
from host.errors import CommandError

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
ESP32_BAUD = 460800
# ESP-IDF's esp_app_desc_t opens an app's first segment with this word; a bootloader has its own.
APP_DESC_MAGIC = struct.pack("<I", 0xABCD5432)


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
        result = transport.SerialTransport(board, port).mpremote(
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


def esp_chip(board: Board) -> type[ESPLoader]:
    """The board's chip (`mcu` in its board.toml) as esptool knows it: its name, the chip id in
    its images' headers and its bootloader's flash offset."""
    chip = CHIP_DEFS.get(board.mcu)
    if chip is None:
        raise CommandError(
            f"board {board.id}: mcu = {board.mcu!r} in board.toml, but an esp32 board's mcu "
            f"is a chip esptool knows ({', '.join(CHIP_DEFS)})"
        )
    return chip


def sdkconfig_hex(sdkconfig: Path, name: str) -> int:
    """The hex setting CONFIG_<name> of an ESP-IDF build's sdkconfig."""
    try:
        text = sdkconfig.read_text()
    except OSError as err:
        raise CommandError(f"cannot read {sdkconfig}: {err.strerror}") from err
    match = re.search(rf"^CONFIG_{name}=(0x[0-9a-fA-F]+)$", text, re.MULTILINE)
    if match is None:
        raise CommandError(f"{sdkconfig} sets no CONFIG_{name}")
    return int(match.group(1), 16)


def esp32_firmware(board: Board, firmware: Path | None) -> tuple[Path, int]:
    """The merged image to write and its flash offset: the build's firmware.bin, which
    MicroPython's makeimg.py starts at the bootloader offset of the build's sdkconfig, or FILE
    at the chip's bootloader offset."""
    if firmware is None:
        built = build.firmware(board.id).path
        return built, sdkconfig_hex(built.with_name("sdkconfig"), "BOOTLOADER_OFFSET_IN_FLASH")
    if not Path(firmware).is_file():
        raise CommandError(f"no such firmware file: {firmware}")
    return Path(firmware), esp_chip(board).BOOTLOADER_FLASH_OFFSET


def check_esp_image(path: Path, board: Board) -> None:
    """Refuse a file that does not start with a bootloader for the board's chip: the chip id
    of its first image's header is another chip's, or that image is an app (written at the
    bootloader's offset, an app alone would leave the board unable to boot)."""
    chip = esp_chip(board)
    try:
        image = LoadFirmwareImage(board.mcu, path.read_bytes())
    except (FatalError, struct.error, RuntimeError) as err:
        raise CommandError(f"{path} is not an ESP firmware image: {err}") from err
    if image.chip_id != chip.IMAGE_CHIP_ID:
        other = next(
            (rom.CHIP_NAME for rom in ROM_LIST if rom.IMAGE_CHIP_ID == image.chip_id), None
        )
        what = f"an {other} image" if other else f"an image for chip id {image.chip_id}"
        raise CommandError(f"{path} is {what}, but board {board.id} is an {chip.CHIP_NAME}")
    if image.segments and image.segments[0].data.startswith(APP_DESC_MAGIC):
        raise CommandError(
            f"{path} is an app alone, not a merged image that starts with the bootloader; "
            "give the firmware.bin host build makes"
        )


def write_esp32(
    board: Board, image: Path, offset: int, port: str, *, baud: int, erase: bool, verify: bool
) -> None:
    """Write the image at `offset` with esptool (which prints its progress), after checking
    the chip on `port` is the board's, then restart the chip into it."""
    chip = esp_chip(board)
    files = [(offset, str(image))]
    # The ROM bootloader syncs at its own rate at most; the stub then switches to `baud`.
    sync_baud = min(ESPLoader.ESP_ROM_BAUD, baud)
    try:
        with esptool.cmds.detect_chip(port, sync_baud) as esp:
            if esp.CHIP_NAME != chip.CHIP_NAME:
                # Out of download mode, back to the firmware it has.
                esptool.cmds.reset_chip(esp, "hard-reset")
                raise CommandError(
                    f"the chip on {port} is an {esp.CHIP_NAME}, but board {board.id} is an "
                    f"{chip.CHIP_NAME}; nothing was written"
                )
            esp = esptool.cmds.run_stub(esp)
            if baud > sync_baud:
                esp.change_baud(baud)
            esptool.cmds.attach_flash(esp)
            if erase:
                esptool.cmds.erase_flash(esp)
            esptool.cmds.write_flash(esp, files)
            if verify:
                esptool.cmds.verify_flash(esp, files)
            esptool.cmds.reset_chip(esp, "hard-reset")
    except (FatalError, SerialException) as err:
        raise CommandError(f"{port}: {err}") from err
    except StopIteration as err:  # esptool's reader ran out of answers
        raise CommandError(f"{port}: the chip stopped responding") from err


def flash_esp32(
    board: Board,
    firmware: Path | None,
    port: str | None,
    *,
    baud: int,
    erase: bool,
    verify: bool,
) -> None:
    """Check the port, the image and its chip, then write it (see write_esp32)."""
    chip = esp_chip(board)
    if port is None:
        raise CommandError(
            f"board {board.id} is written over its serial port: pass --port P "
            "(e.g. /dev/ttyUSB0 or /dev/ttyACM0)"
        )
    transport.require_port(port)
    image, offset = esp32_firmware(board, firmware)
    check_esp_image(image, board)
    write_esp32(board, image, offset, port, baud=baud, erase=erase, verify=verify)
    kept = "" if erase else "; the ROMFS and filesystem partitions were left as they were"
    print(f"wrote {image} at {offset:#x} to the {chip.CHIP_NAME} on {port}{kept}")


def flash(
    board_id: str,
    *,
    firmware: Path | None = None,
    port: str | None = None,
    drive: Path | None = None,
    wait: float = DRIVE_WAIT,
    baud: int | None = None,
    erase: bool = False,
    verify: bool = True,
) -> None:
    """Write the firmware (default: the board's build) to the board. `wait` and `drive` are for
    rp2 boards; `baud` (default ESP32_BAUD), `erase` and `verify` for esp32 boards."""
    board = load_board(board_id)
    if board.port in EMULATED_PORTS:
        raise CommandError(
            f"nothing to flash: board {board_id} runs in emulation "
            f"(host run --board {board_id} SCRIPT)"
        )
    if board.port == "esp32":
        if drive is not None:
            raise CommandError(
                f"--drive is for rp2 boards; board {board_id} is written over its serial "
                "port (--port P)"
            )
        flash_esp32(board, firmware, port, baud=baud or ESP32_BAUD, erase=erase, verify=verify)
        return
    esp32_options = {"--baud": baud is not None, "--erase": erase, "--no-verify": not verify}
    given = [option for option, used in esp32_options.items() if used]
    if given:
        raise CommandError(f"{', '.join(given)}: for esp32 boards; board {board_id} is rp2")
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
        help="serial port: esp32, the one esptool writes over (required); rp2, the one of "
        "the board's MicroPython, asked to enter the bootloader",
    )
    where.add_argument(
        "--drive",
        type=Path,
        metavar="DIR",
        help="rp2: the mounted bootloader drive to copy to (skips picotool)",
    )
    parser.add_argument(
        "--firmware",
        type=Path,
        metavar="FILE",
        help="UF2 file (rp2) or merged .bin (esp32) to write (default: the one host build "
        "--board B makes)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=DRIVE_WAIT,
        metavar="SECONDS",
        help=f"rp2: how long to wait for the board in BOOTSEL mode (default {DRIVE_WAIT:.0f})",
    )
    parser.add_argument(
        "--baud",
        type=int,
        metavar="N",
        help=f"esp32: the serial rate to write at (default {ESP32_BAUD})",
    )
    parser.add_argument(
        "--erase",
        action="store_true",
        help="esp32: erase the whole flash first, the ROMFS and filesystem partitions too",
    )
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="esp32: skip checking the flash against the image after writing (its digest)",
    )


def run(args: argparse.Namespace) -> int:
    flash(
        args.board,
        firmware=args.firmware,
        port=args.port,
        drive=args.drive,
        wait=args.wait,
        baud=args.baud,
        erase=args.erase,
        verify=args.verify,
    )
    return 0
