"""A torchinfo-style layer summary: rows of the name hierarchy collapsed to a depth, with shapes and counts."""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from .backends.diagram_labels import conv_text, op_text
from .report import repeat_label, totals


@dataclass
class SummaryRow:
    """One name prefix of the IR (a stage, block use, repeat group, conv unit or op) and what it holds."""

    name: str
    depth: int  # number of name segments: 1 = a top-level stage
    kind: str  # 'inception_a x4', 'inception_a', 'conv (3x3 conv, 32, /2 V)', 'maxpool2d (3x3 MaxPool /2 V)'
    output: tuple[int, ...]
    params: int = 0
    macs: int = 0
    ops: int = 0
    op_kinds: list[str] = field(default_factory=list)
    train_only: bool = True
    leaf: bool = True  # no rows below it at this depth (its counts are not split further)


def _kind(graph: nx.DiGraph, prefix: str) -> str:
    scope = graph.graph["scopes"].get(prefix)
    if prefix in graph and scope is None:
        data = graph.nodes[prefix]
        return f"{data['op']} ({op_text(data)})" if data["op"] not in ("input",) else "input"
    if scope is None:
        return "head" if prefix == "head" else ""
    if scope["kind"] == "repeat":
        return repeat_label(scope)
    if scope["kind"] == "item" and scope["key"] == "conv" and f"{prefix}.conv" in graph:
        return f"conv ({conv_text(graph.nodes[prefix + '.conv']['attrs'])})"
    return scope["key"]


def summary_rows(graph: nx.DiGraph, depth: int = 2) -> list[SummaryRow]:
    """Every name prefix of at most `depth` segments, in network order; a row's counts include everything
    under it, so only the leaf rows add up to the totals."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    rows: dict[str, SummaryRow] = {}
    for name in graph.nodes:
        meta = graph.nodes[name]["meta"]
        parts = name.split(".")
        for d in range(1, min(depth, len(parts)) + 1):
            prefix = ".".join(parts[:d])
            row = rows.get(prefix)
            if row is None:
                row = rows[prefix] = SummaryRow(prefix, d, _kind(graph, prefix), tuple(meta["shape"]))
                parent = rows.get(".".join(parts[:d - 1])) if d > 1 else None
                if parent is not None:
                    parent.leaf = False
            row.output = tuple(meta["shape"])
            row.params += meta["params"]
            row.macs += meta["macs"]
            row.ops += 1
            row.train_only = row.train_only and bool(meta.get("train_only"))
            if graph.nodes[name]["op"] not in row.op_kinds:
                row.op_kinds.append(graph.nodes[name]["op"])
    for row in rows.values():  # a plain group of items (a for-loop body, a shortcut): name what it holds
        if not row.kind:
            row.kind = ", ".join(row.op_kinds[:4]) + (", ..." if len(row.op_kinds) > 4 else "")
    return list(rows.values())


def summary_totals(graph: nx.DiGraph) -> dict:
    """params, MACs (eval), FLOPs = 2 x MACs, MACs in training, ops, input and output shapes."""
    params, macs = totals(graph)
    return {"params": params, "macs": macs, "flops": 2 * macs, "macs_train": totals(graph, train=True)[1],
            "ops": graph.number_of_nodes(), "input": tuple(graph.nodes[graph.graph["input"]]["meta"]["shape"]),
            "output": tuple(graph.nodes[graph.graph["outputs"][0]]["meta"]["shape"])}
