"""The memory `archspec summary` reports, against PyTorch: what autograd keeps for backward (saved-tensor
hooks) equals the training estimate exactly, the peak of an eval forward's activation storage equals the
inference estimate, parameter and buffer bytes equal numel x element size at each dtype, trainable and
non-trainable counts equal requires_grad sums, and activations scale with the batch."""
from __future__ import annotations

import pytest
import torch

import archspec
from archspec.analysis.memory import DTYPES

from ..conftest import ROOT
from ..memory_probe import eval_peak_bytes, saved_bytes

# shipped specs at small inputs (--set), covering residual adds, concats, max pools, depthwise convs with SE
# gates (mul, sigmoid, SiLU), layer norms with layer scale and drop path, and U-Net's skip connections
SMALL = [("preact_resnet18.yaml", {"size": 32}), ("efficientnet_b0.yaml", {"size": 32}),
         ("unet.yaml", {"size": 32, "base": 8})]
MEDIUM = [("resnet50.yaml", {"size": 64}), ("convnext_tiny.yaml", {"size": 32}), ("inception_v4.yaml", {"size": 75})]
LARGE = [("inception_resnet_v2.yaml", {}), ("inception_v3.yaml", {"aux": True}), ("fpn_resnet50.yaml", {})]
CASES = SMALL + [pytest.param(*case, marks=pytest.mark.slow) for case in MEDIUM]


def _model(name, overrides):
    spec, graph = archspec.compile_spec(ROOT / "specs" / name, overrides)
    return spec, graph, archspec.build_model(spec, seed=0)


def _check_training(name, overrides, batch):
    spec, graph, model = _model(name, overrides)
    x = torch.randn(batch, *graph.nodes["input"]["meta"]["shape"])
    result = archspec.summary(spec, batch=batch)
    assert saved_bytes(model.train(), x) == result.memory["activations_training"]
    return spec, graph, model, x, result


@pytest.mark.parametrize("name, overrides", CASES, ids=[n for n, _ in SMALL + MEDIUM])
def test_training_and_inference_activations_equal_the_measured_ones(name, overrides):
    spec, graph, model, x, result = _check_training(name, overrides, 2)
    measured = eval_peak_bytes(model, x)
    if name == "unet.yaml":  # the encoder's outputs stay in variables of forward() until it returns
        assert result.memory["activations_inference"] < measured < 1.5 * result.memory["activations_inference"]
    else:
        assert measured == result.memory["activations_inference"]


@pytest.mark.slow
@pytest.mark.parametrize("name, overrides", LARGE, ids=[n for n, _ in LARGE])
def test_training_activations_of_whole_networks(name, overrides):
    _check_training(name, overrides, 2)


def test_activations_scale_with_the_batch():
    spec, graph, model = _model("preact_resnet18.yaml", {"size": 32})
    one, four = archspec.summary(spec, batch=1), archspec.summary(spec, batch=4)
    assert four.memory["activations_inference"] == 4 * one.memory["activations_inference"]
    assert four.memory["input"] == 4 * one.memory["input"]
    # batch norm's statistics do not grow with the batch: training is affine in it, and measured at 4
    fixed = 2 * sum(m.num_features for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)) * 4
    assert four.memory["activations_training"] == 4 * (one.memory["activations_training"] - fixed) + fixed
    assert saved_bytes(model.train(), torch.randn(4, 3, 32, 32)) == four.memory["activations_training"]
    assert four.memory["params"] == one.memory["params"]
    rows = {r.name: r for r in four.rows}
    assert four.batched(rows["stem"].output) == (4, 64, 16, 16)
    assert four.to_dict()["rows"][1]["output_shape"] == [4, 64, 16, 16]


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_weight_bytes_equal_numel_times_element_size(dtype):
    spec, graph, model = _model("efficientnet_b0.yaml", {"size": 32})
    model = model.to(getattr(torch, dtype))
    result = archspec.summary(spec, dtype=dtype)
    assert result.memory["params"] == sum(p.numel() * p.element_size() for p in model.parameters())
    assert result.memory["buffers"] == sum(b.numel() * b.element_size() for b in model.buffers())
    assert result.memory["gradients"] == result.memory["params"]
    assert result.memory["itemsize"] == torch.empty((), dtype=getattr(torch, dtype)).element_size()
    m = result.memory
    assert m["total_training"] == m["params"] + m["buffers"] + m["gradients"] + m["activations_training"]
    assert m["total_inference"] == m["params"] + m["buffers"] + m["activations_inference"]


def test_other_dtypes_scale_activations_but_max_pool_indices_stay_int64():
    spec, graph, model = _model("preact_resnet18.yaml", {"size": 32})
    pools = [m for m in model.modules() if isinstance(m, torch.nn.MaxPool2d)]
    outputs = []
    hooks = [p.register_forward_hook(lambda module, inputs, out: outputs.append(out.numel())) for p in pools]
    x = torch.randn(2, 3, 32, 32)  # training batch norms need two values per channel
    full, half = archspec.summary(spec, batch=2, dtype="float32"), archspec.summary(spec, batch=2, dtype="float16")
    assert saved_bytes(model.train(), x) == full.memory["activations_training"]
    for hook in hooks:
        hook.remove()
    indices = 8 * sum(outputs)
    assert pools and half.memory["activations_training"] - indices == (full.memory["activations_training"] - indices) / 2
    measured = saved_bytes(model.to(torch.float64), x.double())
    assert measured == archspec.summary(spec, batch=2, dtype="float64").memory["activations_training"]


def test_trainable_and_non_trainable_parameters_and_buffers_match_the_model():
    spec, graph, model = _model("efficientnet_b0.yaml", {"size": 32})
    totals = archspec.summary(spec).totals
    assert totals["trainable"] == totals["params"] == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert totals["non_trainable"] == sum(p.numel() for p in model.parameters() if not p.requires_grad) == 0
    assert totals["buffers"] == sum(b.numel() for b in model.buffers())
    assert totals["buffers"] == sum(b.numel() for b in model.buffers()) > 0
