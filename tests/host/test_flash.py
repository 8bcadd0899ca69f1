"""`host flash` and host/uf2.py without hardware: UF2 files made here, a folder standing in
for the bootloader drive, picotool and mpremote replaced by recorders."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from host import boards, build, cli, flash, paths, transport, uf2
from host.errors import CommandError

IMAGE = bytes(range(256)) * 5  # five 256-byte pages
FLASH_BASE = 0x10000000
PORT = "/dev/ttyACM0"
MOUNT_POINTS = flash.mount_points  # the real one; the fixture hides the machine's mounts
BOARD_TOML = """name = "{board_id}"
port = "{port}"
mcu = "{mcu}"
heap_bytes = 100000
romfs_bytes = 0

[tflm]
target = "cortex_m_generic"
arch = "cortex-m0plus"
"""
BOARDS = {  # id: (port, mcu)
    "pico": ("rp2", "rp2040"),
    "pico2": ("rp2", "rp2350"),
    "oddchip": ("rp2", "rp2039"),
    "unix": ("unix", "x86-64"),
    "qemu_m4": ("qemu", "cortex-m4"),
}


@pytest.fixture(autouse=True)
def fake_boards(tmp_path, monkeypatch):
    """Boards of every kind in a folder of their own; picotool absent unless a test adds it."""
    root = tmp_path / "boards"
    for board_id, (port, mcu) in BOARDS.items():
        (root / board_id).mkdir(parents=True)
        (root / board_id / "board.toml").write_text(
            BOARD_TOML.format(board_id=board_id, port=port, mcu=mcu)
        )
    monkeypatch.setattr(paths, "BOARDS_DIR", root)
    monkeypatch.setattr(flash.shutil, "which", lambda name: None)
    monkeypatch.setattr(flash, "mount_points", list)
    # PORT stands for a board that is plugged in.
    monkeypatch.setattr(transport, "require_port", lambda port: None)


def make_uf2(path: Path, family: int, data: bytes = IMAGE) -> Path:
    uf2.write_uf2(path, data, FLASH_BASE, family)
    return path


@pytest.fixture
def rp2040_uf2(tmp_path) -> Path:
    return make_uf2(tmp_path / "pico.uf2", uf2.RP2040_FAMILY_ID)


@pytest.fixture
def rp2350_uf2(tmp_path) -> Path:
    return make_uf2(tmp_path / "pico2.uf2", uf2.RP2350_ARM_S_FAMILY_ID)


def make_drive(folder: Path, board_id_line: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "INFO_UF2.TXT").write_text(
        f"UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\n{board_id_line}\n"
    )
    return folder


class Recorder:
    """Stands in for subprocess.run: records each argv, answers with `returncode`."""

    def __init__(self, returncode: int = 0, on_call=None):
        self.calls: list[list[str]] = []
        self.returncode = returncode
        self.on_call = on_call

    def __call__(self, cmd, **kwargs):
        self.calls.append(list(cmd))
        if self.on_call:
            self.on_call(cmd)
        return subprocess.CompletedProcess(cmd, self.returncode, "", "")


# --- UF2 files ---------------------------------------------------------------------------


def test_written_uf2_reads_back(rp2040_uf2):
    blocks = uf2.read_blocks(rp2040_uf2)
    assert len(blocks) == 5 and rp2040_uf2.stat().st_size == 5 * uf2.BLOCK_SIZE
    assert [b.block_no for b in blocks] == list(range(5))
    assert {b.num_blocks for b in blocks} == {5}
    assert [b.target_addr for b in blocks] == [FLASH_BASE + 256 * i for i in range(5)]
    assert b"".join(b.payload for b in blocks) == IMAGE
    assert uf2.families(rp2040_uf2) == {uf2.RP2040_FAMILY_ID}


def test_family_matches_board(rp2040_uf2, rp2350_uf2):
    uf2.check_family(rp2040_uf2, "rp2040", board="pico")
    uf2.check_family(rp2350_uf2, "rp2350", board="pico2")
    with pytest.raises(CommandError, match=r"is a UF2 for RP2350, but board pico is an RP2040"):
        uf2.check_family(rp2350_uf2, "rp2040", board="pico")
    with pytest.raises(CommandError, match=r"is a UF2 for RP2040, but board pico2 is an RP2350"):
        uf2.check_family(rp2040_uf2, "rp2350", board="pico2")


def test_other_families_refused(tmp_path):
    esp = make_uf2(tmp_path / "esp.uf2", 0x1C5F21B0)
    with pytest.raises(
        CommandError, match=r"UF2 for family 0x1c5f21b0, but the target is an RP2040"
    ):
        uf2.check_family(esp, "rp2040")
    wifi = make_uf2(tmp_path / "wifi.uf2", uf2.CYW43_FIRMWARE_FAMILY_ID)
    with pytest.raises(CommandError, match="CYW43"):
        uf2.check_family(wifi, "rp2350")


def _ignore_block() -> bytes:
    """pico-sdk's RP2350-E10 block: absolute family, numbered 0 of 2, tagged to be ignored."""
    header = uf2.HEADER.pack(
        uf2.MAGIC_START0,
        uf2.MAGIC_START1,
        uf2.FLAG_FAMILY_ID_PRESENT | uf2.FLAG_EXTENSION_FLAGS_PRESENT,
        0x10FFFF00,
        256,
        0,
        2,
        uf2.ABSOLUTE_FAMILY_ID,
    )
    data = b"\xef" * 256 + uf2.EXTENSION_RP2_IGNORE_BLOCK.to_bytes(4, "little")
    return header + data.ljust(uf2.DATA_SIZE, b"\0") + uf2.MAGIC_END.to_bytes(4, "little")


def test_rp2350_image_with_erratum_block(rp2350_uf2):
    rp2350_uf2.write_bytes(_ignore_block() + rp2350_uf2.read_bytes())
    blocks = uf2.read_blocks(rp2350_uf2)
    assert blocks[0].ignored and not any(b.ignored for b in blocks[1:])
    assert uf2.families(rp2350_uf2) == {uf2.ABSOLUTE_FAMILY_ID, uf2.RP2350_ARM_S_FAMILY_ID}
    uf2.check_family(rp2350_uf2, "rp2350")
    with pytest.raises(CommandError, match="UF2 for RP2350"):
        uf2.check_family(rp2350_uf2, "rp2040")


def test_concatenated_images(tmp_path, rp2350_uf2):
    riscv = make_uf2(tmp_path / "riscv.uf2", uf2.RP2350_RISCV_FAMILY_ID, IMAGE[:512])
    both = tmp_path / "both.uf2"
    both.write_bytes(rp2350_uf2.read_bytes() + riscv.read_bytes())
    assert len(uf2.read_blocks(both)) == 7
    uf2.check_family(both, "rp2350")


def _blocks(path: Path) -> list[bytes]:
    content = path.read_bytes()
    return [content[i : i + uf2.BLOCK_SIZE] for i in range(0, len(content), uf2.BLOCK_SIZE)]


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda blocks: b"", "not a UF2 file: its size \\(0 bytes\\)"),
        (lambda blocks: b"".join(blocks) + b"\0", "not a UF2 file: its size \\(2561 bytes\\)"),
        (lambda blocks: b"".join(blocks)[:-100], "its size \\(2460 bytes\\)"),
        (
            lambda blocks: blocks[0] + b"\0" * 4 + blocks[1][4:] + b"".join(blocks[2:]),
            "block 1 \\(byte 512\\) has no UF2 magic",
        ),
        (
            lambda blocks: b"".join(blocks[:-1]) + blocks[-1][:-4] + b"\0" * 4,
            "block 4 .* no UF2 magic",
        ),
        (
            lambda blocks: blocks[0] + b"".join(blocks[2:]),
            "block 1 is numbered 2 of 5, expected 1",
        ),
        (lambda blocks: b"".join(blocks[:4]), "truncated: it ends after block 3 of 5"),
        (lambda blocks: b"".join(blocks[1:]), "block 0 is numbered 1 of 5, expected 0"),
        (lambda blocks: blocks[1] + blocks[0] + b"".join(blocks[2:]), "out of order"),
        (
            lambda blocks: (
                blocks[0][:16]
                + (477).to_bytes(4, "little")
                + blocks[0][20:]
                + b"".join(blocks[1:])
            ),
            "claims 477 bytes of payload",
        ),
    ],
)
def test_malformed_uf2_refused(rp2040_uf2, corrupt, message):
    rp2040_uf2.write_bytes(corrupt(_blocks(rp2040_uf2)))
    with pytest.raises(CommandError, match=message):
        uf2.check_family(rp2040_uf2, "rp2040")


def test_blocks_without_family_refused(rp2040_uf2):
    blocks = _blocks(rp2040_uf2)
    no_flags = blocks[0][:8] + (0).to_bytes(4, "little") + blocks[0][12:]
    rp2040_uf2.write_bytes(no_flags + b"".join(blocks[1:]))
    assert uf2.families(rp2040_uf2) == {uf2.RP2040_FAMILY_ID}
    with pytest.raises(CommandError, match="without a family id"):
        uf2.check_family(rp2040_uf2, "rp2040")


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        uf2.read_blocks(tmp_path / "none.uf2")


# --- the bootloader drive ------------------------------------------------------------------


def test_mount_points_parsed(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /media/me/RPI\\040RP2 vfat rw,nosuid 0 0\n"
    )
    assert MOUNT_POINTS(mounts)[:2] == [Path("/"), Path("/media/me/RPI RP2")]
    assert Path("/") not in MOUNT_POINTS(tmp_path / "absent")


def test_drives_found_by_board_id(tmp_path):
    rp2040 = make_drive(tmp_path / "RPI-RP2", "Board-ID: RPI-RP2")
    rp2350 = make_drive(tmp_path / "RP2350", "Board-ID: RP2350")
    (tmp_path / "usbstick").mkdir()
    candidates = [tmp_path / "usbstick", rp2040, rp2350, tmp_path / "absent"]
    assert flash.find_drives("rp2040", candidates) == [rp2040]
    assert flash.find_drives("rp2350", candidates) == [rp2350]
    assert flash.drive_board_id(tmp_path / "usbstick") is None


def test_drive_of_other_chip_refused(tmp_path, rp2040_uf2):
    rp2350 = make_drive(tmp_path / "RP2350", "Board-ID: RP2350")
    with pytest.raises(
        CommandError,
        match=r"drive of an RP2350 \(Board-ID: RP2350\), but board "
        r"pico is an RP2040",
    ):
        flash.flash("pico", firmware=rp2040_uf2, drive=rp2350)
    assert not (rp2350 / rp2040_uf2.name).exists()
    (tmp_path / "stick").mkdir()
    with pytest.raises(CommandError, match="not a UF2 bootloader drive"):
        flash.flash("pico", firmware=rp2040_uf2, drive=tmp_path / "stick")


def test_copy_to_given_drive(tmp_path, rp2040_uf2, capsys):
    drive = make_drive(tmp_path / "RPI-RP2", "Board-ID: RPI-RP2")
    flash.flash("pico", firmware=rp2040_uf2, drive=drive)
    assert (drive / rp2040_uf2.name).read_bytes() == rp2040_uf2.read_bytes()
    err = capsys.readouterr().err
    assert "copying to" in err and "2560 / 2560 bytes" in err


def test_copy_to_found_drive(tmp_path, monkeypatch, rp2350_uf2):
    rp2040 = make_drive(tmp_path / "a", "Board-ID: RPI-RP2")
    rp2350 = make_drive(tmp_path / "b", "Board-ID: RP2350")
    monkeypatch.setattr(flash, "mount_points", lambda: [rp2040, rp2350])
    flash.flash("pico2", firmware=rp2350_uf2)
    assert (rp2350 / rp2350_uf2.name).is_file() and not (rp2040 / rp2350_uf2.name).exists()


def test_several_drives_need_choice(tmp_path, monkeypatch, rp2040_uf2):
    drives = [make_drive(tmp_path / name, "Board-ID: RPI-RP2") for name in ("a", "b")]
    monkeypatch.setattr(flash, "mount_points", lambda: drives)
    with pytest.raises(CommandError, match="several RPI-RP2 drives.*--drive"):
        flash.flash("pico", firmware=rp2040_uf2)


def test_no_drive_says_bootsel(rp2040_uf2):
    with pytest.raises(CommandError, match="no RPI-RP2 drive is mounted; hold the BOOTSEL"):
        flash.flash("pico", firmware=rp2040_uf2, wait=0)


def test_port_asks_micropython_for_bootloader(tmp_path, monkeypatch, rp2040_uf2):
    drive = tmp_path / "RPI-RP2"
    monkeypatch.setattr(flash, "mount_points", lambda: [drive])
    # The drive appears once MicroPython has been asked to restart into the bootloader.
    recorder = Recorder(returncode=1, on_call=lambda cmd: make_drive(drive, "Board-ID: RPI-RP2"))
    monkeypatch.setattr(flash.subprocess, "run", recorder)
    flash.flash("pico", firmware=rp2040_uf2, port=PORT, wait=5)
    assert len(recorder.calls) == 1
    assert recorder.calls[0][-5:] == [
        "mpremote",
        "connect",
        PORT,
        "exec",
        "import machine; machine.bootloader()",
    ]
    assert (drive / rp2040_uf2.name).read_bytes() == rp2040_uf2.read_bytes()


def test_unreachable_port(monkeypatch, rp2040_uf2):
    def unreachable(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, "", f"mpremote: failed to access {PORT}\n")

    monkeypatch.setattr(flash.subprocess, "run", unreachable)
    with pytest.raises(CommandError, match=f"cannot open {PORT}"):
        flash.flash("pico", firmware=rp2040_uf2, port=PORT, wait=0)


# --- picotool ------------------------------------------------------------------------------


def test_picotool_command_line(monkeypatch, rp2040_uf2):
    monkeypatch.setattr(flash.shutil, "which", lambda name: "/usr/bin/" + name)
    recorder = Recorder()
    monkeypatch.setattr(flash.subprocess, "run", recorder)
    flash.flash("pico", firmware=rp2040_uf2)
    assert recorder.calls == [
        ["/usr/bin/picotool", "load", "-x", str(rp2040_uf2), "-t", "uf2", "-f"]
    ]


def test_picotool_after_bootloader_request(monkeypatch, rp2040_uf2):
    monkeypatch.setattr(flash.shutil, "which", lambda name: "/usr/bin/" + name)
    recorder = Recorder()
    monkeypatch.setattr(flash.subprocess, "run", recorder)
    flash.flash("pico", firmware=rp2040_uf2, port=PORT)
    assert "mpremote" in recorder.calls[0]
    assert recorder.calls[1:] == [
        ["/usr/bin/picotool", "info"],
        ["/usr/bin/picotool", "load", "-x", str(rp2040_uf2), "-t", "uf2", "-f"],
    ]


def test_picotool_failure(monkeypatch, rp2040_uf2):
    monkeypatch.setattr(flash.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(flash.subprocess, "run", Recorder(returncode=251))
    with pytest.raises(CommandError, match="picotool load failed \\(exit status 251\\); hold"):
        flash.flash("pico", firmware=rp2040_uf2)


def test_family_checked_before_anything(monkeypatch, rp2350_uf2):
    monkeypatch.setattr(flash.shutil, "which", lambda name: "/usr/bin/" + name)
    recorder = Recorder()
    monkeypatch.setattr(flash.subprocess, "run", recorder)
    with pytest.raises(CommandError, match="UF2 for RP2350"):
        flash.flash("pico", firmware=rp2350_uf2, port=PORT)
    assert recorder.calls == []


# --- boards and the command line ---------------------------------------------------------


def test_default_firmware_is_the_build(tmp_path, monkeypatch, rp2040_uf2):
    build_dir = tmp_path / "fw-pico"
    (build_dir / "mp").mkdir(parents=True)
    rp2040_uf2.rename(build_dir / "mp" / "firmware.uf2")
    board = boards.load_board("pico")
    built = build.Firmware(board, build_dir / "mp" / "firmware.uf2", build_dir)
    monkeypatch.setattr(build, "firmware", lambda board_id: built)
    drive = make_drive(tmp_path / "RPI-RP2", "Board-ID: RPI-RP2")
    flash.flash("pico", drive=drive)
    assert (drive / "firmware.uf2").read_bytes() == built.path.read_bytes()


@pytest.mark.parametrize(
    "board_id, message",
    [
        ("unix", "nothing to flash: board unix runs in emulation"),
        ("qemu_m4", "nothing to flash: board qemu_m4 runs in emulation"),
        (
            "oddchip",
            (
                "board oddchip: mcu = 'rp2039' in board.toml, but an rp2 board's mcu is one "
                "of 'rp2040', 'rp2350'"
            ),
        ),
        ("nosuch", "unknown board nosuch"),
    ],
)
def test_boards_that_cannot_be_flashed(board_id, message, rp2040_uf2):
    with pytest.raises(CommandError, match=message):
        flash.flash(board_id, firmware=rp2040_uf2)


def test_esp32_options_refused(rp2040_uf2, capsys):
    argv = ["flash", "--board", "pico", "--firmware", str(rp2040_uf2)]
    assert cli.main([*argv, "--erase", "--baud", "921600"]) == 1
    assert (
        capsys.readouterr().err == "host: --baud, --erase: for esp32 boards; board pico is rp2\n"
    )


def test_cli_error_path(tmp_path, rp2350_uf2, capsys):
    assert cli.main(["flash", "--board", "pico", "--firmware", str(rp2350_uf2)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("host: ") and "is a UF2 for RP2350, but board pico is an RP2040" in err
    assert cli.main(["flash", "--board", "pico", "--firmware", str(tmp_path / "none.uf2")]) == 1
    assert capsys.readouterr().err == f"host: no such firmware file: {tmp_path / 'none.uf2'}\n"
    assert cli.main(["flash", "--board", "unix"]) == 1
    assert "host: nothing to flash" in capsys.readouterr().err


def test_cli_copies(tmp_path, rp2040_uf2, capsys):
    drive = make_drive(tmp_path / "RPI-RP2", "Board-ID: RPI-RP2")
    assert (
        cli.main(
            ["flash", "--board", "pico", "--drive", str(drive), "--firmware", str(rp2040_uf2)]
        )
        == 0
    )
    assert f"copied {rp2040_uf2} to {drive}" in capsys.readouterr().out
