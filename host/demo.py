"""`host demo`: the main job on the simulator, end to end.

Trains the sine model (or reuses the cached one), builds the simulator firmware, runs a
script on it that loads the model from /rom and prints predictions next to sin(x).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from host.build import build
from host.errors import CommandError
from host.run import run_script

DEMO_SCRIPT = Path(__file__).resolve().parent / "device_scripts" / "sine_demo.py"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--board", default="unix", help="board to run on (default: unix, the simulator)"
    )


def run(args: argparse.Namespace) -> int:
    from host.train import train

    with tempfile.TemporaryDirectory(prefix="tinyml-demo-") as tmp:
        models = Path(tmp)
        print(
            "1/3 training the sine model (cached after the first run)", file=sys.stderr, flush=True
        )
        train("sine", models)
        print(f"2/3 building the firmware for {args.board}", file=sys.stderr, flush=True)
        firmware = build(args.board).firmware
        print("3/3 running the model on the board", file=sys.stderr, flush=True)
        result = run_script(args.board, DEMO_SCRIPT, rom_dir=models, echo=True, firmware=firmware)
    if result.returncode != 0 or "AGREE" not in result.output.split():
        raise CommandError("the model's predictions do not agree with sin(x)")
    return 0
