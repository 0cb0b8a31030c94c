"""add: element-wise sum of equal shapes, emitted by the `add` and `residual` composites."""
from __future__ import annotations

from ._shapes import fmt
from .registry import OpDef, Sample, ShapeError, register_op


@register_op
class Add(OpDef):
    name, arity, category = "add", None, "merge"
    inplace_safe_output = True
    samples = (Sample((3, 4, 4), ({"add": ["identity", "relu"]},)),
               Sample((4, 4, 4), ({"residual": {"body": [{"conv": "3x3 4 same"}]}},)))

    def shape(self, attrs, inputs):
        if any(s != inputs[0] for s in inputs):
            raise ShapeError("add needs identical shapes, got " + ", ".join(fmt(s) for s in inputs))
        return inputs[0]

    def saves(self, attrs, inputs, out):
        return ()  # the gradient passes through unchanged

    def lower(self, attrs, inputs):
        from ._torch_modules import Add as Module
        return Module(attrs.get("inplace", False))

    def label(self, attrs):
        return "+"
