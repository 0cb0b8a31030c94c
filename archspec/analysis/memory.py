"""What a model built from a counted IR would allocate, estimated without allocating, and the refusal
`build_model` applies before any tensor exists. The one source of the memory figures `archspec summary`
prints and `build_model(..., batch=N)` checks.

Weights: every parameter and buffer (BatchNorm's running statistics, from each op's `buffers`), at the
model's dtype (num_batches_tracked stays int64). A training step at batch B also holds the gradients (as
many as the parameters) and what autograd keeps for backward (analysis.activations.saved_for_backward,
each op's `saves`: equal to the bytes saved-tensor hooks see on the shipped specs); an inference forward
holds its peak of activations (analysis.activations.inference_peak). Optimizer state (SGD momentum: one
more copy of the parameters, Adam: two), allocator slack and workspaces inside ops are not in it.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path as FsPath

import networkx as nx

from ..errors import Diagnostic, Location, SpecError
from ..ir.node import nodes
from ..limits import current as limits
from .activations import Footprint, in_place_ops, inference_peak, saved_for_backward

FP32_BYTES = 4
DTYPES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}  # --dtype -> bytes per element


@dataclass(frozen=True)
class MemoryEstimate:
    params: int  # trainable elements
    buffers: int  # elements of buffers
    buffer_bytes_at: tuple[tuple[int, int], ...] = ()  # (itemsize, bytes of the buffers at it)
    saved: Footprint | None = None  # what a training forward keeps for backward (estimate(activations=True))
    peak_at: tuple[tuple[int, int], ...] = ()  # (itemsize, per-sample bytes an eval forward holds at its peak)

    def weight_bytes(self, itemsize: int = FP32_BYTES) -> int:
        return itemsize * self.params + self.buffer_bytes(itemsize)

    def buffer_bytes(self, itemsize: int = FP32_BYTES) -> int:
        return dict(self.buffer_bytes_at).get(itemsize, itemsize * self.buffers)

    def training_bytes(self, batch: int, itemsize: int = FP32_BYTES) -> int:
        """Weights, their gradients and what autograd keeps for backward at this batch size."""
        return self.weight_bytes(itemsize) + itemsize * self.params + self.saved.bytes(batch, itemsize)

    def inference_bytes(self, batch: int, itemsize: int = FP32_BYTES) -> int:
        """Weights and the activations an eval forward holds at its peak."""
        return self.weight_bytes(itemsize) + self.peak_bytes(batch, itemsize)

    def peak_bytes(self, batch: int, itemsize: int = FP32_BYTES) -> int:
        """The activations an eval forward holds at its peak (estimate(activations=True))."""
        return batch * dict(self.peak_at)[itemsize]


def estimate(graph: nx.DiGraph, activations: bool = False, peak: bool = True) -> MemoryEstimate:
    """Counts of the weights; with activations=True also what training saves and (unless peak=False)
    inference's peak."""
    params = buffers = 0
    buffer_bytes = dict.fromkeys(sorted(set(DTYPES.values())), 0)
    for n in nodes(graph):
        params += n.meta["params"]
        buffers += n.opdef.buffers(n.attrs)
        for size in buffer_bytes:
            buffer_bytes[size] += n.opdef.buffer_bytes(n.attrs, size)
    if not activations:
        return MemoryEstimate(params, buffers, tuple(buffer_bytes.items()))
    inplace = in_place_ops(graph)
    peaks = inference_peak(graph, tuple(buffer_bytes), inplace) if peak else {}
    return MemoryEstimate(params, buffers, tuple(buffer_bytes.items()),
                          saved_for_backward(graph, False, inplace), tuple(peaks.items()))


def available_memory() -> int | None:
    """Bytes that can be allocated now: Linux's MemAvailable, or less where a cgroup (a container, a job
    scheduler) caps this process's memory; None where neither can be read."""
    found = [v for v in (_meminfo_available(), _cgroup_headroom()) if v is not None]
    if found:
        return min(found)
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


CGROUP_FILES = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2
                ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"))


def _cgroup_headroom() -> int | None:
    """The cgroup's memory limit less what it uses, where a limit is set ("max" or v1's huge default: none)."""
    for limit_file, usage_file in CGROUP_FILES:
        try:
            limit = FsPath(limit_file).read_text(encoding="ascii").strip()
            usage = int(FsPath(usage_file).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:
            return max(0, int(limit) - usage)
    return None


def _mb(count: int) -> str:
    if count < 2**20:
        return f"{count:,} bytes"
    return f"{count / 2**20:,.1f} MB" if count < 2**30 else f"{count / 2**30:,.1f} GB"


TORCH_MAX_BYTES = 2**63 - 1  # PyTorch computes storage sizes in int64 bytes


def check_representable(graph: nx.DiGraph) -> None:
    """Refuse (SpecError, at the op) a model with a tensor PyTorch cannot represent even on the meta
    device: an op's parameters, or its output at batch 1, over 2**63 - 1 bytes in fp32."""
    for n in nodes(graph):
        for what, count in (("parameters", n.meta["params"]), ("output elements", math.prod(n.shape))):
            if FP32_BYTES * count > TORCH_MAX_BYTES:
                where, path = _location(graph, n)
                raise SpecError([Diagnostic(
                    f"op '{n.name}' has {count:.3g} {what}, beyond what PyTorch can hold in one model "
                    f"(2^63 bytes); refusing to build it", where, path,
                    "`archspec stats` still counts it; check the widths")])


def check_allocation(graph: nx.DiGraph, batch: int | None = None) -> MemoryEstimate:
    """Refuse (SpecError) a model whose parameters exceed the `params` limit, or whose weights (and, with
    batch, a training step's gradients and activations) exceed the `memory` limit or, without one, the
    memory available now. Located at the op with the most parameters. Returns the estimate."""
    check_representable(graph)
    est = estimate(graph, activations=batch is not None, peak=False)  # a training step needs no eval peak
    biggest = max(nodes(graph), key=lambda n: n.meta["params"], default=None)
    where, path = _location(graph, biggest)
    hint = "`archspec stats` counts it without allocating; raise the limit with --limit or limits= if you mean it"
    if est.params > limits().params:
        raise SpecError([Diagnostic(
            f"the model has {est.params:,} parameters, more than the limit of {limits().params:,} (limit params); "
            f"refusing to allocate {_mb(est.weight_bytes())} of weights" + _largest(biggest), where, path, hint)])
    budget = limits().memory or available_memory()
    need = est.weight_bytes() if batch is None else est.training_bytes(batch)
    if budget is not None and need > budget:
        what = "its weights" if batch is None else f"a training step at batch {batch:,} (weights, gradients, activations)"
        source = "the limit memory" if limits().memory else "the memory available now"
        raise SpecError([Diagnostic(
            f"{what} would take about {_mb(need)}, more than {source} ({_mb(budget)}); refusing to allocate"
            + _largest(biggest), where, path, hint)])
    return est


def _largest(biggest) -> str:
    return f" (the largest op, '{biggest.name}', has {biggest.meta['params']:,})" if biggest is not None else ""


def _location(graph: nx.DiGraph, biggest) -> tuple[Location, tuple]:
    loc = biggest.loc if biggest is not None else ""
    file, _, rest = loc.rpartition(":")
    file, _, line = file.rpartition(":")
    if file and line.isdigit() and rest.isdigit():
        return Location(file, int(line), int(rest)), (biggest.spec_path,)
    return Location(graph.graph.get("file", "<spec>"), 1, 1), ()
