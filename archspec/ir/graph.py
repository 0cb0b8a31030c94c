"""The graph IR: a networkx DiGraph of primitive ops with stable hierarchical names.

Node attributes
    op      name of a primitive in archspec.ops.OPS
    attrs   the op's arguments (plain JSON-able values)
    inputs  ordered list of producer node names (edges mirror it; order matters for concat)
    src     where the node came from: {"loc": "file:line:col", "path": "network[3].conv", "trace": [...]},
            and for a primitive "args"/"names": each argument's provenance (archspec.expand.provenance)
    scope   innermost block use that produced it ("inception_a.2"), "" at top level
    meta    results of passes: shape, params, macs
    init    (only where the spec's `init:` sets something) {tensor: {"fn": initialiser, **arguments}}: how
            the backend initialises the node's weight/bias (archspec.language.init; absent = PyTorch's default)
Graph attributes
    name, input (node name), outputs (node names), aux_outputs, label? (the spec's display name),
    scopes {path: {"kind": block|repeat|item, "key", "parent", "loc", "count"?, "in_block"?, "label"?}}, read through
    archspec.ir.scopes.scope_tree (the typed scope tree), never by splitting names
"""
from __future__ import annotations

import json
from typing import Any, Iterable

import networkx as nx

from ..errors import InternalError
from ..ops import OPS
from .scopes import scope_problems


def new_graph(name: str) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.graph.update(name=name, input=None, outputs=[], aux_outputs=[], scopes={})
    return graph


def add_node(graph: nx.DiGraph, name: str, op: str, attrs: dict, inputs: Iterable[str],
             src: dict, scope: str) -> None:
    """Append one op node; names are unique and inputs must already exist (InternalError otherwise:
    the expander reports a user's duplicate name before it gets here)."""
    if op not in OPS:
        raise InternalError(f"unknown op {op!r}")
    if name in graph:
        raise InternalError(f"duplicate node name {name!r}")
    inputs = list(inputs)
    graph.add_node(name, op=op, attrs=dict(attrs), inputs=inputs, src=src, scope=scope, meta={})
    for producer in inputs:
        graph.add_edge(producer, name)


def topological(graph: nx.DiGraph) -> list[str]:
    """Nodes in insertion order, which the expander guarantees is topological."""
    return list(graph.nodes)


def lint(graph: nx.DiGraph) -> list[str]:
    """Structural problems, each naming the offending node (empty list = well formed)."""
    problems = []
    seen: set[str] = set()
    for name in graph.nodes:
        data = graph.nodes[name]
        op = OPS.get(data.get("op"))
        if op is None:
            problems.append(f"{name}: unknown op {data.get('op')!r}")
            continue
        if any(i not in seen for i in data["inputs"]):
            problems.append(f"{name}: reads a node that is not defined before it")
        if op.arity is not None and len(data["inputs"]) != op.arity:
            problems.append(f"{name}: {op.name} takes {op.arity} input(s), has {len(data['inputs'])}")
        if op.arity is None and len(data["inputs"]) < 2:
            problems.append(f"{name}: {op.name} needs at least two inputs")
        seen.add(name)
    for out in graph.graph["outputs"]:
        if out not in graph:
            problems.append(f"output {out!r} is not a node")
    return problems + scope_problems(graph)


class LintError(RuntimeError):
    """The IR broke one of its invariants after a pass: a bug in archspec, never a mistake in the spec."""


def check(graph: nx.DiGraph, after: str) -> nx.DiGraph:
    """Raise LintError naming the first offending node if lint finds a problem; return graph otherwise."""
    problems = lint(graph)
    if problems:
        more = f" (and {len(problems) - 1} more: {'; '.join(problems[1:4])})" if len(problems) > 1 else ""
        raise LintError(f"this is a bug in archspec, not in your spec: the IR of {graph.graph.get('file') or graph.graph['name']} "
                        f"is malformed after {after}: {problems[0]}{more}; please report it")
    return graph


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def to_json(graph: nx.DiGraph) -> dict:
    """A JSON-able dict that from_json turns back into an identical graph."""
    return {
        "format": "archspec-ir/1",
        "graph": _jsonable(graph.graph),
        "nodes": [{"name": n, **_jsonable(graph.nodes[n])} for n in graph.nodes],
    }


def from_json(data: dict) -> nx.DiGraph:
    """Inverse of to_json."""
    graph = new_graph(data["graph"]["name"])
    graph.graph.update(data["graph"])
    for node in data["nodes"]:
        tuples = OPS[node["op"]].tuple_attrs if node["op"] in OPS else ()
        attrs = {k: tuple(v) if k in tuples and isinstance(v, list) else v for k, v in node["attrs"].items()}
        add_node(graph, node["name"], node["op"], attrs, node["inputs"], node["src"], node["scope"])
        meta = dict(node.get("meta", {}))
        if "shape" in meta:
            meta["shape"] = tuple(meta["shape"])
        graph.nodes[node["name"]]["meta"] = meta
        if "init" in node:
            graph.nodes[node["name"]]["init"] = node["init"]
    return graph


def dumps_json(graph: nx.DiGraph) -> str:
    return json.dumps(to_json(graph), indent=1, sort_keys=False)


def _attr_text(attrs: dict) -> str:
    parts = []
    for key, value in attrs.items():
        if isinstance(value, (tuple, list)):
            value = "x".join(str(v) for v in value)
        parts.append(f"{key}={value}")
    return ", ".join(parts)


def to_text(graph: nx.DiGraph) -> str:
    """Deterministic one-line-per-node listing, used in golden files and `archspec ir`."""
    lines = [f"graph {graph.graph['name']}"]
    for name in graph.nodes:
        data = graph.nodes[name]
        meta = data["meta"]
        shape = "x".join(str(d) for d in meta.get("shape", ())) or "?"
        args = ", ".join(data["inputs"])
        line = f"  %{name} = {data['op']}({args}) [{_attr_text(data['attrs'])}] -> {shape}"
        if meta.get("params") or meta.get("macs"):
            line += f"  params={meta.get('params', 0)} macs={meta.get('macs', 0)}"
        lines.append(line)
    lines.append("  return " + ", ".join(f"%{o}" for o in graph.graph["outputs"]))
    return "\n".join(lines) + "\n"
