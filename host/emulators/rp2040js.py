"""The RP2040 emulator: MicroPython's rp2 firmware.uf2 in rp2040js, its USB serial on TCP.

`start()` boots a firmware and returns an mpremote device (`socket://127.0.0.1:PORT`) that
behaves as a Pico's /dev/ttyACM0: exec, run, fs, romfs deploy and reset all work, and the
flash (littlefs at /, the ROMFS partition) persists in an image file between runs. What the
emulation adds to stock rp2040js, and its limits, are described at the top of
rp2040js/pico.mjs.

rp2040js itself (an npm package, pinned by rp2040js/package-lock.json) is installed into the
cache by `install()`, never into the repo; the RP2040 boot ROM comes from the rp2040js source
that `host setup` fetches (sources.lock), read at run time.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import threading
from pathlib import Path

from host import paths
from host.errors import CommandError

HERE = Path(__file__).resolve().parent / "rp2040js"
PICO_MJS = HERE / "pico.mjs"
PACKAGE_FILES = ("package.json", "package-lock.json")
NODE_INSTALL = "apt-get install -y nodejs npm"
# Wall seconds from start to the firmware's first bytes on the USB serial port (about 2 s on
# an idle machine; generous for a loaded one).
BOOT_TIMEOUT = 90.0

_LISTENING = re.compile(r"listening on ([\d.]+):(\d+)")


def install_dir() -> Path:
    """Where `npm ci` installs rp2040js: <cache>/rp2040js-node (it holds node_modules/)."""
    return paths.cache_dir() / "rp2040js-node"


def _require(program: str) -> str:
    found = shutil.which(program)
    if not found:
        raise CommandError(
            f"{program} not found; the rpi_pico emulator needs Node.js and npm:"
            f" install them with: {NODE_INSTALL} (then run: host setup)"
        )
    return found


def _lock_digest() -> str:
    digest = hashlib.sha256()
    for name in PACKAGE_FILES:
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()


def install() -> Path:
    """Install the pinned rp2040js into the cache (npm ci) unless already there; its folder.

    Idempotent: a stamp holding the digest of package.json and package-lock.json makes a
    second call return at once; a changed lock file reinstalls.
    """
    dest = install_dir()
    stamp = dest / ".tinyml-mpy-lock"
    wanted = _lock_digest()
    if (
        stamp.is_file()
        and stamp.read_text().strip() == wanted
        and (dest / "node_modules" / "rp2040js" / "package.json").is_file()
    ):
        return dest
    npm = _require("npm")
    _require("node")
    dest.mkdir(parents=True, exist_ok=True)
    for name in PACKAGE_FILES:
        shutil.copyfile(HERE / name, dest / name)
    stamp.unlink(missing_ok=True)
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=dest,
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise CommandError(f"npm ci in {dest} failed:\n{(result.stderr or result.stdout).strip()}")
    stamp.write_text(wanted + "\n")
    return dest


def bootrom_path() -> Path:
    """The RP2040 boot ROM (rp2040js's demo/bootrom.ts, in the sources `host setup` fetches)."""
    from host import sources

    path = sources.source("rp2040js").path / "demo" / "bootrom.ts"
    if not path.is_file():
        raise CommandError(f"the RP2040 boot ROM is missing ({path}); run: host setup")
    return path


def start(
    uf2: Path,
    flash_image: Path,
    data: Path | None = None,
    *,
    bootrom: Path | None = None,
    log: Path | None = None,
    verbose: bool = False,
    pulses: str | None = None,
) -> tuple[subprocess.Popen, str]:
    """Boot `uf2` in the emulator with `flash_image` as its 2 MiB flash; (process, mpremote
    device).

    If `flash_image` exists it is the flash's previous content (file systems, ROMFS) and the
    firmware is written over it; else the flash starts erased and the image is created. Every
    flash write goes straight to the image, so killing the process loses nothing written.
    Returns once the firmware's USB serial port is up. The emulator's log goes to `log`
    (default: the image's path + ".log"). Stop it with `stop()` (or kill()).

    `data`: a recording the emulated sensors play to the firmware's drivers (a CSV t,x,y,z in
    g: an MPU6050 on I2C0; a CSV t,knob or a WAV: ADC input 0). The emulator then prints
    `recording ended` on its stdout (the process's `stdout`, still open) when the recording
    is over, and stops the chip there; see `wait_recording_ended()`.

    `pulses`: "PIN:HZ:COUNT:READY", COUNT rising edges at HZ into GPIO PIN once the firmware
    drives GPIO READY high; the emulator prints `pulses driven COUNT` on its stdout after them.
    """
    uf2 = Path(uf2).resolve()
    if not uf2.is_file():
        raise CommandError(f"no such firmware: {uf2}")
    flash_image = Path(flash_image).resolve()
    flash_image.parent.mkdir(parents=True, exist_ok=True)
    bootrom = Path(bootrom) if bootrom else bootrom_path()
    prefix = install()
    node = _require("node")
    log = Path(log) if log else flash_image.with_name(flash_image.name + ".log")
    cmd = [
        node,
        str(PICO_MJS),
        "--uf2",
        str(uf2),
        "--flash",
        str(flash_image),
        "--bootrom",
        str(bootrom),
        "--port",
        "0",
        "--npm-prefix",
        str(prefix),
        "--exit-on-stdin-eof",
    ]  # the emulator ends with this process (its stdin pipe)
    if verbose:
        cmd.append("--verbose")
    if pulses is not None:
        cmd += ["--pulses", pulses]
    if data is not None:
        data = Path(data).resolve()
        if not data.is_file():
            raise CommandError(f"no such recording: {data}")
        cmd += ["--data", str(data)]
    with open(log, "w") as log_file:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file, text=True
        )
    device = _wait_until_up(proc, log)
    return proc, device


def _wait_until_up(proc: subprocess.Popen, log: Path) -> str:
    """Read the emulator's stdout until its USB serial port is up; the mpremote device."""
    timer = threading.Timer(BOOT_TIMEOUT, proc.kill)
    timer.start()
    device = None
    try:
        for line in proc.stdout:
            match = _LISTENING.search(line)
            if match:
                device = f"socket://{match.group(1)}:{match.group(2)}"
            elif line.startswith("usb serial up") and device:
                return device
    finally:
        timer.cancel()
    proc.kill()
    proc.wait()
    tail = log.read_text(errors="replace").splitlines()[-10:] if log.is_file() else []
    if proc.returncode == 2:
        # pico.mjs refused its arguments (a recording it cannot play, a missing file).
        raise CommandError("the rp2040js emulator did not start:\n" + "\n".join(tail))
    raise CommandError(
        f"the rp2040js emulator did not bring up the firmware's USB serial port"
        f" within {BOOT_TIMEOUT:.0f} s; its log ({log}):\n" + "\n".join(tail)
    )


def wait_recording_ended(proc: subprocess.Popen) -> bool:
    """Block until the emulator started with `data` says its recording is over (True), or
    exits (False). The chip is stopped from then on, so nothing more comes from it."""
    for line in proc.stdout:
        if line.startswith("recording ended"):
            return True
    return False


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop the emulator (SIGTERM, then SIGKILL); its flash image is already up to date."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe:
            pipe.close()
