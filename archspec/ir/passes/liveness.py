"""Which nodes run only in training: those that feed train-only outputs (auxiliary heads) and
nothing that eval mode returns."""
from __future__ import annotations

import networkx as nx


def eval_outputs(graph: nx.DiGraph) -> list[str]:
    train_only = {a["node"] for a in graph.graph.get("aux_outputs", []) if a["train_only"]}
    return [o for o in graph.graph["outputs"] if o not in train_only]


def mark_train_only(graph: nx.DiGraph) -> nx.DiGraph:
    """Set meta['train_only'] = True on the nodes eval mode never computes."""
    live = set(eval_outputs(graph))
    todo = list(live)  # one walk back from all of them: linear in the graph, however many outputs there are
    while todo:
        for producer in graph.pred[todo.pop()]:
            if producer not in live:
                live.add(producer)
                todo.append(producer)
    for name in graph.nodes:
        if name not in live:
            graph.nodes[name]["meta"]["train_only"] = True
    return graph
