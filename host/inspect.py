"""`host inspect MODEL`: operators, tensors, parameters, MACs, measured arena, board fit.

The CLI parses its arguments and calls `inspect`, which scripts and tests call directly:

    from host.inspect import inspect
    report = inspect("models/sine.tflite", board="rpi_pico")   # -> InspectReport
    print(report.model.macs, report.arena_bytes, report.board.fits)
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from host import sources
from host.boards import Board, load_board
from host.errors import CommandError
from host.ops import RESOLVER_HEADER, resolver_name, resolver_ops

if TYPE_CHECKING:
    from host.tflite_model import ModelInfo


@dataclass(frozen=True)
class BoardFit:
    """Whether a model fits a board: its ROMFS partition, its heap and its firmware's operators."""

    id: str
    romfs_bytes: int  # the largest models image; 0: the board reads models from files
    heap_bytes: int
    model_bytes: int
    arena_bytes: int
    fits: bool
    lacking_ops: list[str] | None  # None: the firmware's operators are unknown, not checked
    ops_source: str  # where the list of the firmware's operators comes from


@dataclass(frozen=True)
class InspectReport:
    """What `inspect` found: the model read from its flatbuffer, the arena the `tflite-micro`
    runtime needs for it, and whether it fits a board (if one was named)."""

    path: Path
    model: ModelInfo  # operators, tensors, parameters, MACs, memory after each operator
    arena_bytes: int
    board: BoardFit | None = None

    def as_dict(self) -> dict:
        """The report as `host inspect --json` prints it."""
        info = self.model
        document = {
            "size_bytes": info.size,
            "subgraphs": info.subgraphs,
            "operators": [
                {"name": name, "version": version, "count": count}
                for (name, version), count in sorted(info.op_counts.items())
            ],
            "tensors": [
                {
                    "index": t.index,
                    "name": t.name,
                    "shape": t.shape,
                    "dtype": t.dtype,
                    "bytes": t.nbytes,
                    "constant": t.constant,
                    "scale": t.scale[:1],
                    "zero_point": t.zero_point[:1],
                }
                for t in info.tensors
            ],
            "inputs": info.inputs,
            "outputs": info.outputs,
            "params": info.params,
            "macs": info.macs,
            "arena_bytes": self.arena_bytes,
            "memory_after_each_op": info.memory_after_each_op(),
        }
        if self.board is not None:
            document["board"] = asdict(self.board)
        return document


def inspect(model_path: str | Path, *, board: str | None = None) -> InspectReport:
    """Read the .tflite file `model_path`: its operators, tensors, parameters and MACs, and the
    arena it needs, measured with the `tflite-micro` runtime. With `board` (a folder of
    boards/), also whether it fits that board's ROMFS partition and heap, and the operators
    its firmware lacks. A missing or damaged model or an unknown board raises CommandError."""
    # Not imported at the top, so that `host inspect --help` works without the train extras:
    # the model's schema and the arena measurement come from tflite_micro.
    from host.tflite_model import measure_arena, read_model

    path = Path(model_path)
    info = read_model(path)
    arena = measure_arena(path.read_bytes())
    fit = None if board is None else board_fit(board, info, arena)
    return InspectReport(path, info, arena, fit)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a .tflite file")
    parser.add_argument("--plot", metavar="PNG", help="draw the memory in use after each operator")
    parser.add_argument("--board", metavar="B", help="say whether the model fits board B")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    report = inspect(args.model, board=args.board)
    if args.plot:
        plot_memory(report.model, Path(args.plot))
    if args.json:
        document = report.as_dict()
        if args.plot:
            document["plot"] = args.plot
        json.dump(document, sys.stdout, indent=2)
        print()
    else:
        print_report(report, args.plot)
    return 0


def board_fit(board_id: str, info: ModelInfo, arena: int) -> BoardFit:
    """Whether the model fits the board's ROMFS and heap, and the operators its firmware lacks."""
    board = load_board(board_id)
    available, source = firmware_ops(board)
    used = sorted({name for name, _ in info.op_counts})
    lacking = (
        None
        if available is None
        else [name for name in used if resolver_name(name) not in available]
    )
    # romfs_bytes = 0: the board reads models from files (the simulator), no partition limit
    rom_ok = board.romfs_bytes == 0 or info.size <= board.romfs_image_bytes
    fits = rom_ok and arena <= board.heap_bytes and not lacking
    return BoardFit(
        id=board_id,
        romfs_bytes=board.romfs_image_bytes,
        heap_bytes=board.heap_bytes,
        model_bytes=info.size,
        arena_bytes=arena,
        fits=fits,
        lacking_ops=lacking,
        ops_source=source,
    )


def firmware_ops(board: Board) -> tuple[set[str] | None, str]:
    """The operators a board's firmware registers, and where that list comes from."""
    if board.ops is not None:
        return set(board.ops), "board.toml ops"
    tflm = sources.source("tflite-micro").path
    if not (tflm / RESOLVER_HEADER).is_file():
        return None, "unknown: TFLM sources missing (run `host setup`); op check skipped"
    names = {name for _, name in resolver_ops(tflm)}
    return names, "every operator of TFLM's MicroMutableOpResolver"


def plot_memory(info: ModelInfo, out: Path) -> None:
    """Bar chart of the activation bytes alive after each operator."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    in_use = info.memory_after_each_op()
    labels = [f"{i} {op.name}" for i, op in enumerate(info.operators)]
    figure, axes = plt.subplots(figsize=(max(6, 0.5 * len(labels) + 2), 4))
    axes.bar(range(len(in_use)), in_use)
    axes.set_xticks(range(len(in_use)), labels, rotation=60, ha="right", fontsize=8)
    axes.set_ylabel("bytes of tensors in use")
    axes.set_title("memory in use after each operator")
    figure.tight_layout()
    try:
        figure.savefig(out)
    except OSError as err:
        raise CommandError(f"cannot write {out}: {err.strerror}") from err
    finally:
        plt.close(figure)


def print_report(report: InspectReport, plot: str | None = None) -> None:
    info, path = report.model, report.path
    print(
        f"{path}: {info.size} bytes, {info.params} parameters, "
        f"{info.macs} MACs, arena {report.arena_bytes} bytes (tflite-micro runtime)"
    )
    print("operators:")
    for (name, version), count in sorted(info.op_counts.items()):
        print(f"  {name:<24} v{version:<3} x{count}")
    print("tensors:")
    for t in info.tensors:
        quant = f" scale={t.scale[0]:.6g} zero_point={t.zero_point[0]}" if t.scale else ""
        kind = "const" if t.constant else "     "
        print(
            f"  {t.index:>3} {kind} {t.dtype:<8} {str(t.shape):<16} "
            f"{t.nbytes:>7} B{quant}  {t.name[:60]}"
        )
    print(
        "memory in use after each operator: "
        + ", ".join(str(b) for b in info.memory_after_each_op())
    )
    board = report.board
    if board:
        verdict = "fits" if board.fits else "does NOT fit"
        rom = (
            f"of {board.romfs_bytes} ROMFS bytes"
            if board.romfs_bytes
            else "bytes, read from a file"
        )
        print(
            f"board {board.id}: {verdict} (model {board.model_bytes} {rom}, "
            f"arena {board.arena_bytes} of {board.heap_bytes} heap bytes)"
        )
        if board.lacking_ops is None:
            print(f"  operators: {board.ops_source}")
        elif board.lacking_ops:
            print(
                f"  the firmware lacks: {', '.join(board.lacking_ops)} "
                f"(add them with host build --ops-from {path})"
            )
        else:
            print(f"  every operator is in the firmware ({board.ops_source})")
    if plot:
        print(f"plot written to {plot}")
