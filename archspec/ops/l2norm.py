"""l2norm: the `l2norm` item, L2 normalisation (F.normalize, p=2, dim=1): a flat vector to unit length
(FaceNet's embedding), or a CxHxW map along its channels at each position."""
from __future__ import annotations

import math

from typing import Annotated

from pydantic import Field

from ..language.values import FloatArg
from ._fields import Strict
from ._lazy import lazy_classes
from ._shapes import fmt
from .registry import OpDef, Sample, Saved, ShapeError, register_op


class L2NormArgs(Strict):
    eps: Annotated[FloatArg, Field(gt=0)] = 1e-12
    """Lower bound of the norm divided by (F.normalize's default)."""


def _make_l2norm() -> type:
    import torch
    import torch.nn.functional as F
    from torch import nn

    class L2Norm(nn.Module):
        """x / max(||x||_2, eps) over dim 1 (the features of a vector, the channels of a map)."""

        def __init__(self, eps: float):
            super().__init__()
            self.eps = float(eps)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.normalize(x, 2.0, 1, self.eps)

        def extra_repr(self) -> str:
            return f"eps={self.eps}"

    return L2Norm


__getattr__ = lazy_classes(__name__, {"L2Norm": _make_l2norm})


@register_op
class L2NormOp(OpDef):
    name, category = "l2norm", "norm"
    items = {"l2norm": "L2 normalisation of a vector (or of each position's channels)"}
    args, defaults_key = L2NormArgs, "l2norm"
    samples = (Sample((6, 2, 2), ("global_avgpool", "l2norm")), Sample((5, 3, 4), ("l2norm",)),
               Sample((4, 2, 2), ("flatten", {"l2norm": {"eps": 1.0e-6}})))

    def attrs(self, key, args, shape):
        return {"eps": args.eps}

    def shape(self, attrs, inputs):
        if len(inputs[0]) not in (1, 3):
            raise ShapeError(f"l2norm needs a CxHxW map or a flat vector, got shape {fmt(inputs[0])}")
        return inputs[0]

    def saves(self, attrs, inputs, out):
        norm = Saved("own", math.prod(inputs[0][1:]))  # the norm per position, and the clamped norm
        return Saved(0), norm, norm

    def scratch(self, attrs, inputs, out):
        return (Saved("own", math.prod(inputs[0][1:])),)  # in eval the norm dies once clamped: one at a time

    def lower(self, attrs, inputs):
        return __getattr__("L2Norm")(attrs["eps"])

    def label(self, attrs):
        return "L2 Norm"
