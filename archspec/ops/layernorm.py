"""layernorm: the `layernorm` item. On a CxHxW map it normalises over C at each position (ConvNeXt's
LayerNorm2d); on a flat vector it is nn.LayerNorm."""
from __future__ import annotations

import math

import functools
from typing import Annotated

from pydantic import Field

from ..language.values import BoolArg, FloatArg
from ._fields import Strict
from ._shapes import fmt
from .registry import OpDef, Sample, Saved, ShapeError, register_op


class LayerNormArgs(Strict):
    eps: Annotated[FloatArg, Field(gt=0)] = 1e-5
    """Added to the variance for numerical stability (ConvNeXt uses 1e-6)."""
    affine: BoolArg = True
    """Learnable per-channel scale and shift."""


@functools.cache
def _layernorm2d():
    """The module class, made on first use so that importing archspec does not import torch."""
    import torch.nn.functional as F
    from torch import nn

    class LayerNorm2d(nn.LayerNorm):
        """LayerNorm over the channels of an NCHW tensor, at each spatial position."""

        def forward(self, x):
            x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps)
            return x.permute(0, 3, 1, 2)

    # Named as a module attribute (see __getattr__), so pickle and torch.save find the class.
    LayerNorm2d.__module__, LayerNorm2d.__qualname__ = __name__, "LayerNorm2d"
    return LayerNorm2d


def __getattr__(name: str):
    """`LayerNorm2d` is created on first access (pickle looks it up here)."""
    if name == "LayerNorm2d":
        return _layernorm2d()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@register_op
class LayerNorm(OpDef):
    name, category = "layernorm", "norm"
    items = {"layernorm": "layer norm over channels (per position on a CxHxW map)"}
    args, defaults_key = LayerNormArgs, "layernorm"
    width_attrs = ("channels",)
    samples = (Sample((8, 5, 5), ("layernorm",)), Sample((6, 1, 1), ("global_avgpool", "layernorm")),
               Sample((4, 3, 2), ({"layernorm": {"eps": 1e-6, "affine": False}},)))

    def attrs(self, key, args, shape):
        return {"channels": shape[0], "eps": args.eps, "affine": args.affine}

    def shape(self, attrs, inputs):
        if len(inputs[0]) not in (1, 3):
            raise ShapeError(f"layernorm needs a CxHxW map or a flat vector, got shape {fmt(inputs[0])}")
        if inputs[0][0] != attrs["channels"]:
            raise ShapeError(f"layernorm expects {attrs['channels']} channels, got {inputs[0][0]}")
        return inputs[0]

    def params(self, attrs, inputs, out):
        return 2 * attrs["channels"] if attrs["affine"] else 0

    def saves(self, attrs, inputs, out):
        stats = Saved("own", math.prod(inputs[0][1:]))  # mean and inverse std per sample and position
        return Saved(0), stats, stats

    def scratch(self, attrs, inputs, out):
        return tuple(s for s in self.saves(attrs, inputs, out) if s.of == "own")  # made in eval too

    def lower(self, attrs, inputs):
        from torch import nn
        cls = _layernorm2d() if len(inputs[0]) == 3 else nn.LayerNorm
        return cls(attrs["channels"], eps=attrs["eps"], elementwise_affine=attrs["affine"])

    def label(self, attrs):
        return "LayerNorm"
