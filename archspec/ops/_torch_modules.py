"""Tiny PyTorch modules for the IR ops that torch.nn has no module for."""
from __future__ import annotations

from typing import List

import torch
from torch import nn


class Concat(nn.Module):
    """Channel concatenation of a list of inputs (a list, not varargs, so jit.script accepts it)."""

    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, 1)


class Add(nn.Module):
    """Element-wise sum of a list of inputs; with inplace, written into the first (an optimized model's
    choice, where nothing else reads it)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out.add_(x) if self.inplace else out + x
        return out

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Mul(nn.Module):
    """Element-wise (broadcasting) product of a list of inputs, e.g. squeeze-and-excitation gating."""

    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Scale(nn.Module):
    """Multiply by a constant (residual scaling)."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = float(factor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor

    def extra_repr(self) -> str:
        return f"factor={self.factor}"


class GlobalPool(nn.Module):
    """Global average or max pooling over H and W, flattened unless keepdim."""

    def __init__(self, mode: str = "avg", keepdim: bool = False):
        super().__init__()
        self.mode, self.keepdim = mode, keepdim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "avg":
            return x.mean((2, 3), keepdim=self.keepdim)
        return x.amax((2, 3), keepdim=self.keepdim)

    def extra_repr(self) -> str:
        return f"mode={self.mode}, keepdim={self.keepdim}"


class ChannelSlice(nn.Module):
    """Channels start..stop-1 of a map or vector (a part of `split`, or `select`)."""

    def __init__(self, start: int, stop: int):
        super().__init__()
        self.start, self.stop = int(start), int(stop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.start:self.stop]

    def extra_repr(self) -> str:
        return f"start={self.start}, stop={self.stop}"
