"""Feature taps: which intermediate tensors a backbone returns, and timm's `feature_info` for them.

By default a network has one tap per nominal stride (2, 4, 8, ...): the last node at that stride
through which every path from the input to the main output passes (so it is a whole feature map,
not one branch of a block). A spec may name its own taps (`features:`); a tap named by a block use
or any other scope is that scope's output.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx


class TapError(ValueError):
    """A named feature tap does not exist or is not one tensor."""


@dataclass(frozen=True)
class Tap:
    node: str  # the IR node whose value is returned
    module: str  # the name a user knows it by (a scope path or the node name)
    num_chs: int
    reduction: int


def _is_head(graph: nx.DiGraph, name: str) -> bool:
    return str(graph.nodes[name]["src"].get("path", "")).startswith("head")


def main_path(graph: nx.DiGraph) -> list[str]:
    """Nodes the main output depends on, before the head, in topological order (input excluded)."""
    main = graph.graph["outputs"][0]
    needed = nx.ancestors(graph, main) | {main}
    return [n for n in graph.nodes if n in needed and n != graph.graph["input"] and not _is_head(graph, n)]


def cut_nodes(graph: nx.DiGraph, nodes: list[str]) -> list[str]:
    """The nodes of `nodes` (topologically ordered) that every path through them passes."""
    position = {n: i for i, n in enumerate(nodes)}
    cuts, reach = [], 0
    for i, name in enumerate(nodes):
        if reach <= i:
            cuts.append(name)
        for succ in graph.successors(name):
            if succ in position:
                reach = max(reach, position[succ])
    return cuts


def _reduction(graph: nx.DiGraph, node: str) -> int:
    in_h = graph.nodes[graph.graph["input"]]["meta"]["shape"][1]
    h = graph.nodes[node]["meta"]["shape"][1]
    return 2 ** max(0, round(math.log2(in_h / h)))


def _tap(graph: nx.DiGraph, node: str, module: str) -> Tap:
    return Tap(node, module, graph.nodes[node]["meta"]["shape"][0], _reduction(graph, node))


def default_taps(graph: nx.DiGraph) -> list[Tap]:
    """One tap per nominal stride: the last cut node of the main path with a CxHxW output."""
    last: dict[int, str] = {}
    for name in cut_nodes(graph, main_path(graph)):
        if len(graph.nodes[name]["meta"]["shape"]) == 3:
            last[_reduction(graph, name)] = name
    return [_tap(graph, node, node) for _, node in sorted(last.items())]


def named_taps(graph: nx.DiGraph, names: list[str]) -> list[Tap]:
    """Taps given by node or scope names; raises TapError naming the first bad one."""
    taps = []
    for name in names:
        if name in graph and name != graph.graph["input"]:
            node = name
        else:
            inside = [n for n in graph.nodes if n.startswith(name + ".")]
            if not inside:
                raise TapError(f"no node or block use is named '{name}'")
            members = set(inside)
            leaving = [n for n in inside if n in graph.graph["outputs"]
                       or any(s not in members for s in graph.successors(n))]
            if len(leaving) != 1:
                raise TapError(f"'{name}' hands on {len(leaving)} tensors; name one of its nodes instead")
            node = leaving[0]
        if len(graph.nodes[node]["meta"]["shape"]) != 3:
            raise TapError(f"'{name}' is not a CxHxW feature map")
        taps.append(_tap(graph, node, name))
    return taps


class FeatureInfo(list):
    """timm's feature_info: one dict per tap (num_chs, reduction, module), with accessors."""

    def __init__(self, taps: list[Tap]):
        super().__init__({"num_chs": t.num_chs, "reduction": t.reduction, "module": t.module} for t in taps)

    def channels(self, idx: int | None = None):
        return self._get("num_chs", idx)

    def reduction(self, idx: int | None = None):
        return self._get("reduction", idx)

    def module_name(self, idx: int | None = None):
        return self._get("module", idx)

    def _get(self, key: str, idx: int | None):
        return [info[key] for info in self] if idx is None else self[idx][key]
