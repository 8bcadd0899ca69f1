"""The _tflm module on the boards: parity with the tflite-micro runtime, bad input, heap use.

Each test packs a folder of models and inputs into a ROMFS image, runs one of the scripts in
tests/device/ on the board with `host run`'s machinery, and checks what the script printed.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import device_rom
from host.run import run_script

DEVICE = Path(__file__).resolve().parent / "device"
TIMEOUT = 900


def run_on_board(firmware, script: str, rom: Path) -> str:
    result = run_script(firmware.board.id, DEVICE / script, rom_dir=rom, timeout=TIMEOUT, firmware=firmware)
    return result.output


def test_parity(board_firmware, zoo, tmp_path):
    device_rom.write_parity_rom(tmp_path, zoo)
    device_rom.check_parity(run_on_board(board_firmware, "parity.py", tmp_path), zoo)


def test_bad_input(board_firmware, zoo, tmp_path):
    names = device_rom.write_badinput_rom(tmp_path, zoo)
    assert len(names) >= 30
    device_rom.check_badinput(run_on_board(board_firmware, "badinput.py", tmp_path), zoo, names)


def test_allocation(board_firmware, zoo, tmp_path):
    device_rom.write_alloc_rom(tmp_path, zoo)
    output = run_on_board(board_firmware, "alloc.py", tmp_path)
    print(output)
    device_rom.check_alloc(output)


def test_zero_copy(board_firmware, zoo, tmp_path):
    device_rom.write_zerocopy_rom(tmp_path, zoo)
    output = run_on_board(board_firmware, "zerocopy.py", tmp_path)
    print(output)
    device_rom.check_zerocopy(output, zoo)


@pytest.mark.slow
def test_bad_input_under_address_sanitizer(zoo, tmp_path):
    """The same malformed models and misuse on a simulator built with AddressSanitizer: any
    out-of-bounds access in TFLM or the bindings aborts the run with a report."""
    from conftest import firmware_for

    firmware = firmware_for("unix", asan=True)
    names = device_rom.write_badinput_rom(tmp_path, zoo)
    output = run_on_board(firmware, "badinput.py", tmp_path)
    assert "AddressSanitizer" not in output, output
    device_rom.check_badinput(output, zoo, names)
