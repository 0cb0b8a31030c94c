"""Shipped architectures train: WRN-16-2 (specs/wrn.yaml) and a scaled-down Inception-ResNet
(tests/data/tiny_inception_resnet.yaml: the shipped Inception-ResNet blocks with residual scaling) take 30
SGD steps on a fixed synthetic set of 64 images in 10 classes; every parameter gets a finite, non-zero
gradient and the loss falls."""
from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

import archspec

from .conftest import ROOT
from .torchutil import one_thread

CLASSES, IMAGES, STEPS = 10, 64, 30


def synthetic(size: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """64 images, each its class's fixed random template plus noise: learnable, and the same every run."""
    generator = torch.Generator().manual_seed(seed)
    templates = torch.randn(CLASSES, 3, size, size, generator=generator)
    labels = torch.arange(IMAGES) % CLASSES
    return templates[labels] + 0.5 * torch.randn(IMAGES, 3, size, size, generator=generator), labels


def loss_of(output, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the logits; a model with train-only auxiliary heads returns (main, aux, ...) in
    training, and each head's loss counts (0.4 each, as Inception-v3 weighs its auxiliary classifier)."""
    if isinstance(output, tuple):
        main, *aux = output
        return F.cross_entropy(main, labels) + sum(0.4 * F.cross_entropy(a, labels) for a in aux)
    return F.cross_entropy(output, labels)


def train(model: torch.nn.Module, size: int, lr: float) -> list[float]:
    x, y = synthetic(size)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    torch.manual_seed(0)  # dropout
    for step in range(STEPS):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(model(x), y)
        loss.backward()
        if step == 0:
            assert_every_parameter_has_a_gradient(model)
        optimizer.step()
        losses.append(loss.item())
    return losses


def assert_every_parameter_has_a_gradient(model: torch.nn.Module) -> None:
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert params
    missing = [n for n, p in params if p.grad is None]
    assert not missing, f"no gradient: {missing}"
    bad = [n for n, p in params if not torch.isfinite(p.grad).all()]
    assert not bad, f"non-finite gradient: {bad}"
    zero = [n for n, p in params if not p.grad.abs().sum() > 0]
    assert not zero, f"zero gradient: {zero}"


CASES = {
    # WRN-16-2 at 16x16 (its layout at a quarter of CIFAR's pixels); dropout 0.3 as the spec says
    "wrn_16_2": (ROOT / "specs" / "wrn.yaml", {"depth": 16, "k": 2, "size": 16}, 16, 0.1),
    "tiny_inception_resnet": (ROOT / "tests" / "data" / "tiny_inception_resnet.yaml", {}, 32, 0.05),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_thirty_sgd_steps_reduce_the_loss(case):
    path, overrides, size, lr = CASES[case]
    model = archspec.build_model(path, overrides, seed=0)
    assert model.input_shape == (3, size, size)
    with one_thread():
        losses = train(model, size, lr)
    assert all(torch.isfinite(torch.tensor(losses)))
    first, last = losses[0], sum(losses[-5:]) / 5
    assert last < 0.6 * first, f"{case}: loss {first:.3f} -> {last:.3f} (last five steps' mean)"


def test_the_small_inception_resnet_has_the_papers_shape():
    model = archspec.build_model(CASES["tiny_inception_resnet"][0], seed=0)
    blocks = [name for name, m in model.named_modules() if m in set(archspec.block_modules(model))]
    assert blocks == ["block_a.0", "block_a.1", "reduction_a", "block_b.0", "block_b.1", "reduction_b", "block_c",
                      "block_c_last"]
    scales = [m.factor for m in model.modules() if type(m).__name__ == "Scale"]
    assert scales == [0.17, 0.17, 0.10, 0.10, 0.20], scales  # the last block adds its branches unscaled ...
    assert hasattr(model.block_c, "act") and not hasattr(model.block_c_last, "act")  # ... and has no ReLU
