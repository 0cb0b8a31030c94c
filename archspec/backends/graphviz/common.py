"""What every diagram shares: graph style, title with totals and legend, writing files, nesting, branch order."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from html import escape
from pathlib import Path

import graphviz
import networkx as nx

from ...analysis.report import totals
from ...atomic import atomic_write
from ...ir.scopes import Scope, scope_tree
from ...analysis.shape_text import DIAGRAM_ORDER, diagram_shape
from .labels import CATEGORIES, FONT, legend_table, short

LEVELS = ("network", "block", "layer")
FORMATS = ("svg", "png", "pdf", "dot")
DIRECTIONS = ("TB", "LR")
GREY = "#555555"
INSTALL_HINT = "install graphviz (e.g. `apt-get install graphviz`)"


def spec_block(spec, key: str):
    """The spec's block `key` (a BlockRef: .definition, .doc, .path), or None (no spec, or no such block)."""
    return getattr(spec, "blocks", {}).get(key) if spec is not None else None


class RenderError(Exception):
    """A diagram cannot be drawn or written (unknown level, format or block, `dot` missing or failing, a
    `draw_order:` that does not fit its block); the message is one line."""


class UnknownBlock(RenderError):
    """A block to draw (--block, block=) that the network does not use: a usage mistake."""


@dataclass(frozen=True)
class Options:
    """How to draw: title (name, values, totals) and legend shown or not, direction TB (top to bottom) or LR,
    block (block level: only the block types of this block name), fold (layer level: one use of each
    structure of a repeat group, marked xN)."""

    title: bool = True
    legend: bool = True
    direction: str = "TB"
    block: str | None = None
    fold: bool = True


def new_digraph(graph: nx.DiGraph, level: str, options: Options, **graph_attrs: str) -> graphviz.Digraph:
    """An empty diagram with the common style; add_legend gives it its label."""
    if options.direction not in DIRECTIONS:
        raise RenderError(f"unknown direction {options.direction!r}: choose from {', '.join(DIRECTIONS)}")
    dot = graphviz.Digraph(name=f"{graph.graph['name']}_{level}")
    attrs = {"rankdir": options.direction, "nodesep": "0.25", "ranksep": "0.3", "newrank": "true", **graph_attrs}
    dot.attr("graph", labelloc="t", fontname=FONT, fontsize="14", **attrs)
    dot.attr("node", shape="box", style="filled,rounded", fontname=FONT, fontsize="11", penwidth="0.8",
             color="#666666", margin="0.12,0.04", height="0.3")
    dot.attr("edge", fontname=FONT, fontsize="9", color="#555555", arrowsize="0.6", fontcolor="#333333")
    return dot


def display_name(graph: nx.DiGraph) -> str:
    """The network's display name: its spec's `label:` with the values in force (`WRN-28-10, B(3,3)`), else
    its name."""
    return graph.graph.get("label") or graph.graph["name"]


def graph_label(graph: nx.DiGraph, level: str, categories: list[str] = (), notes: list[str] = (),
                options: Options = Options()) -> str:
    """The title: the display name, 'name, level level, input HxWxC', the totals with every number labelled
    (params, MACs, FLOPs = 2 x MACs), then the legend: the colours in `categories` and the notes. The shape
    order is stated once, in the legend (in the title when the legend is hidden)."""
    params, macs = totals(graph)
    train = totals(graph, train=True)[1]
    shape = graph.nodes[graph.graph["input"]]["meta"]["shape"]
    order = f"shapes are {DIAGRAM_ORDER.replace('x', ' x ')}"
    rows = []
    if options.title:
        counts = (f"params {params:,} ({short(params)}) · MACs {macs:,} ({short(macs)}) · "
                  f"FLOPs = 2 x MACs {2 * macs:,} ({short(2 * macs)})")
        about = f"{graph.graph['name']}, {level} level, input {diagram_shape(shape)}"
        rows += [f'<font point-size="18"><b>{escape(display_name(graph))}</b></font>',
                 f'<font point-size="11">{escape(about + ("" if options.legend else f" ({order})"))}</font>',
                 f'<font point-size="11">{escape(counts)}</font>']
        if train != macs:
            rows.append(f'<font point-size="10" color="{GREY}">MACs in training, with auxiliary heads: '
                        f'{train:,} ({short(train)})</font>')
    ordered = [c for c in CATEGORIES if c in set(categories)]
    if options.legend and ordered:
        rows.append(legend_table(ordered, note="  (fill colour = kind; " + "; ".join([*notes, order]) + ")"))
    if not rows:
        return ""
    return ('<<table border="0" cellborder="0" cellspacing="2" cellpadding="0">'
            + "".join(f"<tr><td>{row}</td></tr>" for row in rows) + "</table>>")


def add_legend(dot: graphviz.Digraph, graph: nx.DiGraph, level: str, categories: list[str],
               notes: list[str] = (), options: Options = Options()) -> None:
    """Set the diagram's title: name, totals and a legend of the colours in use (what options keep)."""
    label = graph_label(graph, level, categories, notes, options)
    if label:
        dot.attr(label=label)


def diagram_bytes(dot: graphviz.Digraph, fmt: str, what: str = "the diagram") -> bytes:
    """The diagram as fmt: DOT source, or svg/png/pdf drawn by graphviz's `dot` (RenderError when `dot` is
    missing or fails, or fmt is no format)."""
    if fmt not in FORMATS:
        raise RenderError(f"unknown diagram format {fmt!r}: choose from {', '.join(FORMATS)}")
    if fmt == "dot":
        return dot.source.encode("utf-8")
    if shutil.which("dot") is None:
        raise RenderError(f"graphviz's `dot` program is needed for {fmt} output: {INSTALL_HINT}, or write DOT "
                          "source instead (a .dot file; `archspec render --format dot`)")
    try:
        return dot.pipe(format=fmt, quiet=True)  # quiet: dot's 'scaling to fit' notes
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as exc:
        raise RenderError(f"dot failed to render {what}: {str(exc).splitlines()[0]}") from None


def write(dot: graphviz.Digraph, path: Path, fmt: str | None = None, *, atomic: bool = False) -> Path:
    """Write the diagram to path as fmt (default: the file extension); svg/png/pdf need `dot`.
    atomic: through archspec.atomic (build's artifacts: whole or not at all, only over a regular file);
    else a plain write (render's --out, which may be any file the user chose)."""
    fmt = (fmt or path.suffix.lstrip(".") or "svg").lower()
    data = diagram_bytes(dot, fmt, str(path))
    if atomic:
        atomic_write(path, lambda handle: handle.write(data))
    else:
        path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------- nesting and order

def nest(graph: nx.DiGraph, names: list[str], clusters: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Place nodes (or conv-unit scopes) in the nested clusters of their enclosing scopes:
    {cluster: [("cluster"|"node", name), ...]}, root ""."""
    tree: dict[str, list[tuple[str, str]]] = {"": []}
    scopes = scope_tree(graph)
    for name in names:
        parent = ""
        for scope in scopes.enclosing(name):
            if scope.path in clusters:
                if scope.path not in tree:
                    tree[scope.path] = []
                    tree[parent].append(("cluster", scope.path))
                parent = scope.path
        tree[parent].append(("node", name))
    return tree


def emit(dot, tree: dict, key: str, draw_node, cluster_attrs) -> None:
    """Emit tree[key] into dot: nodes through draw_node(dot, name, cluster), clusters as subgraphs."""
    for kind, name in tree[key]:
        if kind == "node":
            draw_node(dot, name, key)
            continue
        with dot.subgraph(name="cluster_" + name) as sub:
            sub.attr(**cluster_attrs(name))
            emit(sub, tree, name, draw_node, cluster_attrs)


def _reaches(graph: nx.DiGraph, source: str, target: str, scope: Scope) -> bool:
    """Whether target reads source, following only nodes inside scope."""
    stack, seen = [target], set()
    while stack:
        node = stack.pop()
        for producer in graph.nodes[node]["inputs"]:
            if producer == source:
                return True
            if scope.contains(producer) and producer not in seen:
                seen.add(producer)
                stack.append(producer)
    return False


def _chain(target, ids: list[str]) -> None:
    """Put ids on one rank, left to right, with invisible edges."""
    ids = list(dict.fromkeys(ids))
    if len(ids) < 2:
        return
    with target.subgraph() as row:
        row.attr(rank="same")
        for a, b in zip(ids, ids[1:]):
            row.edge(a, b, style="invis")


def order_merge(target, graph: nx.DiGraph, merge: str, owner=None, order: list[int] | None = None) -> None:
    """Keep the branches of a concat/add/mul left to right (dot's `ordering` is unreliable inside clusters):
    the branches' last nodes go on one rank, and so do their first nodes, in the order the merge reads them,
    or in `order` (positions among its inputs, a block's `draw_order:`)."""
    scope = scope_tree(graph).scope_of(merge)
    inputs = graph.nodes[merge]["inputs"]
    positions = order if order is not None else range(len(inputs))
    tails = [inputs[i] for i in positions if scope.contains(inputs[i])]
    tails = [t for t in tails if not any(o != t and _reaches(graph, t, o, scope) for o in tails)]
    heads = []
    for tail in tails:  # walk each branch back to its first node
        node = tail
        while graph.nodes[node]["inputs"] and scope.contains(graph.nodes[node]["inputs"][0]):
            node = graph.nodes[node]["inputs"][0]
        heads.append(node)
    ids = (lambda names: [owner[n] if owner else n for n in names])
    tail_ids = ids(tails)
    _chain(target, tail_ids)
    _chain(target, [h for h in ids(heads) if h not in tail_ids])
