"""`host inspect MODEL`: operators, tensors, parameters, MACs, measured arena, board fit."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from host import sources
from host.boards import Board, load_board
from host.errors import CommandError
from host.ops import RESOLVER_HEADER, resolver_name, resolver_ops

if TYPE_CHECKING:
    from host.tflite_model import ModelInfo

# Where TFLM's resolver declares every operator it can register (AddBuiltin(BuiltinOperator_X)).


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a .tflite file")
    parser.add_argument("--plot", metavar="PNG", help="draw the memory in use after each operator")
    parser.add_argument("--board", metavar="B", help="say whether the model fits board B")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    # Not imported at the top, so that `host inspect --help` works without the train extras:
    # the model's schema and the arena measurement come from tflite_micro.
    from host.tflite_model import measure_arena, read_model

    path = Path(args.model)
    info = read_model(path)
    arena = measure_arena(path.read_bytes())
    report = model_report(info, arena)
    if args.board:
        report["board"] = board_report(args.board, info, arena)
    if args.plot:
        plot_memory(info, Path(args.plot))
        report["plot"] = args.plot
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        print_report(path, report)
    return 0


def model_report(info: ModelInfo, arena: int) -> dict:
    """The figures `host inspect` prints, as a JSON-ready dict."""
    return {
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
        "arena_bytes": arena,
        "memory_after_each_op": info.memory_after_each_op(),
    }


def board_report(board_id: str, info: ModelInfo, arena: int) -> dict:
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
    return {
        "id": board_id,
        "romfs_bytes": board.romfs_image_bytes,
        "heap_bytes": board.heap_bytes,
        "model_bytes": info.size,
        "arena_bytes": arena,
        "fits": fits,
        "lacking_ops": lacking,
        "ops_source": source,
    }


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


def print_report(path: Path, report: dict) -> None:
    print(
        f"{path}: {report['size_bytes']} bytes, {report['params']} parameters, "
        f"{report['macs']} MACs, arena {report['arena_bytes']} bytes (tflite-micro runtime)"
    )
    print("operators:")
    for op in report["operators"]:
        print(f"  {op['name']:<24} v{op['version']:<3} x{op['count']}")
    print("tensors:")
    for t in report["tensors"]:
        quant = f" scale={t['scale'][0]:.6g} zero_point={t['zero_point'][0]}" if t["scale"] else ""
        kind = "const" if t["constant"] else "     "
        print(
            f"  {t['index']:>3} {kind} {t['dtype']:<8} {str(t['shape']):<16} "
            f"{t['bytes']:>7} B{quant}  {t['name'][:60]}"
        )
    print(
        "memory in use after each operator: "
        + ", ".join(str(b) for b in report["memory_after_each_op"])
    )
    board = report.get("board")
    if board:
        verdict = "fits" if board["fits"] else "does NOT fit"
        rom = (
            f"of {board['romfs_bytes']} ROMFS bytes"
            if board["romfs_bytes"]
            else "bytes, read from a file"
        )
        print(
            f"board {board['id']}: {verdict} (model {board['model_bytes']} {rom}, "
            f"arena {board['arena_bytes']} of {board['heap_bytes']} heap bytes)"
        )
        if board["lacking_ops"] is None:
            print(f"  operators: {board['ops_source']}")
        elif board["lacking_ops"]:
            print(
                f"  the firmware lacks: {', '.join(board['lacking_ops'])} "
                f"(add them with host build --ops-from {path})"
            )
        else:
            print(f"  every operator is in the firmware ({board['ops_source']})")
    if "plot" in report:
        print(f"plot written to {report['plot']}")
