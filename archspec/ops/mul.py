"""mul: element-wise product with broadcasting (gating), emitted by the `mul` composite."""
from __future__ import annotations

import math

from ._shapes import fmt
from .registry import OpDef, Sample, Saved, Shape, ShapeError, register_op


def broadcast(inputs: list[Shape], op: str) -> Shape:
    """Equal ranks (the batch dimension is implicit, so ranks may not differ); sizes equal or 1."""
    rank = len(inputs[0])
    if any(len(s) != rank for s in inputs):
        raise ShapeError(f"{op} needs inputs of the same rank, got " + ", ".join(fmt(s) for s in inputs)
                         + " (use global_avgpool: keepdim for a Cx1x1 gate)")
    out = []
    for dims in zip(*inputs):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ShapeError(f"{op} needs matching shapes, got " + ", ".join(fmt(s) for s in inputs))
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


@register_op
class Mul(OpDef):
    name, arity, category = "mul", None, "merge"
    samples = (Sample((3, 4, 4), ({"mul": ["identity", [{"global_avgpool": "keepdim"}, "sigmoid"]]},)),
               Sample((3, 4, 4), ({"mul": ["identity", "tanh", "relu"]},)))

    def shape(self, attrs, inputs):
        return broadcast(inputs, "mul")

    def saves(self, attrs, inputs, out):
        # each factor for the others' gradients, and each running product but the last
        return tuple(Saved(i) for i in range(len(inputs))) + (Saved("own", math.prod(out)),) * (len(inputs) - 2)

    def scratch(self, attrs, inputs, out):
        return tuple(s for s in self.saves(attrs, inputs, out) if s.of == "own")  # made in eval too

    def lower(self, attrs, inputs):
        from ._torch_modules import Mul as Module
        return Module()

    def label(self, attrs):
        return "×"
