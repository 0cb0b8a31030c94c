"""The front end: the one shorthand parser, the syntax tree, and checking as passes over the tree."""
from __future__ import annotations

import textwrap

import pytest

import archspec
from archspec.parse import parse_shorthand


def build(tmp_path, text: str, overrides=None):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return archspec.lower(archspec.load_spec(path, overrides=overrides))


@pytest.mark.parametrize("op, text, expected", [
    ("linear", "10 if big == 1 else 5", {"out": "10 if big == 1 else 5"}),
    ("linear", "classes + 1", {"out": "classes + 1"}),
    ("linear", "10 bias=false", {"out": 10, "bias": False}),
    ("dropout", "p / 2", {"p": "p / 2"}),
    ("conv", "3x3 w*2 /s", {"kernel": "3x3", "out": "w*2", "stride": "s"}),
    ("conv", "3x3 w * 2 /2 valid", {"kernel": "3x3", "out": "w * 2", "stride": 2, "padding": "valid"}),
    ("conv", "1x1 in_ch plain bias", {"kernel": "1x1", "out": "in_ch", "bn": False, "act": "none", "bias": True}),
    ("conv", "3x3 64 groups=g // 2 act=gelu", {"kernel": "3x3", "out": 64, "groups": "g // 2", "act": "gelu"}),
    ("conv", "3x3 8 act=$act", {"kernel": "3x3", "out": 8, "act": "$act"}),
    ("avgpool", "3x3 /1 same exclude_pad", {"kernel": "3x3", "stride": 1, "padding": "same",
                                            "count_include_pad": False}),
    ("global_avgpool", "keepdim", {"keepdim": True}),
])
def test_shorthand_is_normalised_with_expressions_kept(op, text, expected):
    assert parse_shorthand(op, text) == expected


@pytest.mark.parametrize("big, out", [(1, 10), (0, 5)])
def test_a_conditional_expression_as_linear_shorthand_builds(tmp_path, big, out):
    graph = build(tmp_path, """\
        name: a
        params: {big: 1, w: 4, s: 2}
        input: [3, 8, 8]
        network:
          - conv: "3x3 w*2 /s"
          - global_avgpool
          - linear: "10 if big == 1 else 5"
          - linear: "w + 1"
        """, {"big": big})
    shapes = [graph.nodes[n]["meta"]["shape"] for n in graph.nodes]
    assert (8, 3, 3) in shapes and (out,) in shapes and shapes[-1] == (5,)


def test_an_unreadable_shorthand_token_is_located(tmp_path):
    with pytest.raises(archspec.SpecError) as info:
        build(tmp_path, """\
            name: a
            input: [3, 8, 8]
            network:
              - conv: 3x3 8 16
            """)
    (d,) = info.value.diagnostics
    assert (d.location.line, d.location.col) == (4, 11)
    assert "cannot read '16' in '3x3 8 16'" in d.message
