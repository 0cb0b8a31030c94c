"""The modern CNN ops, on what the registry test cannot see: drop_path's training semantics (timm's
DropPath), layer_scale's `gamma`, l2norm's unit norms, channel_shuffle's permutation, conv_transpose's
shorthand and defaults, upsample's sizes, and their located errors. Shapes, params and MACs of random
conv_transpose and upsample items are checked against torch.nn (property tests)."""
from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

import archspec
from archspec import SpecError
from archspec.analysis.features import strides

from .test_shapes_hypothesis import SETTINGS, check_against_torch, compile_item, pair_text, torch_reference


def compile_net(tmp_path, input_shape, network, **extra):
    path = tmp_path / "spec.yaml"
    path.write_text(json.dumps({"name": "t", "input": list(input_shape), "network": network, **extra}))
    spec, graph = archspec.compile_spec(path)
    return spec, graph


def error(tmp_path, input_shape, network) -> str:
    with pytest.raises(SpecError) as info:
        compile_net(tmp_path, input_shape, network)
    return str(info.value)


# ---------------------------------------------------------------------------- drop_path

@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # jit is deprecated, but the issue asks for it
def test_drop_path_drops_whole_samples_and_scales_the_survivors_in_training(tmp_path):
    spec, _ = compile_net(tmp_path, (4, 3, 3), [{"drop_path": 0.25}])
    model = archspec.build_model(spec).train()
    x = torch.rand(4000, 4, 3, 3) + 1
    torch.manual_seed(0)
    y = model(x)
    kept = (y != 0).flatten(1)
    assert (kept.all(1) | ~kept.any(1)).all()  # per sample: all of it kept or all of it dropped
    survivors = kept.all(1)
    torch.testing.assert_close(y[survivors], x[survivors] / 0.75)
    assert abs(survivors.float().mean().item() - 0.75) < 0.03  # 4000 draws: 4.4 standard deviations
    assert torch.equal(model.eval()(x), x)  # the identity in eval
    scripted = torch.jit.script(model.train())
    torch.manual_seed(0)
    assert torch.equal(scripted(x), y)


def test_drop_path_rate_is_an_expression_scheduled_over_the_index(tmp_path):
    loop = {"for": {"each": "w", "in": [1, 2, 3, 4, 5], "do": [{"drop_path": "0.2 * i / 4"}]}}
    _, graph = compile_net(tmp_path, (2, 2, 2), [loop])
    rates = [graph.nodes[n]["attrs"]["p"] for n in graph.nodes if graph.nodes[n]["op"] == "drop_path"]
    assert rates == pytest.approx([0.0, 0.05, 0.1, 0.15, 0.2])


def test_drop_path_rate_must_be_below_one(tmp_path):
    assert "network[0].drop_path: p must be less than 1, got 1" in error(tmp_path, (2, 2, 2), [{"drop_path": 1}])


# ---------------------------------------------------------------------------- layer_scale

@pytest.mark.parametrize("vector", [False, True])
def test_layer_scale_is_one_gamma_per_channel(tmp_path, vector):
    items = (["global_avgpool"] if vector else []) + [{"layer_scale": 1.0e-6, "name": "ls"}]
    spec, graph = compile_net(tmp_path, (6, 3, 3), items)
    model = archspec.build_model(spec)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == {"ls.gamma": (6,)}
    assert graph.nodes["ls"]["meta"]["params"] == 6
    assert torch.all(model.ls.gamma == 1.0e-6)
    with torch.no_grad():
        model.ls.gamma.copy_(torch.arange(1.0, 7.0))
    x = torch.randn(2, 6) if vector else torch.randn(2, 6, 3, 3)
    scale = torch.arange(1.0, 7.0).reshape(6, *([] if vector else [1, 1]))
    torch.testing.assert_close(model.ls(x), x * scale)


# ---------------------------------------------------------------------------- l2norm

def test_l2norm_makes_vectors_and_each_positions_channels_unit_length(tmp_path):
    spec, _ = compile_net(tmp_path, (5, 3, 4), ["l2norm", {"seq": ["global_avgpool", "l2norm"], "name": "embed"}])
    model = archspec.build_model(spec).eval()
    x = torch.randn(2, 5, 3, 4)
    y = model.l2norm(x)
    torch.testing.assert_close(y.norm(dim=1), torch.ones(2, 3, 4))
    torch.testing.assert_close(y, F.normalize(x, dim=1))
    torch.testing.assert_close(model(x).norm(dim=1), torch.ones(2))


# ---------------------------------------------------------------------------- channel_shuffle

def test_channel_shuffle_interleaves_the_groups(tmp_path):
    spec, _ = compile_net(tmp_path, (6, 1, 1), [{"channel_shuffle": 2}])
    model = archspec.build_model(spec)
    x = torch.arange(6.0).reshape(1, 6, 1, 1)  # groups [0 1 2] [3 4 5] -> 0 3 1 4 2 5
    assert model(x).flatten().tolist() == [0, 3, 1, 4, 2, 5]


def test_channel_shuffle_groups_must_divide_the_channels(tmp_path):
    message = error(tmp_path, (6, 2, 2), [{"channel_shuffle": 4}])
    assert "spec.yaml:1:" in message and "network[0].channel_shuffle: channel_shuffle groups=4 must divide the channels (6)" in message


# ---------------------------------------------------------------------------- conv_transpose

def test_conv_transpose_shorthand_mapping_and_defaults_agree(tmp_path):
    _, short = compile_net(tmp_path, (8, 5, 5), [{"conv_transpose": "2x2 64 /2"}])
    _, mapping = compile_net(tmp_path, (8, 5, 5), [{"conv_transpose": {"out": 64, "kernel": 2, "stride": 2}}])
    assert short.nodes["conv_transpose"]["attrs"] == mapping.nodes["conv_transpose"]["attrs"]
    assert short.nodes["conv_transpose"]["meta"]["shape"] == (64, 10, 10)
    assert short.nodes["conv_transpose"]["meta"]["params"] == 8 * 64 * 4 + 64  # bias on, as nn.ConvTranspose2d
    _, nobias = compile_net(tmp_path, (8, 5, 5), [{"conv_transpose": "2x2 64 /2"}],
                            defaults={"conv_transpose": {"bias": False}})
    assert nobias.nodes["conv_transpose"]["meta"]["params"] == 8 * 64 * 4


def test_conv_transpose_and_upsample_divide_the_nominal_stride(tmp_path):
    items = [{"conv": "3x3 4 /2"}, {"conv": "3x3 4 /2"}, {"conv_transpose": "2x2 4 /2"}, {"upsample": 2}]
    _, graph = compile_net(tmp_path, (3, 16, 16), items)
    assert [strides(graph)[n] for n in ("conv.conv", "conv_2.conv", "conv_transpose", "upsample")] == [2, 4, 2, 1]


@pytest.mark.parametrize("item, message", [
    ({"conv_transpose": "3x3 4 same"}, "padding is a number or [height, width], not 'same'"),
    ({"conv_transpose": {"out": 4, "kernel": 3, "stride": 2, "output_padding": 2}},
     "output_padding 2x2 must be smaller than the stride 2x2 or the dilation 1x1"),
    ({"conv_transpose": {"out": 4, "kernel": 2, "groups": 4}}, "groups=4 must divide both input channels (6)"),
])
def test_conv_transpose_errors_are_located(tmp_path, item, message):
    text = error(tmp_path, (6, 4, 4), [item])
    assert "spec.yaml:1:" in text and "network[0].conv_transpose" in text and message in text


@st.composite
def conv_transpose_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    return dict(in_ch=groups * draw(st.integers(1, 3)), out_ch=groups * draw(st.integers(1, 3)), groups=groups,
                kernel=(draw(st.integers(1, 5)), draw(st.integers(1, 5))), stride=stride, dilation=dilation,
                padding=(draw(st.integers(0, 3)), draw(st.integers(0, 3))),
                output_padding=tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation)),
                size=(draw(st.integers(1, 12)), draw(st.integers(1, 12))), bias=draw(st.booleans()))


@pytest.mark.slow
@SETTINGS
@given(conv_transpose_cases())
def test_conv_transpose_shape_params_and_macs_match_torch(case):
    item = {"conv_transpose": {"out": case["out_ch"], "groups": case["groups"], "bias": case["bias"],
                               **{k: pair_text(case[k]) for k in ("kernel", "stride", "dilation", "padding",
                                                                    "output_padding")}}}
    reference = nn.ConvTranspose2d(case["in_ch"], case["out_ch"], case["kernel"], case["stride"], case["padding"],
                                   case["output_padding"], case["groups"], case["bias"], case["dilation"])
    in_shape = (case["in_ch"], *case["size"])
    expected = torch_reference(reference, in_shape)
    if expected is not None and min(expected[2:]) < 1:  # PyTorch returns an empty map; archspec refuses it
        with pytest.raises(SpecError, match="collapsed to zero"):
            compile_item(in_shape, item)
        return
    check_against_torch(in_shape, item, reference, "conv_transpose")


# ---------------------------------------------------------------------------- upsample

@pytest.mark.slow
@SETTINGS
@given(scale=st.one_of(st.integers(1, 4), st.sampled_from([0.5, 1.5, 2.5, 1 / 3, 0.7, 1.1])),
       scale_w=st.none() | st.sampled_from([2, 0.75, 1.25]), size=st.tuples(st.integers(1, 20), st.integers(1, 20)),
       bilinear=st.booleans())
def test_upsample_by_a_scale_matches_torch(scale, scale_w, size, bilinear):
    factors = (scale, scale) if scale_w is None else (scale, scale_w)
    mode = "bilinear" if bilinear else "nearest"
    item = {"upsample": {"scale": scale if scale_w is None else list(factors), "mode": mode}}
    reference = nn.Upsample(scale_factor=tuple(float(f) for f in factors), mode=mode)
    check_against_torch((2, *size), item, reference, "upsample")


def test_upsample_to_a_size_and_its_located_errors(tmp_path):
    _, graph = compile_net(tmp_path, (3, 7, 7), [{"upsample": {"size": [28, 30], "mode": "bilinear"}}])
    assert graph.nodes["upsample"]["meta"]["shape"] == (3, 28, 30)
    for item, message in [({"scale": 2, "size": 4}, "exactly one of scale and size, got both"),
                          ({"mode": "bilinear"}, "exactly one of scale and size, got neither"),
                          ({"scale": 2, "mode": "bicubic"}, "unknown upsample mode 'bicubic'"),
                          ({"scale": 2, "align_corners": True}, "align_corners applies to bilinear mode only"),
                          ({"scale": 0}, "scale must be positive, got 0")]:
        text = error(tmp_path, (3, 4, 4), [{"upsample": item}])
        assert "spec.yaml:1:" in text and "network[0].upsample" in text and message in text, text
    assert "'global_avgpool' gives a flat vector of 3" in error(tmp_path, (3, 4, 4),
                                                                       ["global_avgpool", {"upsample": 2}])
