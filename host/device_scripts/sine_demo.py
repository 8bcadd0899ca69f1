# `host demo`'s script: the sine model from /rom against math.sin, on the board.
import math

import tinyml

STEPS = 20

model = tinyml.Model("/rom/sine.tflite")
x_in = model.input(0)
y_out = model.output(0)
print("model:", model)
print("    x    model   sin(x)   error")
errors = []
for i in range(STEPS + 1):
    x = 2 * math.pi * i / STEPS
    x_in.quantize([x])
    model.invoke()
    y = y_out.dequantize()[0]
    errors.append(abs(y - math.sin(x)))
    print("%5.2f  %+.3f   %+.3f   %.3f" % (x, y, math.sin(x), errors[-1]))
mean = sum(errors) / len(errors)
print("mean abs error %.4f, max %.4f" % (mean, max(errors)))
print("AGREE" if mean < 0.1 and max(errors) < 0.25 else "DISAGREE")
