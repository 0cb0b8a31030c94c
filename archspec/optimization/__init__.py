"""Inference optimization passes: IR -> IR rewrites that are exact in eval mode (up to float rounding).

    graph, report = optimize_graph(lowered)

Each pass lives in its own file, takes a lowered (counted) graph and returns a new graph (the given one is
never changed) with the same conventions (nodes in topological order, `inputs`, meta shape/params/macs,
lint-clean) and a dict of what it changed. Nodes whose tensors differ from the unoptimized model's carry a
`derive` record saying how to compute them from it (archspec.optimization.rewrite describes the recipes); the
torch backend (archspec.backends.torch.optimize) builds the module and fills its tensors. docs/optimize.md
describes each pass.
"""
from __future__ import annotations

from typing import Sequence

import networkx as nx

from .eval_only import eval_only
from .fold_bn import fold_bn
from .fold_scale import fold_scale
from .fuse_siblings import fuse_siblings
from .inplace import inplace
from ..analysis.report import totals

# The passes, in the order they run: each later pass relies on the earlier ones (a scale folds into the conv
# its batch norm was folded into; siblings fuse once their batch norms are gone, so their activations meet).
PASSES = (("eval_only", eval_only), ("fold_bn", fold_bn), ("fold_scale", fold_scale),
          ("fuse_siblings", fuse_siblings), ("inplace", inplace))


def optimize_graph(graph: nx.DiGraph, debug: bool = False,
                   passes: Sequence[str] | None = None) -> tuple[nx.DiGraph, dict]:
    """Run the passes (all, or those named in `passes`, always in PASSES' order); return the optimized graph
    and a report: what each pass changed, the IR's nodes, params and MACs before and after, and what the
    optimized model drops. With debug, lint after each pass."""
    from ..ir.graph import check
    known = [name for name, _ in PASSES]
    unknown = [p for p in passes or () if p not in known]
    if unknown:
        raise ValueError(f"unknown optimization pass {unknown[0]!r}; the passes are {', '.join(known)}")
    before = _totals(graph)
    aux = [a["node"] for a in graph.graph.get("aux_outputs", []) if a.get("train_only")]
    aux = aux if passes is None or "eval_only" in passes else []
    changes = {}
    for name, run in PASSES:
        if passes is not None and name not in passes:
            continue
        graph, changes[name] = run(graph)
        if debug:
            check(graph, f"the optimization pass {name}")
    report = {"passes": changes, "before": before, "after": _totals(graph),
              "drops": {"aux_outputs": aux, "training": True}}
    return graph, report


def _totals(graph: nx.DiGraph) -> dict:
    """Nodes, params and MACs (auxiliary heads included: the report compares the graph before and after)."""
    params, macs = totals(graph, train=True)
    return {"nodes": graph.number_of_nodes(), "params": params, "macs": macs}
