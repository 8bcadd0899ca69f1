"""`model.profile()` and `host bench --profile` on the simulator and qemu_m4: one row per
operator of the model, in the model's order, each with a positive cost, summing to no more
than the profiled C loop's invoke; profiled invokes allocate nothing; misuse raises."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from host.bench import bench
from host.tflite_model import read_model

DEVICE = Path(__file__).resolve().parent / "device"
BOARDS = ["unix", "qemu_m4"]
# Several operators of several kinds: CONV_2D, DEPTHWISE_CONV_2D, pools, FULLY_CONNECTED, ...
MODEL = "cnn_int8"


def zoo_model(zoo, name: str):
    return next(m for m in zoo if m.name == name)


@pytest.mark.parametrize("board_id", BOARDS)
def test_bench_profile(board_id, zoo):
    from conftest import firmware_for

    firmware_for(board_id)  # skips, naming what is missing, where the board cannot be built
    path = zoo_model(zoo, MODEL).path
    b = bench(path, board_id, profile=True)
    expected = [op.name for op in read_model(path).operators]
    assert len(expected) > 5
    assert [op.index for op in b.ops] == list(range(len(expected)))
    assert [op.name for op in b.ops] == expected
    assert all(op.cost > 0 for op in b.ops), b.ops
    assert sum(op.cost for op in b.ops) <= b.profiled_c_loop
    assert b.heap_delta == 0


@pytest.mark.parametrize("board_id", BOARDS)
def test_profile_api(board_id, zoo, tmp_path):
    from conftest import emulated

    board = emulated(board_id)
    shutil.copy(zoo_model(zoo, MODEL).path, tmp_path / "model.tflite")
    output = board.check(DEVICE / "profile.py", tmp_path, timeout=900)
    lines = dict(line.split(" ", 1) for line in output.splitlines() if " " in line)
    assert int(lines["ROWS"]) == len(read_model(zoo_model(zoo, MODEL).path).operators)
    assert lines["INVOKE_DELTA"] == "0", output
    assert lines["CLOSED"] == "ValueError: model is closed", output
    assert lines["UNPROFILED"].startswith("ValueError: the model is not profiled"), output
