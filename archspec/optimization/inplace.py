"""Pass 5: decide which activations and adds overwrite their (first) input, eval mode only (no backward
needs the overwritten value). The backend's training rule (backends.torch.network) also asks that the
producer's backward not read its output; in eval that does not matter, so more activations qualify, and
adds run in place too.

A node may overwrite its input when that input is a tensor the model made for it alone: produced by an op
that returns a new tensor (not a view, not its own input: channel_slice, identity, the identity activation
and flatten are out),
read by this node only, not a graph output, not the network's input (the caller's tensor), and made in
the same block use (so a block called on its own never overwrites the tensor it was given). An add
writes into its first operand, so its result is the same sum in the same order.
"""
from __future__ import annotations

import networkx as nx

from ..ir.node import node
from ..ops.act import FNS
from .rewrite import only_reader, private_copy

FRESH_OUTPUT = frozenset({"conv2d", "conv_transpose2d", "linear", "batchnorm2d", "batchnorm1d", "add", "mul",
                          "concat", "avgpool2d", "maxpool2d", "global_pool", "upsample", "layernorm", "groupnorm",
                          "scale", "act"})


def fresh(graph: nx.DiGraph, name: str) -> bool:
    """Whether the node returns a new tensor: an op of FRESH_OUTPUT, but not the identity activation (it
    returns its input)."""
    this = node(graph, name)
    return this.op in FRESH_OUTPUT and not (this.op == "act" and this.attrs.get("fn") == "identity")


def overwritable(graph: nx.DiGraph, producer: str, reader: str) -> bool:
    """Whether reader may overwrite producer's output (see the module's doc)."""
    return (producer != graph.graph["input"] and fresh(graph, producer)
            and only_reader(graph, producer, reader)
            and node(graph, producer).block_use == node(graph, reader).block_use)


def inplace(graph: nx.DiGraph) -> tuple[nx.DiGraph, dict]:
    graph = private_copy(graph)
    counts = {"activations_in_place": 0, "adds_in_place": 0}
    for name in graph.nodes:
        this = node(graph, name)
        if this.op == "act" and FNS[this.attrs["fn"]].inplace_kwarg:
            key = "activations_in_place"
        elif this.op == "add":
            key = "adds_in_place"
        else:
            continue
        if overwritable(graph, this.inputs[0], name):
            this.attrs["inplace"] = True
            counts[key] += 1
    return graph, counts
