"""Counts of the shipped specs against the reference implementations
(../shared/reference/architectures.md: timm, torchvision, the official WRN code; EfficientNet-B0 and
ConvNeXt-Tiny: timm 1.0.31's numel and FlopCounterMode / 2 at 224x224, stated in the specs' headers)."""
from __future__ import annotations

import pytest

import archspec

from .conftest import ROOT

# spec file -> (overrides, params, MACs, output shape); figures copied from the reference table.
REFERENCE = {
    "inception_v4": ("inception_v4", {}, 42_679_816, 12_253_974_624, [1000]),
    "inception_resnet_v2": ("inception_resnet_v2", {}, 55_843_464, 13_155_794_016, [1000]),
    "inception_resnet_v1": ("inception_resnet_v1", {}, 22_756_328, 6_206_361_696, [1000]),
    "inception_v3": ("inception_v3", {}, 23_834_568, 5_713_216_096, [1000]),
    "inception_v3_aux": ("inception_v3", {"aux": True}, 27_161_264, 5_713_216_096, [1000]),
    "efficientnet_b0": ("efficientnet_b0", {}, 5_288_548, 385_814_752, [1000]),
    "convnext_tiny": ("convnext_tiny", {}, 28_589_128, 4_455_531_264, [1000]),
}
PER_BLOCK_PARAMS = {
    "inception_v4": {"inception_a": 317_632, "inception_b": 2_936_256, "inception_c": 4_553_088},
    "inception_resnet_v2": {"block35": 123_168, "block17": 1_126_784, "block8": 2_035_424},
}


@pytest.mark.parametrize("case", sorted(REFERENCE))
def test_totals_match_reference(case):
    name, overrides, params, macs, output = REFERENCE[case]
    stats = archspec.stats(ROOT / "specs" / f"{name}.yaml", overrides)
    assert (stats["params"], stats["macs"], stats["output"]) == (params, macs, output)


def test_inception_v3_aux_head_costs_match_torchvision_in_training():
    stats = archspec.stats(ROOT / "specs" / "inception_v3.yaml", {"aux": True})
    assert stats["macs_train"] == 5_718_899_296
    assert [o["train_only"] for o in stats["outputs"]] == [False, True]
    aux = next(s for s in stats["stages"] if s["name"] == "aux_logits")
    assert aux["params"] == 3_326_696 and aux["train_only"]


def test_reduction_a_is_one_block_shared_by_three_networks():
    for name, kkmn in (("inception_v4", (192, 224, 256, 384)), ("inception_resnet_v1", (192, 192, 256, 384)),
                       ("inception_resnet_v2", (256, 256, 384, 384))):
        spec = archspec.load_spec(ROOT / "specs" / f"{name}.yaml")
        block = spec.blocks["reduction_a"]
        assert block.doc.file.endswith("archspec/library/inception.yaml"), name
        use = next(item for item in spec.doc.network if isinstance(item, dict) and "reduction_a" in item)
        assert tuple(use["reduction_a"][p] for p in "klmn") == kkmn


@pytest.mark.parametrize("name", sorted(PER_BLOCK_PARAMS))
def test_per_block_params_match_reference(name):
    blocks = archspec.stats(ROOT / "specs" / f"{name}.yaml")["blocks"]
    for block, params in PER_BLOCK_PARAMS[name].items():
        assert blocks[block]["params"] == params, block


def test_classes_override_changes_only_the_classifier():
    base = archspec.stats(ROOT / "specs" / "inception_v4.yaml")
    ten = archspec.stats(ROOT / "specs" / "inception_v4.yaml", {"classes": 10})
    assert base["params"] - ten["params"] == 1536 * 990 + 990
    assert ten["output"] == [10]
