"""`make_divisible` in expressions: timm's channel rounding, value for value.

The table tests/fixtures/make_divisible.json holds inputs and the outputs of timm 1.0.31's
timm.layers.make_divisible; scripts/make_divisible_fixture.py generated it (timm is never imported
by the tests)."""
from __future__ import annotations

import json

import pytest

import archspec
from archspec.errors import SpecError
from archspec.language.expr import ExprError, make_divisible, parse_expr

from ..conftest import ROOT

TABLE = json.loads((ROOT / "tests" / "fixtures" / "make_divisible.json").read_text())


def test_the_table_is_timms_and_large():
    assert TABLE["made_with"]["timm"] == "1.0.31" and len(TABLE["rows"]) >= 400


def test_equals_timm_on_every_row():
    wrong = [row for row in TABLE["rows"] if (make_divisible(*row[:4]), type(make_divisible(*row[:4])))
             != (row[4], type(row[4]))]
    assert wrong == []


@pytest.mark.parametrize("text, expected", [
    ("make_divisible(32 * 1.4)", 48), ("make_divisible(32 * 1.1)", 32), ("make_divisible(1280 * 0.35)", 448),
    ("make_divisible(100, 16)", 96), ("make_divisible(v, divisor=16)", 96),
    ("make_divisible(v * 0.25, 8, round_limit=0.0)", 24), ("make_divisible(3, min_value=16)", 16),
    ("make_divisible(3, 8, 0)", 8),  # a zero min_value means the divisor, as timm's `or` does
])
def test_in_expressions_positional_and_keyword(text, expected):
    assert parse_expr(text).evaluate({"v": 100}) == expected


@pytest.mark.parametrize("text, message", [
    ("make_divisible(10, 0)", "divisor must be positive"),
    ("make_divisible(10, size=8)", "unexpected keyword"),
    ("make_divisible('a')", "takes numbers"),
])
def test_bad_calls_are_expression_errors(text, message):
    with pytest.raises(ExprError, match=message):
        parse_expr(text).evaluate({})


def test_only_named_keywords_are_accepted():
    with pytest.raises(ExprError, match="only these functions"):
        parse_expr("make_divisible(**a)")


def test_a_spec_rounds_widths_and_locates_a_bad_call(write_spec):
    spec = """name: t
params: {mult: 1.4}
input: [3, 8, 8]
network:
  - conv: {out: "make_divisible(32 * mult)", kernel: 3}
  - conv: "1x1 make_divisible(96 * mult / 4, 4)"
  - conv: {out: "make_divisible(40 * mult, divisor=16)", kernel: 1}
"""
    graph = archspec.compile_spec(write_spec(spec))[1]
    assert [graph.nodes[n]["attrs"]["out_ch"] for n in ("conv.conv", "conv_2.conv", "conv_3.conv")] == [48, 32, 64]
    with pytest.raises(SpecError, match=r"spec.yaml:5:\d+: network\[0\]\.conv\.out: .*divisor must be positive"):
        archspec.compile_spec(write_spec(spec.replace("32 * mult)", "32 * mult, 0)")))
