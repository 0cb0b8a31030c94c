"""Lower an IR graph to a trainable torch.nn.Module.

The module tree mirrors the node names (`inception_a.2.branch1.0.conv` is a real submodule path, so
state_dict keys point back at the spec). `forward` runs a plan computed once here: a tuple of
(module, input slots, output slot, slots to free) executed in order, with no graph or name lookups.
"""
from __future__ import annotations

from typing import Sequence

import networkx as nx
import torch
from torch import nn

from ..ops import OPS
from ..passes.liveness import eval_outputs


class Scope(nn.Module):
    """A container for the modules of one block use or composite; it has no forward of its own."""

    def forward(self, *args):  # pragma: no cover - a clear error instead of nn.Module's generic one
        raise RuntimeError("archspec scopes are containers; call the whole network instead")


class ArchNet(nn.Module):
    """A network compiled from an archspec IR graph."""

    def __init__(self, graph: nx.DiGraph):
        super().__init__()
        self.spec_name = graph.graph["name"]
        self.input_shape = tuple(graph.nodes[graph.graph["input"]]["meta"]["shape"])
        slots = {graph.graph["input"]: 0}
        steps, train_only = [], set()
        for name in graph.nodes:
            data = graph.nodes[name]
            if data["op"] == "input":
                continue
            attrs = dict(data["attrs"])
            if _may_run_in_place(graph, name):
                attrs["inplace"] = True
            in_shapes = [graph.nodes[i]["meta"]["shape"] for i in data["inputs"]]
            module = OPS[data["op"]].lower(attrs, in_shapes)
            self._install(name, module)
            slots[name] = len(slots)
            steps.append((module, tuple(slots[i] for i in data["inputs"]), slots[name]))
            if data["meta"].get("train_only"):
                train_only.add(slots[name])
        self._num_slots = len(slots)
        # Training returns every output (main first, then auxiliary heads); eval returns what
        # eval_outputs names and skips the steps only train-only outputs need.
        self._outputs = tuple(slots[o] for o in graph.graph["outputs"])
        self._eval_outputs = tuple(slots[o] for o in eval_outputs(graph))
        self._plan = _with_frees(steps, self._outputs)
        self._eval_plan = _with_frees([s for s in steps if s[2] not in train_only], self._eval_outputs)

    def _install(self, name: str, module: nn.Module) -> None:
        *parents, leaf = name.split(".")
        owner: nn.Module = self
        for part in parents:
            child = owner._modules.get(part)
            if child is None:
                child = Scope()
                owner.add_module(part, child)
            owner = child
        owner.add_module(leaf, module)

    def forward(self, x: torch.Tensor):
        plan, outputs = (self._plan, self._outputs) if self.training else (self._eval_plan, self._eval_outputs)
        values: list = [None] * self._num_slots
        values[0] = x
        for module, inputs, out, frees in plan:
            if len(inputs) == 1:
                values[out] = module(values[inputs[0]])
            else:
                values[out] = module(*[values[i] for i in inputs])
            for slot in frees:
                values[slot] = None
        if len(outputs) == 1:
            return values[outputs[0]]
        return tuple(values[o] for o in outputs)


def _may_run_in_place(graph: nx.DiGraph, name: str) -> bool:
    """The op may overwrite its input (a ReLU), and the producer's backward does not read its output."""
    data = graph.nodes[name]
    if not OPS[data["op"]].inplace_capable(data["attrs"]):
        return False
    (producer,) = data["inputs"]
    return (OPS[graph.nodes[producer]["op"]].inplace_safe_output and graph.out_degree(producer) == 1
            and producer not in graph.graph["outputs"])


def _with_frees(steps: Sequence[tuple], outputs: Sequence[int]) -> tuple:
    """Attach to each step the slots whose last reader it is, so eval memory stays small."""
    last_use: dict[int, int] = {}
    for index, (_, inputs, _) in enumerate(steps):
        for slot in inputs:
            last_use[slot] = index
    frees: list[list[int]] = [[] for _ in steps]
    for slot, index in last_use.items():
        if slot not in outputs:
            frees[index].append(slot)
    return tuple((m, i, o, tuple(f)) for (m, i, o), f in zip(steps, frees))


def module_from_graph(graph: nx.DiGraph, seed: int | None = None) -> ArchNet:
    """Instantiate the module for a lowered graph; a seed makes the initial weights reproducible."""
    if seed is None:
        return ArchNet(graph)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ArchNet(graph)


def verify_on_meta(graph: nx.DiGraph) -> int:
    """Build the module on the meta device (no weights allocated or initialised) and return its
    parameter count. Raises RuntimeError if the module disagrees with the IR, which would be a bug in
    archspec, not in the spec. (A forward on meta tensors would check shapes too, but costs seconds
    in PyTorch's Python decompositions; the test suite checks shapes with real forwards instead.)"""
    with torch.device("meta"):
        model = ArchNet(graph)
    params = sum(p.numel() for p in model.parameters())
    expected = sum(graph.nodes[n]["meta"]["params"] for n in graph.nodes)
    if params != expected:
        raise RuntimeError(f"internal error: the IR counts {expected} params, the module has {params}")
    return params
