"""For every shipped spec: the optimized model's eval outputs equal the unoptimized model's within 1e-4
(max abs; helpers.max_difference), with batch norm statistics and affine parameters far from the identity."""
from __future__ import annotations

import pytest

import archspec
from archspec.optimization import optimize_graph

from ..conftest import SPECS
from .helpers import assert_lints, max_difference, prepared

# Small inputs (and widths) where the spec allows them: every rewrite still applies, the forwards are cheap.
SMALL = {"inception_v4": {"size": 75}, "inception_v4_1001": {"size": 75}, "inception_resnet_v2": {"size": 75},
         "inception_resnet_v2_5_10_5": {"size": 75}, "inception_resnet_v1": {"size": 75}, "inception_v3": {"size": 75},
         "wrn": {"depth": 16, "k": 2, "size": 16}, "resnet50": {"size": 64}, "preact_resnet18": {"size": 64},
         "fpn_resnet50": {"size": 64}, "unet": {"base": 8, "size": 32}, "convnext_tiny": {"size": 64},
         "efficientnet_b0": {"size": 64}}
# Building these (5M to 56M parameters, initialised) takes seconds each on two cores: the slow run has them.
LIGHT = {"wrn", "preact_resnet18", "unet"}


@pytest.mark.parametrize("spec", [pytest.param(p, id=p.stem, marks=() if p.stem in LIGHT else pytest.mark.slow)
                                  for p in SPECS])
def test_every_spec_optimized_equals_unoptimized(spec):
    overrides = SMALL.get(spec.stem, {})
    _, graph = archspec.compile_spec(spec, overrides)
    optimized, report = optimize_graph(graph, debug=True)  # lints after every pass
    assert_lints(optimized)
    assert report["after"]["macs"] == sum(graph.nodes[n]["meta"]["macs"] for n in graph.nodes
                                          if not graph.nodes[n]["meta"].get("train_only"))
    assert report["passes"]["fold_bn"]["batchnorms_folded"] > 0 or spec.stem == "convnext_tiny"
    model, x = prepared(spec, overrides)
    assert max_difference(model, archspec.optimize(model), x) <= 1e-4
