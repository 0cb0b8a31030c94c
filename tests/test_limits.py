"""The limits: one class, documented in full, configurable from the API and the command line."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archspec
from archspec import limits
from archspec.cli.app import app

DOCS = Path(__file__).resolve().parent.parent / "docs" / "spec-language.md"
SMALL = "name: tiny\ninput: [3, 8, 8]\nnetwork:\n  - conv: 3x3 8\n  - conv: 3x3 8\n  - conv: 3x3 8\n"


def _section() -> str:
    text = DOCS.read_text()
    start = text.index("## Safety limits")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_docs_table_lists_every_limit_with_its_default():
    rows = dict(re.findall(r"^\| `(\w+)` \| ([\w, ]+) \|", _section(), re.M))
    assert rows == {f.name: f"{f.default:,}" if f.default is not None else "available memory"
                    for f in dataclasses.fields(archspec.Limits)}


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(SMALL)
    return path


def test_api_limit_is_enforced_and_named(small):
    assert archspec.stats(small)["params"] > 0
    with pytest.raises(archspec.SpecError, match=r"more than 4 ops \(limit ops\)"):
        archspec.stats(small, limits={"ops": 4})
    with limits.using({"ops": 4}):
        with pytest.raises(archspec.SpecError, match="limit ops"):
            archspec.compile_spec(small)
    assert limits.current() == limits.DEFAULT  # restored after the block
    archspec.compile_spec(small)


def test_unknown_or_bad_limit_is_refused():
    with pytest.raises(ValueError, match="unknown limit 'opz'"):
        limits.resolve({"opz": 3})
    with pytest.raises(ValueError, match="whole number"):
        limits.resolve({"ops": 0})
    with pytest.raises(ValueError, match=r"from 1 to 2\*\*63, got an int of 1329 bits"):
        limits.resolve({"number": 10**400})
    with pytest.raises(TypeError):
        limits.resolve(5)


@pytest.fixture
def restore_limits():
    yield
    limits.set_default(limits.DEFAULT)  # the CLI's --limit changes them for the rest of the process


def test_cli_limit_option(small, restore_limits):
    runner = CliRunner()
    result = runner.invoke(app, ["--limit", "ops=4", "stats", str(small)])
    assert result.exit_code == 1 and "limit ops" in result.output
    for bad in ("ops", "opz=3", "ops=1e999", "ops=nan", "ops=0", "ops=2.5"):
        result = runner.invoke(app, ["--limit", bad, "stats", str(small)])
        assert result.exit_code == 2, (bad, result.output)
        assert "Traceback" not in result.output
