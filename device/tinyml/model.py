"""Models and tensors, from the _tflm native module (TensorFlow Lite Micro).

Usage:

    m = Model("/rom/sine.tflite")      # a /rom file is used in place; arena sized to fit
    m.input(0).quantize([1.0])
    m.invoke()                         # allocates nothing
    y = m.output(0).dequantize()[0]

    m = Model("/rom/sine.tflite", verify=True)   # refused unless its sha256 is its sidecar's
"""

import _tflm
from _tflm import Tensor, ops, version  # noqa: F401 (tinyml.Tensor, tinyml.ops, tinyml.version)


def Model(model, *, arena=None, verify=False, profile=False):
    """A `_tflm.Model`; with `verify`, `model` is a path whose bytes must have the sha256
    that its sidecar (NAME.json beside NAME.tflite) records, else ValueError naming it; with
    `profile`, `model.profile()` gives each operator's ticks."""
    if verify:
        model = verified(model)[0]
    return _tflm.Model(model, arena=arena, profile=profile)


def verified(path):
    """(the model's bytes or its in-place ROM file, its sidecar dict) once the sha256 matches.

    The bytes that were hashed are the ones returned, so what TFLM reads is what was checked.
    """
    import binascii
    import hashlib
    import json

    from tinyml.sidecar import path as sidecar_path

    if not isinstance(path, str):
        raise TypeError("verify needs the model's path (its sidecar sits beside it)")
    try:
        with open(sidecar_path(path)) as f:
            sidecar = json.load(f)
        expected = sidecar["sha256"]
    except (OSError, ValueError, KeyError):
        raise ValueError("%s: no sidecar with a sha256 to verify it against" % path) from None
    file = open(path, "rb")
    digest = hashlib.sha256()
    try:
        # A ROMFS file exposes its bytes: hash them in place and hand TFLM the file itself.
        digest.update(memoryview(file))
        model = file
    except TypeError:
        model = file.read()
        file.close()
        digest.update(model)
    if binascii.hexlify(digest.digest()).decode() != expected:
        raise ValueError(
            "%s: sha256 differs from its sidecar's; the model was altered or"
            " half-written, deploy it again" % path
        )
    return model, sidecar
