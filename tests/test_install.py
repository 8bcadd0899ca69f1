"""The deploy-only install (README, Quick start): `pip install <clone>`, a regular install
without the `train` extra, in a fresh virtual environment.

It has neither TensorFlow nor tflite_micro, it ships the folders the host reads, and every
command runs from it: its --help, and its main path as far as it goes without a board, the
upstream sources or the train extra, where it stops with `host: <why>` and exit status 1.

One environment for the session; pip's own cache makes a rerun quick. The clone's files are
copied first, so that pip sees what a fresh clone has (no build/ or egg-info left behind) and
writes nothing into the repository. The cache ($TINYML_MPY_CACHE) is an empty folder: no
command finds sources, so none builds anything.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from host import __version__
from host.cli import COMMANDS
from host.paths import CACHE_ENV

ROOT = Path(__file__).resolve().parent.parent
# What a fresh clone lacks: git's and the tools' folders, and what installs and builds leave.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"
)
# The project's own folders that the host reads (host/paths.py): the install must ship them.
PROJECT_FILES = ("boards", "device", "native_modules", "sources.lock")
# What pip prints when it cannot reach the package index.
UNREACHABLE = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeoutError",
    "(from versions: none)",
)
INSTALL_TIMEOUT = 900
COMMAND_TIMEOUT = 120

NO_SOURCES = "sources missing from the cache"
TRAIN_EXTRAS = "needs the training extras"
TRAIN_HINT = "pip install 'tinyml-mpy[train]'"
BOARDS = sorted(p.parent.name for p in (ROOT / "boards").glob("*/board.toml"))


@dataclass(frozen=True)
class Venv:
    dir: Path
    clone: Path
    env: dict[str, str]
    work: Path  # where the commands run: an app folder `app` with main.py and a model

    @property
    def python(self) -> Path:
        return self.dir / "bin" / "python"

    def run(self, *command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            command,
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )

    def host(self, *args: str) -> subprocess.CompletedProcess:
        return self.run(str(self.dir / "bin" / "host"), *args)

    def json_of(self, code: str):
        """What `code`, run by the environment's Python, prints as JSON."""
        result = self.run(str(self.python), "-c", code)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture(scope="session")
def venv(tmp_path_factory) -> Venv:
    base = tmp_path_factory.mktemp("install")
    clone = base / "clone"
    shutil.copytree(ROOT, clone, ignore=NOT_IN_A_CLONE)
    # Nothing of this process's Python may leak in: the commands must find host in the venv.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env[CACHE_ENV] = str(base / "cache")
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, env=env)
    pip = [str(base / "venv" / "bin" / "python"), "-m", "pip", "install", str(clone)]
    try:
        result = subprocess.run(
            pip, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"PyPI cannot be reached: {shlex.join(pip)} ran {INSTALL_TIMEOUT} s")
    if result.returncode != 0:
        output = result.stdout + result.stderr
        found = [sign for sign in UNREACHABLE if sign in output]
        if found:
            pytest.skip(f"PyPI cannot be reached: {shlex.join(pip)} failed: {found[0]}")
        pytest.fail(f"{shlex.join(pip)} failed:\n{output[-3000:]}")
    work = base / "work"
    (work / "app" / "models").mkdir(parents=True)
    (work / "app" / "main.py").write_text('print("hello")\n')
    (work / "app" / "models" / "m.tflite").write_bytes(bytes(64))
    return Venv(base / "venv", clone, env, work)


def test_no_training_packages(venv):
    code = (
        "import importlib.util, json;"
        " print(json.dumps([m for m in ('tensorflow', 'tflite_micro')"
        " if importlib.util.find_spec(m)]))"
    )
    assert venv.json_of(code) == []


def test_installed_with_the_project_files(venv):
    """host comes from the venv, not the clone, with every file of the clone's host package
    and of the project's folders."""
    installed = venv.json_of(
        "import json, host, host.paths as p;"
        " files = lambda root: sorted(str(f.relative_to(root)) for f in root.rglob('*')"
        " if f.is_file() and '__pycache__' not in f.parts);"
        " print(json.dumps({'root': str(p.REPO_ROOT), 'host': files(p.HOST_DIR),"
        " 'project': files(p.REPO_ROOT)}))"
    )
    root = Path(installed["root"])
    assert root.is_relative_to(venv.dir), root

    def files(top: Path) -> set[str]:
        return {str(f.relative_to(top)) for f in top.rglob("*") if f.is_file()}

    assert files(venv.clone / "host") - set(installed["host"]) == set()
    clone_project = set()
    for name in PROJECT_FILES:
        path = venv.clone / name
        clone_project |= {str(Path(name) / f) for f in files(path)} if path.is_dir() else {name}
    assert clone_project - set(installed["project"]) == set()


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help(venv, command):
    result = venv.host(*([command] if command else []), "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: host {command}".rstrip()), result.stdout
    assert "Traceback" not in result.stderr


def test_python_m_host(venv):
    result = venv.run(str(venv.python), "-m", "host", "--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"host {__version__}"), result.stderr


# (arguments, exit status, what the output says). Every exit status 1 but `setup --check`'s
# (a report) is an error: a line `host: <why>`.
MAIN_PATHS = [
    (["--version"], 0, f"host {__version__}"),
    (["romfs", "app", "-o", "rom.img"], 0, "rom.img: "),
    (["setup", "--check"], 1, "missing  -> host setup"),
    (["build"], 1, NO_SOURCES),
    (["build", "--board", "nope"], 1, f"unknown board nope (known: {', '.join(BOARDS)})"),
    (["build", "--board", "rpi_pico"], 1, NO_SOURCES),
    (["flash", "--board", "rpi_pico"], 1, NO_SOURCES),
    (["flash", "--board", "rpi_pico", "--firmware", "none.uf2"], 1, "no such firmware file"),
    (["flash", "--board", "unix"], 1, "nothing to flash"),
    (["run", "app/main.py"], 1, NO_SOURCES),
    (["run", "app/main.py", "--board", "qemu_m4", "--rom", "app/models"], 1, NO_SOURCES),
    (["repl", "--rom", "app/models"], 1, NO_SOURCES),
    (["deploy", "app", "--board", "rpi_pico"], 1, NO_SOURCES),
    (["deploy", "app", "--board", "unix"], 1, "unix has no filesystem"),
    # mpremote runs, and finds no board on the port.
    (["deploy", "app", "--port", "no-such-tty"], 1, "failed to access no-such-tty"),
    (["deploy", "--rollback", "--port", "no-such-tty"], 1, "failed to access no-such-tty"),
    # bench reads the model's MACs with tflite_micro's schema (host.tflite_model): it says so
    # before building or running anything.
    (["bench", "app/models/m.tflite"], 1, TRAIN_EXTRAS),
    (["inspect", "app/models/m.tflite"], 1, TRAIN_EXTRAS),
    (["train", "sine", "-o", "models"], 1, TRAIN_EXTRAS),
    (["demo"], 1, TRAIN_EXTRAS),
]


@pytest.mark.parametrize(
    "args, status, says", MAIN_PATHS, ids=[" ".join(case[0]) for case in MAIN_PATHS]
)
def test_main_path(venv, args, status, says):
    result = venv.host(*args)
    output = result.stdout + result.stderr
    assert result.returncode == status, output
    assert says in output
    assert "Traceback" not in output
    if status and args[:2] != ["setup", "--check"]:
        assert any(line.startswith("host: ") for line in result.stderr.splitlines()), output
    if says == TRAIN_EXTRAS:
        assert TRAIN_HINT in result.stderr
