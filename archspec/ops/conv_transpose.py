"""conv_transpose2d: the `conv_transpose` item (nn.ConvTranspose2d), a transposed ("up-") convolution.
A plain op: no batch norm or activation follows unless the spec writes them. Output size, per dimension:
(H - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1."""
from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationInfo, field_validator

from ..language.values import BoolArg
from ._fields import Pair, PairInput, PositiveInt, Strict, pair
from ._shapes import check_conv_channels, feature_map, fmt, pair_text
from .registry import OpDef, Sample, ShapeError, register_op


def _offsets(value: Any, info: ValidationInfo) -> Any:
    if value in ("same", "valid"):
        raise ValueError(f"a transposed conv's padding is a number or [height, width], not '{value}'")
    return pair(value, info)


def _non_negative(value: tuple[int, int]) -> tuple[int, int]:
    if min(value) < 0:
        raise ValueError(f"cannot be negative, got {fmt(value)}")
    return value


Offsets = Annotated[tuple[int, int], BeforeValidator(_offsets, json_schema_input_type=PairInput), AfterValidator(_non_negative)]


class ConvTransposeArgs(Strict):
    out: PositiveInt
    """Output channels."""
    kernel: Pair
    """Kernel size: 2, [2, 3] or '2x3'."""
    stride: Pair = (1, 1)
    """Upsampling factor (before padding and kernel overhang)."""
    padding: Offsets = (0, 0)
    """dilation * (kernel - 1) - padding zeros are added to each side of the input (PyTorch's meaning)."""
    dilation: Pair = (1, 1)
    output_padding: Offsets = (0, 0)
    """Extra rows and columns on one side of the output; smaller than the stride or the dilation."""
    groups: PositiveInt = 1
    bias: BoolArg = True
    """On by default, as in nn.ConvTranspose2d."""

    @field_validator("output_padding")
    @classmethod
    def _below_stride(cls, value, info: ValidationInfo):
        stride, dilation = info.data.get("stride"), info.data.get("dilation")
        if stride and dilation and any(p >= max(s, d) for p, s, d in zip(value, stride, dilation)):
            raise ValueError(f"output_padding {fmt(value)} must be smaller than the stride {fmt(stride)} "
                             f"or the dilation {fmt(dilation)} (a PyTorch rule)")
        return value


def out_size(size: int, kernel: int, stride: int, pad: int, dilation: int, output_padding: int) -> int:
    """PyTorch's ConvTranspose2d output size."""
    return (size - 1) * stride - 2 * pad + dilation * (kernel - 1) + output_padding + 1


@register_op
class ConvTranspose2d(OpDef):
    name, category = "conv_transpose2d", "conv"
    items = {"conv_transpose": "transposed convolution (no batch norm or activation)"}
    args, main, shorthand, defaults_key = ConvTransposeArgs, "out", True, "conv_transpose"
    tuple_attrs = ("kernel", "stride", "padding", "dilation", "output_padding")
    width_attrs = ("in_ch", "out_ch")
    inplace_safe_output = True
    samples = (Sample((8, 4, 4), ({"conv_transpose": "2x2 6 /2"},)),
               Sample((4, 5, 3), ({"conv_transpose": {"out": 6, "kernel": [3, 2], "stride": [2, 3], "padding": 1,
                                                      "output_padding": [1, 2], "groups": 2, "bias": False}},)),
               Sample((3, 4, 4), ({"conv_transpose": {"out": 5, "kernel": 3, "dilation": 2, "padding": [1, 2]}},)),
               Sample((6, 3, 2), ({"conv_transpose": "4x4 4 /4 p1 bias=false"},)))

    def attrs(self, key, args, shape):
        return {"in_ch": shape[0], "out_ch": args.out, "kernel": args.kernel, "stride": args.stride,
                "padding": args.padding, "output_padding": args.output_padding, "dilation": args.dilation,
                "groups": args.groups, "bias": args.bias}

    def shape(self, attrs, inputs):
        c, h, w = feature_map(inputs[0], "conv_transpose")
        check_conv_channels("conv_transpose", attrs, c)
        sizes = [out_size(*dims) for dims in zip((h, w), attrs["kernel"], attrs["stride"], attrs["padding"],
                                                 attrs["dilation"], attrs["output_padding"])]
        if min(sizes) < 1:
            raise ShapeError(f"conv_transpose padding {fmt(attrs['padding'])} on a {h}x{w} input leaves a "
                             f"{fmt(sizes)} output: the spatial size collapsed to zero")
        return (attrs["out_ch"], *sizes)

    def params(self, attrs, inputs, out):
        kh, kw = attrs["kernel"]
        weights = attrs["in_ch"] * (attrs["out_ch"] // attrs["groups"]) * kh * kw
        return weights + (attrs["out_ch"] if attrs["bias"] else 0)

    def macs(self, attrs, inputs, out):
        # Every input position meets every kernel tap once (FlopCounterMode counts the input positions).
        _, h, w = inputs[0]
        kh, kw = attrs["kernel"]
        return h * w * attrs["in_ch"] * (attrs["out_ch"] // attrs["groups"]) * kh * kw

    def stride(self, attrs, inputs, out):
        return Fraction(1, attrs["stride"][0])  # it upsamples by its stride

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.ConvTranspose2d(attrs["in_ch"], attrs["out_ch"], tuple(attrs["kernel"]), tuple(attrs["stride"]),
                                  tuple(attrs["padding"]), tuple(attrs["output_padding"]), attrs["groups"],
                                  attrs["bias"], tuple(attrs["dilation"]))

    def label(self, attrs):
        text = f"{'x'.join(str(k) for k in attrs['kernel'])} transposed conv, {attrs['out_ch']}"
        if any(s > 1 for s in attrs["stride"]):
            text += f", x{pair_text(attrs['stride'])}"
        if any(d > 1 for d in attrs["dilation"]):
            text += f", dilation {pair_text(attrs['dilation'])}"
        if attrs["groups"] > 1:
            text += f", groups {attrs['groups']}"
        return text
