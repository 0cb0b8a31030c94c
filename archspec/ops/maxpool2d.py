"""maxpool2d: the `maxpool` item (nn.MaxPool2d)."""
from __future__ import annotations

import math

from pydantic import ValidationInfo, field_validator

from ..language.values import BoolArg
from ._fields import Pair, Padding, Strict, same_needs_odd_kernel
from ._shapes import check_pool_padding, pool_out_size, resolve_padding, spatial, stride_valid_text
from .registry import OpDef, Sample, Saved, register_op


class PoolArgs(Strict):
    kernel: Pair
    stride: Pair | None = None
    """Defaults to the kernel size (PyTorch's rule)."""
    padding: Padding = "valid"
    ceil_mode: BoolArg = False

    @field_validator("padding")
    @classmethod
    def _same_needs_odd(cls, value, info: ValidationInfo):
        return same_needs_odd_kernel(value, info)


class MaxPoolArgs(PoolArgs):
    dilation: Pair = (1, 1)


@register_op
class MaxPool2d(OpDef):
    name, category = "maxpool2d", "pool"
    items = {"maxpool": "max pooling"}
    args, main, shorthand, defaults_key = MaxPoolArgs, "kernel", True, "maxpool"
    tuple_attrs = ("kernel", "stride", "padding", "dilation")
    inplace_safe_output = True
    samples = (Sample((3, 9, 9), ({"maxpool": "3x3 /2"},)), Sample((2, 8, 7), ({"maxpool": "3x3 /2 same ceil"},)),
               Sample((2, 9, 9), ({"maxpool": {"kernel": 3, "dilation": 2, "padding": 1}},)))

    def attrs(self, key, args, shape):
        return {"kernel": args.kernel, "stride": args.stride or args.kernel, "ceil_mode": args.ceil_mode,
                "padding": resolve_padding(args.padding, args.kernel, args.dilation), "dilation": args.dilation}

    def shape(self, attrs, inputs):
        check_pool_padding(attrs)
        return (inputs[0][0], *spatial(inputs[0], attrs, "max pool", pool_out_size))

    def saves(self, attrs, inputs, out):
        return Saved(0), Saved("own", math.prod(out), itemsize=8)  # the input, the argmax indices (int64)

    def scratch(self, attrs, inputs, out):
        return tuple(s for s in self.saves(attrs, inputs, out) if s.of == "own")  # made in eval too

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.MaxPool2d(tuple(attrs["kernel"]), tuple(attrs["stride"]), tuple(attrs["padding"]),
                            tuple(attrs["dilation"]), ceil_mode=attrs["ceil_mode"])

    def label(self, attrs):
        return f"{'x'.join(str(k) for k in attrs['kernel'])} MaxPool{stride_valid_text(attrs)}"
