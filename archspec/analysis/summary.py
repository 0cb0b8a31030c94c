"""A torchinfo-style layer summary: rows of the name hierarchy collapsed to a depth, with shapes and counts,
parameter totals (trainable, not trainable, buffers) and the memory a model takes at a batch size and dtype
(analysis.memory). `Summary.to_dict()` is what `archspec summary --json` prints (docs/summary.md)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx

from ..ops import OPS
from ..ops.conv2d import conv_text
from .memory import DTYPES, estimate, MemoryEstimate
from .report import CONVENTION, init_rows, totals
from ..ir.node import node
from ..ir.scopes import Scope, scope_tree

SUMMARY_VERSION = 1  # the JSON format's version: raised when a key changes meaning or goes away


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
    inputs: list[tuple[int, ...]] = field(default_factory=list)  # shapes of the tensors it reads from outside
    kernel: tuple[int, ...] | None = None  # an op's kernel (a conv unit's: its conv's); None where none
    buffers: int = 0  # elements of buffers (BatchNorm's running statistics)


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


def _kernel(graph: nx.DiGraph, item) -> tuple[int, ...] | None:
    if isinstance(item, Scope):
        convs = [n for n in item.own_nodes if graph.nodes[n]["op"] == "conv2d"] if item.kind == "conv" else []
        return _kernel(graph, convs[0]) if convs else None
    kernel = graph.nodes[item]["attrs"].get("kernel")
    return tuple(kernel) if kernel is not None else None


def _row(graph: nx.DiGraph, item, depth: int) -> SummaryRow | None:
    nodes = item.nodes() if isinstance(item, Scope) else [item]
    if not nodes:
        return None
    metas = [graph.nodes[n]["meta"] for n in nodes]
    reads = item.inputs() if isinstance(item, Scope) else graph.nodes[item]["inputs"]
    row = SummaryRow(item.path if isinstance(item, Scope) else item, depth, _kind(graph, item),
                     tuple(metas[-1]["shape"]), sum(m["params"] for m in metas), sum(m["macs"] for m in metas),
                     len(nodes), list(dict.fromkeys(graph.nodes[n]["op"] for n in nodes)),
                     all(bool(m.get("train_only")) for m in metas),
                     short=item.name if isinstance(item, Scope) else scope_tree(graph).scope_of(item).relative(item),
                     inputs=[tuple(graph.nodes[i]["meta"]["shape"]) for i in reads], kernel=_kernel(graph, item),
                     buffers=sum(node(graph, n).opdef.buffers(graph.nodes[n]["attrs"]) for n in nodes))
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
            "output": tuple(graph.nodes[graph.graph["outputs"][0]]["meta"]["shape"]),
            "outputs": [tuple(graph.nodes[o]["meta"]["shape"]) for o in graph.graph["outputs"]]}


@dataclass
class Summary:
    """What `archspec summary` shows: rows (shapes without the batch), totals, memory at batch and dtype."""

    name: str
    depth: int
    batch: int
    dtype: str
    input: tuple[int, ...]
    output: tuple[int, ...]  # the first of outputs
    outputs: list[tuple[int, ...]]  # every output of the eval forward (FPN's five levels)
    rows: list[SummaryRow]
    totals: dict  # params (= trainable), trainable, non_trainable, buffers, macs, flops, macs_train, ops
    memory: dict  # bytes at batch and dtype (memory_bytes)
    init: list[dict]  # the spec's init: rows (report.init_rows)

    def batched(self, shape) -> tuple[int, ...]:
        """A shape with the batch in front: (C, H, W) -> (N, C, H, W)."""
        return (self.batch, *shape)

    def to_dict(self) -> dict:
        """The JSON form (docs/summary.md): shapes as lists with the batch first, counts and bytes as ints."""
        rows = [{"name": r.name, "depth": r.depth, "kind": r.kind, "leaf": r.leaf, "train_only": r.train_only,
                 "input_shapes": [list(self.batched(s)) for s in r.inputs], "output_shape": list(self.batched(r.output)),
                 "kernel": list(r.kernel) if r.kernel is not None else None, "params": r.params, "buffers": r.buffers,
                 "macs": r.macs, "ops": r.ops} for r in self.rows]
        return {"version": SUMMARY_VERSION, "name": self.name, "depth": self.depth, "batch": self.batch,
                "dtype": self.dtype, "input_shape": list(self.batched(self.input)),
                "output_shape": list(self.batched(self.output)),
                "output_shapes": [list(self.batched(o)) for o in self.outputs], "rows": rows, "totals": dict(self.totals),
                "memory": dict(self.memory), "init": [dict(r) for r in self.init], "convention": CONVENTION}


def memory_bytes(graph: nx.DiGraph, est: MemoryEstimate, batch: int, dtype: str) -> dict:
    """The memory figures of a summary in bytes, from estimate(graph, activations=True) (docs/summary.md)."""
    size = DTYPES[dtype]
    return {"itemsize": size, "input": size * batch * math.prod(graph.nodes[graph.graph["input"]]["meta"]["shape"]),
            "params": size * est.params, "buffers": est.buffer_bytes(size), "gradients": size * est.params,
            "activations_inference": est.peak_bytes(batch, size), "activations_training": est.saved.bytes(batch, size),
            "total_inference": est.inference_bytes(batch, size), "total_training": est.training_bytes(batch, size)}


def summarize(name: str, graph: nx.DiGraph, depth: int = 2, batch: int = 1, dtype: str = "float32") -> Summary:
    """The summary of a compiled spec's graph (archspec.summary compiles and calls this)."""
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a whole number >= 1, got {batch!r}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    info = summary_totals(graph)
    est = estimate(graph, activations=True)
    # every parameter archspec makes is trainable (the counting convention); buffers are not parameters
    counts = {"params": info["params"], "trainable": info["params"], "non_trainable": 0, "buffers": est.buffers,
              "macs": info["macs"], "flops": info["flops"], "macs_train": info["macs_train"], "ops": info["ops"]}
    return Summary(name, depth, batch, dtype, info["input"], info["output"], info["outputs"], summary_rows(graph, depth), counts,
                   memory_bytes(graph, est, batch, dtype), init_rows(graph))
