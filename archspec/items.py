"""The vocabulary of spec items: what each item key means and how its arguments are written.

An item is one of
    "relu"                       an op or block name with no arguments ("inception_a x4" repeats it)
    {conv: 3x3 96 /2 valid}      one key naming an op or block, with arguments (mapping, scalar or shorthand)
    [item, item, ...]            a sequence
and a mapping item may carry the modifiers name, repeat, first, last next to its key.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from .errors import Path, SpecValueError
from .ops.registry import COMPOSITES, ITEMS, MODIFIERS, ItemDef

PRIMITIVES: dict[str, ItemDef] = ITEMS
"""Item key -> its definition, read from the op registry (live: registering an op adds its keys)."""
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REPEAT_SUFFIX = re.compile(r"^(\S+)\s+x\s*(\S+)$")
_KERNEL = re.compile(r"^\d+x\d+$")
_FLAGS = {
    "bias": {"bias": True}, "plain": {"bn": False, "act": "none"}, "nobn": {"bn": False},
    "noact": {"act": "none"}, "exclude_pad": {"count_include_pad": False},
    "include_pad": {"count_include_pad": True}, "ceil": {"ceil_mode": True}, "keepdim": {"keepdim": True},
}


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


def is_reserved(name: str) -> bool:
    """Whether a block may not take this name: a primitive item key, a composite or a modifier."""
    return name in PRIMITIVES or name in COMPOSITES or name in MODIFIERS


def split_repeat(key: str) -> tuple[str, str | None]:
    """'inception_a x4' -> ('inception_a', '4')."""
    match = _REPEAT_SUFFIX.match(key.strip())
    return (match.group(1), match.group(2)) if match else (key.strip(), None)


def _scalar(token: str) -> Any:
    for kind in (int, float):
        try:
            return kind(token)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(token, token)


def parse_shorthand(op: str, text: str) -> dict:
    """'3x3 96 /2 valid' -> {'kernel': '3x3', 'out': 96, 'stride': 2, 'padding': 'valid'}."""
    return dict(_parse_shorthand(op, text))


@functools.lru_cache(maxsize=4096)
def _parse_shorthand(op: str, text: str) -> tuple:
    spec = PRIMITIVES[op]
    args: dict = {}
    for token in text.split():
        if "=" in token:
            key, _, value = token.partition("=")
            args[key] = _scalar(value)
        elif _KERNEL.match(token) and "kernel" in spec.model.model_fields:
            args["kernel"] = token
        elif token.startswith("/") and "stride" in spec.model.model_fields:
            args["stride"] = _scalar(token[1:])
        elif token in ("same", "valid") and "padding" in spec.model.model_fields:
            args["padding"] = token
        elif re.fullmatch(r"p\d+", token) and "padding" in spec.model.model_fields:
            args["padding"] = int(token[1:])
        elif token in _FLAGS and set(_FLAGS[token]) <= set(spec.model.model_fields):
            args.update(_FLAGS[token])
        elif spec.main and spec.main not in args:
            args[spec.main] = _scalar(token)
        else:
            raise SpecValueError(f"cannot read '{token}' in '{text}' (shorthand: KxK kernel, /stride, valid|same|pN,"
                             f" flags {', '.join(f for f in _FLAGS if set(_FLAGS[f]) <= set(spec.model.model_fields))},"
                             " key=value, and one bare value" + (f" for {spec.main}" if spec.main else "") + ")")
    return tuple(args.items())


def primitive_args(op: str, raw: Any) -> dict:
    """The argument mapping of a primitive item, from a mapping, a scalar or a shorthand string."""
    spec = PRIMITIVES[op]
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return dict(raw)
    if isinstance(raw, str) and spec.main is not None and not spec.shorthand and "=" not in raw:
        return {spec.main: raw}  # `linear: classes + 1`: the whole text is the main argument
    if isinstance(raw, str):
        return parse_shorthand(op, raw)
    if spec.main is None:
        raise SpecValueError(f"'{op}' takes a mapping of arguments, got {raw!r}")
    return {spec.main: raw}
