"""Summaries derived from a counted IR graph: the stats dict and per-stage rows."""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from ..language.params import plain_values
from ..ir.node import nodes
from ..ir.scopes import scope_tree, stages
from ..ops._init_fns import describe

CONVENTION = ("MACs = multiply-accumulates of conv and linear layers at batch 1 in eval mode (macs_train adds "
              "heads that run only in training); "
              "FLOPs = 2 x MACs; batch norm, activations, pooling and additions count zero")


@dataclass(frozen=True)
class StageRow:
    """One top-level item of the network (a block use, a repeat group, a layer, or the head)."""

    name: str
    kind: str  # the block name, "inception_a x4", or the op
    output: tuple[int, ...]
    params: int
    macs: int
    train_only: bool = False


def totals(graph: nx.DiGraph, train: bool = False) -> tuple[int, int]:
    """(params, MACs); MACs of eval mode unless train (auxiliary heads run only in training)."""
    params = macs = 0
    for _, meta in graph.nodes(data="meta"):
        params += meta["params"]
        if train or not meta.get("train_only"):
            macs += meta["macs"]
    return params, macs


def output_shape(graph: nx.DiGraph) -> tuple[int, ...]:
    return tuple(graph.nodes[graph.graph["outputs"][0]]["meta"]["shape"])


def stage_rows(graph: nx.DiGraph) -> list[StageRow]:
    """One row per top-level stage (scopes.stages), in network order."""
    rows = []
    for stage in stages(graph):
        kind = stage.what if stage.kind == "node" else stage.scope.label
        rows.append(StageRow(stage.name, kind, stage.output, stage.params, stage.macs, stage.train_only))
    return rows


def block_counts(graph: nx.DiGraph) -> dict[str, dict]:
    """Per block type: number of uses and params/MACs of each use."""
    out: dict[str, dict] = {}
    for scope in scope_tree(graph).scopes():
        if scope.kind != "block":
            continue
        entry = out.setdefault(scope.key, {"uses": 0, "params_per_use": [], "macs_per_use": []})
        entry["uses"] += 1
        entry["params_per_use"].append(scope.params())
        entry["macs_per_use"].append(scope.macs())
    for entry in out.values():
        if len(set(entry["params_per_use"])) == 1:
            entry["params"] = entry["params_per_use"][0]
        if len(set(entry["macs_per_use"])) == 1:
            entry["macs"] = entry["macs_per_use"][0]
    return out


def init_rows(graph: nx.DiGraph) -> list[dict]:
    """How the spec's `init:` initialises the weights: one row per op, tensor and initialiser, with the
    number of nodes, in network order; tensors in no row keep PyTorch's default initialisation."""
    counts: dict[tuple[str, str, str], int] = {}
    for n in nodes(graph):
        for tensor, record in n.init.items():
            key = (n.op, tensor, describe(record))
            counts[key] = counts.get(key, 0) + 1
    return [{"op": op, "tensor": tensor, "init": text, "nodes": count}
            for (op, tensor, text), count in counts.items()]


def stats_dict(spec, graph: nx.DiGraph) -> dict:
    """Everything `archspec stats --json` prints."""
    params, macs_train = totals(graph, train=True)
    macs = totals(graph)[1]
    return {
        "name": spec.name,
        "file": spec.file,
        "params_values": plain_values(spec.params),
        "input": list(graph.nodes[graph.graph["input"]]["meta"]["shape"]),
        "output": list(output_shape(graph)),
        "params": params,
        "macs": macs,
        "flops": 2 * macs,
        "macs_train": macs_train,
        "convention": CONVENTION,
        "nodes": graph.number_of_nodes(),
        "outputs": [{"node": o, "shape": list(graph.nodes[o]["meta"]["shape"]),
                     "train_only": bool(graph.nodes[o]["meta"].get("train_only"))} for o in graph.graph["outputs"]],
        "stages": [{"name": r.name, "kind": r.kind, "output": list(r.output), "params": r.params,
                    "macs": r.macs, **({"train_only": True} if r.train_only else {})} for r in stage_rows(graph)],
        "blocks": block_counts(graph),
        "init": init_rows(graph),
    }
