"""Property tests: for random one-op specs, archspec's inferred shapes and counts agree with PyTorch.

Each example builds a spec in memory (YAML text through the same loader as files), lowers it and
compares against an independent oracle: a plain torch.nn layer configured from the same numbers and
run on zeros. When that layer refuses the input (its output would be empty), archspec must refuse
the spec with a located SpecError, never build it. When it accepts, archspec's IR shape, its built
module's output shape, its parameter count and its MAC count must all match PyTorch's.
"""
from __future__ import annotations

import json

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archspec
from archspec import SpecError
from archspec.pipeline import lower, spec_from_source
from archspec.errors import format_path
from archspec.source.yamlsource import load_yaml_text

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FILE = "<hypothesis>.yaml"


# ---------------------------------------------------------------------------- helpers

def compile_item(in_shape: tuple[int, int, int], item: dict):
    """Lower a spec whose network is the single `item`; return (spec, graph)."""
    text = json.dumps({"name": "prop", "input": list(in_shape), "network": [item]})  # JSON is YAML
    spec = spec_from_source(load_yaml_text(text, FILE))
    return spec, lower(spec)


def output_shape(graph) -> tuple[int, ...]:
    (out,) = graph.graph["outputs"]
    return tuple(graph.nodes[out]["meta"]["shape"])


def totals(graph) -> tuple[int, int]:
    params = sum(graph.nodes[n]["meta"]["params"] for n in graph.nodes)
    macs = sum(graph.nodes[n]["meta"]["macs"] for n in graph.nodes)
    return params, macs


def torch_reference(layer: nn.Module, in_shape) -> torch.Size | None:
    """The output shape PyTorch computes on a zero batch of one, or None if it refuses the input."""
    layer.eval()
    try:
        with torch.no_grad():
            return layer(torch.zeros(1, *in_shape)).shape
    except RuntimeError:
        return None


def measured_macs(model: nn.Module, in_shape) -> int:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, *in_shape))
    return counter.get_total_flops() // 2


def check_against_torch(in_shape, item: dict, reference: nn.Module, key: str):
    """The whole property for one generated item whose PyTorch equivalent is `reference`;
    returns the lowered graph, or None when both refused the input."""
    expected = torch_reference(reference, in_shape)
    event("PyTorch refused the input" if expected is None else "PyTorch accepted the input")
    if expected is None:
        with pytest.raises(SpecError) as info:
            compile_item(in_shape, item)
        (d,) = info.value.diagnostics
        assert format_path(d.path) == f"network[0].{key}"
        assert d.location is not None and d.location.file == FILE and d.location.line == 1
        assert "collapsed to zero" in d.message or "at most half the kernel" in d.message, d.message
        return None

    spec, graph = compile_item(in_shape, item)
    assert output_shape(graph) == tuple(expected[1:]), "IR shape differs from PyTorch's"

    model = archspec.build_model(spec).eval()
    with torch.no_grad():
        built = model(torch.zeros(1, *in_shape))
    assert built.shape == expected, "the built module's output differs from PyTorch's"

    params, macs = totals(graph)
    assert params == sum(p.numel() for p in model.parameters()), "IR params differ from the module's"
    assert macs == measured_macs(model, in_shape), "IR MACs differ from FlopCounterMode's / 2"
    return graph


def pair_text(value: tuple[int, int]):
    """Write a (h, w) pair in one of the spellings the language accepts."""
    return value[0] if value[0] == value[1] else list(value)


# ---------------------------------------------------------------------------- convolutions

@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3, 4]))
    in_ch = groups * draw(st.integers(1, 4))
    out_ch = groups * draw(st.integers(1, 4))
    kernel = (draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    odd = all(k % 2 for k in kernel)
    padding = draw(st.one_of(
        st.just("valid"),
        st.integers(0, 3),
        st.tuples(st.integers(0, 3), st.integers(0, 3)),
        *([st.just("same")] if odd else []),
    ))
    size = (draw(st.integers(1, 40)), draw(st.integers(1, 40)))
    bias = draw(st.booleans())
    bn = draw(st.booleans())
    act = draw(st.sampled_from(["none", "relu", "silu"]))
    kernel_text = draw(st.sampled_from(["pair", "text"]))
    return dict(in_ch=in_ch, out_ch=out_ch, kernel=kernel, stride=stride, dilation=dilation,
                padding=padding, size=size, groups=groups, bias=bias, bn=bn, act=act, kernel_text=kernel_text)


def conv_padding(case) -> tuple[int, int]:
    padding = case["padding"]
    if padding == "valid":
        return (0, 0)
    if padding == "same":  # the documented rule: dilation*(k-1)/2 on each side, odd kernels
        return tuple(d * (k - 1) // 2 for k, d in zip(case["kernel"], case["dilation"]))
    return (padding, padding) if isinstance(padding, int) else tuple(padding)


@pytest.mark.slow
@SETTINGS
@given(conv_cases())
def test_conv_shape_params_and_macs_match_torch(case):
    kernel = case["kernel"]
    item = {"conv": {
        "out": case["out_ch"],
        "kernel": f"{kernel[0]}x{kernel[1]}" if case["kernel_text"] == "text" else pair_text(kernel),
        "stride": pair_text(case["stride"]),
        "padding": list(case["padding"]) if isinstance(case["padding"], tuple) else case["padding"],
        "dilation": pair_text(case["dilation"]),
        "groups": case["groups"],
        "bias": case["bias"],
        "bn": case["bn"],
        "act": case["act"],
    }}
    layers = [nn.Conv2d(case["in_ch"], case["out_ch"], kernel, case["stride"], conv_padding(case),
                        case["dilation"], case["groups"], case["bias"])]
    if case["bn"]:
        layers.append(nn.BatchNorm2d(case["out_ch"]))
    reference = nn.Sequential(*layers)
    in_shape = (case["in_ch"], *case["size"])
    graph = check_against_torch(in_shape, item, reference, "conv")
    if graph is not None:  # the oracle's own parameter count agrees too
        assert totals(graph)[0] == sum(p.numel() for p in reference.parameters())


@SETTINGS
@given(size=st.integers(1, 40), kernel=st.integers(1, 7).filter(lambda k: k % 2),
       dilation=st.integers(1, 2))
def test_same_padding_keeps_the_size_at_stride_1(size, kernel, dilation):
    item = {"conv": {"out": 2, "kernel": kernel, "padding": "same", "dilation": dilation}}
    _, graph = compile_item((1, size, size), item)
    assert output_shape(graph) == (2, size, size)


# ---------------------------------------------------------------------------- pooling

@st.composite
def pool_cases(draw):
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    kernel = (draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if kind == "maxpool" else (1, 1)
    return dict(kind=kind, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                ceil_mode=draw(st.booleans()), count_include_pad=draw(st.booleans()),
                channels=draw(st.integers(1, 4)), size=(draw(st.integers(1, 40)), draw(st.integers(1, 40))))


@pytest.mark.slow
@SETTINGS
@given(pool_cases())
def test_pool_shape_matches_torch(case):
    args = {"kernel": pair_text(case["kernel"]), "padding": pair_text(case["padding"]),
            "ceil_mode": case["ceil_mode"]}
    if case["stride"] is not None:
        args["stride"] = pair_text(case["stride"])
    stride = case["stride"] or case["kernel"]  # PyTorch's rule: the stride defaults to the kernel
    if case["kind"] == "maxpool":
        args["dilation"] = pair_text(case["dilation"])
        reference = nn.MaxPool2d(case["kernel"], stride, case["padding"], case["dilation"],
                                 ceil_mode=case["ceil_mode"])
    else:
        args["count_include_pad"] = case["count_include_pad"]
        reference = nn.AvgPool2d(case["kernel"], stride, case["padding"], ceil_mode=case["ceil_mode"],
                                 count_include_pad=case["count_include_pad"])
    check_against_torch((case["channels"], *case["size"]), {case["kind"]: args}, reference, case["kind"])


@SETTINGS
@given(kind=st.sampled_from(["maxpool", "avgpool"]), kernel=st.integers(1, 7), extra=st.integers(1, 2),
       size=st.integers(8, 40))
def test_pool_padding_over_half_the_kernel_is_refused_like_torch(kind, kernel, extra, size):
    padding = kernel // 2 + extra
    reference = (nn.MaxPool2d(kernel, 1, padding) if kind == "maxpool" else nn.AvgPool2d(kernel, 1, padding))
    assert torch_reference(reference, (1, size, size)) is None
    with pytest.raises(SpecError) as info:
        compile_item((1, size, size), {kind: {"kernel": kernel, "stride": 1, "padding": padding}})
    (d,) = info.value.diagnostics
    assert format_path(d.path) == f"network[0].{kind}"
    assert "at most half the kernel" in d.message
