"""`host deploy APP`: an app folder to a board, hash-skipped, switched in one atomic step.

An app is a folder: `main.py`, optional `lib/` (its modules), optional `models/` (NAME.tflite
with its NAME.json sidecar from `host train`, or a bare .tflite). On the board:

    /main.py                 the launcher: `import tinyml.app; tinyml.app.main()`
    /apps/a, /apps/b         two app slots: the active app and the one before it
    /apps/<slot>/manifest.json   the sha256 of every file of the slot and of its models'
                             ROMFS image, the ROMFS segment holding it, when it was issued
    /apps/<slot>/manifest.sig    its HMAC-SHA256 (--sign), on a board given a key (--provision)
    /apps/ACTIVE             the active slot, then the previous one while the new app is on
                             trial (see device/tinyml/app.py)
    /apps/KEY, /apps/ISSUED  the board's key, and the time of the last signed manifest it took
    /rom                     models/ as a ROMFS image, 16-byte aligned (host/romfs.py), in the
                             ROMFS segment the active app's manifest names (a board with two
                             segments keeps the active app's models whole while new ones are
                             written to the other)

A deploy costs two mpremote connections: one exec that describes the board (firmware,
operators, ROMFS size, free heap, the sha256 of each file it holds, computed there), then one
chain of commands that sends only what differs, writes the new slot beside the active one and
has the firmware's `tinyml.app.commit` check it and switch to it by renaming a file. The board
is then soft-reset so the launcher runs the app.

Only the standard library and mpremote are imported: deploying needs no TensorFlow.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
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
SIGNATURE = "manifest.sig"  # the manifest's HMAC-SHA256, hex, on a board with a key
LAUNCHER = "import tinyml.app\ntinyml.app.main()\n"
_REPLY = "TINYML-DEPLOY "
MPREMOTE_TIMEOUT = 900
REPL_PROMPT = "\n>>> "  # what the board prints once main.py has ended
PROMPT_SECONDS = 30  # for the REPL's prompt after Ctrl-C, on a slow (emulated) board

# Sent with `mpremote exec`: prints one JSON line describing the board, every sha256
# computed on the board itself (by the firmware's tinyml.app) from the bytes it holds.
DESCRIBE = r"""
import gc, json, os
r = {"files": {}, "manifests": {}, "roms": []}
try:
    import tinyml._board
    r["board"] = tinyml._board.ID
except ImportError:
    r["board"] = None
try:
    import tinyml, _tflm
    r["version"] = tinyml.version
    r["ops"] = list(_tflm.ops())
except (ImportError, AttributeError):
    pass
try:
    import tinyml.app as A
    r["app_module"] = True
except ImportError:
    A = None
if A:
    def _walk(d, pre, out):
        for e in os.ilistdir(d):
            if e[1] & 0x4000:
                _walk(d + "/" + e[0], pre + e[0] + "/", out)
            else:
                out[pre + e[0]] = A.file_sha256(d + "/" + e[0])
    for s in "ab":
        r["files"][s] = {}
        try:
            _walk("/apps/" + s, "", r["files"][s])
        except OSError:
            pass
        r["manifests"][s] = A.manifest(s)
    r["active"], r["previous"] = A.state()
    try:
        r["launcher"] = A.file_sha256("/main.py")
    except OSError:
        r["launcher"] = None
    r["keyed"] = A.has_key()
    import vfs
    for i in range(A.rom_segments()):
        r["roms"].append(A.rom_sha256(i))
        d = vfs.rom_ioctl(2, i)
        n = d.ioctl(4, 0) * d.ioctl(5, 0) if hasattr(d, "ioctl") else len(d)
        r["rom_bytes"] = min(r.get("rom_bytes", n), n)
gc.collect()
r["heap_free"] = gc.mem_free()
print("TINYML-DEPLOY " + json.dumps(r))
"""

# Helpers the board-side steps below share, prefixed to each (the firmware's tinyml.app writes
# a file in one step).
_BOARD_HELPERS = r"""
import os
from tinyml.app import replace_file as _put
def _mk(p):
    try:
        os.mkdir(p)
    except OSError:
        pass
"""


@dataclass(frozen=True)
class BoardState:
    """What the board said about itself before anything was written."""

    board_id: str | None
    version: str | None
    ops: frozenset[str] | None  # the operators its firmware registers; None: no _tflm
    rom_bytes: int  # the largest models image: one ROMFS segment; 0: no ROMFS
    heap_free: int
    active: str | None  # the active slot, None before the first deploy
    previous: str | None  # the slot kept while the active app is on trial
    manifests: dict[str, dict | None]  # slot -> its deploy manifest (None: none, or cut)
    roms: tuple[str | None, ...]  # the sha256 of each ROMFS segment's image (None: no whole one)
    files: dict[str, dict[str, str]]  # slot -> relative path -> sha256, hashed on the board
    launcher: str | None  # sha256 of /main.py
    has_app_module: bool  # the firmware freezes tinyml.app
    keyed: bool = False  # the board has a key: it accepts signed apps only

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
            manifests=reply.get("manifests") or {},
            roms=tuple(reply.get("roms") or ()),
            files=reply.get("files") or {},
            launcher=reply.get("launcher"),
            has_app_module=bool(reply.get("app_module")),
            keyed=bool(reply.get("keyed")),
        )

    @property
    def manifest(self) -> dict | None:
        """The active app's manifest."""
        return self.manifests.get(self.active) if self.active else None


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
    rom_segment: int | None  # the ROMFS segment of the app's models (None: it has none)
    write_rom: bool  # the models' image goes into rom_segment
    switch: bool  # the slot changes (else the app is already the active one)
    write_launcher: bool

    @property
    def writes_anything(self) -> bool:
        return self.switch or self.write_launcher


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
            segments = f", one of its {len(board.roms)} segments" if len(board.roms) > 1 else ""
            problems.append(
                f"the models' ROMFS image is {len(app.image)} bytes, larger than"
                f" the board's ROMFS partition ({board.rom_bytes} bytes{segments})"
            )
    arenas = {m.path.name: int((m.sidecar or {}).get("arena_bytes") or 0) for m in app.models}
    if sum(arenas.values()) > board.heap_free:
        listed = ", ".join(f"{name} {size}" for name, size in arenas.items() if size)
        problems.append(
            f"the models' arenas need {sum(arenas.values())} bytes ({listed}),"
            f" more than the board's free heap ({board.heap_free} bytes)"
        )
    return problems


def plan_deploy(app: App, board: BoardState, key: bytes | None = None) -> Plan:
    """What to write so the board runs `app`, signed with `key` if given: the app goes into
    the slot that is not active, its models into a ROMFS segment the active app does not use,
    and only files whose sha256 the board lacks go over the link. Nothing the active app uses
    is written before the switch, so a deploy cut at any point leaves the old app whole."""
    active_files = board.files.get(board.active, {}) if board.active else {}
    active_segment = (board.manifest or {}).get("rom_segment")
    launcher_current = board.launcher == hashlib.sha256(LAUNCHER.encode()).hexdigest()
    image = app.image_sha256
    if (
        board.active
        and _code_files(active_files) == app.hashes
        and (board.manifest or {}).get("files") == app.hashes
        and (board.manifest or {}).get("key") == key_id(key)
        and (image is None or (active_segment is not None and board.roms[active_segment] == image))
    ):
        return Plan(
            slot=board.active,
            send=(),
            copy=(),
            keep=tuple(app.hashes),
            delete=(),
            rom_segment=active_segment if image else None,
            write_rom=False,
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
    segment, write_rom = None, False
    if image is not None:
        # The active app's segment when it holds this image already (the same models);
        # else another one, written unless it holds them.
        if active_segment is not None and board.roms[active_segment] == image:
            segment = active_segment
        else:
            spare = [i for i in range(len(board.roms)) if i != active_segment] or [0]
            segment = next((i for i in spare if board.roms[i] == image), spare[0])
            write_rom = board.roms[segment] != image
    return Plan(
        slot=slot,
        send=tuple(send),
        copy=tuple(copy),
        keep=tuple(keep),
        delete=tuple(delete),
        rom_segment=segment,
        write_rom=write_rom,
        switch=True,
        write_launcher=not launcher_current,
    )


def _code_files(files: dict[str, str]) -> dict[str, str]:
    return {rel: digest for rel, digest in files.items() if rel not in (MANIFEST, SIGNATURE)}


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
            steps = ", ".join(
                " ".join(c[:2]) if c[0] in ("fs", "romfs") else c[0] for c in commands
            )
            raise CommandError(
                f"mpremote failed on {self.transport.port} (running: {steps}):\n"
                f"{result.stdout[-2000:]}{result.stderr[-2000:]}".rstrip()
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
    """Board code that readies the slot: folders made, its manifest and signature removed
    until it is complete, stale files removed, files the active slot holds copied there."""
    folder = f"{APPS}/{plan.slot}"
    dirs = sorted(
        {str(Path(rel).parent) for rel in plan.send + plan.copy} - {"."},
        key=lambda d: d.count("/"),
    )
    lines = [_BOARD_HELPERS, f"_mk({APPS!r})", f"_mk({folder!r})"]
    if plan.switch:
        for name in (MANIFEST, SIGNATURE):
            lines.append(
                f"try:\n    os.remove({folder + '/' + name!r})\nexcept OSError:\n    pass"
            )
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
    if plan.write_launcher:
        lines.append(f"_put('/main.py', {LAUNCHER!r})")
    return "\n".join(lines) + "\n"


def _commit_code(plan: Plan, manifest: str, signature: str | None) -> str:
    """Board code that writes the slot's manifest (and its signature), then has the
    firmware's tinyml.app check the slot against it and make it the app: the ACTIVE rename
    in commit() is the one step that changes which app runs."""
    folder = f"{APPS}/{plan.slot}"
    lines = [_BOARD_HELPERS, f"_put({folder + '/' + MANIFEST!r}, {manifest!r})"]
    if signature:
        lines.append(f"_put({folder + '/' + SIGNATURE!r}, {signature!r})")
    lines.append(
        "import tinyml.app\n"
        "try:\n"
        f"    tinyml.app.commit({plan.slot!r})\n"
        f"    print({_REPLY!r} + 'committed')\n"
        "except ValueError as e:\n"
        f"    print({_REPLY!r} + 'refused ' + str(e))"
    )
    return "\n".join(lines) + "\n"


def key_id(key: bytes | None) -> str | None:
    """What a manifest records of the key that signed it: the start of its sha256, so that
    a deploy with another key is not taken for an unchanged app."""
    return hashlib.sha256(key).hexdigest()[:16] if key else None


def manifest_text(app: App, plan: Plan, key: bytes | None = None) -> str:
    """The slot's deploy manifest, as the board stores it and a signature covers it."""
    record = {
        "key": key_id(key),
        "app": app.folder.resolve().name,
        "files": dict(app.hashes),
        "rom": app.image_sha256,
        "rom_segment": plan.rom_segment,
        "models": {m.path.name: sha256_file(m.path) for m in app.models},
        # A board with a key takes only a manifest issued after the last it accepted.
        "issued": time.time_ns() // 1_000_000,
    }
    return json.dumps(record, sort_keys=True)


def sign(key: bytes, manifest: str) -> str:
    """The manifest's signature: HMAC-SHA256 under the board's key, hex."""
    return hmac.new(key, manifest.encode(), hashlib.sha256).hexdigest()


def read_key(path: Path) -> bytes:
    """A signing key: the bytes of the file `path` (host deploy --provision makes one)."""
    try:
        key = Path(path).read_bytes()
    except OSError as err:
        raise CommandError(f"cannot read the key {path}: {err.strerror}") from err
    if len(key) < 16:
        raise CommandError(f"the key {path} has {len(key)} bytes; a key needs at least 16")
    return key


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
    key: bytes | None = None,
) -> DeployResult:
    """Deploy the app in `app_folder` through an mpremote transport (see host/transport.py),
    its manifest signed with `key` if given.

    Refuses, before writing anything, an app the board cannot run; the board refuses an app
    its key did not sign. After the deploy the
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
    if state.keyed and not key:
        problems.append(
            "the board runs only signed apps: deploy with --sign KEY, the key it was"
            " provisioned with"
        )
    if problems:
        raise CommandError("nothing was written:\n  " + "\n  ".join(problems))
    plan = plan_deploy(app, state, key)
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
                log(f"  ROMFS image: {len(app.image)} bytes (segment {plan.rom_segment})")
                commands.append(
                    ["romfs", "--partition", str(plan.rom_segment), "deploy", str(image)]
                )
                result.bytes_sent += len(app.image)
                result.rom_written = True
            if plan.switch:
                manifest = manifest_text(app, plan, key)
                signature = sign(key, manifest) if key else None
                commands.append(["exec", _commit_code(plan, manifest, signature)])
            output = board.chain(commands)
        refused = next(
            (line for line in output.splitlines() if line.startswith(_REPLY + "refused ")), None
        )
        if refused:
            raise CommandError(
                f"the board kept its app: {refused.removeprefix(_REPLY + 'refused ')}"
            )
    result.round_trips = board.round_trips + int(reset)
    result.connections = board.connections
    result.seconds = time.monotonic() - started
    if follow:
        # The summary first: what follows is the board's own output, until Ctrl-C.
        log(result.summary())
    if reset:
        result.output = soft_reset(transport.port, watch_seconds, follow, until, stop)
    return result


# The previous app becomes the active one, if it is whole (and signed, on a board with a key).
ROLLBACK = r"""
import tinyml.app as A
a, p = A.state()
o = (p or ("b" if a == "a" else "a")) if a else None
why = A.check(o) if o else "none"
if why:
    print("TINYML-DEPLOY none " + why)
else:
    A.switch(o)
    print("TINYML-DEPLOY %s %s" % (a, o))
"""


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
    if words[0] == "none":
        reason = " ".join(words[1:])
        raise CommandError(
            "the board has no previous app to go back to"
            + (f": {reason}" if reason != "none" else "")
        )
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
        # Ctrl-C stops whatever runs, Ctrl-B leaves a raw REPL; once the friendly REPL's
        # prompt shows (a board still starting takes a while to get there: a Ctrl-D before
        # it would be lost), Ctrl-D soft-resets.
        link.reset_input_buffer()
        link.write(b"\r\x03\x03\x02")
        seen = b""
        deadline = time.monotonic() + PROMPT_SECONDS
        while not seen.endswith(b">>> ") and time.monotonic() < deadline:
            seen = (seen + link.read(256))[-16:]
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
    key: bytes | None = None,
) -> DeployResult:
    """Deploy the app folder `app` to board `board_id` on `port` (else its emulator), signed
    with `key` if given."""
    with _connect(board_id, port, firmware) as transport:
        return deploy_to(
            transport, app, board_id=board_id, log=log, follow=follow, stop=stop, key=key
        )


def provision_board(transport, key: bytes, old_key: bytes | None = None) -> None:
    """Give the board the key its apps must then be signed with; a board that has one takes a
    new one only when `old_key` is its key."""
    signature = hmac.new(old_key, key, hashlib.sha256).hexdigest() if old_key else None
    code = (
        "import tinyml.app\n"
        "try:\n"
        f"    tinyml.app.provision({key.hex()!r}, {signature!r})\n"
        f"    print({_REPLY!r} + 'provisioned')\n"
        "except ValueError as e:\n"
        f"    print({_REPLY!r} + 'refused ' + str(e))\n"
    )
    output = Board(transport).chain([["exec", code]])
    if _REPLY + "provisioned" not in output:
        refused = next(
            (line for line in output.splitlines() if line.startswith(_REPLY + "refused ")), None
        )
        reason = refused.removeprefix(_REPLY + "refused ") if refused else output[-2000:]
        raise CommandError(f"the board on {transport.port} kept its key: {reason}")


def make_key(path: Path) -> bytes:
    """The key in `path`; a new random 32-byte key, readable by its owner only, if there is
    no such file."""
    path = Path(path)
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(secrets.token_bytes(32))
        print(
            f"made a new key in {path}: keep it secret; deploys to this board need --sign {path}"
        )
    return read_key(path)


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
    key: bytes | None = None,
) -> None:
    """Deploy, show the board's output, and deploy again each time a file of the app changes,
    until Ctrl-C. A deploy that fails is reported and tried again at the next change."""
    while True:
        changes = AppChanges(app, poll_seconds)
        try:
            deploy(app, board_id, port, follow=True, log=log, stop=changes, key=key)
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
    key: bytes | None = None,
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
            results[port] = deploy(app, board_id, port, firmware=firmware, log=prefixed, key=key)
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
    parser.add_argument(
        "--sign",
        type=Path,
        metavar="KEY",
        help="sign the deploy with the key in this file (a board given a key with --provision"
        " runs only apps signed with it); with --provision, the board's current key",
    )
    parser.add_argument(
        "--provision",
        type=Path,
        metavar="KEY",
        help="give the board the key in this file (made, 32 random bytes, if it does not exist)"
        " instead of deploying; from then on it accepts only apps deployed with --sign KEY",
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
    key = read_key(args.sign) if args.sign else None
    if args.provision:
        new_key = make_key(args.provision)
        for each in ports or [None]:
            with _connect(args.board, each, None) as transport:
                provision_board(transport, new_key, key)
            print(f"{transport.port}: provisioned with the key in {args.provision}")
        return 0
    if args.rollback:
        with _connect(args.board, port, None) as transport:
            left, active = rollback_to(transport, follow=args.follow)
        print(f"rolled back: slot {active} is active again (slot {left} kept)")
        return 0
    if args.app is None:
        raise CommandError("name the app folder to deploy (or pass --rollback)")
    if args.watch:
        watch(args.app, args.board, port, key=key)
        return 0
    if len(ports) > 1:
        results = deploy_many(args.app, args.board, ports, key=key)
        for port, result in results.items():
            print(f"[{port}] {result.summary() if isinstance(result, DeployResult) else 'failed'}")
        failed = [port for port, result in results.items() if isinstance(result, CommandError)]
        if failed:
            raise CommandError(
                f"deploy failed on {len(failed)} of {len(ports)} boards:\n"
                + "\n".join(f"[{port}] {results[port]}" for port in failed)
            )
        return 0
    result = deploy(args.app, args.board, port, follow=args.follow, key=key)
    if not args.follow:
        print(result.summary())
    return 0
