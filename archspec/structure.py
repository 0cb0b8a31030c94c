"""Structure read off a counted IR graph: network-level units, block uses, conv units, signatures."""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from .ops import OPS
from .report import top_level_groups

UNIT_PARTS = ("conv", "bn", "act")


@dataclass
class Unit:
    """A group of consecutive nodes shown as one: a top-level block use, repeat group, layer or head item."""

    name: str
    nodes: list[str]
    scope: dict | None = None  # graph.graph["scopes"][name], if the group is a scope

    @property
    def kind(self) -> str:
        return self.scope["kind"] if self.scope else "node"

    @property
    def key(self) -> str:
        return self.scope["key"] if self.scope else ""


@dataclass
class BlockType:
    """One distinct block type (block name + structure) and the uses that share it."""

    key: str
    first: str  # the scope path of the first use
    nodes: list[str]  # the first use's nodes, in order
    uses: list[str] = field(default_factory=list)
    widths_vary: bool = False  # uses differ in channel widths (the diagram shows the first use's)


def segments(name: str) -> list[str]:
    return name.split(".")


def network_units(graph: nx.DiGraph) -> list[Unit]:
    """Top-level units in network order; a top-level group that is no scope (the head) is split by item."""
    scopes = graph.graph["scopes"]
    groups = top_level_groups(graph)
    units: list[Unit] = []
    for top, names in groups.items():
        if top in scopes or len(names) == 1 or names == [top]:
            units.append(Unit(top, names, scopes.get(top)))
            continue
        parts: dict[str, list[str]] = {}
        for name in names:
            parts.setdefault(".".join(segments(name)[:2]), []).append(name)
        units.extend(Unit(key, part, scopes.get(key)) for key, part in parts.items())
    return units


def unit_of(units: list[Unit]) -> dict[str, str]:
    """node name -> the name of the unit holding it."""
    return {node: unit.name for unit in units for node in unit.nodes}


def outermost_block_uses(graph: nx.DiGraph) -> dict[str, list[str]]:
    """Block uses not nested in another block use (repeat groups do not count), with their nodes; a
    top-level composite item (an `aux` head, an inline `residual`) counts as a block use too."""
    scopes = graph.graph["scopes"]
    blocks = {path for path, scope in scopes.items()
              if scope["kind"] == "block" or scope["kind"] == "item" and scope["key"] != "conv" and "." not in path}
    out: dict[str, list[str]] = {}
    for name in graph.nodes:
        parts = segments(name)
        for depth in range(1, len(parts)):
            prefix = ".".join(parts[:depth])
            if prefix in blocks:
                out.setdefault(prefix, []).append(name)
                break
    return out


def conv_unit(graph: nx.DiGraph, name: str) -> str | None:
    """The conv unit X that node X.conv / X.bn / X.act belongs to, or None."""
    head, _, tail = name.rpartition(".")
    scope = graph.graph["scopes"].get(head)
    if tail in UNIT_PARTS and scope is not None and scope["kind"] == "item" and scope["key"] == "conv":
        return head
    return None


def _node_signature(data: dict, widths: bool) -> tuple:
    attrs = data["attrs"]
    skip = () if widths else OPS[data["op"]].width_attrs
    return (data["op"],) + tuple((k, str(v)) for k, v in sorted(attrs.items()) if k not in skip)


def signature(graph: nx.DiGraph, prefix: str, nodes: list[str], widths: bool = False) -> tuple:
    """The structure of a block use: relative names, ops, attributes (channel widths only if widths),
    and the wiring between its nodes."""
    inside = set(nodes)
    cut = len(prefix) + 1

    def rel(n: str) -> str:
        return n[cut:] if n in inside else "<in>"

    return tuple((rel(n), _node_signature(graph.nodes[n], widths), tuple(rel(i) for i in graph.nodes[n]["inputs"]))
                 for n in nodes)


def block_types(graph: nx.DiGraph) -> list[BlockType]:
    """Distinct outermost block types, in order of first use: uses with the same block name and the same
    structure (channel widths aside) share one entry."""
    scopes = graph.graph["scopes"]
    seen: dict[tuple, BlockType] = {}
    first_widths: dict[tuple, tuple] = {}
    for path, nodes in outermost_block_uses(graph).items():
        key = scopes[path]["key"]
        sig = (key, signature(graph, path, nodes))
        if sig not in seen:
            seen[sig] = BlockType(key, path, nodes)
            first_widths[sig] = signature(graph, path, nodes, widths=True)
        elif not seen[sig].widths_vary:
            seen[sig].widths_vary = signature(graph, path, nodes, widths=True) != first_widths[sig]
        seen[sig].uses.append(path)
    return list(seen.values())


def external_inputs(graph: nx.DiGraph, nodes: list[str]) -> list[str]:
    """Producers outside `nodes` that nodes in it read, in order of first reading."""
    inside = set(nodes)
    out: list[str] = []
    for n in nodes:
        for i in graph.nodes[n]["inputs"]:
            if i not in inside and i not in out:
                out.append(i)
    return out


def exits(graph: nx.DiGraph, nodes: list[str]) -> list[str]:
    """Nodes of `nodes` read from outside it, or that are graph outputs (the last node if none)."""
    inside = set(nodes)
    outputs = set(graph.graph["outputs"])
    found = [n for n in nodes if n in outputs or any(s not in inside for s in graph.successors(n))]
    return found or nodes[-1:]
