"""`host setup --esp32`: the ESP32 family's compilers and ESP-IDF it prepares in the cache.

The checks of the prepared toolchains skip, naming the command, where it has not been run
(it builds three compilers from source, an hour or more on 2 cores); those of the setup's
choices run everywhere.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from host import esp32_toolchain, sources
from host.errors import CommandError

# Uses the C library, libm and libgcc (the float division), with IDF's newlib POSIX headers
# (<dirent.h>) and PATH_MAX (newlib's, through GCC's limits.h); the per-task reentrancy
# structure that ESP-IDF supplies (libm's errno) stands in for it.
PROGRAM = """\
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <reent.h>
#include <string.h>

static struct _reent reent;
volatile float result;
char buffer[PATH_MAX];

struct _reent *__getreent(void) {
    return &reent;
}

void _start(void) {
    strcpy(buffer, "tinyml");
    result = sqrtf((float)strlen(buffer)) / 3.0f;
    for (;;) {
    }
}
"""
CXX_PROGRAM = """\
#include <algorithm>
#include <array>
#include <cstdint>

int32_t largest(const std::array<int32_t, 4>& values) {
    return *std::max_element(values.begin(), values.end());
}
"""
# The ELF machine readelf names for each toolchain.
MACHINES = {
    esp32_toolchain.XTENSA_ESP32: "Tensilica Xtensa Processor",
    esp32_toolchain.XTENSA_ESP32S3: "Tensilica Xtensa Processor",
    esp32_toolchain.RISCV: "RISC-V",
}
# Flags ESP-IDF compiles every file with (tools/cmake/toolchain-*.cmake).
TARGET_FLAGS = {
    esp32_toolchain.XTENSA_ESP32: ["-mlongcalls"],
    esp32_toolchain.XTENSA_ESP32S3: ["-mlongcalls"],
    esp32_toolchain.RISCV: ["-march=rv32imc_zicsr_zifencei"],
}


@pytest.fixture(scope="module")
def idf_env() -> dict[str, str]:
    if not esp32_toolchain.is_prepared():
        pytest.skip("ESP32 toolchains and ESP-IDF not prepared; run: host setup --esp32")
    return esp32_toolchain.idf_environment()


def _run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.mark.parametrize("target", list(esp32_toolchain.TOOLCHAINS))
def test_compiles_and_links(target, idf_env, tmp_path):
    """C with newlib (full and nano) and libm, and C++ with libstdc++'s headers."""
    (tmp_path / "program.c").write_text(PROGRAM)
    (tmp_path / "largest.cc").write_text(CXX_PROGRAM)
    flags = ["-Os", "-nostartfiles", *TARGET_FLAGS[target]]
    for name, specs in (("full.elf", []), ("nano.elf", ["--specs=nano.specs"])):
        _run([f"{target}-gcc", *flags, *specs, "program.c", "-o", name, "-lm"], idf_env, tmp_path)
        header = _run([f"{target}-readelf", "-h", name], idf_env, tmp_path)
        assert MACHINES[target] in header
        symbols = _run([f"{target}-nm", name], idf_env, tmp_path)
        assert " sqrtf" in symbols and " strcpy" in symbols
    _run([f"{target}-g++", *flags, "-c", "largest.cc"], idf_env, tmp_path)


def test_plain_setup_leaves_the_esp32_sources_alone():
    """`host setup` without --esp32 fetches none of the ESP32 family's sources."""
    plain = {entry.name for entry in sources.load_lock()}
    esp32 = {entry.name for entry in sources.load_lock(group=esp32_toolchain.GROUP)}
    assert {"esp-idf", "binutils-esp32", "newlib-esp32", "xtensa-overlays"} <= esp32
    assert not plain & esp32


def _fake_idf(folder: Path, major: int, minor: int, patch: int) -> Path:
    version_file = folder / "tools" / "cmake" / "version.cmake"
    version_file.parent.mkdir(parents=True)
    version_file.write_text(
        f"set(IDF_VERSION_MAJOR {major})\nset(IDF_VERSION_MINOR {minor})\n"
        f"set(IDF_VERSION_PATCH {patch})\n"
    )
    return folder


@pytest.mark.parametrize("version", [(5, 3, 0), (5, 4, 2), (5, 5, 1)])
def test_users_idf_of_a_supported_version_is_used(version, tmp_path, monkeypatch):
    idf = _fake_idf(tmp_path / "esp-idf", *version)
    monkeypatch.setenv("IDF_PATH", str(idf))
    assert esp32_toolchain.idf_environment()["IDF_PATH"] == str(idf)


@pytest.mark.parametrize("version", [(5, 2, 3), (5, 5, 2), (6, 0, 0)])
def test_users_idf_of_another_version_is_refused(version, tmp_path, monkeypatch):
    monkeypatch.setenv("IDF_PATH", str(_fake_idf(tmp_path / "esp-idf", *version)))
    with pytest.raises(CommandError, match=r"v5\.3 to v5\.5\.1"):
        esp32_toolchain.idf_environment()


def test_no_idf_names_the_setup_command(tmp_path, monkeypatch):
    monkeypatch.delenv("IDF_PATH", raising=False)
    monkeypatch.setenv("TINYML_MPY_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(CommandError, match="host setup --esp32"):
        esp32_toolchain.idf_environment()
