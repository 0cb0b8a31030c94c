"""The spec hash: one sha256 that names a resolved network, so weights can say which network they fit.

It is computed from the counted IR, after every parameter value, default, block call, repeat and `when:`
has been resolved, over what decides the network's tensors and what it computes:

- every node: its name (the module path and state_dict key), op, arguments (`attrs`), ordered inputs and
  innermost scope;
- the scope tree: each scope's kind, block name or composite, parent and repeat count;
- the graph's input node, outputs, auxiliary (train-only) outputs and named feature taps.

Left out: source locations and provenance (`src`, each scope's `loc` and bound-parameter records), the
file name, the spec's `name`, its parameter values as written, `init:` records and the passes' results
(shapes, params, MACs, which follow from the rest). So a comment, a moved line, a renamed file or a
different initialiser keeps the hash; a width, a depth, a stride, a block type or an added layer changes it.
Parameter values enter through what they resolve to: two `--set` values that build the same network give
the same hash. The canonical form is sorted-key, compact JSON of plain values, so the hash is the same on
every machine and in every process; it is versioned (HASH_FORMAT) in case the form ever has to change.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import networkx as nx

HASH_FORMAT = "archspec-spec-hash/1"
NODE_KEYS = ("op", "attrs", "inputs", "scope")
SCOPE_KEYS = ("kind", "key", "parent", "count", "in_block")


def _plain(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def canonical(graph: nx.DiGraph) -> dict:
    """What the hash covers, as plain JSON-able data (see the module docstring)."""
    nodes = {name: {k: _plain(graph.nodes[name][k]) for k in NODE_KEYS if k in graph.nodes[name]}
             for name in graph.nodes}
    scopes = {path: {k: _plain(scope[k]) for k in SCOPE_KEYS if k in scope}
              for path, scope in graph.graph.get("scopes", {}).items()}
    return {
        "format": HASH_FORMAT,
        "input": graph.graph["input"],
        "outputs": list(graph.graph["outputs"]),
        "aux_outputs": _plain(graph.graph.get("aux_outputs", [])),
        "feature_taps": list(graph.graph.get("feature_taps") or []),
        "nodes": nodes,
        "scopes": scopes,
    }


def spec_hash(graph: nx.DiGraph) -> str:
    """The sha256 (64 hex digits) of the canonical form of a counted IR graph."""
    text = json.dumps(canonical(graph), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def short_hash(digest: str) -> str:
    """The first 12 hex digits, as messages and directory names print it."""
    return digest[:12]
