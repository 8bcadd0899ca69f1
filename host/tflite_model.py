"""Read a .tflite flatbuffer: operators with versions, tensors, parameters, MACs, arena.

Parsed with the schema module that the `tflite-micro` package ships, so no TensorFlow import.
`model_ops(path)` is the list a firmware's op resolver needs (`host build --ops-from`).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from host.errors import CommandError
from host.ops import CUSTOM_PREFIX
from host.paths import REPO_ROOT

_OP_NAMES = {
    value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")
}
_TYPE_NAMES = {
    value: name.lower()
    for name, value in vars(schema.TensorType).items()
    if not name.startswith("_")
}
# numpy's type for each tensor type name (_TYPE_NAMES), little-endian as TFLite stores them.
NUMPY_TYPES = {
    name: np.dtype(numpy_type).newbyteorder("<")
    for name, numpy_type in {
        "float32": np.float32,
        "float16": np.float16,
        "float64": np.float64,
        "int8": np.int8,
        "uint8": np.uint8,
        "int16": np.int16,
        "uint16": np.uint16,
        "int32": np.int32,
        "uint32": np.uint32,
        "int64": np.int64,
        "bool": np.bool_,
    }.items()
}
# int4 packs two values in a byte; a tensor of them is counted a byte per value.
_TYPE_BYTES = {name: numpy_type.itemsize for name, numpy_type in NUMPY_TYPES.items()} | {"int4": 1}
# Operators whose constant inputs are trained weights and biases (the model's parameters).
_WEIGHTED_OPS = {
    "FULLY_CONNECTED",
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "TRANSPOSE_CONV",
    "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "CONV_3D",
}
ARENA_ALIGNMENT = 16


@dataclass
class Tensor:
    """One tensor of subgraph 0."""

    index: int
    name: str
    shape: list[int]
    dtype: str
    constant: bool
    scale: list[float]
    zero_point: list[int]

    @property
    def elements(self) -> int:
        count = 1
        for dim in self.shape:
            count *= max(dim, 1)
        return count

    @property
    def nbytes(self) -> int:
        return self.elements * _TYPE_BYTES.get(self.dtype, 4)


@dataclass
class Operator:
    """One operator of subgraph 0, in execution order."""

    name: str
    version: int
    inputs: list[int]
    outputs: list[int]
    macs: int = 0


@dataclass
class ModelInfo:
    """What `host inspect` reports about a model."""

    size: int
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]
    subgraphs: int
    op_counts: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def params(self) -> int:
        """Elements of the constant weights and biases of weighted operators."""
        seen: set[int] = set()
        for op in self.operators:
            if op.name in _WEIGHTED_OPS:
                seen.update(i for i in op.inputs[1:] if i >= 0 and self.tensors[i].constant)
        return sum(self.tensors[i].elements for i in seen)

    @property
    def macs(self) -> int:
        return sum(op.macs for op in self.operators)

    def memory_after_each_op(self) -> list[int]:
        """Bytes of activation tensors alive after each operator (inputs until last use)."""
        first: dict[int, int] = {i: -1 for i in self.inputs}
        last: dict[int, int] = {i: len(self.operators) for i in self.outputs}
        for position, op in enumerate(self.operators):
            for i in op.outputs:
                first.setdefault(i, position)
            for i in op.inputs:
                if i >= 0 and not self.tensors[i].constant:
                    last[i] = max(last.get(i, position), position)
        in_use = []
        for position in range(len(self.operators)):
            in_use.append(
                sum(
                    self.tensors[i].nbytes
                    for i, start in first.items()
                    if start <= position <= last.get(i, position)
                )
            )
        return in_use


def read_model(source: str | Path | bytes) -> ModelInfo:
    """Parse a .tflite file (path or bytes); CommandError if it is not a TFLite flatbuffer."""
    data = _read_bytes(source)
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise CommandError(f"{_describe(source)} is not a TFLite model (no TFL3 identifier)")
    try:
        model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    except Exception as err:  # the generated parser raises anything on a damaged buffer
        raise CommandError(f"{_describe(source)} is a damaged TFLite model: {err}") from err
    graph = model.subgraphs[0]
    tensors = []
    for index, t in enumerate(graph.tensors):
        buffer = model.buffers[t.buffer] if t.buffer < len(model.buffers) else None
        constant = bool(
            buffer is not None
            and ((buffer.data is not None and len(buffer.data) > 0) or buffer.offset > 1)
        )
        quant = t.quantization
        scale = (
            [float(s) for s in quant.scale]
            if quant is not None and quant.scale is not None
            else []
        )
        zero = (
            [int(z) for z in quant.zeroPoint]
            if quant is not None and quant.zeroPoint is not None
            else []
        )
        name = t.name.decode() if isinstance(t.name, bytes) else str(t.name)
        shape = [int(d) for d in t.shape] if t.shape is not None else []
        tensors.append(
            Tensor(index, name, shape, _TYPE_NAMES.get(t.type, str(t.type)), constant, scale, zero)
        )
    operators = []
    counts: dict[tuple[str, int], int] = {}
    for op in graph.operators if graph.operators is not None else []:
        code = model.operatorCodes[op.opcodeIndex]
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        name = _OP_NAMES.get(builtin, f"BUILTIN_{builtin}")
        if builtin == schema.BuiltinOperator.CUSTOM:
            name = CUSTOM_PREFIX + code.customCode.decode()
        operator = Operator(
            name, int(code.version), [int(i) for i in op.inputs], [int(i) for i in op.outputs]
        )
        operator.macs = _macs(operator, tensors)
        operators.append(operator)
        counts[(name, operator.version)] = counts.get((name, operator.version), 0) + 1
    return ModelInfo(
        len(data),
        tensors,
        operators,
        [int(i) for i in graph.inputs],
        [int(i) for i in graph.outputs],
        len(model.subgraphs),
        counts,
    )


def model_ops(path: str | Path) -> list[tuple[str, int]]:
    """Every (operator name, version) the model uses, sorted, e.g. [("FULLY_CONNECTED", 9)]."""
    return sorted(read_model(path).op_counts)


def weight_sparsity(data: bytes) -> float:
    """Fraction of zeros among the weights (filters, not biases) of the weighted operators."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    graph = model.subgraphs[0]
    zeros = total = 0
    seen: set[int] = set()
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        name = _OP_NAMES.get(max(code.builtinCode, code.deprecatedBuiltinCode))
        if name not in _WEIGHTED_OPS or len(op.inputs) < 2 or op.inputs[1] in seen:
            continue
        seen.add(op.inputs[1])
        tensor = graph.tensors[op.inputs[1]]
        raw = model.buffers[tensor.buffer].data
        if raw is None:
            continue
        dtype = NUMPY_TYPES.get(_TYPE_NAMES.get(tensor.type, "int8"), NUMPY_TYPES["int8"])
        values = np.frombuffer(bytes(bytearray(raw)), dtype=dtype)
        zeros += int((values == 0).sum())
        total += values.size
    return zeros / total if total else 0.0


def _macs(op: Operator, tensors: list[Tensor]) -> int:
    """Multiply-accumulates of one operator (weighted operators only; others count 0)."""
    if len(op.inputs) < 2 or op.inputs[1] < 0 or not op.outputs:
        return 0
    weights = tensors[op.inputs[1]].shape
    out = tensors[op.outputs[0]].elements
    if op.name == "FULLY_CONNECTED":
        return out * weights[-1]
    if op.name in ("CONV_2D", "TRANSPOSE_CONV"):
        return out * weights[1] * weights[2] * weights[3]
    if op.name == "DEPTHWISE_CONV_2D":
        return out * weights[1] * weights[2]
    return 0


def measure_arena(data: bytes) -> int:
    """The smallest tensor arena (a 16-byte multiple) with which the `tflite-micro` runtime
    allocates and invokes the model, found by trying real interpreters.

    The runtime can crash on an arena just too small, so the search runs in a child process
    (`python -m host.tflite_model FILE LOW HIGH`) that prints each try; a crash counts as a
    failed try and the search goes on in a new child."""
    with tempfile.TemporaryDirectory() as workdir:
        model_file = Path(workdir) / "model.tflite"
        model_file.write_bytes(data)
        low, high = 0, 0
        for _ in range(64):
            result = subprocess.run(
                [sys.executable, "-m", "host.tflite_model", str(model_file), str(low), str(high)],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            trying = None
            for line in result.stdout.splitlines():
                word, size = line.split()
                if word == "try":
                    trying = int(size)
                elif word == "ok":
                    high, trying = int(size), None
                elif word == "fail":
                    low, trying = int(size), None
                elif word == "done":
                    return int(size)
            if trying is None:
                raise CommandError(
                    "the tflite-micro runtime cannot run this model: "
                    + result.stderr.strip()[-300:]
                )
            low = trying  # the child crashed on this size: too small
    raise CommandError("the tflite-micro runtime keeps crashing on this model")


def run_micro(
    data: bytes, input_sets: list[list[np.ndarray]], *, arena: int | None = None
) -> list[list[np.ndarray]]:
    """The outputs of the `tflite-micro` runtime (TFLM in-process) for each set of input
    arrays (one per model input, of the input's type and shape), invoked in order on one
    interpreter, as a board does it: a model with state carries it from one invoke to the
    next. `arena`: its size in bytes; None: a generous one (the runtime's default, 10 times
    the model, can be short for small models with large activations)."""
    from tflite_micro.python.tflite_micro import runtime

    size = max(1 << 20, 10 * len(data)) if arena is None else arena
    interpreter = runtime.Interpreter.from_bytes(data, arena_size=size)
    count = len(read_model(data).outputs)
    outputs = []
    for inputs in input_sets:
        for index, array in enumerate(inputs):
            interpreter.set_input(array, index)
        interpreter.invoke()
        outputs.append([np.array(interpreter.get_output(i)) for i in range(count)])
    return outputs


def _search_arena(data: bytes, low: int, high: int) -> None:
    """Child side of measure_arena: binary search, one line per try on stdout."""
    from tflite_micro.python.tflite_micro import runtime

    def works(size: int) -> bool:
        print("try", size, flush=True)
        try:
            with quiet_stderr():
                runtime.Interpreter.from_bytes(data, arena_size=size).invoke()
        except RuntimeError:
            print("fail", size, flush=True)
            return False
        print("ok", size, flush=True)
        return True

    if high == 0:
        high = max(16384, 16 * len(data))
        while not works(high):
            high *= 2
            if high > 1 << 30:
                return
    if low == 0:
        # what the recording allocator reports is a lower bound: kernels also need temporary
        # space while preparing
        with quiet_stderr() as log:
            interpreter = runtime.Interpreter.from_bytes(data, arena_size=high)
            interpreter.invoke()
            interpreter.print_allocations()
            log.seek(0)
            recorded = re.search(rb"Arena allocation total (\d+) bytes", log.read())
        low = int(recorded.group(1)) // ARENA_ALIGNMENT * ARENA_ALIGNMENT - ARENA_ALIGNMENT
    while high - low > ARENA_ALIGNMENT:
        middle = (low + high) // 2 // ARENA_ALIGNMENT * ARENA_ALIGNMENT
        if works(middle):
            high = middle
        else:
            low = middle
    print("done", high, flush=True)


@contextlib.contextmanager
def quiet_stderr():
    """Send file descriptor 2 (C++ prints too) to a temporary file; yields that file."""
    saved = os.dup(2)
    sys.stderr.flush()
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            yield log
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _read_bytes(source: str | Path | bytes) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    path = Path(source)
    if not path.is_file():
        raise CommandError(f"{path}: no such model file")
    return path.read_bytes()


def _describe(source: str | Path | bytes) -> str:
    return "the model" if isinstance(source, (bytes, bytearray)) else str(source)


if __name__ == "__main__":
    _search_arena(Path(sys.argv[1]).read_bytes(), int(sys.argv[2]), int(sys.argv[3]))
