"""Where things live: the project's own folders and the cache outside it."""

from __future__ import annotations

import os
from pathlib import Path

# The host package itself.
HOST_DIR = Path(__file__).resolve().parent


def _project_root() -> Path:
    """The folder holding boards/, device/, native_modules/ and sources.lock.

    In a clone (and an editable install) that is the repository, the host package's parent. A
    regular install has no repository: setup.cfg ships those folders inside the package as
    host/data, which a clone never has."""
    shipped = HOST_DIR / "data"
    return shipped if (shipped / "sources.lock").is_file() else HOST_DIR.parent


# Named for the clone, where it is the repository's root.
REPO_ROOT = _project_root()
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
