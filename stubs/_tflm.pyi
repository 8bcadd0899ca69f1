"""The firmware's TensorFlow Lite Micro binding (native_modules/tflm/modtflm.c).

Scripts use it through `tinyml` (`tinyml.Model`, `tinyml.ops`, `tinyml.version`); the README's
"The device API" is the manual. Its functions take positional arguments only, except where a
stub says otherwise.
"""

from array import array
from collections.abc import Iterable
from types import TracebackType
from typing import Self, TypeVar, overload

from typing_extensions import Buffer

_Out = TypeVar("_Out", list[float], array[float])

class Tensor:
    """A model's input or output; `memoryview(t)` is its memory in the arena."""

    @property
    def shape(self) -> tuple[int, ...]:
        """The dimensions."""
    @property
    def dtype(self) -> str:
        """ "int8", "int16", "float32", ..."""
    @property
    def scale(self) -> float:
        """The quantization scale."""
    @property
    def zero_point(self) -> int:
        """The quantization zero point."""
    @property
    def nbytes(self) -> int:
        """The size of its memory in bytes."""
    def quantize(self, values: Buffer | Iterable[float], scale: float = 1, /) -> None:
        """Store `values` (an array, a list, any iterable of numbers) times `scale`,
        quantized with the tensor's scale and zero point."""
    @overload
    def dequantize(self, out: None = None) -> list[float]:
        """The values as floats, in a new list or into `out` (a list or an array("f"))."""
    @overload
    def dequantize(self, out: _Out) -> _Out: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...

class Model:
    """A TFLite model run by TFLM; `tinyml.Model` makes one."""

    def __init__(
        self, model: str | Buffer, *, arena: int | Buffer | None = None, profile: bool = False
    ) -> None:
        """`model`: a path (a /rom file is used in place) or a buffer; `arena`: None (sized to
        fit), a size in bytes, or a writable buffer; `profile`: time each operator."""
    @property
    def inputs(self) -> tuple[Tensor, ...]:
        """The input tensors."""
    @property
    def outputs(self) -> tuple[Tensor, ...]:
        """The output tensors."""
    @property
    def arena_size(self) -> int:
        """The tensor arena's size in bytes."""
    @property
    def arena_used(self) -> int:
        """What TFLM reports in use after allocation."""
    @property
    def ops(self) -> tuple[tuple[str, int], ...]:
        """The model's (operator, version) pairs."""
    def invoke(self) -> None:
        """Run the model; allocates nothing. A kernel that gives up raises RuntimeError and
        closes the model."""
    def reset(self) -> None:
        """Put variable tensors and resource variables back as before the first invoke."""
    def benchmark(self, n: int, /) -> int:
        """The time.ticks_us() ticks of `n` invokes run by a C loop."""
    def profile(self) -> tuple[tuple[str, int], ...]:
        """((operator, ticks), ...) since the last call, for a model made with profile=True."""
    def input(self, index: int, /) -> Tensor:
        """Input tensor `index`."""
    def output(self, index: int, /) -> Tensor:
        """Output tensor `index`."""
    def close(self) -> None:
        """Free the interpreter and the arena; every method then raises."""
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> None: ...

def ops() -> tuple[str, ...]:
    """The operators this firmware has."""

version: str
"""This project's version, the TFLM commit and the MicroPython version."""
