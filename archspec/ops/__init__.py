"""The primitive IR ops: one module per op in this package, each registering an OpDef (see registry).

Every module here whose name does not start with '_' is imported, so adding an op is adding a file.
"""
from __future__ import annotations

import importlib
import pkgutil

from ._shapes import conv_out_size, pool_out_size
from .registry import (CATEGORIES, ITEMS, OPS, ItemDef, OpDef, OpError, Sample, Saved, Shape, ShapeError, defaults_keys,
                       register_op)

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_") and _module.name != "registry":
        importlib.import_module(f"{__name__}.{_module.name}")

from .act import ACTIVATIONS  # noqa: E402  (after the op modules are loaded)

__all__ = ["ACTIVATIONS", "CATEGORIES", "ITEMS", "OPS", "ItemDef", "OpDef", "OpError", "Sample", "Saved", "Shape",
           "ShapeError", "conv_out_size", "defaults_keys", "pool_out_size", "register_op"]
