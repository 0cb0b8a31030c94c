"""What a spec can use: the built-in ops and composites, and the blocks a spec defines or imports."""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .items import COMPOSITES, PRIMITIVES

COMPOSITE_DOCS = {
    "seq": "items one after another",
    "concat": "parallel branches joined along channels",
    "add": "parallel branches summed",
    "mul": "parallel branches multiplied (broadcasting; gating)",
    "residual": "act(shortcut(x) + scale * body(preact(x)))",
    "aux": "a side branch returned as an extra output (training only by default)",
    "for": "items repeated for each element of a list",
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


def builtin_entries() -> list[Entry]:
    entries = [Entry(name, "op", "" if p.fixed else _model_params(p.model), p.doc, "built-in")
               for name, p in PRIMITIVES.items()]
    from . import language as L
    models = {"residual": L.ResidualArgs, "aux": L.AuxArgs, "for": L.ForArgs}
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
