"""docs/spec-language.md's Patterns section is executable: every `<!-- pattern: NAME -->` spec builds,
runs a forward whose shape and counts agree with the IR, and shows the property its heading names."""
from __future__ import annotations

import re

import pytest
import torch

import archspec

from .conftest import ROOT

PAGE = (ROOT / "docs" / "spec-language.md").read_text()
PATTERNS = dict(re.findall(r"<!-- pattern: (\w+) -->\n```yaml\n(.*?)```", PAGE, re.S))


@pytest.fixture
def compiled(tmp_path):
    def get(name):
        path = tmp_path / f"{name}.yaml"
        path.write_text(PATTERNS[name])
        _, graph = archspec.compile_spec(path)
        model = archspec.build_model(path, seed=0).eval()
        shape = graph.nodes["input"]["meta"]["shape"]
        with torch.no_grad():
            out = model(torch.randn(2, *shape))
        outs = out if isinstance(out, tuple) else (out,)
        assert [tuple(o.shape[1:]) for o in outs] == [graph.nodes[n]["meta"]["shape"] for n in graph.graph["outputs"]]
        assert archspec.stats(path)["params"] == sum(p.numel() for p in model.parameters())
        return graph, model
    return get


def test_the_page_has_every_pattern():
    assert set(PATTERNS) == {"dense", "conditional_residual", "se_gate", "projection", "skips", "stochastic_depth"}


def test_dense_connectivity(compiled):
    graph, _ = compiled("dense")
    assert graph.nodes[graph.graph["outputs"][0]]["meta"]["shape"] == (64, 8, 8)
    concats = [n for n in graph if graph.nodes[n]["op"] == "concat"]
    # layer j's concat reads the input and the j layers before it (the first layer reads the input alone)
    assert [len(graph.nodes[n]["inputs"]) for n in concats] == [2, 3, 4, 5]


def test_conditional_residual(compiled):
    graph, _ = compiled("conditional_residual")
    adds = [n for n in graph if graph.nodes[n]["op"] == "add"]
    assert len(adds) == 1 and adds[0].startswith("inverted_2.")


def test_se_gate(compiled):
    graph, model = compiled("se_gate")
    ops = [graph.nodes[n]["op"] for n in graph]
    assert "batchnorm2d" not in ops and ops.count("mul") == 1
    x = torch.randn(1, 64, 8, 8)
    assert torch.all((model(x) / x).std(dim=(2, 3)) < 1e-4)  # one factor per channel


def test_projection_shortcuts(compiled):
    graph, _ = compiled("projection")
    projections = [n for n in graph if ".shortcut." in n]
    assert sorted(graph.nodes[n]["op"] for n in projections) == ["batchnorm2d", "conv2d"]
    assert all(n.startswith("basic_2.") for n in projections)


def test_skips_and_pyramid_levels(compiled):
    graph, _ = compiled("skips")
    shapes = [graph.nodes[n]["meta"]["shape"] for n in graph.graph["outputs"]]
    assert shapes == [(16, 32, 32), (32, 16, 16), (32, 8, 8), (32, 4, 4)]


def test_stochastic_depth_schedule(compiled):
    graph, _ = compiled("stochastic_depth")
    rates = [graph.nodes[n]["attrs"]["p"] for n in graph if graph.nodes[n]["op"] == "drop_path"]
    assert rates == pytest.approx([0.2 / 3, 0.4 / 3, 0.2])  # rate 0 adds no node
