"""Wide Residual Networks: reference counts, the golden grid, the B(M) notation and depth rules."""
from __future__ import annotations

import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import archspec
from archspec import SpecError

from .conftest import ROOT

WRN = ROOT / "specs" / "wrn.yaml"


@pytest.mark.parametrize("overrides, params, macs", [
    ({}, 36_479_194, 5_243_328_768),                                   # WRN-28-10, CIFAR-10
    ({"classes": 100}, 36_536_884, 5_243_386_368),                     # WRN-28-10, CIFAR-100
    ({"depth": 40, "k": 4}, 8_949_210, 1_298_582_016),
    ({"depth": 16, "k": 8}, 10_961_370, 1_548_145_664),
    ({"depth": 40, "k": 2, "block": "B(1,3,1)"}, 1_429_082, 208_061_696),
])
def test_reference_counts(overrides, params, macs):
    stats = archspec.stats(WRN, overrides)
    assert (stats["params"], stats["macs"]) == (params, macs)


def test_golden_grid_of_depths_widths_and_block_types():
    for row in json.loads((ROOT / "tests" / "golden" / "wrn_grid.json").read_text()):
        stats = archspec.stats(WRN, row["overrides"])
        assert (stats["params"], stats["macs"]) == (row["params"], row["macs"]), row["overrides"]


@pytest.mark.parametrize("block", ["B(3,3)", "B(3,1,3)", "B(1,3,1)", "B(3)", "B(3,3,3,3)"])
def test_block_types_build_and_match_pytorch(block):
    overrides = {"depth": 10, "k": 1, "block": block}
    stats = archspec.stats(WRN, overrides)
    model = archspec.build_model(WRN, overrides).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.randn(1, 3, 32, 32))
    assert out.shape == (1, 10)
    assert sum(p.numel() for p in model.parameters()) == stats["params"]
    assert counter.get_total_flops() // 2 == stats["macs"]


def test_every_conv_of_a_block_keeps_the_full_width():
    _, graph = archspec.compile_spec(WRN, {"depth": 10, "k": 2, "block": "B(1,3,1)"})
    convs = [n for n in graph if n.startswith("stage2.blocks.0.") and graph.nodes[n]["op"] == "conv2d"
             and ".shortcut." not in n]
    assert [graph.nodes[n]["attrs"]["kernel"] for n in convs] == [(1, 1), (3, 3), (1, 1)]
    assert {graph.nodes[n]["attrs"]["out_ch"] for n in convs} == {64}
    assert graph.nodes[convs[0]]["attrs"]["stride"] == (2, 2)  # the first conv strides


def test_official_layout_preactivation_projection_dropout_no_bias():
    _, graph = archspec.compile_spec(WRN, {"depth": 10, "k": 2})
    # the projection reads the pre-activated input, as in the official code
    shortcut = graph.nodes["stage2.blocks.0.shortcut.conv"]
    assert graph.nodes[shortcut["inputs"][0]]["op"] == "act"
    assert shortcut["inputs"][0] == "stage2.blocks.0.preact.relu"
    # an unchanged width and stride gets the identity
    assert "stage1.blocks.0.shortcut.conv" in graph  # 16 -> 32 channels: projection
    # dropout sits between the two convs of the branch, after BN-ReLU
    drops = [n for n in graph if n.startswith("stage1.blocks.0.") and graph.nodes[n]["op"] == "dropout"]
    assert len(drops) == 1 and graph.nodes[drops[0]]["attrs"]["p"] == 0.3
    assert graph.nodes[graph.nodes[drops[0]]["inputs"][0]]["op"] == "act"
    assert not any(graph.nodes[n]["attrs"].get("bias") for n in graph if graph.nodes[n]["op"] == "conv2d")


def test_depth_that_does_not_fit_lists_the_nearest_valid_depths():
    with pytest.raises(SpecError) as err:
        archspec.stats(WRN, {"depth": 30})
    (diag,) = err.value.diagnostics
    assert "nearest valid depths: 28 and 34" in diag.message
    assert diag.location.line == 25 and diag.path == ("checks", 0, "that")


def test_convs_per_block_convention_keeps_the_total_number_of_convs():
    counts = {b: archspec.stats(WRN, {"depth": 40, "k": 2, "block": b, "per_block": "convs"})["params"]
              for b in ("B(3)", "B(3,3)", "B(3,3,3)", "B(3,3,3,3)")}
    assert len(set(counts.values())) == 1  # same convs at the same widths: the paper's ~2.2M
    with pytest.raises(SpecError, match="nearest valid depths: 22 and 31"):
        archspec.stats(WRN, {"depth": 28, "block": "B(3,3,3)", "per_block": "convs"})


def test_an_unknown_block_type_is_a_located_error():
    with pytest.raises(SpecError, match="no block named 'C'"):
        archspec.stats(WRN, {"block": "C(3)"})


def test_preact_resnet18_matches_timm_resnetv2_18():
    stats = archspec.stats(ROOT / "specs" / "preact_resnet18.yaml")
    assert (stats["params"], stats["macs"]) == (11_687_720, 1_814_073_344)


def test_stages_name_the_stage_block_and_its_repeated_block_type():
    stages = archspec.stats(WRN)["stages"]
    assert [s["kind"] for s in stages[1:4]] == ["stage (B x4)"] * 3
