"""dropout: the `dropout` item (nn.Dropout; identity in eval)."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..language.values import FloatArg
from ._fields import Strict
from .registry import OpDef, Sample, register_op


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

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.Dropout(attrs["p"])

    def label(self, attrs):
        return f"Dropout {attrs['p']:g}"
