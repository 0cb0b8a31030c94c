"""Activation memory of a counted IR, without building it: which storage each op's output lives in, what
autograd keeps for the backward of a training step, and the peak of what an inference forward must hold.

Storage: an op whose output is its input (`OpDef.aliases_input`: a view such as flatten or a channel
slice, an identity, an activation the built model runs in place, dropout in eval) allocates nothing; its
output lives in its input's storage, the *root*. Everything is counted in elements at batch 1: per sample
(x batch) or fixed, in the activations' dtype unless an op says otherwise (max-pool indices are int64).

Saved for backward (training): each op's `OpDef.saves` (its inputs, its output, tensors of its own), for
every op that takes part in backward (it has parameters, or an input that needs a gradient: the network's
input does not), auxiliary heads included. A storage is counted once however many ops keep it, whole
(a channel slice keeps its whole map alive). Weights are not activations: not counted here.

Inference peak: the ops of an eval forward run in network order (auxiliary heads skipped); each storage
lives from the op that makes it to the last op that reads it (or to the end, for outputs); the peak is
the largest sum of live storages while an op runs: its inputs, its output and what it makes besides
(`OpDef.scratch`: a norm's statistics, max-pool indices). A module's caller holds the module's inputs until
it returns, and the caller of the network its input, so those live that long. Workspaces inside a kernel
(im2col, oneDNN buffers) are not in it, nor tensors a generated forward keeps in a variable past their
last reader (U-Net's skip connections, held until the network's forward returns).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import networkx as nx

from ..ir.node import node, nodes
from ..ops import OPS
from ..ir.scopes import scope_tree


def runs_in_place(graph: nx.DiGraph, name: str, protected: set[str]) -> bool:
    """Whether the built model runs this op in place: it may overwrite its input (a ReLU), the producer's
    backward does not read its output (both flags of the ops in the registry), nothing else reads that
    output, it is not protected (a network output or feature tap) and both are in one module (a block
    called on its own must not overwrite the tensor it was given)."""
    this = node(graph, name)
    if not this.opdef.inplace_capable(this.attrs):
        return False
    (producer,) = this.inputs
    tree = scope_tree(graph)
    return (node(graph, producer).opdef.inplace_safe_output and graph.out_degree(producer) == 1
            and producer not in protected and tree.scope_of(producer) is tree.scope_of(name))


def in_place_ops(graph: nx.DiGraph) -> set[str]:
    """The ops the whole network's model (build_model) runs in place (only ReLU-like ops are candidates,
    so the feature taps protecting producers are found only when there is one)."""
    candidates = [n for n in nodes(graph) if n.opdef.inplace_capable(n.attrs)]
    if not candidates:
        return set()
    from .features import spec_taps
    protected = set(graph.graph["outputs"]) | {t.node for t in spec_taps(graph)}
    return {n.name for n in candidates if runs_in_place(graph, n.name, protected)}


@dataclass(frozen=True)
class _Op:
    """What the sums read of one node, read once."""

    name: str
    opdef: object
    attrs: dict  # with inplace: True where the model runs it in place
    inputs: list
    input_shapes: list
    shape: tuple
    params: int
    train_only: bool


def _ops(graph: nx.DiGraph, inplace: set[str] | None) -> list[_Op]:
    inplace = in_place_ops(graph) if inplace is None else inplace
    data = dict(graph.nodes(data=True))
    out = []
    for name, d in data.items():
        attrs = {**d["attrs"], "inplace": True} if name in inplace else d["attrs"]
        meta = d["meta"]
        out.append(_Op(name, OPS[d["op"]], attrs, d["inputs"], [tuple(data[i]["meta"]["shape"]) for i in d["inputs"]],
                       tuple(meta["shape"]), meta["params"], bool(meta.get("train_only"))))
    return out


def storage_roots(ops: list[_Op], training: bool) -> dict[str, str]:
    """op -> the op whose output storage its output lives in (itself unless it aliases its input)."""
    roots: dict[str, str] = {}
    for op in ops:
        aliases = op.inputs and op.opdef.aliases_input(op.attrs, op.input_shapes, training)
        roots[op.name] = roots[op.inputs[0]] if aliases else op.name
    return roots


@dataclass(frozen=True)
class Footprint:
    """Elements of tensors at batch 1, by element size (0: the activations' dtype) and whether they scale
    with the batch."""

    parts: tuple[tuple[int, bool, int], ...]  # (itemsize or 0, per sample, elements)

    def bytes(self, batch: int, itemsize: int) -> int:
        return sum((size or itemsize) * (batch if per_sample else 1) * count for size, per_sample, count in self.parts)


def saved_for_backward(graph: nx.DiGraph, input_grad: bool = False, inplace: set[str] | None = None) -> Footprint:
    """What autograd keeps from a training forward for backward (module docstring); input_grad: the
    network's input needs a gradient too (an adversarial example, a network used inside another);
    inplace: in_place_ops(graph), where the caller has it."""
    ops = _ops(graph, inplace)
    roots = storage_roots(ops, True)
    needs_grad: dict[str, bool] = {}
    kept: dict[str, int] = {}
    own: Counter = Counter()
    for op in ops:
        needs_grad[op.name] = (op.params > 0 or any(needs_grad[i] for i in op.inputs)
                               or (input_grad and op.name == graph.graph["input"]))
        if not needs_grad[op.name]:
            continue
        for saved in op.opdef.saves(op.attrs, op.input_shapes, op.shape):
            if saved.of == "own":
                own[(saved.itemsize or 0, saved.per_sample)] += saved.elements
            else:
                kept[roots[op.name if saved.of == "output" else op.inputs[saved.of]]] = 0
    sizes = {op.name: math.prod(op.shape) for op in ops}
    own[(0, True)] += sum(sizes[root] for root in kept)
    return Footprint(tuple((size, per_sample, count) for (size, per_sample), count in sorted(own.items()) if count))


def inference_peak(graph: nx.DiGraph, itemsizes=(4,), inplace: set[str] | None = None) -> dict[int, int]:
    """Per-sample bytes an eval forward holds at its peak, for activations of each of `itemsizes` bytes
    (module docstring); inplace: in_place_ops(graph), where the caller has it."""
    ops = _ops(graph, inplace)
    roots = storage_roots(ops, False)
    run = [op for op in ops if not op.train_only]
    order = {op.name: i for i, op in enumerate(run)}
    last: dict[str, int] = {}
    for i, op in enumerate(run):
        for name in [op.name, *op.inputs]:
            last[roots[name]] = i
    for scope in scope_tree(graph).root.walk():  # a module's caller holds its inputs until it returns
        inside = [order[n] for n in scope.nodes() if n in order]
        for name in scope.inputs() if scope.path and inside else ():
            last[roots[name]] = max(last[roots[name]], inside[-1])
    for out in [graph.graph["input"], *graph.graph["outputs"]]:  # the caller holds the input throughout
        last[roots[out]] = len(run)
    dies: dict[int, list[str]] = {}
    for root, i in last.items():
        dies.setdefault(i, []).append(root)
    live: dict[str, int] = {}
    held = 0  # elements in the activations' dtype
    peak = dict.fromkeys(itemsizes, 0)
    for i, op in enumerate(run):
        root = roots[op.name]
        if root not in live:
            live[root] = math.prod(op.shape)
            held += live[root]
        scratch = op.opdef.scratch(op.attrs, op.input_shapes, op.shape)
        for size in itemsizes:
            total = held * size + sum((s.itemsize or size) * s.elements for s in scratch)
            if total > peak[size]:
                peak[size] = total
        for root in dies.get(i, ()):
            held -= live.pop(root)
    return peak
