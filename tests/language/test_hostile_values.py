"""Hostile values, numbers, expressions and overrides (issue 10, classes 1, 3 and 6): every one is a located
SpecError (exit 1 on the command line; exit 2, naming the `--set`, when it came from an override), never a
traceback, a silent NaN/infinity/complex value, or a date read as arithmetic; each refused quickly."""
from __future__ import annotations

import ast
import math
import re
import time

import pytest
from hypothesis import given, HealthCheck, settings, strategies as st
from typer.testing import CliRunner

import archspec
from archspec.cli.app import app
from archspec.errors import OverrideError, SpecError, SpecValueError
from archspec.language.expr import Expr, ExprError, parse_expr
from archspec.limits import current as limits
from archspec.source.scalars import check_numbers, describe, read_number, scalar_from_text, show

runner = CliRunner()
SECONDS = 20  # a generous bound: each case takes well under a second
HEAD = "name: t\ninput: [3, 8, 8]\n"
BIG = "99999999999999999999"  # 1e20: past the `number` limit, within float range
HUGE = "9" * 5000  # past float range and Python's 4,300-digit int-string limit
HEX = "0x" + "f" * 5000


def cli(*args: str):
    """Run the command line; never a traceback, and quick."""
    start = time.perf_counter()
    result = runner.invoke(app, list(args))
    assert time.perf_counter() - start < SECONDS, args
    assert "Traceback" not in result.output and "bug in archspec" not in result.output, result.output
    return result


def spec_error(path, exit_code: int, where: str | None, *words: str, args: tuple = ()) -> str:
    """`archspec stats path` fails with exit_code and a message at `where` (file:line:col, or None for an
    override) holding every word."""
    result = cli("stats", str(path), *args)
    assert result.exit_code == exit_code, result.output
    lines = [line for line in result.output.splitlines() if all(w in line for w in words)]
    assert lines, (words, result.output)
    if where is not None:
        assert any(line.startswith(f"{path}:{where}: ") for line in lines), (where, result.output)
    else:
        assert any(line.startswith("error: params.") for line in lines), result.output
    return result.output


def timed(call):
    start = time.perf_counter()
    try:
        return call()
    finally:
        assert time.perf_counter() - start < SECONDS


# ---------------------------------------------------------------------------- 1: operators without evaluator

UNSUPPORTED = ["~w", "w in [1]", "w not in 3", "w is 8", "w is not 8", "w @ w", "w << 1", "w >> 1", "w & 1",
               "w | 1", "w ^ 1", "(y := 8)", "lambda: 1", "[i for i in range(3)]", "{i for i in range(3)}",
               "f'{w}'", "w.real", "(8, 8)", "[8]", "{8}", "{8: 8}", "None", "1j", "...", "b'8'", "*w",
               "min(*w)", "min(**w)", "w[1:2]", "w if w else (yield)", "await w", "print(w)", "w()"]


@pytest.mark.parametrize("text", UNSUPPORTED)
def test_unsupported_syntax_is_refused_when_parsed(text):
    with pytest.raises(ExprError) as info:
        timed(lambda: parse_expr(text))
    assert "Traceback" not in str(info.value)


@pytest.mark.parametrize("text, words", [("~4", "operator '~'"), ("w in y", "operator 'in'"),
                                         ("w not in y", "operator 'not in'"), ("w is y", "operator 'is'"),
                                         ("w is not y", "operator 'is not'"), ("w @ y", "operator '@'")])
def test_the_message_names_the_operator_and_what_is_allowed(text, words):
    with pytest.raises(ExprError, match=re.escape(words)) as info:
        parse_expr(text)
    assert "+ - * / // % **" in str(info.value)


@pytest.mark.parametrize("text", ["~x", "x in y", "x is y", "x not in y", "x @ y", "(z := 1)", "[x]", "x.real",
                                  "f'{x}'", "(x, y)", "{x: y}", "lambda: x", "[i for i in y]", "None", "x()"])
def test_evaluation_is_total_on_trees_parse_expr_would_refuse(text):
    """A hand-built Expr (bypassing parse_expr) is an ExprError when evaluated, never a KeyError or the like."""
    expr = Expr(text, ast.parse(text, mode="eval").body, frozenset({"x", "y"}))
    with pytest.raises(ExprError):
        expr.evaluate({"x": 1, "y": [1]})


def test_deep_nesting_is_refused_without_recursing():
    for text in ["-" * 150 + "1", "+-" * 75 + "1"]:
        with pytest.raises(ExprError, match="nested more than 100 levels"):
            parse_expr(text)
    from archspec import limits as limits_module
    with limits_module.using({"expression_length": 200_000}):
        for text in ["-" * 100_000 + "1", "1+" * 20_000 + "1", "a if b else " * 5000 + "c"]:
            with pytest.raises(ExprError, match="nested"):
                timed(lambda: parse_expr(text))
    deep = ast.Constant(1)
    for _ in range(5000):  # a hand-built tree deeper than the interpreter's stack
        deep = ast.UnaryOp(ast.USub(), deep)
    with pytest.raises(ExprError):
        Expr("deep", deep, frozenset()).evaluate({})


@pytest.mark.parametrize("body, where", [
    ('network:\n  - conv: "3x3 ~4"\n', "4:11"),
    ("params: {w: 8}\nnetwork:\n  - conv: {kernel: 3, out: \"8 if w is 8 else 4\"}\n", "5:28"),
    ("params: {w: 8}\nnetwork:\n  - conv: 3x3 8\n    when: \"w not in 3\"\n", "6:11"),
    ("params: {w: 8}\nlet: {z: \"w in 3\"}\nnetwork:\n  - conv: 3x3 8\n", "4:10"),
    ("params: {w: 8}\nchecks:\n  - that: w == 9\n    message: \"bad ${~w}\"\nnetwork:\n  - conv: 3x3 8\n", "6:14"),
    ("blocks:\n  B: {body: [conv: {kernel: 3, out: \"w @ w\"}]}\nnetwork:\n  - conv: 3x3 8\n", "4:37"),  # unused
])
def test_unsupported_operators_in_a_spec_are_located_errors(write_spec, body, where):
    spec_error(write_spec(HEAD + body), 1, where, "operator")


# ---------------------------------------------------------------------------- 2: numbers in any position

NUMBER_POSITIONS = {  # name: (spec text with {n} for the number, where the error is)
    "mapping": ("network:\n  - conv: {{kernel: 3, out: {n}}}\n", "4:28"),
    "mapping stride": ("network:\n  - conv: {{kernel: 3, out: 8, stride: {n}}}\n", "4:39"),
    "shorthand out": ("network:\n  - conv: 3x3 {n}\n", "4:11"),
    "shorthand /N": ("network:\n  - conv: 3x3 8 /{n}\n", "4:11"),
    "shorthand pN": ("network:\n  - conv: 3x3 8 p{n}\n", "4:11"),
    "shorthand kernel": ("network:\n  - conv: {n}x3 8\n", "4:11"),
    "repeat": ("network:\n  - conv: 3x3 8\n    repeat: {n}\n", "5:13"),
    "param default": ("params: {{w: {n}}}\nnetwork:\n  - conv: 3x3 8\n", "3:13"),
    "typed default": ("params: {{w: {{type: int, default: {n}}}}}\nnetwork:\n  - conv: 3x3 8\n", "3:34"),
    "list default": ("params: {{l: [1, {n}]}}\nnetwork:\n  - conv: 3x3 8\n", "3:17"),
    "block default": ("blocks:\n  B: {{params: {{k: {n}}}, body: [conv: 3x3 8]}}\nnetwork:\n  - B\n", "4:19"),
    "block-use argument": ("blocks:\n  B: {{params: {{k: int}}, body: [conv: 3x3 8]}}\nnetwork:\n  - B: {{k: {n}}}\n",
                           "6:12"),
    "block-call argument": ("params: {{b: {{type: block, default: \"B(3, {n})\"}}}}\nblocks:\n"
                            "  B: {{params: {{k: list}}, body: [conv: 3x3 8]}}\nnetwork:\n  - $b\n", "3:36"),
    "expression": ("network:\n  - conv: {{kernel: 3, out: \"{n} // 2\"}}\n", "4:28"),
    "check message": ("params: {{w: 8}}\nchecks:\n  - that: w == 9\n    message: \"bad ${{{n} + 1}}\"\nnetwork:\n"
                      "  - conv: 3x3 8\n", "6:14"),
    "doc": ("doc: {n}\nnetwork:\n  - conv: 3x3 8\n", "3:6"),
    "init": ("network:\n  - conv: 3x3 8\ninit: {{conv: {{weight: {{fn: normal, std: {n}}}}}}}\n", "5:41"),
}
NUMBERS = {"1e20": BIG, "5000 digits": HUGE, "hex": HEX, "1e999": "1.0e+999", "-1e20": "-" + BIG}
EXPRESSION_ONLY = {"expression", "check message", "block-call argument"}  # only a number Python reads: no hex


@pytest.mark.parametrize("number", list(NUMBERS), ids=list(NUMBERS))
@pytest.mark.parametrize("position", list(NUMBER_POSITIONS))
def test_numbers_beyond_the_limit_are_located_errors_in_every_position(write_spec, position, number):
    text, where = NUMBER_POSITIONS[position]
    written = NUMBERS[number]
    if position in EXPRESSION_ONLY and number == "hex":
        written = "0x" + "f" * 40  # an expression is at most 200 characters
    if position.startswith("shorthand") and written.startswith("-"):
        written = written[1:]
    output = spec_error(write_spec(HEAD + text.format(n=written)), 1, where, "limit")
    assert len(output) < 2000  # a number is never printed in full


def test_input_sizes_past_the_limit_are_located(write_spec):
    spec_error(write_spec(f"name: t\ninput: [3, {HUGE}, 8]\nnetwork:\n  - conv: 3x3 8\n"), 1, "2:12", "limit number")


def test_blocks_lists_a_library_whose_defaults_are_refused_as_an_error(write_spec):
    lib = write_spec(f"blocks:\n  B: {{params: {{k: {HEX}}}, body: [conv: 3x3 8]}}\n", "lib.yaml")
    result = cli("blocks", str(lib), "--no-builtins")
    assert result.exit_code == 1 and f"{lib}:2:19: " in result.output and "limit number" in result.output


@pytest.mark.parametrize("text", ["1" + "0" * 15, "-1" + "0" * 15, "0x38D7EA4C68000", "1_000", "0.5", "1.0e-300"])
def test_numbers_within_the_limit_are_read(text):
    value = scalar_from_text(text)
    assert isinstance(value, (int, float)) and abs(value) <= limits().number


def test_messages_describe_numbers_they_cannot_print():
    assert describe(10**5000) == "about 1e+5000" and describe(-(10**20)) == "-100000000000000000000"
    assert "..." in show([10**5000] * 100) and "..." in show("x" * 10_000)
    nested: list = []
    for _ in range(5000):
        nested = [nested]
    assert show(nested).startswith("[[[")
    with pytest.raises(SpecValueError, match="limit yaml_depth"):
        check_numbers(nested)
    with pytest.raises(SpecValueError, match="too long for a number"):
        read_number(HUGE)
    assert read_number("12") == 12 and read_number("abc") is None


# ---------------------------------------------------------------------------- 3: NaN, infinities, complex

@pytest.mark.parametrize("body, where, words", [
    ("network:\n  - conv: 3x3 8\n  - scale: .nan\n", "5:12", "NaN"),
    ("params: {s: .nan}\nnetwork:\n  - conv: 3x3 8\n  - scale: s\n", "3:13", "NaN"),
    ("params: {s: {type: float, default: .NaN}}\nnetwork:\n  - conv: 3x3 8\n", "3:36", "NaN"),
    ("params: {s: -.inf}\nnetwork:\n  - conv: 3x3 8\n", "3:13", "out of range"),
    ("network:\n  - conv: 3x3 8\n  - scale: \"float('nan')\"\n", "5:12", "NaN"),
    ("network:\n  - conv: 3x3 8\n  - scale: \"float('-inf')\"\n", "5:12", "out of range"),
    ("network:\n  - conv: 3x3 8\n  - scale: \"1e300 * 1e300\"\n", "5:12", "out of range"),
    ("let: {z: (-8)**0.5}\nnetwork:\n  - conv: 3x3 8\n", "3:10", "complex"),
    ("network:\n  - conv: 3x3 8\n    when: \"(-8)**0.5 > 1\"\n", "5:11", "complex"),
    ("network:\n  - conv: 3x3 8\n    when: \"(-8)**0.5\"\n", "5:11", "complex"),
    ("params: {w: 8}\nchecks:\n  - that: w == 9\n    message: \"bad ${(-8)**0.5}\"\nnetwork:\n  - conv: 3x3 8\n",
     "6:14", "complex"),
    ("network:\n  - conv: {kernel: 3, out: \"round(8, -10**15)\"}\n", "4:28", "limit exponent"),
])
def test_nan_infinity_and_complex_values_are_located_errors(write_spec, body, where, words):
    spec_error(write_spec(HEAD + body), 1, where, words)


# ---------------------------------------------------------------------------- 4: dates

@pytest.mark.parametrize("body, where", [
    ("network:\n  - conv: 3x3 2001-12-14\n", "4:11"),
    ("network:\n  - conv: {kernel: 3, out: 2001-12-14}\n", "4:28"),
    ("params: {w: {type: int, default: 2001-12-14}}\nnetwork:\n  - conv: 3x3 w\n", "3:34"),
    ("network:\n  - conv: 3x3 8\n    repeat: 2001-1-1\n", "5:13"),
])
def test_an_unquoted_date_is_never_arithmetic(write_spec, body, where):
    output = spec_error(write_spec(HEAD + body), 1, where, "reads as a date")
    assert "2001 - " in output  # the hint: how to write a subtraction


def test_a_date_may_be_text_and_a_spaced_subtraction_is_arithmetic(write_spec):
    path = write_spec(HEAD + "params: {d: 2001-12-14, e: \"2001-12-14\"}\nnetwork:\n"
                      "  - conv: {kernel: 1, out: \"2001 - 12 - 14 - 1967\"}\n")
    spec = archspec.load_spec(path)
    assert spec.params == {"d": "2001-12-14", "e": "2001-12-14"}
    assert archspec.stats(path)["output"][0] == 8


@pytest.mark.parametrize("body, where", [
    ("network:\n  - conv: {kernel: 3, out: 1:30}\n", "4:28"),
    ("params: {w: {type: int, default: 1:30}}\nnetwork:\n  - conv: 3x3 w\n", "3:34"),
])
def test_a_base_60_number_is_never_read_as_one(write_spec, body, where):
    spec_error(write_spec(HEAD + body), 1, where, "1:30")  # YAML 1.1 would read 90
    path = write_spec(HEAD + "params: {t: 1:30}\nnetwork:\n  - conv: 3x3 8\n")
    assert archspec.load_spec(path).params == {"t": "1:30"}


def test_a_date_given_with_set_is_a_command_line_error(write_spec):
    path = write_spec(HEAD + "params: {w: 8}\nnetwork:\n  - conv: 3x3 w\n")
    spec_error(path, 2, None, "must be int", "'2001-12-14'", "(from --set w=...)", args=("--set", "w=2001-12-14"))


# ---------------------------------------------------------------------------- 5: --set values

SET_SPEC = HEAD + ("params: {w: 8, f: 0.5, s: {type: str, default: relu}, b: {type: block, default: B}}\n"
                   "blocks:\n  B: {body: [conv: 3x3 8]}\nnetwork:\n  - conv: 3x3 w\n  - scale: f\n  - $b\n")


@pytest.mark.parametrize("value, words", [
    ("w=" + "[" * 3000 + "]" * 3000, "must be int"), ("w=" + "{a: " * 3000 + "1" + "}" * 3000, "must be int"),
    ("b=" + "[" * 100_000, "block reference longer"), ("w=" + BIG, "limit number"), ("w=" + HUGE, "limit number"),
    ("w=" + HEX, "limit number"), ("zz=" + HUGE, "limit number"), ("s=" + HUGE, "limit number"),
    ("w=.nan", "NaN"), ("f=.NaN", "NaN"), ("f=-.inf", "limit number"), ("f=1.0e+999", "limit number"),
    ("w=!!python/object:os.system 1", "not allowed"),
])
def test_bad_set_values_exit_2_naming_the_set(write_spec, value, words):
    name = value.partition("=")[0]
    spec_error(write_spec(SET_SPEC), 2, None, words, f"(from --set {name}=...)", args=("--set", value))


def test_good_set_values_still_work(write_spec):
    path = write_spec(SET_SPEC)
    result = cli("stats", str(path), "--json", "--set", "w=16", "--set", "f=0.25", "--set", "s='gelu'")
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------------------- 6: overrides in the Python API

API_SPEC = HEAD + ("params: {w: 8, f: 0.5, l: [1, 2], b: {type: block, default: B}}\n"
                   "blocks:\n  B: {params: {k: 3}, body: [conv: 3x3 k]}\nnetwork:\n  - conv: 3x3 w\n  - scale: f\n"
                   "  - $b\n")


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


BAD_OVERRIDES = {
    "int": (5, "<overrides>", "must be a mapping"), "list": ([1], "<overrides>", "must be a mapping"),
    "str": ("w=3", "<overrides>", "must be a mapping"), "falsy": (0, "<overrides>", "must be a mapping"),
    "int key": ({5: 1}, "<overrides>", "parameter name"), "None key": ({None: 1}, "<overrides>", "parameter name"),
    "huge": ({"w": 10**5000}, "params.w", "limit number"), "nan": ({"w": float("nan")}, "params.w", "NaN"),
    "float nan": ({"f": float("nan")}, "params.f", "NaN"), "inf": ({"f": float("inf")}, "params.f", "limit number"),
    "complex": ({"f": 1 + 2j}, "params.f", "complex"), "unknown": ({"zz": 1}, "params.zz", "unknown parameter"),
    "unknown huge": ({"zz": 10**5000}, "params.zz", "unknown parameter"),
    "list nan": ({"l": [1, float("nan")]}, "params.l", "NaN"), "deep": ({"l": _nested(5000)}, "params.l", "limit"),
    "block call": ({"b": "B(1e999)"}, "params.b", "limit number"),
    "block mapping": ({"b": {"B": {"k": 10**5000}}}, "params.b", "limit number"),
    "block mapping key": ({"b": {"B": {5: 1}}}, "params.b", "parameter names"),
    "object": ({"w": object()}, "params.w", "must be int"),
}


@pytest.mark.parametrize("function", ["load_spec", "compile_spec", "stats", "build_model"])
@pytest.mark.parametrize("case", list(BAD_OVERRIDES), ids=list(BAD_OVERRIDES))
def test_bad_overrides_raise_a_located_override_error(write_spec, function, case):
    overrides, where, words = BAD_OVERRIDES[case]
    path = write_spec(API_SPEC)
    with pytest.raises(SpecError) as info:
        timed(lambda: getattr(archspec, function)(path, overrides))
    assert isinstance(info.value, OverrideError)
    (diagnostic,) = info.value.diagnostics
    text = str(diagnostic)
    assert text.startswith(f"{where}: ") and words in text, text
    assert where == "<overrides>" or f"(from overrides={{'{where[7:]}': ...}})" in text  # the override it came from
    assert len(text) < 500


def test_an_override_built_of_shared_parts_is_refused_quickly(write_spec):
    value: list = [1] * 10
    for _ in range(40):  # 10**40 elements, if each shared part were walked every time it is reached
        value = [value] * 10
    with pytest.raises(OverrideError, match="limit yaml_nodes"):
        timed(lambda: archspec.stats(write_spec(API_SPEC), {"l": value}))


@pytest.mark.parametrize("case", ["int", "list", "falsy", "int key", "nan", "unknown"])
def test_bad_overrides_of_a_loaded_spec_raise_an_override_error(write_spec, case):
    spec = archspec.load_spec(write_spec(API_SPEC))
    with pytest.raises(OverrideError):
        archspec.compile_spec(spec, BAD_OVERRIDES[case][0])
    assert archspec.compile_spec(spec, {"w": 16})[0].params["w"] == 16


# ---------------------------------------------------------------------------- property: expressions

_ATOMS = st.sampled_from([
    "0", "1", "2", "3", "7", "0.5", "1e-3", "1e15", "10**15", "999999999999999", "1e16", "1e300", "1e999",
    "99999999999999999999", "0x7fffffffffffffff", "a", "b", "lst", "s", "true", "false", "nan", "inf",
    "'x'", "float('nan')", "float('inf')", "float('-inf')", "(-8)", "(-1)", "range(3)", "lst[0]", "lst[-1]",
])
_BINARY = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or",
                           "in", "not in", "is", "is not", "@", "<<", ">>", "&", "|", "^"])
_UNARY = st.sampled_from(["-", "+", "not ", "~"])
_CALLS = st.sampled_from(["min", "max", "abs", "int", "float", "round", "ceil", "floor", "len", "range",
                          "make_divisible", "print"])


def _extend(inner):
    return st.one_of(
        st.tuples(inner, _BINARY, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(_UNARY, inner).map(lambda t: f"{t[0]}{t[1]}"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.tuples(_CALLS, st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
    )


EXPRESSIONS = st.recursive(_ATOMS, _extend, max_leaves=8)
SCOPE = {"a": 3, "b": 0.25, "lst": [1, 2, 10**15], "s": "text"}


def _within_limits(value) -> bool:
    if isinstance(value, bool) or isinstance(value, str):
        return True
    if isinstance(value, (int, float)):
        return not math.isnan(value) and abs(value) <= limits().number
    if isinstance(value, list):
        return all(_within_limits(v) for v in value)
    return False


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_any_expression_gives_a_bounded_value_or_an_expression_error(text):
    start = time.perf_counter()
    try:
        value = parse_expr(text).evaluate(SCOPE)
    except (ExprError, SpecError):
        pass
    else:
        assert _within_limits(value), (text, type(value))
    assert time.perf_counter() - start < 5, text


def test_a_computed_tensor_size_beyond_the_number_limit_is_refused(write_spec):
    path = write_spec(HEAD + "network:\n  - conv: 3x3 8\n  - upsample: 1000000000000000\n")
    spec_error(path, 1, "5:15", "a size beyond 1e+15 (limit number)")
