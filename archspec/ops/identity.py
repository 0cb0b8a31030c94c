"""identity: the `identity` item, which passes its input through (nn.Identity)."""
from __future__ import annotations

from .flatten import EmptyArgs
from .registry import OpDef, Sample, register_op


@register_op
class Identity(OpDef):
    name, category = "identity", "other"
    items = {"identity": "passes its input through"}
    args = EmptyArgs
    samples = (Sample((3, 4, 5), ("identity",)), Sample((3, 1, 1), ("global_avgpool", "identity")))

    def attrs(self, key, args, shape):
        return {}

    def saves(self, attrs, inputs, out):
        return ()  # the same tensor

    def aliases_input(self, attrs, inputs, training=True):
        return True

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.Identity()

    def label(self, attrs):
        return "Identity"
