"""batchnorm2d: the `bn` item on a CxHxW feature map (nn.BatchNorm2d; batchnorm1d takes flat vectors); also
the conv unit's norm."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..language.values import BoolArg, FloatArg
from ._fields import Strict
from ._shapes import feature_map
from .registry import OpDef, Sample, Saved, ShapeError, register_op


class BatchNormArgs(Strict):
    eps: Annotated[FloatArg, Field(gt=0)] = 1e-5
    """Added to the variance for numerical stability (Inception uses 0.001)."""
    momentum: Annotated[FloatArg, Field(ge=0, le=1)] = 0.1
    """PyTorch convention: weight of the new batch statistic in the running average."""
    affine: BoolArg = True
    """Learnable scale and shift (gamma, beta)."""


BN_DOC = "batch norm (BatchNorm2d on a CxHxW map, BatchNorm1d on a flat vector)"


def bn_attrs(args: BatchNormArgs, channels: int) -> dict:
    """The attrs of a batch norm node over `channels` (shared with the conv unit and batchnorm1d)."""
    return {"channels": channels, "eps": args.eps, "momentum": args.momentum, "affine": args.affine}


@register_op
class BatchNorm2d(OpDef):
    name, category = "batchnorm2d", "norm"
    items = {"bn": BN_DOC}
    args, defaults_key, input_ranks = BatchNormArgs, "bn", (3,)
    width_attrs = ("channels",)
    inplace_safe_output = True
    samples = (Sample((8, 5, 5), ("bn",)), Sample((4, 3, 2), ({"bn": {"eps": 0.001, "affine": False}},)))

    def attrs(self, key, args, shape):
        return bn_attrs(args, shape[0])

    def shape(self, attrs, inputs):
        c, _, _ = feature_map(inputs[0], "batch norm")
        if c != attrs["channels"]:
            raise ShapeError(f"batch norm expects {attrs['channels']} channels, got {c}")
        return inputs[0]

    def params(self, attrs, inputs, out):
        return 2 * attrs["channels"] if attrs["affine"] else 0

    def buffers(self, attrs):
        return 2 * attrs["channels"] + 1  # running mean and variance, num_batches_tracked

    def saves(self, attrs, inputs, out):
        stats = Saved("own", attrs["channels"], per_sample=False)  # the batch's mean and inverse std
        return Saved(0), stats, stats

    def buffer_bytes(self, attrs, itemsize):
        return 2 * attrs["channels"] * itemsize + 8  # num_batches_tracked stays int64 under .to(dtype)

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.BatchNorm2d(attrs["channels"], eps=attrs["eps"], momentum=attrs["momentum"],
                              affine=attrs["affine"])

    def label(self, attrs):
        return "BN"
