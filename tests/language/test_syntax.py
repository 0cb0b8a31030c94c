"""The front end: the one shorthand parser, the syntax tree, and checking as passes over the tree."""
from __future__ import annotations

import textwrap

import pytest

import archspec
from archspec.language.parse import parse_shorthand


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


# ---------------------------------------------------------------------------- the syntax tree

def test_the_syntax_tree_of_a_small_spec(tmp_path):
    from archspec.language.syntax import BlockUse, Merge, OpItem, Residual, Seq
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent("""\
        name: a
        params: {w: 8}
        input: [3, 16, 16]
        blocks:
          unit:
            params: {width: int}
            body:
              - residual:
                  body: [conv: 3x3 width same, {bn: {eps: 0.001}, name: norm}]
        network:
          - conv: 3x3 w /2 valid
          - unit x2: {width: w}
            first: {width: 16}
          - concat:
              - conv: 1x1 4
              - [maxpool: 3x3 /1 same, {conv: {out: 4, kernel: 1}}]
        head:
          - global_avgpool
          - dropout: 0.2
        """), encoding="utf-8")
    spec = archspec.load_spec(path)
    conv, unit, concat = spec.network.items
    assert isinstance(spec.network, Seq) and spec.network.path == ("network",)
    assert isinstance(conv, OpItem) and conv.key == "conv" and conv.path == ("network", 0)
    assert {k: a.value for k, a in conv.args.items()} == {"kernel": "3x3", "out": "w", "stride": 2,
                                                         "padding": "valid"}
    assert all(a.path == ("network", 0, "conv") for a in conv.args.values())  # shorthand: located at the string
    assert spec.source.loc(conv.key_path).line == 11

    assert isinstance(unit, BlockUse) and unit.key == "unit" and unit.param is None
    assert unit.mods.repeat.value == "2" and unit.mods.repeat.path == ("network", 1, "unit x2")
    assert unit.args["width"].path == ("network", 1, "unit x2", "width")
    assert unit.mods.first["width"].value == 16 and unit.mods.first["width"].path == ("network", 1, "first", "width")

    assert isinstance(concat, Merge) and [b.label for b in concat.branches] == ["branch0", "branch1"]
    nested = concat.branches[1].item
    assert isinstance(nested, Seq) and nested.numbered and len(nested.items) == 2
    assert nested.items[1].args["out"].path == ("network", 2, "concat", 1, 1, "conv", "out")

    residual = spec.blocks["unit"].body.items[0]
    assert isinstance(residual, Residual) and residual.shortcut is None and residual.preact is None
    first, norm = residual.body.items
    assert first.args["out"].value == "width" and norm.mods.name == "norm"
    assert norm.args["eps"].path == ("blocks", "unit", "body", 0, "residual", "body", 1, "bn", "eps")
    assert [n.key for n in spec.head.items] == ["global_avgpool", "dropout"]
    assert spec.head.items[1].args["p"].value == 0.2


# ---------------------------------------------------------------------------- checks are passes

def errors(tmp_path, text: str):
    with pytest.raises(archspec.SpecError) as info:
        build(tmp_path, text)
    return [(d.location.line, d.location.col, d.message) for d in info.value.diagnostics]


def test_an_unused_block_is_checked(tmp_path):
    found = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        blocks:
          unused:
            params: {width: int}
            body:
              - conv: {out: widht, kernel: 3}
              - $branch
              - linear: "10 if big == 1 else 5"
        network:
          - identity
        """)
    assert [f[:2] for f in found] == [(7, 21), (8, 9), (9, 17)]
    assert "unknown parameter 'widht'" in found[0][2]
    assert "'$branch' does not name a parameter of type block" in found[1][2]
    assert "unknown parameter 'big'" in found[2][2]


def test_every_mistake_of_every_block_is_reported_at_once(tmp_path):
    found = errors(tmp_path, """\
        name: a
        params: {w: 8}
        input: [3, 8, 8]
        blocks:
          one:
            body:
              - conv: {out: 8, kernel: 3, strid: 2, act: rleu}
              - {relu: null, first: {fn: gelu}}
          two:
            params: {k: int}
            body:
              - maxpol
              - one: {k: 1}
              - dropout: 1.5
              - {identity: null, repeat: 0}
              - two
        network:
          - one
          - conv: 3x3 8 16
        """)
    lines = [f[0] for f in found]
    assert lines == sorted(lines) and len(found) == 10
    messages = "\n".join(f[2] for f in found)
    for fragment in ("unknown key 'strid'", "unknown activation 'rleu'", "first/last apply to repeated items only",
                     "unknown op or block 'maxpol'", "unknown parameter 'k'", "less than 1",
                     "repeat must be a whole number", "block 'two' needs parameter 'k'",
                     "block 'two' uses itself (two -> two)",
                     "cannot read '16' in '3x3 8 16'"):
        assert fragment in messages, fragment


def test_names_taken_twice_and_bad_param_items_are_found_in_unused_blocks(tmp_path):
    found = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        blocks:
          unused:
            params: {inner: block}
            body:
              - {conv: 1x1 8, name: proj}
              - {relu: null, name: proj}
              - $inner: 3
        network:
          - identity
        """)
    assert [f[:2] for f in found] == [(8, 28), (9, 17)]
    assert "the name 'proj' is used twice in this scope" in found[0][2]
    assert "'$inner' takes a mapping of extra parameters, got 3" in found[1][2]


def test_value_errors_wait_for_expansion_and_name_the_block_use(tmp_path):
    # Checking sees only names: `width - 8` is fine until a use gives width=8.
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent("""\
        name: a
        input: [3, 8, 8]
        blocks:
          unit:
            params: {width: int}
            body: [conv: {out: width - 8, kernel: 1}]
        network:
          - unit: {width: 16}
          - unit: {width: 8}
        """), encoding="utf-8")
    spec = archspec.load_spec(path)  # no error: the tree is well-formed
    with pytest.raises(archspec.SpecError) as info:
        archspec.lower(spec)
    (d,) = info.value.diagnostics
    assert (d.location.line, d.location.col) == (6, 24) and "greater than 0" in d.message
    assert d.context[0].startswith("in block 'unit' used at") and d.context[0].endswith("with width=8")


def test_expansion_has_one_mode():
    import inspect

    import archspec.language.values
    from archspec.expand.expander import Expander
    assert "check" not in inspect.signature(Expander).parameters
    assert not hasattr(archspec.language.values, "is_placeholder")


def test_a_name_taken_by_a_composite_part_is_found_in_an_unused_block(tmp_path):
    found = errors(tmp_path, """\
        name: a
        input: [3, 8, 8]
        blocks:
          unused:
            body:
              - concat: [relu, relu]
              - {relu: null, name: concat}
              - residual: {body: [relu], shortcut: identity}
              - {relu: null, name: add}
        network:
          - identity
        """)
    assert [f[:2] for f in found] == [(7, 28), (9, 28)]
    assert all("is used twice in this scope" in f[2] for f in found)
