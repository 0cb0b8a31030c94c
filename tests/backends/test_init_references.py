"""The specs added with language v2 initialise as their reference implementations do: statistics of
the initialised tensors against each reference's formula (torchvision's ResNet and FPN, timm's ConvNeXt
and EfficientNet, PyTorch's defaults for U-Net)."""
from __future__ import annotations

import functools
import math

import pytest
import torch

import archspec

from ..conftest import ROOT


@functools.cache
def params(name: str, **overrides) -> dict[str, torch.Tensor]:
    model = archspec.build_model(ROOT / "specs" / f"{name}.yaml", overrides or None, seed=0)
    return {k: v.detach() for k, v in model.named_parameters()}


def close(value: float, expected: float, rel: float = 0.05) -> bool:
    return abs(value - expected) <= rel * expected


def test_resnet50_as_torchvision():
    p = params("resnet50")
    conv = p["layer4.blocks.2.conv2.conv.weight"]                    # 512x512x3x3, fan_out 512*9
    assert close(float(conv.std()), math.sqrt(2 / (512 * 9)))
    assert torch.equal(p["layer4.blocks.2.conv2.bn.weight"], torch.ones(512))
    fc = p["head.fc.weight"]                                         # PyTorch's default: U(+-1/sqrt(fan_in))
    assert float(fc.abs().max()) <= 1 / math.sqrt(2048) and close(float(fc.std()), 1 / math.sqrt(3 * 2048))


def test_fpn_convs_kaiming_uniform_a1_and_trunk_kept():
    p = params("fpn_resnet50", size=64)
    lateral = p["lateral2.conv.weight"]                              # 256x256x1x1: bound sqrt(3/256)
    assert float(lateral.abs().max()) <= math.sqrt(3 / 256) and close(float(lateral.std()), 1 / 16)
    assert torch.count_nonzero(p["p2.conv.bias"]) == 0
    trunk = p["layer1.blocks.0.conv1.conv.weight"]                   # 64x64x1x1, fan_out 64
    assert close(float(trunk.std()), math.sqrt(2 / 64), rel=0.1)


def test_unet_keeps_pytorch_defaults():
    p = params("unet", base=8, size=32)
    conv = p["bottom.double_conv.conv.conv.weight"]                  # 128x64x3x3: U(+-1/sqrt(576))
    assert float(conv.abs().max()) <= 1 / math.sqrt(576)
    assert close(float(conv.std()), 1 / math.sqrt(3 * 576), rel=0.1)


def test_convnext_trunc_normal_002():
    p = params("convnext_tiny", size=64)
    weights = [v for k, v in p.items() if k.endswith("conv.weight") or k.endswith("fc.weight")]
    assert all(float(w.abs().max()) <= 2.0 for w in weights)
    big = max(weights, key=lambda w: w.numel())
    assert close(float(big.std()), 0.02)
    biases = [v for k, v in p.items() if k.endswith("conv.bias") or k.endswith("fc.bias")]
    assert biases and all(torch.count_nonzero(b) == 0 for b in biases)
    assert all(torch.allclose(v, torch.full_like(v, 1e-6)) for k, v in p.items() if k.endswith("gamma"))


def test_efficientnet_goog_init():
    p = params("efficientnet_b0")
    dw = p["stage2.1.mbconv.conv_dw.conv.weight"]                    # 144x1x3x3: fan_out/groups = 9
    assert close(float(dw.std()), math.sqrt(2 / 9))
    pw = p["stage7.0.mbconv.conv_pwl.conv.weight"]                   # 320x1152x1x1: fan_out 320
    assert close(float(pw.std()), math.sqrt(2 / 320))
    fc = p["head.classifier.weight"]                                 # U(+-1/sqrt(1000))
    assert float(fc.abs().max()) <= 1 / math.sqrt(1000) and close(float(fc.std()), 1 / math.sqrt(3000))


def test_zero_init_last_reaches_a_layer_scale(write_spec):
    path = write_spec("""
name: ls
input: [8, 4, 4]
init: {zero_init_last: true}
network:
  - residual:
      body: [{conv: {out: 8, kernel: 1, bn: false}}, {layer_scale: 0.5}]
      shortcut: identity
""")
    model = archspec.build_model(path, seed=0).eval()
    gammas = [v for k, v in model.named_parameters() if k.endswith("gamma")]
    assert len(gammas) == 1 and torch.count_nonzero(gammas[0]) == 0
    x = torch.randn(2, 8, 4, 4)
    assert torch.equal(model(x), x)  # the block starts as its shortcut


def test_zero_init_last_leaves_blocks_without_an_addition_alone(write_spec):
    """`shortcut: if_same` around a body that changes the shape has no addition to start from: its last
    BN keeps weight 1, so the network's output is not zero at initialisation."""
    path = write_spec("""
name: nozero
input: [8, 8, 8]
init: {zero_init_last: true}
defaults: {conv: {padding: same}}
network:
  - residual: {body: [conv: 3x3 16, conv: 3x3 16 noact], shortcut: if_same}
  - residual: {body: [conv: 3x3 16, conv: 3x3 16 noact], shortcut: if_same}
""")
    model = archspec.build_model(path, seed=0).eval()
    weights = dict(model.named_parameters())
    # the first residual (8 -> 16 channels) has no addition; the second (16 -> 16) adds its input
    assert torch.equal(weights["conv_2.bn.weight"], torch.ones(16))
    assert torch.count_nonzero(weights["residual.conv_2.bn.weight"]) == 0
    assert model(torch.randn(1, 8, 8, 8)).abs().max() > 0
