"""concat: channel concatenation, emitted by the `concat` composite."""
from __future__ import annotations

from ._shapes import fmt
from .registry import OpDef, Sample, ShapeError, register_op


@register_op
class Concat(OpDef):
    name, arity, category = "concat", None, "concat"
    inplace_safe_output = True
    samples = (Sample((3, 4, 4), ({"concat": [{"conv": "1x1 2"}, "identity", {"maxpool": "1x1"}]},)),
               Sample((3, 2, 2), ("global_avgpool", {"concat": ["identity", {"linear": 5}]})))

    def shape(self, attrs, inputs):
        first = inputs[0]
        if any(len(s) != len(first) or s[1:] != first[1:] for s in inputs):
            shapes = ", ".join(fmt(s) for s in inputs)
            raise ShapeError(f"concat needs equal spatial sizes in every input (branch or `from:` tensor), got {shapes}")
        return (sum(s[0] for s in inputs), *first[1:])

    def saves(self, attrs, inputs, out):
        return ()  # the gradient is sliced by the (static) widths

    def lower(self, attrs, inputs):
        from ._torch_modules import Concat as Module
        return Module()

    def label(self, attrs):
        return "Filter concat"
