"""Keyword spotting: an I2S microphone listens; "yes" turns the LED on, "no" turns it off.

Copy to the board with the keyword model in ROMFS (/rom/keyword.tflite, /rom/keyword.json);
see README.md.
"""

import tinyml
import tinyml.board as board
import tinyml.trigger as trigger
from tinyml import Pipeline, Window

# The model with its sidecar: sample rate, window, feature parameters, command settings.
keyword = tinyml.load("/rom/keyword.tflite")

mic = board.mic(rate=keyword.rate)
led = board.led()
# Scores of the last windows, averaged, make one command per word (tinyml.commands).
commands = keyword.commands()


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
# The spectrogram is computed as the audio arrives, one 20 ms frame at a time.
Pipeline(
    mic,
    Window(keyword.window, hop=12 * keyword.params["hop"]),
    keyword.model,
    features=keyword.spectrogram(),
    quantize=False,
    on_result=act,
    trigger=trigger.AudioLevel(0.01, hold=keyword.window),
).run()
