"""Counting many variants of one spec (design sweeps): block uses folded from a memo of fragments.

What a block use expands to depends only on the block, its parameter values, the shapes of the tensors
it reads, the blocks it is nested in (recursion and the `block_depth` limit) and the `init:` mappings in
force; names, the trace in messages and locations differ, the nodes, shapes, params and MACs do not.
CountingExpander expands the first use of each such key for real, records its fragment (output shape,
params, MACs, ops, work) in a FragmentMemo, and folds every later use into one node (op FOLDED) that
carries those numbers: the uses of a repeat after the first, and across the variants of a sweep, every
block whose arguments and input shapes were seen before. A WRN variant costs a few block expansions.

Nothing that could differ is taken from the memo:
- a fragment is recorded only from an expansion during which nothing was reported (the variant's
  mistakes are reported by expanding, located, in every variant that has them);
- not recorded: a use that gives several tensors or passes a tensor through, leaves a tensor unread (a
  dead end), adds an auxiliary output or ends in a flat vector (`keepdim: false`: the item after it names
  it in its message);
- not folded: a use inside a residual whose `zero_init_last` may walk back into it, a fold that would
  pass the `ops` or `work` limit (it is expanded, and the limit reported where it is reached).
A fold charges the `work` the expansion cost when it was recorded, and counts its ops against `ops`.
The memo belongs to one loaded spec (its blocks), holds at most `size` fragments (the least recently
used is dropped), and is emptied when the limits in force change.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import networkx as nx

from ..errors import DiagnosticSink
from ..ir.passes.counts import node_counts
from ..language.init import zero_init_last
from ..language.walk import BlockRef, Env, Value
from ..limits import current as limits
from ..language.syntax import BlockUse
from .budget import memo_key
from .expander import CompositeExpander, Expander, Use
from .references import bind as bind_id, block_inputs

FOLDED = "<folded block use>"  # the op of a folded use's node (only in a CountingExpander's graph)
MEMO_SIZE = 4096


@dataclass(frozen=True)
class Fragment:
    """What one expansion of a block use made: its output shape, params, MACs, ops and work spent."""

    shape: tuple[int, ...]
    params: int
    macs: int
    ops: int
    work: int


@dataclass(frozen=True)
class Counts:
    """A network's counts: params, MACs in eval mode, MACs in training (auxiliary heads included), the
    shape of its (first) output and of its input."""

    params: int
    macs: int
    macs_train: int
    output: tuple[int, ...]
    input: tuple[int, ...]


class FragmentMemo:
    """Fragments of one spec's block uses, keyed by what their expansion depends on (bounded, LRU)."""

    def __init__(self, size: int = MEMO_SIZE):
        self.size = size
        self.hits = self.misses = 0
        self._entries: OrderedDict = OrderedDict()
        self._owner: tuple = (None, None)  # (the spec's blocks, the limits) the entries were made under

    def __len__(self) -> int:
        return len(self._entries)

    def bind(self, blocks: dict[str, BlockRef]) -> None:
        """Use the memo for a spec with these blocks under the limits in force (else start empty)."""
        owner = (blocks, limits())
        if owner[0] is not self._owner[0] or owner[1] != self._owner[1]:
            self._entries.clear()
            self._owner = owner

    def get(self, key) -> Fragment | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
            self._entries.move_to_end(key)
        return found

    def put(self, key, fragment: Fragment) -> None:
        self._entries[key] = fragment
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)


class CountingExpander(Expander):
    """An Expander for counts only: no provenance, and block uses folded from a memo (None: none folded)."""

    def __init__(self, blocks: dict[str, BlockRef], sink: DiagnosticSink, composites: dict[type, CompositeExpander],
                 graph_name: str, memo: FragmentMemo | None):
        super().__init__(blocks, sink, composites, graph_name)
        self.memo = memo
        if memo is not None:
            memo.bind(blocks)
        self.made: list[str] = []  # every node, in order (folded uses included)
        self._binds: dict = {}  # (item, scope, blocks in use) -> what binding its arguments gave, see bind_use
        self._keys: dict = {}  # id(values) -> (values, their memo key)
        self._repeats: dict = {}  # (item, scope, init, blocks in use, input shape) -> a fold, see one()
        self._last_fold: Fragment | None = None
        self._run: tuple | None = None  # (node, key) of the last instance folded, when the next may extend it

    def provenance(self, *args) -> None:
        return None  # nothing reads it

    def emit(self, name: str, op: str, attrs: dict, inputs: list[Value], env: Env, path, why=None) -> Value:
        y = super().emit(name, op, attrs, inputs, env, path, why)
        if y.node is not None:
            self.made.append(y.node)
        return y

    def one(self, node, name: str, env: Env, x: Value, overrides: dict, transparent: bool = False) -> Value:
        """An instance of a block use folded as the one before it in the same scope with the same input
        shape was (the instances of a repeat after the first): what that cost in work is charged again."""
        if overrides or self.memo is None or not isinstance(node, BlockUse) or x.parts or x.node is None:
            return super().one(node, name, env, x, overrides, transparent)
        key = (id(node), id(env.scope), tuple(map(id, env.init)), env.blocks_in_use, x.shape)
        seen = self._repeats.get(key)
        if seen is not None and seen[0] is env.scope and self._fits(seen[1], name):
            self.spend(env, node.path, seen[2])
            if self._run == (x.node, key) and node.mods.id is None and not self.graph.out_degree(x.node):
                return self._extend(seen[1], node, env, x)
            result = self._fold(seen[1], node, name, env, [x.node])
            self._run = (name, key) if result.shape == x.shape else None
            bind_id(node, env, result)
            return result
        before, self._last_fold = self.meter.work, None
        result = super().one(node, name, env, x, overrides, transparent)
        fold = self._last_fold
        if fold is not None and result.node == name and self.graph.nodes[name]["op"] == FOLDED and not self.sink:
            self._repeats[key] = (env.scope, fold, self.meter.work - before - fold.work)
        return result

    def bind_use(self, node: BlockUse, env: Env, x: Value, overrides: dict) -> Use | None:
        """Bound as before when the same item is used again in the same scope without first/last overrides
        (the instances of a repeat): the arguments are evaluated in the scope alone. The work binding cost
        is charged again; the scope is held, so its id stays its own."""
        if overrides or self.memo is None:
            return super().bind_use(node, env, x, overrides)
        key = (id(node), id(env.scope), env.blocks_in_use)
        bound = self._binds.get(key)
        if bound is not None:
            _, use, work = bound
            self.spend(env, node.key_path, work)
            ids = block_inputs(self, node, use.block, env, x)
            return None if ids is None or ids["input"][0].shape is None else replace(use, ids=ids)
        before = self.meter.work
        use = super().bind_use(node, env, x, overrides)
        if use is not None and not self.sink:
            self._binds[key] = (env.scope, use, self.meter.work - before)
        return use

    def expand_use(self, node: BlockUse, name: str, env: Env, use: Use) -> Value:
        key = self._key(use, env)
        if key is None:
            return super().expand_use(node, name, env, use)
        fragment = self.memo.get(key)
        if fragment is not None and self._fits(fragment, name):
            return self._fold(fragment, node, name, env, [v.node for values in use.ids.values() for v in values])
        start, folded, work = len(self.made), self.folded, self.meter.work
        aux = len(self.graph.graph["aux_outputs"])
        out = super().expand_use(node, name, env, use)
        made = self.made[start:]
        if (fragment is None and not self.sink and out.node is not None and made and made[-1] == out.node
                and len(self.graph.graph["aux_outputs"]) == aux and out.node not in self._flat
                and all(self.graph.out_degree(n) for n in made[:-1])):
            params = macs = 0
            for n in made:
                p, m = self._counts(n)
                params, macs = params + p, macs + m
            self.memo.put(key, Fragment(out.shape, params, macs, len(made) + self.folded - folded,
                                        self.meter.work - work))
        return out

    def _key(self, use: Use, env: Env):
        """What the use's expansion depends on besides the block's own definition; None: not memoized."""
        if self.memo is None or (env.init and zero_init_last(env.init) is not None):
            return None
        shapes = tuple((k, tuple(v.shape for v in values)) for k, values in use.ids.items())
        known = self._keys.get(id(use.values))
        if known is None or known[0] is not use.values:
            known = self._keys[id(use.values)] = (use.values, memo_key(use.values, sort=True))
        return use.block.name, known[1], shapes, env.blocks_in_use, tuple(map(id, env.init))

    def _fits(self, fragment: Fragment, name: str) -> bool:
        """Whether folding stays within the `ops` and `work` limits (else expanding reports where)."""
        return (name not in self.graph and self.meter.work + fragment.work <= self._work
                and self.graph.number_of_nodes() + self.folded + fragment.ops <= limits().ops)

    def _fold(self, fragment: Fragment, node: BlockUse, name: str, env: Env, inputs: list[str]) -> Value:
        inputs = list(dict.fromkeys(inputs))
        self.spend(env, node.key_path, fragment.work)
        self.graph.add_node(name, op=FOLDED, attrs={}, inputs=inputs, src={}, scope=env.block_use,
                            meta={"shape": fragment.shape, "params": fragment.params, "macs": fragment.macs})
        for producer in inputs:
            self.graph.add_edge(producer, name)
        self.folded += fragment.ops - 1
        self.origin[name] = (env, node.path)
        self.made.append(name)
        self._last_fold = fragment
        return Value(name, fragment.shape)

    def _extend(self, fragment: Fragment, node: BlockUse, env: Env, x: Value) -> Value:
        """The instance after a folded one of the same item, shape and scope, with nothing reading that one
        yet (a run of a repeat): added to its node, which now stands for both."""
        self.spend(env, node.key_path, fragment.work)
        meta = self.graph.nodes[x.node]["meta"]
        meta["params"] += fragment.params
        meta["macs"] += fragment.macs
        self.folded += fragment.ops
        return x

    def _counts(self, name: str) -> tuple[int, int]:
        data = self.graph.nodes[name]
        if data["op"] == FOLDED:
            return data["meta"]["params"], data["meta"]["macs"]
        return node_counts(self.graph, name)

    def counts(self, graph: nx.DiGraph) -> Counts:
        """The totals of the graph this expander made, once train-only nodes are marked (ir.passes.liveness)."""
        params = macs = macs_train = 0
        for name in graph.nodes:
            p, m = self._counts(name)
            params, macs_train = params + p, macs_train + m
            if not graph.nodes[name]["meta"].get("train_only"):
                macs += m
        output = graph.nodes[graph.graph["outputs"][0]]["meta"]["shape"]
        shape = graph.nodes[graph.graph["input"]]["meta"]["shape"]
        return Counts(params, macs, macs_train, tuple(output), tuple(shape))
