"""docs/authoring-blocks.md is executable: its files are written to a temporary folder (never into the
package), its Python runs, and the error it shows is the error archspec prints."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import archspec

from .conftest import ROOT

PAGE = (ROOT / "docs" / "authoring-blocks.md").read_text()
FILES = dict(re.findall(r"<!-- file: (\S+) -->\n```yaml\n(.*?)```", PAGE, re.S))
RUN = re.findall(r"<!-- run -->\n```python\n(.*?)```", PAGE, re.S)
ERROR = re.findall(r"<!-- error -->\n```\n(.*?)```", PAGE, re.S)


@pytest.fixture
def my_nets(tmp_path):
    folder = tmp_path / "my_nets"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text)
    return folder


def test_the_page_has_its_parts():
    assert set(FILES) == {"blocks.yaml", "se_wrn.yaml"} and len(RUN) == 1 and len(ERROR) == 1


def test_the_network_compiles_and_counts(my_nets):
    stats = archspec.stats(my_nets / "se_wrn.yaml")
    assert stats["output"] == [10] and stats["params"] > 0
    assert [s["kind"] for s in stats["stages"][1:4]] == ["B_se x2"] * 3
    other = archspec.stats(my_nets / "se_wrn.yaml", {"depth": 16, "block": "B_se(3,3)"})
    assert other["params"] != stats["params"]


@pytest.mark.slow
def test_the_training_snippet_runs_and_learns(my_nets):
    cwd = os.getcwd()
    os.chdir(my_nets)
    try:
        exec(compile(RUN[0], "authoring-blocks.md", "exec"), {})
    finally:
        os.chdir(cwd)


@pytest.mark.slow
def test_the_error_shown_is_the_error_printed(my_nets):
    blocks = my_nets / "blocks.yaml"
    blocks.write_text(blocks.read_text().replace("- se: {ratio: ratio}", "- se: {ratio: 5}"))
    result = subprocess.run([sys.executable, "-m", "archspec", "validate", "my_nets/se_wrn.yaml"],
                            cwd=my_nets.parent, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith(ERROR[0])
