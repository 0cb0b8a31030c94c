"""What the optimization passes share: a private copy of a graph to rewrite, removing a node (its readers
read its input instead), rebuilding a graph in a new node order, recounting shapes/params/MACs, and the
tensor recipes.

A recipe says how to compute one tensor of the optimized model from the unoptimized model's state_dict.
It is plain JSON-able data, a nested list evaluated by the backend (archspec.backends.torch.recipes) in
float64:

    ["tensor", node, name]          the unoptimized model's `{node}.{name}`
    ["zeros", n]                    n zeros (the bias of a conv that had none)
    ["bn_weight", r, bn, eps, axis] r times gamma / sqrt(running_var + eps) of batch norm `bn`, along axis
    ["bn_bias", r, bn, eps]         (r - running_mean) * gamma / sqrt(running_var + eps) + beta
    ["mul", r, factor]              r times a constant
    ["cat", [r, ...]]               concatenation along the first dimension

A node of the optimized graph carries `derive` = {tensor: recipe} for the tensors a pass changed; every
other tensor is copied from the node of the same name.
"""
from __future__ import annotations

import copy
from typing import Iterable

import networkx as nx

from ..ir.node import node
from ..ir.passes import count, infer_shapes
from ..ir.scopes import scope_tree


def private_copy(graph: nx.DiGraph) -> nx.DiGraph:
    """A deep copy: a pass never changes the graph it was given."""
    return copy.deepcopy(graph)


def recipe(graph: nx.DiGraph, name: str, tensor: str) -> list:
    """The recipe of a node's tensor so far: a pass's record, else the unoptimized model's tensor (zeros for
    the bias of a conv or linear layer that had none)."""
    derived = graph.nodes[name].get("derive", {})
    if tensor in derived:
        return derived[tensor]
    attrs = node(graph, name).attrs
    if tensor == "bias" and attrs.get("bias") is False:
        return ["zeros", attrs.get("out_ch", attrs.get("out_features"))]
    return ["tensor", name, tensor]


def set_recipe(graph: nx.DiGraph, name: str, tensor: str, value: list) -> None:
    graph.nodes[name].setdefault("derive", {})[tensor] = value


def bypass(graph: nx.DiGraph, name: str) -> None:
    """Remove a one-input node; its readers (and the graph's outputs) read its input instead."""
    (producer,) = set(node(graph, name).inputs)
    for user in list(graph.successors(name)):
        data = graph.nodes[user]
        data["inputs"] = [producer if i == name else i for i in data["inputs"]]
        graph.add_edge(producer, user)
    for key in ("outputs", HANDED_OUT):
        if key in graph.graph:
            graph.graph[key] = [producer if o == name else o for o in graph.graph[key]]
    graph.remove_node(name)


HANDED_OUT = "features_output"  # graph attribute: what forward_features returns (kept up to date by bypass)


def handed_out(graph: nx.DiGraph) -> set[str]:
    """The tensors the model gives its caller: the graph's outputs, and what forward_features returns (the
    head's input, which forward_head is given and must not change). Recorded on the graph the first time."""
    if HANDED_OUT not in graph.graph:
        head = scope_tree(graph).get("head")
        graph.graph[HANDED_OUT] = list(head.inputs()) if head is not None else []
    return set(graph.graph["outputs"]) | set(graph.graph[HANDED_OUT])


def only_reader(graph: nx.DiGraph, producer: str, reader: str) -> bool:
    """Whether reader is the one node that reads producer (once), and producer is not handed out (a graph
    output, or forward_features' result: no fold moves a head op into the network, nothing overwrites it)."""
    return (list(graph.successors(producer)) == [reader] and node(graph, reader).inputs.count(producer) == 1
            and producer not in handed_out(graph))


def rebuild(graph: nx.DiGraph, entries: Iterable[tuple[str, dict]]) -> nx.DiGraph:
    """A new graph with graph's attributes and these (name, data) nodes in this (topological) order; edges
    from each node's inputs."""
    out = nx.DiGraph()
    out.graph.update(graph.graph)
    for name, data in entries:
        out.add_node(name, **data)
        for producer in data["inputs"]:
            out.add_edge(producer, name)
    return out


def recount(graph: nx.DiGraph) -> nx.DiGraph:
    """Shapes, params and MACs of every node again (after attributes changed)."""
    return count(infer_shapes(graph))


def fresh_name(graph: nx.DiGraph, base: str) -> str:
    """base, or base_2, base_3, ...: a name no node or scope has."""
    tree = scope_tree(graph)
    name, n = base, 1
    while name in graph or name in tree:
        n += 1
        name = f"{base}_{n}"
    return name
