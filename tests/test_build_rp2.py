"""The Picos' firmware: built through the rp2 port's CMake with _tflm, for the right chip, and
fitting the flash layout of board.toml (the size table `host build` prints)."""

from __future__ import annotations

import pytest
from conftest import firmware_for

from host import build, sizes, uf2


@pytest.mark.parametrize("board_id", ["rpi_pico", "rpi_pico2"])
def test_pico_firmware_fits_its_board(board_id: str) -> None:
    fw = firmware_for(board_id)
    assert fw.path.name == "firmware.uf2"
    uf2.check_family(fw.path, fw.board.mcu, board=fw.board.id)
    result = build.build(board_id)  # the library call under `host build`: reuses `fw`
    assert result.firmware == fw
    measured = result.sizes
    table = sizes.size_table(measured)
    print(table)
    # every part is there: TFLM and the frozen package were linked in, not left out
    assert measured.flash["_tflm"] > 100_000 and measured.flash["frozen tinyml"] > 10_000, table
    board = fw.board
    assert measured.firmware <= board.flash_bytes - board.romfs_bytes - board.filesystem_bytes
    assert measured.heap >= board.heap_bytes, table
