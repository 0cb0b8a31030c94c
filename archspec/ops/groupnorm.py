"""groupnorm: the `groupnorm` item (nn.GroupNorm): channels split into groups, each normalised over its
channels and positions."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..language.values import BoolArg, FloatArg
from ._fields import PositiveInt, Strict
from ._shapes import fmt
from .registry import OpDef, Sample, Saved, ShapeError, register_op


class GroupNormArgs(Strict):
    groups: PositiveInt
    """Number of groups; it must divide the channels."""
    eps: Annotated[FloatArg, Field(gt=0)] = 1e-5
    affine: BoolArg = True
    """Learnable per-channel scale and shift."""


@register_op
class GroupNorm(OpDef):
    name, category = "groupnorm", "norm"
    items = {"groupnorm": "group norm"}
    args, main, defaults_key = GroupNormArgs, "groups", "groupnorm"
    width_attrs = ("channels",)
    samples = (Sample((8, 5, 5), ({"groupnorm": 4},)),
               Sample((6, 3, 3), ({"groupnorm": {"groups": 6, "affine": False}},)),
               Sample((6, 1, 1), ("global_avgpool", {"groupnorm": 3})))

    def attrs(self, key, args, shape):
        return {"groups": args.groups, "channels": shape[0], "eps": args.eps, "affine": args.affine}

    def shape(self, attrs, inputs):
        if len(inputs[0]) not in (1, 3):
            raise ShapeError(f"groupnorm needs a CxHxW map or a flat vector, got shape {fmt(inputs[0])}")
        c = inputs[0][0]
        if c != attrs["channels"]:
            raise ShapeError(f"groupnorm expects {attrs['channels']} channels, got {c}")
        if c % attrs["groups"]:
            raise ShapeError(f"groups={attrs['groups']} must divide the channels ({c})")
        return inputs[0]

    def params(self, attrs, inputs, out):
        return 2 * attrs["channels"] if attrs["affine"] else 0

    def saves(self, attrs, inputs, out):
        stats = Saved("own", attrs["groups"])  # mean and inverse std per sample and group
        return Saved(0), stats, stats

    def scratch(self, attrs, inputs, out):
        return tuple(s for s in self.saves(attrs, inputs, out) if s.of == "own")  # made in eval too

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.GroupNorm(attrs["groups"], attrs["channels"], eps=attrs["eps"], affine=attrs["affine"])

    def label(self, attrs):
        return f"GroupNorm, {attrs['groups']} groups"
