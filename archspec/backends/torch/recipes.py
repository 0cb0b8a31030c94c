"""Evaluating the optimization passes' tensor recipes (archspec.optimization.rewrite describes them): a
tensor of the optimized model computed from the unoptimized model's state_dict, in float64."""
from __future__ import annotations

from typing import Mapping

import torch


def evaluate(recipe: list, source: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """The tensor a recipe describes; a copied tensor keeps its dtype, a computed one is float64."""
    op = recipe[0]
    if op == "tensor":
        return source[f"{recipe[1]}.{recipe[2]}"].detach()
    if op == "zeros":
        return torch.zeros(recipe[1], dtype=torch.float64)
    if op == "mul":
        return _f64(recipe[1], source) * float(recipe[2])
    if op == "cat":
        return torch.cat([_f64(part, source) for part in recipe[1]], 0)
    if op in ("bn_weight", "bn_bias"):
        bn, eps = recipe[2], float(recipe[3])
        mean, var = (source[f"{bn}.running_{k}"].detach().double().cpu() for k in ("mean", "var"))
        gamma = source.get(f"{bn}.weight")
        gamma = torch.ones_like(mean) if gamma is None else gamma.detach().double().cpu()
        factor = gamma / torch.sqrt(var + eps)
        inner = _f64(recipe[1], source)
        if op == "bn_bias":
            beta = source.get(f"{bn}.bias")
            return (inner - mean) * factor + (0.0 if beta is None else beta.detach().double().cpu())
        shape = [1] * inner.dim()
        shape[int(recipe[4])] = -1
        return inner * factor.reshape(shape)
    raise ValueError(f"unknown tensor recipe {op!r}")


def _f64(recipe: list, source: Mapping[str, torch.Tensor]) -> torch.Tensor:
    return evaluate(recipe, source).double().cpu()
