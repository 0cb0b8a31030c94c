"""Helpers several ops share: PyTorch's output-size arithmetic, padding, shape checks, label parts."""
from __future__ import annotations

from typing import Any, Callable

from .registry import FeatureMapError, Shape, ShapeError


def fmt(shape) -> str:
    """(3, 4) -> '3x4'."""
    return "x".join(str(d) for d in shape)


def feature_map(shape: Shape, op: str) -> tuple[int, int, int]:
    """The (C, H, W) of a feature map, or a FeatureMapError naming the op."""
    if len(shape) != 3:
        raise FeatureMapError(f"{op} needs a CxHxW feature map, got shape {fmt(shape)}", op)
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


def spatial(shape: Shape, attrs: dict, op: str, size_fn: Callable[..., int]) -> tuple[int, int]:
    """Output (H, W) of a windowed op (kernel, stride, padding, optional dilation and ceil_mode)."""
    c, h, w = feature_map(shape, op)
    extra = {"ceil_mode": attrs["ceil_mode"]} if "ceil_mode" in attrs else {}
    dil = attrs.get("dilation", (1, 1))
    sizes = [size_fn(n, k, s, p, d, **extra) for n, k, s, p, d in
             zip((h, w), attrs["kernel"], attrs["stride"], attrs["padding"], dil)]
    if min(sizes) < 1:
        raise ShapeError(f"{op} kernel {fmt(attrs['kernel'])} stride {fmt(attrs['stride'])} padding "
                         f"{fmt(attrs['padding'])} on a {h}x{w} input leaves a {fmt(sizes)} output: "
                         "the spatial size collapsed to zero")
    return sizes[0], sizes[1]


def resolve_padding(padding: Any, kernel: tuple[int, int], dilation: tuple[int, int] = (1, 1)) -> tuple[int, int]:
    """'valid' | 'same' | (ph, pw) -> (ph, pw)."""
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))  # type: ignore[return-value]
    return tuple(padding)  # type: ignore[return-value]


def check_pool_padding(attrs: dict) -> None:
    """PyTorch refuses pool padding over half the kernel; say so before torch does."""
    for k, p in zip(attrs["kernel"], attrs["padding"]):
        if p > k // 2:
            raise ShapeError(f"pool padding {fmt(attrs['padding'])} must be at most half the kernel "
                             f"{fmt(attrs['kernel'])} (a PyTorch rule)")


def pair_text(values) -> str:
    """(2, 2) -> '2', (1, 2) -> '1x2'."""
    values = tuple(values)
    return str(values[0]) if len(set(values)) == 1 else "x".join(str(v) for v in values)


def stride_valid_text(attrs: dict) -> str:
    """' /2 V': the stride when > 1, and V (the papers' mark) for no padding on a kernel > 1."""
    text = f" /{pair_text(attrs['stride'])}" if any(s > 1 for s in attrs["stride"]) else ""
    valid = all(p == 0 for p in attrs["padding"]) and any(k > 1 for k in attrs["kernel"])
    return text + (" V" if valid else "")


def check_conv_channels(op: str, attrs: dict, channels: int) -> None:
    """A convolution's input channels are the ones it was built for, and its groups divide both sides."""
    if channels != attrs["in_ch"]:
        raise ShapeError(f"{op} expects {attrs['in_ch']} input channels, got {channels}")
    g = attrs["groups"]
    if channels % g or attrs["out_ch"] % g:
        raise ShapeError(f"groups={g} must divide both input channels ({channels}) and output channels "
                         f"({attrs['out_ch']})")
