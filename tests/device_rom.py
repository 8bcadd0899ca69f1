"""Folders for the device scripts' /rom, and checks of what those scripts print.

    rom = tmp_path / "rom"
    write_parity_rom(rom, zoo)
    check_parity(device_board.check(DEVICE_TESTS / "parity.py", rom), zoo)

Each write_* lays out the files one script in tests/device/ reads; each check_* asserts on the
data lines of a run of that script that passed (plain asserts, so pytest shows the failing
line).
"""

from __future__ import annotations

from pathlib import Path

import flatbuffers
import numpy as np
from malformed import malformed_models, may_load
from zoo import ZooModel, schema, zoo_model

DEVICE_TESTS = Path(__file__).resolve().parent / "device"

GOOD_MODEL = "fc_int8"  # small int8 model: the malformed corpus' source and the misuse target
ALLOC_MODEL = "fc_int8"  # cheap enough for 10,000 invokes on an emulated Cortex-M0
BIG_MODEL = "big_fc_int8"
FLOAT_RTOL = 1e-5
SCALE_RTOL = 1e-5  # a float32 board prints scale with fewer digits than CPython
ZERO_COPY_SLACK = 2048
CYCLE_SLACK = 1024

# badinput.py's misuse cases: True when the call must succeed, False when it must raise.
MISUSE_SUCCEEDS = {
    "quantize_right": True,
    "quantize_too_many": False,
    "quantize_too_few": False,
    "quantize_not_numbers": False,
    "quantize_not_iterable": False,
    "quantize_scaled": True,
    "quantize_scale_not_a_number": False,
    "write_right": True,
    "write_too_long": False,
    "write_too_short": False,
    "write_wrong_type": False,
    "dequantize_right": True,
    "dequantize_out_too_small": False,
    "input_index_out_of_range": False,
    "output_index_negative": False,
    "model_missing_file": False,
    "model_not_a_buffer": False,
    "arena_int_too_small": False,
    "arena_negative": False,
    "arena_buffer_too_small": False,
    "arena_read_only": False,
    "arena_buffer_misaligned": True,
    "arena_error_is_its_own": True,
    "error_lines_end_with_newline": True,
    "model_unaligned_buffer": True,
    "closed_invoke": False,
    "closed_input": False,
    "closed_tensor_quantize": False,
    "closed_tensor_memoryview": False,
    "closed_again": True,
    "closed_forgets_its_arena": True,
}


def _lines(output: str, tag: str) -> list[list[str]]:
    """Whitespace-split fields of every line starting with `tag` (tag dropped)."""
    return [line.split()[1:] for line in output.splitlines() if line.split()[:1] == [tag]]


def _is_error(fields: list[str]) -> bool:
    """`<ExceptionType> <message...>`: an exception class name followed by a non-empty message."""
    return len(fields) >= 2 and fields[0].endswith("Error")


def _assert_outputs_equal(where: str, info, got_hex: str, expected: bytes) -> None:
    got = bytes.fromhex(got_hex)
    assert len(got) == len(expected), f"{where}: {len(got)} bytes, expected {len(expected)}"
    if info.dtype == "float32":
        got_values, want = info.decode(got).ravel(), info.decode(expected).ravel()
        tolerance = FLOAT_RTOL * max(1.0, float(np.abs(want).max()))
        assert np.allclose(got_values, want, rtol=FLOAT_RTOL, atol=tolerance), (
            f"{where}: {got_values} != {want}"
        )
    else:
        got_values = info.decode(got).ravel().tolist()
        assert got == expected, (
            f"{where}: {got_values} != {info.decode(expected).ravel().tolist()}"
        )


def _write_model(folder: Path, stem: str, model: ZooModel, sets: int) -> None:
    (folder / f"{stem}.tflite").write_bytes(model.data)
    for k, input_set in enumerate(model.sets[:sets]):
        for i, raw in enumerate(input_set.inputs):
            (folder / f"{stem}.s{k}.in{i}.bin").write_bytes(raw)


def write_parity_rom(folder: Path, zoo: list[ZooModel]) -> None:
    """Every model of `zoo` with all its input sets, and parity.txt listing them."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for model in zoo:
        _write_model(folder, model.name, model, len(model.sets))
        manifest.append(
            f"{model.name} {len(model.inputs)} {len(model.outputs)} {len(model.sets)}\n"
        )
    (folder / "parity.txt").write_text("".join(manifest))


def check_parity(output: str, zoo: list[ZooModel]) -> None:
    """Every model ran, declared the tensors its file declares and gave the runtime's outputs,
    and after model.reset() its first set's outputs again."""
    errors = _lines(output, "ERR")
    assert not errors, "models failed on the board:\n" + "\n".join(" ".join(e) for e in errors)
    io = {(f[0], f[1], int(f[2])): f[3:] for f in _lines(output, "IO")}
    outs = {
        (f[0], int(f[1]), int(f[2])): f[3] if len(f) > 3 else "" for f in _lines(output, "OUT")
    }
    after_reset = {(f[0], int(f[1])): f[2] if len(f) > 2 else "" for f in _lines(output, "RESET")}
    for model in zoo:
        for kind, tensors in (("in", model.inputs), ("out", model.outputs)):
            for index, info in enumerate(tensors):
                where = f"{model.name} {kind}put {index}"
                assert (model.name, kind, index) in io, f"{where}: not reported"
                dtype, shape, scale, zero_point = io[model.name, kind, index]
                assert dtype == info.dtype, f"{where}: dtype {dtype}, expected {info.dtype}"
                assert shape == ",".join(map(str, info.shape)), (
                    f"{where}: shape {shape}, expected {info.shape}"
                )
                assert np.isclose(float(scale), info.scale, rtol=SCALE_RTOL, atol=0), (
                    f"{where}: scale {scale}, expected {info.scale}"
                )
                assert int(zero_point) == info.zero_point, f"{where}: zero point {zero_point}"
        for k, input_set in enumerate(model.sets):
            for j, (info, expected) in enumerate(zip(model.outputs, input_set.expected)):
                where = f"{model.name} set {k} output {j}"
                assert (model.name, k, j) in outs, f"{where}: not reported"
                _assert_outputs_equal(where, info, outs[model.name, k, j], expected)
        for j, (info, expected) in enumerate(zip(model.outputs, model.sets[0].expected)):
            where = f"{model.name} output {j} after reset()"
            assert (model.name, j) in after_reset, f"{where}: not reported"
            _assert_outputs_equal(where, info, after_reset[model.name, j], expected)


def write_badinput_rom(folder: Path, zoo: list[ZooModel]) -> list[str]:
    """The malformed corpus made from the good model, bad.txt, and the good model with one input
    set; returns the case names in the order the script tries them."""
    folder.mkdir(parents=True, exist_ok=True)
    good = zoo_model(zoo, GOOD_MODEL)
    cases = malformed_models(good.data)
    for name, data in cases:
        (folder / f"{name}.bad").write_bytes(data)
    (folder / "bad.txt").write_text("".join(f"{name}\n" for name, _ in cases))
    (folder / "good.tflite").write_bytes(good.data)
    (folder / "good.in0.bin").write_bytes(good.sets[0].inputs[0])
    return [name for name, _ in cases]


def check_badinput(output: str, zoo: list[ZooModel], case_names: list[str]) -> None:
    """Malformed models raise with a message (or, where allowed, load and then invoke or raise);
    misuse raises exactly where it should; the good model still gives the runtime's output."""
    results = {(f[0], f[1]): f[2:] for f in _lines(output, "BAD")}
    for name in case_names:
        for how in ("path", "buf"):
            where = f"malformed {name} from {how}"
            assert (name, how) in results, f"{where}: not reported"
            fields = results[name, how]
            if fields[:1] == ["ACCEPTED"]:
                assert may_load(name), f"{where}: loaded, but the model is invalid"
                assert fields[1:] == ["OK"] or _is_error(fields[1:]), (
                    f"{where}: invoke gave {fields[1:]}"
                )
            else:
                assert _is_error(fields), f"{where}: rejected without a message: {fields}"

    cases = {f[0]: f[1:] for f in _lines(output, "CASE")}
    for name, succeeds in MISUSE_SUCCEEDS.items():
        assert name in cases, f"misuse {name}: not reported"
        if succeeds:
            assert cases[name] == ["OK"], f"misuse {name}: should work, got {cases[name]}"
        else:
            assert _is_error(cases[name]), (
                f"misuse {name}: should raise with a message, got {cases[name]}"
            )

    good = zoo_model(zoo, GOOD_MODEL)
    outs = _lines(output, "OUT")
    assert outs and outs[0][:3] == ["good", "0", "0"], "good model output not reported"
    _assert_outputs_equal(
        "good model after misuse", good.outputs[0], outs[0][3], good.sets[0].expected[0]
    )


def write_alloc_rom(folder: Path, zoo: list[ZooModel]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alloc.tflite").write_bytes(zoo_model(zoo, ALLOC_MODEL).data)


def check_alloc(output: str) -> None:
    """No heap growth over 10,000 invokes; under CYCLE_SLACK over 1,000 create/close cycles."""
    (invoke_delta,) = _lines(output, "INVOKE_DELTA")
    assert invoke_delta == ["0"], f"invoke() allocated on the heap: {' '.join(invoke_delta)}"
    (cycle_delta,) = _lines(output, "CYCLE_DELTA")
    assert abs(int(cycle_delta[0])) <= CYCLE_SLACK, (
        f"1,000 create/close cycles leaked {cycle_delta[0]} bytes"
    )


def write_zerocopy_rom(folder: Path, zoo: list[ZooModel]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    big = zoo_model(zoo, BIG_MODEL)
    (folder / "big.tflite").write_bytes(big.data)
    (folder / "big.in0.bin").write_bytes(big.sets[0].inputs[0])


def check_zerocopy(output: str, zoo: list[ZooModel]) -> None:
    """Loading the big model from /rom grows the heap by < ZERO_COPY_SLACK beyond its arena, and it
    computes the runtime's output from there."""
    big = zoo_model(zoo, BIG_MODEL)
    (size,) = _lines(output, "SIZE")
    assert int(size[0]) == len(big.data), (
        f"/rom/big.tflite is {size[0]} bytes, expected {len(big.data)}"
    )
    heap = {f[0]: (int(f[1]), int(f[2])) for f in _lines(output, "HEAP")}
    _, growth = heap["explicit"]
    assert growth < ZERO_COPY_SLACK, f"model with a given arena grew the heap by {growth} bytes"
    arena_size, growth = heap["auto"]
    assert growth < arena_size + ZERO_COPY_SLACK, (
        f"model with its own {arena_size}-byte arena grew the heap by {growth} bytes"
    )
    (out,) = _lines(output, "OUT")
    assert out[:3] == ["big", "0", "0"], f"unexpected output line {out}"
    _assert_outputs_equal("big model", big.outputs[0], out[3], big.sets[0].expected[0])


class _AlignedBufferT(schema.BufferT):
    """A buffer whose data starts 16-byte aligned in the file, as the converter writes it
    (schema.fbs asks for it, the generated Python packs byte vectors unaligned): a Cortex-M0+
    faults reading an int32 constant that is not."""

    def Pack(self, builder):
        builder.StartVector(1, len(self.data), 16)
        for byte in reversed(self.data):
            builder.PrependUint8(byte)
        data = builder.EndVector()
        schema.BufferStart(builder)
        schema.BufferAddData(builder, data)
        return schema.BufferEnd(builder)


def aborting_model() -> bytes:
    """What TensorFlow converts `tf.raw_ops.BroadcastArgs(s0=s1, s1=tf.constant([5, 7]))` to,
    for an int32[2] input s1: one BROADCAST_ARGS operator. It runs for the shapes that broadcast
    with [5, 7] (output [5, 7]); for others, [0, 0], TFLM's kernel aborts inside invoke (a
    TFLITE_CHECK_EQ, compiled into every build)."""
    tensors = []
    for name, buffer in (("s1", 1), ("shape", 2), ("output", 3)):
        tensor = schema.TensorT()
        tensor.name, tensor.buffer = name, buffer
        tensor.shape, tensor.type = [2], schema.TensorType.INT32
        tensors.append(tensor)
    op = schema.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0, 1], [2]
    graph = schema.SubGraphT()
    graph.tensors, graph.inputs, graph.outputs, graph.operators = tensors, [0], [2], [op]
    code = schema.OperatorCodeT()
    code.builtinCode = schema.BuiltinOperator.BROADCAST_ARGS
    # The old int8 field holds codes past 127 as this placeholder.
    code.deprecatedBuiltinCode = schema.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES
    code.version = 1
    constant = _AlignedBufferT()
    constant.data = list(np.array([5, 7], "<i4").tobytes())
    model = schema.ModelT()
    model.version = 3
    model.operatorCodes, model.subgraphs = [code], [graph]
    model.buffers = [schema.BufferT(), schema.BufferT(), constant, schema.BufferT()]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def write_kernel_abort_rom(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "abort.tflite").write_bytes(aborting_model())


def check_kernel_abort(output: str) -> None:
    """The model ran for a shape that broadcasts; TFLM's abort in invoke raised a RuntimeError
    that says the model was closed; the closed model refuses to invoke and has no arena."""
    cases = {f[0]: " ".join(f[1:]) for f in _lines(output, "CASE")}
    assert cases.get("broadcasts") == "OK", output
    assert _lines(output, "OUT") == [["5", "7"]], output
    aborted = cases.get("aborts", "")
    assert aborted.startswith("RuntimeError TFLM stopped:"), f"the abort raised: {aborted}"
    assert aborted.endswith("; the model was closed"), f"the abort raised: {aborted}"
    assert cases.get("after_abort") == "ValueError model is closed", (
        f"invoke after the abort: {cases.get('after_abort')}"
    )
    assert _lines(output, "ARENA") == [["0", "0"]], output
