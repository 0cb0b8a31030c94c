"""Arguments of primitive items, shared by the checker and the expander: merging defaults, the
item's own arguments and first/last overrides with their provenance, and validating them against
an argument model into located diagnostics."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from ..errors import Diagnostic, Path
from .items import PRIMITIVES
from .pydantic_errors import diagnostics_from
from .syntax import OpItem
from ..source.yamlsource import SourceDoc


def merged_args(item: OpItem, defaults: dict, overrides: dict) -> tuple[dict, dict]:
    """Defaults, then the item's own arguments, then first/last overrides ({key: (value, path)}):
    the data to validate and, per key, the path each value was written at."""
    spec = PRIMITIVES[item.key]
    data: dict = {}
    sources: dict = {}
    if spec.defaults_key and spec.defaults_key in defaults:
        values, dpath = defaults[spec.defaults_key]
        for k, v in values.items():
            data[k], sources[(k,)] = v, dpath + (k,)
    for k, arg in item.args.items():
        data[k], sources[(k,)] = arg.value, arg.path
    for k, (v, p) in overrides.items():
        data[k], sources[(k,)] = v, p
    data.update(spec.fixed)
    return data, sources


def with_bn_defaults(data: dict, sources: dict, defaults: dict) -> dict:
    """A conv unit's arguments with its batch norm's merged over the file's `defaults.bn`."""
    bn = data.get("bn", True)
    if bn is True or isinstance(bn, dict):
        base, dpath = defaults.get("bn", ({}, ()))
        data = {**data, "bn": {**base, **(bn if isinstance(bn, dict) else {})}}
        for k in base:
            sources.setdefault(("bn", k), dpath + (k,))
    return data


def validate(model: type[BaseModel], data: Any, sources: dict, base: Path, doc: SourceDoc, context: dict,
             trace: tuple[str, ...] = ()) -> tuple[Any, list[Diagnostic]]:
    """(the validated model or None, diagnostics). In a checking context ({"names": ...}) a field
    given by an expression is judged only on its syntax and names (its value comes with expansion)."""
    try:
        return model.model_validate(data, context=context), []
    except ValidationError as exc:
        return None, diagnostics_from(exc, doc, base, model, sources, trace, context)


def field_defaults(model: type[BaseModel]) -> dict:
    """{key: built-in default as plain data, or Ellipsis for a required key} of an argument model, in its
    order (what `archspec explain` shows for an argument nobody gave)."""
    out: dict = {}
    for name, info in model.model_fields.items():
        default = info.default
        if default is PydanticUndefined:
            default = ...
        elif isinstance(default, BaseModel):
            default = default.model_dump(mode="json", by_alias=True)
        elif isinstance(default, tuple):
            default = list(default)
        out[info.alias or name] = default
    return out
