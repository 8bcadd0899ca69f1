"""`host build`: MicroPython firmware with the _tflm module and the frozen tinyml package.

TFLM is compiled by its own Makefile once per (pin, target, flags) into the cache; the
firmware is rebuilt by MicroPython's make only when one of its inputs changed.

The CLI parses its arguments and calls `build`, which scripts and tests call directly:

    from host.build import build
    result = build("rpi_pico", ops_from=[Path("models/sine.tflite")])   # -> BuildResult
    print(result.firmware.path, result.sizes.firmware)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from host import __version__, esp32_toolchain, ops, paths, sizes, sources, toolchains
from host.boards import Board, load_board
from host.errors import CommandError
from host.sizes import FirmwareSizes

TFLM_MAKE_DIR = Path("tensorflow/lite/micro/tools/make")
TFLM_MAKEFILE = str(TFLM_MAKE_DIR / "Makefile")
# In a TFLM build folder: the digest of its make variables and compiler, for seeding.
FLAGS_FILE = "flags.key"
JOBS = str(os.cpu_count() or 2)


@dataclass(frozen=True)
class Firmware:
    """A board's built firmware."""

    board: Board
    path: Path  # the unix executable, or the firmware ELF
    build_dir: Path


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _tree_digest(*roots: Path) -> str:
    """A digest of every file under `roots` (names and contents)."""
    h = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.relative_to(paths.REPO_ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _run(cmd: list[str], *, cwd: Path | None = None, log: Path, env: dict | None = None) -> None:
    """Run a build step, its output into `log`; on failure show the log's tail."""
    with open(log, "ab") as out:
        out.write(("$ " + shlex.join(cmd) + "\n").encode())
        out.flush()
        result = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
    if result.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        raise CommandError(
            f"build step failed: {shlex.join(cmd[:3])} ...\n"
            + "\n".join(tail)
            + f"\n(full log: {log})"
        )


def _tool_env(board: Board | None = None) -> dict:
    """TFLM's Makefile runs `python3` scripts that need numpy and Pillow: use this Python's.
    An ESP32 board's build runs in ESP-IDF's environment (its compilers on PATH)."""
    env = esp32_toolchain.idf_environment() if board and board.port == "esp32" else os.environ
    env = dict(env)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


@dataclass(frozen=True)
class TflmLibrary:
    archive: Path
    cxx: list[str]
    cxxflags: list[str]


def tflm_library(board: Board, *, asan: bool = False) -> TflmLibrary:
    """TFLM built by its own Makefile for the board's target, cached by pin and flags."""
    sources.require_sources()
    tflm_dir = sources.source("tflite-micro").path
    make_vars = {
        "TARGET": board.tflm.target,
        "TARGET_ARCH": board.tflm.arch,
        "BUILD_TYPE": "default",
        **board.tflm.make_vars,
    }
    if board.tflm.kernels:
        make_vars["OPTIMIZED_KERNEL_DIR"] = board.tflm.kernels
    env = _tool_env(board)
    if board.is_cross:
        gcc = toolchains.require(board.cross_prefix + "gcc", env)
        make_vars["TARGET_TOOLCHAIN_ROOT"] = str(Path(gcc).parent) + "/"
    if board.tflm.target == ESP_TARGET:
        make_vars["TARGET_TOOLCHAIN_PREFIX"] = board.cross_prefix
        make_vars["ESP_CPU_FLAGS"] = " ".join(board.cflags)
    else:
        toolchains.require("g++")
    if asan:
        make_vars["CC_TOOL"] = "gcc -fsanitize=address -fno-omit-frame-pointer"
        make_vars["CXX_TOOL"] = "g++ -fsanitize=address -fno-omit-frame-pointer"
    if board.tflm.cxx_headers:
        make_vars["CXX_TOOL"] = shlex.join(
            [
                *shlex.split(make_vars.get("CXX_TOOL", "g++")),
                *_cxx_header_flags(board.tflm.cxx_headers),
            ]
        )
    lock = sources.load_lock()
    pins = [(s.name, s.wanted_stamp()) for s in lock if s.dest.startswith("tflite-micro")]
    make_options: list[str] = []
    if board.tflm.kernels == "esp_nn" or board.tflm.target == ESP_TARGET:
        make_options += _esp_nn(make_vars)
        pins += [(s.name, s.wanted_stamp()) for s in lock if s.name in ESP_NN_SOURCES]
        pins.append(("esp_nn.inc, esp_timer.h", _tree_digest(ESP_NN_DIR)))
    if _prints_with_eyalroz_printf(tflm_dir, board.tflm.target):
        make_vars["PRINTF_PATH"] = str(_printf_stand_in())
    compiler = subprocess.run(
        [toolchains.require(board.cross_prefix + "g++", env), "--version"],
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    # make's options join the digest only when there are any, so that the libraries of the
    # boards without them keep their keys.
    flags = _digest(
        sorted(make_vars.items()),
        *([make_options] if make_options else []),
        compiler.splitlines()[:1],
    )
    key = _digest(pins, flags)
    out = paths.build_dir() / f"tflm-{board.tflm.target}-{board.tflm.arch}-{key}"
    info_file = out / "library.json"
    if info_file.is_file():
        info = json.loads(info_file.read_text())
        return TflmLibrary(Path(info["archive"]), info["cxx"], info["cxxflags"])

    if not out.is_dir():
        _seed_tflm_build(out, flags)
    out.mkdir(parents=True, exist_ok=True)
    (out / FLAGS_FILE).write_text(flags)
    log = out / "build.log"
    assignments = [f"{k}={v}" for k, v in make_vars.items()] + [f"BASE_GENDIR={out / 'gen'}"]
    print(
        f"building TFLM for {board.tflm.target}/{board.tflm.arch} (once per pin and flags; "
        f"several minutes; log: {log})",
        file=sys.stderr,
        flush=True,
    )
    # Every C++ source includes the precompiled headers first. They change no instruction (see
    # _SELECT_BY_LEVEL), so they are no part of the key, and the glue is compiled without.
    header = _precompile_headers(out, make_options, assignments, tflm_dir, log, env)
    cxx_tool = f"CXX_TOOL={make_vars.get('CXX_TOOL', 'g++')} -include {header}"
    _run(
        [
            "make",
            "-f",
            TFLM_MAKEFILE,
            *make_options,
            "-j",
            JOBS,
            *assignments,
            cxx_tool,
            "microlite",
        ],
        cwd=tflm_dir,
        log=log,
        env=env,
    )
    shutil.rmtree(header.parent)
    archives = list((out / "gen").glob("*/lib/libtensorflow-microlite.a"))
    if len(archives) != 1:
        raise CommandError(f"TFLM build made no library (see {log})")
    # The glue must be compiled with exactly the library's flags and include paths: ask
    # TFLM's Makefile for them through a one-rule makefile read after it.
    printer = out / "print-flags.mk"
    printer.write_text("print-flags:\n\t@echo $(CXX)\n\t@echo $(CXXFLAGS) $(INCLUDES)\n")
    printed = subprocess.run(
        [
            "make",
            "-s",
            "-f",
            TFLM_MAKEFILE,
            "-f",
            str(printer),
            *make_options,
            *assignments,
            "print-flags",
        ],
        cwd=tflm_dir,
        capture_output=True,
        text=True,
        env=env,
    )
    lines = [line for line in printed.stdout.splitlines() if line.strip()]
    if printed.returncode != 0 or len(lines) < 2:
        raise CommandError(f"could not read TFLM's compiler flags:\n{printed.stderr}")
    cxx = shlex.split(lines[-2])
    cxxflags = [_absolute_include(flag, tflm_dir) for flag in shlex.split(lines[-1])]
    info = {"archive": str(archives[0]), "cxx": cxx, "cxxflags": cxxflags}
    info_file.write_text(json.dumps(info, indent=1))
    return TflmLibrary(archives[0], cxx, cxxflags)


# The TFLM headers nearly every C++ source of the library includes. Three quarters of a
# kernel's compile time went to parsing them (schema_generated.h above all: 26,000 of the
# 113,000 lines a kernel preprocesses to), so each library build precompiles them once.
PRECOMPILED_HEADERS = (
    "tensorflow/lite/schema/schema_generated.h",
    "tensorflow/lite/c/common.h",
    "tensorflow/lite/kernels/internal/types.h",
    "tensorflow/lite/kernels/internal/quantization_util.h",
    "tensorflow/lite/kernels/kernel_util.h",
    "tensorflow/lite/micro/kernels/kernel_util.h",
    "tensorflow/lite/micro/micro_log.h",
)
# GCC takes the first precompiled form of a header whose macros are as the source has them,
# whatever its -O level. The header tests __OPTIMIZE_SIZE__ (set by -Os, the core's level),
# so that a core source takes the form precompiled at the core's level and a kernel the
# kernels'. The objects are then those a build without them makes, instruction for
# instruction (compared on Cortex-M4: one kernel emits four template functions in another
# order, and the firmware's code is the same size).
_SELECT_BY_LEVEL = "#ifdef __OPTIMIZE_SIZE__\n#endif\n"
# A make rule read after TFLM's Makefile: the header precompiled with its compiler, flags and
# include paths, once at the kernels' optimization level and once at the core's, into the
# folder GCC searches for a header's precompiled forms (HEADER.gch/).
_PRECOMPILE_RULE = """\
PRECOMPILE = $(CXX) $(CXXFLAGS) $(INCLUDES) -x c++-header $(HEADER)
precompile-headers:
\t$(PRECOMPILE) $(KERNEL_OPTIMIZATION_LEVEL) -o $(HEADER).gch/kernel.gch
\t$(PRECOMPILE) $(CORE_OPTIMIZATION_LEVEL) -o $(HEADER).gch/core.gch
"""


def _precompile_headers(
    out: Path,
    make_options: list[str],
    assignments: list[str],
    tflm_dir: Path,
    log: Path,
    env: dict,
) -> Path:
    """PRECOMPILED_HEADERS as one header, precompiled for this library build (in `out`);
    returns the header's path for `-include`."""
    folder = out / "precompiled"
    shutil.rmtree(folder, ignore_errors=True)
    header = folder / "tflm_headers.h"
    forms = folder / (header.name + ".gch")
    forms.mkdir(parents=True)
    includes = "".join(f'#include "{name}"\n' for name in PRECOMPILED_HEADERS)
    header.write_text(includes + _SELECT_BY_LEVEL)
    rule = folder / "precompile.mk"
    rule.write_text(_PRECOMPILE_RULE)
    _run(
        [
            "make",
            "-f",
            TFLM_MAKEFILE,
            "-f",
            str(rule),
            *make_options,
            *assignments,
            f"HEADER={header}",
            "precompile-headers",
        ],
        cwd=tflm_dir,
        log=log,
        env=env,
    )
    # Targets that compile with -MD leave a dependency file beside each; GCC would try it too.
    for dependencies in forms.glob("*.d"):
        dependencies.unlink()
    return header


def _cxx_header_flags(toolchain: str) -> list[str]:
    """Flags that compile C++ against the libstdc++ headers of another toolchain's g++, for a
    compiler that ships none (Debian's riscv64-unknown-elf-gcc). TFLM, built without
    exceptions and RTTI, uses only the headers' templates and inline functions."""
    gxx = toolchains.require(f"{toolchain}-g++")
    probe = subprocess.run(
        [gxx, "-x", "c++", "-E", "-v", "-"], input="", capture_output=True, text=True
    )
    lines = probe.stderr.splitlines()
    try:
        search = lines[
            lines.index("#include <...> search starts here:") + 1 : lines.index(
                "End of search list."
            )
        ]
    except ValueError:
        raise CommandError(f"{gxx} did not list its include folders:\n{probe.stderr}") from None
    folders = [os.path.normpath(line.strip()) for line in search if "/c++/" in line]
    if not folders:
        raise CommandError(
            f"{gxx} has no C++ library headers; install them with: "
            f"apt-get install -y libstdc++-{toolchain}-newlib"
        )
    return ["-nostdinc++", *[flag for folder in folders for flag in ("-isystem", folder)]]


# ESP-NN's kernels (board.toml `kernels = "esp_nn"`): the sources and this project's make
# fragments for them (see esp_nn.inc) and for ESP-IDF's compilers (esp_makefile.inc, TFLM's
# target "esp").
ESP_NN_SOURCES = ("esp-nn", "esp-tflite-micro")
ESP_NN_DIR = paths.NATIVE_MODULES_DIR / "tflm" / "esp_nn"
ESP_TARGET = "esp"


def _esp_nn(make_vars: dict) -> list[str]:
    """Set the make variables for ESP-NN's kernels and return make's options for them.

    With OPTIMIZED_KERNEL_DIR=esp_nn, TFLM's Makefile takes each kernel found in
    OPTIMIZED_KERNEL_DIR_PREFIX/esp_nn (esp-tflite-micro's) instead of its reference kernel,
    defines ESP_NN, and includes ext_libs/esp_nn.inc, which TFLM lacks: make finds ours in a
    folder of the cache laid out as TFLM's tree (make -I), beside targets/esp_makefile.inc and
    the stand-in for ESP-IDF's esp_timer.h (copies of native_modules/tflm/esp_nn/, so the
    library names no checkout)."""
    support = paths.build_dir() / "tflm-esp-nn"
    fragment = support / TFLM_MAKE_DIR / "ext_libs" / "esp_nn.inc"
    target = support / TFLM_MAKE_DIR / "targets" / f"{ESP_TARGET}_makefile.inc"
    header = support / "include" / "esp_timer.h"
    for copy in (fragment, target, header):
        copy.parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(copy, (ESP_NN_DIR / copy.name).read_text())
    make_vars["OPTIMIZED_KERNEL_DIR_PREFIX"] = str(
        sources.source("esp-tflite-micro").path / "tensorflow" / "lite" / "micro" / "kernels"
    )
    make_vars["ESP_NN_PATH"] = str(sources.source("esp-nn").path)
    make_vars["ESP_IDF_STAND_INS"] = str(header.parent)
    return ["-I", str(support)]


def _prints_with_eyalroz_printf(tflm_dir: Path, target: str) -> bool:
    makefile = tflm_dir / TFLM_MAKE_DIR / "targets" / f"{target}_makefile.inc"
    return makefile.is_file() and "eyalroz_printf.inc" in makefile.read_text()


def _printf_stand_in() -> Path:
    """A stand-in for eyalroz/printf, which the debug_log.cc of some TFLM targets
    (riscv32_generic) prints with and TFLM's Makefile would download. The glue defines
    DebugLog and DebugVsnprintf itself, so that debug_log.o never reaches the firmware; it
    only has to compile: vsnprintf_ is the C library's vsnprintf."""
    root = paths.build_dir() / "tflm-printf-stand-in"
    header = root / "src" / "eyalroz_printf" / "src" / "printf" / "printf.h"
    header.parent.mkdir(parents=True, exist_ok=True)
    _write_if_changed(
        header,
        "// host/build.py: the C library's vsnprintf for eyalroz/printf's.\n"
        "#include <stdio.h>\n#define vsnprintf_ vsnprintf\n",
    )
    source = root / "src" / "printf" / "printf.c"
    source.parent.mkdir(parents=True, exist_ok=True)
    _write_if_changed(source, "// host/build.py: nothing to compile (see printf.h).\n")
    return root


def _seed_tflm_build(out: Path, flags: str) -> None:
    """Start a new TFLM build from the newest finished one with the same flags (another pin or
    patch set), so that TFLM's Makefile recompiles only the sources newer than their objects,
    and those that include a changed header (which its Makefile does not track). The archive
    is made anew from the current object list."""
    finished = [
        flags_file.parent
        for flags_file in paths.build_dir().glob(f"tflm-*/{FLAGS_FILE}")
        if flags_file.read_text() == flags and (flags_file.parent / "library.json").is_file()
    ]
    if not finished:
        return
    previous = max(finished, key=lambda folder: (folder / "library.json").stat().st_mtime)
    shutil.copytree(previous / "gen", out / "gen", symlinks=True)
    for archive in (out / "gen").glob("*/lib/libtensorflow-microlite.a"):
        archive.unlink()
    _forget_stale_objects(
        out / "gen",
        sources.source("tflite-micro").path,
        since=(previous / "library.json").stat().st_mtime,
    )


_C_SUFFIXES = {".h", ".hpp", ".inc", ".c", ".cc", ".cpp"}
_INCLUDE = re.compile(rb'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)


def _forget_stale_objects(gen: Path, tflm_dir: Path, since: float) -> None:
    """TFLM's Makefile knows no header dependencies, so it would keep objects compiled before
    a header changed (a new patch, a new pin). Delete every object whose source includes,
    directly or not, a header changed since the seed was built; make then recompiles them."""
    files = [
        path
        for path in tflm_dir.rglob("*")
        if path.suffix in _C_SUFFIXES and ".git" not in path.parts and "pigweed" not in path.parts
    ]
    affected = {
        path
        for path in files
        if path.suffix in {".h", ".hpp", ".inc"} and path.stat().st_mtime > since
    }
    if not affected:
        return
    includes = {
        path: [name.decode() for name in _INCLUDE.findall(path.read_bytes())] for path in files
    }
    while True:
        suffixes = {
            "/" + "/".join(path.parts[-depth:]) for path in affected for depth in range(1, 6)
        }
        grown = {
            path
            for path, names in includes.items()
            if path not in affected and any("/" + name.lstrip("./") in suffixes for name in names)
        }
        if not grown:
            break
        affected |= grown
    # gen/TARGET/obj/CATEGORY/SOURCE_PATH.o, SOURCE_PATH relative to TFLM's root.
    for obj in gen.glob("*/obj/*/**/*.o"):
        stem = tflm_dir.joinpath(*obj.relative_to(gen).parts[3:]).with_suffix("")
        if any(stem.with_suffix(suffix) in affected for suffix in (".c", ".cc", ".cpp")):
            obj.unlink()


def _absolute_include(flag: str, root: Path) -> str:
    if flag.startswith("-I") and not os.path.isabs(flag[2:]):
        return "-I" + str((root / flag[2:]).resolve())
    return flag


def firmware_ops(ops_from: list[Path]) -> list[tuple[str, str]]:
    """The resolver entries for the firmware: every operator, or those the given models use."""
    all_ops = ops.resolver_ops(sources.source("tflite-micro").path)
    if not ops_from:
        return all_ops
    from host.tflite_model import model_ops

    wanted: set[str] = set()
    for model in ops_from:
        if not model.is_file():
            raise CommandError(f"no such model: {model}")
        wanted.update(name for name, _version in model_ops(model))
    return ops.select_ops(all_ops, wanted)


def _write_if_changed(path: Path, text: str) -> None:
    """Keep make's timestamps: rewrite a generated file only when its content changes."""
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def _link_libraries(board: Board, glue: Path, library: TflmLibrary) -> list[str]:
    libs = [str(glue), str(library.archive)]
    if board.port == "unix":
        return libs + ["-lstdc++"]
    if board.port != "qemu":
        return libs  # the port's SDK links its C library
    cpu_flags = list(board.cflags)
    if "--specs=picolibc.specs" in cpu_flags:
        # picolibc's specs, which the port links with, add its C library (with the maths
        # functions) and libgcc after these.
        return libs
    # Bare metal: newlib's libm for the double-precision functions TFLM's quantization code
    # calls, libc for what libm needs (errno), libgcc last, all for the board's CPU.
    gcc = toolchains.require(board.cross_prefix + "gcc")
    found = []
    for name in ("libm.a", "libc.a"):
        path = subprocess.run(
            [gcc, *cpu_flags, f"-print-file-name={name}"], capture_output=True, text=True
        ).stdout.strip()
        if not os.path.isabs(path):
            raise CommandError(
                f"{gcc} has no {name}; install it with: apt-get install -y libnewlib-arm-none-eabi"
            )
        found.append(path)
    libgcc = subprocess.run(
        [gcc, *cpu_flags, "-print-libgcc-file-name"], capture_output=True, text=True
    ).stdout.strip()
    return libs + found + [libgcc]


def _frozen_manifest(board: Board, gen: Path) -> Path:
    """The manifest of what the firmware freezes: the port's boot code where it has some, the
    tinyml package, and the board's facts as tinyml/_board.py."""
    (gen / "tinyml").mkdir(exist_ok=True)
    _write_if_changed(gen / "tinyml" / "_board.py", board.device_module())
    lines = [f'include("{board.port_manifest}")'] if board.port_manifest else []
    lines += [
        f'include("{paths.DEVICE_DIR / "manifest.py"}")',
        f'module("tinyml/_board.py", base_path="{gen}")',
    ]
    manifest = gen / "manifest.py"
    _write_if_changed(manifest, "\n".join(lines) + "\n")
    return manifest


def _binary_name(board: Board) -> str:
    return {"unix": "micropython", "rp2": "firmware.uf2", "esp32": "firmware.bin"}.get(
        board.port, "firmware.elf"
    )


def firmware(
    board_id: str,
    *,
    ops_from: list[Path] | None = None,
    asan: bool = False,
    quiet: bool = False,
    reference_kernels: bool = False,
) -> Firmware:
    """Build (or reuse) the firmware for a board and return where it is. With
    `reference_kernels`, TFLM's reference kernels replace the board's optimized ones (to
    measure what those are worth: `host bench --compare-kernels`)."""
    board = load_board(board_id)
    if asan and board.is_cross:
        raise CommandError("--asan is for the simulator (--board unix) only")
    if reference_kernels:
        board = replace(board, tflm=replace(board.tflm, kernels=None))
    ops_from = [Path(p).resolve() for p in ops_from or []]
    library = tflm_library(board, asan=asan)
    selected = firmware_ops(ops_from)
    variant = _digest(
        board_id,
        asan,
        [name for _, name in selected],
        *(["reference"] if reference_kernels else []),
    )
    out = paths.build_dir() / f"fw-{board_id}-{variant}"
    out.mkdir(parents=True, exist_ok=True)
    micropython = sources.source("micropython")
    archive = library.archive.stat()
    inputs = _digest(
        micropython.rev,
        library.archive,
        archive.st_size,
        archive.st_mtime_ns,
        _tree_digest(*board.folders, paths.NATIVE_MODULES_DIR, paths.DEVICE_DIR),
        board.device_module(),
        __version__,
    )
    stamp = out / "inputs.stamp"
    binary = out / "mp" / _binary_name(board)
    if binary.is_file() and stamp.is_file() and stamp.read_text() == inputs:
        return Firmware(board, binary, out)

    log = out / "build.log"
    log.write_text("")
    if not quiet:
        print(f"building firmware for {board_id} (log: {log})", file=sys.stderr, flush=True)
    gen = out / "gen"
    gen.mkdir(exist_ok=True)
    _write_if_changed(gen / "tflm_ops.h", ops.ops_header(selected))
    glue_src = paths.NATIVE_MODULES_DIR / "tflm" / "tflm_glue.cc"
    glue = gen / "tflm_glue.o"
    # NDEBUG: the flatbuffers accessors' assert() would pull the C library's stdio and exit
    # into bare-metal firmware; the glue runs the flatbuffer verifier instead.
    _run(
        [
            *library.cxx,
            *library.cxxflags,
            "-O2",
            "-DNDEBUG",
            f"-I{gen}",
            f"-I{glue_src.parent}",
            "-c",
            str(glue_src),
            "-o",
            str(glue),
        ],
        log=log,
    )
    libs = _link_libraries(board, glue, library)
    manifest = _frozen_manifest(board, gen)
    # The link inputs are not dependencies MicroPython's build knows: remove the binary to
    # force the link. Frozen modules are compiled against the qstr table, which the build
    # does not regenerate them for when a new qstr appears in the C module: regenerate them.
    binary.unlink(missing_ok=True)
    (out / "mp" / "frozen_content.c").unlink(missing_ok=True)
    _run(["make", "-C", str(micropython.path / "mpy-cross"), "-j", JOBS], log=log)
    settings = {
        "TINYML_VERSION": __version__,
        "TINYML_TFLM_PIN": sources.source("tflite-micro").rev[:12],
        "TINYML_ROMFS_BYTES": str(board.romfs_bytes),
        "TINYML_ROMFS_SEGMENTS": str(board.romfs_segments),
        "TINYML_FILESYSTEM_BYTES": str(board.filesystem_bytes),
    }
    if board.port == "rp2":
        _build_cmake_port(board, micropython.path, out / "mp", manifest, libs, settings, log)
    elif board.port == "esp32":
        _build_idf_port(board, micropython.path, out / "mp", manifest, libs, settings, gen, log)
    else:
        _build_make_port(board, micropython.path, out / "mp", manifest, libs, settings, asan, log)
    if not binary.is_file():
        raise CommandError(f"the build made no {binary.name} (see {log})")
    fw = Firmware(board, binary, out)
    if board.flash_bytes:
        _check_fits(fw)
    stamp.write_text(inputs)
    return fw


def firmware_sizes(fw: Firmware) -> FirmwareSizes:
    """Where the firmware's flash and RAM go (boards with flash: the linker's map)."""
    if fw.board.port == "esp32":
        mp = fw.build_dir / "mp"
        app = (mp / "micropython.bin").stat().st_size
        return sizes.esp32_firmware_sizes(fw.board, mp / "micropython.map", app, ESP32_APP_OFFSET)
    elf = fw.build_dir / "mp" / "firmware.elf"
    nm = subprocess.run(
        [toolchains.require("arm-none-eabi-nm"), str(elf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    symbols = {
        fields[2]: int(fields[0], 16)
        for fields in map(str.split, nm.splitlines())
        if len(fields) == 3
    }
    return sizes.firmware_sizes(fw.board, elf.with_suffix(".elf.map"), symbols)


@dataclass(frozen=True)
class BuildResult:
    """What `build` made: the firmware and, for a board with flash, where its flash and RAM
    go."""

    firmware: Firmware
    sizes: FirmwareSizes | None  # None: a board without flash (the simulator)


def build(board_id: str, *, ops_from: list[Path] | None = None, asan: bool = False) -> BuildResult:
    """Build the MicroPython firmware for `board_id` (a folder of boards/) with the _tflm
    module and the frozen tinyml package, or reuse it when none of its inputs changed.

    `ops_from` (.tflite files) registers only the operators those models use, for a smaller
    firmware; the default is every operator TFLM has. `asan` builds the simulator with
    AddressSanitizer. An unknown board, a firmware that does not fit the board's flash or a
    failed build step raises CommandError."""
    fw = firmware(board_id, ops_from=ops_from, asan=asan)
    return BuildResult(fw, firmware_sizes(fw) if fw.board.flash_bytes else None)


def _check_fits(fw: Firmware) -> None:
    """The firmware must end before the ROMFS partition starts, and the heap hold what
    board.toml promises models (host inspect and deploy check against heap_bytes)."""
    board = fw.board
    measured = firmware_sizes(fw)
    room = board.flash_bytes - measured.system - board.romfs_bytes - board.filesystem_bytes
    if measured.firmware > room:
        raise CommandError(
            f"the firmware is {measured.firmware:,} B, but boards/{board.id}/board.toml leaves it "
            f"{room:,} B before the ROMFS and filesystem partitions: build with --ops-from "
            "MODEL... to keep only the operators your models use, or shrink the partitions"
        )
    if measured.heap < board.heap_bytes:
        raise CommandError(
            f"the firmware leaves a {measured.heap:,} B heap, less than heap_bytes = "
            f"{board.heap_bytes:,} in boards/{board.id}/board.toml: lower heap_bytes"
        )


def _build_make_port(
    board: Board,
    micropython: Path,
    build: Path,
    manifest: Path,
    libs: list[str],
    settings: dict,
    asan: bool,
    log: Path,
) -> None:
    make_vars = {
        "BUILD": str(build),
        "USER_C_MODULES": str(paths.NATIVE_MODULES_DIR),
        "FROZEN_MANIFEST": str(manifest),
        **settings,
    }
    if board.port == "unix":
        make_vars["VARIANT_DIR"] = str(board.dir)
        make_vars["TFLM_LDFLAGS"] = " ".join(libs)
        if asan:
            make_vars["CFLAGS_EXTRA"] = "-fsanitize=address -fno-omit-frame-pointer"
            make_vars["LDFLAGS_EXTRA"] = "-fsanitize=address"
    else:
        make_vars["BOARD"] = board.id
        make_vars["BOARD_DIR"] = str(board.dir)
        # board.toml's facts, which the board's mpconfigboard.mk uses rather than repeats.
        make_vars["QEMU_ARCH"] = board.qemu_arch
        make_vars["QEMU_MACHINE"] = board.qemu_machine
        make_vars["TINYML_CPU_FLAGS"] = " ".join(board.cflags)
        make_vars["LIBS"] = " ".join(libs)
        make_vars["MICROPY_HEAP_SIZE"] = str(board.heap_bytes)
    _run(
        [
            "make",
            "-C",
            str(micropython / "ports" / board.port),
            "-j",
            JOBS,
            *[f"{k}={v}" for k, v in make_vars.items()],
        ],
        log=log,
        env=_tool_env(),
    )


def _cmake_port_vars(board: Board, manifest: Path, libs: list[str]) -> dict[str, str]:
    """What MicroPython's CMake-based ports (rp2, esp32) take from host build: this board
    folder, _tflm as a user C module with its libraries, and the frozen manifest."""
    return {
        "MICROPY_BOARD": board.dir.name,
        "MICROPY_BOARD_DIR": str(board.dir),
        "USER_C_MODULES": str(paths.NATIVE_MODULES_DIR / "micropython.cmake"),
        "MICROPY_FROZEN_MANIFEST": str(manifest),
        "TFLM_LIBS": ";".join(libs),
    }


def _build_cmake_port(
    board: Board,
    micropython: Path,
    build: Path,
    manifest: Path,
    libs: list[str],
    settings: dict,
    log: Path,
) -> None:
    """The rp2 port, configured as its Makefile does, with this board folder and _tflm."""
    toolchains.require("cmake")
    cmake_vars = {
        **_cmake_port_vars(board, manifest, libs),
        "PICO_BUILD_DOCS": "0",
        # The SDK builds picotool (ELF to UF2) from its GitHub repository: once, into the
        # cache, for every rp2 build, as the SDK recommends, not in each build folder.
        "PICOTOOL_FETCH_FROM_GIT_PATH": str(paths.build_dir() / "picotool"),
        **settings,
    }
    _run(
        [
            "cmake",
            "-S",
            str(micropython / "ports" / board.port),
            "-B",
            str(build),
            *[f"-D{k}={v}" for k, v in cmake_vars.items()],
        ],
        log=log,
        env=_tool_env(),
    )
    _run(["cmake", "--build", str(build), "-j", JOBS], log=log, env=_tool_env())


# The start of an ESP32 chip's flash as ESP-IDF lays it out: the second-stage bootloader, the
# partition table at 0x8000, nvs and phy_init; the app partition starts at 64 KiB.
ESP32_SYSTEM_PARTITIONS = (
    ("nvs", "data", "nvs", 0x9000, 0x6000),
    ("phy_init", "data", "phy", 0xF000, 0x1000),
)
ESP32_APP_OFFSET = 0x10000
# The subtype MicroPython's esp32 port gives its ROMFS partition (partitions-4MiB-romfs.csv).
ESP32_ROMFS_SUBTYPE = "0x8f"


def esp32_partitions(board: Board) -> list[tuple[str, str, str, int, int]]:
    """The partition table of an ESP32 board, from its board.toml: the app, then the ROMFS
    partition (models, /rom), then the littlefs filesystem ("vfs", /) at the end of flash."""
    app = board.flash_bytes - ESP32_APP_OFFSET - board.romfs_bytes - board.filesystem_bytes
    romfs = ESP32_APP_OFFSET + app
    return [
        *ESP32_SYSTEM_PARTITIONS,
        ("factory", "app", "factory", ESP32_APP_OFFSET, app),
        ("romfs", "data", ESP32_ROMFS_SUBTYPE, romfs, board.romfs_bytes),
        ("vfs", "data", "fat", romfs + board.romfs_bytes, board.filesystem_bytes),
    ]


def _esp32_layout(board: Board, gen: Path) -> Path:
    """Write the board's partition table and the ESP-IDF settings that use it and its flash
    size (sdkconfig.layout, read after the board's other sdkconfig files)."""
    table = gen / "partitions.csv"
    rows = ["# Name, Type, SubType, Offset, Size (generated by host build from board.toml)"]
    rows += [f"{n}, {k}, {s}, {o:#x}, {size:#x}" for n, k, s, o, size in esp32_partitions(board)]
    _write_if_changed(table, "\n".join(rows) + "\n")
    layout = gen / "sdkconfig.layout"
    mib = board.flash_bytes // (1024 * 1024)
    _write_if_changed(
        layout,
        f"CONFIG_ESPTOOLPY_FLASHSIZE_{mib}MB=y\n"
        "CONFIG_PARTITION_TABLE_CUSTOM=y\n"
        f'CONFIG_PARTITION_TABLE_CUSTOM_FILENAME="{table}"\n',
    )
    return layout


def _build_idf_port(
    board: Board,
    micropython: Path,
    build: Path,
    manifest: Path,
    libs: list[str],
    settings: dict,
    gen: Path,
    log: Path,
) -> None:
    """The esp32 port, built as its Makefile does (idf.py, then makeimg.py for the merged
    firmware.bin), with this board folder, _tflm and the board's flash layout."""
    env = _tool_env(board)
    port = micropython / "ports" / "esp32"
    layout = _esp32_layout(board, gen)
    # ESP-IDF makes build/sdkconfig from the defaults only when there is none: start it anew
    # when the defaults change.
    defaults = _digest(
        _tree_digest(*board.folders), layout.read_text(), (gen / "partitions.csv").read_text()
    )
    defaults_stamp = build / "sdkconfig.defaults.stamp"
    if not defaults_stamp.is_file() or defaults_stamp.read_text() != defaults:
        (build / "sdkconfig").unlink(missing_ok=True)
    cmake_vars = {
        **_cmake_port_vars(board, manifest, libs),
        "TINYML_SDKCONFIG": str(layout),
        **settings,
    }
    idf_py = esp32_toolchain.idf_py(env)
    defines = [arg for k, v in cmake_vars.items() for arg in ("-D", f"{k}={v}")]
    _run([*idf_py, *defines, "-B", str(build), "build"], cwd=port, log=log, env=env)
    defaults_stamp.write_text(defaults)
    _run(
        [
            idf_py[0],  # IDF's Python: makeimg.py imports IDF's gen_esp32part
            "makeimg.py",
            str(build / "sdkconfig"),
            str(build / "bootloader" / "bootloader.bin"),
            str(build / "partition_table" / "partition-table.bin"),
            str(build / "micropython.bin"),
            str(build / "firmware.bin"),
            str(build / "micropython.uf2"),
        ],
        cwd=port,
        log=log,
        env=env,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--board", default="unix", help="board id, a folder of boards/ (default: unix)"
    )
    parser.add_argument(
        "--ops-from",
        nargs="+",
        type=Path,
        default=[],
        metavar="MODEL",
        help="register only the operators these .tflite models use",
    )
    parser.add_argument(
        "--asan", action="store_true", help="simulator only: build with AddressSanitizer"
    )


def run(args: argparse.Namespace) -> int:
    result = build(args.board, ops_from=args.ops_from, asan=args.asan)
    path = result.firmware.path
    print(f"{path} ({path.stat().st_size:,} bytes)")
    if result.sizes:
        print(sizes.size_table(result.sizes))
    return 0
