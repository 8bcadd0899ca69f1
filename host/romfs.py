"""`host romfs DIR -o IMAGE`: a MicroPython ROMFS image whose file data is 16-byte aligned.

The layout (MicroPython's extmod/vfs_rom.c format): the filesystem record's header is padded
to a fixed size, then every file's bytes sit in a top-level verbatim-data record whose header
is padded so that the bytes start on a 16-byte boundary of the image, then the directory tree,
whose file records point at that data. A model mapped from such an image is aligned for TFLM
without a copy, provided the ROM partition itself starts on a 16-byte boundary.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from host.errors import CommandError

ALIGN = 16
_HEADER = b"\xd2\xcd\x31"  # the filesystem record kind 0x14a6b1, as a varuint
_LENGTH_BYTES = 5  # the filesystem length, padded to a fixed width so offsets are known early
_PAYLOAD_START = len(_HEADER) + _LENGTH_BYTES

KIND_PADDING = 1
KIND_DATA_VERBATIM = 2
KIND_DATA_POINTER = 3
KIND_DIRECTORY = 4
KIND_FILE = 5


def varuint(value: int, width: int = 0) -> bytes:
    """Big-endian base-128, high bit set on every byte but the last; 0x80 bytes pad it to
    `width`.
    """
    encoded = [value & 0x7F]
    value >>= 7
    while value:
        encoded.insert(0, 0x80 | (value & 0x7F))
        value >>= 7
    return bytes([0x80] * max(0, width - len(encoded)) + encoded)


def record(kind: int, payload: bytes) -> bytes:
    return varuint(kind) + varuint(len(payload)) + payload


def _name(path: Path) -> bytes:
    try:
        return path.name.encode("ascii")
    except UnicodeEncodeError:
        raise CommandError(f"ROMFS names must be ASCII: {path}") from None


def _tree(folder: Path, data_offsets: dict[Path, int]) -> bytes:
    """The directory records below `folder`, each file pointing at its data."""
    out = bytearray()
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            out += record(
                KIND_DIRECTORY, varuint(len(_name(path))) + _name(path) + _tree(path, data_offsets)
            )
        elif path.is_file():
            pointer = record(
                KIND_DATA_POINTER, varuint(path.stat().st_size) + varuint(data_offsets[path])
            )
            out += record(KIND_FILE, varuint(len(_name(path))) + _name(path) + pointer)
    return bytes(out)


def build_image(folder: Path) -> bytes:
    """The ROMFS image of `folder`'s files and subfolders."""
    if not folder.is_dir():
        raise CommandError(f"no such folder: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    payload = bytearray()
    data_offsets: dict[Path, int] = {}
    for path in files:
        _name(path)
        data = path.read_bytes()
        length = varuint(len(data))
        # Pad the record's length varuint until the data lands on an aligned image offset.
        start = _PAYLOAD_START + len(payload) + 1 + len(length)
        padded_length = varuint(len(data), len(length) + (-start) % ALIGN)
        payload += varuint(KIND_DATA_VERBATIM) + padded_length
        data_offsets[path] = len(payload)
        payload += data
    payload += _tree(folder, data_offsets)
    if (_PAYLOAD_START + len(payload)) % 2:
        # The whole image must have an even size; a padding record of one byte fixes parity.
        payload += record(KIND_PADDING, b"\0")
    if len(payload) >= 1 << (7 * _LENGTH_BYTES):
        raise CommandError("folder too large for a ROMFS image")
    return _HEADER + varuint(len(payload), _LENGTH_BYTES) + bytes(payload)


def write_image(folder: Path, image: Path) -> int:
    data = build_image(folder)
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(data)
    return len(data)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="folder whose files go into the image")
    parser.add_argument("-o", "--output", type=Path, required=True, help="image file to write")


def run(args: argparse.Namespace) -> int:
    size = write_image(args.folder, args.output)
    print(f"{args.output}: {size} bytes")
    return 0
