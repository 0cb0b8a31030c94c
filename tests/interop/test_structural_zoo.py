"""The structural import (archspec.import_weights) of timm's and torchvision's resnet50 into
specs/resnet50.yaml, proven without timm or torchvision: scripts/make_timm_fixtures.py and
make_torchvision_fixtures.py recorded each model's slot trace (archspec.interop.trace), state_dict
names and shapes, and logits for synthetic weights (and checked the live import there). Here the
synthetic state_dict is imported with the recorded trace and the logits compared."""
from __future__ import annotations

import functools
import json

import pytest
import torch

import archspec
from archspec.interop import WeightMismatch
from archspec.interop.synthetic import synthetic_input, synthetic_state_dict

from ..conftest import ROOT

RECORDS = {"timm": ROOT / "tests" / "fixtures" / "timm" / "resnet50.json",
           "torchvision": ROOT / "tests" / "fixtures" / "torchvision" / "resnet50.json"}


@functools.cache
def record(zoo: str) -> dict:
    return json.loads(RECORDS[zoo].read_text())


@functools.cache
def _weights(zoo: str) -> dict:
    return synthetic_state_dict(dict(record(zoo)["state_dict"]))


def weights(zoo: str) -> dict:
    return dict(_weights(zoo))


@functools.cache
def resnet50():
    """Built once: every test that uses it loads all of its tensors (or, refused, none)."""
    return archspec.build_model(ROOT / "specs" / "resnet50.yaml", seed=0).eval()


def logits(model, zoo):
    with torch.inference_mode():
        return model(synthetic_input(record(zoo)["input_shape"]))


@pytest.mark.parametrize("zoo", sorted(RECORDS))
def test_resnet50_logits_equal_after_a_structural_import(zoo):
    model = resnet50()
    report = archspec.import_weights(model, weights(zoo), trace=record(zoo)["trace"])
    assert report.ok and report.structure_checked and report.loaded and not report.ambiguous
    assert report.counts()["tensors"] == len(record(zoo)["state_dict"]) == len(model.state_dict())
    expected = torch.tensor(record(zoo)["logits"])
    assert expected.std() > 1e-2
    assert (logits(model, zoo) - expected).abs().max().item() <= 1e-4


def test_the_traces_record_the_dataflow_of_a_bottleneck():
    slots = {s["name"]: s for s in record("timm")["trace"]["slots"]}
    assert slots["layer1.1.conv1"]["inputs"] == ["layer1.0.bn3", "layer1.0.downsample.1"]
    assert slots["layer2.0.conv2"]["attrs"]["stride"] == [2, 2]  # v1.5: the stride on the 3x3
    assert record("timm")["trace"]["outputs"] == ["fc"]


def test_a_bare_state_dict_in_torchvisions_order_pairs_by_order_without_structure():
    model = resnet50()
    report = archspec.import_weights(model, weights("torchvision"))
    assert report.ok and not report.structure_checked
    assert (logits(model, "torchvision") - torch.tensor(record("torchvision")["logits"])).abs().max().item() <= 1e-4


def test_a_network_of_another_depth_is_refused_with_the_first_difference():
    model = archspec.build_model(ROOT / "specs" / "resnet50.yaml", {"depths": [3, 4, 5, 3]}, seed=0)
    with pytest.raises(WeightMismatch, match=r"^theirs 'layer3\.5\.conv1' \(weight\): no counterpart") as caught:
        archspec.import_weights(model, weights("timm"), trace=record("timm")["trace"])
    report = caught.value.report
    assert {(u.side, u.slot) for u in report.unmatched} == {("theirs", f"layer3.5.{m}{i}") for m in ("conv", "bn")
                                                            for i in (1, 2, 3)}
    assert {p.theirs: p.problem for p in report.pairs if p.problem} == {
        "layer4.0.downsample.0": "inputs differ: theirs also reads 'layer3.5.bn3'",
        "layer4.0.conv1": "inputs differ: theirs also reads 'layer3.5.bn3'"}
    assert not report.loaded
