"""Magic wand: the IMU's motion interrupt wakes the board; the gesture model names the move.

Copy to the board with the gesture model in ROMFS (/rom/gesture.tflite, /rom/gesture.json);
see README.md.
"""

from array import array

import tinyml
import tinyml.board as board
import tinyml.trigger as trigger
from tinyml import Pipeline, Window

# The model with its sidecar: labels, sample rate, window, feature parameters.
gesture = tinyml.load("/rom/gesture.tflite")
labels = gesture.labels
samples = gesture.window

RANGE_G = 4
imu = board.imu(rate=gesture.rate, range=RANGE_G)
# The chip watches for movement while the MCU sleeps; its INT pin wakes the board. 50 ms
# over 0.3 g in a row: a gesture moves the hand that long, a knock or a twitch does not.
moved = trigger.Motion(imu, threshold=0.3, duration_ms=50)
milli_g = array("h", bytes(2 * 3 * samples))
inputs = array("b", bytes(3 * samples))


def gesture_features(view, out):
    # IMU counts at +-RANGE_G -> milli-g, the unit the model was trained on
    for i in range(len(view)):
        milli_g[i] = view[i] * (1000 * RANGE_G) >> 15
    gesture.features(milli_g, out)


def show(scores):
    best = 0
    for i in range(len(scores)):
        if scores[i] > scores[best]:
            best = i
    if labels[best] != "idle" and scores[best] >= 0.6:
        print("%s (%d%%)" % (labels[best], int(scores[best] * 100)))


# A window of `samples`, a quarter of it from before the wake-up: the start of the move.
Pipeline(
    imu,
    Window(samples, channels=3, hop=samples * 3 // 4),
    gesture.model,
    features=gesture_features,
    feature_buffer=inputs,
    quantize=False,
    on_result=show,
    trigger=moved,
    policy="event",
).run()
