"""The test zoo: tiny seeded models with inputs and the outputs the `tflite-micro` runtime gives.

    from host.paths import cache_dir
    zoo = build_zoo(cache_dir() / "zoo")
    for model in zoo:
        print(model.name, model.ops, model.path.stat().st_size)

The first call converts every model (one subprocess each, see zoo_build.py) and runs each input
set on the runtime; the result is cached under a key made of the generating code and the
TensorFlow and tflite-micro versions, so later calls only read files.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host import tflite_model
from host.tflite_model import NUMPY_TYPES, read_model, run_micro, schema

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "zoo_build.py"
# The converter settings the build script takes from host train's, and the runner that makes
# the expected outputs: both are part of what the zoo holds.
CONVERTER_SETTINGS = HERE.parent / "host" / "train" / "convert.py"
RUNNER = Path(tflite_model.__file__)
SETS_PER_MODEL = 3


@dataclass(frozen=True)
class TensorInfo:
    """An input or output tensor as the model file declares it."""

    dtype: str
    shape: tuple[int, ...]
    scale: float
    zero_point: int

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * NUMPY_TYPES[self.dtype].itemsize

    def decode(self, raw: bytes) -> np.ndarray:
        """Raw tensor bytes (little-endian, as on every supported board) as a shaped array."""
        return np.frombuffer(raw, NUMPY_TYPES[self.dtype]).reshape(self.shape)


@dataclass(frozen=True)
class InputSet:
    """One invocation: bytes for every input, and the bytes the runtime produced for every
    output.
    """

    inputs: tuple[bytes, ...]
    expected: tuple[bytes, ...]


@dataclass(frozen=True)
class ZooModel:
    name: str
    path: Path
    ops: tuple[str, ...]
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    sets: tuple[InputSet, ...]

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


def op_names(data: bytes) -> tuple[str, ...]:
    """Sorted builtin operator names used by a .tflite model."""
    tflite = schema
    names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
    model = tflite.Model.GetRootAsModel(data, 0)
    codes = set()
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        # Builtin codes above 127 live only in the newer field; older ones only in the deprecated.
        codes.add(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
    return tuple(sorted(names[c] for c in codes))


def io_tensors(data: bytes) -> tuple[tuple[TensorInfo, ...], tuple[TensorInfo, ...]]:
    """The first subgraph's input and output tensors, in the model's order."""
    model = read_model(data)

    def info(index: int) -> TensorInfo:
        tensor = model.tensors[index]
        return TensorInfo(
            dtype=tensor.dtype,
            shape=tuple(tensor.shape),
            scale=tensor.scale[0] if tensor.scale else 0.0,
            zero_point=tensor.zero_point[0] if tensor.zero_point else 0,
        )

    return tuple(map(info, model.inputs)), tuple(map(info, model.outputs))


def random_input(info: TensorInfo, rng: np.random.Generator) -> bytes:
    """Seeded data covering the whole integer range, or a unit normal for floats."""
    dtype = NUMPY_TYPES[info.dtype]
    if np.issubdtype(dtype, np.integer):
        limits = np.iinfo(dtype)
        values = rng.integers(limits.min, limits.max, info.shape, endpoint=True)
    else:
        values = rng.normal(size=info.shape)
    return values.astype(dtype).tobytes()


def run_sets(
    data: bytes, inputs, outputs, input_sets: list[tuple[bytes, ...]]
) -> list[tuple[bytes, ...]]:
    """Outputs (raw bytes) of the tflite-micro runtime for each input set, invoked in order on
    one interpreter (host.tflite_model.run_micro): models with state (the LSTM's variable
    tensors) carry it from one invoke to the next, so order is part of the expected result."""
    results = run_micro(
        data,
        [[info.decode(raw) for info, raw in zip(inputs, raw_inputs)] for raw_inputs in input_sets],
    )
    return [
        tuple(
            np.ascontiguousarray(out, NUMPY_TYPES[info.dtype]).tobytes()
            for out, info in zip(outs, outputs)
        )
        for outs in results
    ]


def _cache_key() -> str:
    digest = hashlib.sha256()
    for source in (BUILD_SCRIPT, Path(__file__).resolve(), CONVERTER_SETTINGS, RUNNER):
        digest.update(source.read_bytes())
    for package in ("tensorflow", "tflite_micro"):
        digest.update(f"{package}=={importlib.metadata.version(package)}".encode())
    return digest.hexdigest()[:16]


def _convert(name: str, out: Path) -> str | None:
    """Run zoo_build.py for one model; the error text if it failed (or crashed), else None."""
    proc = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), name, str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if proc.returncode == 0 and out.is_file():
        return None
    return f"{name}: exit status {proc.returncode}\n{proc.stderr[-2000:]}"


def _generate(folder: Path) -> None:
    """Convert every model and record its input sets and expected outputs into `folder`."""
    sys.path.insert(0, str(HERE))
    try:
        import zoo_build

        names = list(zoo_build.BUILDERS)
    finally:
        sys.path.remove(str(HERE))
    # Conversion is CPU-bound in the child processes: one per core, threads only wait on them.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        errors = [e for e in pool.map(lambda n: _convert(n, folder / f"{n}.tflite"), names) if e]
    if errors:
        raise RuntimeError("zoo model conversion failed:\n" + "\n".join(errors))

    index = []
    for name in names:
        data = (folder / f"{name}.tflite").read_bytes()
        inputs, outputs = io_tensors(data)
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        input_sets = [
            tuple(random_input(info, rng) for info in inputs) for _ in range(SETS_PER_MODEL)
        ]
        for k, (raw_inputs, raw_outputs) in enumerate(
            zip(input_sets, run_sets(data, inputs, outputs, input_sets))
        ):
            for i, raw in enumerate(raw_inputs):
                (folder / f"{name}.s{k}.in{i}.bin").write_bytes(raw)
            for j, raw in enumerate(raw_outputs):
                (folder / f"{name}.s{k}.out{j}.bin").write_bytes(raw)
        index.append(name)
    # Written last: its presence marks a complete zoo.
    (folder / "zoo.json").write_text(json.dumps({"models": index, "sets": SETS_PER_MODEL}))


def _load(folder: Path) -> list[ZooModel]:
    meta = json.loads((folder / "zoo.json").read_text())
    zoo = []
    for name in meta["models"]:
        path = folder / f"{name}.tflite"
        data = path.read_bytes()
        inputs, outputs = io_tensors(data)
        sets = tuple(
            InputSet(
                inputs=tuple(
                    (folder / f"{name}.s{k}.in{i}.bin").read_bytes() for i in range(len(inputs))
                ),
                expected=tuple(
                    (folder / f"{name}.s{k}.out{j}.bin").read_bytes() for j in range(len(outputs))
                ),
            )
            for k in range(meta["sets"])
        )
        zoo.append(ZooModel(name, path, op_names(data), inputs, outputs, sets))
    return zoo


def build_zoo(cache: Path) -> list[ZooModel]:
    """The zoo, built into `cache` on first use and read from it afterwards."""
    folder = Path(cache) / _cache_key()
    if not (folder / "zoo.json").is_file():
        # Build beside the final folder and rename, so an interrupted build is never mistaken
        # for a complete one and two concurrent builds cannot mix files.
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            _generate(staging)
            try:
                staging.rename(folder)
            except OSError:
                if not (folder / "zoo.json").is_file():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return _load(folder)


def zoo_model(zoo: list[ZooModel], name: str) -> ZooModel:
    """The model called `name` (KeyError naming the ones there are if it is missing)."""
    for model in zoo:
        if model.name == name:
            return model
    raise KeyError(f"{name} not in zoo ({', '.join(m.name for m in zoo)})")
