"""How the keyword example does on speech its model never heard: words right, missed, and
false alarms per minute.

    .venv/bin/python benchmarks/keyword_commands.py [--board unix] [--minutes 10] [--seed 2029]

Makes a recording as `host train keyword` makes its data (espeak-ng words over background
noise), but with voices, speeds, pitches and a seed that the training never used: "yes",
"no" and other words, one to three seconds of noise apart. Runs examples/keyword/main.py on
it on the board (`host run --data`), with each line the example prints stamped with the
board's clock, and matches what it printed to what was said: a "yes" or "no" is right when
the example names it between the word's start and 1.5 s after its end; anything else it
prints is a false alarm (a word named during another word, or during noise).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from host.run import run_script  # noqa: E402 (after the sys.path entry above)
from host.train.recipes import keyword  # noqa: E402

# espeak-ng voices and variants outside keyword.VOICES
VOICES = [
    "en-us-nyc",
    "en-us+f1",
    "en-gb+f5",
    "en-gb-scotland+f2",
    "en-029+m2",
    "en-gb-x-rp+m6",
    "en-us+m7",
    "en-gb-x-gbclan+f3",
]
LATE_MS = 1500  # how long after a word's end naming it still counts
STAMP = """import tinyml.clock


def stamped(*args):
    print(tinyml.clock.ticks_ms(), *args)


"""


def recording(path: Path, minutes: float, seed: int) -> list[tuple[int, int, str]]:
    """Write the WAV; return what was said: (start ms, end ms, word)."""
    rng = np.random.default_rng(seed)
    rate = keyword.RATE
    noise_level = 10**-2.8  # about -56 dBFS RMS, under the example's trigger
    parts, said, at = [], [], 0
    while at < minutes * 60 * rate:
        gap = int(rng.uniform(1.0, 3.0) * rate)
        parts.append(np.zeros(gap))
        at += gap
        kind = rng.uniform()
        word = (
            "yes"
            if kind < 0.35
            else "no"
            if kind < 0.7
            else str(rng.choice(keyword.UNKNOWN_WORDS))
        )
        speech = keyword._speak(
            word, str(rng.choice(VOICES)), int(rng.integers(100, 260)), int(rng.integers(10, 90))
        )
        speech *= 10 ** rng.uniform(-2.2, -1.0) / (np.sqrt(np.mean(speech**2)) + 1e-9)
        parts.append(speech)
        said.append((at * 1000 // rate, (at + len(speech)) * 1000 // rate, word))
        at += len(speech)
    audio = np.concatenate(parts)
    seconds = -(-len(audio) // rate)
    noise = np.concatenate([keyword._noise(rng) for _ in range(seconds)])[: len(audio)]
    samples = np.clip(np.rint((audio + noise * noise_level) * 32767), -32768, 32767)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return said


def score(printed: list[tuple[int, str]], said: list[tuple[int, int, str]]) -> dict:
    """Match what the example named to what was said."""
    commands = [(start, end, word) for start, end, word in said if word in ("yes", "no")]
    matched = [False] * len(commands)
    false_alarms = []
    for t, word in printed:
        for i, (start, end, spoken) in enumerate(commands):
            if not matched[i] and spoken == word and start <= t <= end + LATE_MS:
                matched[i] = True
                break
        else:
            false_alarms.append((t, word))
    return {"commands": len(commands), "right": sum(matched), "false_alarms": false_alarms}


def evaluate(
    board: str, models: Path, minutes: float, seed: int, folder: Path, firmware=None
) -> dict:
    """Run the example on `minutes` of unseen speech; what was said, printed and matched."""
    said = recording(folder / "speech.wav", minutes, seed)
    example = (ROOT / "examples" / "keyword" / "main.py").read_text()
    script = folder / "main.py"
    script.write_text(STAMP + f"exec({example!r}, {{'__name__': '__main__', 'print': stamped}})\n")
    result = run_script(
        board, script, rom_dir=models, data=folder / "speech.wav", firmware=firmware, timeout=3600
    )
    if result.returncode != 0:
        raise RuntimeError(f"the example failed on the board:\n{result.output[-3000:]}")
    printed = []
    for line in result.output.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0].isdigit() and fields[1] in ("yes", "no"):
            printed.append((int(fields[0]), fields[1]))
    figures = score(printed, said)
    figures["minutes"] = said[-1][1] / 60000
    figures["words"] = len(said)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--board", default="unix")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=2029)
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="try another value of a tinyml.commands parameter than the sidecar's",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="keyword-commands-") as tmp:
        folder = Path(tmp)
        models = folder / "models"
        trained = subprocess.run(
            [sys.executable, "-m", "host", "train", "keyword", "-o", str(models)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if trained.returncode != 0:
            raise SystemExit(f"host train keyword failed:\n{trained.stderr[-3000:]}")
        sidecar = json.loads((models / "keyword.json").read_text())
        for setting in args.param:
            name, _, value = setting.partition("=")
            sidecar["postprocessing"]["params"][name] = json.loads(value)
        (models / "keyword.json").write_text(json.dumps(sidecar))
        print("tinyml.commands:", sidecar["postprocessing"]["params"])
        try:
            figures = evaluate(args.board, models, args.minutes, args.seed, folder)
        except RuntimeError as err:
            raise SystemExit(str(err)) from None
    right, commands, minutes = figures["right"], figures["commands"], figures["minutes"]
    print(
        f"board {args.board}: {minutes:.1f} min of unseen speech, {figures['words']} words,"
        f" {commands} of them yes/no"
    )
    print(f"right: {right} of {commands} ({100 * right / commands:.1f} %)")
    alarms = figures["false_alarms"]
    print(f"false alarms: {len(alarms)} ({len(alarms) / minutes:.2f} per minute)")
    for t, word in alarms:
        print(f"  {word} at {t / 1000:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
