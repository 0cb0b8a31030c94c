"""Traps a new user falls into (issue 9, "no silent traps; errors that teach"): each mistake is named
where it was written, in the spec's words, with what to write instead; and what should work does.

Spec texts are dedented and written to tmp_path as in test_errors.py (line 1 is the line after the
opening quotes; columns are 1-based).
"""
from __future__ import annotations

import subprocess
import sys

import pytest

import archspec
from archspec.language.items import MODIFIERS

from .test_errors import errors, invoke, where, write, WIDTH_SPEC


def compiled(tmp_path, text: str, overrides=None):
    return archspec.compile_spec(write(tmp_path, text), overrides)[1]


# ---------------------------------------------------------------------------- expressions everywhere

EXPRESSIONS = """\
    name: e
    params:
      big: {type: bool, default: true}
      classes: 1000
      w: 16
      ks: {type: list, default: [3, 5]}
      ks_small: {type: list, default: [3]}
    let:
      n: "2 if big == true else 1"
    checks:
      - {that: "w >= 8 and (big != false or classes < 10)", message: "w ${w} too small"}
    input: [3, "32 if w >= 8 else 16", 32]
    blocks:
      blk:
        params: {c: int, flag: {type: bool, default: false}}
        checks:
          - {that: "c >= 1 or flag == true", message: "c"}
        body:
          - conv: {out: "c if c >= 8 else 8", kernel: 3, padding: same}
            name: a
          - conv: "3x3 c*2 if flag == true else c same"
            name: b
      wrap:
        params: {inner: block}
        body: [$inner]
    network:
      - conv: "3x3 w if w >= 8 else 8 /2 if big == true else 1 same"
        name: sh
      - conv: "1x1 out=w*2 if big == true else w groups=2 if w >= 16 else 1"
        name: kv
      - maxpool: "3x3 stride=2 if big == true else 1 same"
      - blk: {c: "w if classes >= 10 else 8", flag: "big == true"}
      - conv: 3x3 w same
        name: rep
        repeat: "n if w >= 8 else 1"
        first: {stride: "2 if big == true else 1"}
        last: {act: "${'none' if big == true else 'relu'}"}
      - conv: 1x1 w
        name: gated
        when: "classes >= 10 and big == true"
      - for: {each: k, in: "ks if big == true else ks_small", do: [conv: {out: w, kernel: k, padding: same}]}
        name: loop
      - wrap: {inner: "blk(c=8, flag=true)"}
      - residual: {body: [conv: 3x3 w same], scale: "0.2 if big == true else 1.0"}
    head:
      - global_avgpool
      - dropout: "0.5 if big == true else 0.2"
      - linear: "classes if classes >= 10 else 10"
    """


def _attrs(graph, name):
    return graph.nodes[name]["attrs"]


def test_comparisons_and_true_false_work_in_every_position(tmp_path):
    # `==`, `>=`, `!=` and YAML's true/false: op arguments, shorthand values (bare and key=value),
    # block-use arguments, block references, repeat, first/last, when, let, checks, input, for's in
    graph = compiled(tmp_path, EXPRESSIONS)
    assert graph.nodes["input"]["meta"]["shape"] == (3, 32, 32)
    assert _attrs(graph, "sh.conv")["out_ch"] == 16 and _attrs(graph, "sh.conv")["stride"] == (2, 2)
    assert _attrs(graph, "kv.conv")["out_ch"] == 32 and _attrs(graph, "kv.conv")["groups"] == 2
    assert _attrs(graph, "maxpool")["stride"] == (2, 2)
    assert _attrs(graph, "blk.a.conv")["out_ch"] == 16 and _attrs(graph, "blk.b.conv")["out_ch"] == 32
    assert [_attrs(graph, f"rep.{i}.conv")["stride"] for i in range(2)] == [(2, 2), (1, 1)]
    assert "rep.1.act" not in graph and "rep.0.act" in graph
    assert "gated.conv" in graph
    assert [_attrs(graph, f"loop.{i}.conv.conv")["kernel"] for i in range(2)] == [(3, 3), (5, 5)]
    assert _attrs(graph, "wrap.inner.b.conv")["out_ch"] == 16  # flag=true in the block reference: c*2
    assert _attrs(graph, "scale")["factor"] == 0.2
    assert _attrs(graph, "head.dropout")["p"] == 0.5 and _attrs(graph, "head.linear")["out_features"] == 1000


def test_the_expressions_are_evaluated_not_read_as_shorthand(tmp_path):
    # the other side of every condition: the values follow the parameters
    graph = compiled(tmp_path, EXPRESSIONS, {"big": False, "classes": 5})
    assert _attrs(graph, "sh.conv")["stride"] == (1, 1)
    assert _attrs(graph, "kv.conv")["out_ch"] == 16
    assert _attrs(graph, "blk.a.conv")["out_ch"] == 8 and _attrs(graph, "blk.b.conv")["out_ch"] == 8
    assert "rep.0.conv" in graph and "rep.1.conv" not in graph  # n = 1: one instance
    assert "gated.conv" not in graph
    assert "loop.1.conv.conv" not in graph
    assert _attrs(graph, "head.dropout")["p"] == 0.2 and _attrs(graph, "head.linear")["out_features"] == 10


def test_true_and_false_are_not_parameter_names(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        params:
          "true": 1
        input: [3, 8, 8]
        network:
          - identity
        """)
    assert where(d) == (3, 3, "params.true")
    assert "parameter name 'true' is reserved" in d.message


# ---------------------------------------------------------------------------- modifiers and item keys

def test_a_misspelled_modifier_is_named_with_did_you_mean(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - conv: 3x3 16
            repaet: 3
        """)
    assert where(d) == (5, 5, "network[0].repaet")
    assert d.message == "unknown modifier 'repaet'"
    assert d.hint == "did you mean 'repeat'?"


def test_a_misspelled_op_beside_a_misspelled_modifier_both_are_named(tmp_path):
    first, second = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        blocks:
          stage: {body: [identity]}
        network:
          - cnov: 3x3 16
            repaet: 3
        """)
    assert where(first) == (6, 5, "network[0].cnov") and first.hint == "did you mean 'conv'?"
    assert where(second) == (7, 5, "network[0].repaet") and second.hint == "did you mean 'repeat'?"
    third, fourth, fifth = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        blocks:
          stage: {body: [identity]}
        network:
          - stgae: {}
            nmae: s
          - concta: [identity, identity]
        """)
    assert where(third) == (6, 5, "network[0].stgae") and third.hint == "did you mean 'stage'?"
    assert where(fourth) == (7, 5, "network[0].nmae") and fourth.hint == "did you mean 'name'?"
    assert where(fifth) == (8, 5, "network[1].concta") and fifth.hint == "did you mean 'concat'?"


@pytest.mark.parametrize("modifier", MODIFIERS)
def test_every_modifier_of_the_table_is_suggested(tmp_path, modifier):
    typo = modifier + modifier[-1]  # `repeatt`: modifiers added to the table are suggested too
    (d,) = errors(tmp_path, f"""\
        name: a
        input: [3, 8, 8]
        network:
          - conv: 3x3 16
            {typo}: 1
        """)
    assert where(d) == (5, 5, f"network[0].{typo}")
    assert d.message == f"unknown modifier '{typo}'" and d.hint == f"did you mean '{modifier}'?"


def test_an_argument_written_beside_its_op_says_where_it_goes(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - conv: 3x3 16
            stride: 2
        """)
    assert where(d) == (5, 5, "network[0].stride")
    assert d.message == "'stride' is an argument of 'conv', not a modifier"
    assert d.hint == "write it among conv's arguments: conv: {stride: ...}"


def test_a_modifier_on_a_list_item_of_its_own_says_it_goes_beside_the_op(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - conv: 3x3 16
          - repeat: 3
        """)
    assert where(d) == (5, 5, "network[1]")
    assert d.message == "an item has no op or block key"
    assert "write 'repeat' beside the op or block it modifies, in the same list item" in d.hint


def test_two_ops_in_one_item_list_the_modifiers(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - {conv: 3x3 16, relu: null}
        """)
    assert where(d) == (4, 5, "network[0]")
    assert d.message == "an item has 2 op or block keys (conv, relu)"
    assert d.hint == f"write one op or block per list item; the modifiers are {', '.join(MODIFIERS)}"


# ---------------------------------------------------------------------------- values

@pytest.mark.parametrize("item, col, path", [
    ('conv: {out: 16, kernel: 3, bias: "no"}', 38, "network[0].conv.bias"),
    ('blk: {flag: "off"}', 17, "network[0].blk.flag"),
    ('{identity: null, when: "yes"}', 28, "network[0].when"),
])
def test_a_bool_given_a_word_says_a_bool_is_true_or_false(tmp_path, item, col, path):
    (d,) = errors(tmp_path, f"""\
        name: a
        params: {{big: false}}
        input: [3, 8, 8]
        blocks:
          blk: {{params: {{flag: bool}}, body: [identity]}}
        network:
          - {item}
        """)
    assert where(d) == (7, col, path)
    assert d.message.startswith("expected a bool (true or false), got '")
    assert d.hint == "write true or false, or a condition such as `width > 64`"


def test_a_bool_written_as_quoted_true_or_false_is_that_bool(tmp_path):
    graph = compiled(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - conv: {out: 16, kernel: 3, bias: "true"}
          - {conv: 3x3 8, when: "false"}
        """)
    assert graph.nodes["conv.conv"]["attrs"]["bias"] is True and "conv_2.conv" not in graph


def test_a_misspelled_bool_parameter_still_gets_did_you_mean(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        params: {big: false}
        input: [3, 8, 8]
        network:
          - conv: {out: 16, kernel: 3, bias: bgi}
        """)
    assert where(d) == (5, 38, "network[0].conv.bias")
    assert "unknown parameter 'bgi'" in d.message and "did you mean 'big'?" in d.message


@pytest.mark.parametrize("out, col, message, hint", [
    ('"w*1.0667"', 17, "expected a whole number, 'w*1.0667' gives 68.2688",
     "use // for a whole-number division, or round(): 'round(w*1.0667)'"),
    ('"(w + 1) / 3"', 17, "expected a whole number, '(w + 1) / 3' gives 21.6667",
     "use // for a whole-number division: '(w + 1) // 3'"),
    ("68.5", 17, "expected a whole number, got 68.5", None),
])
def test_a_width_that_is_not_whole_names_the_expression_and_suggests_floor_division(tmp_path, out, col, message,
                                                                                      hint):
    (d,) = errors(tmp_path, f"""\
        name: a
        params: {{w: 64}}
        input: [3, 8, 8]
        network:
          - conv: {{out: {out}, kernel: 3}}
        """)
    assert where(d) == (5, col, "network[0].conv.out")
    assert d.message.startswith(message) and "got a number with a fractional part" not in d.message
    assert d.hint == hint


def test_a_bound_names_the_expression_and_its_value(tmp_path):
    (d,) = errors(tmp_path, WIDTH_SPEC, overrides={"width": 0})
    assert where(d) == (6, 11, "network[0].conv")
    assert d.message == "out must be greater than 0, 'width' gives 0"


# ---------------------------------------------------------------------------- shapes

def test_a_global_pool_without_keepdim_before_a_conv_is_blamed_with_the_fix(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - conv: 3x3 16
          - global_avgpool
          - conv: 1x1 8
        """)
    assert where(d) == (5, 5, "network[1]")
    assert d.message == "'global_avgpool' gives a flat vector of 16, but the conv after it needs a CxHxW feature map"
    assert d.hint == "write `global_avgpool: keepdim` to keep a 16x1x1 map"
    assert d.context == (f"node conv_2.conv ({tmp_path / 'spec.yaml'}:6:11) reads it",)


def test_an_se_gate_without_keepdim_points_at_the_pool_inside_the_block(tmp_path):
    (d,) = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        blocks:
          se:
            body:
              - mul:
                  - identity
                  - [global_maxpool, conv: 1x1 in_ch//4, {conv: 1x1 in_ch plain}, sigmoid]
        network:
          - conv: 3x3 16
          - se
        """)
    assert where(d) == (8, 14, "blocks.se.body[0].mul[1][0]")
    assert d.hint == "write `global_maxpool: keepdim` to keep a 16x1x1 map"
    assert d.context[0] == f"in block 'se' used at {tmp_path / 'spec.yaml'}:11:5 (network[1])"


@pytest.mark.parametrize("body, maps, hint", [
    ("[conv: 3x3 32 same /2, conv: 3x3 32 same]", "16x8x8 to 32x4x4",
     "write `shortcut: auto` for a 1x1 projection conv where the shape changes, or a list of items"),
    ("[conv: 3x3 32]", "16x8x8 to 32x6x6",
     "keep the body's spatial size with `padding: same`, or write the shortcut as a list of items"),
])
def test_an_identity_shortcut_around_a_changing_body_suggests_a_projection(tmp_path, body, maps, hint):
    (d,) = errors(tmp_path, f"""\
        name: a
        input: [3, 8, 8]
        network:
          - conv: 3x3 16 same
          - residual:
              body: {body}
              shortcut: identity
        """)
    assert where(d) == (7, 17, "network[1].residual.shortcut")
    assert d.message == f"an identity shortcut needs the body to keep the shape, but it maps {maps}"
    assert d.hint == hint


# ---------------------------------------------------------------------------- composites

def test_for_names_its_field_in_as_written(tmp_path):
    missing, unknown = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        network:
          - for: {each: k, in_: [1, 3], do: [identity]}
        """)
    assert where(missing) == (4, 10, "network[0].for.in") and missing.message == "missing required key 'in'"
    assert where(unknown) == (4, 20, "network[0].for.in_") and unknown.hint == "did you mean 'in'?"
    assert "in_'?" not in str(unknown)


# ---------------------------------------------------------------------------- the command line

@pytest.mark.parametrize("pair, message", [
    ("widht=4", "error: params.widht: unknown parameter 'widht' (from --set widht=...) (did you mean 'width'?)"),
    ("width=wide", "error: params.width: parameter 'width' must be int, got 'wide' (from --set width=...)"),
])
def test_a_wrong_set_is_a_command_line_mistake_exit_2(tmp_path, pair, message):
    path = write(tmp_path, WIDTH_SPEC)
    result = invoke("validate", path, "--set", pair)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_missing_spec_file_is_a_command_line_mistake_exit_2(tmp_path):
    missing = tmp_path / "nope.yaml"
    for args in (["validate", missing], ["stats", missing], ["diff", write(tmp_path, WIDTH_SPEC), missing],
                 ["blocks", missing], ["validate", tmp_path]):
        result = invoke(*args)
        assert result.exit_code == 2, args
        text = " ".join(result.output.replace("│", " ").split())  # the usage box may wrap the message
        assert "does not exist" in text or "is a directory" in text


def test_the_process_exits_2_on_a_wrong_set_and_1_on_a_spec_mistake(tmp_path):
    path = write(tmp_path, WIDTH_SPEC)
    run = lambda *args: subprocess.run([sys.executable, "-m", "archspec", *map(str, args)], capture_output=True,
                                       text=True, timeout=120)
    assert run("validate", path, "--set", "widht=4").returncode == 2
    assert run("validate", tmp_path / "nope.yaml").returncode == 2
    spec_mistake = run("validate", path, "--set", "width=0")  # a value the spec refuses: the spec's message
    assert spec_mistake.returncode == 1 and "'width' gives 0" in spec_mistake.stderr
