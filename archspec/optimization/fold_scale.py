"""Pass 3: fold a constant scale (Inception-ResNet's residual scaling: up-projection conv -> scale -> add)
into the convolution or linear layer that produces it, where the scale is its one reader:
(W x + b) * f = (f W) x + f b."""
from __future__ import annotations

import networkx as nx

from ..ir.node import node
from .rewrite import bypass, only_reader, private_copy, recipe, recount, set_recipe

FOLDS_INTO = ("conv2d", "conv_transpose2d", "linear")


def fold_scale(graph: nx.DiGraph) -> tuple[nx.DiGraph, dict]:
    graph = private_copy(graph)
    folded = 0
    for name in list(graph.nodes):
        this = node(graph, name)
        if this.op != "scale":
            continue
        (producer,) = this.inputs
        if node(graph, producer).op not in FOLDS_INTO or not only_reader(graph, producer, name):
            continue
        factor = this.attrs["factor"]
        set_recipe(graph, producer, "weight", ["mul", recipe(graph, producer, "weight"), factor])
        if node(graph, producer).attrs.get("bias"):
            set_recipe(graph, producer, "bias", ["mul", recipe(graph, producer, "bias"), factor])
        bypass(graph, name)
        folded += 1
    return recount(graph), {"scales_folded": folded}
