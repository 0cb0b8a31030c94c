"""Typed access to the IR's nodes: `node(graph, name).op`, `.inputs`, `.users`, `.shape`, ...

The graph stores each node's data as a plain dict (it serialises as JSON and networkx's algorithms
work on it); this view gives that data names and types, so readers do not index strings.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import networkx as nx

from ..ops import OPS, OpDef


@dataclass(frozen=True)
class Node:
    """One IR node of a graph, read through typed properties."""

    graph: nx.DiGraph
    name: str

    @property
    def _data(self) -> dict:
        return self.graph.nodes[self.name]

    @property
    def op(self) -> str:
        """The registry name of the op (`conv2d`, `concat`, ...)."""
        return self._data["op"]

    @property
    def opdef(self) -> OpDef:
        """The op's definition in the registry."""
        return OPS[self.op]

    @property
    def attrs(self) -> dict[str, Any]:
        return self._data["attrs"]

    @property
    def inputs(self) -> list[str]:
        """Producers, in argument order (concat order matters; a producer may appear twice)."""
        return self._data["inputs"]

    @property
    def users(self) -> list[str]:
        """Nodes that read this one."""
        return list(self.graph.successors(self.name))

    @property
    def block_use(self) -> str:
        """The innermost block use that produced the node ('' at top level)."""
        return self._data["scope"]

    @property
    def spec_path(self) -> str:
        """The key path of that spec item, as written in messages (`network[3].conv`)."""
        return self._data["src"].get("path", "")

    @property
    def loc(self) -> str:
        """file:line:col of the spec item the node came from."""
        return self._data["src"].get("loc", "")

    @property
    def meta(self) -> dict[str, Any]:
        """Pass results: shape, params, macs, train_only."""
        return self._data["meta"]

    @property
    def init(self) -> dict[str, dict]:
        """{tensor: initialiser record} set by the spec's `init:` (absent tensors keep PyTorch's default)."""
        return self._data.get("init", {})

    @property
    def shape(self) -> tuple[int, ...]:
        """The output shape without the batch dimension: (C, H, W) or (F,)."""
        return tuple(self.meta["shape"])

    @property
    def train_only(self) -> bool:
        return bool(self.meta.get("train_only"))

    @property
    def is_output(self) -> bool:
        return self.name in self.graph.graph["outputs"]


def node(graph: nx.DiGraph, name: str) -> Node:
    """The typed view of one node."""
    if name not in graph:
        raise KeyError(f"no IR node named {name!r}")
    return Node(graph, name)


def nodes(graph: nx.DiGraph) -> Iterator[Node]:
    """Every node, in topological (insertion) order."""
    for name in graph.nodes:
        yield Node(graph, name)
