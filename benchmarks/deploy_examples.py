"""What `host deploy` sends for each example: files, bytes and round trips of a first deploy
and of an unchanged redeploy, to the emulated Pico on a fresh flash.

    .venv/bin/python benchmarks/deploy_examples.py

Each example's app is its main.py with the model `host train` makes for it in models/, as
the README's quick path has it. The board is not reset after the deploys (the examples wait
for sensors the emulator would need a recording for), so the round trips are the deploy's
own: a reset adds one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from host import build  # noqa: E402 (after the sys.path entry above)
from host.boards import load_board  # noqa: E402
from host.deploy import deploy_to  # noqa: E402
from host.emulators import rp2040js  # noqa: E402
from host.transport import MpremoteTransport  # noqa: E402

RECIPES = {
    "hello_world": "sine",
    "magic_wand": "gesture",
    "keyword": "keyword",
    "anomaly": "anomaly",
}


def app_for(example: str, folder: Path) -> Path:
    app = folder / example
    app.mkdir()
    shutil.copy(ROOT / "examples" / example / "main.py", app)
    trained = subprocess.run(
        [sys.executable, "-m", "host", "train", RECIPES[example], "-o", str(app / "models")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if trained.returncode != 0:
        raise SystemExit(f"host train {RECIPES[example]} failed:\n{trained.stderr[-3000:]}")
    return app


def ignore(line: str) -> None:
    pass


def main() -> int:
    uf2 = build.firmware("rpi_pico").path
    board = load_board("rpi_pico")
    print("host deploy to the emulated Pico, fresh flash (round trips without the reset)")
    print(f"{'example':12} {'first deploy':>40}   {'unchanged redeploy':>28}")
    with tempfile.TemporaryDirectory(prefix="deploy-examples-") as tmp:
        for example in RECIPES:
            app = app_for(example, Path(tmp))
            proc, device = rp2040js.start(uf2, Path(tmp) / f"{example}.img")
            try:
                transport = MpremoteTransport(board, device)
                first = deploy_to(transport, app, board_id="rpi_pico", log=ignore, reset=False)
                again = deploy_to(transport, app, board_id="rpi_pico", log=ignore, reset=False)
            finally:
                rp2040js.stop(proc)
            print(
                f"{example:12} {first.files_sent} files + ROMFS {first.bytes_sent:>7,} B"
                f" {first.round_trips} round trips {first.seconds:5.1f} s"
                f"   {again.bytes_sent} B {again.round_trips} round trip"
                f" {again.seconds:5.1f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
