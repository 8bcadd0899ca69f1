"""`host bench MODEL --board B`: what one invoke costs on the board.

Runs the model N times from a C loop (`model.benchmark`, TFLM alone) and from a Python loop
(`model.invoke`), in one run, and prints both with their difference and ratio: the cost of
the binding. On QEMU boards the clock counts instructions (-icount shift=0), so the figures
are instructions, repeatable from run to run; the emulated Pico's clock counts its emulated
cycles (reported as cycles at the board's clock); on the simulator and real boards they are
microseconds.

With `--profile`, a second model made with `profile=True` runs N invokes from a C loop and
reports each operator's ticks (`model.profile()`), printed as a table sorted by cost with each
operator's share of one invoke from Python, and the shares of the model and the binding.
MACs (from the flatbuffer, `host.tflite_model`) per unit of cost are printed when the model has
any.

With `--energy`, the cost of an invoke becomes seconds at the board's clock, and
`host.energy` estimates the energy per inference and a battery's life for a duty cycle.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from host import build, energy, transport
from host.boards import Board, load_board
from host.errors import CommandError
from host.run import run_script

SCRIPT = Path(__file__).resolve().parent / "device_scripts" / "bench.py"


@dataclass(frozen=True)
class OpCost:
    """One operator of the model's main subgraph, from `model.profile()`."""

    index: int
    name: str
    cost: float  # per invoke, in the bench's unit


@dataclass(frozen=True)
class Bench:
    unit: str
    arena_size: int
    arena_used: int
    c_loop: float  # per invoke
    python_loop: float  # per invoke, the loop's own cost included
    empty_loop: float  # per iteration of an empty Python loop
    heap_delta: int
    # With profile=True: each operator, and the C loop of the profiled model (per invoke).
    ops: tuple[OpCost, ...] = ()
    profiled_c_loop: float = 0.0

    @property
    def overhead(self) -> float:
        return self.python_loop - self.c_loop

    @property
    def ratio(self) -> float:
        return self.python_loop / self.c_loop


def _unit(board: Board, port: str | None) -> tuple[str, float]:
    """What one tick of the board's ticks_us() is worth, and in which unit."""
    if port is None and board.port == "qemu":
        return "instructions", 1000  # -icount shift=0: one instruction per virtual ns
    if port is None and board.port == "rp2":
        return "cycles", board.clock_hz / 1e6  # rp2040js times the core by its cycle counts
    return "us", 1


def bench(
    model: Path,
    board_id: str,
    port: str | None = None,
    *,
    reference_kernels: bool = False,
    profile: bool = False,
) -> Bench:
    if not model.is_file():
        raise CommandError(f"no such model: {model}")
    firmware = None if port else build.firmware(board_id, reference_kernels=reference_kernels)
    unit, scale = _unit(load_board(board_id), port)
    with tempfile.TemporaryDirectory(prefix="tinyml-bench-") as tmp:
        shutil.copy(model, Path(tmp) / "model.tflite")
        if profile:
            (Path(tmp) / "profile").write_bytes(b"")  # tells the script to profile too
        result = run_script(
            board_id,
            SCRIPT,
            rom_dir=Path(tmp),
            icount=unit == "instructions",
            firmware=firmware,
            port=port,
        )
    if result.returncode != 0:
        raise CommandError(f"the benchmark failed on the board:\n{result.output}")
    values = {}
    op_ticks = []
    for line in result.output.splitlines():
        key, *fields = line.split() or [""]
        if key == "OP" and len(fields) == 3:
            op_ticks.append((int(fields[0]), fields[2], int(fields[1])))
        elif fields and all(f.lstrip("-").isdigit() for f in fields):
            values[key] = [int(f) for f in fields]
    missing = {
        "N",
        "ARENA",
        "C_LOOP_TICKS",
        "PY_LOOP_TICKS",
        "EMPTY_LOOP_TICKS",
        "HEAP_DELTA",
    } - values.keys()
    if profile:
        missing |= {"PROFILED_C_LOOP_TICKS"} - values.keys()
    if missing:
        raise CommandError(
            f"the benchmark printed no {', '.join(sorted(missing))}:\n{result.output}"
        )
    n = values["N"][0]
    return Bench(
        unit=unit,
        arena_size=values["ARENA"][0],
        arena_used=values["ARENA"][1],
        c_loop=values["C_LOOP_TICKS"][0] * scale / n,
        python_loop=values["PY_LOOP_TICKS"][0] * scale / n,
        empty_loop=values["EMPTY_LOOP_TICKS"][0] * scale / n,
        heap_delta=values["HEAP_DELTA"][0],
        ops=tuple(OpCost(index, name, ticks * scale / n) for index, name, ticks in op_ticks),
        profiled_c_loop=values.get("PROFILED_C_LOOP_TICKS", [0])[0] * scale / n,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help=".tflite model")
    transport.add_arguments(parser)
    parser.add_argument(
        "--compare-kernels",
        action="store_true",
        help="also run a firmware with TFLM's reference kernels and print the ratio "
        "(builds a second TFLM library once: minutes)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also each operator's cost, sorted, with the shares of the model and the binding",
    )
    parser.add_argument(
        "--energy",
        action="store_true",
        help="estimate the energy per inference and the battery life (board.toml [power])",
    )
    parser.add_argument(
        "--duty",
        default="1/s",
        metavar="RATE",
        help="with --energy: inferences per time, deep sleep between (default: 1/s)",
    )
    parser.add_argument(
        "--battery-mah",
        type=float,
        default=1000,
        metavar="MAH",
        help="with --energy: the battery's capacity (default: 1000 mAh)",
    )


def _seconds(b: Bench, board: Board) -> float:
    """One invoke from Python, in seconds on the board."""
    if b.unit == "us":
        return b.python_loop / 1e6
    if not board.clock_hz:
        raise CommandError(
            f"boards/{board.id}/board.toml has no clock_hz to turn {b.unit} into time"
        )
    # On QEMU an instruction stands for a cycle: an estimate of a core that retires one
    # instruction per cycle.
    return b.python_loop / board.clock_hz


def _per_unit(unit: str) -> str:
    return {"instructions": "instruction", "cycles": "cycle"}.get(unit, unit)


def print_profile(b: Bench, macs: list[int]) -> None:
    """Each operator's cost per invoke, most costly first, as a share of one invoke from
    Python; then the model (all operators), TFLM between operators, and the binding."""
    digits = 3 if b.unit == "us" else 0
    total = b.python_loop
    per = _per_unit(b.unit)
    print(
        f"per operator ({b.unit} per invoke, from a C loop of a profiled model; "
        f"share of one invoke from Python):"
    )
    print(f"  {'op':>3}  {'operator':<28} {b.unit:>14}   share  MACs/{per}")
    for op in sorted(b.ops, key=lambda op: -op.cost):
        op_macs = macs[op.index] if op.index < len(macs) else 0
        ratio = f"  {op_macs / op.cost:9.3f}" if op_macs and op.cost > 0 else ""
        print(
            f"  {op.index:>3}  {op.name:<28} {op.cost:14,.{digits}f}  {op.cost / total:6.1%}"
            f"{ratio}"
        )
    model = sum(op.cost for op in b.ops)
    rest = b.c_loop - model
    print(f"       {'the model (all operators)':<28} {model:14,.{digits}f}  {model / total:6.1%}")
    print(
        f"       {'TFLM between operators':<28} {rest:14,.{digits}f}  {rest / total:6.1%}"
        f"  (C invoke minus the operators)"
    )
    print(
        f"       {'the binding':<28} {b.overhead:14,.{digits}f}  {b.overhead / total:6.1%}"
        f"  (Python invoke minus C invoke)"
    )
    print(
        f"  profiled C invoke {b.profiled_c_loop:,.{digits}f} {b.unit} "
        f"(the profiler's own cost: {b.profiled_c_loop - b.c_loop:,.{digits}f})"
    )


def run(args: argparse.Namespace) -> int:
    # Not imported at the top, so that `host bench --help` works without the train extras
    # (the model's schema comes from tflite_micro); imported first, so that a missing one is
    # reported before anything is built or run.
    from host.tflite_model import read_model

    board = load_board(args.board)
    if args.energy:
        if board.power is None:
            raise CommandError(
                f"boards/{board.id}/board.toml has no [power] currents for --energy"
            )
        period = energy.period_seconds(args.duty)
    b = bench(args.model, args.board, args.port, profile=args.profile)
    digits = 3 if b.unit == "us" else 0
    macs = [op.macs for op in read_model(args.model).operators]
    print(
        f"board {args.board}: {args.model.name}, arena {b.arena_used} used of {b.arena_size} bytes"
    )
    print(f"  invoke from a C loop       {b.c_loop:12.{digits}f} {b.unit}")
    print(f"  invoke from Python         {b.python_loop:12.{digits}f} {b.unit}")
    print(
        f"  difference (the binding)   {b.overhead:12.{digits}f} {b.unit}"
        f"  (an empty Python loop iteration: {b.empty_loop:.{digits}f})"
    )
    print(f"  ratio Python / C           {b.ratio:12.3f}")
    print(f"  heap allocated by the Python loop of invokes: {b.heap_delta} bytes")
    if sum(macs):
        print(
            f"  MACs per {_per_unit(b.unit):<16} {sum(macs) / b.c_loop:12.3f}"
            f"  ({sum(macs):,} MACs, invoke from a C loop)"
        )
    if args.profile:
        print_profile(b, macs)
    if args.compare_kernels:
        if args.port:
            raise CommandError(
                "--compare-kernels builds and emulates two firmwares: leave out --port"
            )
        board_kernels = board.tflm.kernels or "reference"
        ref = bench(args.model, args.board, reference_kernels=True)
        print(f"kernels compared (invoke from a C loop, {b.unit}):")
        print(f"  {board_kernels:<24} {b.c_loop:12.{digits}f}")
        print(f"  {'reference':<24} {ref.c_loop:12.{digits}f}")
        print(f"  ratio reference / {board_kernels:<8} {ref.c_loop / b.c_loop:9.2f}")
    if args.energy:
        e = energy.estimate(board.power, _seconds(b, board), period, args.battery_mah)
        p = board.power
        print(f"energy estimate (board.toml [power]: {p.source})")
        print(
            f"  currents at {p.volts} V: active {p.active_ma} mA, deep sleep {p.deep_sleep_ma} mA"
        )
        print(
            f"  one inference              {e.active_s * 1e3:12.3f} ms"
            f" at {board.clock_hz / 1e6:g} MHz,"
            f" {e.millijoules:.4f} mJ"
        )
        print(f"  one inference per {period:g} s  {e.average_ma:12.4f} mA on average")
        print(
            f"  a {args.battery_mah:g} mAh battery lasts {e.battery_hours:,.0f} h"
            f" ({e.battery_days:,.1f} days)"
        )
    return 0
