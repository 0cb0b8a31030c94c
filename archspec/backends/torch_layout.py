"""How the IR's nodes group into nested modules, and what flows between them.

Every dotted prefix of a node name is a container module (`inception_a`, `inception_a.2`,
`inception_a.2.branch1`); every node is a leaf module at its own name. For each container this
module works out its children in spec order and, for each child (a *unit*), the values it reads
from outside itself and the values it hands back out. That is all the code generator needs to write
one `forward` per container, for any DAG, including containers with several inputs or outputs
(feature taps, auxiliary heads).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx


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


def _prefixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def module_layout(graph: nx.DiGraph, returned: list[str]) -> Unit:
    """The unit tree of a graph whose forward returns `returned` (node names).

    The graph's input node is the root's only input; it has no module."""
    input_node = graph.graph["input"]
    order = {name: i for i, name in enumerate(graph.nodes)}
    root = Unit("", "", leaf=False, inputs=[input_node], outputs=list(returned))
    units: dict[str, Unit] = {"": root}
    for name in graph.nodes:
        if name == input_node:
            continue
        parent = root
        for prefix in _prefixes(name) + [name]:
            unit = units.get(prefix)
            if unit is None:
                unit = units[prefix] = Unit(prefix, prefix.rsplit(".", 1)[-1], leaf=prefix == name)
                parent.children.append(unit)
            parent = unit
    inputs: dict[str, set[str]] = {p: set() for p in units}
    outputs: dict[str, set[str]] = {p: set() for p in units}
    for producer, consumer in graph.edges:
        _cross(producer, consumer, inputs, outputs, input_node)
    for name in returned:
        for unit_path in _prefixes(name) + [name]:
            outputs[unit_path].add(name)
    for path, unit in units.items():
        if path:
            unit.inputs = sorted(inputs[path], key=order.__getitem__)
            unit.outputs = sorted(outputs[path], key=order.__getitem__)
    _mark_train_only(root, graph)
    return root


def _cross(producer: str, consumer: str, inputs: dict, outputs: dict, input_node: str) -> None:
    """Record an edge on every unit boundary it crosses."""
    up = set(_prefixes(producer) + [producer]) if producer != input_node else set()
    down = set(_prefixes(consumer) + [consumer])
    for path in up - down:
        outputs[path].add(producer)
    for path in down - up:
        inputs[path].add(producer)


def _mark_train_only(unit: Unit, graph: nx.DiGraph) -> bool:
    if unit.leaf:
        unit.train_only = bool(graph.nodes[unit.path]["meta"].get("train_only"))
    else:
        flags = [_mark_train_only(child, graph) for child in unit.children]
        unit.train_only = bool(flags) and all(flags)
    return unit.train_only


def walk(unit: Unit):
    """Every unit below and including `unit`, parents first."""
    yield unit
    for child in unit.children:
        yield from walk(child)
