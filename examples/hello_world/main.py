"""Hello world: a knob sets x between 0 and 2*pi; the sine model's answer sets an LED.

Copy to the board with the sine model in ROMFS (/rom/sine.tflite); see README.md.
"""

import math
from array import array

import tinyml
import tinyml.board as board
from tinyml import Pipeline, Window

model = tinyml.Model("/rom/sine.tflite")
knob = board.analog(rate=10)  # a potentiometer on the ADC pin, 0..65535
led = board.led()
x = array("f", (0.0,))


def knob_to_x(view, out):
    out[0] = view[0] * (2 * math.pi / 65535)


def show(y):
    duty = int((y[0] + 1) / 2 * 65535)  # sin -1..1 -> dark..full brightness
    duty = 0 if duty < 0 else 65535 if duty > 65535 else duty
    led.duty_u16(duty)
    print("x=%.2f y=%.2f led=%d%%" % (x[0], y[0], duty * 100 // 65535))


Pipeline(
    knob, Window(1, typecode="H"), model, features=knob_to_x, feature_buffer=x, on_result=show
).run()
