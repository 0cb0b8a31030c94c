"""ResNet-50 and FPN-on-ResNet-50 specs compute what torchvision's models compute, proven without
torchvision: scripts/make_torchvision_fixtures.py stored torchvision's state_dict (names and shapes, in
order) and its outputs for synthetic weights. Here the two state_dicts are paired in order (every
shape must agree, which pins the structure down), the same weights are loaded, and the outputs compared."""
from __future__ import annotations

import functools
import json

import pytest
import torch

import archspec
from archspec.interop.synthetic import synthetic_input, synthetic_state_dict

from ..conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "torchvision"


@functools.cache
def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def loaded_model(name: str) -> torch.nn.Module:
    """The spec's model with torchvision's synthetic weights, paired by order and checked by shape."""
    record = fixture(name)
    model = archspec.build_model(ROOT / "specs" / f"{name}.yaml", seed=0).eval()
    ours = model.state_dict()
    theirs = record["state_dict"]
    assert len(ours) == len(theirs), f"{len(ours)} tensors here, {len(theirs)} in torchvision's model"
    weights = synthetic_state_dict(dict(theirs))
    mapped = {}
    for (key, tensor), (their_key, shape) in zip(ours.items(), theirs):
        assert list(tensor.shape) == shape, f"{key} {list(tensor.shape)} pairs with {their_key} {shape}"
        assert key.rsplit(".", 1)[-1] == their_key.rsplit(".", 1)[-1], (key, their_key)
        mapped[key] = weights[their_key]
    model.load_state_dict(mapped, strict=True)
    return model


def test_resnet50_logits_equal_torchvisions():
    record = fixture("resnet50")
    with torch.inference_mode():
        logits = loaded_model("resnet50")(synthetic_input(record["input_shape"]))
    expected = record["outputs"][0]
    flat = logits.flatten().double()
    assert list(logits.shape) == expected["shape"]
    got = flat[::expected["step"]][:len(expected["values"])]
    assert torch.allclose(got, torch.tensor(expected["values"], dtype=torch.float64), atol=1e-4, rtol=1e-4)
    assert float(flat.sum()) == pytest.approx(expected["sum"], rel=1e-4, abs=1e-3)



def test_fpn_levels_equal_torchvisions():
    record = fixture("fpn_resnet50")
    with torch.inference_mode():
        levels = loaded_model("fpn_resnet50")(synthetic_input(record["input_shape"]))
    assert len(levels) == len(record["outputs"]) == 5
    for level, expected in zip(levels, record["outputs"]):
        flat = level.flatten().double()
        assert list(level.shape) == expected["shape"]
        got = flat[::expected["step"]][:len(expected["values"])]
        assert torch.allclose(got, torch.tensor(expected["values"], dtype=torch.float64), atol=1e-4, rtol=1e-4)
        assert float(flat.abs().mean()) == pytest.approx(expected["mean_abs"], rel=1e-5)
