"""`host deploy APP`: an app folder to a board, hash-skipped, switched in one atomic step.

An app is a folder: `main.py`, optional `lib/` (its modules), optional `models/` (NAME.tflite
with its NAME.json sidecar from `host train`, or a bare .tflite). On the board:

    /main.py                 the launcher: `import tinyml.app; tinyml.app.main()`
    /apps/a, /apps/b         two app slots: the active app and the one before it
    /apps/<slot>/manifest.json   the sha256 of every file of the slot, and of the ROMFS image
    /apps/ACTIVE             the active slot, then the previous one while the new app is on
                             trial (see device/tinyml/app.py)
    /apps/ROM                the sha256 of the ROMFS image, written once it is whole (read
                             only where the ROM is not memory-mapped: else its image is hashed)
    /rom                     models/ as a ROMFS image, 16-byte aligned (host/romfs.py)

A deploy costs two mpremote connections: one exec that describes the board (firmware,
operators, ROMFS size, free heap, the sha256 of each file it holds, computed there), then one
chain of commands that sends only what differs, writes the new slot beside the active one and
switches to it by renaming a file. The board is then soft-reset so the launcher runs the app.

Only the standard library and mpremote are imported: deploying needs no TensorFlow.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from host import romfs
from host.errors import CommandError
from host.ops import resolver_name

APPS = "/apps"
SLOTS = ("a", "b")
MANIFEST = "manifest.json"
LAUNCHER = "import tinyml.app\ntinyml.app.main()\n"
_REPLY = "TINYML-DEPLOY "
MPREMOTE_TIMEOUT = 900
REPL_PROMPT = "\n>>> "  # what the board prints once main.py has ended

# Sent with `mpremote exec`: prints one JSON line describing the board, every sha256
# computed on the board itself from the bytes it holds.
DESCRIBE = r"""
import gc, json, os, binascii, hashlib
def _sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while True:
            b = f.read(1024)
            if not b:
                break
            h.update(b)
    return binascii.hexlify(h.digest()).decode()
def _sha_of(buf):
    return binascii.hexlify(hashlib.sha256(buf).digest()).decode()
def _walk(d, pre, out):
    for e in os.ilistdir(d):
        if e[1] & 0x4000:
            _walk(d + "/" + e[0], pre + e[0] + "/", out)
        else:
            out[pre + e[0]] = _sha(d + "/" + e[0])
r = {"files": {}, "active": None, "previous": None, "manifest": None}
for s in "ab":
    r["files"][s] = {}
    try:
        _walk("/apps/" + s, "", r["files"][s])
    except OSError:
        pass
try:
    n = open("/apps/ACTIVE").read().split()
    r["active"] = n[0]
    r["previous"] = n[1] if len(n) > 1 else None
    r["manifest"] = json.load(open("/apps/%s/manifest.json" % n[0]))
except (OSError, ValueError, IndexError):
    pass
try:
    r["launcher"] = _sha("/main.py")
except OSError:
    r["launcher"] = None
try:
    import tinyml._board
    r["board"] = tinyml._board.ID
except ImportError:
    r["board"] = None
try:
    import tinyml.app
    r["app_module"] = True
except ImportError:
    r["app_module"] = False
try:
    import tinyml
    r["version"] = tinyml.version
    import _tflm
    r["ops"] = list(_tflm.ops())
except (ImportError, AttributeError):
    r["version"] = None
    r["ops"] = None
r["rom_bytes"] = 0
try:
    import vfs
    if vfs.rom_ioctl(1) > 0:
        d = vfs.rom_ioctl(2, 0)
        if hasattr(d, "ioctl"):
            r["rom_bytes"] = d.ioctl(4, 0) * d.ioctl(5, 0)
        elif not isinstance(d, int):
            r["rom_bytes"] = len(d)
        if r["rom_bytes"]:
            # Hash the image the ROM holds (its length is in its header), not a record of
            # it: a cut write or a change made by hand is seen as it is.
            m = memoryview(d)
            r["rom"] = None
            if bytes(m[:3]) == b"\xd2\xcd\x31":
                n, i = 0, 3
                while True:
                    n = (n << 7) | (m[i] & 0x7F)
                    i += 1
                    if not m[i - 1] & 0x80:
                        break
                if i + n <= len(m):
                    r["rom"] = _sha_of(m[:i + n])
except (ImportError, AttributeError, OSError, TypeError):
    pass
if "rom" not in r:
    # A ROM that is not memory-mapped: the record the last whole write left.
    try:
        r["rom"] = open("/apps/ROM").read().strip() or None
    except OSError:
        r["rom"] = None
gc.collect()
r["heap_free"] = gc.mem_free()
print("TINYML-DEPLOY " + json.dumps(r))
"""

# Helpers the board-side steps below share, prefixed to each.
_BOARD_HELPERS = r"""
import os, json
def _mk(p):
    try:
        os.mkdir(p)
    except OSError:
        pass
def _put(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)
"""


@dataclass(frozen=True)
class BoardState:
    """What the board said about itself before anything was written."""

    board_id: str | None
    version: str | None
    ops: frozenset[str] | None  # the operators its firmware registers; None: no _tflm
    rom_bytes: int  # its ROMFS partition; 0: none
    heap_free: int
    active: str | None  # the active slot, None before the first deploy
    previous: str | None  # the slot kept while the active app is on trial
    manifest: dict | None  # the active slot's deploy manifest
    rom_sha256: str | None  # the ROMFS image the board holds
    files: dict[str, dict[str, str]]  # slot -> relative path -> sha256, hashed on the board
    launcher: str | None  # sha256 of /main.py
    has_app_module: bool  # the firmware freezes tinyml.app

    @classmethod
    def from_reply(cls, reply: dict) -> BoardState:
        return cls(
            board_id=reply.get("board"),
            version=reply.get("version"),
            ops=None if reply.get("ops") is None else frozenset(reply["ops"]),
            rom_bytes=int(reply.get("rom_bytes") or 0),
            heap_free=int(reply.get("heap_free") or 0),
            active=reply.get("active"),
            previous=reply.get("previous"),
            manifest=reply.get("manifest"),
            rom_sha256=reply.get("rom"),
            files=reply.get("files") or {},
            launcher=reply.get("launcher"),
            has_app_module=bool(reply.get("app_module")),
        )


@dataclass(frozen=True)
class ModelFile:
    path: Path
    sidecar: dict | None  # NAME.json beside it, if any


@dataclass(frozen=True)
class App:
    """An app folder, read and hashed on the host."""

    folder: Path
    code: dict[str, Path]  # relative path on the board -> local file
    hashes: dict[str, str]  # relative path -> sha256
    models: tuple[ModelFile, ...]
    image: bytes | None  # the ROMFS image of models/, None if there is none

    @property
    def image_sha256(self) -> str | None:
        return hashlib.sha256(self.image).hexdigest() if self.image is not None else None


@dataclass(frozen=True)
class Plan:
    """What a deploy writes: nothing at all when the board already runs this app."""

    slot: str  # the slot the app runs from after the deploy
    send: tuple[str, ...]  # files whose bytes go over the link
    copy: tuple[str, ...]  # files copied on the board from the active slot
    keep: tuple[str, ...]  # files the slot already holds
    delete: tuple[str, ...]  # stale files of the slot
    write_rom: bool
    switch: bool  # the slot changes (else the code is already active)
    write_launcher: bool

    @property
    def writes_anything(self) -> bool:
        return bool(
            self.send
            or self.copy
            or self.delete
            or self.write_rom
            or self.switch
            or self.write_launcher
        )


@dataclass
class DeployResult:
    board_id: str | None
    slot: str
    files_sent: int = 0
    files_skipped: int = 0
    bytes_sent: int = 0
    rom_written: bool = False
    round_trips: int = 0  # mpremote commands (exec, cp, romfs deploy) and the reset
    connections: int = 0  # mpremote processes
    seconds: float = 0.0
    output: str = ""  # what the app printed after the reset (see watch_seconds)
    plan: Plan | None = field(default=None, repr=False)

    def summary(self) -> str:
        rom = "ROMFS image written" if self.rom_written else "ROMFS unchanged"
        return (
            f"deployed to {self.board_id or 'the board'} (slot {self.slot}): "
            f"{self.files_sent} file(s) sent, {self.files_skipped} skipped, {rom}, "
            f"{self.bytes_sent} bytes, {self.round_trips} round trips, "
            f"{self.seconds:.1f} s"
        )


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_app(folder: Path) -> App:
    """The app in `folder`: its code files (main.py, lib/), its models, their ROMFS image."""
    folder = Path(folder)
    if not (folder / "main.py").is_file():
        raise CommandError(f"{folder} is not an app: it has no main.py")
    code = {"main.py": folder / "main.py"}
    lib = folder / "lib"
    if lib.is_dir():
        for path in sorted(lib.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                code[path.relative_to(folder).as_posix()] = path
    models_dir = folder / "models"
    models: list[ModelFile] = []
    image = None
    if models_dir.is_dir():
        for path in sorted(models_dir.glob("*.tflite")):
            sidecar_path = path.with_suffix(".json")
            sidecar = None
            if sidecar_path.is_file():
                try:
                    sidecar = json.loads(sidecar_path.read_text())
                except json.JSONDecodeError as err:
                    raise CommandError(f"{sidecar_path}: not JSON ({err})") from err
                expected = sidecar.get("sha256")
                if expected and expected != sha256_file(path):
                    raise CommandError(
                        f"{path.name} does not match the sha256 of its sidecar"
                        f" {sidecar_path.name}: the board would refuse it;"
                        " train it again or copy the pair together"
                    )
            models.append(ModelFile(path, sidecar))
        image = romfs.build_image(models_dir)
    return App(
        folder=folder,
        code=code,
        hashes={rel: sha256_file(path) for rel, path in code.items()},
        models=tuple(models),
        image=image,
    )


def refusals(app: App, board: BoardState, board_id: str) -> list[str]:
    """Why `board` cannot run `app`, found before anything is written; [] if it can."""
    problems = []
    if not board.has_app_module:
        problems.append(
            "the firmware on the board has no tinyml.app (the launcher deploy"
            f" needs): flash a tinyml-mpy firmware (host build --board {board_id},"
            " host flash)"
        )
    model_paths = " ".join(str(m.path) for m in app.models)
    build_command = f"host build --board {board_id} --ops-from {model_paths}"
    for model in app.models:
        needed = (model.sidecar or {}).get("ops") or []
        if needed and board.ops is None:
            problems.append(
                f"the firmware on the board has no _tflm module; build one with: {build_command}"
            )
            break
        for op in needed:
            if board.ops is not None and resolver_name(op["name"]) not in board.ops:
                problems.append(
                    f"{model.path.name} needs operator {op['name']} (version"
                    f" {op['version']}), which the board's firmware lacks; build"
                    f" firmware with it: {build_command}"
                )
    if app.image is not None:
        if board.rom_bytes == 0:
            problems.append("the board has no ROMFS partition for models/")
        elif len(app.image) > board.rom_bytes:
            problems.append(
                f"the models' ROMFS image is {len(app.image)} bytes, larger than"
                f" the board's ROMFS partition ({board.rom_bytes} bytes)"
            )
    arenas = {m.path.name: int((m.sidecar or {}).get("arena_bytes") or 0) for m in app.models}
    if sum(arenas.values()) > board.heap_free:
        listed = ", ".join(f"{name} {size}" for name, size in arenas.items() if size)
        problems.append(
            f"the models' arenas need {sum(arenas.values())} bytes ({listed}),"
            f" more than the board's free heap ({board.heap_free} bytes)"
        )
    return problems


def plan_deploy(app: App, board: BoardState) -> Plan:
    """What to write so the board runs `app`: only files whose sha256 it lacks go over the
    link; the new code goes into the slot that is not active, unless it already is the
    active app."""
    active_files = board.files.get(board.active, {}) if board.active else {}
    rom_current = app.image is None or app.image_sha256 == board.rom_sha256
    launcher_current = board.launcher == hashlib.sha256(LAUNCHER.encode()).hexdigest()
    if board.active and _code_files(active_files) == app.hashes:
        return Plan(
            slot=board.active,
            send=(),
            copy=(),
            keep=tuple(app.hashes),
            delete=(),
            write_rom=not rom_current,
            switch=False,
            write_launcher=not launcher_current,
        )
    slot = SLOTS[1] if board.active == SLOTS[0] else SLOTS[0]
    slot_files = board.files.get(slot, {})
    send, copy, keep = [], [], []
    for rel, digest in app.hashes.items():
        if slot_files.get(rel) == digest:
            keep.append(rel)
        elif active_files.get(rel) == digest:
            copy.append(rel)
        else:
            send.append(rel)
    delete = sorted(set(_code_files(slot_files)) - set(app.hashes))
    return Plan(
        slot=slot,
        send=tuple(send),
        copy=tuple(copy),
        keep=tuple(keep),
        delete=tuple(delete),
        write_rom=not rom_current,
        switch=True,
        write_launcher=not launcher_current,
    )


def _code_files(files: dict[str, str]) -> dict[str, str]:
    return {rel: digest for rel, digest in files.items() if rel != MANIFEST}


class Board:
    """mpremote on one board, counting what crosses the link."""

    def __init__(self, transport):
        self.transport = transport
        self.round_trips = 0
        self.connections = 0

    def chain(self, commands: list[list[str]]) -> str:
        """Run mpremote commands in one connection (joined with `+`); their output."""
        args: list[str] = []
        for command in commands:
            args += ([] if not args else ["+"]) + command
        self.connections += 1
        self.round_trips += len(commands)
        result = self.transport.mpremote(*args, timeout=MPREMOTE_TIMEOUT)
        if result.returncode != 0:
            raise CommandError(
                f"mpremote {' '.join(commands[-1][:2])} failed on"
                f" {self.transport.port}:\n{result.stdout}{result.stderr}".rstrip()
            )
        return result.stdout

    def describe(self) -> BoardState:
        output = self.chain([["exec", DESCRIBE]])
        for line in output.splitlines():
            if line.startswith(_REPLY):
                return BoardState.from_reply(json.loads(line[len(_REPLY) :]))
        raise CommandError(
            f"the board on {self.transport.port} did not describe itself:\n" + output[-2000:]
        )


def _prepare_code(plan: Plan, board: BoardState) -> str:
    """Board code that readies the slot: folders made, stale files removed, files the active
    slot holds copied there, and the slot's manifest removed until it is complete."""
    folder = f"{APPS}/{plan.slot}"
    dirs = sorted(
        {str(Path(rel).parent) for rel in plan.send + plan.copy} - {"."},
        key=lambda d: d.count("/"),
    )
    lines = [_BOARD_HELPERS, f"_mk({APPS!r})", f"_mk({folder!r})"]
    if plan.switch:
        manifest = f"{folder}/{MANIFEST}"
        lines.append(f"try:\n    os.remove({manifest!r})\nexcept OSError:\n    pass")
    lines += [f"_mk({folder + '/' + d!r})" for d in dirs]
    lines += [f"os.remove({folder + '/' + rel!r})" for rel in plan.delete]
    if plan.copy:
        source = f"{APPS}/{board.active}/"
        lines.append(
            f"for _rel in {list(plan.copy)!r}:\n"
            f"    with open({source!r} + _rel, 'rb') as _src,"
            f" open({folder + '/'!r} + _rel, 'wb') as _dst:\n"
            "        while True:\n"
            "            _b = _src.read(1024)\n"
            "            if not _b:\n"
            "                break\n"
            "            _dst.write(_b)"
        )
    if plan.write_rom:
        # The ROM is about to be rewritten: a cut write must not pass for the old image.
        lines.append(f"try:\n    os.remove({APPS + '/ROM'!r})\nexcept OSError:\n    pass")
    if plan.write_launcher:
        lines.append(f"_put('/main.py', {LAUNCHER!r})")
    return "\n".join(lines) + "\n"


def _switch_code(plan: Plan, board: BoardState, manifest: dict) -> str:
    """Board code that records the ROM's and the slot's manifests, then makes the slot
    active: the ACTIVE rename is the one step that changes which app runs."""
    folder = f"{APPS}/{plan.slot}"
    lines = [_BOARD_HELPERS, f"_put({folder + '/' + MANIFEST!r}, {json.dumps(manifest)!r})"]
    if plan.write_rom:
        lines.append(f"_put({APPS + '/ROM'!r}, {manifest['rom']!r})")
    if plan.switch:
        active = plan.slot if board.active is None else f"{plan.slot} {board.active}"
        lines.append(f"_put({APPS + '/ACTIVE'!r}, {active!r})")
    return "\n".join(lines) + "\n"


def _manifest(app: App, board: BoardState) -> dict:
    return {
        "app": app.folder.resolve().name,
        "files": dict(app.hashes),
        "rom": app.image_sha256 if app.image is not None else board.rom_sha256,
        "models": {m.path.name: sha256_file(m.path) for m in app.models},
    }


def deploy_to(
    transport,
    app_folder: Path,
    *,
    board_id: str | None = None,
    log: Callable[[str], None] = print,
    reset: bool = True,
    watch_seconds: float = 0.0,
    follow: bool = False,
    until: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> DeployResult:
    """Deploy the app in `app_folder` through an mpremote transport (see host/transport.py).

    Refuses, before writing anything, an app the board cannot run. After the deploy the
    board is soft-reset (unless `reset` is False) and what it prints is collected for
    `watch_seconds` or until it prints `until` (with `follow`: until Ctrl-C or until
    `stop()` is true, echoed as it comes).
    """
    started = time.monotonic()
    app = read_app(app_folder)
    board = Board(transport)
    state = board.describe()
    board_id = board_id or state.board_id or "BOARD"
    if state.board_id and board_id != state.board_id:
        raise CommandError(
            f"the board on {transport.port} runs firmware for {state.board_id},"
            f" not {board_id}: pass --board {state.board_id}"
        )
    problems = refusals(app, state, board_id)
    if problems:
        raise CommandError("nothing was written:\n  " + "\n  ".join(problems))
    plan = plan_deploy(app, state)
    result = DeployResult(
        board_id=state.board_id,
        slot=plan.slot,
        plan=plan,
        files_skipped=len(plan.keep) + len(plan.copy),
    )
    if plan.writes_anything:
        commands = [["exec", _prepare_code(plan, state)]]
        for rel in plan.send:
            size = app.code[rel].stat().st_size
            log(f"  {rel}: {size} bytes")
            commands.append(["fs", "cp", str(app.code[rel]), f":{APPS}/{plan.slot}/{rel}"])
            result.bytes_sent += size
        result.files_sent = len(plan.send)
        with tempfile.TemporaryDirectory() as tmp:
            if plan.write_rom:
                # mpremote writes a file ending in .romfs as it is, any other path it packs.
                image = Path(tmp) / "models.romfs"
                image.write_bytes(app.image)
                log(f"  ROMFS image: {len(app.image)} bytes")
                commands.append(["romfs", "deploy", str(image)])
                result.bytes_sent += len(app.image)
                result.rom_written = True
            commands.append(["exec", _switch_code(plan, state, _manifest(app, state))])
            board.chain(commands)
    result.round_trips = board.round_trips + int(reset)
    result.connections = board.connections
    result.seconds = time.monotonic() - started
    if follow:
        # The summary first: what follows is the board's own output, until Ctrl-C.
        log(result.summary())
    if reset:
        result.output = soft_reset(transport.port, watch_seconds, follow, until, stop)
    return result


ROLLBACK = (
    _BOARD_HELPERS
    + r"""
try:
    n = open("/apps/ACTIVE").read().split()
except OSError:
    n = []
if not n:
    print("TINYML-DEPLOY none")
else:
    o = n[1] if len(n) > 1 else ("b" if n[0] == "a" else "a")
    try:
        os.stat("/apps/%s/manifest.json" % o)
        _put("/apps/ACTIVE", o)
        print("TINYML-DEPLOY %s %s" % (n[0], o))
    except OSError:
        print("TINYML-DEPLOY none")
"""
)


def rollback_to(
    transport,
    *,
    reset: bool = True,
    watch_seconds: float = 0.0,
    follow: bool = False,
    until: str | None = None,
) -> tuple[str, str]:
    """Make the previous app active again; (the slot left, the slot now active)."""
    output = Board(transport).chain([["exec", ROLLBACK]])
    words = next(
        (line.split()[1:] for line in output.splitlines() if line.startswith(_REPLY)), ["none"]
    )
    if words == ["none"]:
        raise CommandError("the board has no previous app to go back to")
    if reset:
        soft_reset(transport.port, watch_seconds, follow, until)
    return words[0], words[1]


def soft_reset(
    port: str,
    watch_seconds: float = 0.0,
    follow: bool = False,
    until: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> str:
    """Soft-reset the board from its friendly REPL, which then runs boot.py and main.py (a
    reset from mpremote's raw REPL would not); what the board printed in `watch_seconds`,
    or until it printed `until` (REPL_PROMPT: main.py has ended).

    mpremote has no command that leaves the board running main.py, so this writes the REPL's
    control characters on the port itself, with pyserial (mpremote's own dependency).
    """
    import serial

    try:
        link = serial.serial_for_url(_serial_device(port), baudrate=115200, timeout=0.1)
    except (serial.SerialException, ValueError) as err:
        raise CommandError(f"cannot open {port} to reset the board: {err}") from err
    chunks = []
    try:
        # Ctrl-C stops whatever runs, Ctrl-B leaves a raw REPL, Ctrl-D soft-resets.
        link.write(b"\r\x03\x03\x02")
        time.sleep(0.2)
        link.reset_input_buffer()
        link.write(b"\x04")
        deadline = time.monotonic() + watch_seconds
        while follow or time.monotonic() < deadline:
            data = link.read(4096)
            if data:
                text = data.decode(errors="replace").replace("\r\n", "\n")
                chunks.append(text)
                if follow:
                    sys.stdout.write(text)
                    sys.stdout.flush()
                if until and until in "".join(chunks):
                    break
            if stop is not None and stop():
                break
    except KeyboardInterrupt:
        pass
    finally:
        link.close()
    return "".join(chunks)


def _serial_device(port: str) -> str:
    """The device (or pyserial URL) that mpremote's `connect PORT` opens."""
    from serial.tools import list_ports

    if port == "auto" or port.startswith("id:"):
        for found in sorted(list_ports.comports()):
            if port == "auto" and found.vid is not None and found.pid is not None:
                return found.device
            if port == f"id:{found.serial_number}":
                return found.device
        raise CommandError(f"no serial device matches {port}")
    return port.removeprefix("port:")


def deploy(
    app: Path,
    board_id: str | None = None,
    port: str | None = None,
    *,
    follow: bool = False,
    firmware=None,
    log: Callable[[str], None] = print,
    stop: Callable[[], bool] | None = None,
) -> DeployResult:
    """Deploy the app folder `app` to board `board_id` on `port` (else its emulator)."""
    with _connect(board_id, port, firmware) as transport:
        return deploy_to(transport, app, board_id=board_id, log=log, follow=follow, stop=stop)


def app_signature(app: Path) -> tuple:
    """What changes when a file of the app folder is saved: each file's path, size and time."""
    signature = []
    for path in sorted(Path(app).rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            signature.append((str(path.relative_to(app)), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


class AppChanges:
    """`changes()` is true once a file of the app folder differs from when it was made;
    it looks at the files at most every `poll_seconds`."""

    def __init__(self, app: Path, poll_seconds: float):
        self.app = app
        self.poll_seconds = poll_seconds
        self.seen = app_signature(app)
        self.checked = time.monotonic()

    def __call__(self) -> bool:
        if time.monotonic() - self.checked < self.poll_seconds:
            return False
        self.checked = time.monotonic()
        return app_signature(self.app) != self.seen


def watch(
    app: Path,
    board_id: str | None,
    port: str | None,
    *,
    poll_seconds: float = 0.5,
    log: Callable[[str], None] = print,
) -> None:
    """Deploy, show the board's output, and deploy again each time a file of the app changes,
    until Ctrl-C. A deploy that fails is reported and tried again at the next change."""
    while True:
        changes = AppChanges(app, poll_seconds)
        try:
            deploy(app, board_id, port, follow=True, log=log, stop=changes)
        except CommandError as err:
            log(f"host: {err}")
            while not changes():
                time.sleep(poll_seconds)
        if app_signature(app) == changes.seen:
            return  # the board's output ended with Ctrl-C, not with a change
        log(f"-- {app}: a file changed, deploying again")


# USB vendors of the serial ports `--all` deploys to: Raspberry Pi (the Picos' own USB),
# Espressif (the S2/S3/C3's USB), and the USB-serial chips of ESP32 boards (Silicon Labs
# CP210x, WCH CH340, FTDI).
BOARD_USB_VENDORS = (0x2E8A, 0x303A, 0x10C4, 0x1A86, 0x0403)


def board_ports() -> list[str]:
    """The serial ports on which a board of a vendor in BOARD_USB_VENDORS is connected."""
    from serial.tools import list_ports

    return sorted(p.device for p in list_ports.comports() if p.vid in BOARD_USB_VENDORS)


def deploy_many(
    app: Path,
    board_id: str | None,
    ports: list[str],
    *,
    firmware=None,
    log: Callable[[str], None] = print,
) -> dict[str, DeployResult | CommandError]:
    """Deploy `app` to the boards on `ports` at once, a thread each (each waits on its own
    serial line); every line logged starts with its port. A board that fails does not stop
    the others: its entry is the error."""
    results: dict[str, DeployResult | CommandError] = {}
    lock = threading.Lock()

    def one(port: str) -> None:
        def prefixed(line: str) -> None:
            with lock:
                log(f"[{port}] {line}")

        try:
            results[port] = deploy(app, board_id, port, firmware=firmware, log=prefixed)
        except CommandError as err:
            results[port] = err

    threads = [threading.Thread(target=one, args=(port,)) for port in ports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {port: results[port] for port in ports}


def _connect(board_id: str | None, port: str | None, firmware):
    """An mpremote transport to the board; the simulator, which has none, is refused before
    anything is built or started."""
    from host.boards import load_board
    from host.transport import SerialTransport, connect

    if port:
        # Without --board the board names itself (tinyml._board.ID) when described.
        return SerialTransport(load_board(board_id) if board_id else None, port)
    if not board_id:
        raise CommandError(
            "pass --port P (a board on a serial port) or --board B (an emulated board)"
        )
    if not load_board(board_id).filesystem_bytes:
        raise CommandError(
            f"{board_id} has no filesystem for deploy to write an app to: run a"
            f" script there with host run SCRIPT --board {board_id} --rom MODELS"
        )
    return connect(board_id, firmware=firmware)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "app", type=Path, nargs="?", help="the app folder: main.py, optional lib/ and models/"
    )
    parser.add_argument("--board", help="board id (default: the one the board reports)")
    parser.add_argument(
        "--port",
        action="append",
        help="the board's serial port, e.g. /dev/ttyACM0; repeat it to deploy to several"
        " boards at once",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="deploy to every board on a serial port (Pico, ESP32 USB and USB-serial chips)",
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="after the reset, stream the board's output until Ctrl-C",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="show the board's output and deploy again whenever a file of the app is saved,"
        " until Ctrl-C",
    )
    parser.add_argument(
        "--rollback",
        action="store_true",
        help="switch back to the previous app instead of deploying",
    )


def run(args: argparse.Namespace) -> int:
    ports = list(args.port or [])
    if args.all:
        ports += [port for port in board_ports() if port not in ports]
        if not ports:
            raise CommandError("--all: no board on a serial port; connect one or pass --port")
    if len(ports) > 1 and (args.follow or args.rollback or args.watch):
        raise CommandError("--follow, --watch and --rollback take one board: pass one --port")
    port = ports[0] if ports else None
    if args.rollback:
        with _connect(args.board, port, None) as transport:
            left, active = rollback_to(transport, follow=args.follow)
        print(f"rolled back: slot {active} is active again (slot {left} kept)")
        return 0
    if args.app is None:
        raise CommandError("name the app folder to deploy (or pass --rollback)")
    if args.watch:
        watch(args.app, args.board, port)
        return 0
    if len(ports) > 1:
        results = deploy_many(args.app, args.board, ports)
        for port, result in results.items():
            print(f"[{port}] {result.summary() if isinstance(result, DeployResult) else 'failed'}")
        failed = [port for port, result in results.items() if isinstance(result, CommandError)]
        if failed:
            raise CommandError(
                f"deploy failed on {len(failed)} of {len(ports)} boards:\n"
                + "\n".join(f"[{port}] {results[port]}" for port in failed)
            )
        return 0
    result = deploy(args.app, args.board, port, follow=args.follow)
    if not args.follow:
        print(result.summary())
    return 0
