"""TinyML on MicroPython: models, tensors, windows, sensors, triggers, sleep.

    import tinyml
    model = tinyml.Model("/rom/sine.tflite")   # mapped from flash, not copied
    model.input(0).quantize([1.57])
    model.invoke()
    print(model.output(0).dequantize())

    kw = tinyml.load("/rom/keyword.tflite")    # the model with its sidecar's labels and features

Names are imported on first use, so a script pays in RAM only for what it touches.
"""

# attribute -> submodule that defines it
_LAZY = {
    "Model": "model",
    "Tensor": "model",
    "ops": "model",
    "version": "model",
    "Window": "window",
    "Pipeline": "pipeline",
    "load": "sidecar",
}


def __getattr__(name):
    # MicroPython asks the package's __getattr__ before it imports a submodule, so
    # `from tinyml import power` arrives here too.
    submodule = "tinyml." + _LAZY.get(name, name)
    try:
        module = __import__(submodule, None, None, (name,))
    except ImportError as err:
        # Only "no such submodule" is "no such attribute"; an import failing inside an
        # existing submodule is the script's real error.
        if submodule not in str(err):
            raise
        raise AttributeError(name) from None
    value = getattr(module, name) if name in _LAZY else module
    globals()[name] = value
    return value
