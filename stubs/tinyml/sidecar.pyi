"""A model's sidecar NAME.json, and `load`: the model with its labels and feature function
(README: "The sidecar NAME.json")."""

from typing import Any

import _tflm
from tinyml.commands import Commands
from tinyml.features import Spectrogram
from typing_extensions import Buffer

SCHEMA: int
"""The sidecar version this package reads (`host train` writes it)."""

def path(model_path: str) -> str:
    """NAME.json, the sidecar of NAME.tflite."""

def read(model_path: str) -> dict[str, Any]:
    """The sidecar of the model at `model_path`; ValueError unless it is JSON of `SCHEMA`."""

def check(sidecar: object, name: str) -> None:
    """ValueError naming `name` unless `sidecar` has this package's schema version."""

class Bundle:
    """A model and its sidecar (`load` makes one).

    `threshold` is None but for anomaly models, and `rate`, `window`, `channels` and
    `params` are None for a model whose input is values rather than features: typed
    `X | Any` (typeshed's way for "usually X"), so that code for the usual model needs no
    None checks."""

    model: _tflm.Model
    sidecar: dict[str, Any]
    labels: list[str]
    task: str
    threshold: float | Any
    """Anomaly models: a score above it is an anomaly."""
    rate: int | Any
    """Samples per second the features take (None: the input is values, not features)."""
    window: int | Any
    """Samples per channel that make one input."""
    channels: int | Any
    params: dict[str, Any] | Any
    """The feature function's parameters."""
    def __init__(self, model: _tflm.Model, sidecar: dict[str, Any]) -> None: ...
    def features(self, samples: Buffer, out: Buffer) -> int | None:
        """The model's input features of `samples` into `out` (int8)."""
    def spectrogram(self) -> Spectrogram:
        """A streaming spectrogram with this keyword model's parameters."""
    def commands(self) -> Commands:
        """The keyword commands of this model's output, as its sidecar's postprocessing says."""
    def score(self, reconstruction: list[float], features: Buffer) -> float:
        """An anomaly model's score of `features`, the int8 input it reconstructed."""

def load(
    model_path: str,
    *,
    arena: int | Buffer | None = None,
    verify: bool = False,
    profile: bool = False,
) -> Bundle:
    """The model at `model_path` with its sidecar (see `tinyml.Model` for the options)."""
