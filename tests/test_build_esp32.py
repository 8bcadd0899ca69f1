"""The ESP32 family's firmware: MicroPython's esp32 port built with ESP-IDF, _tflm over ESP-NN
and the frozen tinyml package, for the right chip, fitting the flash layout of board.toml.

Skipped, naming `host setup --esp32`, where no ESP-IDF is prepared. Nothing runs the images
here (no ESP32 emulator can be had): esptool reads them (tests/host/test_flash_esp32.py).
"""

from __future__ import annotations

import pytest
from conftest import firmware_for

from host import build, sizes

ESP32_BOARDS = ["esp32", "esp32_s3", "esp32_c3"]


@pytest.mark.parametrize("board_id", ESP32_BOARDS)
def test_esp32_firmware_fits_its_board(board_id: str) -> None:
    fw = firmware_for(board_id)
    assert fw.path.name == "firmware.bin"
    result = build.build(board_id)  # the library call under `host build`: reuses `fw`
    assert result.firmware == fw
    measured = result.sizes
    table = sizes.size_table(measured)
    print(table)
    # every part is there: TFLM and the frozen package were linked in, not left out
    assert measured.flash["_tflm"] > 100_000 and measured.flash["frozen tinyml"] > 10_000, table
    app = next(p for p in build.esp32_partitions(fw.board) if p[0] == "factory")
    assert measured.firmware <= app[4], table
