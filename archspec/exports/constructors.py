"""How a built leaf module is written as Python: the constructor call that makes an equal module
(`nn.Conv2d(3, 16, 3, padding=1, bias=False)`), and the source of archspec's own small module classes
(Concat, Add, DropPath, ...) to copy into an ejected file.

A constructor's arguments are read off the module: each parameter of the class's `__init__` is an
attribute of the same name (torch.nn's modules and archspec's own keep them so), `bias` is whether the
module has one. An argument equal to its default is left out when written (pysource.py).
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from typing import Any, Union

from torch import nn

# Arguments torch normalises to a pair (or takes as an int or a pair alike): (3, 3) is written 3.
_PAIRS = frozenset({"kernel_size", "stride", "padding", "dilation", "output_padding", "scale_factor", "size",
                    "normalized_shape"})
_SKIPPED = frozenset({"device", "dtype"})
NO_DEFAULT = inspect.Parameter.empty


class EjectError(Exception):
    """The model holds something plain PyTorch source cannot say (a module of an unknown class)."""


@dataclass(frozen=True)
class Lit:
    """A literal argument value: int, float, bool, str, None or a tuple of them."""
    value: Any


@dataclass(frozen=True)
class Ref:
    """A parameter of the class whose __init__ the expression is in."""
    name: str


@dataclass(frozen=True)
class Arg:
    name: str  # the constructor's parameter name ("" for an element of nn.Sequential)
    value: "Expr"
    positional: bool
    default: Any = NO_DEFAULT  # written only when the value differs


@dataclass(frozen=True)
class Call:
    callee: Any  # "nn.Conv2d", "Concat", or an eject class (its final name is given later)
    args: tuple[Arg, ...]


Expr = Union[Lit, Ref, Call]


def own_class(cls: type) -> bool:
    """A module class of archspec's own (its source is copied into the ejected file)."""
    return cls.__module__.split(".")[0] == "archspec"


def leaf_call(module: nn.Module) -> Call:
    """The constructor call that makes a module equal to this leaf (weights aside)."""
    cls = type(module)
    if own_class(cls):
        callee = cls.__name__
    elif getattr(nn, cls.__name__, None) is cls:
        callee = f"nn.{cls.__name__}"
    else:
        raise EjectError(f"cannot write a {cls.__module__}.{cls.__qualname__} module as plain PyTorch "
                         "(not a torch.nn module)")
    args = []
    for param in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or param.name in _SKIPPED:
            continue
        if not hasattr(module, param.name):
            raise EjectError(f"cannot read the argument {param.name!r} of a {cls.__name__} module back")
        value = getattr(module, param.name)
        if param.name == "bias" and (value is None or isinstance(value, nn.Parameter)):
            value = value is not None
        args.append(Arg(param.name, Lit(_plain(value, param.name, cls)), param.default is NO_DEFAULT, param.default))
    return Call(callee, tuple(args))


def _plain(value: Any, name: str, cls: type) -> Any:
    if isinstance(value, (list, tuple)):
        items = tuple(_plain(v, name, cls) for v in value)
        return items[0] if name in _PAIRS and items and len(set(map(repr, items))) == 1 else items
    if value is None or type(value) in (bool, int, float, str):
        return value
    raise EjectError(f"cannot write the argument {name}={value!r} of a {cls.__name__} module as a literal")


def class_source(cls: type) -> str:
    """The source of one of archspec's module classes, unindented, as written in its file (a class made on
    first use inside a function, ops/_lazy.py, included: found by the line of one of its methods)."""
    methods = [f for f in vars(cls).values() if inspect.isfunction(f)]
    if not methods:
        raise EjectError(f"cannot find the source of {cls.__name__}")
    code = methods[0].__code__
    with open(code.co_filename, encoding="utf-8") as handle:
        text = handle.read()
    for found in ast.walk(ast.parse(text)):
        if isinstance(found, ast.ClassDef) and found.name == cls.__name__ and \
                found.lineno <= code.co_firstlineno <= found.end_lineno:
            lines = text.splitlines()[found.lineno - 1:found.end_lineno]
            return textwrap.dedent("\n".join(lines)) + "\n"
    raise EjectError(f"cannot find the source of {cls.__name__} in {code.co_filename}")
