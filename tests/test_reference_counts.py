"""Counts of the shipped specs against the reference implementations
(../shared/reference/architectures.md: timm, torchvision, the official WRN code)."""
from __future__ import annotations

import pytest

import archspec

from .conftest import ROOT

# spec file -> (overrides, params, MACs, output shape); figures copied from the reference table.
REFERENCE = {
    "inception_v4": ({}, 42_679_816, 12_253_974_624, [1000]),
}
PER_BLOCK_PARAMS = {
    "inception_v4": {"inception_a": 317_632, "inception_b": 2_936_256, "inception_c": 4_553_088},
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_totals_match_reference(name):
    overrides, params, macs, output = REFERENCE[name]
    stats = archspec.stats(ROOT / "specs" / f"{name}.yaml", overrides)
    assert (stats["params"], stats["macs"], stats["output"]) == (params, macs, output)


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
