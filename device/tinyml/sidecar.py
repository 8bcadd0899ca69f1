"""A model's sidecar, NAME.json beside NAME.tflite (README: "The sidecar NAME.json"), and
`load`, which opens a model with what its sidecar says about it:

    import tinyml
    kw = tinyml.load("/rom/keyword.tflite")
    mic = board.mic(rate=kw.rate)     # the sample rate the model was trained at
    kw.features(audio, out)           # its feature function, with its parameters
    kw.labels                         # the class names, in output order

`SCHEMA` is the sidecar version this package reads; `host train` writes the same version
(it reads it from this file).
"""

SCHEMA = 2


def path(model_path):
    """NAME.json, the sidecar of NAME.tflite."""
    return (model_path[:-7] if model_path.endswith(".tflite") else model_path) + ".json"


def read(model_path):
    """The sidecar of the model at `model_path`; ValueError naming the file unless it is
    JSON of this `SCHEMA`."""
    import json

    name = path(model_path)
    try:
        with open(name) as f:
            sidecar = json.load(f)
    except OSError:
        raise ValueError("%s: no sidecar (host train writes it beside the model)" % name) from None
    except ValueError:
        raise ValueError("%s: not JSON" % name) from None
    check(sidecar, name)
    return sidecar


def check(sidecar, name):
    """ValueError naming `name` unless `sidecar` has this package's schema version."""
    version = sidecar.get("schema") if isinstance(sidecar, dict) else None
    if version != SCHEMA:
        raise ValueError(
            "%s: sidecar schema %s, this tinyml reads %d: train the model again with host train"
            % (name, version, SCHEMA)
        )


def _bound(function, args):
    # function(samples, out, *args), called without building a star call's argument array on
    # the heap, so that a pipeline's features allocate nothing per window
    if len(args) == 1:
        a = args[0]
        return lambda samples, out: function(samples, out, a)
    if len(args) == 3:
        a, b, c = args
        return lambda samples, out: function(samples, out, a, b, c)
    a, b, c, d = args
    return lambda samples, out: function(samples, out, a, b, c, d)


class Bundle:
    """A model and its sidecar (`load` makes one).

    `model`: the `tinyml.Model`; `sidecar`: the whole dict; `labels`, `task`, `threshold`
    (anomaly models; else None). For a model whose input is features: `rate` (samples per
    second), `window` (samples per channel that make one input), `channels`, `params` (the
    feature function's parameters), `features(samples, out)`; else those are None.
    """

    def __init__(self, model, sidecar):
        from tinyml import features

        self.model = model
        self.sidecar = sidecar
        self.labels = sidecar["labels"]
        self.task = sidecar["task"]
        self.threshold = sidecar.get("threshold")
        spec = sidecar["features"]
        self.rate = self.window = self.channels = self.params = None
        self._name = self._args = self._function = None
        if spec is None:
            return
        name = spec["function"]
        if name not in features.PARAMS:
            raise ValueError("sidecar: no feature function %r in tinyml.features" % name)
        self.rate = spec["sample_rate_hz"]
        self.window = spec["window"]
        self.channels = spec["channels"]
        self.params = spec["params"]
        # the sidecar's values, in the order the function takes them
        args = tuple(self.params[key] for key, _ in features.PARAMS[name])
        self._name = name
        self._args = args
        self._function = _bound(getattr(features, name), args)

    def features(self, samples, out):
        """The model's input features of `samples` (int, as the sidecar's unit) into `out`
        (int8, e.g. `memoryview(model.input(0))`)."""
        if self._function is None:
            raise ValueError("this model's input is not features: quantize its values")
        return self._function(samples, out)

    def spectrogram(self):
        """A `tinyml.features.Spectrogram` that computes this keyword model's input as audio
        arrives: `window` samples make its frames."""
        from tinyml.features import Spectrogram, frame_count

        if self._name != "log_spectrogram":
            raise ValueError("a spectrogram is the input of log_spectrogram models only")
        frame_log2, hop = self._args[:2]
        return Spectrogram(frame_count(self.window, frame_log2, hop), *self._args)

    def commands(self):
        """The `tinyml.commands.Commands` of this keyword model's output, with the
        parameters its sidecar's `postprocessing` measured."""
        from tinyml.commands import Commands

        post = self.sidecar.get("postprocessing")
        if not post or post["function"] != "tinyml.commands.Commands":
            raise ValueError("the sidecar names no tinyml.commands.Commands postprocessing")
        return Commands(self.model.output(0), self.labels, **post["params"])

    def score(self, reconstruction, features):
        """An anomaly model's score: the mean over its input of (reconstruction - input) ** 2,
        `features` (the int8 input it was given) dequantized; above `threshold`, an anomaly.
        The features are passed rather than read back from the input tensor: TFLM may reuse
        that tensor's memory for later layers during invoke."""
        if self.sidecar.get("score") != "mean_squared_error":
            raise ValueError("the sidecar defines no score: not an anomaly model")
        spec = self.sidecar["inputs"][0]
        scale = spec["scale"]
        zero_point = spec["zero_point"]
        total = 0.0
        for i in range(len(features)):
            d = reconstruction[i] - (features[i] - zero_point) * scale
            total += d * d
        return total / len(features)


def load(model_path, *, arena=None, verify=False, profile=False):
    """A `Bundle` of the model at `model_path` (see `tinyml.Model` for `arena`, `verify` and
    `profile`) and its sidecar, which must be of this `SCHEMA`."""
    from tinyml import model

    if verify:
        data, sidecar = model.verified(model_path)
        check(sidecar, path(model_path))
    else:
        sidecar = read(model_path)
        data = model_path
    return Bundle(model.Model(data, arena=arena, profile=profile), sidecar)
