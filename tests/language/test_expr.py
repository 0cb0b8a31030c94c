"""Safe expressions: arithmetic over parameters, nothing else."""
from __future__ import annotations

import pytest

from archspec.language.expr import ExprError, parse_expr


@pytest.mark.parametrize("text, scope, expected", [
    ("16*k", {"k": 4}, 64), ("(depth-4)//6", {"depth": 28}, 4), ("$n", {"n": 3}, 3),
    ("${2*n+1}", {"n": 3}, 7), ("max(a, b)", {"a": 1, "b": 5}, 5), ("a if a > 2 else 2", {"a": 1}, 2),
    ("ceil(x / 2)", {"x": 5}, 3), ("-a % 3", {"a": 1}, 2),
])
def test_evaluates(text, scope, expected):
    assert parse_expr(text).evaluate(scope) == expected


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "a.__class__", "x[0:1]", "x[0]", "lambda: 1", "open('f')", "'a' * 3",
    "[1, 2]", "{1: 2}", "(yield)", "f'{a}'",
])
def test_refuses_anything_but_arithmetic(text):
    with pytest.raises(ExprError):
        parse_expr(text).evaluate({"a": 1, "x": 1})


@pytest.mark.parametrize("text", ["9**9**9", "10**15 * 10**15", "1/0", "a * 1", "2 ** a"])
def test_bounded_evaluation(text):
    with pytest.raises(ExprError):
        parse_expr(text).evaluate({"a": "text" * 10})


def test_names_are_reported():
    assert parse_expr("16*k + width").names == {"k", "width"}


def test_list_elements_and_range():
    from archspec.language.expr import ExprError, parse_expr
    from archspec.language.values import evaluate_value

    scope = {"scope": {"depths": [3, 4, 6, 3]}}
    assert evaluate_value("depths[2] * 2", scope, int) == 12
    assert evaluate_value("depths[-1]", scope, int) == 3
    assert evaluate_value("range(3)", scope, object) == [0, 1, 2]
    assert evaluate_value("len(range(1, 9, 2))", scope, int) == 4
    for bad, words in [("depths[4]", "out of range"), ("depths[1:2]", "not a slice"), ("range(20000)", "at most"),
                       ("depths[0.5]", "whole-number index")]:
        with pytest.raises(Exception) as info:
            evaluate_value(bad, scope, object)
        assert words in str(info.value), (bad, str(info.value))
    with pytest.raises(ExprError):
        parse_expr("depths[0:2]")
