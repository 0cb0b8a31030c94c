"""The optimized model: eval only, its API, channels-last weights, its report, what it refuses."""
from __future__ import annotations

import copy
import io
import pickle

import pytest
import torch
from torch import nn

import archspec

from ..conftest import ROOT
from .helpers import max_difference, prepared

TINY = ROOT / "tests" / "data" / "tiny_inception_resnet.yaml"


@pytest.fixture(scope="module")
def pair():
    model, x = prepared(TINY)
    return model, archspec.optimize(model), x


def test_outputs_equal_and_the_api_survives(pair):
    model, fast, x = pair
    assert max_difference(model, fast, x) <= 1e-4
    assert fast.optimized is True and fast.spec_name == model.spec_name and fast.spec_hash == model.spec_hash
    assert fast.feature_info == model.feature_info and fast.num_classes == model.num_classes
    with torch.no_grad():
        features = fast.forward_features(x)
        assert (features - model.forward_features(x)).abs().max() <= 1e-4
        assert (fast.forward_head(features, pre_logits=True) - model.forward_head(features, pre_logits=True)
                ).abs().max() <= 1e-4
    assert isinstance(fast.get_classifier(), nn.Linear)
    assert not fast.training and not any(p.requires_grad for p in fast.parameters())


def test_training_is_refused(pair):
    _, fast, _ = pair
    with pytest.raises(RuntimeError, match="an optimized model is for inference; build without optimize to train"):
        fast.train()
    with pytest.raises(RuntimeError, match="for inference"):
        fast.train(True)
    assert fast.eval() is fast and not fast.training


def test_conv_weights_are_channels_last(pair):
    _, fast, _ = pair
    convs = [m for m in fast.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1)]
    assert convs and all(m.weight.is_contiguous(memory_format=torch.channels_last) for m in convs)
    assert not all(m.weight.is_contiguous() for m in convs)


def test_report_says_what_changed_and_what_is_dropped(pair):
    model, fast, _ = pair
    report = fast.optimize_report
    bns = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert report["passes"]["fold_bn"]["batchnorms_folded"] == bns
    assert report["passes"]["fold_scale"]["scales_folded"] == 5  # every residual, the unscaled one's 1.0 too
    assert report["passes"]["fuse_siblings"]["sibling_groups"] >= 5
    assert report["before"]["params"] == sum(p.numel() for p in model.parameters())
    assert report["after"]["params"] == sum(p.numel() for p in fast.parameters())
    dropped = set(report["drops"]["state_dict_keys"])
    assert dropped == set(model.state_dict()) - set(fast.state_dict()) and "stem.bn.running_var" in dropped
    assert report["drops"]["training"] is True


def test_copies_pickles_and_saves(pair, tmp_path):
    _, fast, x = pair
    with torch.no_grad():
        expected = fast(x)
        for other in (copy.deepcopy(fast), pickle.loads(pickle.dumps(fast))):
            assert torch.equal(other(x), expected) and other.optimized
        buffer = io.BytesIO()
        torch.save(fast, buffer)
        buffer.seek(0)
        assert torch.equal(torch.load(buffer, weights_only=False)(x), expected)
        scripted = torch.jit.script(fast)
        assert (scripted(x) - expected).abs().max() <= 1e-6


def test_a_replaced_classifier_is_kept():
    model, x = prepared(TINY)
    model.reset_classifier(3)
    fast = archspec.optimize(model)
    assert fast.num_classes == 3 and max_difference(model, fast, x) <= 1e-4


def test_what_it_refuses():
    with pytest.raises(TypeError, match="archspec.optimize takes a model archspec.build_model built, got Linear"):
        archspec.optimize(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="features_only backbone is not supported"):
        archspec.optimize(archspec.build_model(TINY, features_only=True))
    model = archspec.build_model(TINY)
    fast = archspec.optimize(model)
    with pytest.raises(ValueError, match="already optimized"):
        archspec.optimize(fast)
    model.stem.conv = nn.Conv2d(3, 32, 5, 2, 2, bias=False)
    with pytest.raises(ValueError, match="optimize the model as build_model made it"):
        archspec.optimize(model)


def test_build_model_optimize(tmp_path):
    model = archspec.build_model(TINY, seed=3)
    fast = archspec.build_model(TINY, seed=3, optimize=True)
    assert fast.optimized and not fast.training
    x = torch.randn(2, *model.input_shape)
    assert max_difference(model.eval(), fast, x) <= 1e-4
