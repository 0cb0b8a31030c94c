"""What the passes must leave alone, found by a review: the tensor forward_features hands to the head (no
fold of a head op into the network, no in-place head op on it) and the identity activation's output (it is
its input: an in-place add there overwrote another branch's tensor, or the caller's)."""
from __future__ import annotations

import textwrap

import pytest
import torch

import archspec

from .helpers import max_difference, prepared

HEADER = """\
archspec: 1
name: {name}
input: [3, 12, 12]
defaults:
  conv: {{padding: same}}
"""
HEAD = "head:\n  - global_avgpool\n  - linear: 5\n"
SPECS = {
    # a head batch norm after the network's last conv: folding it would change forward_features
    "head_bn": "network:\n  - conv: 3x3 8\n  - conv: 3x3 8 plain\nhead:\n  - bn\n  - relu\n  - global_avgpool\n"
               "  - linear: 5\n",
    # the network ends in dropout (bypassed in eval): the head's ReLU reads the conv output handed out
    "head_relu": "network:\n  - conv: 3x3 8\n  - conv: 3x3 8 plain\n  - dropout: 0.2\nhead:\n  - relu\n"
                 "  - global_avgpool\n  - linear: 5\n",
    # an add whose first operand is the identity activation of a tensor another branch reads
    "identity_branch": "network:\n  - conv: 3x3 4\n  - concat:\n      - add:\n          - [act: identity]\n"
                       "          - [conv: 3x3 4 plain]\n      - [conv: 3x3 4 plain]\n" + HEAD,
    # the same on the network's input: the caller's tensor
    "identity_input": "network:\n  - add:\n      - [act: identity]\n      - [conv: 3x3 3 plain]\n  - conv: 3x3 8\n"
                      + HEAD,
}


@pytest.fixture(params=sorted(SPECS))
def pair(request, tmp_path):
    path = tmp_path / f"{request.param}.yaml"
    path.write_text(HEADER.format(name=request.param) + textwrap.dedent(SPECS[request.param]))
    model, x = prepared(path, batch=2)
    return model, archspec.optimize(model), x


def test_outputs_and_features_equal(pair):
    model, optimized, x = pair
    assert max_difference(model, optimized, x) < 1e-5
    with torch.no_grad():
        assert torch.allclose(model.forward_features(x), optimized.forward_features(x), atol=1e-5)


def test_the_head_leaves_the_features_alone(pair):
    _, optimized, x = pair
    with torch.no_grad():
        features = optimized.forward_features(x)
        before = features.clone()
        optimized.forward_head(features)
    assert torch.equal(features, before)


def test_the_callers_input_is_never_changed(pair):
    _, optimized, x = pair
    for given in (x, x.contiguous(memory_format=torch.channels_last)):  # channels-last input: no copy at entry
        before = given.clone()
        with torch.no_grad():
            optimized(given)
        assert torch.equal(given, before)
