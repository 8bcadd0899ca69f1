"""The deployed app: `host deploy` writes it to /apps/a or /apps/b, and /main.py runs
`tinyml.app.main()` (README: "host deploy"). In an app: `tinyml.app.load_model(name)`."""

from typing import Any, Protocol

import _tflm
from typing_extensions import Buffer

APPS: str
ACTIVE: str
"""The file naming the active app (and the previous one while it is on trial)."""
KEY: str
"""The board's key: it then runs signed apps only."""
ISSUED: str
"""When the last signed manifest the board accepted was issued."""
MANIFEST: str
SIGNATURE: str

class _Digest(Protocol):
    def digest(self) -> bytes: ...

def state() -> tuple[str | None, str | None]:
    """(active app, previous app or None); (None, None) if nothing was deployed."""

def replace_file(path: str, data: str | Buffer) -> None:
    """Write `path` in one step (a new file renamed over the old one)."""

def switch(active: str, previous: str | None = None) -> None:
    """Make `active` the app in one step."""

def started() -> None:
    """The active app started cleanly: keep it."""

def hexdigest(digest: _Digest) -> str:
    """A hashlib object's digest in hex."""

def file_sha256(path: str) -> str:
    """The sha256 of a file, in hex."""

def rom_segments() -> int:
    """How many ROMFS segments the board has (0: none)."""

def rom_sha256(segment: int) -> str | None:
    """The sha256 of the ROMFS image in `segment`, or None if it holds no whole image."""

def hmac_sha256(key: Buffer, data: Buffer) -> bytes:
    """HMAC-SHA256 of `data` under `key`."""

def manifest(name: str) -> dict[str, Any] | None:
    """App `name`'s manifest, or None if it has none."""

def check(name: str, *, signed_after: int | None = None) -> str | None:
    """None if app `name` may run, else why not."""

def has_key() -> bool:
    """The board was given a key: it runs signed apps only."""

def commit(name: str) -> None:
    """Make app `name` the app once check() accepts it; ValueError naming why not."""

def provision(key_hex: str | bytes, signature_hex: str | bytes | None = None) -> None:
    """Give the board the key its apps must be signed with."""

def mount_rom(name: str) -> None:
    """Mount the ROMFS segment that app `name`'s manifest names at /rom."""

def load_model(name: str, arena: int | Buffer | None = None) -> tuple[_tflm.Model, Any]:
    """(the model /rom/NAME.tflite, checked against its sidecar's sha256; the sidecar's
    labels)."""

def run(name: str) -> int | None:
    """Run app `name`'s main.py; None if it returned, else the ms it ran before raising."""

def main() -> None:
    """The launcher: run the active app; roll back a first start that raises."""
