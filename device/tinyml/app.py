"""The deployed app: `host deploy` writes it to /apps/a or /apps/b and a fixed /main.py,

    import tinyml.app
    tinyml.app.main()

that runs the active app's main.py with its lib/ on sys.path and its models at /rom.
/apps/ACTIVE names the active app, followed, while that app has not yet started cleanly, by
the previous one: a first start that raises switches back to it. In an app:

    model, labels = tinyml.app.load_model("gesture")   # /rom/gesture.tflite, sha256 checked

Each app folder holds manifest.json: the sha256 of each of its files, of its models' ROMFS
image and the ROMFS segment that holds it. A board given a key (`host deploy --provision`,
the file /apps/KEY) accepts an app only with manifest.sig, the manifest's HMAC-SHA256 under
that key, and a manifest issued later than the last one it accepted; it checks the active
app's files and models against its manifest at every start.
"""

import binascii
import hashlib
import json
import os
import sys

from micropython import const

APPS = "/apps"
ACTIVE = "/apps/ACTIVE"
KEY = "/apps/KEY"
ISSUED = "/apps/ISSUED"  # when the last signed manifest the board accepted was issued
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
_ROMFS_HEADER = b"\xd2\xcd\x31"
# An app that has run this long before raising did start: its error is its own, not a
# broken deploy, and rolling back would hide it.
_TRIAL_MS = const(10000)


def state():
    """(active app, previous app or None while the active one is on trial); (None, None) if
    nothing was deployed."""
    try:
        with open(ACTIVE) as f:
            names = f.read().split()
    except OSError:
        return None, None
    if not names:
        return None, None
    return names[0], names[1] if len(names) > 1 else None


def replace_file(path, data):
    """Write `path` in one step: a new file renamed over the old one (a rename is atomic on
    littlefs, so a reset at any point leaves the old or the new file)."""
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


def switch(active, previous=None):
    """Make `active` the app in one step."""
    replace_file(ACTIVE, active if previous is None else active + " " + previous)


def started():
    """The active app started cleanly: keep it (the previous one may now be replaced). An app
    that never returns calls this once it is up; one that returns is kept anyway."""
    active, previous = state()
    if previous is not None:
        switch(active)


def hexdigest(digest):
    return binascii.hexlify(digest.digest()).decode()


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(1024)
            if not block:
                break
            digest.update(block)
    return hexdigest(digest)


def rom_segments():
    """How many ROMFS segments the board has (0: none)."""
    try:
        import vfs

        return max(vfs.rom_ioctl(1), 0)
    except (ImportError, AttributeError, OSError):
        return 0


def rom_sha256(segment):
    """The sha256 of the ROMFS image in `segment` (its length is in its header), or None if
    the segment holds no whole image: a cut write is seen as it is."""
    import vfs

    rom = memoryview(vfs.rom_ioctl(2, segment))
    if bytes(rom[:3]) != _ROMFS_HEADER:
        return None
    size, i = 0, 3
    while i < len(rom):
        size = (size << 7) | (rom[i] & 0x7F)
        i += 1
        if not rom[i - 1] & 0x80:
            break
    if i + size > len(rom):
        return None
    return hexdigest(hashlib.sha256(rom[: i + size]))


def hmac_sha256(key, data):
    """HMAC-SHA256 (RFC 2104) of `data` under `key`, as bytes."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = bytes(key) + bytes(64 - len(key))
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(data)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    outer.update(inner.digest())
    return outer.digest()


def _same(a, b):
    """a == b for two byte strings, in a time that does not say where they differ."""
    if len(a) != len(b):
        return False
    difference = 0
    for x, y in zip(a, b):
        difference |= x ^ y
    return difference == 0


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def manifest(name):
    """App `name`'s manifest dict, or None if it has none (a deploy that was cut)."""
    data = _read(APPS + "/" + name + "/" + MANIFEST)
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None


def check(name, *, signed_after=None):
    """None if app `name` may run, else why not: its files and ROMFS image must have the
    sha256 its manifest records and, on a board with a key, the manifest its signature (and,
    with `signed_after`, have been issued after that time)."""
    folder = APPS + "/" + name
    data = _read(folder + "/" + MANIFEST)
    if not data:
        return "it has no manifest (its deploy did not finish)"
    try:
        record = json.loads(data)
        files = record["files"]
    except (ValueError, KeyError, TypeError):
        return "its manifest is not a deploy manifest"
    key = _read(KEY)
    if key:
        signature = _read(folder + "/" + SIGNATURE)
        if not signature:
            return "it is not signed, and this board accepts only signed apps"
        try:
            signature = binascii.unhexlify(signature.strip())
        except ValueError:
            return "its signature is not hex"
        if not _same(signature, hmac_sha256(key, data)):
            return "its signature does not match its manifest under this board's key"
        if signed_after is not None and int(record.get("issued", 0)) <= signed_after:
            return "its manifest was issued before the last one accepted (a replayed update)"
    for rel, expected in files.items():
        try:
            actual = file_sha256(folder + "/" + rel)
        except OSError:
            return "%s is missing" % rel
        if actual != expected:
            return "%s differs from its manifest" % rel
    segment = record.get("rom_segment")
    if segment is not None and rom_sha256(segment) != record.get("rom"):
        return "its models' ROMFS image (segment %d) differs from its manifest" % segment
    return None


def has_key():
    """The board was given a key: it runs signed apps only."""
    return _read(KEY) is not None


def _issued():
    data = _read(ISSUED)
    return int(data) if data else 0


def commit(name):
    """Make app `name`, written beside the active one, the app, once check() accepts it;
    ValueError naming why not. `host deploy` calls this as its last step."""
    signed = has_key()
    problem = check(name, signed_after=_issued() if signed else None)
    if problem:
        raise ValueError("app %s refused: %s" % (name, problem))
    if signed:
        replace_file(ISSUED, str(manifest(name).get("issued", 0)))
    active, _ = state()
    switch(name, active if active not in (None, name) else None)


def provision(key_hex, signature_hex=None):
    """Give the board the key its apps must be signed with. A board that has a key already
    takes a new one only with `signature_hex`, the new key's HMAC under the old key."""
    key = binascii.unhexlify(key_hex)
    if len(key) < 16:
        raise ValueError("a key needs at least 16 bytes")
    old = _read(KEY)
    if old and not (
        signature_hex and _same(binascii.unhexlify(signature_hex), hmac_sha256(old, key))
    ):
        raise ValueError("this board has a key: a new one must be signed with it")
    try:
        os.mkdir(APPS)
    except OSError:
        pass
    replace_file(KEY, key)


def mount_rom(name):
    """Mount the ROMFS segment that app `name`'s manifest names at /rom."""
    record = manifest(name)
    segment = record.get("rom_segment") if record else None
    if segment is None:
        return
    import vfs

    try:
        vfs.umount("/rom")
    except OSError:
        pass
    vfs.mount(vfs.VfsRom(vfs.rom_ioctl(2, segment)), "/rom")


def load_model(name, arena=None):
    """(the model /rom/NAME.tflite, checked against its sidecar's sha256; the sidecar's labels)."""
    from tinyml.model import _tflm, verified

    model, sidecar = verified("/rom/%s.tflite" % name)
    return _tflm.Model(model, arena=arena), sidecar.get("labels")


def run(name):
    """Run app `name`'s main.py as __main__, from its folder, with its lib/ first on sys.path
    and its models at /rom; None if it returned, else the milliseconds it ran before raising
    (traceback printed)."""
    import time

    folder = APPS + "/" + name
    path = folder + "/main.py"
    imported = set(sys.modules)
    start = time.ticks_ms()
    sys.path.insert(0, folder + "/lib")
    try:
        mount_rom(name)
        os.chdir(folder)
        with open(path) as f:
            code = compile(f.read(), path, "exec")
        exec(code, {"__name__": "__main__", "__file__": path})
    except Exception as err:  # an app folder a cut deploy left unreadable fails here too
        sys.print_exception(err)
        # The app's own modules go with it: another app's lib/ may have modules of the
        # same name.
        for module in set(sys.modules) - imported:
            del sys.modules[module]
        return time.ticks_diff(time.ticks_ms(), start)
    finally:
        sys.path.remove(folder + "/lib")
        os.chdir("/")
    return None


def _refused(name):
    """Why app `name` may not start on a board with a key (None: it may, or no key)."""
    if not has_key():
        return None
    problem = check(name)
    if problem:
        print("tinyml.app: app %s refused: %s" % (name, problem))
    return problem


def main():
    """The launcher: run the active app; roll back a first start that raises, and, on a
    board with a key, an app that fails its check."""
    active, previous = state()
    if active is None:
        print("tinyml.app: no app deployed here; host deploy APP puts one")
        return
    if _refused(active):
        if previous is None or _refused(previous):
            print("tinyml.app: no app to start")
            return
        switch(previous)
        print("tinyml.app: back to app %s" % previous)
        run(previous)
        return
    failed_after = run(active)
    if failed_after is None or previous is None or failed_after >= _TRIAL_MS:
        started()
        return
    switch(previous)
    print(
        "tinyml.app: app %s raised on its first start; rolled back to app %s" % (active, previous)
    )
    run(previous)
