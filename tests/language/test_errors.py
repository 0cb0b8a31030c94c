"""Broken specs: every mistake is a SpecError whose diagnostics point at the exact file, line,
column and key path, with a readable message, and no mistake ever leaks a Python traceback.

Each spec text is dedented and written to tmp_path; line 1 is the line right after the opening
quotes. Columns are 1-based, as an editor shows them.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager

import pytest
from typer.testing import CliRunner

import archspec
from archspec import SpecError
from archspec.cli.app import app
from archspec.errors import Diagnostic, format_path


# ---------------------------------------------------------------------------- helpers

def write(tmp_path, text: str, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors(tmp_path, text: str, overrides=None) -> list[Diagnostic]:
    """Load and lower the spec; return the diagnostics of the SpecError it must raise."""
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        archspec.lower(archspec.load_spec(path, overrides=overrides))
    diagnostics = info.value.diagnostics
    assert diagnostics, "a SpecError must carry at least one diagnostic"
    for d in diagnostics:
        if d.location is not None:
            assert d.location.file == str(path)
    return diagnostics


def where(d: Diagnostic) -> tuple:
    """(line, col, key path) of a diagnostic."""
    assert d.location is not None, f"diagnostic has no location: {d}"
    return d.location.line, d.location.col, format_path(d.path)


class _TooSlow(BaseException):
    pass


@contextmanager
def deadline(seconds: float):
    """Fail (instead of hanging the suite) if the body runs longer than `seconds`."""
    def expire(signum, frame):
        raise _TooSlow(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_deadlined(seconds: float, fn):
    try:
        with deadline(seconds):
            return fn()
    except _TooSlow as exc:
        pytest.fail(str(exc))


# ---------------------------------------------------------------------------- YAML level

def test_invalid_yaml_syntax_points_at_the_offending_token(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8
        network:
          - identity
        """)
    assert where(d) == (3, 8, "<document>")
    assert d.message.startswith("invalid YAML")
    assert "expected ',' or ']'" in d.message


def test_python_object_apply_tag_is_refused_and_never_constructed(tmp_path):
    target = tmp_path / "constructed"
    (d,) = errors(tmp_path, f"""\
        name: a
        input: [3, 8, 8]
        network:
          - !!python/object/apply:os.makedirs ["{target}"]
        """)
    assert not target.exists(), "the tagged object was constructed"
    assert where(d) == (4, 5, "network[0]")
    assert "python/object/apply:os.makedirs" in d.message and "not allowed" in d.message


def test_python_object_mapping_tag_is_refused(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - identity
        head:
          - !!python/object:argparse.Namespace {x: 1}
        """)
    assert where(d) == (6, 5, "head[0]")
    assert "python/object:argparse.Namespace" in d.message and "not allowed" in d.message


@pytest.mark.parametrize("tagged, col", [("!!int abc", 12), ("!!bool maybe", 12), ("!!float x", 12)])
def test_standard_tag_with_an_unparsable_value_is_a_spec_error(tmp_path, tagged, col):
    # PyYAML's constructors raise ValueError/KeyError for these; they must become diagnostics.
    (d,) = errors(tmp_path, f"""\
        name: a
        input: [3, {tagged}, 8]
        network:
          - identity
        """)
    assert where(d) == (2, col, "input[1]")


def test_billion_laughs_alias_bomb_is_refused_quickly(tmp_path):
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    text = "\n".join(lines) + "\nname: a\ninput: [3, 8, 8]\nnetwork: *l9\n"
    assert len(text) < 4096  # 9**10 strings once expanded
    path = write(tmp_path, text)
    start = time.perf_counter()
    with pytest.raises(SpecError) as info:
        run_deadlined(20, lambda: archspec.load_spec(path))
    assert time.perf_counter() - start < 5
    (d,) = info.value.diagnostics
    assert d.location is not None and d.location.file == str(path)
    assert "expands to more than" in d.message


def test_duplicate_key_is_reported_at_the_second_occurrence(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        name: b
        network:
          - identity
        """)
    assert where(d) == (3, 1, "name")
    assert "duplicate key 'name'" in d.message


def test_duplicate_key_inside_an_argument_mapping(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - conv:
              out: 8
              kernel: 3
              out: 16
        """)
    assert where(d) == (7, 7, "network[0].conv.out")
    assert "duplicate key 'out'" in d.message


def test_merge_key_value_is_overridden_by_an_explicit_key_without_error(tmp_path):
    # YAML merge semantics: keys written in the mapping win over merged ones; that is no duplicate.
    path = write(tmp_path, """\
        name: a
        input: [3, 16, 16]
        network:
          - conv: &base {out: 8, kernel: 3}
          - conv: {<<: *base, out: 16}
        """)
    graph = archspec.lower(archspec.load_spec(path))
    (out,) = graph.graph["outputs"]
    assert graph.nodes[out]["meta"]["shape"] == (16, 12, 12)


# ---------------------------------------------------------------------------- document and item keys

def test_unknown_top_level_key_suggests_the_closest(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        netwrk:
          - identity
        network:
          - identity
        """)
    assert where(d) == (3, 1, "netwrk")
    assert "unknown key 'netwrk'" in d.message
    assert d.hint == "did you mean 'network'?"


def test_unknown_op_in_a_mapping_item_suggests_the_closest(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - identity
          - {conv2: 3x3 16}
        """)
    assert where(d) == (5, 6, "network[1].conv2")
    assert "unknown op or block 'conv2'" in d.message
    assert d.hint == "did you mean 'conv'?"


def test_unknown_op_as_a_bare_name_suggests_the_closest(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - identity
          - maxpol
        """)
    assert where(d) == (5, 5, "network[1]")
    assert "unknown op or block 'maxpol'" in d.message
    assert d.hint == "did you mean 'maxpool'?"


def test_unknown_block_suggests_a_defined_block(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        blocks:
          stage:
            body:
              - conv: 3x3 8
        network:
          - stgae: {}
        """)
    assert where(d) == (8, 5, "network[0].stgae")
    assert "unknown op or block 'stgae'" in d.message
    assert d.hint == "did you mean 'stage'?"


def test_unknown_conv_argument_suggests_the_closest(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - conv: {out: 16, kernel: 3, strid: 2}
        """)
    assert where(d) == (4, 32, "network[0].conv.strid")
    assert "unknown key 'strid'" in d.message
    assert d.hint == "did you mean 'stride'?"


def test_bare_activation_item_is_accepted(tmp_path):
    # docs/spec-language.md: `- relu` is "an op with no arguments" and `relu, gelu, sigmoid, ...`
    # are activations by name; this must not raise "unknown key 'fn'".
    path = write(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - conv: {out: 4, kernel: 3, act: none}
          - relu
          - sigmoid
        """)
    graph = archspec.lower(archspec.load_spec(path))
    fns = [graph.nodes[n]["attrs"]["fn"] for n in graph.nodes if graph.nodes[n]["op"] == "act"]
    assert fns == ["relu", "sigmoid"]


# ---------------------------------------------------------------------------- expressions

def test_unknown_name_in_an_expression_suggests_the_closest(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        params:
          width: 16
        input: [3, 8, 8]
        network:
          - conv: {out: widht * 2, kernel: 3}
        """)
    assert where(d) == (6, 17, "network[0].conv.out")
    assert "unknown parameter 'widht'" in d.message
    assert "did you mean 'width'?" in str(d)


def test_expression_calling_import_is_an_error_and_never_runs(tmp_path):
    target = tmp_path / "pwned"
    (d,) = errors(tmp_path, f"""\
        name: a
        input: [3, 8, 8]
        network:
          - conv: {{out: "__import__('os').makedirs('{target}')", kernel: 3}}
        """)
    assert not target.exists(), "the expression was executed"
    assert where(d) == (4, 17, "network[0].conv.out")
    assert "only these functions may be called" in d.message


def test_expression_with_attribute_access_is_an_error(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        params:
          width: 16
        input: [3, 8, 8]
        network:
          - conv: {out: width.real, kernel: 3}
        """)
    assert where(d) == (6, 17, "network[0].conv.out")
    assert "'width.real' is not allowed" in d.message


@pytest.mark.parametrize("expression", ["-mode", "8 if mode < 1 else 4"])
def test_expression_on_a_string_parameter_is_a_spec_error(tmp_path, expression):
    # Arithmetic on a str parameter raises TypeError inside the evaluator; it must be a diagnostic.
    (d,) = errors(tmp_path, f"""\
        name: a
        params:
          mode: {{type: str, default: wide}}
        input: [3, 8, 8]
        network:
          - conv: {{out: "{expression}", kernel: 3}}
        """)
    assert where(d) == (6, 17, "network[0].conv.out")


def test_expression_division_by_zero(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        params:
          w: 0
        input: [3, 8, 8]
        network:
          - conv: {out: 8 // w, kernel: 3}
        """)
    assert where(d) == (6, 17, "network[0].conv.out")
    assert "division by zero" in d.message


# ---------------------------------------------------------------------------- block parameters

BLOCK_WITH_WIDTH = textwrap.dedent("""\
    name: a
    input: [3, 8, 8]
    blocks:
      stage:
        params:
          width: int
        body:
          - conv: 3x3 width
    network:
      - identity
    """)


def test_missing_required_block_parameter(tmp_path):
    (d,) = errors(tmp_path, BLOCK_WITH_WIDTH + "  - stage\n")
    assert where(d) == (11, 5, "network[1]")
    assert "block 'stage' needs parameter 'width'" in d.message


def test_unknown_block_parameter_suggests_the_closest(tmp_path):
    # The misspelt name is reported, and so is the required parameter it failed to give.
    missing, unknown = errors(tmp_path, BLOCK_WITH_WIDTH + "  - stage: {widht: 4}\n")
    assert where(unknown) == (11, 13, "network[1].stage.widht")
    assert "unknown parameter 'widht'" in unknown.message
    assert unknown.hint == "did you mean 'width'?"
    assert where(missing) == (11, 12, "network[1].stage")
    assert "needs parameter 'width'" in missing.message


def test_wrong_type_for_a_block_parameter(tmp_path):
    (d,) = errors(tmp_path, BLOCK_WITH_WIDTH + "  - stage: {width: 2.5}\n")
    assert where(d) == (11, 20, "network[1].stage.width")
    assert "parameter 'width' must be int, got 2.5" in d.message


def test_bool_is_not_an_int_block_parameter(tmp_path):
    (d,) = errors(tmp_path, BLOCK_WITH_WIDTH + "  - stage: {width: true}\n")
    assert where(d) == (11, 20, "network[1].stage.width")
    assert "must be int, got True" in d.message


# ---------------------------------------------------------------------------- overrides (--set)

WIDTH_SPEC = textwrap.dedent("""\
    name: a
    params:
      width: 8
    input: [3, 8, 8]
    network:
      - conv: 3x3 width
    """)


def test_override_of_an_unknown_parameter(tmp_path):
    (d,) = errors(tmp_path, WIDTH_SPEC, overrides={"widht": 4})
    assert d.location is None  # it comes from the caller's overrides, not the file
    assert format_path(d.path) == "params.widht"
    assert "unknown parameter 'widht'" in d.message and "(from overrides={'widht': ...})" in d.message
    assert d.hint == "did you mean 'width'?"


def test_override_with_a_wrong_type(tmp_path):
    (d,) = errors(tmp_path, WIDTH_SPEC, overrides={"width": "wide"})
    assert d.location is None
    assert format_path(d.path) == "params.width"
    assert "parameter 'width' must be int, got 'wide'" in d.message


def test_override_that_makes_a_shape_collapse_is_located_in_the_file(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        params:
          size: 32
        input: [3, size, size]
        network:
          - conv: 5x5 8
        """, overrides={"size": 4})
    assert where(d) == (6, 11, "network[0].conv")
    assert "collapsed to zero" in d.message


# ---------------------------------------------------------------------------- shapes and values

def test_concat_of_mismatched_sizes_names_the_block_use(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 16, 16]
        blocks:
          mixed:
            body:
              - concat:
                  - conv: 3x3 8 /2 valid
                  - conv: 1x1 8
        network:
          - conv: 3x3 8
          - mixed
        """)
    assert where(d) == (7, 11, "blocks.mixed.body[0].concat")
    assert "concat needs equal spatial sizes in every input (branch or `from:` tensor), got 8x6x6, 8x14x14" in d.message
    assert d.context[0] == f"in block 'mixed' used at {tmp_path / 'spec.yaml'}:11:5 (network[1])"
    assert "node mixed.concat" in d.context


def test_add_of_mismatched_shapes_in_a_residual_with_identity_shortcut(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [8, 16, 16]
        network:
          - residual:
              body:
                - conv: 3x3 16 same
              shortcut: identity
        """)
    assert where(d) == (7, 17, "network[0].residual.shortcut")  # the identity, not the add, is the mistake
    assert d.message == "an identity shortcut needs the body to keep the shape, but it maps 8x16x16 to 16x16x16"
    assert "shortcut: auto" in d.hint


def test_spatial_size_collapsing_to_zero(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 4, 4]
        network:
          - conv: 3x3 8 valid
          - conv: 3x3 8 valid
        """)
    assert where(d) == (5, 11, "network[1].conv")
    assert "on a 2x2 input leaves a 0x0 output" in d.message
    assert "collapsed to zero" in d.message


def test_pool_collapsing_to_zero(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 5, 9]
        network:
          - maxpool: 3x3 /2
          - maxpool: 3x3 /2
        """)
    assert where(d) == (5, 14, "network[1].maxpool")
    assert "on a 2x4 input leaves a 0x1 output" in d.message


def test_groups_must_divide_the_channels(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [6, 8, 8]
        network:
          - conv: {out: 8, kernel: 3, groups: 4}
        """)
    assert where(d)[0] == 4 and where(d)[2].startswith("network[0].conv")
    assert "groups=4 must divide both input channels (6) and output channels (8)" in d.message


@pytest.mark.parametrize("item, col, path, fragment", [
    ("dropout: 1.5", 14, "network[1].dropout", "less than 1"),
    ("dropout: {p: -0.1}", 18, "network[1].dropout.p", "greater than or equal to 0"),
])
def test_dropout_probability_out_of_range(tmp_path, item, col, path, fragment):
    (d,) = errors(tmp_path, f"""\
        name: a
        input: [3, 8, 8]
        network:
          - identity
          - {item}
        """)
    assert where(d) == (5, col, path)
    assert fragment in d.message


def test_same_padding_with_an_even_kernel_in_shorthand(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [6, 8, 8]
        network:
          - conv: 4x4 8 same
        """)
    assert where(d) == (4, 11, "network[0].conv")
    assert "'same' padding needs odd kernel sizes, got 4x4" in d.message


def test_same_padding_with_an_even_kernel_in_a_mapping(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [6, 8, 8]
        network:
          - conv:
              out: 8
              kernel: [3, 2]
              padding: same
        """)
    assert where(d) == (7, 16, "network[0].conv.padding")
    assert "got 3x2" in d.message


def test_linear_on_a_feature_map(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - conv: 3x3 8
        head:
          - linear: 10
        """)
    assert where(d) == (6, 13, "head[0].linear")
    assert "linear needs a flat vector, got shape 8x6x6" in d.message


def test_huge_repeat_count_is_refused_quickly(tmp_path):
    # A 90-byte file must not be able to make the compiler loop 10**8 times (or build 10**8 nodes).
    path = write(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - {identity: null, repeat: 100000000}
        """)
    with pytest.raises(SpecError) as info:
        run_deadlined(5, lambda: archspec.lower(archspec.load_spec(path)))
    (d,) = info.value.diagnostics
    assert d.location is not None and d.location.line == 4


# ---------------------------------------------------------------------------- several errors, blocks

def test_several_errors_are_reported_together_in_line_order(tmp_path):
    # The walker visits network, then head, then block bodies; the report is in file order.
    diagnostics = errors(tmp_path, """\
        name: a
        input: [3, 16, 16]
        blocks:
          stage:
            body:
              - conv: {out: 8, kernel: 3, strid: 2}
        network:
          - stage
          - maxpol
          - dropout: 2
        head:
          - linear: {out: 10, bais: true}
        """)
    assert [where(d) for d in diagnostics] == [
        (6, 35, "blocks.stage.body[0].conv.strid"),
        (9, 5, "network[1]"),
        (10, 14, "network[2].dropout"),
        (12, 23, "head[0].linear.bais"),
    ]
    assert [d.location.line for d in diagnostics] == sorted(d.location.line for d in diagnostics)
    assert "unknown op or block 'maxpol'" in diagnostics[1].message


def test_error_inside_a_block_is_located_in_the_body_with_the_use_in_context(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 16, 16]
        blocks:
          stage:
            params:
              width: int
            body:
              - conv: 1x1 8
              - conv: {out: width - 8, kernel: 3}
        network:
          - stage: {width: 16}
          - stage: {width: 8}
        """)
    assert where(d) == (9, 21, "blocks.stage.body[1].conv.out")
    assert "greater than 0" in d.message
    assert d.context == (f"in block 'stage' used at {tmp_path / 'spec.yaml'}:12:5 (network[1]) with width=8",)


def test_shape_error_in_a_nested_block_lists_every_use(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 16, 16]
        blocks:
          inner:
            body:
              - conv: 3x3 8 /2 valid
          outer:
            body:
              - inner x4
        network:
          - outer
        """)
    file = tmp_path / "spec.yaml"
    assert where(d) == (6, 15, "blocks.inner.body[0].conv")
    assert d.context[:2] == (f"in block 'outer' used at {file}:11:5 (network[0])",
                             f"in block 'inner' used at {file}:9:9 (blocks.outer.body[0])")


def test_block_that_uses_itself(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 16, 16]
        blocks:
          stage:
            body:
              - conv: 1x1 8
              - stage
        network:
          - stage
        """)
    assert where(d) == (7, 9, "blocks.stage.body[1]")
    assert "block 'stage' uses itself (stage -> stage)" in d.message


def test_blocks_that_use_each_other(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 16, 16]
        blocks:
          ping:
            body:
              - pong
          pong:
            body:
              - ping
        network:
          - ping
        """)
    assert where(d) == (9, 9, "blocks.pong.body[0]")
    assert "block 'ping' uses itself (ping -> pong -> ping)" in d.message


# ---------------------------------------------------------------------------- the command line

BROKEN_FOR_CLI = {
    "unknown_op": ("name: a\ninput: [3, 8, 8]\nnetwork:\n  - maxpol\n",
                   ":4:5: network[0]: unknown op or block 'maxpol' (did you mean 'maxpool'?)"),
    "collapse": ("name: a\ninput: [3, 4, 4]\nnetwork:\n  - conv: 5x5 8\n",
                 ":4:11: network[0].conv: conv kernel 5x5"),
    "python_tag": ("name: a\ninput: [3, 8, 8]\nnetwork:\n  - !!python/object/apply:os.getcwd []\n",
                   ":4:5: network[0]: YAML tag"),
    "bad_yaml": ("name: a\ninput: [3, 8, 8\nnetwork:\n  - identity\n", ":3:8: <document>: invalid YAML"),
    "bad_scalar_tag": ("name: a\ninput: [3, !!int abc, 8]\nnetwork:\n  - identity\n", ":2:12: input[1]: "),
    "str_arithmetic": ("name: a\nparams:\n  mode: {type: str, default: wide}\ninput: [3, 8, 8]\n"
                       "network:\n  - conv: {out: \"-mode\", kernel: 3}\n", ":6:17: network[0].conv.out: "),
}


def invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    # CliRunner catches exceptions itself, so a crash would not print "Traceback" here: a spec
    # mistake must end through typer.Exit (SystemExit), never through another exception.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"the command crashed with {result.exception!r}")
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("command", ["validate", "build"])
@pytest.mark.parametrize("case", sorted(BROKEN_FOR_CLI))
def test_cli_reports_located_error_with_exit_code_1(tmp_path, case, command):
    text, expected = BROKEN_FOR_CLI[case]
    path = write(tmp_path, text)
    extra = ["--out", tmp_path / "build"] if command == "build" else []
    result = invoke(command, path, *extra)
    assert result.exit_code == 1
    assert f"{path}{expected}" in result.stderr
    assert "1 error" in result.stderr
    assert not (tmp_path / "build").exists()


def test_cli_reports_every_error_of_the_stage(tmp_path):
    path = write(tmp_path, "name: a\ninput: [3, 8, 8]\nnetwork:\n  - maxpol\n  - dropout: 2\n")
    result = invoke("validate", path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}:4:5: network[0]: ")
    assert lines[1].startswith(f"{path}:5:14: network[1].dropout: ")
    assert lines[2] == "2 errors"


def test_cli_override_with_a_wrong_type_exits_2(tmp_path):  # a mistake on the command line
    path = write(tmp_path, WIDTH_SPEC)
    result = invoke("validate", path, "--set", "width=wide")
    assert result.exit_code == 2
    assert "error: params.width: parameter 'width' must be int, got 'wide'" in result.stderr


def test_cli_override_of_an_unknown_name_exits_2(tmp_path):  # a mistake on the command line
    path = write(tmp_path, WIDTH_SPEC)
    result = invoke("build", path, "--set", "widht=4", "--out", tmp_path / "build")
    assert result.exit_code == 2
    assert "params.widht: unknown parameter 'widht'" in result.stderr
    assert "did you mean 'width'?" in result.stderr


@pytest.mark.parametrize("bad", ["width", "=4"])
def test_cli_malformed_set_exits_2(tmp_path, bad):
    path = write(tmp_path, WIDTH_SPEC)
    result = invoke("validate", path, "--set", bad)
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output


def test_cli_valid_spec_exits_0(tmp_path):
    path = write(tmp_path, WIDTH_SPEC)
    result = invoke("validate", path, "--set", "width=4")
    assert result.exit_code == 0
    assert "ok" in result.stdout


@pytest.mark.parametrize("case", ["unknown_op", "bad_scalar_tag", "str_arithmetic"])
def test_cli_process_never_prints_a_traceback(tmp_path, case):
    text, expected = BROKEN_FOR_CLI[case]
    path = write(tmp_path, text)
    proc = subprocess.run([sys.executable, "-c", "from archspec.cli.app import app; app()", "validate", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    assert f"{path}{expected}" in proc.stderr
