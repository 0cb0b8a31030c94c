"""Text for diagrams: paper-style op labels, HxWxC shapes, short numbers, op colours and tooltips."""
from __future__ import annotations

from html import escape

import networkx as nx

from ...analysis.shape_text import diagram_shape
from ...ops import OPS
from ...ops.conv2d import conv_text  # noqa: F401  (the diagram modules import it from here)

FONT = "Helvetica"

# category -> (fill colour, legend text); one palette for every level, so a colour means the same thing
CATEGORIES: dict[str, tuple[str, str]] = {
    "io": ("#ffffff", "input / output"),
    "seq_block": ("#d6dee8", "block (one path)"),
    "branch_block": ("#dccbf0", "multi-branch block (filter concat)"),
    "res_block": ("#f6c3d5", "residual block (+)"),
    "conv": ("#bcd6ee", "convolution"),
    "norm": ("#fff3b0", "normalization"),
    "act": ("#ffd6a5", "activation"),
    "pool": ("#c8e6c0", "pooling"),
    "concat": ("#dccbf0", "filter concat"),
    "merge": ("#f6c3d5", "add / multiply"),
    "scale": ("#fbe0ea", "residual scale"),
    "linear": ("#a9ddd6", "fully connected"),
    "other": ("#e6e6e6", "dropout / reshape"),
}

def op_category(op: str) -> str:
    """The diagram category (colour) of an IR op, as its definition in archspec.ops says."""
    return OPS[op].category


def fill(category: str) -> str:
    return CATEGORIES[category][0]


def short(n: float) -> str:
    """12253974624 -> '12.25 G'; small numbers stay whole."""
    for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= size:
            return f"{n / size:.2f} {suffix}"
    return f"{n:,}"


def act_text(fn: str) -> str:
    """'ReLU' for relu: an activation's diagram name."""
    return OPS["act"].label({"fn": fn})


def op_text(data: dict) -> str:
    """The paper-style label of one primitive op."""
    return OPS[data["op"]].label(data["attrs"])


def html(*lines: tuple[str, int | None, str | None], bold_first: bool = True, left: bool = False) -> str:
    """An HTML-like graphviz label from (text, point size or None, colour or None) lines (left: flush left).
    Empty lines are left out (graphviz refuses an empty <font> element)."""
    parts = []
    for i, (text, size, colour) in enumerate(line for line in lines if line[0] or line is lines[0]):
        body = escape(text)
        if i == 0 and bold_first:
            body = f"<b>{body}</b>"
        if size or colour:
            attrs = (f' point-size="{size}"' if size else "") + (f' color="{colour}"' if colour else "")
            body = f"<font{attrs}>{body}</font>"
        parts.append(body)
    if len(parts) == 1:
        return f"<{parts[0]}>"
    align = "left" if left else "center"  # a table, not <br/>: bold underscores would touch the next line
    rows = "".join(f'<tr><td align="{align}">{part}</td></tr>' for part in parts)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{rows}</table>>'


def counts_text(params: int, macs: int) -> str:
    bits = []
    if params:
        bits.append(f"{short(params)} params")
    if macs:
        bits.append(f"{short(macs)} MACs")
    return " · ".join(bits)


def _attr_text(attrs: dict) -> str:
    return ", ".join(f"{k}={'x'.join(map(str, v)) if isinstance(v, (tuple, list)) else v}" for k, v in attrs.items())


def tip(text: str) -> str:
    """A tooltip value: lines joined by graphviz's \\n, backslashes kept literal."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def node_tooltip(graph: nx.DiGraph, name: str) -> str:
    """Everything known about one node: name, op, spec location and trace, attributes, shape, counts."""
    data = graph.nodes[name]
    meta, src = data["meta"], data.get("src") or {}
    lines = [name, f"op: {data['op']}"]
    if src.get("loc"):
        lines.append(f"spec: {src['loc']} ({src.get('path', '')})")
    lines += [f"  {t}" for t in src.get("trace", [])]
    if data["attrs"]:
        lines.append("attrs: " + _attr_text(data["attrs"]))
    lines.append(f"output: {diagram_shape(meta.get('shape', ()))} (HxWxC)")
    lines.append(f"params: {meta.get('params', 0):,}")
    lines.append(f"MACs: {meta.get('macs', 0):,}")
    if meta.get("train_only"):
        lines.append("runs in training only")
    return "\n".join(lines)


def group_tooltip(graph: nx.DiGraph, title: str, nodes: list[str], extra: list[str] = ()) -> str:
    """A summary of a group of nodes: title, extra lines, output shape and summed counts."""
    params = sum(graph.nodes[n]["meta"]["params"] for n in nodes)
    macs = sum(graph.nodes[n]["meta"]["macs"] for n in nodes)
    lines = [title, *extra, f"output: {diagram_shape(graph.nodes[nodes[-1]]['meta']['shape'])} (HxWxC)",
             f"params: {params:,}", f"MACs: {macs:,}", f"ops: {len(nodes)}"]
    return "\n".join(lines)


def legend_table(categories: list[str], note: str = "") -> str:
    """An HTML table (for inside a label): a colour swatch and its meaning per category, in one row of up to
    five or in rows of equal length."""
    columns = len(categories) if len(categories) <= 5 else -(-len(categories) // -(-len(categories) // 6))
    cells = [f'<td bgcolor="{CATEGORIES[c][0]}" border="1" width="16" height="10" fixedsize="true"></td>'
             f'<td align="left"><font point-size="10">{escape(CATEGORIES[c][1])}</font></td>' for c in categories]
    rows = ["".join(cells[i:i + columns]) for i in range(0, len(cells), columns)]
    head = f'<tr><td colspan="{2 * columns}"><font point-size="10"><b>legend</b>{escape(note)}</font></td></tr>'
    return ('<table border="0" cellborder="0" cellspacing="3" cellpadding="1">' + head
            + "".join(f"<tr>{row}</tr>" for row in rows) + "</table>")
