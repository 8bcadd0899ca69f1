"""`host run SCRIPT --board B [--port P] [--rom DIR] [--data FILE]`: run a script on a board.

The board is reached through its transport (host/transport.py): the simulator runs the
script with DIR's ROMFS image mounted at /rom and FILE replayed as sensors; an emulated or
real board gets the image and the script over its serial port with mpremote. The emulated
Pico plays FILE into its emulated sensors; the QEMU boards, which have none, find FILE in
their image (boards.ROM_RECORDING) and replay it as the simulator does.

The CLI parses its arguments and calls `run_script`, which scripts and tests call directly:

    from host.run import run_script
    result = run_script("unix", Path("main.py"), rom_dir=Path("models"))   # -> RunResult
    print(result.returncode, result.output)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from host import boards, build, romfs, transport
from host.errors import CommandError
from host.transport import RunResult, connect


def run_script(
    board_id: str,
    script: Path,
    *,
    rom_dir: Path | None = None,
    data: Path | None = None,
    echo: bool = False,
    timeout: float | None = None,
    icount: bool = False,
    firmware: build.Firmware | None = None,
    port: str | None = None,
) -> RunResult:
    """Run the MicroPython file `script` on the board `board_id` (a folder of boards/) and
    return how it ended and everything it printed; `echo` also streams that to stdout.

    `rom_dir` is packed into a ROMFS image mounted at /rom; `data` (a CSV or WAV recording)
    is replayed as the board's sensors where the board can (the simulator, the QEMU boards,
    the emulated Pico). `port` reaches a real board on that serial port; otherwise the board
    is emulated, with `firmware` (default: built by `host.build.firmware`). `icount` counts
    instructions on QEMU boards. A missing file, a recording for a board that cannot replay
    it, a crash of the simulator or a run longer than `timeout` seconds raises CommandError;
    a script that raises ends with a nonzero returncode."""
    script = Path(script).resolve()
    if not script.is_file():
        raise CommandError(f"no such script: {script}")
    if data is not None:
        data = Path(data).resolve()
        if not data.is_file():
            raise CommandError(f"no such recording: {data}")
    board = firmware.board if firmware else boards.load_board(board_id)
    with tempfile.TemporaryDirectory(prefix="tinyml-run-") as tmp:
        image = None
        if data is not None and board.replay and board.port != "unix" and not port:
            rom_dir = _with_recording(rom_dir, data, Path(tmp) / "rom")
            data = None
        if rom_dir is not None:
            image = Path(tmp) / "rom.img"
            romfs.write_image(Path(rom_dir), image)
        with connect(board_id, port=port, icount=icount, firmware=firmware, data=data) as board:
            if image:
                board.deploy_rom(image, timeout)
            return board.run(script, data=data, echo=echo, timeout=timeout)


def _with_recording(rom_dir: Path | None, data: Path, folder: Path) -> Path:
    """`folder`: a copy of `rom_dir` (if any) with `data` as the board's recording."""
    if rom_dir is not None:
        shutil.copytree(rom_dir, folder)
    folder.mkdir(exist_ok=True)
    shutil.copyfile(data, folder / (Path(boards.ROM_RECORDING).name + data.suffix.lower()))
    return folder


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("script", type=Path, help="MicroPython script to run")
    transport.add_arguments(parser)
    parser.add_argument(
        "--rom", type=Path, metavar="DIR", help="folder packed into ROMFS and mounted at /rom"
    )
    parser.add_argument(
        "--data",
        type=Path,
        metavar="FILE",
        help="recording replayed as sensors (simulator, QEMU boards, emulated rpi_pico)",
    )
    parser.add_argument(
        "--icount",
        action="store_true",
        help="QEMU boards: count instructions (ticks_us() x 1000 = instructions)",
    )


def run(args: argparse.Namespace) -> int:
    result = run_script(
        args.board,
        args.script,
        rom_dir=args.rom,
        data=args.data,
        echo=True,
        icount=args.icount,
        port=args.port,
    )
    return 0 if result.returncode == 0 else 1
