"""specs/unet.yaml: counts proven three ways, by a forward (numel, FlopCounterMode), by an independent
count written out here from the architecture's description, and by the well-known 31,037,698 params
of the padded U-Net with 64 base channels and 2 classes."""
from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import archspec

from .conftest import ROOT

SPEC = ROOT / "specs" / "unet.yaml"


def independent_counts(base: int, classes: int, size: int, cin: int = 3) -> tuple[int, int]:
    """(params, MACs) of the padded U-Net, counted from its description, not from archspec."""
    params = macs = 0

    def conv(ci, co, k, out_hw, bias=False, bn=True, in_hw=None):
        nonlocal params, macs
        params += k * k * ci * co + (co if bias else 0) + (2 * co if bn else 0)
        macs += (in_hw or out_hw) ** 2 * k * k * ci * co  # a transposed conv: per input position

    widths = [base * 2 ** i for i in range(5)]
    sizes = [size // 2 ** i for i in range(5)]

    def double_conv(ci, co, hw):
        conv(ci, co, 3, hw)
        conv(co, co, 3, hw)

    double_conv(cin, widths[0], sizes[0])
    for i in range(1, 5):
        double_conv(widths[i - 1], widths[i], sizes[i])
    for i in range(4, 0, -1):
        conv(widths[i], widths[i - 1], 2, sizes[i - 1], bias=True, bn=False, in_hw=sizes[i])
        double_conv(2 * widths[i - 1], widths[i - 1], sizes[i - 1])
    conv(widths[0], classes, 1, sizes[0], bias=True, bn=False)
    return params, macs


def test_the_shipped_unet_counts():
    stats = archspec.stats(SPEC)
    assert stats["params"] == 31_037_698
    assert (stats["params"], stats["macs"]) == independent_counts(64, 2, 256)
    assert stats["output"] == [2, 256, 256]


@pytest.mark.parametrize("base, classes, size", [(8, 3, 64), (4, 1, 32)])
def test_small_unets_match_a_forward_and_the_independent_count(base, classes, size):
    overrides = {"base": base, "classes": classes, "size": size}
    model = archspec.build_model(SPEC, overrides, seed=0).eval()
    stats = archspec.stats(SPEC, overrides)
    with torch.no_grad(), FlopCounterMode(display=False) as flops:
        y = model(torch.randn(1, 3, size, size))
    assert tuple(y.shape) == (1, classes, size, size)
    assert stats["params"] == sum(p.numel() for p in model.parameters())
    assert stats["macs"] == flops.get_total_flops() // 2
    assert (stats["params"], stats["macs"]) == independent_counts(base, classes, size)


def test_the_skips_are_concatenated_skip_first():
    """Each decoder level reads the encoder map of its size (by id) before the upsampled one."""
    _, graph = archspec.compile_spec(SPEC, {"base": 4, "size": 32})
    concat = graph.nodes["d4.concat"]
    assert concat["inputs"] == ["e4.double_conv.conv_2.act", "d4.upsampled"]
    assert graph.nodes["d1.concat"]["inputs"] == ["e1.conv_2.act", "d1.upsampled"]
