"""linear: the `linear` item, a fully connected layer on a flat vector (nn.Linear)."""
from __future__ import annotations

from ..language.values import BoolArg
from ._fields import PositiveInt, Strict
from ._shapes import fmt
from .registry import OpDef, Sample, ShapeError, register_op


class LinearArgs(Strict):
    out: PositiveInt
    bias: BoolArg = True


@register_op
class Linear(OpDef):
    name, category = "linear", "linear"
    items = {"linear": "fully connected layer"}
    args, main, defaults_key = LinearArgs, "out", "linear"
    width_attrs = ("in_features", "out_features")
    inplace_safe_output = True
    samples = (Sample((6, 2, 2), ("global_avgpool", {"linear": 10})),
               Sample((3, 2, 2), ("flatten", {"linear": {"out": 5, "bias": False}})))

    def attrs(self, key, args, shape):
        return {"in_features": shape[0], "out_features": args.out, "bias": args.bias}

    def shape(self, attrs, inputs):
        if len(inputs[0]) != 1:
            raise ShapeError(f"linear needs a flat vector, got shape {fmt(inputs[0])} "
                             "(add global_avgpool or flatten first)")
        if inputs[0][0] != attrs["in_features"]:
            raise ShapeError(f"linear expects {attrs['in_features']} features, got {inputs[0][0]}")
        return (attrs["out_features"],)

    def params(self, attrs, inputs, out):
        return attrs["in_features"] * attrs["out_features"] + (attrs["out_features"] if attrs["bias"] else 0)

    def macs(self, attrs, inputs, out):
        return attrs["in_features"] * attrs["out_features"]

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.Linear(attrs["in_features"], attrs["out_features"], attrs["bias"])

    def label(self, attrs):
        return f"Linear, {attrs['out_features']}"
