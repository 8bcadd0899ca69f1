"""Every `host` command the manuals show exists, as written: the README's and the examples'
code blocks are parsed with the command's own argument parser, and every board they name is
one of boards/. A synopsis line (with `[...]` or `a|b`) must name an existing command and only
options it has."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from host.boards import board_ids
from host.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]
MANUALS = [ROOT / "README.md", *sorted(ROOT.glob("examples/*/README.md"))]
_BLOCK = re.compile(r"```[a-z]*\n(.*?)```", re.S)
# `host ...`, `.venv/bin/host ...` or `path/to/host ...`, as a user types it
_COMMAND = re.compile(r"^(?:\S*/)?host (.*)$")


def _command_lines() -> list[tuple[str, str]]:
    found = []
    for manual in MANUALS:
        for block in _BLOCK.findall(manual.read_text()):
            for line in block.splitlines():
                match = _COMMAND.match(line.strip())
                if match:
                    found.append((manual.relative_to(ROOT).as_posix(), match.group(1)))
    return found


LINES = _command_lines()


def test_the_boards_named_exist():
    named = {(m, b) for m, line in LINES for b in re.findall(r"--board ([a-z0-9_]+)", line)}
    assert [(m, b) for m, b in sorted(named) if b not in board_ids()] == []


def test_the_manuals_show_commands():
    assert len(LINES) > 50, LINES


@pytest.mark.parametrize("manual, line", LINES, ids=[f"{m}: host {a}" for m, a in LINES])
def test_command_exists_as_written(manual: str, line: str) -> None:
    argv = shlex.split(line, comments=True)
    assert argv and argv[0] in COMMANDS, f"{manual}: no command host {argv[0] if argv else ''}"
    parser = build_parser(argv[0])
    if "[" in line or "|" in line:
        (commands,) = (a for a in parser._actions if a.dest == "command")
        known = commands.choices[argv[0]]._option_string_actions
        options = re.findall(r"--[a-z0-9-]+", line)
        assert [o for o in options if o not in known] == [], f"{manual}: host {line}"
        return
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            parser.parse_args(argv)
    except SystemExit as exit:
        # --help and --version exit 0; a parse error exits 2
        assert exit.code == 0, f"{manual}: host {line}: {errors.getvalue().strip()}"
