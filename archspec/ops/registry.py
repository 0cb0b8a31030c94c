"""The closed set of primitive IR ops. Each op is defined once: its shape rule, its cost rule and
its lowering to PyTorch. Shapes exclude the batch: (C, H, W) for feature maps, (F,) for vectors.

Counting convention (the one torch.utils.flop_counter uses, divided by two): MACs are the
multiply-accumulates of convolutions and linear layers at batch 1; nothing else counts.
"""
from __future__ import annotations

from typing import Any, Callable

Shape = tuple[int, ...]
ACTIVATIONS = ("relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "mish", "sigmoid", "tanh",
               "hardswish", "hardsigmoid", "identity")


class ShapeError(ValueError):
    """An op cannot accept its input shapes; the message says why."""


def _fmt(shape: Shape) -> str:
    return "x".join(str(d) for d in shape)


def _feature_map(shape: Shape, op: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(f"{op} needs a CxHxW feature map, got shape {_fmt(shape)}")
    return shape  # type: ignore[return-value]


def conv_out_size(size: int, kernel: int, stride: int, pad: int, dilation: int = 1) -> int:
    """PyTorch's Conv2d output size (floor mode)."""
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def pool_out_size(size: int, kernel: int, stride: int, pad: int, dilation: int = 1,
                  ceil_mode: bool = False) -> int:
    """PyTorch's pooling output size, including its ceil-mode correction."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _spatial(shape: Shape, attrs: dict, op: str, size_fn: Callable[..., int]) -> tuple[int, int]:
    c, h, w = _feature_map(shape, op)
    extra = {"ceil_mode": attrs["ceil_mode"]} if "ceil_mode" in attrs else {}
    dil = attrs.get("dilation", (1, 1))
    sizes = [size_fn(n, k, s, p, d, **extra) for n, k, s, p, d in
             zip((h, w), attrs["kernel"], attrs["stride"], attrs["padding"], dil)]
    if min(sizes) < 1:
        raise ShapeError(f"{op} kernel {_fmt(attrs['kernel'])} stride {_fmt(attrs['stride'])} padding "
                         f"{_fmt(attrs['padding'])} on a {h}x{w} input leaves a {_fmt(sizes)} output: "
                         "the spatial size collapsed to zero")
    return sizes[0], sizes[1]


class Op:
    """Base class: zero parameters, zero MACs, shape passes through."""

    name = ""
    arity: int | None = 1  # None = any number >= 2

    def shape(self, attrs: dict, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def params(self, attrs: dict, inputs: list[Shape], out: Shape) -> int:
        return 0

    def macs(self, attrs: dict, inputs: list[Shape], out: Shape) -> int:
        return 0

    def lower(self, attrs: dict, inputs: list[Shape]) -> Any:
        raise NotImplementedError(self.name)


class Input(Op):
    name, arity = "input", 0

    def shape(self, attrs, inputs):
        return tuple(attrs["shape"])


class Conv2d(Op):
    name = "conv2d"

    def shape(self, attrs, inputs):
        c, _, _ = _feature_map(inputs[0], "conv")
        if c != attrs["in_ch"]:
            raise ShapeError(f"conv expects {attrs['in_ch']} input channels, got {c}")
        g = attrs["groups"]
        if c % g or attrs["out_ch"] % g:
            raise ShapeError(f"groups={g} must divide both input channels ({c}) and output channels "
                             f"({attrs['out_ch']})")
        return (attrs["out_ch"], *_spatial(inputs[0], attrs, "conv", conv_out_size))

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


class BatchNorm2d(Op):
    name = "batchnorm2d"

    def shape(self, attrs, inputs):
        c, _, _ = _feature_map(inputs[0], "batch norm")
        if c != attrs["channels"]:
            raise ShapeError(f"batch norm expects {attrs['channels']} channels, got {c}")
        return inputs[0]

    def params(self, attrs, inputs, out):
        return 2 * attrs["channels"] if attrs["affine"] else 0

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.BatchNorm2d(attrs["channels"], eps=attrs["eps"], momentum=attrs["momentum"],
                              affine=attrs["affine"])


class Activation(Op):
    name = "act"

    def lower(self, attrs, inputs):
        from torch import nn
        fn, inplace = attrs["fn"], attrs.get("inplace", False)
        if fn == "identity":
            return nn.Identity()
        if fn == "leaky_relu":
            return nn.LeakyReLU(attrs.get("negative_slope", 0.01), inplace=inplace)
        classes = {"relu": nn.ReLU, "relu6": nn.ReLU6, "elu": nn.ELU, "silu": nn.SiLU, "mish": nn.Mish,
                   "hardswish": nn.Hardswish, "hardsigmoid": nn.Hardsigmoid}
        if fn in classes:
            return classes[fn](inplace=inplace)
        return {"gelu": nn.GELU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[fn]()


class MaxPool2d(Op):
    name = "maxpool2d"

    def shape(self, attrs, inputs):
        _check_pool_padding(attrs)
        return (inputs[0][0], *_spatial(inputs[0], attrs, "max pool", pool_out_size))

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.MaxPool2d(tuple(attrs["kernel"]), tuple(attrs["stride"]), tuple(attrs["padding"]),
                            tuple(attrs["dilation"]), ceil_mode=attrs["ceil_mode"])


class AvgPool2d(Op):
    name = "avgpool2d"

    def shape(self, attrs, inputs):
        _check_pool_padding(attrs)
        return (inputs[0][0], *_spatial(inputs[0], attrs, "avg pool", pool_out_size))

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.AvgPool2d(tuple(attrs["kernel"]), tuple(attrs["stride"]), tuple(attrs["padding"]),
                            ceil_mode=attrs["ceil_mode"], count_include_pad=attrs["count_include_pad"])


def _check_pool_padding(attrs: dict) -> None:
    for k, p in zip(attrs["kernel"], attrs["padding"]):
        if p > k // 2:
            raise ShapeError(f"pool padding {_fmt(attrs['padding'])} must be at most half the kernel "
                             f"{_fmt(attrs['kernel'])} (a PyTorch rule)")


class GlobalPool(Op):
    name = "global_pool"

    def shape(self, attrs, inputs):
        c, _, _ = _feature_map(inputs[0], "global pool")
        return (c, 1, 1) if attrs["keepdim"] else (c,)

    def lower(self, attrs, inputs):
        from ..backends.torch_modules import GlobalPool as Module
        return Module(attrs["mode"], attrs["keepdim"])


class Dropout(Op):
    name = "dropout"

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.Dropout(attrs["p"])


class Linear(Op):
    name = "linear"

    def shape(self, attrs, inputs):
        if len(inputs[0]) != 1:
            raise ShapeError(f"linear needs a flat vector, got shape {_fmt(inputs[0])} "
                             "(add global_avgpool or flatten first)")
        if inputs[0][0] != attrs["in_features"]:
            raise ShapeError(f"linear expects {attrs['in_features']} features, got {inputs[0][0]}")
        return (attrs["out_features"],)

    def params(self, attrs, inputs, out):
        return attrs["in_features"] * attrs["out_features"] + (attrs["out_features"] if attrs["bias"] else 0)

    def macs(self, attrs, inputs, out):
        return attrs["in_features"] * attrs["out_features"]

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.Linear(attrs["in_features"], attrs["out_features"], attrs["bias"])


class Flatten(Op):
    name = "flatten"

    def shape(self, attrs, inputs):
        total = 1
        for d in inputs[0]:
            total *= d
        return (total,)

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.Flatten(1)


class Identity(Op):
    name = "identity"

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.Identity()


class Concat(Op):
    name, arity = "concat", None

    def shape(self, attrs, inputs):
        first = inputs[0]
        if any(len(s) != len(first) or s[1:] != first[1:] for s in inputs):
            shapes = ", ".join(_fmt(s) for s in inputs)
            raise ShapeError(f"concat needs equal spatial sizes in every branch, got {shapes}")
        return (sum(s[0] for s in inputs), *first[1:])

    def lower(self, attrs, inputs):
        from ..backends.torch_modules import Concat as Module
        return Module()


def _broadcast(inputs: list[Shape], op: str) -> Shape:
    """Equal ranks (the batch dimension is implicit, so ranks may not differ); sizes equal or 1."""
    rank = len(inputs[0])
    if any(len(s) != rank for s in inputs):
        raise ShapeError(f"{op} needs inputs of the same rank, got " + ", ".join(_fmt(s) for s in inputs)
                         + " (use global_avgpool: keepdim for a Cx1x1 gate)")
    out = []
    for dims in zip(*inputs):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ShapeError(f"{op} needs matching shapes, got " + ", ".join(_fmt(s) for s in inputs))
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


class Add(Op):
    name, arity = "add", None

    def shape(self, attrs, inputs):
        if any(s != inputs[0] for s in inputs):
            raise ShapeError("add needs identical shapes, got " + ", ".join(_fmt(s) for s in inputs))
        return inputs[0]

    def lower(self, attrs, inputs):
        from ..backends.torch_modules import Add as Module
        return Module()


class Mul(Op):
    name, arity = "mul", None

    def shape(self, attrs, inputs):
        return _broadcast(inputs, "mul")

    def lower(self, attrs, inputs):
        from ..backends.torch_modules import Mul as Module
        return Module()


class Scale(Op):
    name = "scale"

    def lower(self, attrs, inputs):
        from ..backends.torch_modules import Scale as Module
        return Module(attrs["factor"])


OPS: dict[str, Op] = {op.name: op for op in (
    Input(), Conv2d(), BatchNorm2d(), Activation(), MaxPool2d(), AvgPool2d(), GlobalPool(), Dropout(),
    Linear(), Flatten(), Identity(), Concat(), Add(), Mul(), Scale())}
