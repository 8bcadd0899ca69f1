"""The _tflm module on the boards: parity with the tflite-micro runtime, bad input, heap use.

Each test packs a folder of models and inputs into a ROMFS image, runs one of the scripts in
tests/device/ on the board with `device_board.check` (`host run`'s machinery; the script must
end without an uncaught exception) and checks the data lines the script printed.
"""

from __future__ import annotations

import os
import signal
import subprocess
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


def test_a_kernel_abort_closes_the_model(device_board, tmp_path):
    device_rom.write_kernel_abort_rom(tmp_path)
    device_rom.check_kernel_abort(run_on_board(device_board, "kernel_abort.py", tmp_path))


# A library whose getenv() calls abort() for one name: an abort outside TFLM, in a shared library,
# that a script can cause (os.getenv).
ABORTING_GETENV = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

char *getenv(const char *name) {
    if (strcmp(name, "TINYML_TEST_ABORT") == 0) {
        abort();
    }
    char *(*next)(const char *) = (char *(*)(const char *))dlsym(RTLD_NEXT, "getenv");
    return next(name);
}
"""


def test_an_abort_outside_tflm_ends_the_simulator(simulator, tmp_path):
    """Only TFLM's abort() raises, inside a TFLM call: a shared library's stays the C library's
    and ends the process with SIGABRT, as the library expects, rather than jumping out of the
    library as a RuntimeError the script could catch."""
    source = tmp_path / "aborting_getenv.c"
    source.write_text(ABORTING_GETENV)
    library = tmp_path / "libaborting_getenv.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", library, source, "-ldl"], check=True)
    script = tmp_path / "abort.py"
    script.write_text(
        "import os\ntry:\n    os.getenv('TINYML_TEST_ABORT')\n"
        "except RuntimeError as e:\n    print('caught:', e)\nprint('went on')\n"
    )
    result = subprocess.run(
        [simulator.path, script],
        env=dict(os.environ, LD_PRELOAD=str(library)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == -signal.SIGABRT, result.stdout + result.stderr
    assert result.stdout == "", result.stdout


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
