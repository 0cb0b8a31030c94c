"""avgpool2d: the `avgpool` item (nn.AvgPool2d)."""
from __future__ import annotations

from ..language.values import BoolArg
from ._shapes import check_pool_padding, pool_out_size, resolve_padding, spatial, stride_valid_text
from .maxpool2d import PoolArgs
from .registry import OpDef, Sample, register_op


class AvgPoolArgs(PoolArgs):
    count_include_pad: BoolArg = True
    """Whether zero padding counts in the average (Inception-v4 excludes it, Inception-v3 includes it)."""


@register_op
class AvgPool2d(OpDef):
    name, category = "avgpool2d", "pool"
    items = {"avgpool": "average pooling"}
    args, main, shorthand, defaults_key = AvgPoolArgs, "kernel", True, "avgpool"
    tuple_attrs = ("kernel", "stride", "padding")
    inplace_safe_output = True
    samples = (Sample((3, 9, 9), ({"avgpool": "3x3 /1 same exclude_pad"},)),
               Sample((2, 8, 7), ({"avgpool": "2x2 ceil"},)), Sample((2, 5, 5), ({"avgpool": 5},)))

    def attrs(self, key, args, shape):
        # Key order is that of the IR text in the golden files.
        return {"kernel": args.kernel, "stride": args.stride or args.kernel, "ceil_mode": args.ceil_mode,
                "padding": resolve_padding(args.padding, args.kernel), "count_include_pad": args.count_include_pad}

    def shape(self, attrs, inputs):
        check_pool_padding(attrs)
        return (inputs[0][0], *spatial(inputs[0], attrs, "avg pool", pool_out_size))

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.AvgPool2d(tuple(attrs["kernel"]), tuple(attrs["stride"]), tuple(attrs["padding"]),
                            ceil_mode=attrs["ceil_mode"], count_include_pad=attrs["count_include_pad"])

    def label(self, attrs):
        return f"{'x'.join(str(k) for k in attrs['kernel'])} AvgPool{stride_valid_text(attrs)}"
