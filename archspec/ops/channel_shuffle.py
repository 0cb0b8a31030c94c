"""channel_shuffle: the `channel_shuffle` item, ShuffleNet's channel shuffle (Zhang et al. 2018): the C
channels, seen as `groups` groups of C/groups, are interleaved (channel g*(C/groups)+j moves to
j*groups+g), so the next grouped conv mixes information across groups."""
from __future__ import annotations

from ._fields import PositiveInt, Strict
from ._lazy import lazy_classes
from ._shapes import feature_map
from .registry import OpDef, Sample, ShapeError, register_op


class ChannelShuffleArgs(Strict):
    groups: PositiveInt
    """Number of groups; it must divide the channels."""


def _make_channel_shuffle() -> type:
    import torch
    from torch import nn

    class ChannelShuffle(nn.Module):
        """N x (G*K) x H x W -> view N x G x K x H x W -> swap G and K -> N x (K*G) x H x W."""

        def __init__(self, groups: int):
            super().__init__()
            self.groups = int(groups)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            n, c, h, w = x.size()
            x = x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2)
            return x.reshape(n, c, h, w)

        def extra_repr(self) -> str:
            return f"groups={self.groups}"

    return ChannelShuffle


__getattr__ = lazy_classes(__name__, {"ChannelShuffle": _make_channel_shuffle})


@register_op
class ChannelShuffleOp(OpDef):
    name, category = "channel_shuffle", "other"
    items = {"channel_shuffle": "ShuffleNet's channel shuffle across groups"}
    args, main = ChannelShuffleArgs, "groups"
    samples = (Sample((6, 3, 3), ({"channel_shuffle": 2},)), Sample((12, 2, 3), ({"channel_shuffle": 3},)),
               Sample((4, 2, 2), ({"channel_shuffle": {"groups": 1}},)))

    def attrs(self, key, args, shape):
        return {"groups": args.groups}

    def shape(self, attrs, inputs):
        c, _, _ = feature_map(inputs[0], "channel_shuffle")
        if c % attrs["groups"]:
            raise ShapeError(f"channel_shuffle groups={attrs['groups']} must divide the channels ({c})")
        return inputs[0]

    def saves(self, attrs, inputs, out):
        return ()  # a permutation of channels

    def aliases_input(self, attrs, inputs, training=True):
        return attrs["groups"] in (1, inputs[0][0])  # a shuffle of one group (or one channel each) is a view

    def lower(self, attrs, inputs):
        return __getattr__("ChannelShuffle")(attrs["groups"])

    def label(self, attrs):
        return f"Channel Shuffle, {attrs['groups']} groups"
