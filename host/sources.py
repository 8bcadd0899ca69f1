"""`host setup`: clone the pinned upstream sources into the cache; `--check` reports them."""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from host import paths, toolchains
from host.errors import CommandError

STAMP = "tinyml-mpy-pin"


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    rev: str
    dest: str
    patch: str | None = None
    # This project's own fixes to the source, relative to the repo (see each patch's notes).
    local_patches: list[str] = field(default_factory=list)
    submodules: list[str] = field(default_factory=list)
    # submodule (or "." for the source itself) -> sparse-checkout patterns, for mirrors that
    # lack blobs no build uses (a plain checkout stops at the first missing one).
    sparse: dict[str, list[str]] = field(default_factory=dict)
    tag: str | None = None
    # submodule -> "COMMIT" or "URL@COMMIT", checked out when the superproject's own pin cannot
    # be fetched (a mirror that ends before it); setup says so when it uses one.
    fallbacks: dict[str, str] = field(default_factory=dict)
    # submodule -> this project's patch (relative to the repo) that makes its fallback build.
    fallback_patches: dict[str, str] = field(default_factory=dict)
    # Set for the sources only an option of `host setup` fetches ("esp32": `--esp32`).
    group: str | None = None

    @property
    def path(self) -> Path:
        return paths.src_dir() / self.dest

    def wanted_stamp(self) -> str:
        """What the stamp says once this source is checked out at its pin, patched."""
        parts = [self.rev, *self.submodules, *(f"{k}:{v}" for k, v in sorted(self.sparse.items()))]
        parts += [f"{k}={v}" for k, v in sorted(self.fallbacks.items())]
        for local in sorted(self.fallback_patches.values()):
            parts.append(hashlib.sha256((paths.REPO_ROOT / local).read_bytes()).hexdigest())
        if self.patch:
            parts.append(hashlib.sha256((paths.src_dir() / self.patch).read_bytes()).hexdigest())
        for local in self.local_patches:
            parts.append(hashlib.sha256((paths.REPO_ROOT / local).read_bytes()).hexdigest())
        return " ".join(parts)

    def stamp_file(self) -> Path:
        return self.path / ".git" / STAMP

    def is_present(self) -> bool:
        stamp = self.stamp_file()
        if not stamp.is_file():
            return False
        if self.patch and not (paths.src_dir() / self.patch).is_file():
            return False
        return stamp.read_text().strip() == self.wanted_stamp()


def load_lock(lock_file: Path = paths.LOCK_FILE, group: str | None = None) -> list[Source]:
    """The sources of the lock file in `group` (None: those plain `host setup` fetches), in the
    order they must be cloned."""
    with open(lock_file, "rb") as f:
        table = tomllib.load(f)
    entries = [Source(name=name, **entry) for name, entry in table.items()]
    return [entry for entry in entries if entry.group == group]


def source(name: str, group: str | None = None) -> Source:
    for entry in load_lock(group=group):
        if entry.name == name:
            return entry
    raise CommandError(f"{paths.LOCK_FILE.name} has no source {name!r}")


def _git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise CommandError(f"git {' '.join(args)} failed:\n{result.stderr.strip()}")
    return result.stdout


def _superproject(entry: Source, submodule: str) -> tuple[Path, str]:
    """The checkout holding `submodule` (a listed submodule it lies in, or the source itself)
    and its path there: a submodule of a submodule is listed by its full path."""
    outer = [path for path in entry.submodules if submodule.startswith(path + "/")]
    if not outer:
        return entry.path, submodule
    parent = max(outer, key=len)
    return entry.path / parent, submodule[len(parent) + 1 :]


def _checkout_submodule(
    dest: Path, path: str, patterns: list[str] | None = None, fallback: str | None = None
) -> None:
    """Check a submodule out at the superproject's pin, or at `fallback` ("[URL@]COMMIT"),
    leaving out what sparse-checkout `patterns` exclude."""
    _git("submodule", "init", "--quiet", path, cwd=dest)
    pinned_url = _git("config", f"submodule.{path}.url", cwd=dest).strip()
    url, commit = pinned_url, _git("ls-tree", "HEAD", path, cwd=dest).split()[2]
    if fallback:
        fallback_url, _, commit = fallback.rpartition("@")
        url = fallback_url or url
    target = dest / path
    if url != pinned_url:
        # Another repository than the superproject's: a fresh clone of it, not a fetch into
        # the one `git submodule update` left (a local clone copies a mirror's objects where a
        # fetch packs them, and stops at a missing one).
        if (target / ".git").exists():
            shutil.rmtree(_git("rev-parse", "--absolute-git-dir", cwd=target).strip())
        shutil.rmtree(target, ignore_errors=True)
    if not (target / ".git").exists():
        _git("clone", "--quiet", "--no-checkout", url, str(target))
    if patterns:
        _git("sparse-checkout", "set", "--no-cone", *patterns, cwd=target)
    _git("checkout", "--quiet", "--force", "--detach", commit, cwd=target)


def _update_submodule(entry: Source, submodule: str) -> None:
    """Check `submodule` of `entry` out at its pin, or at its fallback if the pin is not there."""
    where, path = _superproject(entry, submodule)
    patterns = entry.sparse.get(submodule)
    try:
        if patterns:
            _checkout_submodule(where, path, patterns)
        else:
            _git("submodule", "update", "--init", "--quiet", path, cwd=where)
    except CommandError:
        fallback = entry.fallbacks.get(submodule)
        if not fallback:
            raise
        print(f"  submodule {submodule}: its pin cannot be fetched, using {fallback}", flush=True)
        _checkout_submodule(where, path, patterns, fallback)
        patch = entry.fallback_patches.get(submodule)
        if patch:
            _git("apply", str(paths.REPO_ROOT / patch), cwd=where / path)


def _modified_files(dest: Path) -> dict[Path, tuple[bytes, int]]:
    """The files a checkout's patches changed: content and modification time."""
    names = _git("diff", "--name-only", cwd=dest).splitlines()
    found = {}
    for name in names:
        path = dest / name
        if path.is_file():
            found[path] = (path.read_bytes(), path.stat().st_mtime_ns)
    return found


def _keep_timestamps(before: dict[Path, tuple[bytes, int]]) -> None:
    """A file that was patched before and is patched the same way again keeps its old time, so
    builds from this checkout recompile only what a changed patch changed."""
    for path, (content, mtime) in before.items():
        if path.is_file() and path.read_bytes() == content:
            os.utime(path, ns=(mtime, mtime))


def fetch(entry: Source) -> None:
    """Clone `entry` at its pin (or move an old clone to it), apply TFLM's patch, stamp it."""
    dest = entry.path
    before = {}
    if not (dest / ".git").exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        print(f"  cloning {entry.url}", flush=True)
        _git("clone", "--quiet", "--no-checkout", entry.url, str(dest))
    else:
        before = _modified_files(dest)
        _git("fetch", "--quiet", "--tags", "origin", cwd=dest)
    missing = ["git", "cat-file", "-e", f"{entry.rev}^{{commit}}"]
    if subprocess.run(missing, cwd=dest, capture_output=True).returncode:
        # A pin on no branch or tag the clone brought (binutils-gdb's is on an old branch).
        _git("fetch", "--quiet", "origin", entry.rev, cwd=dest)
    if "." in entry.sparse:
        _git("sparse-checkout", "set", "--no-cone", *entry.sparse["."], cwd=dest)
    _git("checkout", "--quiet", "--force", "--detach", entry.rev, cwd=dest)
    _git("clean", "--quiet", "-fdx", "-e", "tensorflow/lite/micro/tools/make/downloads", cwd=dest)
    for submodule in entry.submodules:
        print(f"  submodule {submodule}", flush=True)
        _update_submodule(entry, submodule)
    patches = [paths.src_dir() / entry.patch] if entry.patch else []
    patches += [paths.REPO_ROOT / local for local in entry.local_patches]
    for patch in patches:
        _git("apply", "--ignore-space-change", "--ignore-whitespace", str(patch), cwd=dest)
    _keep_timestamps(before)
    entry.stamp_file().write_text(entry.wanted_stamp() + "\n")


def setup() -> None:
    """Bring every source to its pin; sources already there are left alone."""
    for entry in load_lock():
        if entry.is_present():
            continue
        print(f"{entry.name} @ {entry.tag or entry.rev[:12]}", flush=True)
        fetch(entry)


def check() -> bool:
    """Print every source and toolchain as present or missing; True if nothing is missing."""
    all_present = True
    print(f"sources (cache: {paths.src_dir()})")
    for entry in load_lock():
        present = entry.is_present()
        all_present &= present
        state = "present" if present else "missing  -> host setup"
        print(f"  {entry.name:<16} {entry.tag or entry.rev[:12]:<14} {state}")
    print("toolchains")
    for tool in toolchains.TOOLS:
        where = toolchains.find(tool.program)
        state = f"present  {where}" if where else f"missing  -> {tool.install}"
        print(f"  {tool.name:<18} {state}   ({tool.purpose})")
    return all_present


def require_sources() -> None:
    """Raise a CommandError naming `host setup` unless every source is at its pin."""
    missing = [entry.name for entry in load_lock() if not entry.is_present()]
    if missing:
        raise CommandError(
            f"sources missing from the cache: {', '.join(missing)}; run: host setup"
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check", action="store_true", help="only report what is present or missing"
    )
    parser.add_argument(
        "--esp32",
        action="store_true",
        help="also prepare ESP-IDF and build its cross compilers from source (an hour or more)",
    )


def run(args: argparse.Namespace) -> int:
    # Imported here: plain `host setup` has nothing to do with the ESP32 family.
    from host import esp32_toolchain

    if args.check:
        present = check()
        esp32_present = esp32_toolchain.check()
        return 0 if present and (esp32_present or not args.esp32) else 1
    setup()
    print("sources ready in", paths.src_dir(), file=sys.stderr)
    if args.esp32:
        esp32_toolchain.setup()
        print("ESP32 toolchains ready in", esp32_toolchain.root(), file=sys.stderr)
    return 0
