"""flatten: the `flatten` item, CxHxW -> C*H*W (nn.Flatten)."""
from __future__ import annotations

from ._fields import Strict
from .registry import OpDef, Sample, register_op


class EmptyArgs(Strict):
    """An item with no arguments."""


@register_op
class Flatten(OpDef):
    name, category = "flatten", "other"
    items = {"flatten": "CxHxW -> C*H*W"}
    args = EmptyArgs
    samples = (Sample((3, 4, 5), ("flatten",)), Sample((3, 1, 1), ("global_avgpool", "flatten")))

    def attrs(self, key, args, shape):
        return {}

    def shape(self, attrs, inputs):
        total = 1
        for d in inputs[0]:
            total *= d
        return (total,)

    def saves(self, attrs, inputs, out):
        return ()  # a view

    def aliases_input(self, attrs, inputs, training=True):
        return True

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.Flatten(1)

    def label(self, attrs):
        return "Flatten"
