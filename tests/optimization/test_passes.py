"""Each pass on a tiny spec: the structure after it (lint-clean) and the optimized model's outputs."""
from __future__ import annotations

import pytest
import torch

import archspec
from archspec.optimization import optimize_graph, PASSES

from .helpers import assert_lints, max_difference, ops, prepared

INCEPTION_BLOCK = """
archspec: 1
name: tiny_block
input: [6, 9, 9]
defaults:
  conv: {padding: same}
  bn: {eps: 0.001}
blocks:
  mixed:
    body:
      - concat:
          - conv: 1x1 4
          - [conv: 1x1 3, conv: 3x3 5]
          - [conv: 1x1 2, conv: 3x3 3, conv: 3x3 4]
          - [avgpool: 3x3 /1 same exclude_pad, conv: 1x1 4]
network:
  - conv: 3x3 6
  - mixed x2
head:
  - global_avgpool
  - dropout: 0.5
  - {linear: 5, name: fc}
"""

RESIDUAL = """
archspec: 1
name: tiny_residual
input: [4, 8, 8]
defaults:
  conv: {padding: same}
network:
  - conv: 3x3 8
  - residual:
      body: [conv: 1x1 8, drop_path: 0.2, {conv: 1x1 8 bias plain}, scale: 0.2]
    name: res
  - relu
  - residual:
      body: [conv: 3x3 8]
  - aux: {body: [global_avgpool, {linear: 3, name: fc}], train_only: true}
    name: side
head:
  - global_avgpool
  - {linear: 5, name: fc}
"""


def compiled(write_spec, text, passes):
    _, graph = archspec.compile_spec(write_spec(text))
    optimized, report = optimize_graph(graph, debug=True, passes=passes)
    assert_lints(optimized)
    return graph, optimized, report


def exact(write_spec, text, passes):
    model, x = prepared(write_spec(text))
    fast = archspec.optimize(model, passes=passes)
    assert max_difference(model, fast, x) <= 1e-4
    return fast


def test_eval_only_drops_dropout_drop_path_and_training_only_heads(write_spec):
    graph, optimized, report = compiled(write_spec, RESIDUAL, ("eval_only",))
    assert report["passes"]["eval_only"] == {"train_only_nodes": 2, "dropouts": 0, "drop_paths": 1}
    assert "drop_path" not in ops(optimized) and not any(n.startswith("side.") for n in optimized)
    assert len(optimized.graph["outputs"]) == 1 and report["drops"]["aux_outputs"] == ["side.fc"]
    assert graph.number_of_nodes() - optimized.number_of_nodes() == 3  # the given graph is left alone
    exact(write_spec, RESIDUAL, ("eval_only",))
    _, optimized, _ = compiled(write_spec, INCEPTION_BLOCK, ("eval_only",))
    assert optimized.nodes["head.fc"]["inputs"] == ["head.global_avgpool"]


def test_fold_bn_gives_each_conv_a_bias_and_removes_the_norm(write_spec):
    _, optimized, report = compiled(write_spec, INCEPTION_BLOCK, ("fold_bn",))
    assert report["passes"]["fold_bn"] == {"batchnorms_folded": 15}
    assert "batchnorm2d" not in ops(optimized)
    conv = optimized.nodes["mixed.0.branch0.conv"]
    assert conv["attrs"]["bias"] is True and conv["derive"]["weight"][:3] == ["bn_weight", ["tensor",
                                                                               "mixed.0.branch0.conv", "weight"],
                                                                               "mixed.0.branch0.bn"]
    assert optimized.nodes["mixed.0.branch0.act"]["inputs"] == ["mixed.0.branch0.conv"]
    assert conv["meta"]["params"] == 6 * 4 + 4  # the bias counts
    exact(write_spec, INCEPTION_BLOCK, ("fold_bn",))


def test_fold_bn_leaves_a_conv_whose_output_is_read_elsewhere(write_spec):
    text = """
archspec: 1
name: shared
input: [3, 6, 6]
network:
  - {conv: 3x3 4 plain same, id: c}
  - add: [bn, identity]
"""
    _, optimized, report = compiled(write_spec, text, ("fold_bn",))
    assert report["passes"]["fold_bn"]["batchnorms_folded"] == 0 and "batchnorm2d" in ops(optimized)


def test_fold_scale_folds_into_the_conv_before_it(write_spec):
    _, optimized, report = compiled(write_spec, RESIDUAL, ("eval_only", "fold_bn", "fold_scale"))
    assert report["passes"]["fold_scale"] == {"scales_folded": 1} and "scale" not in ops(optimized)
    conv = optimized.nodes["res.conv_2.conv"]
    assert conv["derive"]["weight"] == ["mul", ["tensor", "res.conv_2.conv", "weight"], 0.2]
    assert conv["derive"]["bias"] == ["mul", ["tensor", "res.conv_2.conv", "bias"], 0.2]
    assert optimized.nodes["res.add"]["inputs"] == ["res.conv_2.conv", "conv.act"]
    exact(write_spec, RESIDUAL, ("eval_only", "fold_bn", "fold_scale"))


def test_fuse_siblings_makes_one_conv_and_one_activation(write_spec):
    _, optimized, report = compiled(write_spec, INCEPTION_BLOCK, ("fold_bn", "fuse_siblings"))
    assert report["passes"]["fuse_siblings"] == {"sibling_groups": 2, "convs_fused": 6, "activations_merged": 6}
    fused = optimized.nodes["mixed.0.fused_conv"]
    assert fused["attrs"]["out_ch"] == 4 + 3 + 2 and fused["inputs"] == ["conv.act"]
    assert [r[0] for r in fused["derive"]["weight"][1]] == ["bn_weight"] * 3
    relu = optimized.nodes["mixed.0.fused_act"]
    assert relu["op"] == "act" and relu["inputs"] == ["mixed.0.fused_conv"]
    slices = {n: optimized.nodes[n]["attrs"] for n in ("mixed.0.branch0.act", "mixed.0.branch1.0.act",
                                                       "mixed.0.branch2.0.act")}
    assert list(slices.values()) == [{"start": 0, "stop": 4}, {"start": 4, "stop": 7}, {"start": 7, "stop": 9}]
    assert all(optimized.nodes[n]["op"] == "channel_slice" for n in slices)
    assert "mixed.0.branch0.conv" not in optimized  # its module is gone; the branch keeps its name
    assert "mixed.0.branch3.1.conv" in optimized  # behind the pool: not a sibling
    fast = exact(write_spec, INCEPTION_BLOCK, ("fold_bn", "fuse_siblings"))
    assert fast.get_submodule("mixed.0.fused_conv").out_channels == 9


def test_fuse_siblings_keeps_different_activations(write_spec):
    text = """
archspec: 1
name: acts
input: [4, 5, 5]
network:
  - concat: [{conv: 1x1 3}, {conv: 1x1 2 act=silu}]
"""
    _, optimized, report = compiled(write_spec, text, ("fold_bn", "fuse_siblings"))
    assert report["passes"]["fuse_siblings"] == {"sibling_groups": 1, "convs_fused": 2, "activations_merged": 0}
    assert [optimized.nodes[n]["op"] for n in ("branch0.act", "branch1.act")] == ["act", "act"]
    assert optimized.nodes["branch0.conv"]["op"] == "channel_slice" and "fused_conv" in optimized
    exact(write_spec, text, ("fold_bn", "fuse_siblings"))


def test_inplace_marks_adds_and_activations_but_never_the_input(write_spec):
    text = """
archspec: 1
name: inplace
input: [4, 6, 6]
network:
  - relu
  - residual:
      body: [conv: 3x3 4 same]
  - relu
"""
    _, optimized, report = compiled(write_spec, text, ("fold_bn", "inplace"))
    assert report["passes"]["inplace"] == {"activations_in_place": 2, "adds_in_place": 1}
    assert "inplace" not in optimized.nodes["relu"]["attrs"]  # it reads the caller's tensor
    assert optimized.nodes["add"]["attrs"]["inplace"] is True and optimized.nodes["relu_2"]["attrs"]["inplace"]
    for layout in (torch.contiguous_format, torch.channels_last):
        model, x = prepared(write_spec(text))
        x = x.contiguous(memory_format=layout)
        assert max_difference(model, archspec.optimize(model), x) <= 1e-4  # which checks x is unchanged


def test_unknown_pass_is_refused(write_spec):
    _, graph = archspec.compile_spec(write_spec(RESIDUAL))
    with pytest.raises(ValueError, match="unknown optimization pass 'fold'; the passes are eval_only"):
        optimize_graph(graph, passes=("fold",))
    assert [name for name, _ in PASSES] == ["eval_only", "fold_bn", "fold_scale", "fuse_siblings", "inplace"]
