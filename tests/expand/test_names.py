"""Names: the state_dict keys of every shipped spec are pinned by golden files (so that a rename is
always deliberate: scripts/regen_golden.py rewrites them)."""
from __future__ import annotations

import importlib.util

import pytest

from ..conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
_spec = importlib.util.spec_from_file_location("regen_golden", ROOT / "scripts" / "regen_golden.py")
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)


def test_state_dict_keys_match_golden_file(spec_path):
    assert regen.state_dict_keys(spec_path) == (GOLDEN / f"{spec_path.stem}.state_dict.txt").read_text()


@pytest.mark.parametrize("variant", sorted(regen.STATE_DICT_VARIANTS))
def test_state_dict_keys_of_variants_match_golden_file(variant):
    stem, overrides = regen.STATE_DICT_VARIANTS[variant]
    expected = (GOLDEN / f"{variant}.state_dict.txt").read_text()
    assert regen.state_dict_keys(ROOT / "specs" / f"{stem}.yaml", overrides) == expected


# ---------------------------------------------------------------- the naming rule (archspec/naming.py)
import textwrap  # noqa: E402

import archspec  # noqa: E402
from archspec.errors import SpecError  # noqa: E402

BLOCK_OF_ONE_CONCAT = """\
    name: t
    input: [3, 8, 8]
    defaults: {conv: {padding: same}}
    blocks:
      blk:
        body:
          - concat: [conv: 1x1 4, [conv: 1x1 4, conv: 3x3 4]]
          {extra}
      res:
        body:
          - residual:
              preact: [bn, relu]
              body: [conv: 3x3 16, {dropout: 0.1}, conv: 3x3 16]
              shortcut: auto
          {extra}
    network:
      - {conv: 1x1 8, name: stem}
      - blk
      - conv: 1x1 8
      - res x2
      - for: {each: k, in: [1, 3], do: [conv: {out: 8, kernel: k}, relu]}
      {extra}
    head: [global_avgpool, linear: 10]
"""


def names(tmp_path, text: str) -> list[str]:
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(text))
    _, graph = archspec.compile_spec(path)
    return list(graph.nodes)


def test_appending_an_item_anywhere_never_renames_an_existing_one(tmp_path):
    before = names(tmp_path, BLOCK_OF_ONE_CONCAT.replace("{extra}", ""))
    for extra in ("- relu", "- conv: 1x1 8", "- {concat: [relu, sigmoid]}", "- {add: [relu, sigmoid]}"):
        after = names(tmp_path, BLOCK_OF_ONE_CONCAT.replace("{extra}", extra))
        assert set(before) <= set(after), (extra, sorted(set(before) - set(after)))
        assert len(after) > len(before)


def test_the_issue_example_a_one_item_block_body_keeps_its_names_when_an_item_is_appended(tmp_path):
    one = names(tmp_path, BLOCK_OF_ONE_CONCAT.replace("{extra}", ""))
    two = names(tmp_path, BLOCK_OF_ONE_CONCAT.replace("{extra}", "- relu"))
    assert "blk.branch0.conv" in one and "blk.branch0.conv" in two  # was renamed blk.0.branch0.conv
    assert "blk.relu" in two


def test_items_take_their_names_from_the_spec(tmp_path):
    graph = names(tmp_path, BLOCK_OF_ONE_CONCAT.replace("{extra}", ""))
    # a concat that is the whole body adds no level; bare lists are numbered like nn.Sequential
    assert {"blk.branch0.conv", "blk.branch1.0.conv", "blk.branch1.1.conv", "blk.concat"} <= set(graph)
    # in other lists an item is named after its op, block or composite; the second of a kind gets _2
    assert {"conv.conv", "stem.conv"} <= set(graph)
    assert {"res.0.preact.bn", "res.0.preact.relu", "res.0.conv.conv", "res.0.dropout", "res.0.conv_2.conv",
            "res.0.shortcut.conv", "res.0.add", "res.1.add"} <= set(graph)
    # a for loop's iterations are numbered; the head is a scope of its own
    assert {"0.conv.conv", "0.relu", "1.conv.conv", "1.relu", "head.global_avgpool", "head.linear"} <= set(graph)


def test_a_second_composite_of_a_kind_is_a_level_of_its_own(tmp_path):
    graph = names(tmp_path, """\
        name: t
        input: [3, 8, 8]
        network:
          - concat: [relu, sigmoid]
          - concat: [relu, sigmoid]
          - {concat: [relu, tanh], name: mix}
    """)
    assert graph == ["input", "branch0", "branch1", "concat", "concat_2.branch0", "concat_2.branch1",
                     "concat_2.concat", "mix.branch0", "mix.branch1", "mix.concat"]


def test_an_explicit_name_taken_in_the_same_scope_is_an_error(tmp_path):
    with pytest.raises(SpecError, match="the name 'conv' is used twice in this scope"):
        names(tmp_path, """\
            name: t
            input: [3, 8, 8]
            network: [conv: 1x1 4, {relu, name: conv}]
        """)


def test_wrn_keys_read_like_the_architecture():
    keys = regen.state_dict_keys(ROOT / "specs" / "wrn.yaml").split()
    assert "stage1.blocks.0.preact.bn.weight" in keys  # the block's pre-activation BN
    assert "stage1.blocks.0.convs.1.conv.conv.weight" in keys  # the second conv of the first block
    assert "stage2.blocks.0.shortcut.conv.weight" in keys and "head.fc.weight" in keys
    _, graph = archspec.compile_spec(ROOT / "specs" / "wrn.yaml")
    assert graph.nodes["stage1.blocks.0.convs.1.dropout"]["op"] == "dropout"  # was stage1.0.1.1
