"""Keyword spotting: an I2S microphone listens; "yes" turns the LED on, "no" turns it off.

Copy to the board with the keyword model in ROMFS (/rom/keyword.tflite, /rom/keyword.json);
see README.md.
"""

import json

import tinyml
import tinyml.board as board
import tinyml.trigger as trigger
from tinyml import Pipeline, Window
from tinyml.commands import Commands
from tinyml.features import Spectrogram

with open("/rom/keyword.json") as f:
    meta = json.load(f)
labels = meta["labels"]
prep = meta["preprocessing"]
params = prep["params"]
edges = tuple(params["edges"])
model = tinyml.Model("/rom/keyword.tflite")

mic = board.mic(rate=prep["sample_rate_hz"])
led = board.led()
# The spectrogram is computed as the audio arrives, one 20 ms frame at a time.
spectrogram = Spectrogram(
    prep["frames"], params["frame_log2"], params["hop"], edges, params["offset"]
)
# Scores of the last windows, averaged, make one command per word (tinyml.commands).
commands = Commands(model.output(0), labels, **meta["postprocessing"]["params"])


def act(scores):
    word = commands.update()
    if word == "yes":
        led.on()
        print("yes -> LED on")
    elif word == "no":
        led.off()
        print("no -> LED off")


# One second of audio, every 240 ms (12 frame hops, so that each window's frames are the
# ones log_spectrogram computes for it), while something in that second is louder than the
# background: the model often names a word only once the word is well inside the window,
# when the newest samples are quiet again, so the trigger holds for a window's length.
Pipeline(
    mic,
    Window(prep["samples"], hop=12 * params["hop"]),
    model,
    features=spectrogram,
    quantize=False,
    on_result=act,
    trigger=trigger.AudioLevel(0.01, hold=prep["samples"]),
).run()
