"""archspec diff: parameter values, blocks and stages that changed between two specs, with count deltas."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

import archspec
from archspec.cli.app import app
from archspec.analysis.diff import diff_specs

from ..conftest import ROOT

SPECS = ROOT / "specs"
IRV2, IRV2_SMALL = SPECS / "inception_resnet_v2.yaml", SPECS / "inception_resnet_v2_5_10_5.yaml"
WRN = SPECS / "wrn.yaml"
runner = CliRunner()


def diff(a, b, set_a=None, set_b=None):
    return diff_specs(*archspec.compile_spec(a, set_a), *archspec.compile_spec(b, set_b))


@pytest.fixture(scope="module")
def irv2():
    return diff(IRV2, IRV2_SMALL)


def test_repeat_counts_and_deltas_between_irv2_and_its_5_10_5_variant(irv2):
    stages = {s.name: s for s in irv2.stages}
    assert stages["block35"].status == "changed" and "repeats 10 -> 5" in stages["block35"].changes
    assert (stages["block35"].a.count, stages["block35"].b.count) == (10, 5)
    assert "repeats 20 -> 10" in stages["block17"].changes and "repeats 9 -> 4" in stages["block8"].changes
    assert stages["stem"].status == "same" and stages["block8_last"].status == "same"
    a, b = archspec.stats(IRV2), archspec.stats(IRV2_SMALL)
    assert irv2.params == (a["params"], b["params"]) and irv2.macs == (a["macs"], b["macs"])
    assert sum(s.params_delta for s in irv2.stages) == b["params"] - a["params"] == -22_060_800
    assert sum(s.macs_delta for s in irv2.stages) == b["macs"] - a["macs"]
    assert stages["block35"].params_delta == -5 * a["blocks"]["block35"]["params"]


def test_blocks_and_values_between_irv2_and_its_variant(irv2):
    blocks = {b.name: b for b in irv2.blocks}
    assert blocks["block35"].status == "uses changed" and blocks["block35"].uses == (10, 5)
    assert blocks["block8"].uses == (10, 5) and blocks["block8"].changes == ["uses 10 -> 5"]
    assert blocks["stem"].status == "same" and blocks["ir_a_branches"].status == "same"
    assert ("blocks_35", 10, 5) in irv2.values and irv2.changed


def test_same_spec_with_other_parameters():
    result = diff(WRN, WRN, set_b={"k": 4, "depth": 16})
    stages = {s.name: s for s in result.stages}
    assert "output 160x32x32 -> 64x32x32" in stages["stage1"].changes and "repeats 4 -> 2" in stages["stage1"].changes
    assert stages["conv1"].status == "same" and stages["head"].status == "changed"
    block = next(b for b in result.blocks if b.name == "B")
    assert block.status == "uses changed" and block.uses == (12, 6)
    assert any("built like no use in A" in c for c in block.changes)
    assert {v[0] for v in result.values} == {"k", "depth"}


def test_added_and_removed_blocks_and_stages():
    result = diff(SPECS / "inception_v4.yaml", IRV2)
    status = {b.name: b.status for b in result.blocks}
    assert status["inception_a"] == "removed" and status["block35"] == "added"
    assert status["reduction_a"] == "uses changed" and status["stem"] == "definition changed"
    stages = {s.name: s.status for s in result.stages}
    assert stages["inception_b"] == "removed" and stages["block17"] == "added" and stages["head"] == "same"
    assert sum(s.params_delta for s in result.stages) == result.params[1] - result.params[0]


def test_identical_specs_have_no_differences():
    result = diff(SPECS / "inception_v4.yaml", SPECS / "inception_v4.yaml")
    assert not result.changed and all(s.params_delta == 0 for s in result.stages)
    out = runner.invoke(app, ["diff", str(SPECS / "inception_v4.yaml")]).output
    assert "no differences" in out


def test_diff_command_prints_the_tables_and_totals():
    result = runner.invoke(app, ["diff", str(IRV2), str(IRV2_SMALL)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "block35 x10 -> block35 x5" in out and "-22,060,800" in out and "blocks_35" in out
    assert "params: 55,843,464 -> 33,782,664" in out and "FLOPs = 2 x MACs" in out


def test_diff_command_set_applies_to_both_and_set_a_b_to_one():
    result = runner.invoke(app, ["diff", str(WRN), "--set", "depth=16", "--set-a", "k=2", "--set-b", "k=4"])
    assert result.exit_code == 0, result.output
    assert "k" in result.output and "32x32x32 -> 64x32x32" in result.output and "depth" not in result.output.split(
        "blocks:")[0]
    bad = runner.invoke(app, ["diff", str(WRN), "--set-b", "depth=17"])
    assert bad.exit_code == 1 and "depth 17" in bad.output


def test_diff_json_is_the_api_data_and_round_trips(tmp_path):
    import json

    result = runner.invoke(app, ["diff", str(WRN), "--set-b", "k=4", "--set", "depth=16", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    api = archspec.diff(WRN, overrides={"depth": 16}, overrides_b={"k": 4})
    assert data == json.loads(json.dumps(api.to_dict())) == api.to_dict()
    assert data["version"] == 1 and data["changed"] is True
    assert data["values"] == [{"name": "k", "a": 10, "b": 4}]
    assert data["params"] == {"a": api.params[0], "b": api.params[1], "delta": api.params[1] - api.params[0]}
    stage = next(s for s in data["stages"] if s["name"] == "stage1")
    assert stage["a"]["output_shape"] == [160, 32, 32] and stage["b"]["output_shape"] == [64, 32, 32]
    assert stage["params_delta"] == stage["b"]["params"] - stage["a"]["params"]
    assert sum(s["params_delta"] for s in data["stages"]) == data["params"]["delta"]


def test_a_parameter_only_one_spec_declares_is_null_in_json(tmp_path):
    path = tmp_path / "extra.yaml"
    path.write_text(WRN.read_text().replace("params:\n", "params:\n  extra: {type: int, default: 3}\n", 1))
    data = archspec.diff(WRN, path).to_dict()
    assert {"name": "extra", "a": None, "b": 3} in data["values"]
    assert "-" in str(archspec.diff(WRN, path).values[0][1])  # the table still shows '-'
    assert runner.invoke(app, ["diff", str(WRN), str(path)]).exit_code == 0
