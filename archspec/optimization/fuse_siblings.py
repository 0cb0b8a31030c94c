"""Pass 4: fuse sibling convolutions. Convolutions (groups = 1) that read the same tensor with the same
kernel, stride, padding and dilation (the 1x1 convs opening three or four branches of every Inception
block) become one convolution whose weights are theirs stacked, followed by a channel_slice per sibling
that keeps the sibling's name (so its readers, its scope and its module path stay). When every sibling's
one reader is the same activation, the activation runs once on the fused output, before the slices.

Only 1x1 kernels are fused by default: on CPU a 1x1 conv in channels-last is one matrix product, and one
product with the siblings' widths summed beats several narrow ones (docs/optimize.md has the timings).

The fused node sits in the innermost scope holding every sibling, at the first sibling's place. A sibling
whose branch computes something before it (a scope that begins before the first sibling) is left alone,
since its module would have to run before the fused conv exists.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from ..ir.node import node
from ..ir.scopes import Scope, scope_tree
from .rewrite import fresh_name, only_reader, private_copy, rebuild, recipe, recount

KERNELS = ((1, 1),)


@dataclass
class Group:
    members: list[str]  # the sibling convs, in graph order
    acts: list[str]  # each sibling's activation, when they all move before the slices; else empty
    conv: str  # the fused conv's name
    act: str  # the fused activation's name ("" when the activations stay)
    block_use: str  # the `scope` attribute of the new nodes


def _key(graph: nx.DiGraph, name: str, source: str, kernels) -> tuple | None:
    this = node(graph, name)
    attrs = this.attrs
    if (this.op != "conv2d" or attrs["groups"] != 1 or tuple(attrs["kernel"]) not in kernels
            or this.inputs != [source] or name in graph.graph["outputs"]):
        return None
    return tuple(tuple(attrs[k]) for k in ("kernel", "stride", "padding", "dilation"))


def _common_scope(tree, members: list[str]) -> Scope:
    chains = [tree.chain(m) for m in members]
    common = chains[0][0]
    for level in zip(*chains):
        if any(s is not level[0] for s in level):
            break
        common = level[0]
    return common


def _in_order(tree, members: list[str], common: Scope) -> bool:
    """No scope between a sibling and the common scope begins before the first sibling."""
    index = tree.index
    first = index[members[0]]
    for member in members:
        chain = tree.chain(member)
        for scope in chain[chain.index(common) + 1:]:
            if index[scope.nodes()[0]] < first:
                return False
    return True


def _block_use(common: Scope) -> str:
    """The innermost block use holding the common scope, or the scope itself (the new nodes' `scope`)."""
    scope = common
    while scope is not None and scope.kind != "block":
        scope = scope.parent
    return scope.path if scope is not None else ""


def _shared_act(graph: nx.DiGraph, members: list[str]) -> list[str]:
    readers = [list(graph.successors(m)) for m in members]
    if any(len(r) != 1 for r in readers):
        return []
    acts = [r[0] for r in readers]
    first = node(graph, acts[0])
    if first.op != "act" or any(node(graph, a).op != "act" or node(graph, a).attrs != first.attrs for a in acts):
        return []
    return acts if all(only_reader(graph, m, a) for m, a in zip(members, acts)) else []


def plan(graph: nx.DiGraph, kernels=KERNELS) -> list[Group]:
    """The groups of siblings to fuse."""
    tree = scope_tree(graph)
    groups, taken = [], set()
    for source in graph.nodes:
        by_key: dict[tuple, list[str]] = {}
        for user in sorted(graph.successors(source), key=tree.index.__getitem__):
            key = _key(graph, user, source, kernels)
            if key is not None:
                by_key.setdefault(key, []).append(user)
        for members in by_key.values():
            if len(members) < 2:
                continue
            common = _common_scope(tree, members)
            if not _in_order(tree, members, common):
                continue
            acts = _shared_act(graph, members)
            base = f"{common.path}.fused" if common.path else "fused"
            conv = _fresh(graph, f"{base}_conv", taken)
            act = _fresh(graph, f"{base}_act", taken) if acts else ""
            groups.append(Group(members, acts, conv, act, _block_use(common)))
    return groups


def _fresh(graph: nx.DiGraph, base: str, taken: set) -> str:
    name = fresh_name(graph, base)
    n = 1
    while name in taken:
        n += 1
        name = fresh_name(graph, f"{base}{n}")
    taken.add(name)
    return name


def _fused_nodes(graph: nx.DiGraph, group: Group) -> list[tuple[str, dict]]:
    first = graph.nodes[group.members[0]]
    attrs = dict(first["attrs"], out_ch=sum(node(graph, m).attrs["out_ch"] for m in group.members),
                 bias=any(node(graph, m).attrs["bias"] for m in group.members))
    derive = {"weight": ["cat", [recipe(graph, m, "weight") for m in group.members]]}
    if attrs["bias"]:
        derive["bias"] = ["cat", [recipe(graph, m, "bias") for m in group.members]]
    out = [(group.conv, {"op": "conv2d", "attrs": attrs, "inputs": list(first["inputs"]), "src": first["src"],
                         "scope": group.block_use, "meta": {}, "derive": derive})]
    if group.act:
        act = graph.nodes[group.acts[0]]
        out.append((group.act, {"op": "act", "attrs": dict(act["attrs"]), "inputs": [group.conv], "src": act["src"],
                                "scope": group.block_use, "meta": {}}))
    return out


def _slices(graph: nx.DiGraph, group: Group) -> dict[str, tuple[str, dict]]:
    """{replaced node: its channel_slice}: the siblings', or their activations' when those moved."""
    out, start = {}, 0
    replaced = group.acts or group.members
    for member, name in zip(group.members, replaced):
        stop = start + node(graph, member).attrs["out_ch"]
        data = graph.nodes[name]
        out[name] = (name, {"op": "channel_slice", "attrs": {"start": start, "stop": stop},
                            "inputs": [group.act or group.conv], "src": data["src"], "scope": data["scope"],
                            "meta": {}})
        start = stop
    return out


def fuse_siblings(graph: nx.DiGraph, kernels=KERNELS) -> tuple[nx.DiGraph, dict]:
    groups = plan(graph, kernels)
    if not groups:
        return private_copy(graph), {"sibling_groups": 0, "convs_fused": 0, "activations_merged": 0}
    graph = private_copy(graph)
    starts = {g.members[0]: g for g in groups}
    slices, dropped = {}, set()
    for group in groups:
        slices.update(_slices(graph, group))
        if group.acts:
            dropped.update(group.members)
    entries = []
    for name in graph.nodes:
        if name in starts:
            entries += _fused_nodes(graph, starts[name])
        if name in slices:
            entries.append(slices[name])
        elif name not in dropped:
            entries.append((name, graph.nodes[name]))
    fused = rebuild(graph, entries)
    return recount(fused), {"sibling_groups": len(groups), "convs_fused": sum(len(g.members) for g in groups),
                            "activations_merged": sum(len(g.acts) for g in groups)}
