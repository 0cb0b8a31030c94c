"""Diagrams of a counted IR graph as graphviz DOT (network level here; block and layer level in their own
modules), the entry point `render` and `Diagram` (what archspec.render returns); `write` turns one into
svg/png/pdf/dot."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import graphviz
import networkx as nx

from ...analysis.report import totals
from ...ir.scopes import external_inputs
from ...analysis.structure import network_units, Unit, unit_of
from ...analysis.shape_text import diagram_shape
from .labels import (conv_text, counts_text, fill, group_tooltip, html, node_tooltip, op_category, op_text,
                     tip)
from .blocks import block_diagram
from .common import (add_legend, diagram_bytes, DIRECTIONS, FORMATS, GREY, INSTALL_HINT, LEVELS, new_digraph, Options,
                     RenderError, spec_block, UnknownBlock, write)
from .layers import layer_diagram
from .paths import relative_paths

__all__ = ["DIRECTIONS", "Diagram", "FORMATS", "INSTALL_HINT", "LEVELS", "Options", "RenderError", "UnknownBlock",
           "block_diagram", "layer_diagram", "network_diagram", "render", "write"]


def _unit_category(graph: nx.DiGraph, unit: Unit) -> str:
    ops = {graph.nodes[n]["op"] for n in unit.nodes}
    if unit.kind == "conv":
        return "conv"
    if len(unit.nodes) == 1:
        return op_category(graph.nodes[unit.nodes[0]]["op"])
    if "add" in ops or "mul" in ops:
        return "res_block"
    return "branch_block" if "concat" in ops else "seq_block"


def _unit_text(graph: nx.DiGraph, unit: Unit) -> tuple[str, str]:
    """(title, subtitle) of a network-level node."""
    name = unit.name
    if unit.kind == "block":
        title = unit.scope.display or unit.scope.label
    elif unit.kind == "repeat":
        scope = unit.scope
        first = scope.children[0].display if scope.children and not scope.in_block else ""
        title = scope.display or (f"{first} x{scope.count}" if first else scope.label)
    elif unit.kind == "conv":
        conv = next((n for n in unit.scope.own_nodes if graph.nodes[n]["op"] == "conv2d"), None)
        title = conv_text(graph.nodes[conv]["attrs"]) if conv else name
    elif unit.kind == "composite":
        return name, "auxiliary head (training only)" if unit.key == "aux" else unit.key
    else:
        title = op_text(graph.nodes[unit.nodes[0]])
    plain = title in (unit.key, unit.scope.label if unit.scope is not None else unit.key)  # no display name
    return title, "" if name == title or (name == unit.key and plain) else name


def _clip(text: str, width: int = 46) -> str:
    return text if len(text) <= width else text[:width - 1].rsplit(" ", 1)[0] + " …"


def _train_only(graph: nx.DiGraph, nodes: list[str]) -> bool:
    return all(graph.nodes[n]["meta"].get("train_only") for n in nodes)


def _unit_node(spec, graph: nx.DiGraph, unit: Unit, show_doc: bool, total_macs: int) -> tuple[str, str]:
    """(label, tooltip) of a network-level node: title, use name, the block's doc, params and MACs."""
    title, subtitle = _unit_text(graph, unit)
    block = spec_block(spec, unit.key) if unit.kind in ("block", "repeat") else None
    doc = (block.definition.doc or "") if block is not None else ""
    params = sum(graph.nodes[n]["meta"]["params"] for n in unit.nodes)
    macs = sum(graph.nodes[n]["meta"]["macs"] for n in unit.nodes)
    lines = [(title, 12, None)] + [(subtitle, 10, None)] * bool(subtitle)
    lines += [(_clip(doc), 9, GREY)] * bool(doc and show_doc)
    lines += [(counts_text(params, macs), 9, GREY)] * bool(params or macs)
    what = "block" if unit.kind in ("block", "repeat") else "item"
    extra = [f"{what}: {unit.key}" + (f" x{unit.count}" if unit.kind == "repeat" else "")] * bool(unit.key)
    extra += [f"doc: {doc}"] * bool(doc)
    if unit.kind != "node" and unit.scope.loc:
        extra.append(f"spec: {unit.scope.loc}")
    elif len(unit.nodes) == 1:
        extra.append(f"spec: {graph.nodes[unit.nodes[0]]['src'].get('loc', '')}")
    if block is not None:
        extra.append(f"block defined at: {block.doc.loc(block.path, key=True)}")
    extra.append(f"share of MACs: {100 * macs / (total_macs or 1):.1f} %")
    details = [node_tooltip(graph, n) for n in unit.nodes] if len(unit.nodes) <= 3 else []  # a layer: its ops
    return html(*lines), tip("\n\n".join([group_tooltip(graph, unit.name, unit.nodes, extra), *details]))


def network_diagram(spec, graph: nx.DiGraph, options: Options = Options()) -> graphviz.Digraph:
    """One node per top-level block use (repeats folded, 'Inception-A x4'), edges labelled HxWxC."""
    dot = new_digraph(graph, "network", options)
    units = network_units(graph)
    owner = unit_of(units)
    inp = graph.graph["input"]
    owner[inp] = inp
    total_macs = totals(graph)[1]
    dot.node(inp, label=html(("Input", None, None)), shape="ellipse",
             fillcolor=fill("io"), tooltip=tip(node_tooltip(graph, inp)))
    used, documented = ["io"], set()
    for unit in units:
        category = _unit_category(graph, unit)
        used.append(category)
        label, tooltip = _unit_node(spec, graph, unit, unit.key not in documented, total_macs)
        documented.add(unit.key)  # a block's doc is shown once, where it first appears
        dashed = _train_only(graph, unit.nodes)
        dot.node(unit.name, label=label, fillcolor=fill(category), tooltip=tooltip,
                 style="filled,rounded" + (",dashed" if dashed else ""))
    for unit in units:
        for producer in external_inputs(graph, unit.nodes):
            dashed = _train_only(graph, unit.nodes)
            dot.edge(owner[producer], unit.name, label=diagram_shape(graph.nodes[producer]["meta"]["shape"]),
                     **({"style": "dashed", "weight": "0"} if dashed else {}))
    several = len(graph.graph["outputs"]) - len(graph.graph.get("aux_outputs", [])) > 1
    for i, out in enumerate(graph.graph["outputs"]):
        aux = bool(graph.nodes[out]["meta"].get("train_only"))
        text = "Auxiliary output" if aux else f"Output {i}" if several else "Output"
        dot.node(f"__output{i}", label=html((text, None, None)), shape="ellipse", fillcolor=fill("io"),
                 style="filled,dashed" if aux else "filled", tooltip=tip(f"{text}: {out}"))
        dot.edge(owner[out], f"__output{i}", label=diagram_shape(graph.nodes[out]["meta"]["shape"]),
                 **({"style": "dashed"} if aux else {}))
    notes = ["dashed = training only"] if graph.graph.get("aux_outputs") else []
    add_legend(dot, graph, "network", used, notes, options)
    return dot


def render(spec, graph: nx.DiGraph, level: str = "network", options: Options = Options()) -> graphviz.Digraph:
    """The diagram of a compiled spec at one level: network, block or layer (RenderError for another level,
    or options.block at another level); spec files named relative to the spec's folder."""
    if options.block is not None and level != "block":
        raise RenderError(f"a block is drawn at block level, not at {level} level")
    draw = {"network": network_diagram, "block": block_diagram, "layer": layer_diagram}.get(level)
    if draw is None:
        raise RenderError(f"unknown level {level!r}: choose from {', '.join(LEVELS)}")
    return relative_paths(draw(spec, graph, options), graph, spec)


@dataclass
class Diagram:
    """A drawn diagram (what archspec.render returns): .dot (a graphviz.Digraph), .source (DOT text),
    .write(path, fmt=None) (svg, png, pdf need graphviz's `dot`; dot writes the source), .pipe(fmt) (the
    bytes), and an SVG view in notebooks."""

    dot: graphviz.Digraph
    level: str

    @property
    def source(self) -> str:
        return self.dot.source

    def write(self, path, fmt: str | None = None) -> Path:
        return write(self.dot, Path(path), fmt)

    def pipe(self, fmt: str = "svg") -> bytes:
        return diagram_bytes(self.dot, fmt)

    def _repr_svg_(self) -> str:
        return self.pipe("svg").decode("utf-8")
