"""How the IR's nodes group into nested modules, and what flows between them.

Every scope of the IR's scope tree is a container module (`inception_a`, `inception_a.2`,
`inception_a.2.branch1`); every node is a leaf module at its own name. For each container this
module lists its children in spec order and, for each child (a *unit*), the values it reads from
outside itself and the values it hands back out. That is all the code generator needs to write
one `forward` per container, for any DAG, including containers with several inputs or outputs
(feature taps, auxiliary heads).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from ...ir.node import node
from ...ir.scopes import Scope, scope_tree


@dataclass
class Unit:
    """A child of a container: a leaf node or a nested container, with its data flow."""

    path: str  # full dotted path ("" for the root)
    local: str  # the attribute name under its parent
    leaf: bool
    inputs: list[str] = field(default_factory=list)  # producer node names read from outside, in order
    outputs: list[str] = field(default_factory=list)  # node names read outside (or returned), in order
    children: list["Unit"] = field(default_factory=list)
    train_only: bool = False  # every node below runs only in training (auxiliary heads)
    kind: str = ""  # the scope's kind (block, repeat, composite, conv, head, group); "" for a leaf
    key: str = ""  # the block name or composite op of the scope


def module_layout(graph: nx.DiGraph) -> Unit:
    """The unit tree of a graph whose forward returns the graph's outputs.

    Scopes come from the IR's scope tree; the graph's input node is the root's only input and has
    no module; a scope whose items were all skipped (`when: false`) has none either."""
    tree = scope_tree(graph)
    returned = list(graph.graph["outputs"])
    root = Unit("", "", leaf=False, inputs=[graph.graph["input"]], outputs=returned, kind="network")
    _fill(root, tree.root, graph, set(returned))
    _mark_train_only(root, graph)
    return root


def _fill(unit: Unit, scope: Scope, graph: nx.DiGraph, returned: set[str]) -> None:
    for item in scope.items:
        if isinstance(item, Scope):
            if not item.nodes():
                continue
            child = Unit(item.path, item.name, leaf=False, inputs=item.inputs(), outputs=item.outputs(),
                         kind=item.kind, key=item.key)
            _fill(child, item, graph, returned)
        elif item == graph.graph["input"]:
            continue
        else:
            read = item in returned or graph.out_degree(item) > 0
            child = Unit(item, scope.relative(item), leaf=True,
                         inputs=list(dict.fromkeys(node(graph, item).inputs)), outputs=[item] if read else [])
        unit.children.append(child)


def _mark_train_only(unit: Unit, graph: nx.DiGraph) -> bool:
    if unit.leaf:
        unit.train_only = node(graph, unit.path).train_only
    else:
        flags = [_mark_train_only(child, graph) for child in unit.children]
        unit.train_only = bool(flags) and all(flags)
    return unit.train_only

