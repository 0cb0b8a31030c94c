"""The layer summary: rows collapsed to a depth of the name hierarchy, counts that add up, the CLI table."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

import archspec
from archspec.cli.app import app
from archspec.analysis.report import CONVENTION, stage_rows, totals
from archspec.analysis.summary import summary_rows, summary_totals

from ..conftest import ROOT

V4 = ROOT / "specs" / "inception_v4.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def v4():
    return archspec.compile_spec(V4)[1]


def test_depth_one_rows_are_the_stages(v4):
    rows = summary_rows(v4, depth=1)
    assert [r.name for r in rows] == ["input"] + [s.name for s in stage_rows(v4)]
    assert {r.name: r.kind for r in rows}["inception_b"] == "inception_b x7"
    assert all(r.depth == 1 and r.leaf for r in rows)


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 10])
def test_leaf_rows_add_up_to_the_totals(v4, depth):
    rows = summary_rows(v4, depth)
    assert max(r.depth for r in rows) == min(depth, max(len(n.split(".")) for n in v4.nodes))
    leaves = [r for r in rows if r.leaf]
    assert (sum(r.params for r in leaves), sum(r.macs for r in leaves)) == totals(v4)
    assert sum(r.ops for r in leaves) == v4.number_of_nodes()


def test_depth_two_opens_repeat_groups_and_blocks(v4):
    rows = {r.name: r for r in summary_rows(v4, depth=2)}
    assert not rows["inception_a"].leaf and rows["inception_a.3"].leaf
    assert rows["inception_a.0"].kind == "inception_a" and rows["inception_a.0"].output == (384, 35, 35)
    assert rows["stem.conv1"].kind == "conv (3x3 conv, 32, /2 V)"
    assert rows["inception_a"].params == 4 * rows["inception_a.0"].params
    assert rows["head.fc"].kind == "linear (Linear, 1000)"
    assert "stem.conv1.conv" not in rows


def test_full_depth_has_one_row_per_op(v4):
    rows = summary_rows(v4, depth=99)
    assert {r.name for r in rows if r.leaf} == set(v4.nodes)


def test_auxiliary_rows_are_marked_training_only():
    _, graph = archspec.compile_spec(ROOT / "specs" / "inception_v3.yaml", {"aux": True})
    rows = {r.name: r for r in summary_rows(graph, 1)}
    assert rows["aux_logits"].train_only and not rows["mixed_7a"].train_only
    info = summary_totals(graph)
    assert info["macs_train"] - info["macs"] == rows["aux_logits"].macs


def test_bad_depth_is_refused(v4):
    with pytest.raises(ValueError):
        summary_rows(v4, 0)
    assert runner.invoke(app, ["summary", str(V4), "--depth", "0"]).exit_code == 2


def test_summary_command_prints_rows_totals_and_convention():
    result = runner.invoke(app, ["summary", str(V4), "--depth", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "inception_b x7" in out and "% MACs" in out and "384x35x35" in out
    assert "params: 42,679,816" in out and "MACs: 12,253,974,624" in out and "FLOPs = 2 x MACs: 24,507,949,248" in out
    assert " ".join(CONVENTION.split()[:8]) in " ".join(out.split())


def test_summary_command_takes_overrides():
    result = runner.invoke(app, ["summary", str(ROOT / "specs" / "wrn.yaml"), "-d", "1", "--set", "depth=16",
                                 "--set", "k=2"])
    assert result.exit_code == 0, result.output
    assert "B x2" in result.output and "128x8x8" in result.output



def test_a_drop_path_schedule_does_not_split_block_types(write_spec):
    """Blocks that differ only in their drop-path rate are one block type (drawn once, used three times)."""
    from archspec.analysis.structure import block_types

    path = write_spec("""
name: scheduled
input: [4, 4, 4]
blocks:
  b:
    params: {p: float}
    body:
      - conv: {out: 4, kernel: 1}
      - drop_path: p
network:
  - for: {each: i, in: 3, do: [b: {p: 0.1 * (i + 1)}]}
""")
    types = block_types(archspec.compile_spec(path)[1])
    assert [(t.key, len(t.uses)) for t in types] == [("b", 3)]
