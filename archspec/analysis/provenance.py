"""`archspec explain`: for one IR node (or block use), each effective argument value and where it came
from: the op's built-in default, the file's `defaults:`, the item itself, a first/last override, the
residual's auto projection, a block parameter (its value and where it was bound), a spec parameter (its
default or `--set`). Reads what the expander recorded in the node's src (archspec.expand.provenance)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx

from ..errors import did_you_mean
from ..ir.scopes import scope_tree
from ..language.arguments import field_defaults
from ..language.items import PRIMITIVES

FROM = {
    "op": "the op's built-in default",
    "default": "the file's defaults",
    "item": "written on the item",
    "first": "first: override (first repeat)",
    "last": "last: override (last repeat)",
    "auto": "residual's auto projection",
    "given": "given at the block use",
    "param default": "the block parameter's default",
    "input": "the tensor entering the block use",
    "--set": "--set on the command line (or overrides)",
    "spec default": "the spec parameter's default",
    "let": "a let value of the spec",
}
LAYERS = ("bn", "act")  # built-in defaults that add layers (conv is conv-BN-ReLU unless told otherwise)


class ExplainError(ValueError):
    """The name is neither a node nor a scope of the graph (the message suggests the closest)."""


@dataclass(frozen=True)
class Row:
    name: str
    value: Any
    origin: str  # a key of FROM
    where: str = ""  # file:line:col, "" for built-in defaults
    written: str = ""  # the expression as written, when the value was computed

    @property
    def source(self) -> str:
        return FROM.get(self.origin, self.origin)


@dataclass
class Explanation:
    name: str
    kind: str  # "node" or "block use"
    what: str  # the op of a node, the block of a block use
    loc: str  # where the item (or the block use) is written
    trace: list[str]
    arguments: list[Row] = field(default_factory=list)
    names: list[Row] = field(default_factory=list)  # the parameters the expressions read
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {**asdict(self), "arguments": [{**asdict(r), "from": r.source} for r in self.arguments],
                "names": [{**asdict(r), "from": r.source} for r in self.names]}


def explain(spec, graph: nx.DiGraph, name: str) -> Explanation:
    """Where each effective argument of node `name` came from; a block use's path gives its parameters."""
    if name in graph.nodes:
        return _node(spec, graph, name)
    tree = scope_tree(graph)
    scope = tree.get(name)
    if scope is None or name == "":
        known = [s.path for s in tree.scopes() if s.path] + list(graph.nodes)
        raise ExplainError(f"'{name}' is neither a node nor a block use of {graph.graph['name']}"
                           + (f" ({did_you_mean(name, known)})" if did_you_mean(name, known) else ""))
    record = graph.graph["scopes"].get(name, {})
    if "bound" in record:
        rows = [_row(k, v) for k, v in record["bound"].items()]
        return Explanation(name, "block use", record.get("in_block", record["key"]), record["loc"], [],
                           names=rows, notes=[f"its nodes: {', '.join(scope.nodes()[:4])}"
                                              + (", ..." if len(scope.nodes()) > 4 else "")])
    return _node(spec, graph, scope.nodes()[0])  # a conv unit or composite: its first node


def _row(name: str, record: list, file: str = "") -> Row:
    value, origin = record[0], record[1]
    where = record[2] if len(record) > 2 else ""
    if where and file and where.count(":") == 1:  # line:col in the item's own file
        where = f"{file}:{where}"
    return Row(name, value, origin, where, record[3] if len(record) > 3 else "")


def _arguments(src: dict) -> list[Row]:
    """Every argument of the item's model in its order (built-in defaults filled in), then sub-keys."""
    recorded = src.get("args", {})
    file = src["loc"].rsplit(":", 2)[0]
    item = PRIMITIVES.get(src.get("item", ""))
    builtin = field_defaults(item.model) if item is not None else {}
    rows = [_row(k, recorded[k], file) if k in recorded else Row(k, v, "op") for k, v in builtin.items()
            if k in recorded or v is not ...]
    return rows + [_row(k, v, file) for k, v in recorded.items() if k not in builtin]


def _node(spec, graph: nx.DiGraph, name: str) -> Explanation:
    src = graph.nodes[name]["src"]
    out = Explanation(name, "node", graph.nodes[name]["op"], src["loc"], list(src["trace"]))
    out.arguments = _arguments(src)
    out.names = [_spec_name(spec, k, v) if v[1] == "spec" else _row(k, v) for k, v in src.get("names", {}).items()]
    bn = {r.name: r for r in out.arguments}.get("bn")
    if bn is not None and bn.origin == "auto" and bn.value is None:
        out.notes.append("the auto projection has no batch norm: write `projection: {bn: true}` where one is "
                         "meant (ResNet-v1 normalises its projection shortcut)")
    unwritten = [r for r in out.arguments if r.origin == "default" or (r.origin == "op" and r.name in LAYERS)]
    if unwritten:
        listed = ", ".join(f"{r.name} ({r.source}{' at ' + r.where if r.where else ''})" for r in unwritten)
        out.notes.append(f"not written on the item, so they change with the file it is pasted into: {listed}")
    return out


def _spec_name(spec, name: str, record: list) -> Row:
    """A name the network's own items read: a spec parameter (its default or --set) or a let value."""
    if name in spec.overrides:
        return Row(name, record[0], "--set", "", str(spec.overrides[name]))
    if name in spec.lets:
        return Row(name, record[0], "let", str(spec.source.loc(("let", name))))
    decl = spec.source.data.get("params", {}).get(name)
    path = ("params", name, "default") if isinstance(decl, dict) and "default" in decl else ("params", name)
    return Row(name, record[0], "spec default", str(spec.source.loc(path)))
