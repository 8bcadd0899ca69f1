"""UF2 files, the format the RP2040 and RP2350 bootloaders take over USB.

    blocks = read_blocks(path)              # every 512-byte block, validated
    check_family(path, "rp2040", board="rpi_pico")   # CommandError if it is for another chip

The layout and the family ids are those of pico-sdk's `boot/uf2.h` (and Microsoft's UF2
specification): a 32-byte header, 476 bytes of data, a closing magic number.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from host.errors import CommandError

BLOCK_SIZE = 512
DATA_SIZE = 476
MAGIC_START0 = 0x0A324655
MAGIC_START1 = 0x9E5D5157
MAGIC_END = 0x0AB16F30
HEADER = struct.Struct("<8I")

FLAG_NOT_MAIN_FLASH = 0x00000001
FLAG_FAMILY_ID_PRESENT = 0x00002000
FLAG_EXTENSION_FLAGS_PRESENT = 0x00008000
# An extension tag (after the payload) marking a block the bootrom ignores: pico-sdk adds one
# such block, numbered 0 of 2 with no block 1, before RP2350 images (erratum RP2350-E10).
EXTENSION_RP2_IGNORE_BLOCK = 0x9957E304

RP2040_FAMILY_ID = 0xE48BFF56
ABSOLUTE_FAMILY_ID = 0xE48BFF57
DATA_FAMILY_ID = 0xE48BFF58
RP2350_ARM_S_FAMILY_ID = 0xE48BFF59
RP2350_RISCV_FAMILY_ID = 0xE48BFF5A
RP2350_ARM_NS_FAMILY_ID = 0xE48BFF5B
CYW43_FIRMWARE_FAMILY_ID = 0xE48BFF55

# The chip a family id is for, as a user reads it.
FAMILY_CHIPS = {
    RP2040_FAMILY_ID: "RP2040",
    ABSOLUTE_FAMILY_ID: "RP2350",
    DATA_FAMILY_ID: "RP2350",
    RP2350_ARM_S_FAMILY_ID: "RP2350",
    RP2350_RISCV_FAMILY_ID: "RP2350",
    RP2350_ARM_NS_FAMILY_ID: "RP2350",
    CYW43_FIRMWARE_FAMILY_ID: "the CYW43 Wi-Fi chip",
}
# The families each chip's bootrom accepts (board.toml's `mcu` -> family ids).
MCU_FAMILIES = {
    "rp2040": frozenset({RP2040_FAMILY_ID}),
    "rp2350": frozenset(
        {
            RP2350_ARM_S_FAMILY_ID,
            RP2350_RISCV_FAMILY_ID,
            RP2350_ARM_NS_FAMILY_ID,
            ABSOLUTE_FAMILY_ID,
            DATA_FAMILY_ID,
        }
    ),
}


@dataclass(frozen=True)
class Block:
    """One 512-byte UF2 block; `family_id` is None when the block does not carry one."""

    flags: int
    target_addr: int
    payload_size: int
    block_no: int
    num_blocks: int
    family_id: int | None
    data: bytes

    @property
    def payload(self) -> bytes:
        return self.data[: self.payload_size]

    @property
    def ignored(self) -> bool:
        """True for a block tagged for the bootrom to skip (pico-sdk's RP2350-E10 block)."""
        if not self.flags & FLAG_EXTENSION_FLAGS_PRESENT:
            return False
        start = (self.payload_size + 3) & ~3
        return self.data[start : start + 4] == EXTENSION_RP2_IGNORE_BLOCK.to_bytes(4, "little")


def _parse_block(raw: bytes, index: int, path: Path) -> Block:
    (magic0, magic1, flags, target_addr, payload_size, block_no, num_blocks, size_or_family) = (
        HEADER.unpack_from(raw)
    )
    magic_end = int.from_bytes(raw[BLOCK_SIZE - 4 :], "little")
    if (magic0, magic1, magic_end) != (MAGIC_START0, MAGIC_START1, MAGIC_END):
        raise CommandError(
            f"{path} is not a UF2 file: block {index} (byte {index * BLOCK_SIZE}) "
            "has no UF2 magic numbers"
        )
    if payload_size > DATA_SIZE:
        raise CommandError(
            f"{path}: block {index} claims {payload_size} bytes of payload (at most {DATA_SIZE})"
        )
    if num_blocks == 0 or block_no >= num_blocks:
        raise CommandError(f"{path}: block {index} is numbered {block_no} of {num_blocks}")
    family_id = size_or_family if flags & FLAG_FAMILY_ID_PRESENT else None
    return Block(
        flags,
        target_addr,
        payload_size,
        block_no,
        num_blocks,
        family_id,
        raw[HEADER.size : HEADER.size + DATA_SIZE],
    )


def _check_sequence(blocks: list[Block], path: Path) -> None:
    """Each image in the file is numbered 0..num_blocks-1 without gaps; a file may hold
    several images one after another (one per family, say)."""
    expected = 0
    total = 0
    for index, block in enumerate(blocks):
        if block.ignored:
            continue
        if expected == 0:
            total = block.num_blocks
        if block.block_no != expected or block.num_blocks != total:
            raise CommandError(
                f"{path} is incomplete or out of order: block {index} is numbered "
                f"{block.block_no} of {block.num_blocks}, expected {expected} "
                f"of {total}"
            )
        expected = 0 if block.block_no + 1 == total else expected + 1
    if expected != 0:
        raise CommandError(f"{path} is truncated: it ends after block {expected - 1} of {total}")


def read_blocks(path: Path) -> list[Block]:
    """Every block of a UF2 file, after checking its size, magic numbers and numbering."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as err:
        raise CommandError(f"cannot read {path}: {err.strerror}") from err
    if not content or len(content) % BLOCK_SIZE:
        raise CommandError(
            f"{path} is not a UF2 file: its size ({len(content)} bytes) is not a "
            f"non-zero multiple of {BLOCK_SIZE}"
        )
    blocks = [
        _parse_block(content[offset : offset + BLOCK_SIZE], offset // BLOCK_SIZE, path)
        for offset in range(0, len(content), BLOCK_SIZE)
    ]
    _check_sequence(blocks, path)
    return blocks


def families(path: Path) -> set[int]:
    """The family ids the file's blocks carry (blocks without one are left out)."""
    return {block.family_id for block in read_blocks(path) if block.family_id is not None}


def describe_family(family_id: int) -> str:
    return FAMILY_CHIPS.get(family_id, f"family 0x{family_id:08x}")


def check_family(path: Path, mcu: str, *, board: str | None = None) -> None:
    """Raise CommandError unless every block of the file is for `mcu` ("rp2040", "rp2350")."""
    wanted = MCU_FAMILIES.get(mcu)
    if wanted is None:
        raise CommandError(f"unknown MCU {mcu!r} (known: {', '.join(MCU_FAMILIES)})")
    chip = mcu.upper()
    blocks = read_blocks(path)
    if any(block.family_id is None for block in blocks):
        raise CommandError(
            f"{path} has blocks without a family id, so it cannot be checked "
            f"to be for an {chip}; make it with picotool or pico-sdk"
        )
    foreign = sorted({block.family_id for block in blocks} - wanted)
    if foreign:
        others = ", ".join(sorted({describe_family(family) for family in foreign}))
        target = f"board {board} is an {chip}" if board else f"the target is an {chip}"
        raise CommandError(
            f"{path} is a UF2 for {others}, but {target} "
            f"(family ids {', '.join(f'0x{f:08x}' for f in foreign)})"
        )


def write_uf2(path: Path, data: bytes, base: int, family: int, *, payload_size: int = 256) -> None:
    """Write `data` at address `base` as a UF2 file for `family`, `payload_size` bytes a block
    (256, a flash page, as picotool and pico-sdk write them)."""
    chunks = [data[offset : offset + payload_size] for offset in range(0, len(data), payload_size)]
    with open(path, "wb") as out:
        for block_no, chunk in enumerate(chunks):
            header = HEADER.pack(
                MAGIC_START0,
                MAGIC_START1,
                FLAG_FAMILY_ID_PRESENT,
                base + block_no * payload_size,
                len(chunk),
                block_no,
                len(chunks),
                family,
            )
            out.write(header + chunk.ljust(DATA_SIZE, b"\0") + MAGIC_END.to_bytes(4, "little"))
