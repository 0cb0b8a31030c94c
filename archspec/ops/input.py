"""input: the network's input tensor (no item; the spec's `input:` creates it)."""
from __future__ import annotations

from .registry import OpDef, Sample, register_op


@register_op
class Input(OpDef):
    name, arity, category = "input", 0, "io"
    tuple_attrs = ("shape",)
    samples = (Sample((3, 4, 4), ("identity",)), Sample((5, 1, 7), ("identity",)))

    def shape(self, attrs, inputs):
        return tuple(attrs["shape"])

    def lower(self, attrs, inputs):
        # The backend feeds the input tensor in directly; an identity keeps the contract uniform.
        from torch import nn
        return nn.Identity()

    def label(self, attrs):
        return "Input"
