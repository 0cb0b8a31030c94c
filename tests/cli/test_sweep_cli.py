"""`archspec sweep`: the table, refused variants, files, exit codes and messages; and what the counting
commands import."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from archspec.cli.app import app

from ..conftest import ROOT

WRN = str(ROOT / "specs" / "wrn.yaml")
runner = CliRunner()


def sweep(*args: str):
    return runner.invoke(app, ["sweep", WRN, *args])


def test_prints_variants_by_cost_with_the_front_and_budgets_marked():
    result = sweep("--grid", "depth=16,28", "--grid", "k=1,10", "--max-params", "10M", "--max-macs", "2G")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("│")]
    assert [line.split("│")[1].strip() + "/" + line.split("│")[2].strip() for line in lines] == \
           ["16/1", "28/1", "16/10", "28/10"]
    assert "36,479,194" in lines[3] and "5,243,328,768" in lines[3] and "over params and MACs" in lines[3]
    assert "*" in lines[0] and "ok" in lines[0]
    assert "4 counted, 1 on the Pareto front, 2 within budget" in result.output


def test_refused_variants_are_listed_with_their_location_and_the_sweep_goes_on():
    result = sweep("--grid", "depth=16,17", "--grid", "k=1")
    assert result.exit_code == 0, result.output
    assert "1 counted" in result.output and "1 refused by the spec:" in result.output
    assert "depth=17 k=1: " in result.output and "wrn.yaml:25:11: checks[0].that: depth 17 does not fit" in result.output


def test_out_writes_csv_and_json_and_json_prints_it(tmp_path):
    result = sweep("--grid", "k=1,2", "--set", "depth=10", "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "o" / "sweep.json").read_text())
    assert data["fixed"] == {"depth": 10} and [r["values"] for r in data["rows"]] == [{"k": 1}, {"k": 2}]
    assert (tmp_path / "o" / "sweep.csv").read_text().splitlines()[0].startswith("k,params,macs")
    printed = json.loads(sweep("--grid", "k=1,2", "--set", "depth=10", "--json").output)
    assert printed["rows"] == data["rows"]


def test_plot_writes_the_file(tmp_path):
    pytest.importorskip("matplotlib")
    result = sweep("--grid", "k=1,2", "--set", "depth=10", "--plot", str(tmp_path / "p.svg"))
    assert result.exit_code == 0, result.output
    assert b"<svg" in (tmp_path / "p.svg").read_bytes()[:2000]


def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch, tmp_path):
    import archspec.sweeps.plot
    monkeypatch.setattr(archspec.sweeps.plot, "available", lambda: False)
    result = sweep("--grid", "k=1,2", "--plot", str(tmp_path / "p.png"))
    assert result.exit_code == 2 and "pip install 'archspec[plot]'" in result.output
    assert not (tmp_path / "p.png").exists()


@pytest.mark.parametrize("args, says", [
    (["--grid", "dept=16"], "unknown parameter 'dept'"),
    (["--grid", "k=abc"], "parameter 'k' must be int, got 'abc' (from --grid k=...)"),
    (["--grid", "k=1,,2"], "an empty value"),
    (["--grid", "k"], "expected NAME=V1,V2"),
    (["--grid", "k=1", "--set", "k=2"], "both swept and fixed"),
    (["--grid", "k=1", "--max-params", "10X"], "--max-params must be a number such as 10M"),
    (["--grid", "k=1", "--max-macs", "1e999"], "--max-macs must be a finite number >= 0"),
    (["--grid", "k=1", "--plot", "p.pdf"], "give a file name ending in .png or .svg"),
    (["--grid", "k=1", "--jobs", "0"], "--jobs"),
    ([], "Missing option '--grid'"),
])
def test_command_line_mistakes_exit_2_naming_the_option(args, says):
    result = sweep(*args)
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output


def test_unknown_parameter_suggests_the_right_one():
    result = sweep("--grid", "dept=16")
    assert "did you mean 'depth'" in result.output and "from --grid dept=..." in result.output


def test_a_spec_mistake_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("archspec: 1\nname: bad\ninput: [3, 8, 8]\nnetwork: [{conv: 3x3 8 foo=1}]\n")
    result = runner.invoke(app, ["sweep", str(bad), "--grid", "x=1"])
    assert result.exit_code == 1, result.output


@pytest.mark.parametrize("command", [["stats", "specs/inception_v4.yaml"],
                                     ["sweep", "specs/wrn.yaml", "--grid", "k=1,2", "--set", "depth=10"]])
def test_counting_commands_import_neither_torch_nor_matplotlib(command):
    code = ("import runpy, sys\nsys.argv = ['archspec'] + sys.argv[1:]\ntry:\n"
            "    runpy.run_module('archspec', run_name='__main__')\nexcept SystemExit as exc:\n"
            "    assert not exc.code, exc.code\n"
            "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code, *command], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_ctrl_c_exits_130_and_writes_nothing(monkeypatch, tmp_path):
    import archspec.sweeps

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(archspec.sweeps, "sweep", interrupted)
    result = sweep("--grid", "k=1,2", "--out", str(tmp_path / "o"))
    assert result.exit_code == 130 and "interrupted" in result.output
    assert not (tmp_path / "o" / "sweep.csv").exists()
