"""What a spec can use: the built-in ops and composites, and the blocks a spec defines or imports."""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..language.items import COMPOSITES, PRIMITIVES

COMPOSITE_DOCS = {
    "seq": "items one after another",
    "concat": "parallel branches joined along channels",
    "add": "parallel branches summed",
    "mul": "parallel branches multiplied (broadcasting; gating)",
    "residual": "act(shortcut(x) + scale * body(preact(x)))",
    "aux": "a side branch returned as an extra output (training only by default)",
    "for": "items repeated for each element of a list",
    "split": "a map cut along its channels into parts (read as id.0, id.1, ...)",
}


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # "op", "composite" or "block"
    params: str  # "out, kernel, stride=(1, 1), ..."
    doc: str
    where: str  # file:line for blocks, "built-in" otherwise


def _model_params(model) -> str:
    parts = []
    for name, field in model.model_fields.items():
        shown = field.alias or name
        default = field.default
        if default is PydanticUndefined:
            parts.append(shown)
        else:
            parts.append(f"{shown}={'true' if isinstance(default, BaseModel) else repr(default)}")
    return ", ".join(parts)


def _origin(item) -> str:
    """'built-in', or the plugin module that registered the item's op."""
    module = type(item.ops[0]).__module__
    return "built-in" if module.startswith("archspec.ops.") else f"plugin {module}"


def builtin_entries() -> list[Entry]:
    entries = [Entry(name, "op", "" if p.fixed else _model_params(p.model), p.doc, _origin(p))
               for name, p in PRIMITIVES.items()]
    from ..language.schema import COMPOSITE_ARGS as models
    entries += [Entry(name, "composite", _model_params(models[name]) if name in models else "[branches]",
                      COMPOSITE_DOCS[name], "built-in") for name in COMPOSITES]
    return entries


def block_entries(spec) -> list[Entry]:
    out = []
    for name, ref in spec.blocks.items():
        params = []
        for pname, decl in ref.definition.params.items():
            text = f"{pname}: {decl.type or 'any'}"
            if decl.default is not None:
                text += f" = {decl.default!r}"
            params.append(text)
        out.append(Entry(name, "block", ", ".join(params), ref.definition.doc, str(ref.doc.loc(ref.path, key=True))))
    return out


def _default_text(value) -> str:
    if isinstance(value, BaseModel):
        return "true"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple) and len(set(value)) == 1:
        return str(value[0])
    if value is None:
        return "auto"
    return f"`{value}`" if isinstance(value, str) else str(value)


def ops_table() -> str:
    """The primitive-op table of docs/spec-language.md, generated from the op registry."""
    from ..ops import ITEMS
    rows = ["| key | arguments (defaults) | main argument | IR op | what it is |", "|---|---|---|---|---|"]
    fixed = [key for key, item in ITEMS.items() if item.fixed]
    for key, item in sorted(ITEMS.items()):
        if item.fixed:
            continue
        args = []
        for name, field in item.model.model_fields.items():
            shown = f"`{field.alias or name}`"
            args.append(shown if field.default is PydanticUndefined else f"{shown} ({_default_text(field.default)})")
        ops = ", ".join(f"`{op.name}`" + (f" (rank {'/'.join(map(str, op.input_ranks))})" if len(item.ops) > 1 else "")
                        for op in item.ops)
        main = f"`{item.main}`" if item.main else ""
        rows.append(f"| `{key}` | {', '.join(args)} | {main} | {ops} | {item.doc} |")
    if fixed:
        ops = ", ".join(sorted({f"`{op.name}`" for key in fixed for op in ITEMS[key].ops}))
        rows.append(f"| {', '.join(f'`{k}`' for k in fixed)} | | | {ops} | an activation by name |")
    return "\n".join(rows) + "\n"
