"""`keyword`: 1 s clips at 16 kHz into "yes", "no", unknown and silence.

Demo data is spoken by espeak-ng over several voices, speeds and pitches, placed at a random
time in the clip with a random gain over synthetic background noise (white, pink, brown,
mains hum) at a random signal-to-noise ratio; "silence" is that noise alone.
"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from host import features
from host.errors import CommandError
from host.train import data as datasets
from host.train.data import Dataset

TASK = "classify"
EPOCHS = 30
RATE = features.pure.KEYWORD_RATE
LABELS = ["yes", "no", "unknown", "silence"]
PER_CLASS = 600
UNKNOWN_WORDS = [
    "left",
    "right",
    "up",
    "down",
    "go",
    "stop",
    "on",
    "off",
    "cat",
    "dog",
    "bird",
    "house",
    "tree",
    "wow",
    "seven",
    "three",
    "happy",
    "bed",
    "nine",
    "yellow",
    "nose",
    "test",
]
VOICES = [
    "en-us",
    "en-gb",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-029",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-us+f2",
    "en-us+f4",
    "en-gb+f3",
    "en-us+m3",
    "en-gb+m4",
    "en-us+f3",
    "en-us+f5",
    "en-gb+m2",
    "en-gb+m5",
    "en-029+f4",
    "en-gb-scotland+m3",
    "en-us+m1",
    "en-gb-x-rp+f2",
]


# How the board turns the scores of windows into commands (tinyml.commands).
# TFLM micro_speech's RecognizeCommands averages 1 s of windows 20 ms apart; a word fills
# only two or three of examples/keyword's windows, 240 ms apart, so the average is over the
# last two (480 ms). Chosen with benchmarks/keyword_commands.py on speech the model was not
# trained on.
COMMANDS = {
    "average_ms": 480,
    "threshold": 0.6,
    "minimum_count": 1,
    "suppression_ms": 1500,
    "ignore": ["unknown", "silence"],
}


def _speak(word: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """espeak-ng's rendering of `word`, resampled to 16 kHz, float in [-1, 1]."""
    from scipy.signal import resample_poly

    result = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", word],
        capture_output=True,
        check=False,
    )
    wav = result.stdout
    start = wav.find(b"data")
    if result.returncode != 0 or start < 0:
        raise CommandError(
            f"espeak-ng failed for {word!r} ({voice}): "
            f"{result.stderr.decode(errors='replace').strip()}"
        )
    # espeak-ng streams its WAV, so the header's lengths are placeholders: read to the end
    rate = int.from_bytes(wav[24:28], "little")
    samples = np.frombuffer(wav[start + 8 :], dtype="<i2").astype(np.float64) / 32768
    return resample_poly(samples, RATE, rate)


def _noise(rng: np.random.Generator) -> np.ndarray:
    """One second of background: a random mix of white, pink and brown noise and mains hum."""
    white = rng.normal(0, 1, RATE)
    spectrum = np.fft.rfft(rng.normal(0, 1, RATE))
    freqs = np.maximum(np.fft.rfftfreq(RATE, 1 / RATE), 1.0)
    pink = np.fft.irfft(spectrum / np.sqrt(freqs), RATE)
    brown = np.fft.irfft(spectrum / freqs, RATE)
    hum = np.sin(2 * np.pi * rng.choice([50, 60]) * np.arange(RATE) / RATE + rng.uniform(0, 6))
    mix = sum(
        rng.uniform(0, 1) * part / (np.std(part) + 1e-12) for part in (white, pink, brown, hum)
    )
    return mix / (np.std(mix) + 1e-12)


def _clip(speech: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """A 1 s int16 clip: speech (if any) at a random place and level, over noise."""
    level = 10 ** rng.uniform(-2.3, -0.7)  # speech RMS, about -46 .. -14 dBFS
    clip = np.zeros(RATE)
    if speech is not None:
        speech = speech[:RATE]
        start = rng.integers(0, RATE - len(speech) + 1)
        clip[start : start + len(speech)] = speech / (np.sqrt(np.mean(speech**2)) + 1e-9) * level
        noise_level = level / 10 ** (rng.uniform(10, 30) / 20)
    else:
        noise_level = 10 ** rng.uniform(-4.5, -1.5)
    clip += _noise(rng) * noise_level
    return np.clip(np.rint(clip * 32767), -32768, 32767).astype(np.int16)


def _synthesize(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if shutil.which("espeak-ng") is None:
        raise CommandError(
            "espeak-ng not found; install it (apt install espeak-ng) or train "
            "on your own folder with --data DIR"
        )
    jobs = []
    for index, label in enumerate(LABELS[:3]):
        for _ in range(PER_CLASS):
            word = label if label != "unknown" else str(rng.choice(UNKNOWN_WORDS))
            jobs.append(
                (
                    index,
                    word,
                    str(rng.choice(VOICES)),
                    int(rng.integers(110, 230)),
                    int(rng.integers(20, 80)),
                )
            )
    datasets.say(f"synthesizing {len(jobs)} clips with espeak-ng")
    with ThreadPoolExecutor(max_workers=4) as pool:
        spoken = list(pool.map(lambda job: _speak(*job[1:]), jobs))
    clips = [_clip(speech, rng) for speech in spoken]
    clips += [_clip(None, rng) for _ in range(PER_CLASS)]
    targets = [job[0] for job in jobs] + [LABELS.index("silence")] * PER_CLASS
    return np.stack(clips), np.asarray(targets)


def _from_folder(root: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    folders = datasets.label_folders(root, ".wav")
    datasets.require_classes(folders, root)
    clips, targets = [], []
    for index, paths in enumerate(folders.values()):
        for path in paths:
            clips.append(datasets.fit_length(datasets.read_wav(path, RATE), RATE))
            targets.append(index)
    return list(folders), np.stack(clips), np.asarray(targets)


def make_dataset(
    rng: np.random.Generator, data_dir: Path | None = None, task: str = TASK
) -> Dataset:
    if task != "classify":
        raise CommandError("WAV folders train keyword classifiers: use --task classify")
    if data_dir is None:
        labels = LABELS
        clips, targets = _synthesize(rng)
    else:
        labels, clips, targets = _from_folder(data_dir)
    datasets.say(f"computing features of {len(clips)} clips")
    inputs = datasets.int8_features_to_input(features.log_spectrogram(clips))
    onehot = np.eye(len(labels), dtype=np.float32)[targets]
    train, val, test = datasets.split(len(targets), rng, targets)
    if min(len(train), len(val), len(test)) == 0:
        raise CommandError(f"{data_dir}: too few clips to split into train, validation and test")
    return Dataset(
        task="classify",
        labels=labels,
        x_train=inputs[train],
        y_train=onehot[train],
        x_val=inputs[val],
        y_val=onehot[val],
        x_test=inputs[test],
        y_test=onehot[test],
        calibration_extra=datasets.int8_extremes((features.pure.KEYWORD_FEATURES,)),
        features=features.sidecar_entry(
            "log_spectrogram", rate=RATE, window=RATE, channels=1, unit="pcm16"
        ),
        postprocessing={"function": "tinyml.commands.Commands", "params": COMMANDS},
    )


def build_model(dataset: Dataset, teacher: bool = False):
    """Two strided 3x3 convolutions over the (frames, bands) image, then a dense classifier."""
    import tf_keras as keras

    frames = features.pure.KEYWORD_FRAMES
    bands = len(features.pure.KEYWORD_EDGES) - 1
    widths = (16, 32) if teacher else (8, 16)
    return keras.Sequential(
        [
            keras.Input(shape=(frames * bands,)),
            keras.layers.Reshape((frames, bands, 1)),
            keras.layers.Conv2D(widths[0], 3, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2D(widths[1], 3, strides=2, padding="same", activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(len(dataset.labels), activation="softmax"),
        ]
    )
