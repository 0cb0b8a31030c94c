"""What the optimization tests share: tiny specs compiled and built, batch norms given statistics and
affine parameters that are far from the identity (so a wrong fold changes the outputs), and comparing an
optimized model's eval outputs with the unoptimized model's."""
from __future__ import annotations

import torch
from torch import nn

import archspec
from archspec.ir.graph import lint


@torch.no_grad()
def randomize_norms(model: nn.Module, x: torch.Tensor, seed: int = 0) -> None:
    """Running statistics from one training-mode batch (so activations keep a sane scale through deep
    networks), then moved away from them, and random gamma/beta: nothing a fold could get right by luck."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # a cumulative average: after one batch, that batch's statistics
    model.train()
    model(torch.randn(8, *x.shape[1:], generator=torch.Generator().manual_seed(seed + 1)))  # not too few samples
    gen = torch.Generator().manual_seed(seed)
    for bn in bns:
        n = bn.num_features
        bn.running_mean += 0.1 * torch.randn(n, generator=gen) * bn.running_var.sqrt()
        bn.running_var *= 0.8 + 0.45 * torch.rand(n, generator=gen)
        if bn.affine:  # moderate, so that activations keep their scale through deep residual stacks
            bn.weight.copy_(0.8 + 0.4 * torch.rand(n, generator=gen))
            bn.bias.copy_(0.1 * torch.randn(n, generator=gen))
        bn.momentum = 0.1
    model.eval()


def outputs(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    with torch.no_grad():
        out = model(x)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def max_difference(model: nn.Module, optimized: nn.Module, x: torch.Tensor) -> float:
    """The largest absolute difference between the models' eval outputs (the input is never changed), each
    output's taken relative to its largest value where that is over 1: logits (scaled to at most 1 by
    `prepared`) are compared absolutely, feature maps (FPN's reach 25, where float32 rounding alone is 5e-4)
    relatively."""
    before = x.clone()
    expected, got = outputs(model, x), outputs(optimized, x)
    assert torch.equal(x, before), "the optimized model changed its input"
    assert len(expected) == len(got)
    return max((e - g).abs().max().item() / max(1.0, e.abs().max().item()) for e, g in zip(expected, got))


def prepared(spec, overrides=None, batch: int = 2, seed: int = 0):
    """(model with randomized norms in eval mode, an input batch). The classifier is scaled so the largest
    logit is 1: an untrained deep network's features can reach the hundreds, and float32 rounding alone (the
    unoptimized model against itself in float64) then exceeds 1e-4 on logits of that size."""
    model = archspec.build_model(spec, overrides, seed=seed)
    x = torch.randn(batch, *model.input_shape, generator=torch.Generator().manual_seed(seed))
    randomize_norms(model, x, seed)
    largest = max(o.abs().max().item() for o in outputs(model, x))
    if largest > 1 and getattr(model, "_classifier", ""):
        with torch.no_grad():
            for tensor in model.get_classifier().parameters():
                tensor /= largest
    return model, x


def assert_lints(graph) -> None:
    assert lint(graph) == []


def ops(graph) -> list[str]:
    return [graph.nodes[n]["op"] for n in graph.nodes]
