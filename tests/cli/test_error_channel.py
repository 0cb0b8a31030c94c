"""A bug in archspec shows as a bug (traceback, "this is a bug in archspec", the spec location being
compiled, exit code BUG_EXIT); it never reads as a located spec mistake, which stays exit 1."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

import archspec
import archspec.expand.expander
import archspec.language.parse
import archspec.ir.passes.shapes
from archspec.cli.app import app
from archspec.cli.errors import BUG_EXIT
from archspec.errors import InternalError, SpecError, SpecValueError
from archspec.ir.graph import add_node, new_graph

from ..conftest import ROOT

WRN = str(ROOT / "specs" / "wrn.yaml")
runner = CliRunner()


def _failing(original, when, exc):
    def replacement(*args, **kwargs):
        if when(*args):
            raise exc
        return original(*args, **kwargs)
    return replacement


@pytest.mark.parametrize("exc", [ValueError("internal oops"), KeyError("internal oops")])
def test_an_internal_error_while_parsing_is_reported_as_a_bug_with_the_item(monkeypatch, exc):
    # primitive_args judges the user's shorthand; a ValueError from it used to read as a spec error
    monkeypatch.setattr(archspec.language.parse, "primitive_args",
                        _failing(archspec.language.parse.primitive_args, lambda op, raw: op == "dropout", exc))
    result = runner.invoke(app, ["stats", WRN])
    assert result.exit_code == BUG_EXIT, result.output
    assert "Traceback (most recent call last)" in result.output and "internal oops" in result.output
    assert "this is a bug in archspec" in result.output and "`archspec stats` on " in result.output
    # the item the parser was reading: file:line:col and key path
    assert "while compiling archspec/library/preact.yaml:" in result.output.replace(str(ROOT) + "/", "")
    assert "(blocks.B.body[0].residual.body[0].for.do[1])" in result.output
    assert "1 error" not in result.output


def test_an_internal_error_while_building_names_the_item_and_the_block_uses(monkeypatch):
    # a KeyError from shape inference of one node, only when building (only expansion emits nodes)
    monkeypatch.setattr(archspec.expand.expander, "infer_node_shape", _failing(
        archspec.expand.expander.infer_node_shape, lambda graph, name: name.startswith("stage2.blocks.0.add"), KeyError("no shape")))
    result = runner.invoke(app, ["build", WRN, "--out", "/nonexistent-never-written"])
    assert result.exit_code == BUG_EXIT, result.output
    output = result.output.replace(str(ROOT) + "/", "")
    assert "KeyError: 'no shape'" in output and "this is a bug in archspec" in output
    assert "while compiling archspec/library/preact.yaml:22:9 (blocks.B.body[0])" in output
    assert "in block 'stage' used at specs/wrn.yaml:35:5 (network[2])" in output
    assert "in block 'B' used at archspec/library/preact.yaml:44:9 (blocks.stage.body[0])" in output


def test_the_python_api_raises_the_original_exception_with_a_note(monkeypatch):
    exc = ValueError("internal oops")
    monkeypatch.setattr(archspec.language.parse, "primitive_args",
                        _failing(archspec.language.parse.primitive_args, lambda op, raw: op == "dropout", exc))
    with pytest.raises(ValueError) as info:
        archspec.stats(WRN)
    assert info.value is exc and not isinstance(info.value, SpecError)
    assert any("archspec was compiling" in note and "preact.yaml" in note for note in info.value.__notes__)


def test_an_internal_value_error_inside_argument_validation_is_not_a_spec_error(monkeypatch):
    # evaluate_value runs inside pydantic validators, which would report any ValueError as the user's
    import archspec.language.values as values
    original = values.evaluate_value
    monkeypatch.setattr(values, "evaluate_value",
                        lambda v, c, k: (_ for _ in ()).throw(ValueError("oops")) if v == "dropout" else original(v, c, k))
    with pytest.raises(InternalError, match="oops"):
        archspec.stats(WRN)


def test_a_user_mistake_is_still_exit_1_with_a_located_message(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: bad\ninput: [3, 32, 32]\nnetwork:\n  - conv: 3x3 16\n  - linear: 10 + nope\n")
    result = runner.invoke(app, ["stats", str(spec)])
    assert result.exit_code == 1, result.output
    assert f"{spec}:5:13: network[1].linear" in result.output and "unknown parameter 'nope'" in result.output
    assert "Traceback" not in result.output and "bug" not in result.output


def test_user_value_problems_are_their_own_exception_type():
    from archspec.language.expr import ExprError
    from archspec.ops import ShapeError
    assert issubclass(ExprError, SpecValueError) and issubclass(ShapeError, SpecValueError)
    graph = new_graph("g")
    add_node(graph, "x", "input", {"shape": (3, 8, 8)}, [], {}, "")
    with pytest.raises(InternalError, match="duplicate"):
        add_node(graph, "x", "input", {"shape": (3, 8, 8)}, [], {}, "")
    with pytest.raises(InternalError, match="unknown op"):
        add_node(graph, "y", "nope", {}, ["x"], {}, "")


def test_help_documents_the_bug_exit_code():
    result = runner.invoke(app, ["--help"])
    assert f"{BUG_EXIT} a bug in archspec" in result.output


def test_a_reader_that_goes_away_is_not_a_bug():
    # `archspec list --json | head -c 10`: the pipe closes before archspec writes
    import os
    import subprocess
    import sys
    process = subprocess.Popen([sys.executable, "-m", "archspec", "list", "wrn", "--json"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1
    assert "bug in archspec" not in stderr and "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
