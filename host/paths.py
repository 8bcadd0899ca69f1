"""Where things live: the repo's own folders and the cache outside it."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BOARDS_DIR = REPO_ROOT / "boards"
DEVICE_DIR = REPO_ROOT / "device"
NATIVE_MODULES_DIR = REPO_ROOT / "native_modules"
LOCK_FILE = REPO_ROOT / "sources.lock"

CACHE_ENV = "TINYML_MPY_CACHE"


def cache_dir() -> Path:
    """The cache for upstream sources, build outputs and models ($TINYML_MPY_CACHE)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path.home() / ".cache" / "tinyml-mpy"


def src_dir() -> Path:
    return cache_dir() / "src"


def build_dir() -> Path:
    return cache_dir() / "build"
