"""Block-level diagrams: the inside of each distinct block type, conv units as one paper-style node."""
from __future__ import annotations

import math

import graphviz
import networkx as nx

from ...ir.scopes import exits, external_inputs, scope_tree
from ...analysis.structure import block_types, BlockType, conv_unit
from ...analysis.shape_text import diagram_shape
from .labels import (act_text, conv_text, counts_text, fill, FONT, group_tooltip, html, node_tooltip,
                     op_category, op_text, tip)
from .common import add_legend, emit, GREY, nest, new_digraph, order_merge


def collapse(graph: nx.DiGraph, nodes: list[str]) -> dict[str, list[str]]:
    """Diagram items in order: a conv unit X (X.conv, X.bn, X.act) becomes one item X, others stay single."""
    items: dict[str, list[str]] = {}
    for name in nodes:
        items.setdefault(conv_unit(graph, name) or name, []).append(name)
    return items


def _mostly_activated(graph: nx.DiGraph) -> bool:
    """True when most conv units end in an activation (then one without is marked 'Linear', as papers do)."""
    units = {conv_unit(graph, n) for n in graph.nodes if graph.nodes[n]["op"] == "conv2d"} - {None}
    with_act = sum(1 for u in units if f"{u}.act" in graph)
    return bool(units) and with_act > len(units) / 2


def item_label(graph: nx.DiGraph, item: str, members: list[str], mark_linear: bool) -> tuple[str, str]:
    """(label text, category) of a diagram item: '1x7 conv, 224', '3x3 MaxPool /2 V', 'Filter concat', ..."""
    conv = next((m for m in members if graph.nodes[m]["op"] == "conv2d"), None)
    if conv is None or len(members) == 1 and item == conv:
        data = graph.nodes[members[0]]
        return op_text(data), op_category(data["op"])
    act = next((graph.nodes[m]["attrs"]["fn"] for m in members if graph.nodes[m]["op"] == "act"), None)
    text = conv_text(graph.nodes[conv]["attrs"], linear=mark_linear and act is None)
    if act not in (None, "relu"):
        text += f", {act_text(act)}"
    return text, "conv"


def uses_text(graph: nx.DiGraph, uses: list[str]) -> str:
    """'mixed_5b, mixed_5c' or 'block35 x10': a repeat group whose every repeat is listed is written as one."""
    tree = scope_tree(graph)
    listed = set(uses)
    parts: list[str] = []
    for use in uses:
        group = tree[use].parent
        whole = group.kind == "repeat" and {c.path for c in group.children} <= listed
        text = f"{group.path} x{group.count}" if whole else use
        if text not in parts:
            parts.append(text)
    return ", ".join(parts[:5]) + (", …" if len(parts) > 5 else "")


def wrap(text: str, width: int = 52) -> list[str]:
    """Split text into lines of at most width characters at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _title(graph: nx.DiGraph, bt: BlockType, ambiguous: bool, spec) -> list[tuple[str, int | None, str | None]]:
    uses = len(bt.uses)
    text = uses_text(graph, bt.uses)
    if scope_tree(graph)[bt.first].kind == "composite":
        title = f"{bt.first} ({bt.key})"
    elif ambiguous:
        title = f"{bt.key} ({text})"
    else:
        title = bt.key + (f" x{uses}" if uses > 1 else "")
    lines = [(title, 13, None)]
    block = getattr(spec, "blocks", {}).get(bt.key) if spec is not None else None
    if block is not None and block.definition.doc:
        lines += [(line, 10, None) for line in wrap(block.definition.doc)]
    if not ambiguous and text not in (bt.first, f"{bt.key} x{uses}"):
        lines.append((f"used as {text}", 9, GREY))
    if bt.widths_vary:
        lines.append((f"uses differ in width: {bt.first}'s shown", 9, GREY))
    return lines


def draw_block(dot: graphviz.Digraph, graph: nx.DiGraph, bt: BlockType, mark_linear: bool,
               used: set) -> tuple[str, str]:
    """Draw one block use (its external inputs and output too); return (entry node, exit node) ids."""
    items = collapse(graph, bt.nodes)
    owner = {m: item for item, members in items.items() for m in members}
    tree = scope_tree(graph)
    nested = {s.path for s in tree[bt.first].walk() if s.path != bt.first and s.kind in ("block", "repeat")}
    sources = external_inputs(graph, bt.nodes)
    for k, producer in enumerate(sources):
        owner[producer] = f"__in{k}__{bt.first}"
        shape = diagram_shape(graph.nodes[producer]["meta"]["shape"])
        dot.node(owner[producer], label=html(("Input", 10, None), (shape, 9, GREY)), shape="ellipse",
                 fillcolor=fill("io"), tooltip=tip(f"input of {bt.first}: {producer}, {shape}"))

    def draw_item(target, item: str, cluster: str) -> None:
        members = items[item]
        text, category = item_label(graph, item, members, mark_linear)
        used.add(category)
        shape = "circle" if graph.nodes[members[0]]["op"] in ("add", "mul") else "box"
        extra = {"width": "0.3", "fontsize": "14", "margin": "0.02"} if shape == "circle" else {}
        tooltip = "\n\n".join(node_tooltip(graph, m) for m in members)
        if len(members) > 1:
            output = diagram_shape(graph.nodes[members[-1]]["meta"]["shape"])
            parts = " + ".join(tree[item].relative(m) for m in members)
            tooltip = f"{item}: conv unit ({parts}), output {output}\n\n" \
                + tooltip
        target.node(item, label=text, shape=shape, fillcolor=fill(category), tooltip=tip(tooltip), **extra)
        if graph.nodes[members[-1]]["op"] in ("concat", "add", "mul"):
            order_merge(target, graph, members[-1], owner)

    def cluster_attrs(path: str) -> dict:
        scope = tree[path]
        title = f"{scope.key} x{scope.count}" if scope.kind == "repeat" else scope.key
        return {"label": title, "style": "dashed,rounded", "color": "#888888", "fontsize": "10",
                "fontcolor": GREY, "labeljust": "l", "tooltip": tip(f"{path}: {title} ({scope.loc})")}

    emit(dot, nest(graph, list(items), nested), "", draw_item, cluster_attrs)
    for item, members in items.items():
        for member in members:
            for producer in graph.nodes[member]["inputs"]:
                if owner[producer] != item:
                    dot.edge(owner[producer], item)
    out = f"__out__{bt.first}"
    final = exits(graph, bt.nodes)[-1]
    shape = diagram_shape(graph.nodes[final]["meta"]["shape"])
    dot.node(out, label=html(("Output", 10, None), (shape, 9, GREY)), shape="ellipse", fillcolor=fill("io"),
             tooltip=tip(f"output of {bt.first}: {final}, {shape}"))
    dot.edge(owner[final], out)
    return (owner[sources[0]] if sources else next(iter(items))), out


def _cluster_label(graph: nx.DiGraph, bt: BlockType, ambiguous: bool, spec) -> str:
    params = sum(graph.nodes[n]["meta"]["params"] for n in bt.nodes)
    macs = sum(graph.nodes[n]["meta"]["macs"] for n in bt.nodes)
    sources = external_inputs(graph, bt.nodes)
    shapes = (f"{diagram_shape(graph.nodes[sources[0]]['meta']['shape'])} -> " if sources else "") + \
        diagram_shape(graph.nodes[exits(graph, bt.nodes)[-1]]["meta"]["shape"])
    return html(*_title(graph, bt, ambiguous, spec), (f"{shapes} · per use: {counts_text(params, macs)}", 9, GREY))


def block_diagram(spec, graph: nx.DiGraph) -> graphviz.Digraph:
    """One cluster per distinct block type (first use), laid out in a grid, in one diagram."""
    dot = new_digraph(graph, "block", nodesep="0.2", ranksep="0.25")
    types = block_types(graph)
    keys = [bt.key for bt in types]
    mark_linear = _mostly_activated(graph)
    used: set = {"io"}
    ends = []
    for i, bt in enumerate(types):
        with dot.subgraph(name=f"cluster_block{i}") as sub:
            extra = [f"uses: {', '.join(bt.uses)}", f"spec: {scope_tree(graph)[bt.first].loc}"]
            sub.attr(label=_cluster_label(graph, bt, keys.count(bt.key) > 1, spec), labeljust="l", style="rounded",
                     color="#777777", fontname=FONT, margin="12",
                     tooltip=tip(group_tooltip(graph, f"block {bt.key} ({bt.first})", bt.nodes, extra)))
            ends.append(draw_block(sub, graph, bt, mark_linear, used))
    columns = max(1, math.ceil(math.sqrt(len(types))))
    for row in range(0, len(ends), columns):  # a grid: each row's inputs level, each row below the last
        with dot.subgraph() as same:
            same.attr(rank="same")
            for entry, _ in ends[row:row + columns]:
                same.node(entry)
        if row:
            for _, exit_ in ends[row - columns:row]:
                dot.edge(exit_, ends[row][0], style="invis", weight="0")
    if not types:
        dot.node("__empty", label="no block uses in this network", shape="plaintext", style="")
    add_legend(dot, graph, "block", sorted(used))
    return dot
