"""The scope tree of an IR graph: the one place that reads structure off dotted node names.

A node `inception_a.2.branch1.0.conv` sits in the scope `inception_a.2.branch1.0` (a conv unit), inside
`inception_a.2.branch1` (a `seq` composite: a branch of the concat), `inception_a.2` (a block use),
`inception_a` (a repeat group) and the network root "". The expander records what each scope is in
graph.graph["scopes"] ({path: {kind: block|repeat|item, key, parent, loc, count?, in_block?, label?}}); a name
prefix without a record is a plain group (a branch, a for-loop iteration, a residual body part) or,
at the top, the head. `scope_tree(graph)` builds the tree once per graph and caches it.

Kinds of scope
    network    the root, path ""
    block      a block use (key: the block name)
    repeat     a repeat group `x N` (key: the repeated block or op; count; in_block when the group is
               the whole body of a block use, as WRN's stages are)
    composite  an item of a composite op: seq, concat, add, mul, residual, aux, for (key: the op)
    conv       a conv unit: its nodes conv, bn, act (key: "conv")
    head       the top-level `head:` section (no record)
    group      any other name prefix (no record)

Every scope lists its items (own nodes and child scopes) in network order: the order the expander
emitted them, which follows the spec (a residual's preact, body, shortcut, add, act).

The API, for reports, diagrams and backends
    scope_tree(graph) -> ScopeTree     tree.root, tree[path], tree.get(path), path in tree, tree.scopes()
    tree.scope_of(node), tree.chain(node_or_path), tree.enclosing(node_or_path)
    Scope: path, kind, key, name, parent, items, children, own_nodes, loc, count, in_block, display, recorded,
           depth, label, walk(), nodes(), contains(name), relative(name),
           inputs()  (nodes outside it that it reads), outputs()  (its nodes read outside or graph outputs),
           params(), macs()
    stages(graph) -> [Stage]           the one definition of a top-level stage; unfold(stage) splits the head
    scope_problems(graph)              consistency checks, reported by ir.lint
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import networkx as nx

RECORD_KINDS = {"block": "block", "repeat": "repeat"}  # record kind -> scope kind ("item" is composite or conv)
RECORDED = ("block", "repeat", "composite", "conv")


@dataclass(eq=False)
class Scope:
    """One scope: a block use, repeat group, composite item, conv unit, plain group, the head or the root."""

    path: str  # "" for the root
    kind: str  # network, block, repeat, composite, conv, head or group
    key: str = ""  # the block name, the composite op, "conv"; "" for network, head and group
    name: str = ""  # the last segment of path
    parent: "Scope | None" = field(default=None, repr=False)
    items: list = field(default_factory=list, repr=False)  # node names (str) and child Scopes, network order
    loc: str = ""  # file:line:col of the item in the spec, where recorded
    count: int | None = None  # repeat groups: the number of repeats
    in_block: str | None = None  # a repeat group that is the whole body of a block use: that block
    display: str = ""  # a block use's display name (its block's `label:` with this use's values), "" if none
    tree: "ScopeTree | None" = field(default=None, repr=False)
    _nodes: list | None = field(default=None, repr=False)

    @property
    def recorded(self) -> bool:
        """Whether the expander recorded this scope (a block use, repeat group, composite item or conv unit)."""
        return self.kind in RECORDED

    @property
    def children(self) -> list["Scope"]:
        """The child scopes, in network order."""
        return [i for i in self.items if isinstance(i, Scope)]

    @property
    def own_nodes(self) -> list[str]:
        """The nodes directly in this scope (not in a child), in network order."""
        return [i for i in self.items if isinstance(i, str)]

    @property
    def depth(self) -> int:
        """Number of name segments of the path: 0 for the root, 1 for a top-level item."""
        return 0 if self.parent is None else self.parent.depth + 1

    @property
    def label(self) -> str:
        """'inception_a x4' for a repeat group ('stage (B x4)' inside a block use), else the key."""
        if self.kind != "repeat":
            return self.key
        text = f"{self.key} x{self.count}"
        return f"{self.in_block} ({text})" if self.in_block else text

    def walk(self) -> Iterator["Scope"]:
        """This scope and every scope below it, in pre-order (network order)."""
        yield self
        for child in self.children:
            yield from child.walk()

    def nodes(self) -> list[str]:
        """Every node in this scope's subtree, in network (graph) order."""
        if self._nodes is None:
            found = [n for scope in self.walk() for n in scope.own_nodes]
            self._nodes = sorted(found, key=self.tree.index.__getitem__)
        return self._nodes

    def contains(self, name: str) -> bool:
        """Whether node or scope `name` lies inside this scope (the root contains everything)."""
        return not self.path or name.startswith(self.path + ".")

    def relative(self, name: str) -> str:
        """The name of a node or scope inside this one, relative to it ('branch1.0.conv')."""
        return name[len(self.path) + 1:] if self.path else name

    def inputs(self) -> list[str]:
        """Nodes outside this scope that its nodes read, in order of first reading."""
        return external_inputs(self.tree.graph, self.nodes())

    def outputs(self) -> list[str]:
        """Nodes of this scope read outside it or that are graph outputs (its last node if none)."""
        return exits(self.tree.graph, self.nodes())

    def params(self) -> int:
        """Parameters of every node in the subtree (node meta, after the counting pass)."""
        return _total(self.tree.attrs, self.nodes(), "params")

    def macs(self) -> int:
        """MACs of every node in the subtree, training-only nodes included."""
        return _total(self.tree.attrs, self.nodes(), "macs")


def _total(attrs: dict[str, dict], nodes: list[str], key: str) -> int:
    """The sum of a count (params, macs) in the meta of nodes, read through the tree's attribute dicts
    (graph.nodes[n] costs a view lookup per node, which large graphs feel)."""
    return sum(attrs[n]["meta"][key] for n in nodes)


def external_inputs(graph: nx.DiGraph, nodes: list[str]) -> list[str]:
    """Producers outside `nodes` that nodes in it read, in order of first reading."""
    inside = set(nodes)
    out: list[str] = []
    for n in nodes:
        for i in graph.nodes[n]["inputs"]:
            if i not in inside and i not in out:
                out.append(i)
    return out


def exits(graph: nx.DiGraph, nodes: list[str]) -> list[str]:
    """Nodes of `nodes` read from outside it, or that are graph outputs (the last node if none)."""
    inside = set(nodes)
    outputs = set(graph.graph["outputs"])
    found = [n for n in nodes if n in outputs or any(s not in inside for s in graph.successors(n))]
    return found or nodes[-1:]


class ScopeTree:
    """The scopes of one graph: the root, lookup by path, and each node's scope chain."""

    def __reduce__(self):
        """A copy or pickle of a graph leaves its cached tree behind (scope_tree builds the copy's own when
        asked): copying a graph, as each optimization pass does, need not copy every scope."""
        return (_no_tree, ())

    def __init__(self, graph: nx.DiGraph):
        self.graph = graph
        self.index: dict[str, int] = {n: i for i, n in enumerate(graph.nodes)}
        self.attrs: dict[str, dict] = dict(graph.nodes(data=True))  # each node's attribute dict (graph.nodes[n])
        self.root = Scope("", "network", tree=self)
        self._by_path: dict[str, Scope] = {"": self.root}
        self._of: dict[str, Scope] = {}
        records = graph.graph.get("scopes", {})
        for node in graph.nodes:
            parent = self._scope(node.rpartition(".")[0], records)
            parent.items.append(node)
            self._of[node] = parent
        order = {path: i for i, path in enumerate(records)}  # records are written in pre-order
        built = {id(scope): len(scope.items) for scope in self._by_path.values()}  # items made from nodes
        empty = [self._scope(path, records) for path in records  # recorded scopes with no nodes (every item
                 if path not in self._by_path]                   # skipped by `when:`), in record order
        for parent in {id(scope.parent): scope.parent for scope in empty}.values():
            self._place(parent, built.get(id(parent), 0), {id(scope) for scope in empty}, order)
        self._signature = _signature(graph)

    @staticmethod
    def _place(parent: Scope, built: int, empty: set, order: dict) -> None:
        """Move each scope without nodes of parent (appended after its first `built` items, in record order)
        before the first sibling scope recorded after it, in one pass (there may be tens of thousands)."""
        tail = parent.items[built:]
        waiting = [item for item in tail if id(item) in empty]
        items, k = [], 0
        for item in parent.items[:built]:
            if isinstance(item, Scope) and item.path in order:
                while k < len(waiting) and order[waiting[k].path] < order[item.path]:
                    items.append(waiting[k])
                    k += 1
            items.append(item)
        left = {id(scope) for scope in waiting[k:]}  # after every sibling: where they were appended
        parent.items[:] = items + [item for item in tail if id(item) not in empty or id(item) in left]

    def _scope(self, path: str, records: dict) -> Scope:
        scope = self._by_path.get(path)
        if scope is not None:
            return scope
        head, _, leaf = path.rpartition(".")
        parent = self._scope(head, records)
        record = records.get(path)
        if record is None:
            kind, key, loc = ("head" if path == "head" else "group"), "", ""
        else:
            kind = RECORD_KINDS.get(record["kind"]) or ("conv" if record["key"] == "conv" else "composite")
            key, loc = record["key"], record.get("loc", "")
        scope = Scope(path, kind, key, leaf, parent, loc=loc, tree=self,
                      count=record.get("count") if record else None,
                      in_block=record.get("in_block") if record else None,
                      display=record.get("label", "") if record else "")
        parent.items.append(scope)
        self._by_path[path] = scope
        return scope

    def __getitem__(self, path: str) -> Scope:
        return self._by_path[path]

    def __contains__(self, path: str) -> bool:
        return path in self._by_path

    def get(self, path: str) -> Scope | None:
        """The scope at path, or None."""
        return self._by_path.get(path)

    def scopes(self) -> Iterator[Scope]:
        """Every scope, the root first, in pre-order (network order)."""
        return self.root.walk()

    def scope_of(self, node: str) -> Scope:
        """The innermost scope holding node."""
        return self._of[node]

    def chain(self, name: str) -> list[Scope]:
        """The scopes enclosing a node or scope, outermost (the root) first, innermost last (for a scope:
        its parent)."""
        scope = self._of[name] if name in self._of else self._by_path[name].parent
        out = []
        while scope is not None:
            out.append(scope)
            scope = scope.parent
        return out[::-1]

    def enclosing(self, name: str) -> list[Scope]:
        """chain(name) without the root: the named scopes around a node or scope, outermost first."""
        return self.chain(name)[1:]


def _signature(graph: nx.DiGraph) -> tuple:
    return graph.number_of_nodes(), len(graph.graph.get("scopes", {}))


def _no_tree() -> None:
    """What a copied or unpickled ScopeTree becomes: nothing cached (scope_tree rebuilds)."""
    return None


_CACHED = "_archspec_scope_tree"  # the attribute of the graph object that holds its tree


def scope_tree(graph: nx.DiGraph) -> ScopeTree:
    """The scope tree of a graph, built once and cached (rebuilt if nodes or scope records were added).
    The graph object holds its tree (an attribute, not a graph attribute: never serialized with the IR), so
    the two are freed together; a cache beside the graphs kept every graph alive, since a tree refers to its
    graph (a weak-keyed cache whose values hold their keys never lets a key go)."""
    tree = graph.__dict__.get(_CACHED)
    if tree is None or tree._signature != _signature(graph):
        tree = ScopeTree(graph)
        setattr(graph, _CACHED, tree)
    return tree


# ---------------------------------------------------------------------------------- stages

@dataclass(eq=False)
class Stage:
    """A top-level stage of the network, or (in network_units) an item of an unrecorded top-level group."""

    name: str
    nodes: list[str]  # in network order
    scope: Scope | None  # None for a single node directly in the root
    graph: nx.DiGraph = field(repr=False)

    @property
    def kind(self) -> str:
        """The kind of its scope if the expander recorded it (block, repeat, composite, conv), else 'node'."""
        return self.scope.kind if self.scope is not None and self.scope.recorded else "node"

    @property
    def key(self) -> str:
        """The block name, composite op or 'conv' of a recorded scope; '' otherwise."""
        return self.scope.key if self.kind != "node" else ""

    @property
    def what(self) -> str:
        """The key of a recorded scope, else the op of a single node, else the name (the head)."""
        if self.kind != "node":
            return self.key
        return self.graph.nodes[self.nodes[0]]["op"] if len(self.nodes) == 1 else self.name

    @property
    def count(self) -> int:
        """The repeat count of a repeat group, 1 otherwise."""
        return self.scope.count if self.kind == "repeat" else 1

    @property
    def output(self) -> tuple[int, ...]:
        """The shape of its last node."""
        return tuple(self.graph.nodes[self.nodes[-1]]["meta"]["shape"])

    @property
    def params(self) -> int:
        return _total(scope_tree(self.graph).attrs, self.nodes, "params")

    @property
    def macs(self) -> int:
        return _total(scope_tree(self.graph).attrs, self.nodes, "macs")

    @property
    def train_only(self) -> bool:
        """Whether every node of it runs only in training (an auxiliary head)."""
        return all(self.graph.nodes[n]["meta"].get("train_only", False) for n in self.nodes)


def _stage(graph: nx.DiGraph, item) -> Stage | None:
    if isinstance(item, Scope):
        nodes = item.nodes()
        return Stage(item.path, nodes, item, graph) if nodes else None
    return Stage(item, [item], None, graph)


def stages(graph: nx.DiGraph) -> list[Stage]:
    """The top-level stages, in network order. Definition: a stage is one item of the network root of the
    scope tree, that is one top-level item of the spec's `network:` (a block use, a repeat group, a
    composite, a conv unit, a primitive op) or the whole `head:` section; the input node is no stage, and a
    scope without nodes (every item skipped by `when:`) is none either. Reports, summaries, diffs and the
    network diagram all start from this list."""
    tree = scope_tree(graph)
    out = [_stage(graph, item) for item in tree.root.items if item != graph.graph["input"]]
    return [s for s in out if s is not None]


def unfold(stage: Stage) -> list[Stage]:
    """A stage that is an unrecorded group of several nodes (the head) as its items; any other stage as is."""
    if stage.scope is None or stage.scope.recorded or len(stage.nodes) == 1:
        return [stage]
    out = [_stage(stage.graph, item) for item in stage.scope.items]
    return [s for s in out if s is not None]


# ---------------------------------------------------------------------------------- consistency

def scope_problems(graph: nx.DiGraph) -> list[str]:
    """Inconsistencies between the nodes, the scope records and the scope tree, each naming a node or
    scope (empty list = consistent); ir.lint reports them."""
    tree = scope_tree(graph)
    problems: list[str] = []
    homes: dict[str, int] = {}
    scopes = list(tree.scopes())
    linked = {(id(scope), id(child)) for scope in scopes for child in scope.children}
    for scope in scopes:
        if scope.parent is not None and (tree.get(scope.parent.path) is not scope.parent
                                         or (id(scope.parent), id(scope)) not in linked):
            problems.append(f"scope {scope.path!r}: its parent scope {scope.parent.path!r} is not in the tree")
        for node in scope.own_nodes:
            homes[node] = homes.get(node, 0) + 1
    for name in graph.nodes:
        if homes.get(name) != 1:
            problems.append(f"{name}: is in {homes.get(name, 0)} scopes, not exactly one")
        if name in tree:
            problems.append(f"{name}: name is also used as a scope of other nodes")
        declared = graph.nodes[name].get("scope", "")
        if declared and (declared not in tree or tree[declared] not in tree.chain(name)):
            problems.append(f"{name}: its block use {declared!r} is not a scope enclosing it")
    for path, record in graph.graph.get("scopes", {}).items():
        parent = record.get("parent", "")
        if parent and (parent not in tree or not (parent == path or tree[parent].contains(path))):
            problems.append(f"scope {path!r}: its parent block use {parent!r} is not a scope enclosing it")
    return problems
