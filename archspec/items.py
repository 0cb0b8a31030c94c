"""The vocabulary of spec items: what each item key means and how its arguments are written.

An item is one of
    "relu"                       an op or block name with no arguments ("inception_a x4" repeats it)
    {conv: 3x3 96 /2 valid}      one key naming an op or block, with arguments (mapping, scalar or shorthand)
    [item, item, ...]            a sequence
and a mapping item may carry the modifiers name, repeat, first, last next to its key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from . import language as L
from .errors import Path
from .ops import ACTIVATIONS


@dataclass(frozen=True)
class Primitive:
    model: type[BaseModel]
    main: str | None = None  # the field a bare scalar or a bare shorthand token fills
    defaults_key: str | None = None  # which entry of the spec's `defaults` applies
    fixed: dict = field(default_factory=dict)  # arguments implied by the key (relu -> fn=relu)
    doc: str = ""


PRIMITIVES: dict[str, Primitive] = {
    "conv": Primitive(L.ConvArgs, "out", "conv", doc="conv unit: conv -> batch norm -> activation"),
    "bn": Primitive(L.BatchNormArgs, None, "bn", doc="batch norm"),
    "act": Primitive(L.ActArgs, "fn", "act", doc="an activation by name"),
    "maxpool": Primitive(L.MaxPoolArgs, "kernel", "maxpool", doc="max pooling"),
    "avgpool": Primitive(L.AvgPoolArgs, "kernel", "avgpool", doc="average pooling"),
    "global_avgpool": Primitive(L.GlobalPoolArgs, None, None, doc="average over H and W"),
    "global_maxpool": Primitive(L.GlobalPoolArgs, None, None, doc="maximum over H and W"),
    "dropout": Primitive(L.DropoutArgs, "p", "dropout", doc="dropout (training only)"),
    "linear": Primitive(L.LinearArgs, "out", "linear", doc="fully connected layer"),
    "flatten": Primitive(L.EmptyArgs, doc="CxHxW -> C*H*W"),
    "identity": Primitive(L.EmptyArgs, doc="passes its input through"),
    "scale": Primitive(L.ScaleArgs, "factor", doc="multiply by a constant"),
    **{fn: Primitive(L.ActArgs, None, None, {"fn": fn}, f"{fn} activation")
       for fn in ACTIVATIONS if fn != "identity"},
}
COMPOSITES = ("seq", "concat", "add", "mul", "residual", "aux", "for")
MODIFIERS = ("name", "repeat", "first", "last", "when")
RESERVED = set(PRIMITIVES) | set(COMPOSITES) | set(MODIFIERS)
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REPEAT_SUFFIX = re.compile(r"^(\S+)\s+x\s*(\S+)$")


@dataclass
class Item:
    """A parsed item: its key, raw arguments and modifiers, each with its YAML path."""

    key: str
    args: Any
    args_path: Path
    path: Path
    name: str | None = None
    repeat: Any = None
    repeat_path: Path = ()
    first: dict | None = None
    last: dict | None = None
    default_name: str | None = None  # for `$param` block items: the parameter's name
    when: Any = None  # a condition: the item exists only where it holds

    @property
    def kind(self) -> str:
        if self.key in PRIMITIVES:
            return "primitive"
        return "composite" if self.key in COMPOSITES else "block"


def split_repeat(key: str) -> tuple[str, str | None]:
    """'inception_a x4' -> ('inception_a', '4')."""
    match = _REPEAT_SUFFIX.match(key.strip())
    return (match.group(1), match.group(2)) if match else (key.strip(), None)
