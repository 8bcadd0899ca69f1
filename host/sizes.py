"""Where a firmware's flash and RAM go, read from the linker's map file.

    sizes = firmware_sizes(board, Path("firmware.elf.map"))
    print(size_table(sizes))

Flash holds code, read-only data and the initial values of initialised data (on ESP32
chips: the app image, whatever ESP-IDF loads into RAM from it included); each input section of
the map is charged to a part: `_tflm` (TFLM, its kernels, the glue and the
binding), the frozen Python package, or the rest of MicroPython (with the SDK).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from host.boards import Board
from host.errors import CommandError

# An input section: name (maybe on the line before), address, size, object.
_INPUT = re.compile(r"^ (\.\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
_NAME_ONLY = re.compile(r"^ (\.\S+)$")
_OUTPUT = re.compile(r"^(\.\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)")
# Output sections whose contents are copied from flash at start-up (they cost both).
_COPIED = (".data", ".ram_vector_table", ".scratch_x", ".scratch_y")
# Output sections that take RAM without being stored in flash.
_ZEROED = (".bss", ".uninitialized_data")
_TFLM_OBJECTS = ("libtensorflow-microlite.a", "tflm_glue.o", "modtflm.c", "runtime_hooks.c")
_FROZEN_OBJECTS = ("frozen_content.c",)
FLASH_BASE = 0x10000000
# ESP-IDF's output sections that take RAM only (zeroed or left as they are at start-up); every
# other section is stored in the app image. Those of internal RAM (data and code run from RAM).
_ESP_RAM_ONLY = re.compile(r"bss|noinit")
_ESP_INTERNAL_RAM = (".dram0", ".iram0")


@dataclass(frozen=True)
class FirmwareSizes:
    board: Board
    flash: dict[str, int]  # part -> bytes of flash
    ram_static: int  # bytes of RAM that data and bss take
    heap: int  # the MicroPython heap the linker script leaves
    # Flash before the firmware that the chip's boot needs (ESP32: ESP-IDF's bootloader,
    # partition table, nvs and phy_init).
    system: int = 0

    @property
    def firmware(self) -> int:
        return sum(self.flash.values())


def _part(obj: str) -> str:
    if any(name in obj for name in _TFLM_OBJECTS):
        return "_tflm"
    if any(name in obj for name in _FROZEN_OBJECTS):
        return "frozen tinyml"
    return "MicroPython"


def _input_sections(map_file: Path):
    """(output section, address, size, object) of each input section of a GNU ld map."""
    output = ""
    pending = None
    for line in map_file.read_text(errors="replace").splitlines():
        out = _OUTPUT.match(line)
        if out:
            output = out.group(1)
            continue
        name_only = _NAME_ONLY.match(line)
        if name_only:
            pending = name_only.group(1)
            continue
        entry = _INPUT.match(line)
        if not entry or not (entry.group(1) or pending):
            pending = None
            continue
        pending = None
        address, size, obj = int(entry.group(2), 16), int(entry.group(3), 16), entry.group(4)
        if size and address:
            yield output, address, size, obj


def firmware_sizes(board: Board, map_file: Path, symbols: dict[str, int]) -> FirmwareSizes:
    """Sizes from the map (input sections) and the linker symbols that bound the image and the
    GC heap."""
    flash = {"MicroPython": 0, "_tflm": 0, "frozen tinyml": 0}
    ram_static = 0
    for output, address, size, obj in _input_sections(map_file):
        in_flash = FLASH_BASE <= address < FLASH_BASE + board.flash_bytes
        if in_flash or output in _COPIED:
            flash[_part(obj)] += size
        if output in _COPIED or output in _ZEROED:
            ram_static += size
    try:
        heap = symbols["__GcHeapEnd"] - symbols["__GcHeapStart"]
        # The image's true end: what the map charges to no object (padding, alignment,
        # linker-made tables) is MicroPython's.
        flash["MicroPython"] = (
            symbols["__flash_binary_end"]
            - FLASH_BASE
            - sum(size for part, size in flash.items() if part != "MicroPython")
        )
    except KeyError as err:
        raise CommandError(f"{map_file}: no linker symbol {err}") from err
    return FirmwareSizes(board, flash, ram_static, heap)


def esp32_firmware_sizes(
    board: Board, map_file: Path, app_bytes: int, system_bytes: int
) -> FirmwareSizes:
    """Sizes of an ESP32 app from ESP-IDF's map and the app image (`micropython.bin`, which
    the app partition must hold). The heap is board.toml's estimate: MicroPython's heap grows
    from ESP-IDF's at run time, so the linker does not bound it."""
    flash = {"MicroPython": 0, "_tflm": 0, "frozen tinyml": 0}
    ram_static = 0
    for output, _, size, obj in _input_sections(map_file):
        if not _ESP_RAM_ONLY.search(output):
            flash[_part(obj)] += size
        if output.startswith(_ESP_INTERNAL_RAM):
            ram_static += size
    # As for the rp2 image: what the map charges to no object (image headers, padding) is
    # MicroPython's.
    flash["MicroPython"] = app_bytes - flash["_tflm"] - flash["frozen tinyml"]
    return FirmwareSizes(board, flash, ram_static, board.heap_bytes, system_bytes)


def size_table(sizes: FirmwareSizes) -> str:
    """The flash layout and RAM of a firmware, as `host build` prints it."""
    board = sizes.board
    left = (
        board.flash_bytes
        - sizes.system
        - board.romfs_bytes
        - board.filesystem_bytes
        - sizes.firmware
    )
    rows = [("bootloader, partition table, nvs", sizes.system)] if sizes.system else []
    rows += [(f"  {part}", size) for part, size in sizes.flash.items()]
    rows += [
        ("firmware", sizes.firmware),
        (
            "ROMFS (/rom, models)"
            + (f", {board.romfs_segments} segments" if board.romfs_segments > 1 else ""),
            board.romfs_bytes,
        ),
        ("filesystem (/)", board.filesystem_bytes),
        ("flash left unused", left),
        (f"flash ({board.flash_bytes // 1024} KiB)", board.flash_bytes),
        ("RAM: static data", sizes.ram_static),
        (
            "RAM: MicroPython heap" + (" (estimate)" if board.port == "esp32" else ""),
            sizes.heap,
        ),
    ]
    lines = [f"{board.id}: {board.name}"]
    lines += [f"  {label:<34} {size:>10,} B  {size / 1024:8.1f} KiB" for label, size in rows]
    return "\n".join(lines)
