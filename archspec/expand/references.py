"""Ids and references when expanding: what an item's `from:` reads, binding its `id:`, and the values
of items with several outputs (`split`, blocks with `inputs:`/`outputs:`).

The checker (archspec.language.checks) has made sure that every reference names an id written before
it in the same block, with parts that can exist; what is left here needs values: an id whose item was
skipped by `when:`, a part of a `$param` block, a `from:` list of the wrong length.
"""
from __future__ import annotations

from typing import Any, Protocol

import networkx as nx

from ..errors import listing, Path
from ..language.syntax import BlockUse, Node, Ref, Split
from ..language.walk import BlockRef, Env, POISON, Value


class Expander(Protocol):
    """What these functions use of archspec.expand.expander.Expander (which imports this module)."""

    graph: nx.DiGraph
    origin: dict

    def error(self, env: Env, path: Path, message: str, hint: str | None = None) -> Value: ...

    def evaluate(self, raw: Any, kind: type, path: Path, env: Env) -> Any: ...

    def emit(self, name: str, op: str, attrs: dict, inputs: list[Value], env: Env, path: Path) -> Value: ...

    def spend(self, env: Env, path: Path, units: int = 1) -> None: ...


def several(values: list[Value], names: list[str] | None = None) -> Value:
    """The value of an item with several outputs, its parts named (default 0, 1, ...)."""
    names = names if names is not None else [str(i) for i in range(len(values))]
    return Value(parts=tuple(zip(names, values)))


def operands(x: Value) -> list[Value]:
    """The tensors of a value: its parts, or itself."""
    return [v for _, v in x.parts] if x.parts else [x]


def describe(x: Value) -> str:
    return listing([name for name, _ in x.parts])


def read_from(ex: Expander, node: Node, env: Env) -> Value:
    """The input of an item with `from:`: one value, or for a list, a value whose parts are the
    tensors read in order (`x*` contributes every binding of x so far)."""
    values: list[Value] = []
    for ref in node.mods.refs:
        got = _resolve(ex, ref, env)
        if got is None:
            return POISON
        values.extend(got)
    ex.spend(env, node.path + ("from",), len(values))  # `x*` reads every binding so far
    if not node.mods.refs_list:
        return values[0]
    if not values:
        return ex.error(env, node.path + ("from",), "`from:` gives no tensors here (no item has bound "
                                                    f"{', '.join(r.text for r in node.mods.refs)} yet)")
    return several(values)


def _resolve(ex: Expander, ref: Ref, env: Env) -> list[Value] | None:
    bound = env.ids.get(ref.id)
    if not bound:
        if ref.every:
            return []
        ex.error(env, ref.path, f"'{ref.id}' has no value here: the item with `id: {ref.id}` was skipped "
                                f"(its `when:` does not hold)")
        return None
    found = []
    for value in bound if ref.every else bound[-1:]:
        if value.node is None and not value.parts:
            return None  # its item failed, and was reported
        part = _part(ex, ref, value, env)
        if part is None or part.poisoned:
            return None  # reported here, or where the value was made
        found.append(part)
    return found


def _part(ex: Expander, ref: Ref, value: Value, env: Env) -> Value | None:
    names = [name for name, _ in value.parts]
    if ref.part is None:
        if value.parts:
            ex.error(env, ref.path, f"'{ref.id}' gives several tensors ({describe(value)})",
                     f"read one of them: `{ref.id}.{names[0]}`")
            return None
        return value
    if not value.parts:
        ex.error(env, ref.path, f"'{ref.id}' gives one tensor and has no part '{ref.part}'",
                 f"read it as `{ref.id}`")
        return None
    part = value.part(ref.part)
    if part is None:
        ex.error(env, ref.path, f"'{ref.id}' has no part '{ref.part}'; its parts are {describe(value)}")
        return None
    return part


def bind(node: Node, env: Env, result: Value) -> None:
    """Record the item's output under its `id:`."""
    if node.mods.id is not None:
        env.ids.setdefault(node.mods.id, []).append(result)


def single(ex: Expander, node: Node, env: Env, x: Value) -> Value:
    """The one tensor an item reads: an error (located at the item) when x has several."""
    if not x.parts:
        return x
    if len(x.parts) == 1:
        return x.parts[0][1]
    if node.mods.refs is not None:
        return ex.error(env, node.mods.refs[0].path, f"'{node.key}' reads one tensor, `from:` gives "
                                                     f"{len(x.parts)}")
    return ex.error(env, node.path, f"the item before gives {len(x.parts)} tensors ({describe(x)})",
                    "say which this item reads with `from:`")


def expand_split(ex: Expander, node: Split, name: str, env: Env, x: Value) -> Value:
    """`split: [a, b, ...]` or `split: N`: channel slices named name.0, name.1, ..."""
    if x.shape is None:
        return POISON
    channels = x.shape[0]
    raw = node.sizes.value
    sizes = ([ex.evaluate(v, int, node.sizes.path + (i,), env) for i, v in enumerate(raw)]
             if isinstance(raw, list) else ex.evaluate(raw, int, node.sizes.path, env))
    if sizes is None or (isinstance(sizes, list) and None in sizes):
        return POISON
    if isinstance(sizes, int) and not isinstance(sizes, bool):
        ex.spend(env, node.sizes.path, max(sizes, 0))  # one op per part: charged before the list is made
        if sizes < 2 or channels % sizes:
            return ex.error(env, node.sizes.path, f"cannot split {channels} channels into {sizes} equal parts",
                            "give the number of parts (at least 2, dividing the channels) or a list of sizes")
        sizes = [channels // sizes] * sizes
    if not isinstance(sizes, list) or len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, int)
                                                            or s < 1 for s in sizes):
        return ex.error(env, node.sizes.path, f"split needs at least two positive whole sizes, got {sizes!r}")
    if sum(sizes) != channels:
        return ex.error(env, node.sizes.path, f"the parts {sizes} add up to {sum(sizes)} channels, "
                                              f"the input has {channels}")
    parts, start = [], 0
    for i, size in enumerate(sizes):
        parts.append(ex.emit(f"{name}.{i}", "channel_slice", {"start": start, "stop": start + size}, [x], env,
                             node.key_path))
        start += size
    return several(parts)


def network_outputs(ex: Expander, declared: list[str], env: Env, last: Value) -> list[str]:
    """The nodes the network returns: those its `outputs:` ids name, or its last item's output."""
    if not declared:
        if last.parts:
            ex.error(env, ("network",), f"the network ends with an item that gives {len(last.parts)} tensors "
                                        f"({describe(last)})", "list what it returns in `outputs:`")
        return [last.node]
    nodes = []
    for i, text in enumerate(declared):
        name, _, part = text.partition(".")
        value = _resolve(ex, Ref(name, part or None, False, ("outputs", i)), env)
        if value:
            nodes.append(value[0].node)
    return nodes


def dead_ends(ex: Expander, returned: list[str]) -> None:
    """Report each item whose output reaches none of the network's outputs (a tensor given an id and
    never read): with `from:` such items can be written, and a model would compute them for nothing."""
    graph = ex.graph
    live = set(returned) | {a["node"] for a in graph.graph["aux_outputs"]}
    todo = list(live)  # one walk back from all the outputs at once: linear in the graph, however many there are
    while todo:
        for producer in graph.pred[todo.pop()]:
            if producer not in live:
                live.add(producer)
                todo.append(producer)
    ends: dict = {}  # item (env, path) -> the ends of dead paths it made, in order
    for name in graph.nodes:
        if name not in live and graph.out_degree(name) == 0:
            env, path = ex.origin[name]
            ends.setdefault((id(env.doc), path), (env, path, []))[2].append(name)
    for env, path, names in ends.values():
        what = names[0] if len(names) == 1 else f"{', '.join(names[:3])}{', ...' if len(names) > 3 else ''}: " \
                                                 f"{len(names):,} tensors"
        ex.error(env, path, f"the output of this item ({what}) reaches none of the network's outputs",
                 "read it with `from:` or list its id in `outputs:`")


def block_inputs(ex: Expander, node: BlockUse, block: BlockRef, env: Env, x: Value) -> dict | None:
    """The ids a block's body starts with: `input`, and the names of its declared `inputs:`."""
    declared = block.definition.inputs
    if not declared:
        x = single(ex, node, env, x)
        return None if x.poisoned else {"input": [x]}
    given = operands(x)
    if len(given) != len(declared):
        at = node.mods.refs[0].path if node.mods.refs else node.path
        ex.error(env, at, f"block '{block.name}' takes {len(declared)} tensors ({listing(declared)}), "
                        f"got {len(given)}", "list them in order with `from: [...]`")
        return None
    if any(v.poisoned for v in given):
        return None
    return {"input": given[:1], **{name: [v] for name, v in zip(declared, given)}}


def block_outputs(ex: Expander, block: BlockRef, inner: Env, out: Value) -> Value:
    """What a block use gives: its last item's output, or the ids its `outputs:` lists."""
    declared = block.definition.outputs
    if not declared or out.poisoned:
        return out
    values = []
    for i, name in enumerate(declared):
        bound = inner.ids.get(name)
        if not bound:
            return ex.error(inner, block.path + ("outputs", i), f"the output '{name}' has no value: the "
                                                              "item with this id was skipped by `when:`")
        if bound[-1].parts:  # a `$param` block of several outputs (the checker cannot know its parts)
            names = listing([part for part, _ in bound[-1].parts])
            return ex.error(inner, block.path + ("outputs", i), f"'{name}' gives several tensors ({names}); "
                                                              "list one id per tensor")
        values.append(bound[-1])
    return values[0] if len(values) == 1 else several(values, list(declared))
