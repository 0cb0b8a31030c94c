"""Pass 2: fold a batch norm into the convolution before it. In eval a BatchNorm2d is y = x * s + t per
channel (s = gamma / sqrt(running_var + eps), t = beta - running_mean * s), so conv -> bn is one conv with
weight W * s (per output channel) and bias (b - running_mean) * s + beta. Only where the batch norm is the
conv's one reader (else the conv's own output is still needed) and, for a transposed conv, groups = 1."""
from __future__ import annotations

import networkx as nx

from ..ir.node import node
from .rewrite import bypass, only_reader, private_copy, recipe, recount, set_recipe

# op -> the axis of its weight that indexes output channels
FOLDS_INTO = {"conv2d": 0, "conv_transpose2d": 1}


def foldable(graph: nx.DiGraph, bn: str) -> str | None:
    """The conv a batch norm folds into, or None."""
    this = node(graph, bn)
    if this.op != "batchnorm2d":
        return None
    (conv,) = this.inputs
    producer = node(graph, conv)
    if producer.op not in FOLDS_INTO or not only_reader(graph, conv, bn):
        return None
    if producer.op == "conv_transpose2d" and producer.attrs.get("groups", 1) != 1:
        return None
    return conv


def fold_bn(graph: nx.DiGraph) -> tuple[nx.DiGraph, dict]:
    graph = private_copy(graph)
    folded = 0
    for bn in list(graph.nodes):
        conv = foldable(graph, bn)
        if conv is None:
            continue
        eps, axis = node(graph, bn).attrs["eps"], FOLDS_INTO[node(graph, conv).op]
        set_recipe(graph, conv, "weight", ["bn_weight", recipe(graph, conv, "weight"), bn, eps, axis])
        set_recipe(graph, conv, "bias", ["bn_bias", recipe(graph, conv, "bias"), bn, eps])
        node(graph, conv).attrs["bias"] = True
        bypass(graph, bn)
        folded += 1
    return recount(graph), {"batchnorms_folded": folded}
