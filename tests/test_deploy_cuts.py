"""Deploys cut off at random points: the board always starts the old app or the new one.

On the emulated Pico (its flash kept in a file that every flash write goes to), `host deploy`
alternates between two apps whose code and models differ, and each deploy is cut at a random
moment of its run: either mpremote is killed (with the host process), or the emulator is, as
a cable pulled or the power lost mid-write would; the emulator is then booted again from its
flash. After each cut the board must start one of the two apps, and its model must be the
one its sidecar names (tinyml.app.load_model checks the sha256). A few cuts run on every push;
`pytest -m full_sweep` runs 100.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from test_deploy import WATCH_SECONDS, sine, sine_app  # noqa: F401 (sine is a fixture)

from host import deploy as deploy_module

ROOT = Path(__file__).resolve().parent.parent
SEED = 2030


class Pico:
    """The emulated Pico on one flash image, booted again after it is killed."""

    def __init__(self, uf2: Path, flash: Path):
        from host.emulators import rp2040js

        self.rp2040js = rp2040js
        self.uf2, self.flash = uf2, flash
        self.proc, self.device = rp2040js.start(uf2, flash)

    def kill(self) -> None:
        self.proc.kill()
        self.rp2040js.stop(self.proc)

    def boot(self) -> None:
        self.proc, self.device = self.rp2040js.start(self.uf2, self.flash)

    def stop(self) -> None:
        self.rp2040js.stop(self.proc)


def start_deploy(app: Path, device: str) -> subprocess.Popen:
    """`host deploy` as a user runs it, in its own session so that a kill takes its mpremote
    with it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "host",
            "deploy",
            str(app),
            "--port",
            device,
            "--board",
            "rpi_pico",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def started_app(output: str) -> str:
    """Which app the board started: "v1", "v2", or why neither did."""
    for version, label in (("v1", "sin(x)"), ("v2", "sine")):
        if f"app {version} ['{label}'] y=1.0" in output:
            return version
    if "sha256 differs from its sidecar" in output:
        return "refused an altered model"
    return "neither"


def run_cuts(sine: Path, tmp_path: Path, count: int) -> None:  # noqa: F811
    from conftest import firmware_for

    for program in ("node", "npm"):
        if shutil.which(program) is None:
            pytest.skip(f"{program} missing; install it with: apt-get install nodejs npm")
    apps = {
        "v1": sine_app(tmp_path / "v1", sine, "v1", labels=("sin(x)",)),
        "v2": sine_app(tmp_path / "v2", sine, "v2", labels=("sine",)),
    }
    pico = Pico(firmware_for("rpi_pico").path, tmp_path / "flash.img")
    rng = random.Random(SEED)
    outcomes: Counter[tuple[str, str]] = Counter()
    ways: Counter[str] = Counter()
    try:
        # Two whole deploys: the board holds both apps, and the second gives a deploy's time.
        for version in ("v1", "v2"):
            began = time.monotonic()
            assert start_deploy(apps[version], pico.device).wait(600) == 0
            seconds = time.monotonic() - began
        running = "v2"
        cut = 0
        while cut < count:
            new = "v1" if running == "v2" else "v2"
            kill_emulator = rng.random() < 0.5
            # Within the deploy's time, less the reset at its end, so nearly every one is cut.
            at = rng.uniform(0.0, 0.9 * seconds)
            deploy = start_deploy(apps[new], pico.device)
            try:
                deploy.wait(at)
                how = "finished before the cut"
            except subprocess.TimeoutExpired:
                how = "emulator killed" if kill_emulator else "mpremote killed"
                if kill_emulator:
                    pico.kill()
                os.killpg(deploy.pid, signal.SIGKILL)
                deploy.wait()
                cut += 1
            if how == "emulator killed":
                pico.boot()
            output = deploy_module.soft_reset(
                pico.device, WATCH_SECONDS, until=deploy_module.REPL_PROMPT
            )
            started = started_app(output)
            which = {running: "old app", new: "new app"}.get(started, started)
            outcomes["cut" if how.endswith("killed") else "whole", which] += 1
            ways[how] += 1
            print(f"{how} after {at:.2f} s: the board started the {which}")
            if which not in ("old app", "new app"):
                print(output)
            if started in apps:
                running = started
    finally:
        pico.stop()
    print(f"{count} deploys cut at random points (seed {SEED}), a deploy taking {seconds:.1f} s:")
    print("  " + ", ".join(f"{n} {way}" for way, n in sorted(ways.items())))
    for kind in ("cut", "whole"):
        started = [f"{n} the {which}" for (k, which), n in sorted(outcomes.items()) if k == kind]
        print(f"  after a {kind} deploy the board started: " + (", ".join(started) or "-"))
    assert {which for _, which in outcomes} <= {"old app", "new app"}, outcomes


def test_deploys_cut_at_random_points_leave_the_old_or_the_new_app(sine, tmp_path):  # noqa: F811
    run_cuts(sine, tmp_path, 8)


@pytest.mark.full_sweep
def test_a_hundred_cut_deploys(sine, tmp_path):  # noqa: F811
    run_cuts(sine, tmp_path, 100)
