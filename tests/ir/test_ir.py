"""The IR graph: serialization round trips, deterministic text, lint, and the passes on hand-built graphs."""
from __future__ import annotations

import json

import pytest

import archspec
from archspec import pipeline as compiler
from archspec.pipeline import lower
from archspec.ir.graph import LintError, add_node, dumps_json, from_json, lint, new_graph, to_json, to_text
from archspec.ops import ShapeError
from archspec.ir.passes import count, infer_shapes

from ..conftest import ROOT

SRC = {"loc": "test:1:1", "path": "", "trace": []}


def tiny_graph():
    g = new_graph("hand")
    add_node(g, "input", "input", {"shape": (3, 8, 8)}, [], SRC, "")
    conv = {"in_ch": 3, "out_ch": 4, "kernel": (3, 3), "stride": (2, 2), "padding": (1, 1),
            "dilation": (1, 1), "groups": 1, "bias": True}
    add_node(g, "a.conv", "conv2d", conv, ["input"], SRC, "a")
    add_node(g, "b", "maxpool2d", {"kernel": (2, 2), "stride": (2, 2), "padding": (0, 0), "dilation": (1, 1),
                                   "ceil_mode": False}, ["input"], SRC, "")
    add_node(g, "cat", "concat", {}, ["a.conv", "b"], SRC, "")
    g.graph.update(input="input", outputs=["cat"])
    return g


def test_shape_and_count_passes_on_a_hand_built_graph():
    g = count(infer_shapes(tiny_graph()))
    assert g.nodes["a.conv"]["meta"] == {"shape": (4, 4, 4), "params": 4 * 3 * 9 + 4, "macs": 4 * 4 * 4 * 27}
    assert g.nodes["cat"]["meta"]["shape"] == (7, 4, 4)
    assert lint(g) == []


def test_concat_of_mismatched_sizes_is_a_shape_error():
    g = tiny_graph()
    g.nodes["b"]["attrs"]["kernel"] = (3, 3)
    g.nodes["b"]["attrs"]["stride"] = (3, 3)
    with pytest.raises(ShapeError, match="equal spatial sizes"):
        infer_shapes(g)


def test_lint_names_the_offending_node():
    g = tiny_graph()
    g.nodes["cat"]["inputs"] = ["a.conv"]
    assert any(p.startswith("cat:") for p in lint(g))


def test_json_round_trip_is_identical():
    _, graph = archspec.compile_spec(ROOT / "specs" / "inception_v4.yaml")
    data = to_json(graph)
    again = from_json(json.loads(json.dumps(data)))
    assert to_text(again) == to_text(graph)
    assert dumps_json(again) == dumps_json(graph)
    assert lint(again) == []


def test_text_dump_is_deterministic():
    path = ROOT / "specs" / "inception_v4.yaml"
    assert to_text(archspec.compile_spec(path)[1]) == to_text(archspec.compile_spec(path)[1])


def test_nodes_carry_their_spec_location():
    _, graph = archspec.compile_spec(ROOT / "specs" / "inception_v4.yaml")
    node = graph.nodes["reduction_a.branch1.2.conv"]
    assert node["src"]["path"] == "blocks.reduction_a.body[0].concat[1][2].conv"
    assert node["src"]["loc"].endswith("archspec/library/inception.yaml:31:46")  # the imported block library
    assert node["src"]["trace"][0].startswith("in block 'reduction_a' used at")
    assert "inception_v4.yaml:" in node["src"]["trace"][0]
    assert node["scope"] == "reduction_a"


def test_lint_checks_the_scope_tree():
    g = tiny_graph()
    assert lint(g) == []
    g.graph["scopes"]["a"] = {"kind": "block", "key": "blk", "parent": "nowhere", "loc": ""}
    assert any("'nowhere' is not a scope enclosing it" in p for p in lint(g))
    g = tiny_graph()
    g.nodes["b"]["scope"] = "a"  # b is not inside a
    assert any(p.startswith("b: its block use 'a'") for p in lint(g))
    add_node(g, "cat.x", "act", {"fn": "relu"}, ["cat"], SRC, "")
    assert any(p.startswith("cat: name is also used as a scope") for p in lint(g))


def test_debug_lowering_lints_after_every_pass(monkeypatch):
    spec = archspec.load_spec(ROOT / "specs" / "wrn.yaml")
    assert lower(spec, debug=True).number_of_nodes() > 0

    def breaks_a_name(graph):  # a pass with a bug: a node reads one defined after it
        first = next(n for n in graph.nodes if graph.nodes[n]["inputs"])
        graph.nodes[first]["inputs"] = [list(graph.nodes)[-1]]
        return graph

    monkeypatch.setattr(compiler, "PASSES", (("broken", breaks_a_name),) + compiler.PASSES)
    with pytest.raises(LintError, match=r"bug in archspec.*after broken: .*reads a node that is not defined"):
        lower(spec, debug=True)
    lower(spec, debug=False)  # without the flag the pipeline does not look
    monkeypatch.setenv("ARCHSPEC_DEBUG", "1")
    with pytest.raises(LintError):
        lower(spec)
