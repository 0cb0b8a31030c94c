"""conv2d: a 2-D convolution. The `conv` item is the conv unit (conv2d -> batchnorm2d -> act), which the
expander builds from ConvArgs; this module owns the arguments and the conv2d node."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BeforeValidator, ValidationInfo, field_validator

from ..language.values import BoolArg
from ._fields import Pair, Padding, PositiveInt, Strict, same_needs_odd_kernel
from ._shapes import check_conv_channels, conv_out_size, feature_map, pair_text, resolve_padding, spatial, stride_valid_text
from .act import ActName
from .batchnorm2d import BatchNormArgs
from .registry import OpDef, Sample, register_op


def _bn_flag(value: Any) -> Any:
    if value is True:
        return {}
    return None if value is False or value == "none" else value


class ConvArgs(Strict):
    out: PositiveInt
    """Output channels."""
    kernel: Pair
    """Kernel size: 3, [1, 7] or '1x7'."""
    stride: Pair = (1, 1)
    padding: Padding = "valid"
    """'valid' (no padding, PyTorch's default), 'same' ((k-1)/2 per side, odd kernels), or explicit."""
    dilation: Pair = (1, 1)
    groups: PositiveInt = 1
    bias: BoolArg = False
    """Conv bias. Off by default because a batch norm follows."""
    bn: Annotated[Optional[BatchNormArgs], BeforeValidator(
        _bn_flag, json_schema_input_type=Union[bool, Literal["none"], None, BatchNormArgs])] = BatchNormArgs()
    """Batch norm after the conv: true, false, or its arguments (merged over defaults.bn)."""
    act: ActName = "relu"
    """Activation after the batch norm, or 'none'."""

    @field_validator("padding")
    @classmethod
    def _same_needs_odd(cls, value, info: ValidationInfo):
        return same_needs_odd_kernel(value, info)


def conv_text(attrs: dict, linear: bool = False) -> str:
    """'3x3 conv, 384, /2 V' (V: no padding on a kernel > 1; stride shown when > 1)."""
    text = f"{'x'.join(str(k) for k in attrs['kernel'])} conv, {attrs['out_ch']}"
    tail = stride_valid_text(attrs)
    if tail:
        text += "," + tail
    if any(d > 1 for d in attrs.get("dilation", (1, 1))):
        text += f", dilation {pair_text(attrs['dilation'])}"
    if attrs.get("groups", 1) > 1:
        text += f", groups {attrs['groups']}"
    return text + (" Linear" if linear else "")


@register_op
class Conv2d(OpDef):
    name, category = "conv2d", "conv"
    items = {"conv": "conv unit: conv -> batch norm -> activation"}
    args, main, shorthand, defaults_key = ConvArgs, "out", True, "conv"
    tuple_attrs = ("kernel", "stride", "padding", "dilation")
    width_attrs = ("in_ch", "out_ch")
    inplace_safe_output = True
    samples = (Sample((3, 9, 9), ({"conv": "3x3 8 /2 valid plain bias"},)),
               Sample((4, 7, 6), ({"conv": "1x3 8 same groups=2 dilation=2"},)),
               Sample((3, 5, 5), ({"conv": "1x1 6"},)))

    def attrs(self, key, args, shape):
        return {"in_ch": shape[0], "out_ch": args.out, "kernel": args.kernel, "stride": args.stride,
                "padding": resolve_padding(args.padding, args.kernel, args.dilation), "dilation": args.dilation,
                "groups": args.groups, "bias": args.bias}

    def shape(self, attrs, inputs):
        c, _, _ = feature_map(inputs[0], "conv")
        check_conv_channels("conv", attrs, c)
        return (attrs["out_ch"], *spatial(inputs[0], attrs, "conv", conv_out_size))

    def params(self, attrs, inputs, out):
        kh, kw = attrs["kernel"]
        weights = attrs["out_ch"] * (attrs["in_ch"] // attrs["groups"]) * kh * kw
        return weights + (attrs["out_ch"] if attrs["bias"] else 0)

    def macs(self, attrs, inputs, out):
        kh, kw = attrs["kernel"]
        return out[0] * out[1] * out[2] * (attrs["in_ch"] // attrs["groups"]) * kh * kw

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.Conv2d(attrs["in_ch"], attrs["out_ch"], tuple(attrs["kernel"]), tuple(attrs["stride"]),
                         tuple(attrs["padding"]), tuple(attrs["dilation"]), attrs["groups"], attrs["bias"])

    def label(self, attrs):
        return conv_text(attrs)
