"""Vibration anomaly: wake, listen to the machine for a quarter second, score it against
what healthy sounds like, alert if it sounds wrong, deep-sleep, repeat.

Copy to the board with the anomaly model in ROMFS (/rom/anomaly.tflite, /rom/anomaly.json);
see README.md.
"""

import json
from array import array

import tinyml
import tinyml.board as board
import tinyml.power as power
from tinyml import Pipeline, Window
from tinyml.features import vibration_features

SLEEP_MS = 2000
FULL_SCALE_MG = 2000  # the analog accelerometer: +-2 g across the ADC's range

with open("/rom/anomaly.json") as f:
    meta = json.load(f)
prep = meta["preprocessing"]
threshold = meta["threshold"]
model = tinyml.Model("/rom/anomaly.tflite")

vibration = board.analog(rate=prep["sample_rate_hz"], oversample=1)
samples = prep["samples"]
milli_g = array("h", bytes(2 * samples))
params = prep["params"]
edges = tuple(params["edges"])
inputs = array("b", bytes(len(edges) - 1))

# retained[0:2]: wake count; retained[2]: alerts in a row (kept across deep sleep)
wakes = int.from_bytes(power.retained[0:2], "little") + 1
power.retained[0:2] = wakes.to_bytes(2, "little")


def features(view, out):
    # ADC counts centred at 32768 -> milli-g
    for i in range(len(view)):
        milli_g[i] = (view[i] - 32768) * FULL_SCALE_MG >> 15
    vibration_features(
        milli_g,
        out,
        params["frame_log2"],
        edges,
        params["offset"],
    )


def judge(reconstruction):
    # the autoencoder's error: mean of (output - input)^2, input = features / 64
    error = 0.0
    for i in range(len(inputs)):
        d = reconstruction[i] - inputs[i] / 64
        error += d * d
    score = error / len(inputs)
    alerts = power.retained[2] + 1 if score > threshold else 0
    power.retained[2] = min(alerts, 255)
    print(
        "wake %d: score %.3f %s"
        % (wakes, score, "ALERT: the machine sounds wrong" if alerts else "ok")
    )


pipe = Pipeline(
    vibration,
    Window(samples, typecode="H"),
    model,
    features=features,
    feature_buffer=inputs,
    quantize=False,
    on_result=judge,
)
while not pipe.step():
    pass
power.sleep(SLEEP_MS, mode="deep")
