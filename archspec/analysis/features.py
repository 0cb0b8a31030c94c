"""Feature taps: which intermediate tensors a backbone returns (read off the IR).

By default a network that returns several feature maps is tapped at those maps; any other has one
tap per nominal stride (2, 4, 8, ...: the product of the strides from
the input): the output of the last stage at that stride or, inside a stem, the last node there
through which every path from the input to the main output passes (so it is a whole feature map,
not one branch of a block). A spec may name its own taps (`features:`); a tap named by a block use
or any other scope is that scope's output.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import networkx as nx

from ..errors import Diagnostic, DiagnosticSink, did_you_mean
from ..ir.node import node, nodes
from ..ir.scopes import scope_tree


class TapError(ValueError):
    """A named feature tap does not exist or is not one tensor."""


@dataclass(frozen=True)
class Tap:
    node: str  # the IR node whose value is returned
    module: str  # the name a user knows it by (a scope path or the node name)
    num_chs: int
    reduction: int | float  # a fraction where a decoder upsampled past its input's resolution


def main_path(graph: nx.DiGraph) -> list[str]:
    """Nodes the main output depends on, before the head, in topological order (input excluded)."""
    main = graph.graph["outputs"][0]
    needed = nx.ancestors(graph, main) | {main}
    head = scope_tree(graph).get("head")
    needed -= set(head.nodes()) if head is not None and head.kind == "head" else set()
    return [n for n in graph.nodes if n in needed and n != graph.graph["input"]]


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


def strides(graph: nx.DiGraph) -> dict[str, Fraction]:
    """The nominal stride of every node's output: the product of its ops' strides (OpDef.stride: below
    1 for upsampling) on its way from the input (the largest over its inputs where branches differ)."""
    out: dict[str, Fraction] = {}
    for this in nodes(graph):
        before = max((out[i] for i in this.inputs), default=Fraction(1))
        shapes = [node(graph, i).shape for i in this.inputs]
        out[this.name] = before * this.opdef.stride(this.attrs, shapes, this.shape)
    return out


def _tap(graph: nx.DiGraph, name: str, module: str, reduction: dict[str, Fraction]) -> Tap:
    stride = reduction[name]
    return Tap(name, module, node(graph, name).shape[0], int(stride) if stride.denominator == 1 else float(stride))


def default_taps(graph: nx.DiGraph) -> list[Tap]:
    """One tap per nominal stride: the output of the last stage (a top-level item) at that stride,
    or, where no stage ends at it (inside a stem), the last cut node of the main path there. A tap is
    known by the outermost scope whose only output it is (`inception_a` rather than its last concat).
    Preferring stage outputs keeps pre-activation nets' taps at the end of a stage, not at the
    normalised input of the next one. A network that returns several feature maps (`outputs:`, an
    FPN's levels) is tapped at those maps, in the order it returns them."""
    reduction = strides(graph)
    aux = {a["node"] for a in graph.graph.get("aux_outputs", [])}
    returned = [o for o in graph.graph["outputs"] if o not in aux]
    if len(returned) > 1 and all(len(node(graph, o).shape) == 3 for o in returned):
        return [_tap(graph, o, _outermost_scope(graph, o), reduction) for o in returned]
    root = scope_tree(graph).root
    stage_ends = set(root.own_nodes)  # a top-level layer is a stage of its own
    for stage in root.children:
        ends = stage.outputs()
        if len(ends) == 1:
            stage_ends.add(ends[0])
    last: dict[int, str] = {}
    last_stage: dict[int, str] = {}
    for name in cut_nodes(graph, main_path(graph)):
        if len(node(graph, name).shape) == 3:
            last[reduction[name]] = name
            if name in stage_ends:
                last_stage[reduction[name]] = name
    chosen = {stride: last_stage.get(stride, name) for stride, name in last.items()}
    return [_tap(graph, tapped, _outermost_scope(graph, tapped), reduction) for _, tapped in sorted(chosen.items())]


def spec_taps(graph: nx.DiGraph) -> list[Tap]:
    """The spec's `features:` taps where it names them, else one per stride (default_taps)."""
    names = graph.graph.get("feature_taps")
    return named_taps(graph, names) if names else default_taps(graph)


def _outermost_scope(graph: nx.DiGraph, name: str) -> str:
    for scope in scope_tree(graph).enclosing(name):  # outermost first
        if scope.outputs() == [name]:
            return scope.path
    return name


def check_taps(graph: nx.DiGraph, names: list[str], loc) -> None:
    """A spec's `features:` (`loc(path)` locates its entries): each name must be one CxHxW tensor of the
    built graph and listed once; SpecError with every mistake. Linear in the names and the graph."""
    sink = DiagnosticSink()
    known = {s.path for s in scope_tree(graph).scopes() if s.path} | set(graph.nodes)
    others, reduction, seen = known - {graph.graph["input"]}, strides(graph), set()
    for i, name in enumerate(names):
        where = loc(("features", i)), ("features", i)
        if name in seen:
            sink.add(Diagnostic(f"'{name}' is listed twice", *where))
            continue
        seen.add(name)
        try:
            named_taps(graph, [name], reduction)
        except TapError as exc:
            sink.add(Diagnostic(str(exc), *where, None if name in known else did_you_mean(name, others)))
    sink.raise_if_any()


def named_taps(graph: nx.DiGraph, names: list[str], reduction: dict | None = None) -> list[Tap]:
    """Taps given by node or scope names; raises TapError naming the first bad one (reduction: the
    graph's strides, when the caller has them)."""
    taps, reduction = [], strides(graph) if reduction is None else reduction
    for name in names:
        if name == graph.graph["input"]:
            raise TapError("the network input is not a feature map of the network; name a layer or block")
        if name in graph:
            tap_node = name
        else:
            scope = scope_tree(graph).get(name)
            if scope is None or not scope.nodes():
                raise TapError(f"no node or block use is named '{name}'")
            leaving = scope.outputs()
            if len(leaving) != 1:
                raise TapError(f"'{name}' hands on {len(leaving)} tensors; name one of its nodes instead")
            tap_node = leaving[0]
        if len(node(graph, tap_node).shape) != 3:
            raise TapError(f"'{name}' is not a CxHxW feature map")
        taps.append(_tap(graph, tap_node, name, reduction))
    return taps
