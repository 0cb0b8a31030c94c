"""The composites other than seq: parallel branches (concat, add, mul), `for` loops, `aux` side
outputs, (from archspec.expand.residual) `residual` and (from archspec.expand.references) `split`. Each is a function of the expander, the syntax-tree
node, its name, env and input; EXPANDERS maps node types to them and is handed to the Expander."""
from __future__ import annotations

from dataclasses import replace

from ..language import schema as L
from .expander import CompositeExpander, Expander
from .references import expand_split, operands
from .residual import expand_residual
from ..limits import current as limits, ITEMS_PER_STEP
from ..language.syntax import Aux, Loop, Merge, Residual, Split
from ..language.walk import Env, POISON, Value


def expand_loop(ex: Expander, node: Loop, name: str, env: Env, x: Value) -> Value:
    """`for: {each: k, in: kernels, do: [...]}`: the items once per element, named name.0, name.1, ..."""
    args = ex.validate(L.ForArgs, node.options, {}, node.key_path, env)
    if args is None:
        return POISON
    values = ex.evaluate(args.in_, object, node.key_path + ("in",), env) if isinstance(args.in_, str) else args.in_
    if isinstance(values, int) and not isinstance(values, bool) and 1 <= values <= limits().repeat:
        values = list(range(values))  # `in: n` counts 0 .. n-1
    if not isinstance(values, (list, tuple)) or not values:
        return ex.error(env, node.key_path + ("in",), f"'in' must give a non-empty list or a count from 1 to "
                                                      f"{limits().repeat:,} (limit repeat), got {values!r}")
    for i, value in enumerate(values):
        ex.spend(env, node.key_path, 1 + len(env.scope) // ITEMS_PER_STEP)  # an iteration, and the scope it copies
        inner = replace(env, scope={**env.scope, args.each: value, args.index: i})
        x = ex.seq(node.do, ex.namer.part(name, str(i)), inner, x)
    return x


def expand_aux(ex: Expander, node: Aux, name: str, env: Env, x: Value) -> Value:
    """A side branch whose result is an extra network output; the main flow goes on from x."""
    args = ex.validate(L.AuxArgs, node.options, {}, node.key_path, env)
    if args is None or not args.enabled:
        return x
    y = ex.seq(node.body, name, env, x)
    if y.node is not None and y.node != x.node:  # a body that computed nothing is no output
        ex.graph.graph["aux_outputs"].append({"node": y.node, "train_only": args.train_only})
    return x


def expand_merge(ex: Expander, node: Merge, name: str, env: Env, x: Value) -> Value:
    """concat / add / mul of parallel branches, each reading x; without branches, of the tensors that
    `from:` read (one of them is passed through)."""
    if not node.branches:
        given = operands(x)
        if len(given) == 1:
            return given[0]
        return ex.emit(ex.namer.part(name, node.key), node.key, {}, given, env, node.key_path)
    outs = []
    for branch in node.branches:
        if branch.item is not None and not ex.holds(branch.item, env):
            continue  # a branch that does not exist here
        outs.append(ex.item(branch.item, ex.namer.part(name, branch.label), env, x) if branch.item else POISON)
    if len(outs) < 2:
        return ex.error(env, node.key_path, f"'{node.key}' needs at least two branches, "
                                            f"{len(outs)} remain where their `when:` conditions hold")
    return ex.emit(ex.namer.part(name, node.key), node.key, {}, outs, env, node.key_path)


EXPANDERS: dict[type, CompositeExpander] = {Merge: expand_merge, Loop: expand_loop, Aux: expand_aux,
                                            Residual: expand_residual, Split: expand_split}
