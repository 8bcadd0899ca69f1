"""Operator names across a model, TFLM's resolver and the firmware: a custom operator is
`CUSTOM:<code>` in a model and `<code>` in the resolver; both must find each other."""

import pytest

from host import inspect, ops, sources
from host.boards import load_board
from host.errors import CommandError

RESOLVER = [
    ("FullyConnected", "FULLY_CONNECTED"),
    ("DetectionPostprocess", "TFLite_Detection_PostProcess"),
]


def test_ops_from_a_model_with_a_custom_operator():
    wanted = {"FULLY_CONNECTED", "CUSTOM:TFLite_Detection_PostProcess"}
    assert ops.select_ops(RESOLVER, wanted) == RESOLVER


def test_an_unknown_operator_is_named():
    with pytest.raises(CommandError, match="CUSTOM_THING"):
        ops.select_ops(RESOLVER, {"CUSTOM:CUSTOM_THING"})


def test_inspect_knows_the_resolvers_custom_operators():
    if not sources.source("tflite-micro").is_present():
        pytest.skip("TFLM's sources are missing; run: host setup")
    available, _ = inspect.firmware_ops(load_board("qemu_m4"))
    assert "TFLite_Detection_PostProcess" in available
    assert ops.resolver_name("CUSTOM:TFLite_Detection_PostProcess") in available
