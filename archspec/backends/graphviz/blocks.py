"""Block-level diagrams: the inside of each distinct block type, conv units as one paper-style node."""
from __future__ import annotations

import math

import graphviz
import networkx as nx

from ...errors import did_you_mean
from ...ir.scopes import exits, external_inputs, scope_tree
from ...analysis.structure import block_names, block_types, BlockType, conv_unit
from ...analysis.shape_text import diagram_shape
from .blocktext import act_note, block_title, default_act, item_text
from .labels import counts_text, fill, FONT, group_tooltip, html, node_tooltip, tip
from .common import add_legend, emit, GREY, nest, new_digraph, Options, order_merge, RenderError, spec_block, UnknownBlock


def collapse(graph: nx.DiGraph, nodes: list[str]) -> dict[str, list[str]]:
    """Diagram items in order: a conv unit X (X.conv, X.bn, X.act) becomes one item X, others stay single."""
    items: dict[str, list[str]] = {}
    for name in nodes:
        items.setdefault(conv_unit(graph, name) or name, []).append(name)
    return items


def wrap(text: str, width: int = 52) -> list[str]:
    """Split text into lines of at most width characters at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _title(graph: nx.DiGraph, bt: BlockType, spec) -> list[tuple[str, int | None, str | None]]:
    title, note = block_title(graph, bt)
    lines = [(title, 13, None)]
    block = spec_block(spec, bt.key)
    if block is not None and block.definition.doc:
        lines += [(line, 10, None) for line in wrap(block.definition.doc)]
    if note:
        lines.append((note, 9, GREY))
    return lines


def draw_orders(spec, graph: nx.DiGraph, first: str) -> dict[str, list[int]]:
    """{merge node: positions left to right} for the block uses in first's subtree whose block has a
    `draw_order:`: the order of the inputs of the use's output merge (its last concat, add or mul)."""
    orders: dict[str, list[int]] = {}
    for scope in scope_tree(graph)[first].walk():
        block = spec_block(spec, scope.key) if scope.kind == "block" else None
        order = list(block.definition.draw_order) if block is not None else []
        merges = [n for n in scope.nodes() if graph.nodes[n]["op"] in ("concat", "add", "mul")]
        if not order or not merges:
            continue
        count = len(graph.nodes[merges[-1]]["inputs"])
        if sorted(order) != list(range(count)):
            where = block.doc.loc(block.path + ("draw_order",))
            raise RenderError(f"{where}: draw_order of block '{scope.key}' must list the positions 0 to "
                              f"{count - 1} of its output merge's {count} inputs once each, got {order}")
        orders[merges[-1]] = order
    return orders


def draw_block(dot: graphviz.Digraph, graph: nx.DiGraph, bt: BlockType, spec, act_default: str | None,
               used: set) -> tuple[str, str]:
    """Draw one block use (its external inputs and output too); return (entry node, exit node) ids."""
    items = collapse(graph, bt.nodes)
    owner = {m: item for item, members in items.items() for m in members}
    tree = scope_tree(graph)
    nested = {s.path for s in tree[bt.first].walk() if s.path != bt.first and s.kind in ("block", "repeat")}
    orders = draw_orders(spec, graph, bt.first)
    block = spec_block(spec, bt.key)
    shapes = block is not None and block.definition.draw_shapes
    sources = external_inputs(graph, bt.nodes)
    for k, producer in enumerate(sources):
        owner[producer] = f"__in{k}__{bt.first}"
        shape = diagram_shape(graph.nodes[producer]["meta"]["shape"])
        dot.node(owner[producer], label=html(("Input", 10, None), (shape, 9, GREY)), shape="ellipse",
                 fillcolor=fill("io"), tooltip=tip(f"input of {bt.first}: {producer}, {shape}"))

    def draw_item(target, item: str, cluster: str) -> None:
        members = items[item]
        text, category, shape_text = item_text(graph, bt, item, members, act_default, shapes)
        used.add(category)
        shape = "circle" if graph.nodes[members[0]]["op"] in ("add", "mul") else "box"
        extra = {"width": "0.3", "fontsize": "14", "margin": "0.02"} if shape == "circle" else {}
        tooltip = "\n\n".join(node_tooltip(graph, m) for m in members)
        if len(members) > 1:
            output = diagram_shape(graph.nodes[members[-1]]["meta"]["shape"])
            parts = " + ".join(tree[item].relative(m) for m in members)
            tooltip = f"{item}: conv unit ({parts}), output {output}\n\n" + tooltip
        label = html((text, None, None), (shape_text, 9, GREY), bold_first=False) if shape_text else text
        target.node(item, label=label, shape=shape, fillcolor=fill(category), tooltip=tip(tooltip), **extra)
        if graph.nodes[members[-1]]["op"] in ("concat", "add", "mul"):
            order_merge(target, graph, members[-1], owner, orders.get(members[-1]))

    def cluster_attrs(path: str) -> dict:
        scope = tree[path]
        if scope.kind == "repeat":
            first = scope.children[0] if scope.children else scope
            title = f"{scope.display or first.display or scope.key} x{scope.count}"
        else:
            title = scope.display or scope.key
        return {"label": title, "style": "dashed,rounded", "color": "#888888", "fontsize": "10",
                "fontcolor": GREY, "labeljust": "l", "tooltip": tip(f"{path}: {scope.key} ({scope.loc})")}

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


def _cluster_label(graph: nx.DiGraph, bt: BlockType, spec) -> str:
    params = sum(graph.nodes[n]["meta"]["params"] for n in bt.nodes)
    macs = sum(graph.nodes[n]["meta"]["macs"] for n in bt.nodes)
    sources = external_inputs(graph, bt.nodes)
    shapes = (f"{diagram_shape(graph.nodes[sources[0]]['meta']['shape'])} -> " if sources else "") + \
        diagram_shape(graph.nodes[exits(graph, bt.nodes)[-1]]["meta"]["shape"])
    first = " (first use)" if bt.widths_vary else ""
    return html(*_title(graph, bt, spec), (f"{shapes}{first} · per use: {counts_text(params, macs)}", 9, GREY))


def chosen_types(graph: nx.DiGraph, block: str | None) -> list[BlockType]:
    """The block types to draw: every outermost one, or those of block `block` (RenderError with a
    did-you-mean when the network uses no block of that name)."""
    if block is None:
        return block_types(graph)
    types = block_types(graph, block)
    if not types:
        names = block_names(graph)
        hint = did_you_mean(block, names)
        raise UnknownBlock(f"the network uses no block named {block!r}" + (f" ({hint})" if hint else "")
                          + (f"; its blocks: {', '.join(names)}" if names else "; it uses no blocks"))
    return types


def block_diagram(spec, graph: nx.DiGraph, options: Options = Options()) -> graphviz.Digraph:
    """One cluster per distinct block type (first use), laid out in a grid, in one diagram (options.block:
    only that block's types)."""
    types = chosen_types(graph, options.block)
    dot = new_digraph(graph, "block", options, nodesep="0.2", ranksep="0.25")
    act_default = default_act(graph)
    used: set = {"io"}
    ends = []
    for i, bt in enumerate(types):
        with dot.subgraph(name=f"cluster_block{i}") as sub:
            extra = [f"uses: {', '.join(bt.uses)}", f"spec: {scope_tree(graph)[bt.first].loc}"]
            sub.attr(label=_cluster_label(graph, bt, spec), labeljust="l", style="rounded",
                     color="#777777", fontname=FONT, margin="12",
                     tooltip=tip(group_tooltip(graph, f"block {bt.key} ({bt.first})", bt.nodes, extra)))
            ends.append(draw_block(sub, graph, bt, spec, act_default, used))
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
    add_legend(dot, graph, "block", sorted(used), act_note(act_default) if "conv" in used else [], options)
    return dot
