"""Make the examples' recordings from the training recipes' own generators, seeded, so that
each example's model meets data like what it learned from. Run from the repository root:

    python -m examples.make_samples

hello_world/sample.csv  a potentiometer turned from one end to the other (10 Hz)
magic_wand/sample.csv   accelerometer in g at 100 Hz: rest, circle, rest, punch, rest, shake
keyword/sample.wav      16 kHz speech over noise: silence, "yes", silence, "no", silence
anomaly/sample.wav      4 kHz vibration as an analog accelerometer's ADC sees it (+-2 g
                        full scale): a healthy machine, then a bearing fault
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from host.train.recipes import anomaly, gesture, keyword

HERE = Path(__file__).resolve().parent
SEED = 4
ANOMALY_FULL_SCALE_MG = 2000  # the example's sensor: +-2 g across the ADC's range
ANOMALY_WAKE_MS = 2256  # main.py: 2 s of deep sleep + 256 ms to fill a window
# What each recording holds, in order (tests/test_device_runtime.py checks the examples'
# output against these).
WAND_MOVES = ("idle", "circle", "idle", "punch", "idle", "shake", "idle")
KEYWORD_WORDS = (None, "yes", None, "no", None)  # one second each; None: background only
ANOMALY_STATES = ("healthy", "bearing")
ANOMALY_STRETCH = 3 * ANOMALY_WAKE_MS * anomaly.RATE // 1000  # samples of each state


def write_wav(path: Path, rate: int, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())


def hello_world() -> None:
    rows = ["t,knob"] + [f"{i / 10:.1f},{i / 20:.2f}" for i in range(21)]
    (HERE / "hello_world" / "sample.csv").write_text("\n".join(rows) + "\n")


def magic_wand(rng: np.random.Generator) -> None:
    parts = []
    for label in WAND_MOVES:
        part = gesture.generate(label, rng).astype(np.float64)
        if parts:
            # Each generated window has its own orientation and offset; shift it so that it
            # starts where the last one ended, or the seams would look like movement.
            part += parts[-1][-10:].mean(0) - part[:10].mean(0)
        parts.append(part)
    readings = np.rint(np.concatenate(parts)) / 1000  # milli-g -> g, the recording's unit
    rows = ["t,x,y,z"] + [
        f"{i / gesture.RATE:.2f},{x:.3f},{y:.3f},{z:.3f}" for i, (x, y, z) in enumerate(readings)
    ]
    (HERE / "magic_wand" / "sample.csv").write_text("\n".join(rows) + "\n")


def keyword_sample(rng: np.random.Generator) -> None:
    clips = [
        keyword._clip(word and keyword._speak(word, "en-us", 160, 50), rng)
        for word in KEYWORD_WORDS
    ]
    write_wav(HERE / "keyword" / "sample.wav", keyword.RATE, np.concatenate(clips))


def anomaly_sample(rng: np.random.Generator) -> None:
    # generate() sizes its signal by the module's SAMPLES: one continuous stretch per state,
    # three wake-ups long, so every window the board takes sees one steady machine.
    saved = anomaly.SAMPLES
    try:
        anomaly.SAMPLES = ANOMALY_STRETCH
        signal = np.concatenate([anomaly.generate(state, rng) for state in ANOMALY_STATES])
    finally:
        anomaly.SAMPLES = saved
    counts = np.clip(np.rint(signal * 32768 / ANOMALY_FULL_SCALE_MG), -32768, 32767)
    write_wav(HERE / "anomaly" / "sample.wav", anomaly.RATE, counts)


def main() -> None:
    rng = np.random.default_rng(SEED)
    hello_world()
    magic_wand(rng)
    keyword_sample(rng)
    anomaly_sample(rng)


if __name__ == "__main__":
    main()
