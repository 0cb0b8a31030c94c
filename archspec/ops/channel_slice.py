"""channel_slice: a range of channels, from the `select` item or a part of the `split` composite."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..language.values import IntArg
from ._fields import Strict
from ._shapes import fmt
from .registry import OpDef, Sample, ShapeError, register_op


class SelectArgs(Strict):
    stop: Annotated[IntArg, Field(ge=1)]
    """One past the last channel kept (`select: 64` keeps channels 0..63)."""
    start: Annotated[IntArg, Field(ge=0)] = 0
    """The first channel kept."""


@register_op
class ChannelSlice(OpDef):
    name, category = "channel_slice", "other"
    items = {"select": "keep channels start..stop-1 of a map or vector"}
    args, main = SelectArgs, "stop"
    samples = (Sample((6, 3, 3), ({"select": 4},)), Sample((6, 3, 3), ({"select": {"start": 2, "stop": 5}},)),
               Sample((5, 2, 2), ("global_avgpool", {"select": {"start": 1, "stop": 5}})),
               Sample((6, 2, 2), ({"split": [2, 4], "id": "s"}, {"concat": None, "from": ["s.1", "s.0"]})))

    def attrs(self, key, args, shape):
        return {"start": args.start, "stop": args.stop}

    def shape(self, attrs, inputs):
        (shape,) = inputs
        start, stop = attrs["start"], attrs["stop"]
        if len(shape) not in (1, 3):
            raise ShapeError(f"channels can be selected from a CxHxW map or a flat vector, got shape {fmt(shape)}")
        if not 0 <= start < stop <= shape[0]:
            raise ShapeError(f"cannot select channels {start}..{stop - 1} of {shape[0]}")
        return (stop - start, *shape[1:])

    def saves(self, attrs, inputs, out):
        return ()  # a view of the input's channels

    def aliases_input(self, attrs, inputs, training=True):
        return True

    def lower(self, attrs, inputs):
        from ._torch_modules import ChannelSlice as Module
        return Module(attrs["start"], attrs["stop"])

    def label(self, attrs):
        return f"Channels {attrs['start']}:{attrs['stop']}"
