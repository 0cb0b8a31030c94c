"""upsample: the `upsample` item (nn.Upsample): nearest or bilinear resampling of a CxHxW map, by a scale
factor or to a size. Output sizes are PyTorch's: floor(H * scale), floor(W * scale), or the size."""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Annotated, Any, Optional, Union

from pydantic import AfterValidator, BeforeValidator, ValidationInfo, model_validator

from ..language.values import BoolArg, StrArg, evaluate_value, words_schema
from ._fields import Pair, Strict
from ._shapes import feature_map, fmt
from .registry import OpDef, Sample, ShapeError, register_op

MODES = ("nearest", "bilinear")
ScaleInput = Union[float, str, tuple[Union[float, str], Union[float, str]]]  # 2, [2, 1.5], expressions


def _scale(value: Any, info: ValidationInfo) -> Any:
    """A number or [sh, sw] (literals or expressions) -> (sh, sw) as floats."""
    if value is None:
        return None
    values = value if isinstance(value, (list, tuple)) else [value, value]
    if len(values) != 2:
        raise ValueError(f"expected one number or two [height, width], got {len(values)} values")
    return tuple(float(evaluate_value(v, info.context or {}, float)) for v in values)


def _pair_text(values) -> str:
    """(2.0, 2.0) -> '2', (1.5, 2.0) -> '1.5x2'."""
    return f"{values[0]:g}" if values[0] == values[1] else f"{values[0]:g}x{values[1]:g}"


def _positive(value: tuple[float, float] | None) -> tuple[float, float] | None:
    if value is not None and min(value) <= 0:
        raise ValueError(f"scale must be positive, got {_pair_text(value)}")
    return value


def _mode(value: str) -> str:
    if value not in MODES:
        raise ValueError(f"unknown upsample mode '{value}'; choose one of {', '.join(MODES)}")
    return value


class UpsampleArgs(Strict):
    scale: Annotated[Optional[tuple[float, float]], BeforeValidator(_scale, json_schema_input_type=Optional[ScaleInput]),
                     AfterValidator(_positive)] = None
    """Scale factor: 2, or [height, width] factors; the output is floor(size * scale)."""
    size: Optional[Pair] = None
    """Output size instead of a scale: 28 or [28, 28]."""
    mode: Annotated[StrArg, AfterValidator(_mode), words_schema(MODES)] = "nearest"
    """nearest or bilinear."""
    align_corners: Optional[BoolArg] = None
    """Bilinear only: align the corner pixels of input and output (PyTorch's default false)."""

    @model_validator(mode="after")
    def _one_size(self):
        if (self.scale is None) == (self.size is None):
            raise ValueError("upsample takes exactly one of scale and size"
                             + (", got both" if self.scale is not None else ", got neither"))
        if self.align_corners is not None and self.mode != "bilinear":
            raise ValueError(f"align_corners applies to bilinear mode only, not {self.mode}")
        return self


@register_op
class Upsample(OpDef):
    name, category = "upsample", "other"
    items = {"upsample": "nearest or bilinear upsampling by a scale or to a size"}
    args, main, defaults_key = UpsampleArgs, "scale", "upsample"
    tuple_attrs = ("scale", "size")
    inplace_safe_output = True  # a new tensor; backward does not read it
    samples = (Sample((3, 5, 4), ({"upsample": 2},)),
               Sample((2, 5, 7), ({"upsample": {"scale": [1.5, 2.5], "mode": "bilinear"}},)),
               Sample((4, 7, 7), ({"upsample": {"size": [28, 28], "mode": "bilinear", "align_corners": False}},)),
               Sample((2, 3, 3), ({"upsample": {"size": [5, 8], "mode": "nearest"}},)),
               Sample((3, 4, 4), ({"upsample": {"scale": 2, "mode": "bilinear", "align_corners": True}},)))

    def attrs(self, key, args, shape):
        align = (args.align_corners or False) if args.mode == "bilinear" else None
        return {"scale": args.scale, "size": args.size, "mode": args.mode, "align_corners": align}

    def shape(self, attrs, inputs):
        c, h, w = feature_map(inputs[0], "upsample")
        if attrs["size"] is not None:
            return (c, *attrs["size"])
        out = tuple(math.floor(n * s) for n, s in zip((h, w), attrs["scale"]))
        if min(out) < 1:
            raise ShapeError(f"upsample by {_pair_text(attrs['scale'])} of a {h}x{w} input leaves a {fmt(out)} "
                             "output: the spatial size collapsed to zero")
        return (c, *out)

    def stride(self, attrs, inputs, out):
        if attrs["size"] is not None:
            return Fraction(inputs[0][1], attrs["size"][0])
        return 1 / Fraction(attrs["scale"][0]).limit_denominator(1000)

    def saves(self, attrs, inputs, out):
        return ()  # nearest and bilinear backward need only the sizes

    def lower(self, attrs, inputs):
        from torch import nn
        size = tuple(attrs["size"]) if attrs["size"] is not None else None
        scale = tuple(attrs["scale"]) if attrs["scale"] is not None else None
        return nn.Upsample(size=size, scale_factor=scale, mode=attrs["mode"], align_corners=attrs["align_corners"])

    def label(self, attrs):
        how = f"to {fmt(attrs['size'])}" if attrs["size"] is not None else f"x{_pair_text(attrs['scale'])}"
        return f"Upsample {how}, {attrs['mode']}"
