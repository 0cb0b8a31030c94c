"""Analytic parameter and MAC counts per node, without allocating weights."""
from __future__ import annotations

import networkx as nx

from ...ops import OPS


def node_counts(graph: nx.DiGraph, name: str) -> tuple[int, int]:
    """(params, MACs) of one node, from its op, attributes and the shapes around it."""
    data = graph.nodes[name]
    op = OPS[data["op"]]
    inputs = [graph.nodes[i]["meta"]["shape"] for i in data["inputs"]]
    out = data["meta"]["shape"]
    return op.params(data["attrs"], inputs, out), op.macs(data["attrs"], inputs, out)


def count(graph: nx.DiGraph) -> nx.DiGraph:
    """Record meta['params'] and meta['macs'] on every node (shapes must be inferred)."""
    for name in graph.nodes:
        meta = graph.nodes[name]["meta"]
        meta["params"], meta["macs"] = node_counts(graph, name)
    return graph
