"""dropout: the `dropout` item (nn.Dropout; identity in eval)."""
from __future__ import annotations

import math

from typing import Annotated

from pydantic import Field

from ..language.values import FloatArg
from ._fields import Strict
from .registry import OpDef, Sample, Saved, register_op


class DropoutArgs(Strict):
    p: Annotated[FloatArg, Field(ge=0, lt=1)]
    """Probability of zeroing an element in training."""


@register_op
class Dropout(OpDef):
    name, category = "dropout", "other"
    items = {"dropout": "dropout (training only)"}
    args, main, defaults_key = DropoutArgs, "p", "dropout"
    samples = (Sample((4, 3, 3), ({"dropout": 0.2},)), Sample((4, 3, 3), ("global_avgpool", {"dropout": "0.5"})))

    def attrs(self, key, args, shape):
        return {"p": args.p}

    def saves(self, attrs, inputs, out):
        # the scaled keep mask, in the activations' dtype (CPU; CUDA's fused kernel keeps one byte per element)
        return (Saved("own", math.prod(out)),) if attrs["p"] > 0 else ()

    def aliases_input(self, attrs, inputs, training=True):
        return attrs["p"] == 0 or not training  # nn.Dropout returns its input in eval, and at p = 0

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.Dropout(attrs["p"])

    def label(self, attrs):
        return f"Dropout {attrs['p']:g}"
