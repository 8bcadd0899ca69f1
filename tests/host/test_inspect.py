"""`host inspect` and `inspect`, the library call under it, on a known model: TFLM's own
float hello-world model shipped in the `tflite-micro` package (three dense layers: 1 -> 16 ->
16 -> 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tflite_micro

from host import cli, paths
from host.errors import CommandError
from host.inspect import inspect
from host.tflite_model import model_ops

KNOWN = Path(tflite_micro.__file__).parent / "python" / "tflite_micro" / "sine_float.tflite"
# 16 + 16*16 + 16 weights plus 16 + 16 + 1 biases; the weights are the MACs
PARAMS, MACS = 321, 288


def test_known_model_figures(capsys):
    assert cli.main(["inspect", str(KNOWN)]) == 0
    out = capsys.readouterr().out
    assert f"{PARAMS} parameters, {MACS} MACs" in out
    assert "FULLY_CONNECTED          v1   x3" in out
    assert model_ops(KNOWN) == [("FULLY_CONNECTED", 1)]


def test_library_call_reports_the_model():
    report = inspect(KNOWN)
    assert report.path == KNOWN and report.board is None
    assert (report.model.params, report.model.macs, report.model.size) == (PARAMS, MACS, 3164)
    assert report.model.op_counts == {("FULLY_CONNECTED", 1): 3}
    assert len(report.model.tensors) == 10
    # 1x16 float activations: input+first hidden, two hidden, last hidden+output
    assert report.model.memory_after_each_op() == [68, 128, 68]
    from tflite_micro.python.tflite_micro import runtime

    runtime.Interpreter.from_bytes(KNOWN.read_bytes(), arena_size=report.arena_bytes).invoke()


def test_json_and_plot(tmp_path, capsys):
    """`--json` prints the library's report as a dict, with the plot's file."""
    plot = tmp_path / "memory.png"
    assert cli.main(["inspect", str(KNOWN), "--json", "--plot", str(plot)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == {**inspect(KNOWN).as_dict(), "plot": str(plot)}
    assert document["operators"] == [{"name": "FULLY_CONNECTED", "version": 1, "count": 3}]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _board(root: Path, name: str, text: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "board.toml").write_text(
        f'name = "{name}"\nport = "qemu"\nmcu = "cortex-m4"\n{text}'
        '[tflm]\ntarget = "cortex_m_generic"\narch = "cortex-m4"\n'
    )


def test_board_fit_and_lacking_ops(tmp_path, monkeypatch, capsys):
    _board(
        tmp_path, "big", 'romfs_bytes = 2097152\nheap_bytes = 264000\nops = ["FULLY_CONNECTED"]\n'
    )
    _board(tmp_path, "tiny", 'romfs_bytes = 1000\nheap_bytes = 1000\nops = ["CONV_2D"]\n')
    monkeypatch.setattr(paths, "BOARDS_DIR", tmp_path)
    board = inspect(KNOWN, board="big").board
    assert board.fits and board.lacking_ops == [] and board.model_bytes == 3164
    assert cli.main(["inspect", str(KNOWN), "--board", "tiny"]) == 0
    out = capsys.readouterr().out
    assert "does NOT fit" in out and "lacks: FULLY_CONNECTED" in out


def test_board_without_ops_uses_tflm_resolver(tmp_path, monkeypatch):
    """No `ops` key: the firmware has what TFLM's MicroMutableOpResolver can register."""
    _board(tmp_path / "boards", "sim", "romfs_bytes = 0\nheap_bytes = 100000\n")
    header = tmp_path / "src" / "tflite-micro/tensorflow/lite/micro/micro_mutable_op_resolver.h"
    header.parent.mkdir(parents=True)
    header.write_text(
        "  TfLiteStatus AddConv2D() {\n"
        "    return AddBuiltin(BuiltinOperator_CONV_2D, Register_CONV_2D(), P);\n  }\n"
    )
    monkeypatch.setattr(paths, "BOARDS_DIR", tmp_path / "boards")
    monkeypatch.setattr(paths, "src_dir", lambda: tmp_path / "src")
    board = inspect(KNOWN, board="sim").board
    assert board.lacking_ops == ["FULLY_CONNECTED"] and not board.fits
    header.unlink()
    board = inspect(KNOWN, board="sim").board
    # romfs_bytes = 0 (models are files) and no resolver to check against: it fits
    assert board.lacking_ops is None and board.fits
    assert "host setup" in board.ops_source


def test_unknown_board_and_bad_model(tmp_path, monkeypatch, capsys):
    _board(tmp_path, "big", "romfs_bytes = 1\nheap_bytes = 1\n")
    monkeypatch.setattr(paths, "BOARDS_DIR", tmp_path)
    assert cli.main(["inspect", str(KNOWN), "--board", "nope"]) == 1
    assert capsys.readouterr().err == "host: unknown board nope (known: big)\n"
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"not a model at all")
    assert cli.main(["inspect", str(junk)]) == 1
    assert "not a TFLite model" in capsys.readouterr().err
    assert cli.main(["inspect", str(tmp_path / "missing.tflite")]) == 1
    assert "no such model file" in capsys.readouterr().err
    with pytest.raises(CommandError, match="unknown board nope"):
        inspect(KNOWN, board="nope")


def test_arena_is_the_smallest_that_works():
    """Minimal: the measured size runs; the runtime refuses 16 bytes less (probed in a child,
    since the runtime may crash on a too-small arena)."""
    import subprocess
    import sys

    from host.tflite_model import measure_arena

    arena = measure_arena(KNOWN.read_bytes())
    probe = (
        "import sys; from tflite_micro.python.tflite_micro import runtime\n"
        "runtime.Interpreter.from_bytes(open(sys.argv[1], 'rb').read(), "
        "arena_size=int(sys.argv[2])).invoke()"
    )
    smaller = subprocess.run(
        [sys.executable, "-c", probe, str(KNOWN), str(arena - 16)],
        capture_output=True,
        check=False,
    )
    assert smaller.returncode != 0
