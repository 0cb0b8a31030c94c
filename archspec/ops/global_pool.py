"""global_pool: the `global_avgpool` and `global_maxpool` items (mean or max over H and W)."""
from __future__ import annotations

from ..language.values import BoolArg
from ._fields import Strict
from ._shapes import feature_map
from .registry import OpDef, Sample, Saved, register_op


class GlobalPoolArgs(Strict):
    keepdim: BoolArg = False
    """Keep a Cx1x1 map (for gating branches) instead of a flat C vector."""


@register_op
class GlobalPool(OpDef):
    name, category = "global_pool", "pool"
    items = {"global_avgpool": "average over H and W", "global_maxpool": "maximum over H and W"}
    args = GlobalPoolArgs
    samples = (Sample((6, 5, 4), ("global_avgpool",)), Sample((6, 5, 4), ({"global_maxpool": "keepdim"},)))

    def attrs(self, key, args, shape):
        return {"mode": key[len("global_"):-len("pool")], "keepdim": args.keepdim}

    def shape(self, attrs, inputs):
        c, _, _ = feature_map(inputs[0], "global pool")
        return (c, 1, 1) if attrs["keepdim"] else (c,)

    def saves(self, attrs, inputs, out):
        # a mean needs only the sizes; amax's backward compares its input with its output
        return (Saved(0), Saved("output")) if attrs["mode"] == "max" else ()

    def lower(self, attrs, inputs):
        from ._torch_modules import GlobalPool as Module
        return Module(attrs["mode"], attrs["keepdim"])

    def label(self, attrs):
        return f"Global {'Max' if attrs.get('mode') == 'max' else 'Avg'}Pool"
