"""Traps a new user falls into (issue 9, "no silent traps; errors that teach"): each mistake is named
where it was written, in the spec's words, with what to write instead; and what should work does.

Spec texts are dedented and written to tmp_path as in test_errors.py (line 1 is the line after the
opening quotes; columns are 1-based).
"""
from __future__ import annotations

import archspec

from .test_errors import errors, where, write


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
