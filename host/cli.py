"""Entry point of the `host` command: one subcommand per module, imported only when used.

Each command module defines `add_arguments(parser)` and `run(args)`; a user error raises
`CommandError`, which `main` prints as `host: <message>` with exit status 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from host import __version__
from host.errors import CommandError

# name -> (module, one-line help). Modules are imported lazily so that only the commands
# that need TensorFlow pay for importing it.
COMMANDS = {
    "setup": (
        "host.sources",
        "fetch the pinned upstream sources (--esp32: and build ESP-IDF's toolchains); "
        "report sources and toolchains",
    ),
    "build": ("host.build", "build MicroPython firmware with the _tflm module for a board"),
    "flash": (
        "host.flash",
        "write firmware to a board: picotool, the UF2 drive (rp2) or esptool (esp32)",
    ),
    "romfs": ("host.romfs", "pack a folder into a ROMFS image (file data 16-byte aligned)"),
    "run": ("host.run", "run a MicroPython script on a board and stream its output"),
    "deploy": (
        "host.deploy",
        "an app folder to a board: changed files only, models into ROMFS, atomic switch, rollback",
    ),
    "repl": ("host.repl", "MicroPython's REPL on a board, with /rom from a folder"),
    "bench": ("host.bench", "cost of one invoke on a board: C loop vs Python, arena"),
    "demo": ("host.demo", "the main job on the simulator: sine model, firmware, inference"),
    "train": ("host.train", "train a recipe or a dataset folder into NAME.tflite + NAME.json"),
    "inspect": ("host.inspect", "operators, tensors, parameters, MACs, arena, board fit"),
}


# The packages of the `train` extra: a command that needs one says how to install them.
TRAINING_PACKAGES = {
    "tensorflow",
    "tf_keras",
    "tensorflow_model_optimization",
    "tflite_micro",
    "matplotlib",
    "scipy",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the arguments of `command` only: its module is the one imported."""
    parser = argparse.ArgumentParser(prog="host", description="tinyml-mpy host tool")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module_name=module_name)
        if name == command:
            _load(module_name).add_arguments(sub)
    return parser


def _load(module_name: str):
    return importlib.import_module(module_name)


def main(argv: list[str] | None = None) -> int:
    """Run the `host` command; return its exit status."""
    argv = sys.argv[1:] if argv is None else argv
    command = next((word for word in argv if not word.startswith("-")), None)
    try:
        args = build_parser(command).parse_args(argv)
        result = _load(args.module_name).run(args)
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] not in TRAINING_PACKAGES:
            raise
        print(
            f"host: {command} needs the training extras ({err.name} is missing): "
            "pip install 'tinyml-mpy[train]'",
            file=sys.stderr,
        )
        return 1
    except CommandError as err:
        print(f"host: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("host: interrupted", file=sys.stderr)
        return 1
    return int(result or 0)
