"""What keeps expansion bounded besides the op limit.

- The `work` limit (archspec.limits): the expander charges one unit for every item it visits, every
  instance of a repeat, every loop iteration (and the names its scope copies), every expression it
  evaluates (and the expression one more per NODES_PER_STEP of its nodes, archspec.language.expr, so a
  long one costs what evaluating it takes) and every tensor a `from:` reads, and a block use the size
  of the values it binds, so items that emit no op (`when: false`, a disabled `aux`) cannot loop without end.
- Memo keys: the expander memoizes argument validations on the arguments and the scope they are
  evaluated in. The key is a canonical form of their values that costs a bounded amount to make: a
  container too big for the rest of the key's budget (a list of 20,000 numbers in scope) stands for
  itself by identity rather than being copied into every key. Scopes share such values (each block use
  and loop iteration copies references), so the memo still hits.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Hashable

from ..limits import ITEMS_PER_STEP

MEMO_KEY_SIZE = 64  # values one memo key spells out; bigger containers are keyed by identity


def size_cost(values) -> int:
    """Units of work for binding values that are copied and recorded (a block's list parameter is
    validated into a new list at every use): their lengths, ITEMS_PER_STEP elements a unit."""
    return sum(len(v) for v in values if isinstance(v, (list, tuple, str, dict))) // ITEMS_PER_STEP


class Same:
    """A value keyed by identity: equal only to itself (holding it keeps its id from being reused)."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.value is self.value


def memo_key(value: Any, sort: bool = False, size: int = MEMO_KEY_SIZE) -> Hashable:
    """A hashable canonical form of value (dicts, lists, tuples, scalars, dataclasses such as block
    references) that keeps types apart as repr does (1, 1.0 and True differ), a dict's items sorted by key
    with sort. Besides value's own items, at most `size` values inside containers are spelled out; a
    container with more than are left is keyed by identity (equal keys still mean equal values; equal
    values may miss the memo)."""
    left = size + (len(value) if type(value) in (list, tuple, dict) else 0)  # the top level is always spelled out

    def canon(v: Any) -> Hashable:
        nonlocal left
        kind = type(v)
        if v is None or kind is bool or kind is int or kind is str:
            return kind.__name__, v
        if kind is float:
            return "float", repr(v)  # -0.0 and nan stay apart from 0.0 and each other, as in repr
        if kind is list or kind is tuple or kind is dict:
            if len(v) > left:
                return Same(v)
            left -= len(v)
            if kind is dict:
                items = tuple((canon(k), canon(x)) for k, x in v.items())
                return "dict", tuple(sorted(items, key=lambda item: item[0])) if sort else items
            return kind.__name__, tuple(canon(x) for x in v)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return kind.__qualname__, canon([getattr(v, f.name) for f in dataclasses.fields(v)])
        return Same(v)

    return canon(value)
