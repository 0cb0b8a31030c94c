"""Analytic parameter and MAC counts per node, without allocating weights."""
from __future__ import annotations

import networkx as nx

from ...ops import OPS


def count(graph: nx.DiGraph) -> nx.DiGraph:
    """Record meta['params'] and meta['macs'] on every node (shapes must be inferred)."""
    for name in graph.nodes:
        data = graph.nodes[name]
        op = OPS[data["op"]]
        inputs = [graph.nodes[i]["meta"]["shape"] for i in data["inputs"]]
        out = data["meta"]["shape"]
        data["meta"]["params"] = op.params(data["attrs"], inputs, out)
        data["meta"]["macs"] = op.macs(data["attrs"], inputs, out)
    return graph
