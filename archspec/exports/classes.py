"""The classes of an ejected file and their `__init__` parameters.

Every container module of the built model is an instance of an eject class: one per block type (and per
other container structure), keyed by its generated forward and the shape of what its `__init__` builds.
Constructor arguments that are the same in every instance are written as literals; those that differ
become parameters of the class (`in_channels`, `stride`), one per set of arguments that vary together
(a block's width is one parameter, however many layers it sizes). Classes are finished bottom-up, so a
parent's instances pass each child its own values.
"""
from __future__ import annotations

import keyword
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Union

from .constructors import Arg, Call, Expr, Lit, NO_DEFAULT, Ref

_FIRST = ("in_channels", "out_channels", "in_features", "out_features")  # preferred names, in this order
_REQUIRED = ("channels", "features")  # parameters named so are positional, without a default


@dataclass
class Param:
    name: str
    required: bool
    default: Any = NO_DEFAULT


@dataclass(eq=False)
class Instance:
    """A container module: its children (a leaf's call, another instance, or an nn.Sequential's items)."""
    children: list[tuple[str, "Child"]]
    cls: "EjectClass | None" = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Seq:
    """A container whose children run one after another, named 0..n-1: written as nn.Sequential."""
    items: list["Child"]


Child = Union[Call, Instance, Seq]


@dataclass(eq=False)
class EjectClass:
    base: str  # the name before it is made unique (InceptionA)
    methods: str  # the forward methods' source, as the archspec model runs them
    doc: str
    instances: list[Instance] = field(default_factory=list)
    name: str = ""
    params: list[Param] = field(default_factory=list)
    body: list[tuple[str, Expr]] = field(default_factory=list)  # (attribute, constructor expression)


def shape(child: Child) -> tuple:
    """What must be equal for two containers to share a class: callees and argument names, not values."""
    if isinstance(child, Call):
        return (child.callee, tuple(a.name for a in child.args))
    if isinstance(child, Instance):
        return ("class", id(child.cls))
    return ("seq", tuple(shape(item) for item in child.items))


def expression(child: Child) -> Expr:
    """The constructor expression of a child, its values literal (a class's instance: that instance's)."""
    if isinstance(child, Call):
        return child
    if isinstance(child, Instance):
        return Call(child.cls, tuple(Arg(p.name, Lit(child.values[p.name]), p.required, p.default)
                                     for p in child.cls.params))
    return Call("nn.Sequential", tuple(Arg("", expression(item), True) for item in child.items))


def _leaves(expr: Expr, path: tuple, arg: Arg | None, out: list) -> None:
    if isinstance(expr, Lit):
        out.append((path, arg.name, expr.value, arg.default))
    elif isinstance(expr, Call):
        for index, inner in enumerate(expr.args):
            _leaves(inner.value, path + (index,), inner, out)


def _replace(expr: Expr, path: tuple, refs: dict[tuple, str]) -> Expr:
    if isinstance(expr, Lit):
        return Ref(refs[path]) if path in refs else expr
    if isinstance(expr, Call):
        return Call(expr.callee, tuple(Arg(a.name, _replace(a.value, path + (i,), refs), a.positional, a.default)
                                       for i, a in enumerate(expr.args)))
    return expr


def _written(value: Any) -> tuple:
    return (type(value).__name__, repr(value))


def finish(cls: EjectClass) -> None:
    """Decide the class's parameters, its __init__ body and each instance's values (its children's classes
    finished before)."""
    exprs = [[expression(child) for _, child in inst.children] for inst in cls.instances]
    found = []
    for index, expr in enumerate(exprs[0]):
        _leaves(expr, (index,), None, found)
    columns = [[] for _ in found]
    for inst_exprs in exprs:
        leaves: list = []
        for index, expr in enumerate(inst_exprs):
            _leaves(expr, (index,), None, leaves)
        for column, (_, _, value, _) in zip(columns, leaves):
            column.append(value)
    groups: dict[tuple, list[int]] = {}  # the values of every instance -> the positions that hold them
    for position, column in enumerate(columns):
        if len({_written(v) for v in column}) > 1:
            groups.setdefault(tuple(map(_written, column)), []).append(position)
    refs: dict[tuple, str] = {}
    taken: set[str] = set()
    params = []
    for positions in groups.values():
        local = cls.instances[0].children[found[positions[0]][0][0]][0]
        name = _param_name([found[p][1] for p in positions], local, taken)
        column = columns[positions[0]]
        required = name.endswith(_REQUIRED)
        default = NO_DEFAULT if required else _default(column, found[positions[0]][3])
        params.append((Param(name, required, default), column))
        for p in positions:
            refs[found[p][0]] = name
    params.sort(key=lambda item: not item[0].required)  # positional ones first
    cls.params = [param for param, _ in params]
    for number, inst in enumerate(cls.instances):
        inst.values = {param.name: column[number] for param, column in params}
    cls.body = [(local, _replace(expr, (index,), refs))
                for index, ((local, _), expr) in enumerate(zip(cls.instances[0].children, exprs[0]))]


def _default(values: list, own: Any) -> Any:
    """The argument's own default (stride=1) where an instance uses it, else the most common value."""
    if own is not NO_DEFAULT and _written(own) in {_written(v) for v in values}:
        return own
    counts = Counter(_written(v) for v in values)
    best = max(counts.values())
    return next(v for v in values if counts[_written(v)] == best)


def _param_name(hints: list[str], local: str, taken: set[str]) -> str:
    ranked = sorted(dict.fromkeys(hints), key=lambda h: _FIRST.index(h) if h in _FIRST else len(_FIRST))
    name = next((h for h in ranked if h not in taken and _usable(h)), None)
    if name is None:
        stem = re.sub(r"\W", "_", f"{local}_{ranked[0]}")
        stem = stem if _usable(stem) else f"x{stem}"
        name, n = stem, 1
        while name in taken:
            n += 1
            name = f"{stem}_{n}"
    taken.add(name)
    return name


def _usable(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and name != "self"


def unique_names(classes: list[EjectClass], reserved: set[str]) -> None:
    """Name each class after its base, `_2`, `_3`, ... for the later ones (in the order given)."""
    used = set(reserved)
    for cls in classes:
        name, n = cls.base, 1
        while name in used:
            n += 1
            name = f"{cls.base}_{n}"
        cls.name = name
        used.add(name)
