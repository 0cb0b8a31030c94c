"""Mistakes with ids and references are located errors that say what to write instead."""
from __future__ import annotations

import pytest

from .test_errors import errors, where

HEAD = """\
name: refs
input: [4, 8, 8]
defaults:
  conv: {padding: same}
blocks:
  two:
    outputs: [a, b]
    body:
      - {conv: 1x1 4, id: a}
      - {conv: 1x1 4, id: b}
  fuse:
    inputs: [p, q]
    body:
      - {add, from: [p, q]}
network:
"""


def only(tmp_path, network: str, tail: str = ""):
    found = errors(tmp_path, HEAD + network + tail)
    assert len(found) == 1, [str(d) for d in found]
    return found[0]


@pytest.mark.parametrize("network, line, col, path, words", [
    ("  - {conv: 1x1 4, id: c3}\n  - {conv: 1x1 4, from: c33}\n", 17, 25, "network[1].from",
     ["unknown id 'c33'", "did you mean 'c3'"]),
    ("  - {conv: 1x1 4, from: later}\n  - {conv: 1x1 4, id: later}\n", 16, 25, "network[0].from",
     ["given by an item after this one", "only read what comes before"]),
    ("  - {conv: 1x1 4, id: c}\n  - {conv: 1x1 4, from: c.0}\n", 17, 25, "network[1].from",
     ["gives one tensor", "read it as `c`"]),
    ("  - {split: 2, id: s}\n  - {conv: 1x1 4, from: s, id: x}\n  - {conv: 1x1 4, from: s.1, id: y}\n  - {concat, from: [x, y]}\n",
     17, 25, "network[1].from", ["gives several tensors (0, 1)", "`s.0`"]),
    ("  - {two, id: t}\n  - {conv: 1x1 4, from: t.c}\n  - {conv: 1x1 4, from: t.a}\n", 17, 25, "network[1].from",
     ["no part 'c'", "its parts are a, b"]),
    ("  - {conv: 1x1 4, id: a}\n  - {conv: 1x1 4, from: [a, input]}\n", 17, 25, "network[1].from",
     ["'conv' reads one tensor, `from:` gives 2"]),
    ("  - {conv: 1x1 4, id: a}\n  - {fuse, from: [a, a, input]}\n", 17, 18, "network[1].from",
     ["block 'fuse' takes 2 tensors, `from:` gives 3"]),
    ("  - {conv: 1x1 4, id: a}\n  - {conv: 1x1 4, id: a}\n", 17, 23, "network[1].id",
     ["the id 'a' is given twice"]),
    ("  - {conv: 1x1 4, id: input}\n", 16, 23, "network[0].id", ["invalid id 'input'", "reserved"]),
    ("  - {conv: 1x1 4, from: 'a b'}\n", 16, 25, "network[0].from", ["cannot read the reference 'a b'"]),
    ("  - {conv: 1x1 4, id: a}\n  - {conv: 1x1 4, from: a*}\n", 17, 25, "network[1].from",
     ["'a*' gives a list", "`from: [a*]`"]),
])
def test_reference_mistakes_are_located(tmp_path, network, line, col, path, words):
    d = only(tmp_path, network)
    assert where(d) == (line, col, path), str(d)
    for w in words:
        assert w in str(d), str(d)


def test_a_block_cannot_see_its_callers_ids(tmp_path):
    text = HEAD.replace("      - {add, from: [p, q]}\n", "      - {add, from: [p, outer]}\n")
    found = errors(tmp_path, text + "  - {conv: 1x1 4, id: outer}\n  - {fuse, from: [outer, outer]}\n")
    assert [(where(d), "unknown id 'outer'" in str(d)) for d in found] == [((14, 25, "blocks.fuse.body[0].from[1]"), True)]


def test_unknown_outputs_suggest_the_id(tmp_path):
    d = only(tmp_path, "  - {conv: 1x1 4, id: level3}\n", "outputs: [level_3]\n")
    assert where(d) == (17, 11, "outputs[0]") and "did you mean 'level3'" in str(d)


def test_an_id_skipped_by_when_is_reported_where_it_is_read(tmp_path):
    d = only(tmp_path, "  - {conv: 1x1 4, id: a, when: false}\n  - {conv: 1x1 4, from: a}\n")
    assert where(d) == (17, 25, "network[1].from") and "skipped" in str(d)


def test_the_item_after_several_tensors_must_say_which(tmp_path):
    d = only(tmp_path, "  - {two}\n  - {conv: 1x1 4}\n")
    assert where(d) == (17, 5, "network[1]")
    assert "gives 2 tensors (a, b)" in str(d) and "`from:`" in str(d)


def test_a_dead_end_is_reported_at_its_item(tmp_path):
    d = only(tmp_path, "  - {conv: 1x1 4, id: unused}\n  - {conv: 1x1 4, from: input}\n")
    assert where(d) == (16, 12, "network[0].conv")
    assert "reaches none of the network's outputs" in str(d)


def test_split_sizes_must_add_up(tmp_path):
    d = only(tmp_path, "  - {split: [1, 2], id: s}\n  - {concat, from: [s.1, s.0]}\n")
    assert where(d) == (16, 13, "network[0].split") and "add up to 3 channels, the input has 4" in str(d)


@pytest.mark.parametrize("network, words", [
    ("  - {conv: 1x1 4, name: training}\n", ["'training' is an attribute every PyTorch module", "another `name:`"]),
    ("  - {conv: 1x1 4, id: forward}\n", ["'forward' is an attribute", "a `name:` (or another id)"]),
    ("  - {conv: 1x1 4, name: head}\n", ["'head' at the top level is the name of the `head:` section"]),
    ("  - {concat, from: [input, l*], id: l, repeat: 3}\n", ["cannot be repeated", "`for`"]),
    ("  - {concat, from: [input*]}\n", ["'input*': an input is one tensor", "write `input`"]),
])
def test_names_the_model_cannot_hold_and_repeats_of_from_merges(tmp_path, network, words):
    d = only(tmp_path, network)
    assert d.location.line == 16
    for w in words:
        assert w in str(d), str(d)


def test_a_huge_split_with_unused_parts_is_one_message_quickly(tmp_path):
    import time

    start = time.perf_counter()
    found = errors(tmp_path, "name: s\ninput: [8192, 1, 1]\nnetwork: [{split: 8192, id: s}, {identity, from: s.0}]\n")
    assert time.perf_counter() - start < 20  # was quadratic: 16 s for 8,192 parts on a quiet machine
    assert len(found) == 1 and "s.1, s.2, s.3, ...: 8,191 tensors" in str(found[0])


def test_outputs_parts_are_checked(tmp_path):
    found = errors(tmp_path, HEAD + "  - {two, id: t}\n  - {add, from: [t.a, t.b], id: c}\n"
                   "outputs: [c.0, t.z, t]\n")
    text = [str(d) for d in found]
    assert len(text) == 3, text
    assert "'c' gives one tensor and has no part '0'" in text[0]
    assert "'t' has no part 'z'; its parts are a, b" in text[1]
    assert "'t' gives several tensors (a, b)" in text[2]


def test_aux_takes_no_from_or_id(tmp_path):
    d = only(tmp_path, "  - {conv: 1x1 4, id: a}\n  - {conv: 1x1 4}\n"
                       "  - {aux: {body: [global_avgpool, {linear: 3}]}, from: a}\n")
    assert where(d)[2] == "network[2].from" and "takes no `from:` or `id:`" in str(d)


def test_a_param_block_of_several_outputs_listed_as_one_output(tmp_path):
    text = HEAD.replace("network:\n", """  wrap:
    params: {b: block}
    outputs: [n, z]
    body: [{conv: 1x1 4, id: z}, {$b, id: n}]
network:
""")
    found = errors(tmp_path, text + "  - {wrap: {b: two}, id: w}\noutputs: [w.n, w.z]\n")
    assert len(found) == 1 and "'n' gives several tensors (a, b); list one id per tensor" in str(found[0])
