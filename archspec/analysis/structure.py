"""Structure read off the scope tree of a counted IR graph: network-level units, block uses, conv units,
signatures."""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from ..ops import OPS
from ..ir.scopes import Scope, scope_tree, Stage, stages, unfold

Unit = Stage  # a node of the network diagram: a stage, or an item of the head


@dataclass
class BlockType:
    """One distinct block type (block name + structure) and the uses that share it."""

    key: str
    first: str  # the scope path of the first use
    nodes: list[str]  # the first use's nodes, in order
    uses: list[str] = field(default_factory=list)
    widths_vary: bool = False  # uses differ in channel widths (the diagram shows the first use's)


def network_units(graph: nx.DiGraph) -> list[Unit]:
    """The nodes of the network diagram: the stages, with the head (an unrecorded group) split by item."""
    return [unit for stage in stages(graph) for unit in unfold(stage)]


def unit_of(units: list[Unit]) -> dict[str, str]:
    """node name -> the name of the unit holding it."""
    return {node: unit.name for unit in units for node in unit.nodes}


def is_block_like(scope: Scope) -> bool:
    """A block use, or a top-level composite item (an `aux` head, an inline `residual`)."""
    return scope.kind == "block" or scope.kind == "composite" and scope.depth == 1


def outermost_block_uses(graph: nx.DiGraph) -> list[Scope]:
    """Block-like scopes (is_block_like) not nested in another block use (repeat groups do not count), in
    network order; scopes without nodes are left out."""
    out: list[Scope] = []

    def visit(scope: Scope) -> None:
        for child in scope.children:
            if is_block_like(child):
                if child.nodes():
                    out.append(child)
            else:
                visit(child)

    visit(scope_tree(graph).root)
    return out


def conv_unit(graph: nx.DiGraph, name: str) -> str | None:
    """The conv unit X that node X.conv / X.bn / X.act belongs to, or None."""
    scope = scope_tree(graph).scope_of(name)
    return scope.path if scope.kind == "conv" else None


def _node_signature(data: dict, widths: bool) -> tuple:
    attrs = data["attrs"]
    op = OPS[data["op"]]
    skip = op.schedule_attrs + (() if widths else op.width_attrs)
    return (data["op"],) + tuple((k, str(v)) for k, v in sorted(attrs.items()) if k not in skip)


def signature(graph: nx.DiGraph, scope: Scope, widths: bool = False) -> tuple:
    """The structure of a block use: relative names, ops, attributes (channel widths only if widths),
    and the wiring between its nodes."""
    nodes = scope.nodes()
    inside = set(nodes)

    def rel(n: str) -> str:
        return scope.relative(n) if n in inside else "<in>"

    return tuple((rel(n), _node_signature(graph.nodes[n], widths), tuple(rel(i) for i in graph.nodes[n]["inputs"]))
                 for n in nodes)


def block_types(graph: nx.DiGraph, key: str | None = None) -> list[BlockType]:
    """Distinct outermost block types, in order of first use: uses with the same block name and the same
    structure (channel widths aside) share one entry. With key: the uses of block `key` wherever they are
    (inside other blocks too), the outermost of them."""
    if key is None:
        scopes = outermost_block_uses(graph)
    else:
        scopes = [s for s in scope_tree(graph).scopes() if s.kind == "block" and s.key == key and s.nodes()]
        scopes = [s for s in scopes if not any(o is not s and o.contains(s.path) for o in scopes)]
    seen: dict[tuple, BlockType] = {}
    first_widths: dict[tuple, tuple] = {}
    for scope in scopes:
        sig = (scope.key, signature(graph, scope))
        if sig not in seen:
            seen[sig] = BlockType(scope.key, scope.path, scope.nodes())
            first_widths[sig] = signature(graph, scope, widths=True)
        elif not seen[sig].widths_vary:
            seen[sig].widths_vary = signature(graph, scope, widths=True) != first_widths[sig]
        seen[sig].uses.append(scope.path)
    return list(seen.values())


def block_names(graph: nx.DiGraph) -> list[str]:
    """The names of the blocks the network uses (nested ones too), in order of first use."""
    return list(dict.fromkeys(s.key for s in scope_tree(graph).scopes() if s.kind == "block"))
