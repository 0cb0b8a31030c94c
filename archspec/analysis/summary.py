"""A torchinfo-style layer summary: rows of the name hierarchy collapsed to a depth, with shapes and counts."""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from ..ops import OPS
from ..ops.conv2d import conv_text
from .report import totals
from ..ir.scopes import Scope, scope_tree


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
    short: str = ""  # the name relative to the row above it ('conv1' for 'stem.conv1'): what a table indents


def _kind(graph: nx.DiGraph, item) -> str:
    """What a row holds: the op of a node, the block (x N) of a scope, a conv unit's paper label."""
    if not isinstance(item, Scope):
        data = graph.nodes[item]
        return f"{data['op']} ({OPS[data['op']].label(data['attrs'])})" if data["op"] not in ("input",) else "input"
    if item.kind == "head":
        return "head"
    if item.kind == "conv":
        conv = next((n for n in item.own_nodes if graph.nodes[n]["op"] == "conv2d"), None)
        if conv is not None:
            return f"conv ({conv_text(graph.nodes[conv]['attrs'])})"
    return item.label if item.recorded else ""


def _row(graph: nx.DiGraph, item, depth: int) -> SummaryRow | None:
    nodes = item.nodes() if isinstance(item, Scope) else [item]
    if not nodes:
        return None
    metas = [graph.nodes[n]["meta"] for n in nodes]
    row = SummaryRow(item.path if isinstance(item, Scope) else item, depth, _kind(graph, item),
                     tuple(metas[-1]["shape"]), sum(m["params"] for m in metas), sum(m["macs"] for m in metas),
                     len(nodes), list(dict.fromkeys(graph.nodes[n]["op"] for n in nodes)),
                     all(bool(m.get("train_only")) for m in metas),
                     short=item.name if isinstance(item, Scope) else scope_tree(graph).scope_of(item).relative(item))
    if not row.kind:  # a plain group of items (a for-loop body, a shortcut): name what it holds
        row.kind = ", ".join(row.op_kinds[:4]) + (", ..." if len(row.op_kinds) > 4 else "")
    return row


def summary_rows(graph: nx.DiGraph, depth: int = 2) -> list[SummaryRow]:
    """A row per scope and node at most `depth` levels deep, in network order; a row's counts include
    everything under it, so only the leaf rows add up to the totals."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    rows: list[SummaryRow] = []

    def visit(scope: Scope, level: int) -> None:
        for item in scope.items:
            row = _row(graph, item, level)
            if row is None:
                continue
            rows.append(row)
            if isinstance(item, Scope) and level < depth:
                before = len(rows)
                visit(item, level + 1)
                row.leaf = len(rows) == before

    visit(scope_tree(graph).root, 1)
    return rows


def summary_totals(graph: nx.DiGraph) -> dict:
    """params, MACs (eval), FLOPs = 2 x MACs, MACs in training, ops, input and output shapes."""
    params, macs = totals(graph)
    return {"params": params, "macs": macs, "flops": 2 * macs, "macs_train": totals(graph, train=True)[1],
            "ops": graph.number_of_nodes(), "input": tuple(graph.nodes[graph.graph["input"]]["meta"]["shape"]),
            "output": tuple(graph.nodes[graph.graph["outputs"][0]]["meta"]["shape"])}
