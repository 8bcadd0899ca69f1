"""The `host` command: the PC side of tinyml-mpy."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tinyml-mpy")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.1.0"
