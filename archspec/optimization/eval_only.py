"""Pass 1: drop what eval mode never runs. Nodes only training computes (auxiliary heads, marked
meta["train_only"] by ir.passes.liveness) go, with the outputs they give; dropout and drop-path, the
identity in eval, are bypassed (their readers read their input)."""
from __future__ import annotations

import networkx as nx

from ..ir.node import node
from .rewrite import bypass, private_copy

IDENTITY_IN_EVAL = ("dropout", "drop_path")


def eval_only(graph: nx.DiGraph) -> tuple[nx.DiGraph, dict]:
    graph = private_copy(graph)
    train_only = [n for n in graph.nodes if node(graph, n).train_only]
    graph.remove_nodes_from(train_only)
    gone = set(train_only)
    graph.graph["outputs"] = [o for o in graph.graph["outputs"] if o not in gone]
    graph.graph["aux_outputs"] = [a for a in graph.graph.get("aux_outputs", []) if a["node"] not in gone]
    bypassed = {op: 0 for op in IDENTITY_IN_EVAL}
    for name in list(graph.nodes):
        this = node(graph, name)
        # kept when its input is the network's input: the model must not return the caller's tensor
        if this.op in IDENTITY_IN_EVAL and this.inputs[0] != graph.graph["input"]:
            bypassed[this.op] += 1
            bypass(graph, name)
    return graph, {"train_only_nodes": len(train_only), "dropouts": bypassed["dropout"],
                   "drop_paths": bypassed["drop_path"]}
