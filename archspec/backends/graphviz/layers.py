"""Layer-level diagrams: every primitive op with its shape, params and MACs, in nested clusters of block uses."""
from __future__ import annotations

import graphviz
import networkx as nx

from ...ir.scopes import Scope, scope_tree, stages, unfold
from ...analysis.structure import is_block_like, signature
from ...analysis.shape_text import diagram_shape
from .labels import counts_text, fill, FONT, group_tooltip, html, node_tooltip, op_category, op_text, tip
from .blocktext import index_range
from .common import add_legend, emit, GREY, nest, new_digraph, Options, order_merge


def _layer_clusters(graph: nx.DiGraph) -> set[str]:
    """Block uses, repeat groups, top-level composites (an aux head) and a box for the head's items."""
    clusters = {s.path for s in scope_tree(graph).scopes() if s.kind in ("block", "repeat") or is_block_like(s)}
    for stage in stages(graph):  # a group that is no scope (the head) is split by item: box it
        if any(unit.name != stage.name for unit in unfold(stage)):
            clusters.add(stage.name)
    return clusters


def folded(graph: nx.DiGraph) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Repeat groups folded: the first repeat of each distinct structure stands for the later repeats of that
    structure (WRN's stage: blocks.0, which projects, and blocks.1 for blocks 1-3). Returns ({hidden node:
    the node drawn for it}, {drawn repeat: the repeats it stands for, itself first})."""
    stand_in: dict[str, str] = {}
    stands_for: dict[str, list[str]] = {}
    for group in scope_tree(graph).scopes():
        if group.kind != "repeat" or any(stand_in.get(n) for n in group.nodes()[:1]):
            continue
        drawn: dict[tuple, Scope] = {}
        for repeat in group.children:
            first = drawn.setdefault(signature(graph, repeat, widths=True), repeat)
            stands_for.setdefault(first.path, []).append(repeat.path)
            if first is not repeat:
                for n in repeat.nodes():
                    stand_in[n] = first.path + n[len(repeat.path):]
    return stand_in, stands_for


def layer_diagram(spec, graph: nx.DiGraph, options: Options = Options()) -> graphviz.Digraph:
    """Every primitive op with its shape, params and MACs, in nested clusters of block uses; with
    options.fold, the later repeats of a repeat group that have the structure of an earlier one are left out
    and the drawn one says how many it stands for."""
    dot = new_digraph(graph, "layer", options, ranksep="0.2")
    tree = scope_tree(graph)
    clusters = _layer_clusters(graph)
    stand_in, stands_for = folded(graph) if options.fold else ({}, {})
    shown = [n for n in graph.nodes if n not in stand_in]
    used = set()

    def draw_node(target, name: str, cluster: str) -> None:
        data = graph.nodes[name]
        meta = data["meta"]
        category = op_category(data["op"])
        used.add(category)
        rel = tree[cluster].relative(name)
        detail = " · ".join(filter(None, (rel, diagram_shape(meta["shape"]), counts_text(meta["params"], meta["macs"]))))
        target.node(name, label=html((op_text(data), 11, None), (detail, 9, GREY)), fillcolor=fill(category),
                    style="filled,rounded" + (",dashed" if meta.get("train_only") else ""),
                    tooltip=tip(node_tooltip(graph, name)))
        if data["op"] in ("concat", "add", "mul"):
            order_merge(target, graph, name)

    def cluster_attrs(path: str) -> dict:
        scope = tree[path]
        nodes = scope.nodes()
        params, macs = scope.params(), scope.macs()
        name = scope.display or scope.key
        if not scope.recorded:
            title = path
        elif scope.kind == "repeat":
            first = scope.children[0].display if scope.children and not scope.in_block else ""
            title = f"{path}: {scope.display or first or scope.key} x{scope.count}"
        else:
            title = path if scope.name == name else f"{path}: {name}"
        lines = [(title, 11, None), (counts_text(params, macs), 9, GREY)]
        many = stands_for.get(path, [path])
        if len(many) > 1:
            lines.append((f"drawn once for {len(many)} repeats: {_repeats(tree, many)} (--unfold draws each)", 9, GREY))
        extra = [f"spec: {scope.loc}"] if scope.loc else []
        return {"label": html(*lines, left=True), "labeljust": "l", "style": "rounded", "color": "#999999",
                "fontname": FONT, "tooltip": tip(group_tooltip(graph, title, nodes, extra))}

    emit(dot, nest(graph, shown, clusters), "", draw_node, cluster_attrs)
    edges = set()
    for name in shown:
        for producer in graph.nodes[name]["inputs"]:
            source = stand_in.get(producer, producer)
            if producer in stand_in and _same_group(tree, source, name):
                continue  # a later repeat feeding the next: inside the folded group, not drawn
            if (source, name) not in edges:
                edges.add((source, name))
                dot.edge(source, name)
    notes = ["dashed = training only"] if graph.graph.get("aux_outputs") else []
    add_legend(dot, graph, "layer", list(used), notes, options)
    return dot


def _repeats(tree, paths: list[str]) -> str:
    """'1-3' (their indices in the group) or the indices listed."""
    indices = [tree[paths[0]].parent.relative(p) for p in paths]
    return index_range(indices) or ", ".join(indices)


def _same_group(tree, a: str, b: str) -> bool:
    """Whether nodes a and b lie in one repeat group."""
    groups = [s for s in tree.enclosing(a) if s.kind == "repeat"]
    return any(g.contains(b) for g in groups)
