"""The composites other than seq and residual: parallel branches (concat, add, mul), `for` loops and
`aux` side outputs. Each is a function of the expander, the parsed item, its name, env and input."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from . import language as L
from .expand import POISON, Env, Value
from .items import Item
from .residual import expand_residual

if TYPE_CHECKING:
    from .expand import Expander


def expand_loop(ex: "Expander", item: Item, name: str, env: Env, x: Value) -> Value:
    """`for: {each: k, in: kernels, do: [...]}`: the items once per element, named name.0, name.1, ..."""
    if not isinstance(item.args, dict):
        return ex.error(env, item.args_path, "'for' takes a mapping with each, in and do")
    args = ex.validate(L.ForArgs, item.args, {}, item.args_path, env)
    if args is None:
        return POISON
    do_path = item.args_path + ("do",)
    if ex.check:
        if isinstance(args.in_, str):  # vet the names of the list expression
            ex.evaluate(args.in_, object, item.args_path + ("in",), env)
        inner = replace(env, names=env.names | {args.each, args.index})
        return ex.seq(args.do, do_path, ex.namer.part(name, "0"), inner, x)
    values = ex.evaluate(args.in_, object, item.args_path + ("in",), env) \
        if isinstance(args.in_, str) else args.in_
    if not isinstance(values, (list, tuple)) or not values:
        return ex.error(env, item.args_path + ("in",), f"'in' must give a non-empty list, got {values!r}")
    for i, value in enumerate(values):
        inner = replace(env, scope={**env.scope, args.each: value, args.index: i},
                        names=env.names | {args.each, args.index})
        x = ex.seq(args.do, do_path, ex.namer.part(name, str(i)), inner, x)
    return x

def expand_aux(ex: "Expander", item: Item, name: str, env: Env, x: Value) -> Value:
    """A side branch whose result is an extra network output; the main flow goes on from x."""
    args = ex.validate(L.AuxArgs, item.args if isinstance(item.args, dict) else {"body": item.args},
                         {}, item.args_path, env)
    if args is None or (not args.enabled and not ex.check):
        return x
    y = ex.seq(args.body, item.args_path + ("body",), name, env, x)
    if y.node is not None and y.node != x.node:  # a body that computed nothing is no output
        ex.graph.graph["aux_outputs"].append({"node": y.node, "train_only": args.train_only})
    return x

def expand_merge(ex: "Expander", item: Item, name: str, env: Env, x: Value) -> Value:
    """concat / add / mul of parallel branches, each reading x."""
    branches = item.args
    if not isinstance(branches, list) or len(branches) < 2:
        return ex.error(env, item.args_path, f"'{item.key}' needs a list of at least two branches")
    outs, used = [], set()
    for i, raw in enumerate(branches):
        path = item.args_path + (i,)
        label = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else f"branch{i}"
        if label in used:
            ex.error(env, path + ("name",), f"the branch name '{label}' is used twice")
        used.add(label)
        if isinstance(raw, dict) and "name" in raw:
            raw = {k: v for k, v in raw.items() if k != "name"}
        parsed = ex.parse(raw, path, env)
        if parsed is not None and parsed.when is not None and not ex.check \
                and not ex.evaluate(parsed.when, bool, path + ("when",), env):
            continue  # a branch that does not exist here
        outs.append(ex.item(parsed, ex.namer.part(name, label), env, x) if parsed else POISON)
    if not ex.check and len(outs) < 2:
        return ex.error(env, item.args_path, f"'{item.key}' needs at least two branches, "
                                               f"{len(outs)} remain where their `when:` conditions hold")
    return ex.emit(ex.namer.part(name, item.key), item.key, {}, outs, env, item.args_path)


EXPANDERS = {"concat": expand_merge, "add": expand_merge, "mul": expand_merge, "for": expand_loop,
             "aux": expand_aux, "residual": expand_residual}
