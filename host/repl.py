"""`host repl --board B [--port P] [--rom DIR]`: MicroPython's REPL on a board, /rom holding
DIR's files.

On the simulator the REPL is the firmware's own (Ctrl-D leaves); on an emulated or real board
it is mpremote's, over the board's serial port (Ctrl-] leaves).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from host import romfs, transport
from host.transport import connect


def add_arguments(parser: argparse.ArgumentParser) -> None:
    transport.add_arguments(parser)
    parser.add_argument(
        "--rom", type=Path, metavar="DIR", help="folder packed into ROMFS and mounted at /rom"
    )


def run(args: argparse.Namespace) -> int:
    with (
        tempfile.TemporaryDirectory(prefix="tinyml-repl-") as tmp,
        connect(args.board, port=args.port) as board,
    ):
        if args.rom:
            image = Path(tmp) / "rom.img"
            romfs.write_image(args.rom, image)
            board.deploy_rom(image)
        return board.repl()
