"""A tool the host commands need and do not find ends in one `host:` line that names it and the
command that installs it, exit status 1, no traceback."""

import os
import subprocess
import sys

import pytest
from conftest import require_sources

from host.boards import load_board
from host.toolchains import TOOLS

# (command, the tool it looks up first)
CASES = [
    (["build", "--board", "qemu_m4"], load_board("qemu_m4").cross_prefix + "gcc"),
    (["build", "--board", "unix"], "g++"),
    (["run", "--board", "qemu_m4", "main.py"], load_board("qemu_m4").cross_prefix + "gcc"),
]


@pytest.mark.parametrize("args, program", CASES, ids=[" ".join(args) for args, _ in CASES])
def test_a_missing_tool_is_named_with_its_install_command(args, program, tmp_path):
    require_sources()
    (tmp_path / "main.py").write_text("print(1)\n")
    result = subprocess.run(
        [sys.executable, "-m", "host", *args],
        cwd=tmp_path,
        env=dict(os.environ, PATH=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    (install,) = (tool.install for tool in TOOLS if tool.program == program)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == f"host: {program} not found; install it with: {install}\n"
