"""The _tflm module on the boards: parity with the tflite-micro runtime, bad input, heap use.

Each test packs a folder of models and inputs into a ROMFS image, runs one of the scripts in
tests/device/ on the board with `device_board.check` (`host run`'s machinery; the script must
end without an uncaught exception) and checks the data lines the script printed.
"""

from __future__ import annotations

from pathlib import Path

import device_rom
import numpy as np
import pytest

DEVICE = Path(__file__).resolve().parent / "device"
TIMEOUT = 900


def run_on_board(board, script: str, rom: Path) -> str:
    return board.check(DEVICE / script, rom, timeout=TIMEOUT)


def test_parity(device_board, zoo, tmp_path):
    device_rom.write_parity_rom(tmp_path, zoo)
    device_rom.check_parity(run_on_board(device_board, "parity.py", tmp_path), zoo)


def test_bad_input(device_board, zoo, tmp_path):
    names = device_rom.write_badinput_rom(tmp_path, zoo)
    assert len(names) >= 30
    device_rom.check_badinput(run_on_board(device_board, "badinput.py", tmp_path), zoo, names)


def test_allocation(device_board, zoo, tmp_path):
    device_rom.write_alloc_rom(tmp_path, zoo)
    output = run_on_board(device_board, "alloc.py", tmp_path)
    print(output)
    device_rom.check_alloc(output)


def test_zero_copy(device_board, zoo, tmp_path):
    device_rom.write_zerocopy_rom(tmp_path, zoo)
    output = run_on_board(device_board, "zerocopy.py", tmp_path)
    print(output)
    device_rom.check_zerocopy(output, zoo)


FUZZ_MODELS = ("fc_int8", "cnn_int8", "lstm_float")


def write_fuzz_rom(folder: Path, zoo, count: int) -> list[str]:
    """Seeded damage: 1 to 8 random bytes of a zoo model set to random values. The first cases
    are the same for any count (the QEMU run's 300 include two that make a TFLM kernel abort)."""
    rng = np.random.default_rng(20261121)
    sources = {m.name: m.path.read_bytes() for m in zoo if m.name in FUZZ_MODELS}
    names = []
    for i in range(count):
        base = FUZZ_MODELS[i % len(FUZZ_MODELS)]
        data = bytearray(sources[base])
        for offset in rng.integers(0, len(data), size=int(rng.integers(1, 9))):
            data[offset] = int(rng.integers(0, 256))
        names.append(f"f{i}_{base}.tflite")
        (folder / names[-1]).write_bytes(bytes(data))
    (folder / "fuzz.txt").write_text("\n".join(names))
    return names


def check_fuzz(output: str, names: list[str]) -> None:
    lines = [line for line in output.splitlines() if line.startswith("CASE ")]
    assert [line.split()[1] for line in lines] == names, output[-3000:]


@pytest.mark.slow
def test_damaged_models_under_address_sanitizer(zoo, tmp_path):
    """1200 randomly damaged models on the AddressSanitizer simulator: each loads and runs or
    raises; none crashes the VM or makes ASan report."""
    from conftest import emulated

    names = write_fuzz_rom(tmp_path, zoo, 1200)
    check_fuzz(run_on_board(emulated("unix", asan=True), "fuzz.py", tmp_path), names)


def test_damaged_models_on_qemu(zoo, tmp_path):
    """The first 300 of them on the emulated Cortex-M4, where a TFLM kernel that gives up must
    raise too rather than halt the board."""
    from conftest import emulated

    names = write_fuzz_rom(tmp_path, zoo, 300)
    check_fuzz(run_on_board(emulated("qemu_m4"), "fuzz.py", tmp_path), names)


@pytest.mark.slow
def test_bad_input_under_address_sanitizer(zoo, tmp_path):
    """The same malformed models and misuse on a simulator built with AddressSanitizer: any
    out-of-bounds access in TFLM or the bindings aborts the run with a report."""
    from conftest import emulated

    names = device_rom.write_badinput_rom(tmp_path, zoo)
    output = run_on_board(emulated("unix", asan=True), "badinput.py", tmp_path)
    device_rom.check_badinput(output, zoo, names)
