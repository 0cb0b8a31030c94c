"""Layer-level diagrams: every primitive op with its shape, params and MACs, in nested clusters of block uses."""
from __future__ import annotations

import graphviz
import networkx as nx

from ...ir.scopes import scope_tree, stages, unfold
from ...analysis.structure import is_block_like
from ...analysis.shape_text import diagram_shape
from .labels import counts_text, fill, FONT, group_tooltip, html, node_tooltip, op_category, op_text, tip
from .common import add_legend, emit, GREY, nest, new_digraph, order_merge


def _layer_clusters(graph: nx.DiGraph) -> set[str]:
    """Block uses, repeat groups, top-level composites (an aux head) and a box for the head's items."""
    clusters = {s.path for s in scope_tree(graph).scopes() if s.kind in ("block", "repeat") or is_block_like(s)}
    for stage in stages(graph):  # a group that is no scope (the head) is split by item: box it
        if any(unit.name != stage.name for unit in unfold(stage)):
            clusters.add(stage.name)
    return clusters


def layer_diagram(spec, graph: nx.DiGraph) -> graphviz.Digraph:
    """Every primitive op with its shape, params and MACs, in nested clusters of block uses."""
    dot = new_digraph(graph, "layer", ranksep="0.2")
    tree = scope_tree(graph)
    clusters = _layer_clusters(graph)
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
        if not scope.recorded:
            title = path
        elif scope.kind == "repeat":
            title = f"{path}: {scope.key} x{scope.count}"
        else:
            title = path if scope.name == scope.key else f"{path}: {scope.key}"
        extra = [f"spec: {scope.loc}"] if scope.loc else []
        return {"label": html((title, 11, None), (counts_text(params, macs), 9, GREY), left=True),
                "labeljust": "l", "style": "rounded", "color": "#999999", "fontname": FONT,
                "tooltip": tip(group_tooltip(graph, title, nodes, extra))}

    emit(dot, nest(graph, list(graph.nodes), clusters), "", draw_node, cluster_attrs)
    for name in graph.nodes:
        for producer in graph.nodes[name]["inputs"]:
            dot.edge(producer, name)
    add_legend(dot, graph, "layer", list(used), dashed_note=bool(graph.graph.get("aux_outputs")))
    return dot


