"""The editor schema: a JSON Schema (draft-07) of spec files, or of block library files, generated from the
models that validate them (language/schema.py and every op's argument model) and from the item vocabulary
of the op registry, so an op registered with archspec.register_op is in it. `archspec schema` writes it;
docs/editors.md says how an editor uses it and what it cannot check.
"""
from __future__ import annotations

from typing import Any

from ..items import PRIMITIVES
from ..schema import COMPOSITE_ARGS, LibraryDoc, SpecDoc
from .items import item_definitions, replace_markers
from .models import draft07, REF, model_definitions

DRAFT = "http://json-schema.org/draft-07/schema#"
IDS = {False: "urn:archspec:schema:spec:1", True: "urn:archspec:schema:library:1"}


def json_schema(library: bool = False) -> dict[str, Any]:
    """The JSON Schema of a spec file (library=True: of a block library file) with the ops registered now."""
    models: dict[str, Any] = {"document": LibraryDoc if library else SpecDoc}
    models.update({f"composite:{key}": model for key, model in COMPOSITE_ARGS.items()})
    models.update({f"op:{key}": item.model for key, item in PRIMITIVES.items()})
    refs, definitions = model_definitions(models)
    name = {key: ref["$ref"].removeprefix(REF) for key, ref in refs.items()}
    args_refs = {key: name[f"op:{key}"] for key in PRIMITIVES}
    keys_of: dict[str, list[str]] = {}  # argument model -> the item keys it serves (act's serves relu, gelu, ...)
    for key, args in args_refs.items():
        keys_of.setdefault(args, []).append(key)
    titles = {**{args: ", ".join(keys) for args, keys in keys_of.items()},
              **{name[f"composite:{key}"]: key for key in COMPOSITE_ARGS}}
    for args, title in titles.items():  # an editor's hover shows the title: `conv arguments`
        definitions[args]["title"] = f"{title} arguments"
    for args in keys_of:  # `defaults` (or first/last) may give any argument, so none is required
        definitions[args].pop("required", None)
    definitions["defaults"] = _defaults(args_refs, definitions)
    definitions = replace_markers(definitions, "defaults", args_refs["conv"])
    items = item_definitions(args_refs, {k: name[f"composite:{k}"] for k in COMPOSITE_ARGS}, definitions)
    definitions.update({key: draft07(schema) for key, schema in items.items()})
    document = definitions.pop(name["document"])
    if not library:
        document = _with_extends(document)
    return {"$schema": DRAFT, "$id": IDS[library],
            "title": "archspec block library" if library else "archspec spec",
            **{k: v for k, v in document.items() if k != "title"},
            "definitions": dict(sorted(definitions.items()))}


def _defaults(args_refs: dict[str, str], definitions: dict) -> dict:
    """`defaults:`: per defaults key, the names of its op's arguments. Their values are free: archspec checks a
    default where an item uses it, and an item that gives its own value never uses it (a library's
    `act: relu` default under convs that all say `act:`), so a value the schema rejected could be accepted."""
    entries = {}
    for key, item in PRIMITIVES.items():
        if item.defaults_key and item.defaults_key not in entries:
            arguments = definitions[args_refs[key]]["properties"]
            entries[item.defaults_key] = {
                "type": "object", "description": f"Default arguments of every `{key}`, under its own.",
                "properties": {name: {k: v for k, v in field.items() if k in ("description", "default")}
                               for name, field in arguments.items()},
                "additionalProperties": False}
    return {"type": "object", "properties": entries, "additionalProperties": False,
            "description": "Default arguments per primitive, merged under every use (in this file's blocks)."}


def _with_extends(document: dict) -> dict:
    """A spec may be a variant (`extends: base.yaml`): then it needs none of the keys a whole spec needs."""
    required = document.pop("required", [])
    properties = {"extends": {"type": "string", "description": "A spec file this one is a variant of, relative "
                              "to this file: its keys are deep-merged under this file's (lists are replaced)."},
                  **document["properties"]}
    return {**document, "properties": properties, "if": {"required": ["extends"]}, "else": {"required": required}}


def json_schema_text(library: bool = False) -> str:
    """The schema as `archspec schema` writes it (and docs/archspec*.schema.json hold it): JSON, indented."""
    import json
    return json.dumps(json_schema(library), indent=2, ensure_ascii=False) + "\n"
