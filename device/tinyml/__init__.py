"""TinyML on MicroPython: models, tensors, windows, sensors, triggers, sleep.

    import tinyml
    model = tinyml.Model("/rom/sine.tflite")   # mapped from flash, not copied
    model.input(0).quantize([1.57])
    model.invoke()
    print(model.output(0).dequantize())

Names are imported on first use, so a script pays in RAM only for what it touches.
"""

# attribute -> submodule that defines it
_LAZY = {
    "Model": "model",
    "ops": "model",
    "version": "model",
    "Window": "window",
    "Pipeline": "pipeline",
}


def __getattr__(name):
    # MicroPython asks the package's __getattr__ before it imports a submodule, so
    # `from tinyml import power` arrives here too.
    submodule = _LAZY.get(name)
    try:
        module = __import__("tinyml." + (submodule or name), None, None, (name,))
    except ImportError:
        raise AttributeError(name)
    value = getattr(module, name) if submodule else module
    globals()[name] = value
    return value
