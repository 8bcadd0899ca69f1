"""`host deploy` (host/deploy.py) and the board side it relies on (tinyml.app, Model verify).

The pure parts (reading an app, the plan of what to send, the refusals) run against board
descriptions made here. The whole deploy runs on the emulated Pico (rp2040js, its flash kept
in a file), the one emulated board with a filesystem: the simulator and the QEMU boards have
none for an app to live in, and deploy refuses them before building anything.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import take_ctrl_c

from host import deploy as deploy_module
from host.cli import build_parser
from host.deploy import BoardState, deploy_to, plan_deploy, read_app, refusals
from host.errors import CommandError
from host.train import train

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER_SHA = hashlib.sha256(deploy_module.LAUNCHER.encode()).hexdigest()


def make_app(
    folder: Path,
    main: str = "print('v1')\n",
    *,
    lib: dict | None = None,
    models: dict | None = None,
) -> Path:
    """An app folder: main.py, lib/ files, models/ NAME -> (bytes, sidecar dict or None)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.py").write_text(main)
    for name, text in (lib or {}).items():
        (folder / "lib" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "lib" / name).write_text(text)
    for name, (data, sidecar) in (models or {}).items():
        (folder / "models").mkdir(exist_ok=True)
        (folder / "models" / f"{name}.tflite").write_bytes(data)
        if sidecar is not None:
            recorded = {"sha256": hashlib.sha256(data).hexdigest(), **sidecar}
            (folder / "models" / f"{name}.json").write_text(json.dumps(recorded))
    return folder


def board_state(**changes) -> BoardState:
    """A board as `describe` reports it: a tinyml firmware with nothing deployed yet."""
    facts = {
        "board_id": "rpi_pico",
        "version": "tinyml-mpy test",
        "ops": frozenset({"FULLY_CONNECTED"}),
        "rom_bytes": 4096,
        "heap_free": 100_000,
        "active": None,
        "previous": None,
        "manifests": {},
        "roms": (None, None),
        "files": {"a": {}, "b": {}},
        "launcher": LAUNCHER_SHA,
        "has_app_module": True,
    }
    return BoardState(**{**facts, **changes})


def deployed(app, slot: str = "a", segment: int = 0, **changes) -> BoardState:
    """The board once `app` is the active app in `slot`, its models in ROMFS `segment`."""
    files = {"a": {}, "b": {}}
    files[slot] = {**app.hashes, "manifest.json": "0" * 64}
    roms = [None, None]
    roms[segment] = app.image_sha256
    manifest = {"files": dict(app.hashes), "rom": app.image_sha256, "rom_segment": segment}
    facts = {"active": slot, "files": files, "roms": tuple(roms), "manifests": {slot: manifest}}
    return board_state(**{**facts, **changes})


MODEL = (
    bytes(range(200)),
    {"ops": [{"name": "FULLY_CONNECTED", "version": 4}], "arena_bytes": 2000, "labels": ["x"]},
)


# The pure parts


def test_read_app_collects_code_models_and_an_aligned_image(tmp_path: Path):
    app = read_app(
        make_app(tmp_path / "app", lib={"util.py": "X = 1\n", "pkg/m.py": ""}, models={"m": MODEL})
    )
    assert sorted(app.code) == ["lib/pkg/m.py", "lib/util.py", "main.py"]
    assert [m.path.name for m in app.models] == ["m.tflite"]
    data = app.image
    assert data.startswith(b"\xd2\xcd\x31") and data.find(MODEL[0]) % 16 == 0


def test_read_app_refuses_a_model_whose_sidecar_does_not_match(tmp_path: Path):
    folder = make_app(tmp_path / "app", models={"m": MODEL})
    (folder / "models" / "m.tflite").write_bytes(b"other bytes")
    with pytest.raises(CommandError, match="m.tflite does not match the sha256 of its sidecar"):
        read_app(folder)
    with pytest.raises(CommandError, match="no main.py"):
        read_app(tmp_path)


def test_plan_first_deploy_sends_everything(tmp_path: Path):
    app = read_app(make_app(tmp_path / "app", lib={"util.py": "X = 1\n"}, models={"m": MODEL}))
    plan = plan_deploy(app, board_state(launcher=None))
    assert plan.slot == "a" and plan.switch and plan.write_rom and plan.write_launcher
    assert sorted(plan.send) == ["lib/util.py", "main.py"] and not plan.copy


def test_plan_unchanged_writes_nothing(tmp_path: Path):
    app = read_app(make_app(tmp_path / "app", lib={"util.py": "X = 1\n"}, models={"m": MODEL}))
    plan = plan_deploy(app, deployed(app, "b"))
    assert not plan.writes_anything and plan.slot == "b"


def test_plan_one_changed_file_goes_beside_the_active_app(tmp_path: Path):
    before = read_app(make_app(tmp_path / "v1", lib={"util.py": "X = 1\n"}))
    after = read_app(make_app(tmp_path / "v2", lib={"util.py": "X = 2\n"}))
    plan = plan_deploy(after, deployed(before, "a"))
    # The unchanged main.py is copied on the board from the active slot, not sent again.
    assert (plan.slot, plan.send, plan.copy, plan.switch) == (
        "b",
        ("lib/util.py",),
        ("main.py",),
        True,
    )
    assert not plan.write_rom


def test_plan_spare_slot_stale_files_are_removed_and_matching_ones_kept(tmp_path: Path):
    old = read_app(make_app(tmp_path / "old", lib={"gone.py": ""}))
    active = read_app(make_app(tmp_path / "active", main="print('v3')\n"))
    new = read_app(make_app(tmp_path / "new", main="print('v2')\n"))
    board = board_state(active="b", files={"a": dict(old.hashes), "b": dict(active.hashes)})
    plan = plan_deploy(new, board)
    assert (plan.slot, plan.send, plan.delete) == ("a", ("main.py",), ("lib/gone.py",))
    # Going back to the app the spare slot still holds sends nothing: it is switched to.
    plan = plan_deploy(old, board)
    assert (plan.slot, plan.send, plan.switch) == ("a", (), True)
    assert plan.keep == ("main.py", "lib/gone.py")


def test_plan_a_changed_model_goes_to_the_other_segment_beside_the_active_app(tmp_path: Path):
    before = read_app(make_app(tmp_path / "v1", models={"m": MODEL}))
    after = read_app(make_app(tmp_path / "v2", models={"m": (bytes(300), MODEL[1])}))
    plan = plan_deploy(after, deployed(before, "a", segment=1))
    # The active app and its models stay whole until the switch; the code is copied there.
    assert (plan.slot, plan.rom_segment, plan.write_rom, plan.switch) == ("b", 0, True, True)
    assert (plan.send, plan.copy) == ((), ("main.py",))
    # Back to the first models: the segment that still holds them is switched to, unwritten.
    board = deployed(after, "b", segment=0, roms=(after.image_sha256, before.image_sha256))
    plan = plan_deploy(before, board)
    assert (plan.slot, plan.rom_segment, plan.write_rom) == ("a", 1, False)
    # A board with one segment has no other: the models are written where they were.
    plan = plan_deploy(after, deployed(before, "a", roms=(before.image_sha256,)))
    assert (plan.rom_segment, plan.write_rom) == (0, True)


def test_refusals_name_the_operator_the_partition_and_the_heap(tmp_path: Path):
    needs = {"ops": [{"name": "CONV_2D", "version": 3}], "arena_bytes": 150_000}
    app = read_app(make_app(tmp_path / "app", models={"big": (bytes(8000), needs)}))
    problems = refusals(app, board_state(), "rpi_pico")
    assert len(problems) == 3, problems
    assert "big.tflite needs operator CONV_2D (version 3)" in problems[0]
    command = f"host build --board rpi_pico --ops-from {tmp_path}/app/models/big.tflite"
    assert command in problems[0]
    assert "the board's ROMFS partition (4096 bytes, one of its 2 segments)" in problems[1]
    assert "arenas need 150000 bytes" in problems[2] and "free heap (100000 bytes)" in problems[2]
    assert (
        refusals(
            read_app(make_app(tmp_path / "ok", models={"m": MODEL})), board_state(), "rpi_pico"
        )
        == []
    )
    assert "no tinyml.app" in refusals(app, board_state(has_app_module=False), "x")[0]


class RecordingTransport:
    """Answers `describe` with a board state; records every other mpremote command."""

    port = "fake"

    def __init__(self, reply: dict):
        self.reply = reply
        self.calls: list[tuple[str, ...]] = []

    def mpremote(self, *args: str, timeout=None) -> subprocess.CompletedProcess:
        self.calls.append(args)
        return subprocess.CompletedProcess(args, 0, "TINYML-DEPLOY " + json.dumps(self.reply), "")


def test_a_refused_deploy_sends_only_the_description(tmp_path: Path):
    app = make_app(tmp_path / "app", models={"big": (bytes(8000), None)})
    board = RecordingTransport(
        {
            "board": "rpi_pico",
            "app_module": True,
            "ops": [],
            "rom_bytes": 4096,
            "heap_free": 10_000,
            "files": {},
        }
    )
    with pytest.raises(CommandError, match="nothing was written:\n.*larger than the board's"):
        deploy_to(board, app, board_id="rpi_pico", reset=False)
    assert [call[0] for call in board.calls] == ["exec"]
    assert board.calls[0][1] == deploy_module.DESCRIBE


def test_the_simulator_is_refused_before_anything_is_built(tmp_path: Path):
    with pytest.raises(CommandError, match="unix has no filesystem"):
        deploy_module.deploy(make_app(tmp_path / "app"), "unix")


def test_deploy_imports_no_training_package():
    """The deploy-only install: `host deploy` runs without TensorFlow or tflite_micro."""
    code = (
        "import sys; from host import cli; cli.build_parser('deploy'); import host.deploy;"
        " import host.transport;"
        " print(sorted({m.split('.')[0] for m in sys.modules} & cli.TRAINING_PACKAGES))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


# On the emulated Pico


@pytest.fixture(scope="module")
def pico(tmp_path_factory):
    """A deploy transport to the rpi_pico firmware in rp2040js, on a fresh flash."""
    from conftest import firmware_for

    from host.boards import load_board
    from host.emulators import rp2040js
    from host.transport import MpremoteTransport

    for program in ("node", "npm"):
        if shutil.which(program) is None:
            pytest.skip(f"{program} missing; install it with: {rp2040js.NODE_INSTALL}")
    uf2 = firmware_for("rpi_pico").path
    proc, device = rp2040js.start(uf2, tmp_path_factory.mktemp("pico") / "flash.img")
    yield MpremoteTransport(load_board("rpi_pico"), device)
    rp2040js.stop(proc)


@pytest.fixture(scope="module")
def sine(tmp_path_factory) -> Path:
    """sine.tflite + sine.json from host.train's `train` (its cache makes a rerun a copy)."""
    out = tmp_path_factory.mktemp("sine")
    train("sine", out)
    return out


SINE_APP = """import tinyml.app
from util import VERSION
model, labels = tinyml.app.load_model("sine")
model.input(0).quantize([1.57])
model.invoke()
print("app", VERSION, labels, "y=%.1f" % model.output(0).dequantize()[0])
"""
# The test apps end, and the board then prints its REPL prompt: wait for it, however slowly a
# loaded machine runs the emulator.
WATCH_SECONDS = 300


def sine_app(folder: Path, sine: Path, version: str = "v1", labels=("sin(x)",)) -> Path:
    make_app(folder, SINE_APP, lib={"util.py": f"VERSION = {version!r}\n"})
    (folder / "models").mkdir(exist_ok=True)
    shutil.copy(sine / "sine.tflite", folder / "models")
    sidecar = json.loads((sine / "sine.json").read_text())
    (folder / "models" / "sine.json").write_text(json.dumps({**sidecar, "labels": list(labels)}))
    return folder


def pico_deploy(pico, app: Path, key: bytes | None = None):
    return deploy_to(
        pico,
        app,
        board_id="rpi_pico",
        log=lambda line: None,
        watch_seconds=WATCH_SECONDS,
        until=deploy_module.REPL_PROMPT,
        key=key,
    )


def pico_exec(pico, code: str) -> str:
    result = pico.mpremote("exec", code, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_pico_deploy_redeploy_change_a_file_and_a_model(pico, sine, tmp_path: Path):
    app = sine_app(tmp_path / "app", sine)
    first = pico_deploy(pico, app)
    assert "app v1 ['sin(x)'] y=1.0" in first.output, first.output
    assert first.files_sent == 2 and first.rom_written
    assert first.bytes_sent == sum(p.stat().st_size for p in read_app(app).code.values()) + len(
        read_app(app).image
    )

    again = pico_deploy(pico, app)
    assert (again.bytes_sent, again.files_sent, again.rom_written) == (0, 0, False)
    # One exec that describes the board and hashes its files, then the reset.
    assert (again.round_trips, again.connections) == (2, 1)
    assert "app v1" in again.output

    (app / "lib" / "util.py").write_text("VERSION = 'v2'\n")
    changed = pico_deploy(pico, app)
    assert (changed.files_sent, changed.files_skipped, changed.rom_written) == (1, 1, False)
    assert changed.bytes_sent == (app / "lib" / "util.py").stat().st_size
    assert "app v2 ['sin(x)']" in changed.output, changed.output

    sine_app(app, sine, "v2", labels=("sine",))
    model_changed = pico_deploy(pico, app)
    assert model_changed.rom_written and model_changed.files_sent == 0
    assert "app v2 ['sine']" in model_changed.output, model_changed.output


def test_pico_refusal_writes_nothing(pico, sine, tmp_path: Path):
    app = sine_app(tmp_path / "app", sine)
    before = deploy_module.Board(pico).describe()
    (app / "models" / "huge.tflite").write_bytes(bytes(pico.board.romfs_image_bytes))
    with pytest.raises(CommandError, match="larger than the board's ROMFS partition"):
        pico_deploy(pico, app)
    after = deploy_module.Board(pico).describe()
    assert (after.files, after.active, after.roms) == (before.files, before.active, before.roms)


def test_pico_first_start_that_raises_rolls_back(pico, sine, tmp_path: Path):
    good = pico_deploy(pico, sine_app(tmp_path / "good", sine, "good"))
    assert "app good" in good.output
    broken = sine_app(tmp_path / "broken", sine, "good")
    (broken / "main.py").write_text("import util\nraise RuntimeError('broken on start')\n")
    result = pico_deploy(pico, broken)
    assert "RuntimeError: broken on start" in result.output
    assert (
        f"app {result.slot} raised on its first start; rolled back to app {good.slot}"
        in result.output
    ), result.output
    assert result.output.rstrip().count("app good") == 1

    # By hand: the broken app is kept beside the good one, and --rollback goes to it.
    left, active = deploy_module.rollback_to(
        pico, watch_seconds=WATCH_SECONDS, until=deploy_module.REPL_PROMPT
    )
    assert (left, active) == (good.slot, result.slot)


def test_pico_a_model_altered_on_the_board_is_refused(pico, sine, tmp_path: Path):
    from host import romfs

    app = sine_app(tmp_path / "app", sine, "intact")
    assert "app intact" in pico_deploy(pico, app).output
    altered = tmp_path / "altered"
    shutil.copytree(app / "models", altered)
    model = bytearray((altered / "sine.tflite").read_bytes())
    model[-1] ^= 1
    (altered / "sine.tflite").write_bytes(model)
    romfs.write_image(altered, tmp_path / "altered.romfs")
    segment = deploy_module.Board(pico).describe().manifest["rom_segment"]
    written = pico.mpremote(
        "romfs",
        "--partition",
        str(segment),
        "deploy",
        str(tmp_path / "altered.romfs"),
        timeout=300,
    )
    assert written.returncode == 0, written.stderr
    output = deploy_module.soft_reset(pico.port, WATCH_SECONDS, until=deploy_module.REPL_PROMPT)
    assert "ValueError: /rom/sine.tflite: sha256 differs from its sidecar's" in output, output
    # The next deploy sees the ROM as it is, and writes the image again.
    repaired = pico_deploy(pico, app)
    assert repaired.rom_written and "app intact" in repaired.output


def test_pico_a_board_with_a_key_runs_only_apps_signed_with_it(pico, sine, tmp_path: Path):
    key = deploy_module.make_key(tmp_path / "key")
    deploy_module.provision_board(pico, key)
    try:
        app = sine_app(tmp_path / "app", sine, "signed")
        with pytest.raises(CommandError, match="runs only signed apps: deploy with --sign"):
            pico_deploy(pico, app)
        # Signed with another key: the board's tinyml.app refuses it, and keeps its app.
        before = deploy_module.Board(pico).describe()
        other = deploy_module.make_key(tmp_path / "other")
        with pytest.raises(CommandError, match="signature does not match its manifest"):
            pico_deploy(pico, app, key=other)
        assert deploy_module.Board(pico).describe().active == before.active

        signed = pico_deploy(pico, app, key=key)
        assert "app signed" in signed.output, signed.output

        # A file changed on the board, then its manifest too (a forger has no key to sign
        # it): the launcher refuses the app at its start and runs nothing unchecked.
        slot = f"/apps/{signed.slot}"
        pico_exec(pico, f"open({slot + '/main.py'!r}, 'w').write('print(\\'forged\\')')")
        output = deploy_module.soft_reset(
            pico.port, WATCH_SECONDS, until=deploy_module.REPL_PROMPT
        )
        assert f"app {signed.slot} refused: main.py differs from its manifest" in output, output
        forged_manifest = (
            "import json, tinyml.app as A\n"
            f"m = A.manifest({signed.slot!r})\n"
            f"m['files']['main.py'] = A.file_sha256({slot + '/main.py'!r})\n"
            f"A.replace_file({slot + '/manifest.json'!r}, json.dumps(m))"
        )
        pico_exec(pico, forged_manifest)
        output = deploy_module.soft_reset(
            pico.port, WATCH_SECONDS, until=deploy_module.REPL_PROMPT
        )
        assert "signature does not match its manifest under this board's key" in output, output
        assert "forged" not in output.replace("refused", "")

        # An older signed app, replayed: its signature is right, but it was issued before
        # the last one the board accepted.
        newer = pico_deploy(pico, sine_app(tmp_path / "newer", sine, "newer"), key=key)
        assert "app newer" in newer.output and newer.slot != signed.slot
        replay = pico_exec(
            pico,
            f"import tinyml.app as A\n"
            f"A.replace_file({slot + '/main.py'!r}, open({slot + '/main.py'!r}).read())\n"
            f"try:\n    A.commit({signed.slot!r})\nexcept ValueError as e:\n    print(e)",
        )
        assert "refused" in replay and newer.slot == deploy_module.Board(pico).describe().active

        # A new key takes the old one's signature.
        new_key = deploy_module.make_key(tmp_path / "new")
        with pytest.raises(CommandError, match="kept its key: this board has a key"):
            deploy_module.provision_board(pico, new_key, other)
        deploy_module.provision_board(pico, new_key, key)
        assert "app newer" in pico_deploy(pico, tmp_path / "newer", key=new_key).output
    finally:
        # Whoever has the board's REPL can remove its key (see the README): the other tests
        # deploy unsigned.
        pico_exec(pico, "import os\nos.remove('/apps/KEY')")


def test_deploy_to_several_boards_at_once(tmp_path: Path, monkeypatch, capsys):
    """Several --port: each board deployed in its own thread, lines prefixed with the port; a
    board that fails does not stop the others, and the command exits 1 naming it."""
    started = []
    both_running = threading.Barrier(2, timeout=10)

    def fake_deploy(app, board_id, port, *, firmware=None, log=print, follow=False, key=None):
        started.append(port)
        both_running.wait()  # returns only once both boards are being deployed at once
        log("sending main.py")
        if port == "/dev/bad":
            raise CommandError("mpremote could not open /dev/bad")
        return deploy_module.DeployResult(board_id="rpi_pico", slot="a", files_sent=1)

    monkeypatch.setattr(deploy_module, "deploy", fake_deploy)
    app = make_app(tmp_path / "app")
    args = build_parser("deploy").parse_args(
        ["deploy", str(app), "--port", "/dev/good", "--port", "/dev/bad"]
    )
    with pytest.raises(CommandError, match=r"failed on 1 of 2 boards:\n\[/dev/bad\] mpremote"):
        deploy_module.run(args)
    out = capsys.readouterr().out
    assert sorted(started) == ["/dev/bad", "/dev/good"]
    assert "[/dev/good] sending main.py" in out and "[/dev/bad] sending main.py" in out
    assert "[/dev/good] deployed to rpi_pico (slot a): 1 file(s) sent" in out
    args = build_parser("deploy").parse_args(
        ["deploy", str(app), "--port", "/dev/a", "--port", "/dev/b", "--follow"]
    )
    with pytest.raises(CommandError, match="take one board"):
        deploy_module.run(args)


def test_all_finds_the_ports_of_boards(monkeypatch):
    from types import SimpleNamespace

    from serial.tools import list_ports

    ports = [
        SimpleNamespace(device="/dev/ttyACM0", vid=0x2E8A),  # a Pico
        SimpleNamespace(device="/dev/ttyUSB0", vid=0x10C4),  # an ESP32 board's CP2102
        SimpleNamespace(device="/dev/ttyS0", vid=None),  # the PC's own UART
        SimpleNamespace(device="/dev/ttyACM1", vid=0x046D),  # some other USB device
    ]
    monkeypatch.setattr(list_ports, "comports", lambda: ports)
    assert deploy_module.board_ports() == ["/dev/ttyACM0", "/dev/ttyUSB0"]
    monkeypatch.setattr(list_ports, "comports", lambda: [])
    args = build_parser("deploy").parse_args(["deploy", "app", "--all"])
    with pytest.raises(CommandError, match="no board on a serial port"):
        deploy_module.run(args)


def test_watch_deploys_again_when_a_file_changes(tmp_path: Path, monkeypatch):
    """--watch: the board's output is followed until a file of the app is saved, then the app
    is deployed again; a failed deploy waits for the next change; Ctrl-C ends it."""
    app = make_app(tmp_path / "app")
    calls = []

    def edit(text):
        time.sleep(0.01)  # a new mtime even on a coarse clock
        (app / "main.py").write_text(text)

    def fake_deploy(app_folder, board_id, port, *, follow, log, stop, key=None):
        calls.append((app / "main.py").read_text())
        if len(calls) == 1:
            edit("print('v2')\n")  # saved while the board's output is followed
            while not stop():
                time.sleep(0.01)
            return None
        if len(calls) == 2:
            threading.Timer(0.2, edit, args=("print('v3')\n",)).start()
            raise CommandError("the board is busy")
        return None  # Ctrl-C: follow returned with no change

    monkeypatch.setattr(deploy_module, "deploy", fake_deploy)
    logged = []
    deploy_module.watch(app, "rpi_pico", "/dev/x", poll_seconds=0.05, log=logged.append)
    assert calls == [calls[0], "print('v2')\n", "print('v3')\n"]
    assert "host: the board is busy" in logged
    assert sum("a file changed, deploying again" in line for line in logged) == 2


def test_a_key_file_that_is_missing_or_short_is_refused(tmp_path: Path):
    with pytest.raises(CommandError, match="cannot read the key"):
        deploy_module.read_key(tmp_path / "absent")
    (tmp_path / "short").write_bytes(b"0123456789")
    with pytest.raises(CommandError, match="has 10 bytes; a key needs at least 16"):
        deploy_module.read_key(tmp_path / "short")
    key = deploy_module.make_key(tmp_path / "keys" / "board.key")
    assert len(key) == 32 and (tmp_path / "keys" / "board.key").stat().st_mode & 0o077 == 0


# Emulated Picos started for one test, each on its own flash, for the commands that reach
# several boards or keep following one.


@pytest.fixture
def start_picos(tmp_path: Path):
    """start_picos(n): n emulated Picos, [(process, port), ...], stopped after the test."""
    from conftest import firmware_for

    from host.emulators import rp2040js

    for program in ("node", "npm"):
        if shutil.which(program) is None:
            pytest.skip(f"{program} missing; install it with: {rp2040js.NODE_INSTALL}")
    started = []

    def start(count: int) -> list:
        uf2 = firmware_for("rpi_pico").path
        for i in range(len(started), len(started) + count):
            started.append(rp2040js.start(uf2, tmp_path / f"pico{i}" / "flash.img"))
        return started[-count:]

    yield start
    for proc, _ in started:
        rp2040js.stop(proc)


def host_deploy(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "host", "deploy", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=take_ctrl_c,
        **popen,
    )


def test_deploy_to_two_emulated_picos_at_once(start_picos, sine, tmp_path: Path):
    from host.emulators import rp2040js

    app = sine_app(tmp_path / "app", sine, "both")
    (_, first), (second_proc, second) = start_picos(2)
    ports = ["--port", first, "--port", second]
    output, _ = host_deploy(str(app), "--board", "rpi_pico", *ports).communicate(timeout=600)
    for port in (first, second):
        assert f"[{port}] deployed to rpi_pico (slot a): 2 file(s) sent" in output, output
    # One board gone: the other is still deployed, and the command says which failed.
    rp2040js.stop(second_proc)
    sine_app(app, sine, "again")
    deploy = host_deploy(str(app), "--board", "rpi_pico", *ports)
    output, _ = deploy.communicate(timeout=600)
    assert deploy.returncode == 1, output
    assert f"[{first}] deployed to rpi_pico (slot b): 1 file(s) sent" in output, output
    assert f"host: deploy failed on 1 of 2 boards:\n[{second}]" in output, output


def test_watch_redeploys_to_an_emulated_pico_when_a_file_is_saved(start_picos, sine, tmp_path):
    import signal

    app = sine_app(tmp_path / "app", sine, "watched")
    ((_, port),) = start_picos(1)
    watch = host_deploy(str(app), "--board", "rpi_pico", "--port", port, "--watch")
    seen = []

    def read_until(text: str) -> None:
        for line in watch.stdout:
            seen.append(line)
            if text in line:
                return
        pytest.fail(f"host deploy --watch ended before {text!r}:\n{''.join(seen)}")

    timer = threading.Timer(WATCH_SECONDS, watch.kill)
    timer.start()
    try:
        read_until("app watched ['sin(x)']")
        (app / "lib" / "util.py").write_text("VERSION = 'saved'\n")
        read_until("a file changed, deploying again")
        read_until("app saved ['sin(x)']")
        watch.send_signal(signal.SIGINT)
        assert watch.wait(60) == 0, "".join(seen)
    finally:
        timer.cancel()
        watch.kill()
    assert any("1 file(s) sent" in line for line in seen), "".join(seen)


@pytest.mark.parametrize(
    "command",
    [
        ["deploy", "examples/hello_world", "--board", "rpi_pico"],
        ["run", "examples/hello_world/main.py", "--board", "rpi_pico"],
        ["repl", "--board", "rpi_pico"],
    ],
)
def test_a_serial_port_that_is_not_there_is_named(command):
    result = subprocess.run(
        [sys.executable, "-m", "host", *command, "--port", "/dev/ttyNOPE"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("host: no serial port /dev/ttyNOPE: is the board plugged in?")
