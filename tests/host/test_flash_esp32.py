"""`host flash` for the ESP32 boards without a board: images made with esptool's own image
writer, esptool's serial functions replaced by a recorder of what they were asked to do; and
the layout of the firmware `host build` made, read with esptool (skipped where no ESP-IDF is
prepared)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import esptool.cmds
import pytest
from esptool.bin_image import ELFSection
from esptool.targets import CHIP_DEFS
from esptool.util import FatalError
from serial import SerialException

from host import boards, build, cli, esp32_toolchain, flash, transport
from host.errors import CommandError

PORT = "/dev/ttyUSB0"
ESP32_BOARDS = ["esp32", "esp32_s3", "esp32_c3"]
# Where a merged image starts in flash: the chip's bootloader offset.
BOOTLOADER_OFFSETS = {"esp32": 0x1000, "esp32_s3": 0x0, "esp32_c3": 0x0}
# ESP-IDF's esp_partition_info_t: magic (bytes AA 50), type, subtype, offset, size, label, flags.
PARTITION_ENTRY = struct.Struct("<HBBII16sI")
PARTITION_MAGIC = 0x50AA
APP_TYPE, DATA_TYPE = 0, 1
FACTORY_SUBTYPE = 0x00


def image(mcu: str, first_word: bytes = bytes(4)) -> bytes:
    """A one-segment image for `mcu` as esptool writes it: its header names the chip."""
    made = CHIP_DEFS[mcu].BOOTLOADER_IMAGE()
    made.segments = [ELFSection(b".iram", 0x40080000, first_word + bytes(60), 0)]
    return made.save(None)


def merged(tmp_path: Path, mcu: str) -> Path:
    """A merged firmware.bin for `mcu`: the bootloader, then erased flash."""
    path = tmp_path / mcu / "firmware.bin"
    path.parent.mkdir()
    path.write_bytes(image(mcu) + b"\xff" * 0x100)
    return path


class FakeChip:
    """The chip on the port, reached through the esptool functions `plug` replaces."""

    def __init__(self, name: str):
        self.CHIP_NAME = name
        self.calls: list[tuple] = []
        self.closed = False

    def __enter__(self) -> FakeChip:
        return self

    def __exit__(self, *exc) -> None:
        self.closed = True

    def change_baud(self, baud: int) -> None:
        self.calls.append(("change_baud", baud))


@pytest.fixture
def plug(monkeypatch):
    """plug(CHIP_NAME, fail): that chip is on PORT. esptool's functions record each call, the
    chip by its name, and raise what `fail` gives for theirs."""

    def plug_chip(name: str, fail: dict | None = None) -> FakeChip:
        chip = FakeChip(name)

        def recorder(function: str):
            def record(*args):
                chip.calls.append((function, *(chip.CHIP_NAME if a is chip else a for a in args)))
                if fail and function in fail:
                    raise fail[function]
                return chip  # detect_chip's and run_stub's loader

            return record

        for function in (
            "detect_chip",
            "run_stub",
            "attach_flash",
            "erase_flash",
            "write_flash",
            "verify_flash",
            "reset_chip",
        ):
            monkeypatch.setattr(esptool.cmds, function, recorder(function))
        return chip

    monkeypatch.setattr(transport, "require_port", lambda port: None)
    return plug_chip


# --- the image, checked offline ------------------------------------------------------------


@pytest.mark.parametrize(
    "board_id, image_mcu, message",
    [
        ("esp32_c3", "esp32s3", "is an ESP32-S3 image, but board esp32_c3 is an ESP32-C3"),
        ("esp32_s3", "esp32", "is an ESP32 image, but board esp32_s3 is an ESP32-S3"),
        ("esp32", "esp32c3", "is an ESP32-C3 image, but board esp32 is an ESP32"),
    ],
)
def test_image_of_another_chip_refused(tmp_path, plug, capsys, board_id, image_mcu, message):
    chip = plug(CHIP_DEFS[boards.load_board(board_id).mcu].CHIP_NAME)
    firmware = merged(tmp_path, image_mcu)
    argv = ["flash", "--board", board_id, "--port", PORT, "--firmware", str(firmware)]
    assert cli.main(argv) == 1
    assert capsys.readouterr().err == f"host: {firmware} {message}\n"
    assert chip.calls == []  # refused before connecting


def test_app_alone_and_other_files_refused(tmp_path, plug):
    chip = plug("ESP32-S3")
    app = tmp_path / "micropython.bin"
    app.write_bytes(image("esp32s3", first_word=flash.APP_DESC_MAGIC))
    with pytest.raises(CommandError, match="micropython.bin is an app alone, not a merged"):
        flash.flash("esp32_s3", firmware=app, port=PORT)
    uf2 = tmp_path / "firmware.uf2"
    uf2.write_bytes(b"UF2\n" + bytes(508))
    with pytest.raises(CommandError, match="firmware.uf2 is not an ESP firmware image: "):
        flash.flash("esp32_s3", firmware=uf2, port=PORT)
    with pytest.raises(CommandError, match="no such firmware file"):
        flash.flash("esp32_s3", firmware=tmp_path / "none.bin", port=PORT)
    assert chip.calls == []


# --- the chip on the port and what esptool is asked to do ----------------------------------


def test_other_chip_on_port_refused_before_writing(tmp_path, plug):
    chip = plug("ESP32-S3")
    with pytest.raises(
        CommandError,
        match=f"the chip on {PORT} is an ESP32-S3, but board esp32_c3 is an ESP32-C3; "
        "nothing was written",
    ):
        flash.flash("esp32_c3", firmware=merged(tmp_path, "esp32c3"), port=PORT)
    # out of download mode again, and the port closed
    assert chip.calls == [("detect_chip", PORT, 115200), ("reset_chip", "ESP32-S3", "hard-reset")]
    assert chip.closed


@pytest.mark.parametrize("board_id", ESP32_BOARDS)
def test_write_verify_and_restart(tmp_path, plug, capsys, board_id):
    mcu = boards.load_board(board_id).mcu
    name = CHIP_DEFS[mcu].CHIP_NAME
    chip = plug(name)
    firmware = merged(tmp_path, mcu)
    assert (
        cli.main(["flash", "--board", board_id, "--port", PORT, "--firmware", str(firmware)]) == 0
    )
    files = [(BOOTLOADER_OFFSETS[board_id], str(firmware))]
    assert chip.calls == [
        ("detect_chip", PORT, 115200),
        ("run_stub", name),
        ("change_baud", 460800),
        ("attach_flash", name),
        ("write_flash", name, files),
        ("verify_flash", name, files),
        ("reset_chip", name, "hard-reset"),
    ]
    assert chip.closed
    out = capsys.readouterr().out
    assert f"wrote {firmware} at {BOOTLOADER_OFFSETS[board_id]:#x} to the {name} on {PORT}" in out
    assert "the ROMFS and filesystem partitions were left as they were" in out


def test_erase_no_verify_and_baud(tmp_path, plug, capsys):
    chip = plug("ESP32")
    firmware = merged(tmp_path, "esp32")
    argv = ["flash", "--board", "esp32", "--port", PORT, "--firmware", str(firmware)]
    assert cli.main([*argv, "--erase", "--no-verify", "--baud", "115200"]) == 0
    assert chip.calls == [
        ("detect_chip", PORT, 115200),
        ("run_stub", "ESP32"),
        ("attach_flash", "ESP32"),
        ("erase_flash", "ESP32"),
        ("write_flash", "ESP32", [(0x1000, str(firmware))]),
        ("reset_chip", "ESP32", "hard-reset"),
    ]
    assert "left as they were" not in capsys.readouterr().out


def test_default_firmware_is_the_build(tmp_path, monkeypatch, plug):
    chip = plug("ESP32")
    firmware = merged(tmp_path, "esp32")
    sdkconfig = firmware.with_name("sdkconfig")
    sdkconfig.write_text('CONFIG_IDF_TARGET="esp32"\nCONFIG_BOOTLOADER_OFFSET_IN_FLASH=0x1000\n')
    board = boards.load_board("esp32")
    built = build.Firmware(board, firmware, tmp_path)
    monkeypatch.setattr(build, "firmware", lambda board_id: built)
    flash.flash("esp32", port=PORT)
    assert ("write_flash", "ESP32", [(0x1000, str(firmware))]) in chip.calls
    sdkconfig.write_text('CONFIG_IDF_TARGET="esp32"\n')
    with pytest.raises(CommandError, match="sets no CONFIG_BOOTLOADER_OFFSET_IN_FLASH"):
        flash.flash("esp32", port=PORT)


@pytest.mark.parametrize(
    "fail, message",
    [
        (
            {"detect_chip": FatalError("Failed to connect to ESP32: No serial data received.")},
            f"host: {PORT}: Failed to connect to ESP32: No serial data received.\n",
        ),
        (
            {"write_flash": SerialException("write failed: [Errno 5] Input/output error")},
            f"host: {PORT}: write failed: [Errno 5] Input/output error\n",
        ),
        (
            {"verify_flash": FatalError("Verification failed.")},
            f"host: {PORT}: Verification failed.\n",
        ),
        ({"attach_flash": StopIteration()}, f"host: {PORT}: the chip stopped responding\n"),
    ],
)
def test_esptool_errors_become_host_messages(tmp_path, plug, capsys, fail, message):
    chip = plug("ESP32", fail)
    firmware = merged(tmp_path, "esp32")
    argv = ["flash", "--board", "esp32", "--port", PORT, "--firmware", str(firmware)]
    assert cli.main(argv) == 1
    assert capsys.readouterr().err.startswith(message)
    assert chip.closed == ("detect_chip" not in fail)  # a port once opened is closed


# --- options and the command line ----------------------------------------------------------


def test_port_required(monkeypatch, capsys):
    def no_build(board_id):
        raise AssertionError("built before the port was checked")

    monkeypatch.setattr(build, "firmware", no_build)
    assert cli.main(["flash", "--board", "esp32"]) == 1
    assert capsys.readouterr().err == (
        "host: board esp32 is written over its serial port: pass --port P "
        "(e.g. /dev/ttyUSB0 or /dev/ttyACM0)\n"
    )
    assert cli.main(["flash", "--board", "esp32_s3", "--port", "/dev/no-such-tty"]) == 1
    assert capsys.readouterr().err.startswith("host: no serial port /dev/no-such-tty: ")


def test_drive_refused(tmp_path):
    with pytest.raises(CommandError, match="--drive is for rp2 boards; board esp32_c3 is"):
        flash.flash("esp32_c3", drive=tmp_path)


# --- the firmware host build made ----------------------------------------------------------


def esp32_build(board_id: str) -> build.Firmware:
    if not (esp32_toolchain.is_prepared() or os.environ.get("IDF_PATH")):
        pytest.skip("ESP32 toolchain not prepared: run host setup --esp32")
    return build.firmware(board_id)


def flash_args(path) -> tuple[dict[str, str], dict[str, int]]:
    """ESP-IDF's flash_args: its options line, and each file's offset by file name."""
    options, *files = path.read_text().splitlines()
    words = options.split()
    offsets = {}
    for line in files:
        offset, name = line.split()
        offsets[name] = int(offset, 16)
    return dict(zip(words[::2], words[1::2])), offsets


def partition_table(data: bytes) -> list[tuple[str, int, int, int, int]]:
    """(label, type, subtype, offset, size) of each entry, up to the first without the magic
    (the table's MD5 entry or the erased flash after it)."""
    entries = []
    for start in range(0, len(data), PARTITION_ENTRY.size):
        magic, kind, subtype, offset, size, label, _ = PARTITION_ENTRY.unpack_from(data, start)
        if magic != PARTITION_MAGIC:
            break
        entries.append((label.rstrip(b"\0").decode(), kind, subtype, offset, size))
    return entries


@pytest.mark.parametrize("board_id", ESP32_BOARDS)
def test_firmware_bin_is_the_merge_of_the_build(board_id):
    fw = esp32_build(board_id)
    mp = fw.path.parent
    chip = CHIP_DEFS[fw.board.mcu]
    options, offsets = flash_args(mp / "flash_args")
    bootloader = flash.sdkconfig_hex(mp / "sdkconfig", "BOOTLOADER_OFFSET_IN_FLASH")
    assert bootloader == chip.BOOTLOADER_FLASH_OFFSET == BOOTLOADER_OFFSETS[board_id]
    assert offsets == {
        "bootloader/bootloader.bin": bootloader,
        "partition_table/partition-table.bin": 0x8000,
        "micropython.bin": build.ESP32_APP_OFFSET,
    }
    assert flash.sdkconfig_hex(mp / "sdkconfig", "PARTITION_TABLE_OFFSET") == 0x8000
    assert options["--flash_size"] == f"{fw.board.flash_bytes // 2**20}MB"
    merge = esptool.cmds.merge_bin(
        [(offset, str(mp / name)) for name, offset in offsets.items()],
        fw.board.mcu,
        flash_mode=options["--flash_mode"],
        flash_freq=options["--flash_freq"],
        flash_size=options["--flash_size"],
        target_offset=bootloader,
    )
    assert merge == fw.path.read_bytes()


@pytest.mark.parametrize("board_id", ESP32_BOARDS)
def test_images_are_for_the_boards_chip(board_id, capsys):
    fw = esp32_build(board_id)
    chip = CHIP_DEFS[fw.board.mcu]
    esptool.cmds.image_info(str(fw.path.with_name("micropython.bin")))
    info = capsys.readouterr().out
    assert f"Chip ID: {chip.IMAGE_CHIP_ID} ({chip.CHIP_NAME})" in info, info
    assert "(valid)" in info and "invalid" not in info, info
    # What host flash checks offline: the merged image passes for its board only, and the
    # app alone is refused.
    flash.check_esp_image(fw.path, fw.board)
    with pytest.raises(CommandError, match="is an app alone"):
        flash.check_esp_image(fw.path.with_name("micropython.bin"), fw.board)
    for other_id in ESP32_BOARDS:
        other = boards.load_board(other_id)
        if other.mcu != fw.board.mcu:
            with pytest.raises(
                CommandError,
                match=f"firmware.bin is an {chip.CHIP_NAME} image, but board {other_id} is an "
                f"{CHIP_DEFS[other.mcu].CHIP_NAME}$",
            ):
                flash.check_esp_image(fw.path, other)


@pytest.mark.parametrize("board_id", ESP32_BOARDS)
def test_partition_table_is_the_boards(board_id):
    fw = esp32_build(board_id)
    mp = fw.path.parent
    table = partition_table((mp / "partition_table" / "partition-table.bin").read_bytes())
    expected = build.esp32_partitions(fw.board)
    kinds = {"app": APP_TYPE, "data": DATA_TYPE}
    assert [(label, kind, offset, size) for label, kind, _, offset, size in table] == [
        (name, kinds[kind], offset, size) for name, kind, _, offset, size in expected
    ]
    by_label = {label: (subtype, offset, size) for label, _, subtype, offset, size in table}
    assert by_label["factory"][:2] == (FACTORY_SUBTYPE, build.ESP32_APP_OFFSET)
    assert (mp / "micropython.bin").stat().st_size <= by_label["factory"][2]
    assert by_label["romfs"][0] == int(build.ESP32_ROMFS_SUBTYPE, 16)
    # the filesystem ends the table and the flash
    assert table[-1][0] == "vfs" and sum(by_label["vfs"][1:]) == fw.board.flash_bytes
