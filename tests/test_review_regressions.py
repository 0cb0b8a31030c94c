"""Regressions for problems found in review: each was a traceback, a silent wrong result or a wrong
location before it was fixed."""
from __future__ import annotations

import textwrap

import pytest

import archspec
from archspec import SpecError
from archspec.pipeline import load_spec


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def messages(fn):
    with pytest.raises(SpecError) as err:
        fn()
    return err.value.diagnostics


BASE = "name: b\nparams: {k: 3}\ninput: [3, 8, 8]\nnetwork: [relu]\n"


def test_extends_with_params_of_the_wrong_type_is_an_error_not_a_crash(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    spec = write(tmp_path, "x.yaml", "extends: base.yaml\nparams: [1]\n")
    (d,) = messages(lambda: load_spec(spec))
    assert d.path[0] == "params"


def test_extends_of_itself_is_named(tmp_path):
    spec = write(tmp_path, "x.yaml", "extends: x.yaml\nname: x\n")
    (d,) = messages(lambda: load_spec(spec))
    assert "extends itself" in d.message and d.location.line == 1


def test_overflowing_and_huge_numbers_are_refused(tmp_path):
    overflow = write(tmp_path, "x.yaml", """\
        name: t
        params: {s: 1000000.0}
        input: [3, 8, 8]
        network: [scale: {factor: "s ** 60"}]
        """)
    (d,) = messages(lambda: archspec.stats(overflow))
    assert d.path == ("network", 0, "scale", "factor") and "out of range" in d.message
    huge = write(tmp_path, "y.yaml", "name: t\ninput: [3, 8, 8]\nnetwork: [conv: {out: 100000000000000000000, kernel: 1}]\n")
    (d,) = messages(lambda: load_spec(huge))
    assert d.path == ("network", 0, "conv", "out") and "out of range" in d.message


def test_true_is_not_a_channel_count(tmp_path):
    spec = write(tmp_path, "x.yaml", "name: t\ninput: [3, 8, 8]\nnetwork: [conv: 3x3 true]\n")
    (d,) = messages(lambda: load_spec(spec))
    assert "expected a number" in d.message


def test_sweeps_re_evaluate_defaults_that_are_expressions(tmp_path):
    spec = write(tmp_path, "x.yaml", """\
        name: t
        params: {a: 2, b: {type: int, default: "a * 2"}}
        input: [3, 8, 8]
        network: [conv: {out: b, kernel: 1}]
        """)
    loaded = load_spec(spec)
    assert archspec.compile_spec(loaded, {"a": 5})[0].params == {"a": 5, "b": 10}
    assert archspec.stats(loaded, {"a": 5})["output"] == [10, 8, 8]


def test_a_library_imported_twice_defines_its_blocks_once(tmp_path):
    write(tmp_path, "c.yaml", "blocks: {qc: {body: [relu]}}\n")
    write(tmp_path, "a.yaml", "imports: [c.yaml]\n")
    write(tmp_path, "b.yaml", "imports: [c.yaml]\n")
    spec = write(tmp_path, "x.yaml", "name: t\nimports: [a.yaml, b.yaml, ./c.yaml]\ninput: [3, 8, 8]\nnetwork: [qc]\n")
    assert archspec.stats(spec)["output"] == [3, 8, 8]


def test_mul_does_not_broadcast_across_the_batch(tmp_path):
    spec = write(tmp_path, "x.yaml", "name: t\ninput: [8, 8, 8]\nnetwork: [mul: [identity, global_avgpool]]\n")
    (d,) = messages(lambda: archspec.stats(spec))
    assert "same rank" in d.message


def test_an_explicit_name_and_a_block_use_never_share_a_scope(tmp_path):
    spec = write(tmp_path, "x.yaml", """\
        name: t
        input: [3, 8, 8]
        blocks: {leaf: {body: [conv: 1x1 4]}}
        network:
          - {conv: 1x1 3, name: leaf}
          - leaf
        """)
    _, graph = archspec.compile_spec(spec)
    assert "leaf.conv" in graph and "leaf_2.conv.conv" in graph


def test_when_false_drops_a_branch_and_an_empty_aux_head(tmp_path):
    spec = write(tmp_path, "x.yaml", """\
        name: t
        input: [3, 8, 8]
        network:
          - concat: [{relu, when: false}, relu, sigmoid]
          - aux: {body: [{relu, when: false}]}
        """)
    _, graph = archspec.compile_spec(spec)
    assert len(graph.nodes["concat"]["inputs"]) == 2  # the first concat adds no level (naming rule 4)
    assert graph.graph["outputs"] == ["concat"]


def test_a_bad_parameter_default_is_located_at_its_declaration(tmp_path):
    spec = write(tmp_path, "x.yaml", """\
        name: t
        params:
          a: 1
          k: {type: int, default: zz}
        input: [3, 8, 8]
        network: [relu]
        """)
    (d,) = messages(lambda: load_spec(spec))
    assert d.location.line == 4 and "unknown name 'zz'" in d.message


def test_spec_parameters_cannot_shadow_built_in_names(tmp_path):
    spec = write(tmp_path, "x.yaml", "name: t\nparams: {in_ch: 5}\ninput: [3, 8, 8]\nnetwork: [relu]\n")
    (d,) = messages(lambda: load_spec(spec))
    assert "reserved" in d.message and d.location.line == 2


def test_main_argument_expressions_may_contain_spaces(tmp_path):
    spec = write(tmp_path, "x.yaml", """\
        name: t
        params: {classes: 9}
        input: [3, 8, 8]
        network: [global_avgpool, dropout: 0.5 / 2, linear: classes + 1]
        """)
    assert archspec.stats(spec)["output"] == [10]


def test_first_without_repeat_is_reported(tmp_path):
    spec = write(tmp_path, "x.yaml", "name: t\ninput: [3, 8, 8]\nnetwork:\n  - conv: 3x3 8\n    first: {out: 4}\n")
    (d,) = messages(lambda: load_spec(spec))
    assert "repeated items only" in d.message and d.path == ("network", 0, "first")


def test_same_padding_on_an_even_pool_kernel_is_refused(tmp_path):
    spec = write(tmp_path, "x.yaml", "name: t\ninput: [3, 8, 8]\nnetwork: [maxpool: 4x4 /1 same]\n")
    (d,) = messages(lambda: load_spec(spec))
    assert "odd kernel" in d.message


def test_block_references_spell_their_arguments_out(tmp_path):
    spec = write(tmp_path, "x.yaml", """\
        name: t
        params: {b: {type: block, default: "blk(**x)"}}
        input: [3, 8, 8]
        blocks: {blk: {params: {k: 1}, body: [relu]}}
        network: [$b]
        """)
    (d,) = messages(lambda: load_spec(spec))
    assert "no * or **" in d.message


def test_a_check_must_be_a_condition(tmp_path):
    spec = write(tmp_path, "x.yaml", """\
        name: t
        params: {k: 3}
        checks: [{that: k + 1, message: never shown}]
        input: [3, 8, 8]
        network: [relu]
        """)
    (d,) = messages(lambda: archspec.stats(spec))
    assert "must be a condition" in d.message and d.location.line == 3


def test_top_level_checks_and_input_cannot_read_in_ch(tmp_path):
    spec = write(tmp_path, "x.yaml", "name: t\ninput: [in_ch, 8, 8]\nnetwork: [relu]\n")
    (d,) = messages(lambda: load_spec(spec))
    assert "unknown parameter 'in_ch'" in d.message and d.path == ("input", 0)
