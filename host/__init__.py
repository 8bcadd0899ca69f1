"""The `host` command: the PC side of tinyml-mpy."""

# The project's version, the one place it is written: setup.cfg reads it for the package,
# `host build` compiles it into the firmware (tinyml.version on the board).
__version__ = "0.1.0"
