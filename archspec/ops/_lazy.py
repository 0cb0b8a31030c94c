"""Torch module classes an op file defines itself, made on first use so that importing archspec does not
import torch (the pattern of layernorm.py, shared).

An op module writes

    def _make_drop_path():              # imports torch, returns the class
        ...
    _classes = {"DropPath": _make_drop_path}
    __getattr__ = lazy_classes(__name__, _classes)

and gets the class with `__getattr__("DropPath")` (or `getattr(module, "DropPath")`). Each class is
made once, named as an attribute of its op module, so pickle, torch.save and torch.jit.script find it.
"""
from __future__ import annotations

import functools
from typing import Callable


def lazy_classes(module: str, factories: dict[str, Callable[[], type]]) -> Callable[[str], type]:
    """A module-level `__getattr__` that makes each class of `factories` on first access."""

    @functools.cache
    def make(name: str) -> type:
        cls = factories[name]()
        cls.__module__, cls.__qualname__, cls.__name__ = module, name, name
        return cls

    def __getattr__(name: str) -> type:
        if name in factories:
            return make(name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
