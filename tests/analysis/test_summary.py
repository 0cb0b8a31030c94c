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


def test_summary_json_is_the_api_data_with_batched_shapes_and_round_trips():
    import json

    result = runner.invoke(app, ["summary", str(V4), "--json", "--batch", "8", "--dtype", "bfloat16", "-d", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    api = archspec.summary(V4, depth=1, batch=8, dtype="bfloat16")
    assert data == json.loads(json.dumps(api.to_dict())) == api.to_dict()
    assert set(data) == {"version", "name", "depth", "batch", "dtype", "input_shape", "output_shape", "output_shapes",
                         "rows", "totals", "memory", "init", "convention"}
    assert data["input_shape"] == [8, 3, 299, 299] and data["output_shape"] == [8, 1000]
    stem = data["rows"][1]
    assert stem["name"] == "stem" and stem["input_shapes"] == [[8, 3, 299, 299]] and stem["output_shape"] == [8, 384, 35, 35]
    assert data["totals"]["params"] == 42_679_816 == data["totals"]["trainable"] and data["memory"]["itemsize"] == 2
    assert data["memory"]["params"] == 2 * 42_679_816


def test_columns_show_input_shapes_and_kernels_in_n_c_h_w():
    result = runner.invoke(app, ["summary", str(V4), "--columns", "input,output,kernel,params,macs", "-b", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "input NxCxHxW" in out and "output NxCxHxW" in out and "kernel HxW" in out and "% MACs" not in out
    assert "N = batch 2" in out and "2x3x299x299" in out and "2x384x35x35" in out
    line = next(l for l in out.splitlines() if " conv1 " in l)
    assert "3x3" in line and "2x3x299x299" in line and "2x32x149x149" in line
    assert "activations, training" in out and "total, inference" in out and "MB" in out


@pytest.mark.parametrize("args, hint", [(["--columns", "output,colour"], "colour"), (["--dtype", "int8"], "int8"),
                                        (["--batch", "0"], "--batch"), (["--columns", ","], "--columns")])
def test_bad_summary_options_are_usage_errors(args, hint):
    result = runner.invoke(app, ["summary", str(V4), *args])
    assert result.exit_code == 2 and hint in result.output and "Traceback" not in result.output


def test_bad_api_arguments_are_refused():
    with pytest.raises(ValueError, match="batch"):
        archspec.summary(V4, batch=0)
    with pytest.raises(ValueError, match="dtype"):
        archspec.summary(V4, dtype="int8")


def test_summary_command_does_not_import_torch():
    import os
    import subprocess
    import sys

    code = ("import sys; from archspec.cli.app import app; sys.argv = ['archspec', 'summary', sys.argv[1], "
            "'--batch', '4', '--json']\ntry:\n    app()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('torch imported' if 'torch' in sys.modules else '')")
    result = subprocess.run([sys.executable, "-c", code, str(V4)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.stderr == "" and '"batch": 4' in result.stdout


def test_an_auxiliary_head_adds_to_training_memory_but_not_to_the_inference_peak():
    v3 = ROOT / "specs" / "inception_v3.yaml"
    plain, aux = archspec.summary(v3, depth=1), archspec.summary(v3, {"aux": True}, depth=1)
    assert aux.memory["activations_inference"] == plain.memory["activations_inference"]  # eval skips the head
    assert aux.memory["activations_training"] > plain.memory["activations_training"]
    assert aux.totals["params"] > plain.totals["params"]


def test_a_network_with_several_outputs_shows_them_all():
    import torch
    fpn = ROOT / "specs" / "fpn_resnet50.yaml"
    model = archspec.build_model(fpn, {"size": 64, "width": 8}, seed=0).eval()
    with torch.no_grad():
        real = [list(t.shape) for t in model(torch.zeros(2, 3, 64, 64))]
    assert len(real) == 5
    s = archspec.summary(fpn, {"size": 64, "width": 8}, depth=1, batch=2)
    assert s.to_dict()["output_shapes"] == real and s.to_dict()["output_shape"] == real[0]
    result = runner.invoke(app, ["summary", str(fpn), "--set", "size=64", "--set", "width=8", "-b", "2", "-d", "1"])
    assert result.exit_code == 0, result.output
    assert "-> outputs 2x8x16x16, 2x8x8x8, 2x8x4x4, 2x8x2x2, 2x8x1x1" in " ".join(result.output.split())
    stats = runner.invoke(app, ["stats", str(fpn), "--set", "size=64", "--set", "width=8"])  # stats' title too
    assert stats.exit_code == 0, stats.output
    assert "-> outputs 8x16x16, 8x8x8, 8x4x4, 8x2x2, 8x1x1" in " ".join(stats.output.split())
