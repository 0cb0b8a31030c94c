"""Tracing a model's slots and the dataflow between them, for the structural weight import (match.py).

A *slot* is a module that owns state_dict tensors itself (a conv, a batch norm, a linear, a layer
norm, a block holding a layer-scale gamma). One forward pass on an example input, under a
`TorchFunctionMode`, records for every slot:

- its *kind*: the torch function that first combined its tensors with an activation (conv2d ->
  `conv`, batch_norm -> `batchnorm`, linear -> `linear`, layer_norm -> `layernorm`, mul -> `mul`, ...),
  and for convolutions the stride, dilation and groups;
- its *inputs*: the nearest upstream slots of every activation it read (the network's input is
  `INPUT`), found by propagating, for every activation tensor, the set of slots it was computed from
  through parameter-free operations (adds, concatenations, activations, pooling, reshapes);
- when it first ran (execution order), and which slots feed the network's outputs.

Tensors are recognised by identity (a module's parameters and buffers, and tensors computed only
from one slot's tensors, such as `gamma.reshape(1, -1, 1, 1)`); activations carry their provenance in a
`WeakTensorKeyDictionary`, so nothing is kept alive. A `Trace` is plain data and round-trips through
JSON: a model traced where its library is installed can be matched where it is not.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

import torch
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree
from torch.utils.weak import WeakTensorKeyDictionary

INPUT = "<input>"
FORMAT = "archspec-slot-trace/1"

_KINDS = {"conv1d": "conv", "conv2d": "conv", "conv3d": "conv", "conv_transpose1d": "conv_transpose",
          "conv_transpose2d": "conv_transpose", "conv_transpose3d": "conv_transpose", "batch_norm": "batchnorm",
          "linear": "linear", "layer_norm": "layernorm", "group_norm": "groupnorm", "instance_norm": "instancenorm",
          "embedding": "embedding", "prelu": "prelu", "rms_norm": "rmsnorm", "__mul__": "mul", "__rmul__": "mul",
          "mul_": "mul", "__add__": "add", "__radd__": "add", "add_": "add", "__iadd__": "add", "__imul__": "mul"}
_CONV_ARGS = ("stride", "padding", "dilation", "groups")  # F.conv*d(input, weight, bias, stride, padding, dilation, groups)


@dataclass
class Slot:
    """One module owning state_dict tensors: its path, its tensors (local name, shape) in state_dict order,
    and what the forward pass showed about it (kind, attrs, order, inputs; order None: it never ran)."""
    name: str
    tensors: list[tuple[str, tuple[int, ...]]]
    kind: str = "unused"
    attrs: dict[str, Any] = field(default_factory=dict)
    order: int | None = None
    inputs: list[str] = field(default_factory=list)

    def key(self, local: str) -> str:
        return f"{self.name}.{local}" if self.name else local


@dataclass
class Trace:
    """The slots of a model (state_dict order) and which slots feed its outputs."""
    slots: list[Slot]
    outputs: list[str]
    input_shape: tuple[int, ...] | None = None

    def by_name(self) -> dict[str, Slot]:
        return {s.name: s for s in self.slots}

    def to_json(self) -> dict:
        return {"format": FORMAT, "input_shape": list(self.input_shape) if self.input_shape else None,
                "outputs": self.outputs,
                "slots": [{"name": s.name, "kind": s.kind, "attrs": s.attrs, "order": s.order, "inputs": s.inputs,
                           "tensors": [[n, list(shape)] for n, shape in s.tensors]} for s in self.slots]}

    @classmethod
    def from_json(cls, data: Mapping) -> "Trace":
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(f"not a slot trace (expected a mapping with format {FORMAT!r})")
        try:
            slots = [Slot(s["name"], [(n, tuple(shape)) for n, shape in s["tensors"]], s["kind"], dict(s["attrs"]),
                          s["order"], list(s["inputs"])) for s in data["slots"]]
            shape = data.get("input_shape")
            return cls(slots, list(data["outputs"]), tuple(shape) if shape else None)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed slot trace ({type(exc).__name__}: {exc}); record it with "
                             "trace_module(module, x).to_json()") from None

    def dumps(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"))


def slots_of_state_dict(shapes: Mapping[str, Any]) -> list[Slot]:
    """The slots a state_dict implies, without a model: its keys grouped by owner (all but the last
    dotted part), in key order. Values are tensors or shapes."""
    slots: dict[str, Slot] = {}
    for key, value in shapes.items():
        owner, _, local = key.rpartition(".")
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else tuple(value)
        slots.setdefault(owner, Slot(owner, [])).tensors.append((local, shape))
    return list(slots.values())


class _Recorder(TorchFunctionMode):
    """Propagates provenance through every torch function call of a forward pass."""

    def __init__(self, owner_of: dict[int, int], slots: list[Slot]):
        super().__init__()
        self.owner_of = owner_of  # id(tensor) -> slot index, for every state_dict tensor
        self.slots = slots
        self.seen: set[int] = set()
        self.inputs: dict[int, set[str]] = {}
        self.prov = WeakTensorKeyDictionary()  # activation -> frozenset of slot names (or INPUT)
        self.derived = WeakTensorKeyDictionary()  # tensor computed only from slots' tensors -> frozenset(index)
        self.runs = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        owners: set[int] = set()
        acts: set[str] = set()
        for leaf in pytree.tree_leaves((args, kwargs)):
            if not isinstance(leaf, torch.Tensor):
                continue
            if id(leaf) in self.owner_of:
                owners.add(self.owner_of[id(leaf)])
            elif leaf in self.derived:
                owners |= self.derived[leaf]
            elif leaf in self.prov:
                acts |= self.prov[leaf]
        if owners and acts:
            names = frozenset(self.slots[i].name for i in owners)
            for index in sorted(owners):
                self._ran(index, func, args, kwargs, acts - names)
            self._mark(out, self.prov, names)
        elif owners:
            self._mark(out, self.derived, frozenset(owners))
        elif acts:
            self._mark(out, self.prov, frozenset(acts))
        return out

    def _ran(self, index: int, func, args, kwargs, inputs: set[str]) -> None:
        slot = self.slots[index]
        self.inputs.setdefault(index, set()).update(inputs)
        if index in self.seen:
            return
        self.seen.add(index)
        slot.order, self.runs = self.runs, self.runs + 1
        name = getattr(func, "__name__", str(func))
        slot.kind = _KINDS.get(name, name)
        if slot.kind in ("conv", "conv_transpose"):
            for position, arg in enumerate(_CONV_ARGS, start=3):
                value = kwargs.get(arg, args[position] if len(args) > position else None)
                if arg != "padding" and value is not None:
                    slot.attrs[arg] = list(value) if isinstance(value, (tuple, list)) else value

    @staticmethod
    def _mark(out, table, value) -> None:
        for leaf in pytree.tree_leaves(out):
            if isinstance(leaf, torch.Tensor):
                table[leaf] = value


def _at_dtype_of(module: torch.nn.Module, inputs: tuple) -> tuple:
    """The floating-point inputs at the dtype and on the device of the module's first floating-point tensor
    (a float64 or bfloat16 model is traced with the float32 example input all models share)."""
    first = next((t for t in module.state_dict().values() if t.is_floating_point()), None)
    if first is None:
        return inputs
    return pytree.tree_map(lambda leaf: leaf.to(first.device, first.dtype) if isinstance(leaf, torch.Tensor)
                           and leaf.is_floating_point() else leaf, inputs)


def trace_module(module: torch.nn.Module, example_input) -> Trace:
    """The slots of module and the dataflow between them, from one forward pass in eval mode without
    gradients (every submodule's training flag is restored; nothing else changes). example_input: a tensor, or a tuple of
    positional inputs (each tensor in it is the network's input; floating-point ones are cast to the module's
    dtype and device)."""
    state = module.state_dict(keep_vars=True)
    slots = slots_of_state_dict(state)
    index = {s.name: i for i, s in enumerate(slots)}
    owner_of = {id(t): index[key.rpartition(".")[0]] for key, t in state.items()}
    recorder = _Recorder(owner_of, slots)
    inputs = _at_dtype_of(module, example_input if isinstance(example_input, tuple) else (example_input,))
    for leaf in pytree.tree_leaves(inputs):
        if isinstance(leaf, torch.Tensor):
            recorder.prov[leaf] = frozenset([INPUT])
    modes = {m: m.training for m in module.modules()}  # restored one by one: a frozen BN stays in eval
    module.eval()
    try:
        with torch.no_grad(), recorder:
            out = module(*inputs)
    finally:
        for m, training in modes.items():
            m.training = training
    for i, names in recorder.inputs.items():
        slots[i].inputs = sorted(names)
    outputs: set[str] = set()
    for leaf in pytree.tree_leaves(out):
        if isinstance(leaf, torch.Tensor) and leaf in recorder.prov:
            outputs |= recorder.prov[leaf]
    shape = tuple(inputs[0].shape) if isinstance(inputs[0], torch.Tensor) else None
    return Trace(slots, sorted(outputs), shape)
