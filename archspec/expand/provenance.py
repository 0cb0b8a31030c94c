"""Provenance: where each effective argument of a primitive came from, recorded in the node's `src` at
expansion in a compact, JSON-able form that `archspec explain` reads (archspec.analysis.provenance).

    src["item"]  the item key whose argument model the node was built from ("conv", "linear", ...)
    src["args"]  {key: [value, origin, where?, written?]} for each argument that was given, or whose
                 built-in default was turned into another value; every other argument of the item's
                 model has its built-in default. origin: "op" (the op's built-in default), "default"
                 (the file's `defaults:`), "item" (written on the item), "first"/"last" (an override of
                 a repeat), "auto" (chosen by the residual's auto projection); where: "line:col" in the
                 item's own file (src["loc"]), else "file:line:col"; written: the expression's text.
    src["names"] {name: [value, origin, where?, written?]} for the block parameters and built-ins its
                 expressions read; origin: "given" (at the block use), "param default" (declared),
                 "input" (in_ch, in_h, in_w of the tensor entering the block use), "spec" (a parameter
                 or `let` value of the spec, read by the network's own items).
"""
from __future__ import annotations

from typing import Any

from ..errors import Path
from ..language.arguments import field_defaults
from ..language.expr import parse_expr, ExprError
from ..language.items import PRIMITIVES
from ..language.walk import BlockRef, Env

INPUT_NAMES = ("in_ch", "in_h", "in_w")


def origin(path: Path) -> str:
    """Which kind of place an argument was written at, from its key path."""
    if path[:1] == ("defaults",):
        return "default"
    if path[-1:] == ("shortcut",):
        return "auto"
    if len(path) >= 2 and path[-2] in ("first", "last"):
        return path[-2]
    return "item"


def plain(value: Any) -> Any:
    return value if isinstance(value, (int, float, bool, str, list, dict, type(None))) else str(value)


def item_record(ex, item: str, args, data: dict, sources: dict, env: Env, path: Path) -> dict:
    """The provenance of a primitive item's node (its src["item"], ["args"], ["names"]): what `archspec
    explain` reads. ex is the expander: its memos of arguments dumped to plain data and of locations."""
    values = ex.dumps.get(id(args))
    if values is None:
        values = ex.dumps[id(args)] = (args, args.model_dump(mode="json", by_alias=True))
    model = PRIMITIVES[item].model
    builtin = ex.dumps.get(model)
    if builtin is None:
        builtin = ex.dumps[model] = field_defaults(model)
    own = env.doc.loc(path).file

    def where(p: Path) -> str:
        text = ex.loc(env, p)
        return text[len(own) + 1:] if text.startswith(own + ":") else text

    found, names = arg_record(values[1], builtin, data, sources, env, where)
    return {"item": item, "args": found, **({"names": names} if names else {})}


def arg_record(values: dict, builtin: dict, data: dict, sources: dict, env: Env, where) -> tuple[dict, dict]:
    """(src["args"], src["names"]) for an item whose validated arguments dump to `values` and whose model's
    built-in defaults are `builtin`; `where(path)` gives the compact location of a path in env's file."""
    args: dict = {}
    names: dict = {}
    for key, value in values.items():
        path = sources.get((key,))
        if path is None:
            if key not in builtin or builtin[key] != value:  # a default the model turned into a value
                args[key] = [value, "op"]
            continue
        record = [value, origin(path), where(path)]
        written = data.get(key)
        if isinstance(written, str) and written != value and _names(written, env, names):
            record.append(written)
        args[key] = record
    for key, path in sources.items():
        if len(key) == 2 and isinstance(values.get(key[0]), dict):
            args[".".join(key)] = [values[key[0]].get(key[1]), origin(path), where(path)]
    return args, names


def _names(text: str, env: Env, out: dict) -> bool:
    """Record the block parameters and built-ins an expression reads, with where their values came from;
    whether it reads any (shorthand such as '3x3' reads none)."""
    try:
        read = parse_expr(text).names
    except ExprError:  # not an expression (a literal word such as 'same')
        return False
    for name in sorted(read):
        if name in env.bound:
            out[name] = env.bound[name]
        elif name in INPUT_NAMES and name in env.scope:
            out[name] = [env.scope[name], "input"]
        elif not env.trace and name in env.scope:  # the network's own items read the spec's params and lets
            out[name] = [plain(env.scope[name]), "spec"]
    return any(name in out for name in read)


def bound_params(block: BlockRef, values: dict, given: dict, where) -> dict:
    """{parameter: [value, origin, file:line:col, written?]}: each parameter of a block use, given at the
    use (its text when an expression) or its declared default; `where(path)` locates a path of the use."""
    out = {}
    for k, value in values.items():
        if k in given:
            written, path = given[k]
            out[k] = [plain(value), "given", where(path)]
            if isinstance(written, str) and written != value:
                out[k].append(written)
        else:
            out[k] = [plain(value), "param default", str(block.doc.loc(block.path + ("params", k, "default")))]
    return out
