"""The vocabulary of spec items: what each item key means and how its arguments are written.

An item is one of
    "relu"                       an op or block name with no arguments ("inception_a x4" repeats it)
    {conv: 3x3 96 /2 valid}      one key naming an op or block, with arguments (mapping, scalar or shorthand)
    [item, item, ...]            a sequence
and a mapping item may carry the modifiers name, repeat, first, last next to its key.
"""
from __future__ import annotations

import re
from ..ops.registry import COMPOSITES, ITEMS, MODIFIERS, ItemDef

PRIMITIVES: dict[str, ItemDef] = ITEMS
"""Item key -> its definition, read from the op registry (live: registering an op adds its keys)."""
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REPEAT_SUFFIX = re.compile(r"^(\S+)\s+x\s*(\S+)$")


def is_reserved(name: str) -> bool:
    """Whether a block may not take this name: a primitive item key, a composite or a modifier."""
    return name in PRIMITIVES or name in COMPOSITES or name in MODIFIERS


def split_repeat(key: str) -> tuple[str, str | None]:
    """'inception_a x4' -> ('inception_a', '4')."""
    match = _REPEAT_SUFFIX.match(key.strip())
    return (match.group(1), match.group(2)) if match else (key.strip(), None)
