"""Deterministic synthetic weights and inputs, for checking weight compatibility without downloads.

The same recipe runs in a reference environment (with timm) and in archspec's tests: every tensor is
a closed-form function of its name and shape (no random generator, so no dependence on the torch
version), scaled like a He initialisation so that activations stay of order one through deep nets.
"""
from __future__ import annotations

import math
import zlib
from typing import Iterable

import torch


def _wave(name: str, numel: int) -> torch.Tensor:
    phase = (zlib.crc32(name.encode()) % 10_000) / 10_000 * 2 * math.pi
    index = torch.arange(numel, dtype=torch.float64)
    return torch.sin(index * 0.7548776662 + phase)  # values in [-1, 1], mean ~0, variance ~1/2


def synthetic_tensor(name: str, shape: Iterable[int]) -> torch.Tensor:
    """The tensor a state_dict entry called `name` gets (name decides its role: weight, bias, BN stat)."""
    shape = tuple(shape)
    numel = math.prod(shape)
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "num_batches_tracked":
        return torch.zeros(shape, dtype=torch.long)
    wave = _wave(name, numel)
    if leaf == "running_var":
        values = 1.0 + 0.5 * wave.abs()
    elif leaf in ("running_mean", "bias"):
        values = 0.05 * wave
    elif leaf == "weight" and len(shape) == 1:  # batch-norm gamma
        values = 1.0 + 0.1 * wave
    else:  # conv / linear weight: variance 2 / fan_in
        fan_in = numel // shape[0]
        values = wave * 2.0 / math.sqrt(fan_in)
    return values.reshape(shape).to(torch.float32)


def synthetic_state_dict(shapes: dict[str, Iterable[int]]) -> dict[str, torch.Tensor]:
    return {name: synthetic_tensor(name, shape) for name, shape in shapes.items()}


def synthetic_input(shape: Iterable[int]) -> torch.Tensor:
    """A smooth image-like batch with values in [-1, 1]."""
    shape = tuple(shape)
    return _wave("input", math.prod(shape)).reshape(shape).to(torch.float32)
