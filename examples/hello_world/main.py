"""Hello world: a knob sets x between 0 and 2*pi; the sine model's answer sets an LED.

Copy to the board with the sine model in ROMFS (/rom/sine.tflite); see README.md.
"""

import math

import tinyml
import tinyml.board as board
from tinyml import Pipeline, Window

model = tinyml.Model("/rom/sine.tflite")
knob = board.analog(rate=10)  # a potentiometer on the ADC pin, 0..65535
led = board.led()
window = Window(1, typecode="H")
COUNTS_TO_X = 2 * math.pi / 65535  # the knob's whole turn is x from 0 to 2*pi


def show(y):
    duty = int((y[0] + 1) / 2 * 65535)  # sin -1..1 -> dark..full brightness
    duty = 0 if duty < 0 else 65535 if duty > 65535 else duty
    led.duty_u16(duty)
    print("x=%.2f y=%.2f led=%d%%" % (window.view()[0] * COUNTS_TO_X, y[0], duty * 100 // 65535))


# quantize=COUNTS_TO_X: the knob's counts, times COUNTS_TO_X, are the model's input x.
Pipeline(knob, window, model, quantize=COUNTS_TO_X, on_result=show).run()
