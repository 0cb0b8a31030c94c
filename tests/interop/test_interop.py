"""Weight compatibility with timm, proven without timm: fixtures written by
scripts/make_timm_fixtures.py hold timm's state_dict names/shapes and timm's logits for synthetic
weights; here the same weights go through load_timm_state_dict into archspec-built models."""
from __future__ import annotations

import functools
import json

import pytest
import torch

import archspec
from archspec.interop import WeightMismatch, load_timm_state_dict, timm_key_map
from archspec.interop.synthetic import synthetic_input, synthetic_state_dict

from ..conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "timm"
ARCHS = ("inception_v4", "inception_resnet_v2", "inception_v3", "efficientnet_b0", "convnext_tiny")


@functools.cache
def fixture(arch):
    return json.loads((FIXTURES / f"{arch}.json").read_text())


@functools.cache
def _synthetic_weights(arch):
    """Generating the synthetic weights takes seconds per network: once per session."""
    return synthetic_state_dict(dict(fixture(arch)["state_dict"]))


def timm_state_dict(arch):
    """A fresh dict (tests add and remove entries) of the session's synthetic tensors (never written to)."""
    return dict(_synthetic_weights(arch))


_MODELS: dict = {}


def built(arch, overrides=None):
    """Models are built once per session; loading weights checks everything before it writes."""
    key = (arch, tuple(sorted((overrides or {}).items())))
    if key not in _MODELS:
        _MODELS[key] = archspec.build_model(ROOT / "specs" / f"{arch}.yaml", overrides)
    return _MODELS[key]


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCHS)
def test_logits_equal_timm_after_loading_its_state_dict(arch):
    record = fixture(arch)
    model = built(arch).eval()
    load_timm_state_dict(model, timm_state_dict(arch))
    with torch.inference_mode():
        logits = model(synthetic_input(record["input_shape"]))
    expected = torch.tensor(record["logits"])
    assert expected.std() > 1e-2  # the comparison is not between two near-constant vectors
    assert (logits - expected).abs().max().item() <= 1e-4


@pytest.mark.parametrize("arch", ARCHS)
def test_every_timm_tensor_is_used_exactly_once(arch):
    model = built(arch)
    mapping = timm_key_map(model)
    timm_keys = [k for k, _ in fixture(arch)["state_dict"]]
    assert sorted(mapping.values()) == sorted(timm_keys)


def test_auxiliary_head_of_torchvision_layout_maps_too():
    model = built("inception_v3", {"aux": True})
    mapping = timm_key_map(model)
    assert mapping["aux_logits.conv1.conv.weight"] == "AuxLogits.conv1.conv.weight"
    assert mapping["aux_logits.fc.weight"] == "AuxLogits.fc.weight"


@pytest.mark.slow
def test_a_missing_tensor_is_named():
    model = built("inception_v4")
    state = timm_state_dict("inception_v4")
    del state["features.7.branch2.1.bn.running_var"]
    with pytest.raises(WeightMismatch, match=r"no 'features\.7\.branch2\.1\.bn\.running_var'.*inception_a\.1"):
        load_timm_state_dict(model, state)


@pytest.mark.slow
def test_an_unused_tensor_is_named():
    model = built("inception_v4")
    state = timm_state_dict("inception_v4")
    state["aux.weight"] = torch.zeros(1)
    with pytest.raises(WeightMismatch, match=r"'aux\.weight' is not used"):
        load_timm_state_dict(model, state)


@pytest.mark.slow
def test_a_shape_mismatch_is_named():
    model = built("inception_v4_1001")
    with pytest.raises(WeightMismatch, match=r"shape mismatch: timm 'last_linear\.weight' is \(1000, 1536\)"):
        load_timm_state_dict(model, timm_state_dict("inception_v4"), arch="inception_v4")


def test_unknown_network_is_refused():
    model = archspec.build_model(ROOT / "tests" / "data" / "tiny_mixed.yaml")
    with pytest.raises(WeightMismatch, match="no timm name map for 'tiny_mixed'"):
        load_timm_state_dict(model, {})
