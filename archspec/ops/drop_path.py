"""drop_path: the `drop_path` item, stochastic depth (Huang et al. 2016) as timm's DropPath computes it:
in training each sample of the batch is zeroed with probability p and the survivors are scaled by
1 / (1 - p); in eval it is the identity. Placed on a residual branch, before the addition."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..language.values import FloatArg
from ._fields import Strict
from ._lazy import lazy_classes
from .registry import OpDef, Sample, Saved, register_op


class DropPathArgs(Strict):
    p: Annotated[FloatArg, Field(ge=0, lt=1)]
    """Probability of dropping a sample's whole branch in training; an expression may schedule it
    over the block index (`drop_path: "0.1 * i / 10"`)."""


def _make_drop_path() -> type:
    import torch
    from torch import nn

    class DropPath(nn.Module):
        """Per-sample stochastic depth; identity in eval mode or at p = 0."""

        def __init__(self, p: float):
            super().__init__()
            self.p = float(p)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if self.p == 0.0 or not self.training:
                return x
            keep = 1.0 - self.p
            mask = x.new_empty([x.shape[0]] + [1] * (x.dim() - 1)).bernoulli_(keep)
            return x * mask.div_(keep)

        def extra_repr(self) -> str:
            return f"p={self.p}"

    return DropPath


__getattr__ = lazy_classes(__name__, {"DropPath": _make_drop_path})


@register_op
class DropPathOp(OpDef):
    name, category = "drop_path", "other"
    items = {"drop_path": "stochastic depth: drops whole samples in training, scales by 1/(1-p)"}
    args, main, defaults_key = DropPathArgs, "p", "drop_path"
    schedule_attrs = ("p",)  # blocks that differ only in their rate are one block type
    samples = (Sample((4, 3, 3), ({"drop_path": 0.1},)),
               Sample((4, 3, 3), ({"for": {"each": "w", "in": [4, 4, 4], "do": [{"drop_path": "0.2 * i / 2"}]}},)),
               Sample((4, 2, 2), ("global_avgpool", {"drop_path": {"p": 0}})))

    def attrs(self, key, args, shape):
        return {"p": args.p}

    def saves(self, attrs, inputs, out):
        return (Saved("own", 1),) if attrs["p"] > 0 else ()  # one scaled keep flag per sample

    def aliases_input(self, attrs, inputs, training=True):
        return attrs["p"] == 0 or not training  # returns its input in eval, and at p = 0

    def lower(self, attrs, inputs):
        return __getattr__("DropPath")(attrs["p"])

    def label(self, attrs):
        return f"DropPath {attrs['p']:g}"
