"""Real measurements of activation memory, for the tests of analysis.activations and analysis.memory:
the bytes autograd keeps for backward (saved-tensor hooks), and the peak of activation storage an eval
forward holds (every tensor an aten op returns, tracked until its last reference dies)."""
from __future__ import annotations

import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves


def _weights(model: torch.nn.Module) -> set[int]:
    return {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}


def saved_bytes(model: torch.nn.Module, x: torch.Tensor) -> int:
    """Bytes of the storages autograd keeps for backward in one forward of `model` (in its current mode),
    each storage once, whole; parameters and buffers left out."""
    weights, saved = _weights(model), {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in weights:
            saved[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x)
    return sum(saved.values())


class _LiveStorages(TorchDispatchMode):
    """Counts the bytes of storages alive at once: a storage is born with the first tensor an op returns
    on it and dies with the last such tensor (weakref finalizers); the highest sum is `peak`."""

    def __init__(self, skip: set[int]):
        super().__init__()
        self.skip, self.live, self.refs, self.held, self.peak = skip, {}, {}, 0, 0

    def track(self, t: torch.Tensor) -> None:
        storage = t.untyped_storage()
        ptr = storage.data_ptr()
        if ptr in self.skip or storage.nbytes() == 0:
            return
        if ptr not in self.live:
            self.live[ptr] = storage.nbytes()
            self.held += storage.nbytes()
            self.peak = max(self.peak, self.held)
        self.refs[ptr] = self.refs.get(ptr, 0) + 1
        weakref.finalize(t, self._release, ptr)

    def _release(self, ptr: int) -> None:
        self.refs[ptr] -= 1
        if not self.refs[ptr]:
            del self.refs[ptr]
            self.held -= self.live.pop(ptr)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_leaves(out):
            if isinstance(t, torch.Tensor):
                self.track(t)
        return out


def eval_peak_bytes(model: torch.nn.Module, x: torch.Tensor) -> int:
    """The most activation bytes (the input included, weights not) alive at once in an eval forward."""
    model.eval()
    tracker = _LiveStorages(_weights(model))
    with torch.no_grad():
        tracker.track(x)
        with tracker:
            model(x)
    return tracker.peak
