"""Layer-level diagrams: every primitive op with its shape, params and MACs, in nested clusters of block uses."""
from __future__ import annotations

import graphviz
import networkx as nx

from ..structure import network_units
from .diagram_labels import FONT, op_category, counts_text, fill, group_tooltip, html, hwc, node_tooltip, op_text, tip
from .graphviz_common import GREY, add_legend, emit, nest, new_digraph, order_merge


def _layer_clusters(graph: nx.DiGraph) -> set[str]:
    """Block uses, repeat groups, top-level composites (an aux head) and a box for the head's items."""
    scopes = graph.graph["scopes"]
    clusters = {p for p, s in scopes.items() if s["kind"] in ("block", "repeat")
                or s["kind"] == "item" and s["key"] != "conv" and "." not in p}  # and top-level composites
    for unit in network_units(graph):  # a group that is no scope (the head) was split by item: box it
        top = unit.name.split(".")[0]
        if unit.name != top:
            clusters.add(top)
    return clusters


def layer_diagram(spec, graph: nx.DiGraph) -> graphviz.Digraph:
    """Every primitive op with its shape, params and MACs, in nested clusters of block uses."""
    dot = new_digraph(graph, "layer", ranksep="0.2")
    scopes = graph.graph["scopes"]
    clusters = _layer_clusters(graph)
    members: dict[str, list[str]] = {c: [] for c in clusters}
    for name in graph.nodes:
        parts = name.split(".")
        for depth in range(1, len(parts)):
            prefix = ".".join(parts[:depth])
            if prefix in members:
                members[prefix].append(name)
    used = set()

    def draw_node(target, name: str, cluster: str) -> None:
        data = graph.nodes[name]
        meta = data["meta"]
        category = op_category(data["op"])
        used.add(category)
        rel = name[len(cluster) + 1:] if cluster else name
        detail = " · ".join(filter(None, (rel, hwc(meta["shape"]), counts_text(meta["params"], meta["macs"]))))
        target.node(name, label=html((op_text(data), 11, None), (detail, 9, GREY)), fillcolor=fill(category),
                    style="filled,rounded" + (",dashed" if meta.get("train_only") else ""),
                    tooltip=tip(node_tooltip(graph, name)))
        if data["op"] in ("concat", "add", "mul"):
            order_merge(target, graph, name)

    def cluster_attrs(path: str) -> dict:
        scope = scopes.get(path)
        nodes = members[path]
        params = sum(graph.nodes[n]["meta"]["params"] for n in nodes)
        macs = sum(graph.nodes[n]["meta"]["macs"] for n in nodes)
        if scope is None:
            title = path
        elif scope["kind"] == "repeat":
            title = f"{path}: {scope['key']} x{scope['count']}"
        else:
            title = path if path.rsplit(".", 1)[-1] == scope["key"] else f"{path}: {scope['key']}"
        extra = [f"spec: {scope['loc']}"] if scope and scope.get("loc") else []
        return {"label": html((title, 11, None), (counts_text(params, macs), 9, GREY), left=True),
                "labeljust": "l", "style": "rounded", "color": "#999999", "fontname": FONT,
                "tooltip": tip(group_tooltip(graph, title, nodes, extra))}

    emit(dot, nest(list(graph.nodes), clusters), "", draw_node, cluster_attrs)
    for name in graph.nodes:
        for producer in graph.nodes[name]["inputs"]:
            dot.edge(producer, name)
    add_legend(dot, graph, "layer", list(used), dashed_note=bool(graph.graph.get("aux_outputs")))
    return dot


