"""Shared fixtures: every spec in specs/ is a test parameter, so new specs are covered automatically.
The whole suite runs with ARCHSPEC_DEBUG=1: every compile lints the IR after each pass."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("ARCHSPEC_DEBUG", "1")  # ARCHSPEC_DEBUG=0 pytest ... to time the suite without it

SPECS = sorted((ROOT / "specs").glob("*.yaml"))


def pytest_generate_tests(metafunc):
    if "spec_path" in metafunc.fixturenames:
        metafunc.parametrize("spec_path", SPECS, ids=[p.stem for p in SPECS])


@pytest.fixture
def write_spec(tmp_path):
    """Write YAML text to a file in tmp_path and return its path."""
    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return write
