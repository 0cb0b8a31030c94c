"""The norm ops added through the registry: layernorm (channels of a map, or a vector), groupnorm with a
located error for groups that do not divide the channels, and `bn` on a flat vector as BatchNorm1d."""
from __future__ import annotations

import textwrap

import pytest
import torch
from torch import nn

import archspec
from archspec import SpecError


def write(tmp_path, text: str):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_linear_then_bn_is_batchnorm1d_as_in_facenets_embedding_head(tmp_path):
    path = write(tmp_path, """\
        name: facenet_head
        input: [32, 3, 3]
        network: [{conv: 3x3 64 same}]
        head: [global_avgpool, {dropout: 0.2}, {linear: {out: 512, bias: false}, name: last_linear},
               {bn: {eps: 0.001}, name: last_bn}]
        """)
    spec, graph = archspec.compile_spec(path)
    assert graph.nodes["head.last_bn"]["op"] == "batchnorm1d"
    model = archspec.build_model(spec, seed=0)
    bn = model.get_submodule("head.last_bn")
    assert type(bn) is nn.BatchNorm1d and bn.eps == 0.001 and bn.num_features == 512
    assert archspec.stats(spec)["params"] == sum(p.numel() for p in model.parameters())
    assert model.eval()(torch.randn(2, 32, 3, 3)).shape == (2, 512)


def test_layernorm_on_a_map_normalises_the_channels_at_each_position(tmp_path):
    path = write(tmp_path, """\
        name: ln
        input: [8, 4, 5]
        network: [{layernorm: {eps: 1.0e-6}, name: norm}]
        """)
    model = archspec.build_model(path, seed=0).eval()
    x = torch.randn(2, 8, 4, 5)
    reference = nn.functional.layer_norm(x.permute(0, 2, 3, 1), (8,), eps=1e-6).permute(0, 3, 1, 2)
    torch.testing.assert_close(model(x), reference)
    assert model.get_submodule("norm").weight.shape == (8,)


def test_groupnorm_groups_must_divide_the_channels_located(tmp_path):
    path = write(tmp_path, """\
        name: gn
        input: [3, 8, 8]
        network:
          - conv: 3x3 10 same
          - groupnorm: 4
        """)
    with pytest.raises(SpecError) as info:
        archspec.compile_spec(path)
    (diag,) = info.value.diagnostics
    assert "groups=4 must divide the channels (10)" in diag.message
    assert str(diag).startswith(f"{path}:5:16: network[1].groupnorm: "), str(diag)
