"""JSON Schema (draft-07) of pydantic models as a spec file writes them: pydantic's own generator, with
what archspec's fields accept besides their type, the fields' docstrings as descriptions, and the
result rewritten for draft-07 (what VS Code's YAML extension reads).

- A number or bool field also takes a string: an argument type (IntArg, FloatArg, BoolArg) reads any
  string as an expression, and pydantic reads a number written as text ("3") in a plain int field.
- A validator that accepts more than its type says so with pydantic's `json_schema_input_type`
  (`Pair`: 3, '1x7' or [1, 7]); the schema follows it.
- Constraints pydantic writes as `gt`/`ge`/`lt`/`le` become draft-07's exclusiveMinimum/minimum/...;
  a numeric keyword constrains numbers only, so an expression beside it stays valid.
- `prefixItems` (a tuple) becomes draft-07's `items` list; a `$ref` with siblings is wrapped in
  `allOf` (draft-07 ignores a `$ref`'s siblings).
- A field marked `{"archspec": KIND}` in its json_schema_extra (language/schema.py's `Items`) is left as
  a marker for the caller to replace (archspec.language.editor.items).
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

EXPRESSION = {"type": "string"}  # an expression over parameters (no description: an editor's hover shows the field's)
REF = "#/definitions/"
_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs")  # {name: schema}


def field_docs(cls: type) -> dict[str, str]:
    """{field name: its docstring} of a class and its bases: the string literal written under each
    annotated field (the reference documentation of the spec's keys). Empty where there is no source."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass in (object, BaseModel) or not issubclass(klass, BaseModel):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for field, after in zip(body, body[1:]):
            if (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
                    and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)):
                docs[field.target.id] = inspect.cleandoc(after.value.value)
    return docs


class SpecJsonSchema(GenerateJsonSchema):
    """pydantic's generator, with the additions above (applied as each schema is made)."""

    def int_schema(self, schema) -> dict:
        return {"anyOf": [super().int_schema(schema), EXPRESSION]}

    def float_schema(self, schema) -> dict:
        return {"anyOf": [super().float_schema(schema), EXPRESSION]}

    def bool_schema(self, schema) -> dict:
        # pydantic also reads 0 and 1 as a bool (`bias: 1`)
        return {"anyOf": [super().bool_schema(schema), {"enum": [0, 1]}, EXPRESSION]}

    def model_schema(self, schema) -> dict:
        json_schema = super().model_schema(schema)
        cls = schema["cls"]
        docs = field_docs(cls)
        properties = json_schema.get("properties", {})
        for name, info in cls.model_fields.items():
            key = info.alias or name
            if key in properties and docs.get(name) and "description" not in properties[key]:
                properties[key]["description"] = docs[name]
        return json_schema

    def field_title_should_be_set(self, schema) -> bool:
        return False  # "Out", "Kernel": pydantic's titles say nothing the key does not


def model_definitions(models: dict[str, type[BaseModel]]) -> tuple[dict[str, dict], dict[str, dict]]:
    """({key: schema (a $ref)}, {definition name: schema}) of the models, in draft-07."""
    generator = SpecJsonSchema(ref_template=REF + "{model}")
    for model in models.values():
        model.model_rebuild()  # a model with defer_build is built on first use
    refs, definitions = generator.generate_definitions(
        [(key, "validation", model.__pydantic_core_schema__) for key, model in models.items()])
    return ({key: draft07(schema) for (key, _), schema in refs.items()},
            {name: draft07(schema) for name, schema in definitions.items()})


def draft07(schema: Any) -> Any:
    """A schema pydantic wrote (for draft 2020-12) rewritten for draft-07, recursively."""
    if isinstance(schema, list):
        return [draft07(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict = {}
    for key, value in schema.items():
        if key in ("default", "const", "enum", "examples"):
            out[key] = value
        elif key in _SCHEMA_MAPS:
            out[key] = {name: draft07(v) for name, v in value.items()}
        elif key in _BOUNDS:
            out[_BOUNDS[key]] = value
        elif key == "prefixItems":
            out["items"] = draft07(value)
            if "maxItems" in schema:
                out["additionalItems"] = False
        else:
            out[key] = draft07(value)
    if "anyOf" in out:
        out["anyOf"] = _without_repeats(out["anyOf"])
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        out["allOf"] = [{"$ref": ref}] + out.get("allOf", [])
    return out


def _without_repeats(choices: list) -> list:
    """anyOf's choices, each once (an expression is a string: `Union[int, str]` says string twice)."""
    out = []
    for choice in choices:
        if choice not in out:
            out.append(choice)
    return out
