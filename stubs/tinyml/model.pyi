"""Models and tensors, from the _tflm native module (README: "The device API")."""

from typing import Any

import _tflm
from _tflm import Tensor as Tensor
from _tflm import ops as ops
from _tflm import version as version
from typing_extensions import Buffer

def Model(
    model: str | Buffer,
    *,
    arena: int | Buffer | None = None,
    verify: bool = False,
    profile: bool = False,
) -> _tflm.Model:
    """A model from a path (a /rom file is used in place) or a buffer. `arena`: None sizes it
    to fit; `verify`: refuse a file whose sha256 is not its sidecar's; `profile`: time each
    operator (model.profile())."""

def verified(path: str) -> tuple[Buffer, dict[str, Any]]:
    """(the model's bytes or its in-place ROM file, its sidecar) once the sha256 matches,
    else ValueError."""
