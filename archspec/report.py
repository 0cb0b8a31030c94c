"""Summaries derived from a counted IR graph: the stats dict and per-stage rows."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from .compiler import plain_values

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
    params = sum(graph.nodes[n]["meta"]["params"] for n in graph.nodes)
    macs = sum(graph.nodes[n]["meta"]["macs"] for n in graph.nodes
               if train or not graph.nodes[n]["meta"].get("train_only"))
    return params, macs


def output_shape(graph: nx.DiGraph) -> tuple[int, ...]:
    return tuple(graph.nodes[graph.graph["outputs"][0]]["meta"]["shape"])


def repeat_label(scope: dict) -> str:
    """'inception_a x4', or 'stage (B x4)' for a block whose body is one repeated block (WRN)."""
    label = f"{scope['key']} x{scope['count']}"
    return f"{scope['in_block']} ({label})" if "in_block" in scope else label


def top_level_groups(graph: nx.DiGraph) -> dict[str, list[str]]:
    """Node names grouped by the first segment of their name, in network order (the input left out)."""
    groups: dict[str, list[str]] = {}
    for name in graph.nodes:
        if name != graph.graph["input"]:
            groups.setdefault(name.split(".")[0], []).append(name)
    return groups


def stage_rows(graph: nx.DiGraph) -> list[StageRow]:
    """Nodes grouped by the first segment of their name, in network order."""
    groups = top_level_groups(graph)
    scopes = graph.graph["scopes"]
    rows = []
    for top, names in groups.items():
        scope = scopes.get(top)
        if scope is None:
            kind = graph.nodes[names[0]]["op"] if len(names) == 1 else top
        elif scope["kind"] == "repeat":
            kind = repeat_label(scope)
        else:
            kind = scope["key"]
        rows.append(StageRow(
            top, kind, tuple(graph.nodes[names[-1]]["meta"]["shape"]),
            sum(graph.nodes[n]["meta"]["params"] for n in names),
            sum(graph.nodes[n]["meta"]["macs"] for n in names),
            all(graph.nodes[n]["meta"].get("train_only", False) for n in names)))
    return rows


def block_counts(graph: nx.DiGraph) -> dict[str, dict]:
    """Per block type: number of uses and params/MACs of each use."""
    scopes = graph.graph["scopes"]
    per_use: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name in graph.nodes:
        meta = graph.nodes[name]["meta"]
        parts = name.split(".")
        for depth in range(1, len(parts)):
            prefix = ".".join(parts[:depth])
            if prefix in scopes and scopes[prefix]["kind"] == "block":
                per_use[prefix][0] += meta["params"]
                per_use[prefix][1] += meta["macs"]
    out: dict[str, dict] = {}
    for prefix, scope in scopes.items():
        if scope["kind"] != "block":
            continue
        entry = out.setdefault(scope["key"], {"uses": 0, "params_per_use": [], "macs_per_use": []})
        entry["uses"] += 1
        entry["params_per_use"].append(per_use[prefix][0])
        entry["macs_per_use"].append(per_use[prefix][1])
    for entry in out.values():
        if len(set(entry["params_per_use"])) == 1:
            entry["params"] = entry["params_per_use"][0]
        if len(set(entry["macs_per_use"])) == 1:
            entry["macs"] = entry["macs_per_use"][0]
    return out


def stats_dict(spec, graph: nx.DiGraph) -> dict:
    """Everything `archspec stats --json` prints."""
    params, macs = totals(graph)
    macs_train = totals(graph, train=True)[1]
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
    }
