"""The command line through typer's CliRunner: exit codes, output and artifacts."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from archspec.cli.app import app

from ..conftest import ROOT

V4 = str(ROOT / "specs" / "inception_v4.yaml")
runner = CliRunner()


def test_build_prints_summary_and_writes_artifacts(tmp_path):
    result = runner.invoke(app, ["build", V4, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "42,679,816" in result.output and "12,253,974,624" in result.output
    assert "FLOPs = 2 x MACs" in result.output and "inception_b x7" in result.output
    assert "compiled the PyTorch module (42,679,816 parameters" in result.output
    summary = json.loads((tmp_path / "inception_v4" / "summary.json").read_text())
    assert summary["params"] == 42_679_816
    ir = json.loads((tmp_path / "inception_v4" / "ir.json").read_text())
    assert ir["format"] == "archspec-ir/1" and len(ir["nodes"]) == summary["nodes"]
    assert (tmp_path / "inception_v4" / "ir.txt").read_text().startswith("graph inception_v4")


def test_stats_json_is_one_object_with_the_required_keys():
    result = runner.invoke(app, ["stats", V4, "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["name"] == "inception_v4" and data["input"] == [3, 299, 299] and data["output"] == [1000]
    assert data["params"] == 42_679_816 and data["macs"] == 12_253_974_624
    assert data["flops"] == 2 * data["macs"]


def test_set_overrides_parameters():
    result = runner.invoke(app, ["stats", V4, "--json", "--set", "classes=10", "--set", "size=320"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["output"] == [10] and data["input"] == [3, 320, 320]


def test_validate_ok():
    result = runner.invoke(app, ["validate", V4])
    assert result.exit_code == 0 and "ok" in result.output


def test_unknown_override_is_a_usage_error_with_a_suggestion():
    result = runner.invoke(app, ["validate", V4, "--set", "clases=10"])
    assert result.exit_code == 2
    assert "unknown parameter 'clases'" in result.output and "did you mean 'classes'" in result.output


def test_malformed_set_is_a_usage_error():
    assert runner.invoke(app, ["stats", V4, "--set", "classes"]).exit_code == 2


def test_missing_file_is_a_usage_error():
    result = runner.invoke(app, ["validate", "no/such/spec.yaml"])
    assert result.exit_code == 2 and "does not exist" in result.output and "Traceback" not in result.output


def test_unknown_command_is_a_usage_error():
    assert runner.invoke(app, ["frobnicate"]).exit_code == 2


def test_help_explains_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("build", "validate", "stats", "ir"):
        assert command in result.output


def test_ir_text_lists_every_node():
    result = runner.invoke(app, ["ir", V4])
    assert result.exit_code == 0
    assert "%stem.conv1.conv = conv2d(input)" in result.output
