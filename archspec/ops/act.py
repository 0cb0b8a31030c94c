"""act: an element-wise activation, from `act: NAME`, a bare `relu`, `gelu`, ... or a conv unit's `act`."""
from __future__ import annotations

import math
from typing import Annotated, NamedTuple

from pydantic import AfterValidator, ValidationInfo

from ..language.values import StrArg, words_schema
from ._fields import Strict
from .registry import OpDef, Sample, Saved, register_op


class Fn(NamedTuple):
    label: str  # diagram text
    module: str  # the torch.nn class
    inplace_kwarg: bool  # the class takes inplace=
    inplace_safe: bool  # backward can run from the output alone, so overwriting the input is safe


FNS: dict[str, Fn] = {
    "relu": Fn("ReLU", "ReLU", True, True), "relu6": Fn("ReLU6", "ReLU6", True, True),
    "leaky_relu": Fn("LeakyReLU", "LeakyReLU", True, True), "elu": Fn("ELU", "ELU", True, False),
    "gelu": Fn("GELU", "GELU", False, False), "silu": Fn("SiLU", "SiLU", True, False),
    "mish": Fn("Mish", "Mish", True, False), "sigmoid": Fn("Sigmoid", "Sigmoid", False, False),
    "tanh": Fn("Tanh", "Tanh", False, False), "hardswish": Fn("Hardswish", "Hardswish", True, False),
    "hardsigmoid": Fn("Hardsigmoid", "Hardsigmoid", True, False),
    "identity": Fn("Identity", "Identity", False, False),
}
ACTIVATIONS = tuple(FNS)
FROM_OUTPUT = ("relu", "sigmoid", "tanh")  # their backward reads the output, the others' their input


def _activation(value: str, info: ValidationInfo) -> str:
    if value == "none" or value in FNS:
        return value
    from ..errors import did_you_mean
    hint = did_you_mean(value, ACTIVATIONS + ("none",))
    raise ValueError(f"unknown activation '{value}'; choose one of {', '.join(ACTIVATIONS)} or none"
                     + (f" ({hint})" if hint else ""))


ActName = Annotated[StrArg, AfterValidator(_activation), words_schema(ACTIVATIONS + ("none",))]


class ActArgs(Strict):
    fn: ActName


@register_op
class Activation(OpDef):
    name, category = "act", "act"
    items = {"act": "an activation by name",
             **{fn: f"{fn} activation" for fn in ACTIVATIONS if fn != "identity"}}
    fixed = {fn: {"fn": fn} for fn in ACTIVATIONS if fn != "identity"}
    args, main, defaults_key = ActArgs, "fn", "act"
    samples = tuple(Sample((4, 3, 3), (fn,)) for fn in ACTIVATIONS if fn != "identity") + (
        Sample((4, 1, 1), ("global_avgpool", {"act": "identity"})),
        Sample((3, 6, 6), ({"conv": "3x3 4 act=relu6"}, {"conv": "3x3 4 act=leaky_relu"})))  # run in place

    def attrs(self, key, args, shape):
        return {"fn": args.fn}

    def saves(self, attrs, inputs, out):
        if attrs["fn"] == "identity":
            return ()
        if attrs.get("inplace") and attrs["fn"] == "relu6":
            return (Saved("own", math.prod(out)),)  # hardtanh_ keeps a copy of its result, not the storage
        # ReLU, sigmoid and tanh differentiate from their output, and so does an activation run in place
        return (Saved("output"),) if attrs["fn"] in FROM_OUTPUT or attrs.get("inplace") else (Saved(0),)

    def aliases_input(self, attrs, inputs, training=True):
        return attrs["fn"] == "identity" or bool(attrs.get("inplace"))

    def lower(self, attrs, inputs):
        from torch import nn
        fn, inplace = FNS[attrs["fn"]], attrs.get("inplace", False)
        cls = getattr(nn, fn.module)
        if attrs["fn"] == "leaky_relu":
            return cls(attrs.get("negative_slope", 0.01), inplace=inplace)
        return cls(inplace=inplace) if fn.inplace_kwarg else cls()

    def label(self, attrs):
        return FNS[attrs["fn"]].label if attrs["fn"] in FNS else attrs["fn"]

    def inplace_capable(self, attrs):
        return FNS[attrs["fn"]].inplace_safe
