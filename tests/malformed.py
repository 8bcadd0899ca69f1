"""Malformed .tflite models made from a good one, for the bad-input tests.

    for name, data in malformed_models(good_bytes):
        ...  # tinyml.Model(data) must raise, or (only where may_load(name)) load and run safely

Three kinds: raw damage (truncation, random and flipped bytes, bad identifier or root offset),
lengths and indices patched in place so the flatbuffer's own structure lies (vector lengths past
the end of the file, indices past the end of a vector), and models re-encoded through the schema's
object API that are structurally valid flatbuffers but semantically wrong (bad buffer or opcode
indices, unknown ops, wrong schema version, weights shorter than their shape).
"""

from __future__ import annotations

import random
import struct

import flatbuffers
from zoo import schema

SEED = 20240611
FILE_IDENTIFIER = b"TFL3"

# flatbuffers vtable slots (4 + 2 * field id in schema.fbs) of the fields patched in place.
_MODEL_OPERATOR_CODES = 6
_MODEL_SUBGRAPHS = 8
_MODEL_BUFFERS = 12
_SUBGRAPH_TENSORS = 4
_SUBGRAPH_INPUTS = 6
_SUBGRAPH_OUTPUTS = 8
_SUBGRAPH_OPERATORS = 10
_TENSOR_SHAPE = 4
_OPERATOR_INPUTS = 6
_OPERATOR_OUTPUTS = 8


# Odd but runnable: TFLM's kernels serve every op version, and a fully connected layer whose input
# holds fewer values than one row of weights computes zero batches.
_RUNNABLE = frozenset({"op_version_99", "input_shape_mismatch"})


def may_load(name: str) -> bool:
    """Whether a case may legitimately load (and must then invoke or raise, never crash): flipped
    bits can land where any value is valid (a weight, a scale) and leave a good model, and the
    _RUNNABLE cases are odd but safe; every other case is invalid by construction."""
    return name.startswith("flip_") or name in _RUNNABLE


def _vector_length_at(table, slot: int) -> int:
    """File offset of the uint32 length word of the vector in `table`'s field `slot`."""
    field = table._tab.Offset(slot)
    if field == 0:
        raise ValueError(f"field at vtable slot {slot} is absent from the good model")
    return table._tab.Vector(field) - 4


def _patch_u32(data: bytes, offset: int, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into("<I", out, offset, value & 0xFFFFFFFF)
    return bytes(out)


def _truncations(good: bytes) -> list[tuple[str, bytes]]:
    # Inside the header, inside the tables, and one byte short of the end.
    offsets = sorted(
        {
            1,
            4,
            7,
            8,
            12,
            16,
            32,
            64,
            len(good) // 4,
            len(good) // 2,
            3 * len(good) // 4,
            len(good) - 16,
            len(good) - 1,
        }
    )
    return [(f"truncated_{n}", good[:n]) for n in offsets if 0 < n < len(good)]


def _raw_damage(good: bytes) -> list[tuple[str, bytes]]:
    rng = random.Random(SEED)
    cases = [
        ("empty", b""),
        ("zeros", bytes(len(good))),
        ("ones", b"\xff" * len(good)),
        ("random_64", rng.randbytes(64)),
        ("random_full", rng.randbytes(len(good))),
        # Random body behind a plausible header: the identifier check alone must not accept it.
        (
            "random_with_identifier",
            b"\x10\x00\x00\x00" + FILE_IDENTIFIER + rng.randbytes(len(good) - 8),
        ),
        ("wrong_identifier", good[:4] + b"TFL2" + good[8:]),
        ("root_offset_past_end", _patch_u32(good, 0, len(good) + 1024)),
        ("root_offset_max", _patch_u32(good, 0, 0xFFFFFFFF)),
        ("root_offset_unaligned", _patch_u32(good, 0, struct.unpack_from("<I", good)[0] + 1)),
    ]
    for i in range(6):
        damaged = bytearray(good)
        for _ in range(1 + 4 * i):
            damaged[rng.randrange(len(good))] ^= 1 << rng.randrange(8)
        cases.append((f"flip_{i}", bytes(damaged)))
    return cases


def _lying_structure(good: bytes) -> list[tuple[str, bytes]]:
    """One uint32 rewritten in place: a vector length, a tensor index or a dimension."""
    tflite = schema
    model = tflite.Model.GetRootAsModel(good, 0)
    graph = model.Subgraphs(0)
    op = graph.Operators(0)
    first_input = graph.Tensors(graph.Inputs(0))
    graph_inputs = _vector_length_at(graph, _SUBGRAPH_INPUTS) + 4
    graph_outputs = _vector_length_at(graph, _SUBGRAPH_OUTPUTS) + 4
    op_inputs = _vector_length_at(op, _OPERATOR_INPUTS) + 4
    op_outputs = _vector_length_at(op, _OPERATOR_OUTPUTS) + 4
    input_shape = _vector_length_at(first_input, _TENSOR_SHAPE) + 4
    return [
        (
            "huge_subgraph_count",
            _patch_u32(good, _vector_length_at(model, _MODEL_SUBGRAPHS), 0x7FFFFFFF),
        ),
        (
            "max_subgraph_count",
            _patch_u32(good, _vector_length_at(model, _MODEL_SUBGRAPHS), 0xFFFFFFFF),
        ),
        (
            "huge_buffer_count",
            _patch_u32(good, _vector_length_at(model, _MODEL_BUFFERS), 0x10000000),
        ),
        (
            "huge_opcode_count",
            _patch_u32(good, _vector_length_at(model, _MODEL_OPERATOR_CODES), 0x01000000),
        ),
        (
            "huge_tensor_count",
            _patch_u32(good, _vector_length_at(graph, _SUBGRAPH_TENSORS), 0x00FFFFFF),
        ),
        (
            "huge_operator_count",
            _patch_u32(good, _vector_length_at(graph, _SUBGRAPH_OPERATORS), 0x40000000),
        ),
        (
            "huge_shape_rank",
            _patch_u32(good, _vector_length_at(first_input, _TENSOR_SHAPE), 0x20000000),
        ),
        ("graph_input_index_out_of_range", _patch_u32(good, graph_inputs, 9999)),
        ("graph_output_index_out_of_range", _patch_u32(good, graph_outputs, 0x7FFFFFFF)),
        ("op_input_index_out_of_range", _patch_u32(good, op_inputs, 4096)),
        ("op_input_index_negative", _patch_u32(good, op_inputs, -7)),
        ("op_output_index_out_of_range", _patch_u32(good, op_outputs, 65535)),
        ("op_output_index_optional", _patch_u32(good, op_outputs, -1)),
        (
            "negative_input_dim",
            _patch_u32(good, input_shape + 4 * (first_input.ShapeLength() - 1), -5),
        ),
        (
            "huge_input_dim",
            _patch_u32(good, input_shape + 4 * (first_input.ShapeLength() - 1), 0x7FFFFFFF),
        ),
    ]


def _repack(model) -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=FILE_IDENTIFIER)
    return bytes(builder.Output())


def _semantic(good: bytes) -> list[tuple[str, bytes]]:
    """Valid flatbuffers (they pass a verifier), so only the checks made after verification
    (schema version, indices, op lookup, buffer sizes) can catch them."""
    tflite = schema

    def edited(edit) -> bytes:
        model = tflite.ModelT.InitFromObj(tflite.Model.GetRootAsModel(good, 0))
        edit(model)
        return _repack(model)

    def graph(model):
        return model.subgraphs[0]

    def weights(model):
        """The first operator's first constant input (a tensor with data in its buffer)."""
        g = graph(model)
        for index in g.operators[0].inputs:
            tensor = g.tensors[index]
            if index >= 0 and model.buffers[tensor.buffer].data is not None:
                return tensor
        raise ValueError("the good model's first operator has no constant input")

    def set_attr(get, attr, value):
        return lambda model: setattr(get(model), attr, value)

    def quantized_input(model):
        return graph(model).tensors[graph(model).inputs[0]]

    def short_weights(model):
        buffer = model.buffers[weights(model).buffer]
        buffer.data = buffer.data[:3]

    def unknown_custom_op(model):
        code = model.operatorCodes[0]
        code.builtinCode = code.deprecatedBuiltinCode = tflite.BuiltinOperator.CUSTOM
        code.customCode = b"NoSuchOpAnywhere"

    def external_buffer(model):
        # The >2 GB format: data lives at `offset` from the model start; here far past the end.
        buffer = model.buffers[weights(model).buffer]
        buffer.data, buffer.offset, buffer.size = None, 1 << 40, 64

    def first_absent(attr):
        """The first operator's first `attr` tensor index made -1, TFLite's "no tensor"."""

        def edit(model):
            op = graph(model).operators[0]
            setattr(op, attr, [-1, *list(getattr(op, attr))[1:]])

        return edit

    cases = [
        ("schema_version_99", set_attr(lambda m: m, "version", 99)),
        ("no_subgraphs", set_attr(lambda m: m, "subgraphs", [])),
        ("no_buffers", set_attr(lambda m: m, "buffers", [])),
        ("no_operator_codes", set_attr(lambda m: m, "operatorCodes", [])),
        ("tensor_buffer_index_absurd", set_attr(weights, "buffer", 1_000_000)),
        (
            "opcode_index_out_of_range",
            set_attr(lambda m: graph(m).operators[0], "opcodeIndex", 999),
        ),
        ("builtin_code_unknown", set_attr(lambda m: m.operatorCodes[0], "builtinCode", 4000)),
        ("op_version_99", set_attr(lambda m: m.operatorCodes[0], "version", 99)),
        ("custom_op_unknown", unknown_custom_op),
        ("tensor_type_invalid", set_attr(quantized_input, "type", 99)),
        ("tensor_shape_empty_weights", set_attr(weights, "shape", [])),
        ("weights_shorter_than_shape", short_weights),
        ("weights_external_offset_past_end", external_buffer),
        ("op_no_outputs", set_attr(lambda m: graph(m).operators[0], "outputs", [])),
        ("op_no_inputs", set_attr(lambda m: graph(m).operators[0], "inputs", [])),
        ("input_shape_mismatch", set_attr(quantized_input, "shape", [1, 3, 5])),
        # Cases a review's fuzzing found crashing TFLM before the module checked them.
        (
            "options_table_missing",
            set_attr(lambda m: graph(m).operators[0], "builtinOptions", None),
        ),
        ("first_input_absent", first_absent("inputs")),
        ("no_tensor_list", set_attr(graph, "tensors", None)),
        ("tensor_without_shape", set_attr(weights, "shape", None)),
    ]
    return [(name, edited(edit)) for name, edit in cases]


def malformed_models(good: bytes) -> list[tuple[str, bytes]]:
    """Named malformed variants of `good` (a single-subgraph model whose first operator has a
    constant input, e.g. the zoo's fc_int8), each distinct from the others and from `good`."""
    cases = _truncations(good) + _raw_damage(good) + _lying_structure(good) + _semantic(good)
    seen = {good}
    for name, data in cases:
        if data in seen:
            raise ValueError(f"malformed case {name} duplicates another case or the good model")
        seen.add(data)
    return cases
