"""The item vocabulary as JSON Schema definitions: every item key of the op registry (read live, so an op
registered with archspec.register_op is in it), the composites and the modifiers.

An item (archspec.language.parse) is a name (`relu`, `inception_a x4`, `$block`), a list of items, or a
mapping with one op, composite or block key beside its modifiers. An op's value is nothing, a shorthand
string, a mapping of its arguments (its argument model, with no key required: `defaults` may give them)
or, for an op with a main argument, that argument's value. What the schema cannot tell (whether a block
exists, what a shorthand string or an expression means, shapes) is left to `archspec validate`.
"""
from __future__ import annotations

import json
import re
from typing import Any

from ..arguments import field_defaults
from ..items import COMPOSITES, MODIFIERS, NAME_RE, PRIMITIVES
from ..parse import _REF
from ..schema import SHORTCUTS
from .models import EXPRESSION, REF

_NAME = {"type": "string", "pattern": NAME_RE.pattern}
_REPEAT = r"\s+x\s*\S+"  # `inception_a x4` (archspec.language.items.split_repeat)
_BRANCHES = {
    "concat": "every branch reads the input; their outputs are joined along channels, in order",
    "add": "element-wise sum of the branches", "mul": "element-wise product of the branches (a gate)",
}
MODIFIER_DOCS = {
    "name": "The item's name in the IR and the PyTorch module tree (letters, digits, _).",
    "repeat": "Repeat the item (same as the `xN` suffix); a number or an expression such as `(depth-4)//6`.",
    "first": "Arguments that replace the item's own in the first repeat.",
    "last": "Arguments that replace the item's own in the last repeat.",
    "when": "Keep the item only where this condition holds, e.g. `i > 0`.",
    "id": "Name the item's output so that later items can read it with `from:` ('input' is reserved).",
    "from": "Read these tensors instead of the previous item's output: an id, `id.part`, `input`, or a list "
            "(where `id*` is every output the item with that id has given so far).",
}


def _ref(name: str) -> dict:
    return {"$ref": REF + name}


def _key_pattern(keys) -> str:
    return r"^\s*(" + "|".join(re.escape(k) for k in keys) + r")(" + _REPEAT + r")?\s*$"


def modifier_definitions() -> dict[str, dict]:
    """`modifier.NAME` for every modifier but first/last (whose arguments depend on the item)."""
    one_ref = {"type": "string", "pattern": _REF.pattern.replace(r"(\*)?$", "$")}  # `x*` only in a list
    schemas = {
        "name": _NAME, "repeat": {"anyOf": [{"type": "integer", "minimum": 1}, EXPRESSION]},
        "when": {"anyOf": [{"type": "boolean"}, {"type": "number"}, EXPRESSION]},
        "id": {**_NAME, "not": {"const": "input"}},
        "from": {"anyOf": [one_ref, {"type": "array", "minItems": 1,
                                     "items": {"type": "string", "pattern": _REF.pattern}}]},
    }
    assert set(schemas) | {"first", "last"} == set(MODIFIERS), "a modifier without a schema"
    return {f"modifier.{m}": {**schema, "description": MODIFIER_DOCS[m]} for m, schema in schemas.items()}


def _modifiers(override: dict) -> dict:
    """The modifiers of an item; `first`/`last` take `override` (an op's arguments, or any mapping)."""
    return {m: {"allOf": [override], "description": MODIFIER_DOCS[m]} if m in ("first", "last")
            else _ref(f"modifier.{m}") for m in MODIFIERS}


def _keyed(key: str, value: dict, title: str, doc: str, override: dict) -> dict:
    """A mapping item whose one key is `key` (or `key xN`), beside the modifiers."""
    value = {**value, "description": doc}
    return {"type": "object", "title": title, "description": doc,
            "properties": {key: value, **_modifiers(override)},
            "patternProperties": {r"^\s*" + re.escape(key) + _REPEAT + r"\s*$": value},
            "additionalProperties": False}


def _arguments_text(key: str) -> str:
    item = PRIMITIVES[key]
    if item.fixed:
        return f"`{key}` takes no arguments of its own."
    fields = [name if default is ... else f"{name} ({json.dumps(default)})"
              for name, default in field_defaults(item.model).items()]
    text = f"Arguments: {', '.join(fields) or 'none'}."
    if item.main:
        text += f" A bare value is `{item.main}`."
    if item.shorthand:
        text += " A string is shorthand, read token by token: `3x3` kernel, `/2` stride, `same`/`valid`/`pN`, " \
                "flags, `key=value`, one bare value."
    elif item.main:
        text += f" A string is an expression giving `{item.main}`, or `key=value` tokens."
    return text


def op_definitions(args_refs: dict[str, str], definitions: dict) -> dict[str, dict]:
    """`value.KEY` (what may follow `KEY:`) and `op.KEY` (the mapping item) for every primitive item key;
    args_refs: {item key: the definition name of its argument model}."""
    out: dict[str, dict] = {}
    for key, item in PRIMITIVES.items():
        args = args_refs[key]
        choices = [{"type": "null"}, {"type": "string"}, _ref(args)]
        if item.main:
            main = dict(definitions[args]["properties"][item.main])
            main.pop("default", None)
            choices.append(main)
        doc = f"{item.doc} (IR op {', '.join(op.name for op in item.ops)}). {_arguments_text(key)}"
        out[f"value.{key}"] = {"description": doc, "anyOf": choices}
        out[f"op.{key}"] = _keyed(key, _ref(f"value.{key}"), key, doc, _ref(args))
    return out


def composite_definitions(model_refs: dict[str, str]) -> dict[str, dict]:
    """`composite.KEY` for every composite; model_refs: {composite: the definition name of its argument model}."""
    anything = {"type": "object"}
    values = {
        "seq": (_ref("items"), "A sequence of items, one after another."),
        "split": ({"anyOf": [{"type": "integer", "minimum": 1}, EXPRESSION,
                             {"type": "array", "minItems": 1, "items": {"anyOf": [{"type": "integer"}, EXPRESSION]}}]},
                  "Cut a map along its channels: the channels of each part (`[64, 32]`) or a number of equal "
                  "parts; its parts are read as `id.0`, `id.1`, ..."),
        "residual": (_ref(model_refs["residual"]), "act(shortcut(x) + scale * drop_path(body(preact(x)))): a residual "
                                           "connection around body."),
        "aux": ({"anyOf": [_ref(model_refs["aux"]), _ref("items")]},
                "An extra output computed from the tensor at this point (an auxiliary classifier); a list is "
                "its body."),
        "for": (_ref(model_refs["for"]), "Expand `do` once per element of `in` (a list, or a count n: 0 .. n-1)."),
    }
    for key, doc in _BRANCHES.items():
        branches = {"type": "array", "minItems": 2, "items": _ref("item"),
                    "description": "Branches: items or lists of items; a branch mapping may carry `name:`."}
        values[key] = ({"anyOf": [{"type": "null"}, branches]},
                       f"{key}: {doc}. Without branches (`{{{key}, from: [a, b]}}`) it merges the tensors "
                       "`from:` names.")
    assert set(values) == set(COMPOSITES), "a composite without a schema"
    return {f"composite.{key}": _keyed(key, value, key, doc, anything) for key, (value, doc) in values.items()}


def item_definitions(args_refs: dict[str, str], model_refs: dict[str, str], definitions: dict) -> dict[str, dict]:
    """Every definition an item needs: `items`, `item` and what they refer to (args_refs: {op item key:
    the definition of its argument model}; model_refs: the same for the composites)."""
    keys = list(PRIMITIVES)
    reserved = keys + list(COMPOSITES)
    block_use = {
        "type": "object", "title": "block use",
        "description": "A use of a named block (or of a block parameter, `$name`) with its parameters; "
                       "values may be expressions over the parameters where it is used.",
        "properties": _modifiers({"type": "object"}),
        "additionalProperties": {"anyOf": [{"type": "object"}, {"type": "null"}]},
        "propertyNames": {"not": {"pattern": _key_pattern(reserved)}},
    }
    mapping = {
        "type": "object",
        "not": {"propertyNames": {"enum": list(MODIFIERS)}},  # one key besides the modifiers
        "anyOf": [_ref(f"op.{k}") for k in keys] + [_ref(f"composite.{k}") for k in COMPOSITES] + [_ref("block_use")],
    }
    name = {"anyOf": [{"enum": keys, "description": "a primitive op with no arguments"},
                      {"type": "string", "description": "an op or block name, `NAME xN` to repeat it, or `$param`"}]}
    return {
        "items": {"type": "array", "items": _ref("item"),
                  "description": "A list of items: op and block names, mappings with one op, composite or "
                                 "block key (and modifiers), or nested lists (sequences)."},
        "item": {"description": "An item: `relu`, `inception_a x4`, `{conv: 3x3 96 /2 valid}`, "
                                "`{reduction_a: {k: 192}}`, `[conv: 1x1 64, conv: 3x3 96]`, a composite.",
                 "anyOf": [name, _ref("items"), mapping]},
        **op_definitions(args_refs, definitions),
        **composite_definitions(model_refs),
        **modifier_definitions(),
        "block_use": block_use,
        "shortcut": {"anyOf": [{"enum": list(SHORTCUTS)}, _ref("items")],
                     "description": "'identity', 'auto', 'if_same' or a list of items."},
    }


def replace_markers(schema: Any, defaults_ref: str, projection_ref: str) -> Any:
    """A pydantic schema with the fields marked in language/schema.py (`{"archspec": KIND}`) replaced by
    the definitions that describe them."""
    if isinstance(schema, list):
        return [replace_markers(s, defaults_ref, projection_ref) for s in schema]
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("archspec")
    if isinstance(kind, str):
        target = {"items": "items", "shortcut": "shortcut", "defaults": defaults_ref,
                  "projection": projection_ref}[kind]
        kept = {k: schema[k] for k in ("description", "default") if k in schema}
        return {"allOf": [_ref(target)], **kept} if kept else _ref(target)
    out = {}
    for key, value in schema.items():
        if key in ("default", "const", "enum", "examples"):
            out[key] = value
        elif key in ("properties", "patternProperties"):  # {name: schema}
            out[key] = {name: replace_markers(v, defaults_ref, projection_ref) for name, v in value.items()}
        else:
            out[key] = replace_markers(value, defaults_ref, projection_ref)
    return out
