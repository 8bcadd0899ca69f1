"""`host setup --esp32`: ESP-IDF and the ESP32 family's cross compilers, built from source.

    setup()                  # sources, IDF's Python environment, three toolchains; cached
    env = idf_environment()  # IDF_PATH, PATH, ... for idf.py (the user's own IDF if set)
    subprocess.run([*idf_py(env), "set-target", "esp32s3", "build"], env=env)

Espressif's GCC 14 cannot be fetched here, so the toolchains are GCC 12.2 and binutils 2.40
from Debian's source packages, Espressif's binutils 2.35 for the Xtensa chips, and Espressif's
newlib for all, each chip's Xtensa core configuration copied over them from xtensa-overlays
(GCC 12 has no -mdynconfig). Configure choices follow crosstool-NG's xtensa-esp32-elf sample.
Every step is stamped with what it was built from, so a second run does nothing and an
interrupted one resumes at the step it was in.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from host import paths, sources
from host.errors import CommandError

GROUP = "esp32"
# Bump when a step below builds differently, so that caches built the old way are rebuilt.
RECIPE = "1"
# Bump when a step is added that changes nothing the others built: setup then runs just the
# new one on a toolchain built before it.
STEPS = "2"

# ESP-IDF versions MicroPython v1.28.0 supports (its ports/esp32/README.md); the pinned one
# (sources.lock) is the newest.
IDF_OLDEST = (5, 3, 0)
IDF_NEWEST = (5, 5, 1)
IDF_SUPPORTED = "v5.3 to v5.5.1"

# Debian's source packages (apt-get install gcc-12-source binutils-source): the tarballs they
# put in /usr/src, with the one Debian patch the dfsg GCC tarball needs to build without its
# texinfo sources.
GCC_PACKAGE = "gcc-12-source"
GCC_TARBALL = Path("/usr/src/gcc-12/gcc-12.2.0-dfsg.tar.xz")
GCC_FOLDER = "gcc-12.2.0"
GCC_PATCH = Path("/usr/src/gcc-12/patches/gcc-gfdl-build.diff")
BINUTILS_PACKAGE = "binutils-source"
BINUTILS_TARBALL = Path("/usr/src/binutils/binutils-2.40.tar.xz")
BINUTILS_FOLDER = "binutils-2.40"
# Debian programs the build runs, by the package that has them.
BUILD_PACKAGES = {
    "makeinfo": "texinfo",
    "flex": "flex",
    "bison": "bison",
    "autoreconf2.69": "autoconf2.69",
    "automake-1.16": "automake",
    "patch": "patch",
    "make": "make",
    "g++": "g++",
    "cmake": "cmake",
    "ninja": "ninja-build",
}
# Libraries GCC's configure looks for, by a header each package installs.
BUILD_HEADERS = {
    "gmp.h": "libgmp-dev",
    "mpfr.h": "libmpfr-dev",
    "mpc.h": "libmpc-dev",
}

XTENSA_ESP32 = "xtensa-esp32-elf"
XTENSA_ESP32S3 = "xtensa-esp32s3-elf"
RISCV = "riscv32-esp-elf"
# Target -> the IDF chips it compiles for.
TOOLCHAINS = {
    XTENSA_ESP32: ("esp32",),
    XTENSA_ESP32S3: ("esp32s3",),
    RISCV: ("esp32c3",),
}

# Code size first, as ESP-IDF's own toolchain builds its libraries; -mlongcalls because Xtensa
# calls reach only 1 MB and IDF's code is spread over IRAM and flash.
XTENSA_TARGET_FLAGS = "-Os -mlongcalls -ffunction-sections -fdata-sections"
RISCV_TARGET_FLAGS = "-Os -ffunction-sections -fdata-sections"
# The compilers themselves are built at -O1: they compile a firmware a little slower but are
# built in half the time.
HOST_FLAGS = "-O1"

# crosstool-NG's choices for newlib: small reentrancy structures, a 64-bit time_t, the
# small malloc, locks IDF supplies (FreeRTOS), C99, long long and float formats; IDF
# supplies the system calls.
NEWLIB_OPTIONS = [
    "--enable-newlib-reent-small",
    "--enable-newlib-long-time_t",
    "--enable-newlib-nano-malloc",
    "--enable-newlib-retargetable-locking",
    "--enable-newlib-io-c99-formats",
    "--enable-newlib-io-long-long",
    "--enable-newlib-io-float",
    "--disable-newlib-supplied-syscalls",
]
# The second, nano-formatted newlib (libc_nano.a) for firmware with CONFIG_NEWLIB_NANO_FORMAT
# (MicroPython's esp32 port sets it): printf without float unless linked in.
NANO_NEWLIB_OPTIONS = [
    "--enable-newlib-reent-small",
    "--enable-newlib-long-time_t",
    "--enable-newlib-nano-malloc",
    "--enable-newlib-retargetable-locking",
    "--enable-newlib-nano-formatted-io",
    "--disable-newlib-fvwrite-in-streamio",
    "--disable-newlib-fseek-optimization",
    "--disable-newlib-wide-orient",
    "--enable-lite-exit",
    "--enable-newlib-global-atexit",
    "--disable-newlib-supplied-syscalls",
]

# Upstream xtensa-elf's specs start programs with a simulator's crt1-sim.o and link its
# libraries (-lsim -lhandlers-sim -lhal); ESP-IDF links with -nostartfiles and its own
# system calls, so a program needs only the C library (crosstool-NG's Xtensa specs).
XTENSA_SPECS = """\
*startfile:
crti%O%s crtbegin%O%s

*lib:
-lc
"""

# --specs=nano.specs (IDF adds it with CONFIG_NEWLIB_NANO_FORMAT): newlib-nano's newlib.h and
# libc_nano.a in place of libc.a, as the Arm toolchain's nano.specs does.
NANO_SPECS = """\
%rename link nano_link
%rename link_gcc_c_sequence nano_link_gcc_c_sequence
%rename cpp_unique_options nano_cpp_unique_options

*cpp_unique_options:
-isystem {include} %(nano_cpp_unique_options)

*nano_libc:
-lc_nano

*link_gcc_c_sequence:
%(nano_link_gcc_c_sequence) --start-group %G %(nano_libc) --end-group

*link:
%(nano_link) %:replace-outfile(-lc -lc_nano) %:replace-outfile(-lg -lg_nano) \
%:replace-outfile(-lm -lm_nano)
"""


def root() -> Path:
    """Where the toolchains and IDF's Python environment go: one folder per IDF version."""
    return paths.cache_dir() / "toolchains" / f"esp32-{idf_source().tag}"


def prefix(target: str) -> Path:
    return root() / target


def python_env() -> Path:
    return root() / "python-env"


def work_dir() -> Path:
    """The build trees, removed once everything is built; the logs stay."""
    return paths.build_dir() / "esp32-toolchain"


def log_dir() -> Path:
    return paths.build_dir() / "esp32-toolchain-logs"


def idf_source() -> sources.Source:
    return sources.source("esp-idf", group=GROUP)


def _package_version(package: str) -> str:
    """The installed version of a Debian package, or a CommandError naming how to install it."""
    try:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True
        )
    except FileNotFoundError:
        raise CommandError(
            f"the ESP32 toolchains are built from Debian's {GCC_PACKAGE} and "
            f"{BINUTILS_PACKAGE}, and this machine has no dpkg"
        ) from None
    if result.returncode != 0 or not result.stdout:
        raise CommandError(
            f"{package} is not installed; install it with: apt-get install -y {package}"
        )
    return result.stdout


def _fingerprint() -> str:
    """What the toolchains are built from: the recipe, the source pins and Debian's packages."""
    pins = [
        f"{entry.name}={entry.rev}"
        for entry in sources.load_lock(group=GROUP)
        if entry.name != "esp-idf"
    ]
    packages = [f"{name}={_package_version(name)}" for name in (GCC_PACKAGE, BINUTILS_PACKAGE)]
    text = " ".join([f"recipe={RECIPE}", *pins, *packages])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ready(fingerprint: str) -> str:
    """What a toolchain's ready stamp says: what it is built from, and STEPS."""
    return f"{fingerprint} steps={STEPS}"


def _stamp(step: str) -> Path:
    return root() / ".stamps" / step


def _is_done(step: str, fingerprint: str) -> bool:
    stamp = _stamp(step)
    return stamp.is_file() and stamp.read_text().strip() == fingerprint


def _mark_done(step: str, fingerprint: str) -> None:
    _stamp(step).parent.mkdir(parents=True, exist_ok=True)
    _stamp(step).write_text(fingerprint + "\n")


def _jobs() -> str:
    return str(os.cpu_count() or 1)


def _build_env(*targets: str) -> dict[str, str]:
    """The environment of every configure and make: the toolchains built so far on PATH, no
    documentation (Debian's GCC tarball has no texinfo sources), host tools at -O1."""
    env = dict(os.environ)
    bins = [str(prefix(target) / "bin") for target in targets]
    env["PATH"] = os.pathsep.join([*bins, env.get("PATH", "")])
    env.update(MAKEINFO="true", CFLAGS=HOST_FLAGS, CXXFLAGS=HOST_FLAGS, LC_ALL="C")
    return env


def _run(command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> None:
    """Run a build command with its output in `log`; on failure say where, with the log's end."""
    cwd.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as out:
        out.write(f"\n$ cd {cwd} && {' '.join(command)}\n")
        out.flush()
        result = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise CommandError(f"{' '.join(command[:2])} failed in {cwd}:\n{tail}\n(full log: {log})")


def _configure(
    configure: list[str], build: Path, log: Path, env: dict[str, str], fingerprint: str
) -> None:
    """Configure a fresh build folder, unless an interrupted run left one configured the same
    way: make then goes on where it stopped."""
    marker = build / ".tinyml-mpy-configured"
    wanted = "\n".join([fingerprint, *configure])
    if marker.is_file() and marker.read_text() == wanted:
        print("  resuming the build in", build, flush=True)
        return
    shutil.rmtree(build, ignore_errors=True)
    log.unlink(missing_ok=True)
    _run(configure, cwd=build, log=log, env=env)
    marker.write_text(wanted)


def _copy_tree(source: Path, dest: Path) -> None:
    """A source checkout's files, without its .git, into a fresh folder."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))


def _overlay(chip: str, part: str, dest: Path) -> None:
    """Copy a chip's Xtensa core configuration for `part` (binutils, gcc, newlib) over `dest`."""
    overlay = sources.source("xtensa-overlays", group=GROUP).path / f"xtensa_{chip}" / part
    shutil.copytree(overlay, dest, dirs_exist_ok=True)


def _extract(tarball: Path, folder: str, log: Path) -> Path:
    """Unpack a Debian source tarball, whose files are all in `folder`, into the work folder."""
    tree = work_dir() / folder
    if tree.exists():
        shutil.rmtree(tree)
    _run(["tar", "-xf", str(tarball)], cwd=work_dir(), log=log)
    return tree


def _disk_usage(path: Path, skip: str | None = None) -> int:
    """The bytes of the files under `path`, leaving out folders named `skip`."""
    total = 0
    for folder, subfolders, files in os.walk(path):
        if skip in subfolders:
            subfolders.remove(skip)
        for name in files:
            total += os.lstat(os.path.join(folder, name)).st_size
    return total


def _describe(seconds: float, size: int) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s, {size / 1e6:.0f} MB"


def _check_build_tools() -> None:
    """Name every Debian package the build needs and this machine lacks, in one message."""
    missing = [package for program, package in BUILD_PACKAGES.items() if not shutil.which(program)]
    missing += [
        package
        for header, package in BUILD_HEADERS.items()
        if not Path("/usr/include", header).is_file()
        and not list(Path("/usr/include").glob(f"*/{header}"))
    ]
    for tarball, package in ((GCC_TARBALL, GCC_PACKAGE), (BINUTILS_TARBALL, BINUTILS_PACKAGE)):
        if not tarball.is_file():
            missing.append(package)
    if missing:
        raise CommandError(
            "building the ESP32 toolchains needs: apt-get install -y "
            + " ".join(sorted(set(missing)))
        )


def _fetch_sources() -> None:
    for entry in sources.load_lock(group=GROUP):
        if not entry.is_present():
            print(f"{entry.name} @ {entry.tag or entry.rev[:12]}", flush=True)
            sources.fetch(entry)


def _idf_python_env() -> None:
    """A virtual environment with IDF's core requirements from PyPI, as IDF's installer makes
    (without its constraints file, which lives on Espressif's server)."""
    idf = idf_source()
    if _is_done("python-env", idf.rev):
        return
    print("ESP-IDF's Python environment (PyPI: tools/requirements/requirements.core.txt)")
    env_dir = python_env()
    if env_dir.exists():
        shutil.rmtree(env_dir)
    log = log_dir() / "python-env.log"
    _run([sys.executable, "-m", "venv", str(env_dir)], cwd=root(), log=log)
    requirements = idf.path / "tools" / "requirements" / "requirements.core.txt"
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    _run([*pip, "-r", str(requirements)], cwd=root(), log=log)
    _mark_done("python-env", idf.rev)


def _gcc_source(fingerprint: str) -> Path:
    """One GCC 12.2 tree for all three targets, newlib in it (a combined build needs no
    separate bootstrap compiler): Debian's tarball with its texinfo patch, the ESP32's core
    configuration (read by Xtensa targets only), and Espressif's newlib made buildable."""
    gcc = work_dir() / GCC_FOLDER
    if _is_done("gcc-source", fingerprint) and gcc.is_dir():
        return gcc
    print("GCC 12.2 and newlib sources", flush=True)
    log = log_dir() / "gcc-source.log"
    log.unlink(missing_ok=True)
    gcc = _extract(GCC_TARBALL, GCC_FOLDER, log)
    _run(["patch", "-p2", "-i", str(GCC_PATCH)], cwd=gcc, log=log)
    _overlay("esp32", "gcc", gcc)

    newlib = work_dir() / "newlib-esp32"
    _copy_tree(sources.source("newlib-esp32", group=GROUP).path, newlib)
    _overlay("esp32", "newlib", newlib)
    # newlib chooses libc/sys/esp (the POSIX layer IDF's headers need, <dirent.h> among them)
    # for the vendor `esp` only; our Xtensa triples name the chip instead.
    host_file = newlib / "newlib" / "configure.host"
    text = host_file.read_text()
    host_file.write_text(text.replace("  *-esp-*)", "  *-esp-* | *-esp32-* | *-esp32s3-*)", 1))
    # newlib/Makefile.in is missing from the mirror: regenerate the generated files with the
    # autoconf and automake newlib 4.3 was made with.
    autotools = dict(
        os.environ,
        AUTOCONF="autoconf2.69",
        AUTOHEADER="autoheader2.69",
        AUTOM4TE="autom4te2.69",
        ACLOCAL="aclocal-1.16",
        AUTOMAKE="automake-1.16",
    )
    _run(["autoreconf2.69", "-f"], cwd=newlib / "newlib", log=log, env=autotools)
    # This automake names libm's objects a-NAME.o where newlib's Makefile.am lists the
    # libm_a-NAME.o of the automake it was made with: the math functions libc takes from libm.
    makefile = newlib / "newlib" / "Makefile.in"
    makefile.write_text(makefile.read_text().replace("libm_a-", "a-"))
    # Only newlib: IDF brings its own start-up code and system calls, not libgloss's.
    (gcc / "newlib").symlink_to(newlib / "newlib")
    _mark_done("gcc-source", fingerprint)
    return gcc


def _binutils(target: str, chip: str | None, fingerprint: str) -> None:
    """Assembler, linker and binary tools for `target`: Espressif's binutils with the chip's
    overlay for Xtensa, Debian's binutils 2.40 for RISC-V."""
    step = f"{target}-binutils"
    if _is_done(step, fingerprint):
        return
    print(f"{target}: binutils", flush=True)
    log = log_dir() / f"{step}.log"
    if chip:
        source = work_dir() / f"binutils-{chip}"
        _copy_tree(sources.source("binutils-esp32", group=GROUP).path, source)
        _overlay(chip, "binutils", source)
    else:
        source = _extract(BINUTILS_TARBALL, BINUTILS_FOLDER, log)
    build = work_dir() / f"build-{step}"
    env = _build_env()
    configure = [
        str(source / "configure"),
        f"--target={target}",
        f"--prefix={prefix(target)}",
        "--disable-nls",
        "--disable-werror",
        "--disable-gdb",
        "--disable-gdbserver",
        "--disable-sim",
        "--disable-gprof",
        "--disable-shared",
        "--enable-deterministic-archives",
    ]
    _configure(configure, build, log, env, fingerprint)
    _run(["make", f"-j{_jobs()}", "MAKEINFO=true"], cwd=build, log=log, env=env)
    _run(["make", "install", "MAKEINFO=true"], cwd=build, log=log, env=env)
    shutil.rmtree(build)
    shutil.rmtree(source)
    _mark_done(step, fingerprint)


def _gcc(target: str, gcc_source: Callable[[], Path], fingerprint: str) -> None:
    """GCC (C, C++) with newlib for `target`, in one combined build."""
    step = f"{target}-gcc"
    if _is_done(step, fingerprint):
        return
    gcc = gcc_source()
    print(f"{target}: GCC 12.2 and newlib", flush=True)
    log = log_dir() / f"{step}.log"
    build = work_dir() / f"build-{step}"
    env = _build_env(target)
    xtensa = target.startswith("xtensa")
    target_flags = XTENSA_TARGET_FLAGS if xtensa else RISCV_TARGET_FLAGS
    env.update(CFLAGS_FOR_TARGET=target_flags, CXXFLAGS_FOR_TARGET=target_flags)
    configure = [
        str(gcc / "configure"),
        f"--target={target}",
        f"--prefix={prefix(target)}",
        "--with-newlib",
        "--enable-languages=c,c++",
        "--disable-shared",
        "--disable-multilib",
        "--disable-lto",
        "--disable-nls",
        "--disable-libssp",
        "--disable-libquadmath",
        "--disable-libgomp",
        "--disable-libstdcxx-pch",
        # crosstool-NG's choice for these targets: IDF registers destructors with atexit.
        "--disable-__cxa_atexit",
        "--enable-target-optspace",
        "--with-gnu-as",
        "--with-gnu-ld",
        *NEWLIB_OPTIONS,
    ]
    if not xtensa:
        # The C3's exact ISA and ABI, so that IDF's -march finds these libraries.
        configure += ["--with-arch=rv32imc_zicsr_zifencei", "--with-abi=ilp32"]
    _configure(configure, build, log, env, fingerprint)
    # GCC's limits.h includes the C library's only if GCC's Makefile finds one when it makes
    # it; in a combined build newlib's headers come later, and newlib itself then misses
    # PATH_MAX. LIMITS_H_TEST is the Makefile's test for it.
    _run(["make", f"-j{_jobs()}", "LIMITS_H_TEST=true"], cwd=build, log=log, env=env)
    _run(["make", "install"], cwd=build, log=log, env=env)
    shutil.rmtree(build)
    if xtensa:
        (_gcc_lib_dir(target) / "specs").write_text(XTENSA_SPECS)
    _mark_done(step, fingerprint)


def _gcc_lib_dir(target: str) -> Path:
    """GCC's own folder for `target`: lib/gcc/TARGET/VERSION."""
    (found,) = (prefix(target) / "lib" / "gcc" / target).iterdir()
    return found


def _nano_newlib(target: str, gcc_source: Callable[[], Path], fingerprint: str) -> None:
    """newlib again with nano formatted I/O, installed beside the full one as libc_nano.a."""
    step = f"{target}-newlib-nano"
    if _is_done(step, fingerprint):
        return
    gcc_source()  # the newlib tree it prepares
    print(f"{target}: newlib-nano", flush=True)
    log = log_dir() / f"{step}.log"
    build = work_dir() / f"build-{step}"
    staging = work_dir() / f"install-{step}"
    shutil.rmtree(staging, ignore_errors=True)
    env = _build_env(target)
    target_flags = XTENSA_TARGET_FLAGS if target.startswith("xtensa") else RISCV_TARGET_FLAGS
    env.update(CFLAGS_FOR_TARGET=target_flags)
    configure = [
        str(work_dir() / "newlib-esp32" / "configure"),
        f"--target={target}",
        f"--prefix={staging}",
        "--disable-multilib",
        "--disable-libgloss",
        *NANO_NEWLIB_OPTIONS,
    ]
    _configure(configure, build, log, env, fingerprint)
    _run(["make", f"-j{_jobs()}"], cwd=build, log=log, env=env)
    _run(["make", "install"], cwd=build, log=log, env=env)
    built = staging / target
    libs = prefix(target) / target / "lib"
    for name in ("libc", "libg", "libm"):
        shutil.copyfile(built / "lib" / f"{name}.a", libs / f"{name}_nano.a")
    nano_include = prefix(target) / target / "include" / "newlib-nano"
    nano_include.mkdir(exist_ok=True)
    shutil.copyfile(built / "include" / "newlib.h", nano_include / "newlib.h")
    (libs / "nano.specs").write_text(NANO_SPECS.format(include=nano_include))
    shutil.rmtree(build)
    shutil.rmtree(staging)
    _mark_done(step, fingerprint)


def _empty_libgloss(fingerprint: str) -> None:
    """GCC's link spec for RISC-V names newlib's libgloss (the start-up code and system calls of
    development boards), which ESP-IDF replaces with its own and this newlib is configured
    without: an empty libgloss.a lets a link with GCC's default libraries succeed (CMake's
    compiler check, which ESP-IDF's build starts with)."""
    step = f"{RISCV}-libgloss"
    if _is_done(step, fingerprint):
        return
    (prefix(RISCV) / RISCV / "lib" / "libgloss.a").write_bytes(b"!<arch>\n")
    _mark_done(step, fingerprint)


def _s3_compiler(fingerprint: str) -> None:
    """The S3's compiler is the ESP32's: GCC 12 generates the same code for both cores.
    xtensa-esp32s3-elf-gcc runs it with the S3's assembler and linker (-B), which know the S3's
    vector instructions."""
    step = f"{XTENSA_ESP32S3}-gcc"
    if _is_done(step, fingerprint):
        return
    bin_dir = prefix(XTENSA_ESP32S3) / "bin"
    for tool in ("gcc", "g++", "c++", "cpp"):
        wrapper = bin_dir / f"{XTENSA_ESP32S3}-{tool}"
        wrapper.write_text(
            "#!/bin/sh\n"
            "# The ESP32's compiler with this toolchain's assembler and linker.\n"
            'here="$(dirname "$(readlink -f "$0")")"\n'
            f'exec "$here/../../{XTENSA_ESP32}/bin/{XTENSA_ESP32}-{tool}" '
            f'-B "$here/../{XTENSA_ESP32S3}/bin/" "$@"\n'
        )
        wrapper.chmod(0o755)
    _mark_done(step, fingerprint)


@dataclass(frozen=True)
class _Toolchain:
    target: str
    steps: list[Callable[[], None]]


def setup() -> None:
    """Fetch, build and stamp whatever of ESP-IDF and the three toolchains is not there yet."""
    _check_build_tools()
    _fetch_sources()
    root().mkdir(parents=True, exist_ok=True)
    _idf_python_env()
    fingerprint = _fingerprint()

    def gcc_source() -> Path:
        return _gcc_source(fingerprint)

    toolchains = [
        _Toolchain(
            XTENSA_ESP32,
            [
                lambda: _binutils(XTENSA_ESP32, "esp32", fingerprint),
                lambda: _gcc(XTENSA_ESP32, gcc_source, fingerprint),
                lambda: _nano_newlib(XTENSA_ESP32, gcc_source, fingerprint),
            ],
        ),
        _Toolchain(
            XTENSA_ESP32S3,
            [
                lambda: _binutils(XTENSA_ESP32S3, "esp32s3", fingerprint),
                lambda: _s3_compiler(fingerprint),
            ],
        ),
        _Toolchain(
            RISCV,
            [
                lambda: _binutils(RISCV, None, fingerprint),
                lambda: _gcc(RISCV, gcc_source, fingerprint),
                lambda: _nano_newlib(RISCV, gcc_source, fingerprint),
                lambda: _empty_libgloss(fingerprint),
            ],
        ),
    ]
    for toolchain in toolchains:
        started = time.monotonic()
        already = _is_done(f"{toolchain.target}-ready", _ready(fingerprint))
        for step in toolchain.steps:
            step()
        _mark_done(f"{toolchain.target}-ready", _ready(fingerprint))
        size = _disk_usage(prefix(toolchain.target))
        if already:
            print(f"{toolchain.target}: present, {size / 1e6:.0f} MB")
        else:
            elapsed = time.monotonic() - started
            print(f"{toolchain.target}: ready in {_describe(elapsed, size)}", flush=True)
    shutil.rmtree(work_dir(), ignore_errors=True)
    idf = idf_source()
    checkout = _disk_usage(idf.path, skip=".git") / 1e6
    history = _disk_usage(idf.path / ".git") / 1e6
    python = _disk_usage(python_env()) / 1e6
    print(
        f"ESP-IDF {idf.tag}: {idf.path}, {checkout:.0f} MB and {history:.0f} MB of git history; "
        f"its Python environment {python:.0f} MB"
    )


def is_prepared() -> bool:
    """True once `host setup --esp32` has built everything for the current pins."""
    if not all(entry.is_present() for entry in sources.load_lock(group=GROUP)):
        return False
    if not _is_done("python-env", idf_source().rev):
        return False
    try:
        fingerprint = _fingerprint()
    except CommandError:
        return False
    return all(_is_done(f"{target}-ready", _ready(fingerprint)) for target in TOOLCHAINS)


def idf_version(idf_path: Path) -> tuple[int, int, int]:
    """An ESP-IDF's version from its tools/cmake/version.cmake."""
    version_file = idf_path / "tools" / "cmake" / "version.cmake"
    if not version_file.is_file():
        raise CommandError(f"{idf_path} is not an ESP-IDF (no tools/cmake/version.cmake)")
    text = version_file.read_text()
    parts = []
    for part in ("MAJOR", "MINOR", "PATCH"):
        found = re.search(rf"IDF_VERSION_{part}\s+(\d+)", text)
        if not found:
            raise CommandError(f"{version_file} names no IDF_VERSION_{part}")
        parts.append(int(found.group(1)))
    return parts[0], parts[1], parts[2]


def idf_environment() -> dict[str, str]:
    """The environment idf.py runs in: the user's own ESP-IDF if $IDF_PATH names one of a
    version MicroPython supports (with the tools its export.sh put on PATH), else the one
    `host setup --esp32` prepared."""
    env = dict(os.environ)
    user_idf = env.get("IDF_PATH")
    if user_idf:
        version = idf_version(Path(user_idf))
        if not IDF_OLDEST <= version <= IDF_NEWEST:
            raise CommandError(
                f"IDF_PATH is ESP-IDF v{'.'.join(map(str, version))}; MicroPython supports "
                f"{IDF_SUPPORTED}: point IDF_PATH at one of them, or unset it to use the one "
                "`host setup --esp32` prepares"
            )
        return env
    if not is_prepared():
        raise CommandError(
            "no ESP-IDF: run host setup --esp32 (builds ESP-IDF's toolchains, an hour or more), "
            f"or set IDF_PATH to an ESP-IDF ({IDF_SUPPORTED}) with its export.sh run"
        )
    bins = [str(python_env() / "bin"), *(str(prefix(target) / "bin") for target in TOOLCHAINS)]
    env.update(
        IDF_PATH=str(idf_source().path),
        IDF_PYTHON_ENV_PATH=str(python_env()),
        # The constraints file is on Espressif's server; the environment was made without it.
        IDF_PYTHON_CHECK_CONSTRAINTS="no",
        # MicroPython's components from Espressif's registry are given as local components.
        IDF_COMPONENT_MANAGER="0",
        # The compilers are GCC 12, not the GCC 14 IDF expects: a warning, not an error.
        IDF_MAINTAINER="1",
        # The Wi-Fi libraries' submodule is left out on purpose; IDF would try to clone it.
        IDF_SKIP_CHECK_SUBMODULES="1",
        PATH=os.pathsep.join([*bins, env.get("PATH", "")]),
    )
    return env


def idf_py(env: dict[str, str]) -> list[str]:
    """The command that runs idf.py in `env` (from idf_environment)."""
    python_dir = env.get("IDF_PYTHON_ENV_PATH")
    python = str(Path(python_dir) / "bin" / "python") if python_dir else "python3"
    return [python, str(Path(env["IDF_PATH"]) / "tools" / "idf.py")]


def check() -> bool:
    """Print whether the ESP32 toolchains are prepared; True if they are."""
    prepared = is_prepared()
    state = f"present  {root()}" if prepared else "missing  -> host setup --esp32"
    print(f"  {'esp-idf + esp32':<18} {state}   (ESP32, ESP32-S3, ESP32-C3 firmware)")
    return prepared
