"""scale: the `scale` item, multiplication by a constant (residual scaling)."""
from __future__ import annotations

from ..language.values import FloatArg
from ._fields import Strict
from .registry import OpDef, Sample, register_op


class ScaleArgs(Strict):
    factor: FloatArg
    """Constant the input is multiplied by."""


@register_op
class Scale(OpDef):
    name, category = "scale", "scale"
    items = {"scale": "multiply by a constant"}
    args, main = ScaleArgs, "factor"
    inplace_safe_output = True
    samples = (Sample((3, 4, 4), ({"scale": 0.17},)), Sample((3, 1, 1), ("global_avgpool", {"scale": 2})))

    def attrs(self, key, args, shape):
        return {"factor": args.factor}

    def saves(self, attrs, inputs, out):
        return ()  # a constant factor

    def lower(self, attrs, inputs):
        from ._torch_modules import Scale as Module
        return Module(attrs["factor"])

    def label(self, attrs):
        return f"x{attrs['factor']:g}"
