"""Shape inference with PyTorch's exact output-size arithmetic (see archspec.ops)."""
from __future__ import annotations

import networkx as nx

from ..graph import topological
from ...limits import current as limits
from ...ops import OPS, ShapeError


def infer_node_shape(graph: nx.DiGraph, name: str) -> tuple[int, ...]:
    """Compute and record one node's output shape from its inputs' shapes (raises ShapeError)."""
    data = graph.nodes[name]
    shapes = [graph.nodes[i]["meta"]["shape"] for i in data["inputs"]]
    shape = tuple(OPS[data["op"]].shape(data["attrs"], shapes))
    bound = limits().number
    if max(shape, default=0) > bound:
        raise ShapeError(f"the output would be {'x'.join(f'{d:.3g}' for d in shape)}, a size beyond "
                         f"{bound:.0e} (limit number)")
    data["meta"]["shape"] = shape
    return shape


def infer_shapes(graph: nx.DiGraph) -> nx.DiGraph:
    """Infer every node's shape in topological order."""
    for name in topological(graph):
        infer_node_shape(graph, name)
    return graph
