"""Models and tensors, from the _tflm native module (TensorFlow Lite Micro).

    m = Model("/rom/sine.tflite")      # a /rom file is used in place; arena sized to fit
    m.input(0).quantize([1.0])
    m.invoke()                         # allocates nothing
    y = m.output(0).dequantize()[0]
"""
from _tflm import Model, Tensor, ops, version
