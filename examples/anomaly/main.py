"""Vibration anomaly: wake, listen to the machine for a quarter second, score it against
what healthy sounds like, alert if it sounds wrong, deep-sleep, repeat.

Copy to the board with the anomaly model in ROMFS (/rom/anomaly.tflite, /rom/anomaly.json);
see README.md.
"""

from array import array

import tinyml
import tinyml.board as board
import tinyml.power as power
from tinyml import Pipeline, Window

SLEEP_MS = 2000
FULL_SCALE_MG = 2000  # the analog accelerometer: +-2 g across the ADC's range

# The model with its sidecar: sample rate, window, feature parameters, score and threshold.
detector = tinyml.load("/rom/anomaly.tflite")

vibration = board.analog(rate=detector.rate, oversample=1)
milli_g = array("h", bytes(2 * detector.window))
inputs = array("b", bytes(detector.model.input(0).nbytes))

# retained[0:2]: wake count; retained[2]: alerts in a row (kept across deep sleep)
wakes = int.from_bytes(power.retained[0:2], "little") + 1
power.retained[0:2] = wakes.to_bytes(2, "little")


def features(view, out):
    # ADC counts centred at 32768 -> milli-g
    for i in range(len(view)):
        milli_g[i] = (view[i] - 32768) * FULL_SCALE_MG >> 15
    detector.features(milli_g, out)


def judge(reconstruction):
    # how far the autoencoder's reconstruction is from what it heard
    score = detector.score(reconstruction, inputs)
    alerts = power.retained[2] + 1 if score > detector.threshold else 0
    power.retained[2] = min(alerts, 255)
    print(
        "wake %d: score %.3f %s"
        % (wakes, score, "ALERT: the machine sounds wrong" if alerts else "ok")
    )


pipe = Pipeline(
    vibration,
    Window(detector.window, typecode="H"),
    detector.model,
    features=features,
    feature_buffer=inputs,
    quantize=False,
    on_result=judge,
)
while not pipe.step():
    pass
power.sleep(SLEEP_MS, mode="deep")
