"""What the board's features and Window.push cost, in C and in Python, and the heap they take.

    .venv/bin/python benchmarks/features.py --board qemu_m4

Runs benchmarks/features_board.py on the board (building its firmware first if needed) and
prints, per call: instructions on a QEMU board (-icount shift=0: repeatable run to run),
emulated cycles on the emulated Pico, microseconds elsewhere; the cost of the benchmark's own
loop iteration is taken off. "C" is the firmware's `_features` module (what `tinyml.features`
and `tinyml.Window` use), "Python" the definitions in device/tinyml (`py_log_spectrogram`, ...,
`PyWindow`), measured in the same run. The heap column is bytes allocated per call once warm.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from host import build  # noqa: E402 (after the sys.path entry above)
from host.bench import _unit  # noqa: E402
from host.boards import load_board  # noqa: E402
from host.run import run_script  # noqa: E402

SCRIPT = Path(__file__).resolve().parent / "features_board.py"
# What each measurement is, and the target for the C version (instructions).
ROWS = {
    "log_spectrogram": ("log_spectrogram, 1 s of 16 kHz audio (49 frames)", 12_000_000),
    "hop": ("Spectrogram.extend, one 320-sample hop (one frame)", 250_000),
    "frame_bands": ("frame_bands, one 512-sample frame", None),
    "vibration_features": ("vibration_features, 1024 samples (4 frames)", 1_000_000),
    "motion_features": ("motion_features, 128 x/y/z samples", None),
    "Window.push": ("Window.push, one 3-channel int16 sample", 1_000),
}


def measure(board_id: str, port: str | None = None) -> tuple[str, dict]:
    """{(name, impl): (cost per call, heap bytes per call)} in the board's unit."""
    unit, scale = _unit(load_board(board_id), port)
    firmware = None if port else build.firmware(board_id)
    result = run_script(
        board_id, SCRIPT, icount=unit == "instructions", firmware=firmware, port=port, timeout=1800
    )
    if result.returncode != 0:
        raise SystemExit(f"the benchmark failed on the board:\n{result.output}")
    loop = None
    figures = {}
    for line in result.output.splitlines():
        fields = line.split()
        if fields[:1] == ["EMPTY_LOOP"]:
            loop = int(fields[2]) * scale / int(fields[1])
        elif len(fields) == 5 and fields[0] in ROWS:
            name, impl, calls, ticks, heap = fields[0], fields[1], *map(int, fields[2:])
            figures[name, impl] = (ticks * scale / calls - loop, heap / calls)
    return unit, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="qemu_m4", help="board id (default: qemu_m4)")
    parser.add_argument("--port", metavar="P", help="a real board's serial port")
    args = parser.parse_args(argv)
    unit, figures = measure(args.board, args.port)
    print(f"board {args.board}, {unit} per call (C: _features; Python: the definitions)")
    print(f"  {'':52} {'C':>12} {'Python':>13} {'ratio':>7} {'target':>11}  heap C/Py")
    for name, (label, target) in ROWS.items():
        c, c_heap = figures[name, "C"]
        python, py_heap = figures.get((name, "Python"), (None, None))
        target_text = f"<= {target:,}" if target and unit == "instructions" else ""
        py_text = f"{python:13,.0f}" if python is not None else f"{'':13}"
        ratio = f"{python / c:7.0f}" if python is not None else f"{'':7}"
        heap = f"{c_heap:.0f}" + (f"/{py_heap:.0f}" if py_heap is not None else "")
        print(f"  {label:52} {c:12,.0f} {py_text} {ratio} {target_text:>11}  {heap} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
