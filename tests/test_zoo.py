"""Host checks of the test zoo, the malformed corpus and the device-output checkers (no
firmware).
"""

from __future__ import annotations

import time
from pathlib import Path

import device_rom
import pytest
from malformed import malformed_models, may_load
from zoo import build_zoo, run_sets, schema, zoo_model

from host.paths import cache_dir

MIN_MODELS = 8
MIN_MALFORMED = 30
BIG_MODEL_BYTES = 200 * 1024


@pytest.fixture(scope="module")
def zoo():
    return build_zoo(cache_dir() / "zoo")


def _io_dtypes(model) -> set[str]:
    return {t.dtype for t in model.inputs + model.outputs}


def _constant_types(data: bytes) -> set[int]:
    """TensorType values of the tensors that carry data in the file (weights, biases)."""
    tflite = schema
    model = tflite.Model.GetRootAsModel(data, 0)
    graph = model.Subgraphs(0)
    types = set()
    for i in range(graph.TensorsLength()):
        tensor = graph.Tensors(i)
        if model.Buffers(tensor.Buffer()).DataLength() > 0:
            types.add(tensor.Type())
    return types


def _per_channel_fc_weights(data: bytes) -> bool:
    """A FULLY_CONNECTED whose weights have one scale per output channel."""
    tflite = schema
    model = tflite.Model.GetRootAsModel(data, 0)
    graph = model.Subgraphs(0)
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        if (
            max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            != tflite.BuiltinOperator.FULLY_CONNECTED
        ):
            continue
        quantization = graph.Tensors(op.Inputs(1)).Quantization()
        if quantization is not None and quantization.ScaleLength() > 1:
            return True
    return False


def test_zoo_covers_required_models(zoo):
    assert len(zoo) >= MIN_MODELS
    int8 = [m for m in zoo if _io_dtypes(m) == {"int8"}]
    requirements = {
        "float32 fully connected": any(
            _io_dtypes(m) == {"float32"} and "FULLY_CONNECTED" in m.ops for m in zoo
        ),
        "int8 fully connected": any("FULLY_CONNECTED" in m.ops for m in int8),
        "int8 CNN": any(
            {"CONV_2D", "DEPTHWISE_CONV_2D", "SOFTMAX"} <= set(m.ops)
            and {"MAX_POOL_2D", "AVERAGE_POOL_2D"} & set(m.ops)
            for m in int8
        ),
        "several inputs and outputs": any(len(m.inputs) >= 2 and len(m.outputs) >= 2 for m in zoo),
        "16x8": any(
            _io_dtypes(m) == {"int16"} and schema.TensorType.INT8 in _constant_types(m.data)
            for m in zoo
        ),
        # TensorFlow's default 16x8 conversion, which CMSIS-NN's int16 kernel alone cannot run
        "16x8 per-channel dense weights": any(
            _io_dtypes(m) == {"int16"} and _per_channel_fc_weights(m.data) for m in zoo
        ),
        "RNN-type layer": any(
            {"UNIDIRECTIONAL_SEQUENCE_LSTM", "UNIDIRECTIONAL_SEQUENCE_RNN", "LSTM", "RNN", "WHILE"}
            & set(m.ops)
            for m in zoo
        ),
        "reshape/concat/add/mul": any(
            {"RESHAPE", "CONCATENATION", "ADD", "MUL"} <= set(m.ops) for m in zoo
        ),
        "int8 tanh/logistic": any({"TANH", "LOGISTIC"} <= set(m.ops) for m in int8),
        "int8 model >= 200 KB": any(m.path.stat().st_size >= BIG_MODEL_BYTES for m in int8),
    }
    missing = [what for what, present in requirements.items() if not present]
    assert not missing, f"zoo lacks: {missing}"


def test_stored_outputs_reproduce_on_runtime(zoo):
    for model in zoo:
        assert len(model.sets) >= 3, model.name
        for input_set in model.sets:
            assert [len(raw) for raw in input_set.inputs] == [t.nbytes for t in model.inputs], (
                model.name
            )
            assert [len(raw) for raw in input_set.expected] == [t.nbytes for t in model.outputs], (
                model.name
            )
        again = run_sets(model.data, model.inputs, model.outputs, [s.inputs for s in model.sets])
        assert again == [s.expected for s in model.sets], (
            f"{model.name}: runtime disagrees with the cache"
        )


def test_inputs_change_outputs(zoo):
    # A model whose outputs ignore its inputs (saturated, or all-zero weights) would make parity
    # vacuous.
    for model in zoo:
        for j in range(len(model.outputs)):
            assert len({s.expected[j] for s in model.sets}) > 1, (
                f"{model.name} output {j} is constant"
            )


def test_second_build_reads_the_cache(zoo):
    start = time.monotonic()
    again = build_zoo(cache_dir() / "zoo")
    assert time.monotonic() - start < 5
    assert [m.path for m in again] == [m.path for m in zoo]


def test_malformed_corpus(zoo):
    cases = malformed_models(zoo_model(zoo, device_rom.GOOD_MODEL).data)
    names = [name for name, _ in cases]
    assert len(set(names)) == len(names) >= MIN_MALFORMED
    assert len({data for _, data in cases}) == len(cases)
    # Most cases must be outright invalid; only a few may load.
    assert sum(not may_load(name) for name in names) >= MIN_MALFORMED


def test_semantic_cases_are_well_formed_flatbuffers(zoo):
    # They must get past a flatbuffer parser, so they test the checks made after verification.
    tflite = schema
    semantic = (
        "schema_version_99",
        "tensor_buffer_index_absurd",
        "opcode_index_out_of_range",
        "builtin_code_unknown",
        "tensor_type_invalid",
        "weights_shorter_than_shape",
    )
    cases = dict(malformed_models(zoo_model(zoo, device_rom.GOOD_MODEL).data))
    for name in semantic:
        assert tflite.ModelT.InitFromObj(tflite.Model.GetRootAsModel(cases[name], 0)).subgraphs, (
            name
        )


def test_device_scripts_compile():
    for script in sorted((Path(__file__).parent / "device").glob("*.py")):
        compile(script.read_text(), str(script), "exec")


def _parity_output(zoo, corrupt: str | None = None, not_reset: str | None = None) -> str:
    """What parity.py prints for a board that matches the runtime, with one model's output
    bytes replaced when `corrupt` names it, and, for `not_reset`, a reset() that kept the
    state (its outputs after reset are the last set's)."""
    lines = []
    for model in zoo:
        for kind, tensors in (("in", model.inputs), ("out", model.outputs)):
            for i, t in enumerate(tensors):
                lines.append(
                    f"IO {model.name} {kind} {i} {t.dtype} {','.join(map(str, t.shape))} "
                    f"{t.scale!r} {t.zero_point}"
                )
        for k, input_set in enumerate(model.sets):
            for j, raw in enumerate(input_set.expected):
                if model.name == corrupt and k == 0 and j == 0:
                    # Byte 3 holds a float32's exponent: a change far beyond the float tolerance.
                    raw = raw[:3] + bytes([raw[3] ^ 0x40]) + raw[4:]
                lines.append(f"OUT {model.name} {k} {j} {raw.hex()}")
        after_reset = model.sets[-1 if model.name == not_reset else 0].expected
        lines += [f"RESET {model.name} {j} {raw.hex()}" for j, raw in enumerate(after_reset)]
    return "\n".join(lines)


def test_check_parity_accepts_runtime_outputs_and_rejects_others(zoo, tmp_path):
    device_rom.write_parity_rom(tmp_path, zoo)
    manifest = (tmp_path / "parity.txt").read_text().split("\n")
    assert len([line for line in manifest if line]) == len(zoo)
    device_rom.check_parity(_parity_output(zoo), zoo)
    for name in ("fc_int8", "fc_float"):
        with pytest.raises(AssertionError, match=name):
            device_rom.check_parity(_parity_output(zoo, corrupt=name), zoo)
    with pytest.raises(AssertionError, match=r"stateful_float output 0 after reset\(\)"):
        device_rom.check_parity(_parity_output(zoo, not_reset="stateful_float"), zoo)


def test_check_badinput_rejects_an_accepted_invalid_model(zoo, tmp_path):
    names = device_rom.write_badinput_rom(tmp_path, zoo)
    good = zoo_model(zoo, device_rom.GOOD_MODEL)
    lines = [
        f"BAD {name} {how} ValueError invalid model" for name in names for how in ("path", "buf")
    ]
    lines += [
        f"CASE {name} {'OK' if ok else 'ValueError wrong size'}"
        for name, ok in device_rom.MISUSE_SUCCEEDS.items()
    ]
    lines.append(f"OUT good 0 0 {good.sets[0].expected[0].hex()}")
    device_rom.check_badinput("\n".join(lines), zoo, names)
    invalid = next(name for name in names if not may_load(name))
    accepted = [
        line.replace(
            f"BAD {invalid} path ValueError invalid model", f"BAD {invalid} path ACCEPTED OK"
        )
        for line in lines
    ]
    with pytest.raises(AssertionError, match=invalid):
        device_rom.check_badinput("\n".join(accepted), zoo, names)
    silent = [
        line.replace("CASE closed_invoke ValueError wrong size", "CASE closed_invoke OK")
        for line in lines
    ]
    with pytest.raises(AssertionError, match="closed_invoke"):
        device_rom.check_badinput("\n".join(silent), zoo, names)


def test_check_alloc_and_zerocopy_limits(zoo):
    device_rom.check_alloc("ARENA 2048 1900\nINVOKE_DELTA 0\nCYCLE_DELTA 96")
    with pytest.raises(AssertionError, match="invoke"):
        device_rom.check_alloc("ARENA 2048 1900\nINVOKE_DELTA 16\nCYCLE_DELTA 0")
    with pytest.raises(AssertionError, match="leaked"):
        device_rom.check_alloc("ARENA 2048 1900\nINVOKE_DELTA 0\nCYCLE_DELTA 4096")
    big = zoo_model(zoo, device_rom.BIG_MODEL)
    tail = f"OUT big 0 0 {big.sets[0].expected[0].hex()}"
    device_rom.check_zerocopy(
        f"SIZE {len(big.data)}\nHEAP explicit 1024 400\nHEAP auto 1024 1500\n{tail}", zoo
    )
    # A copied model shows up as heap growth the size of the model.
    with pytest.raises(AssertionError, match="grew the heap"):
        device_rom.check_zerocopy(
            f"SIZE {len(big.data)}\nHEAP explicit 1024 {len(big.data) + 400}\n"
            f"HEAP auto 1024 1500\n{tail}",
            zoo,
        )
