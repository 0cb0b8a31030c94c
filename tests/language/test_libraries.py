"""Block libraries: shipped ones imported by name from anywhere, did-you-mean for a wrong import, and a
library file validated and listed on its own (every mistake of its blocks at once)."""
from __future__ import annotations

import textwrap
import tomllib
from fnmatch import fnmatch

import pytest
from typer.testing import CliRunner

import archspec
from archspec import SpecError
from archspec.cli.app import app
from archspec.language.libraries import SHIPPED, shipped_names
from archspec.pipeline import is_library, load_library

from ..conftest import ROOT

runner = CliRunner()

NET = """\
archspec: 1
name: net
input: [3, 299, 299]
imports: [{imports}]
network:
  - stem_v3
  - reduction_a: {{k: 4, l: 4, m: 4, n: 4}}
"""


def spec(folder, imports, name="net.yaml"):
    path = folder / name
    path.write_text(NET.format(imports=imports))
    return path


def messages(exc_info) -> list[str]:
    return [str(d) for d in exc_info.value.diagnostics]


def test_every_shipped_spec_imports_its_library_by_name():
    for path in sorted((ROOT / "specs").glob("*.yaml")):
        text = path.read_text()
        if "imports:" in text:
            assert "imports: [archspec:" in text, path.name
    assert shipped_names() == ["inception", "preact", "resnet"]


def test_the_package_data_ships_every_library():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["archspec"]
    files = [p.relative_to(ROOT / "archspec").as_posix() for p in SHIPPED.glob("*")]
    assert files and all(any(fnmatch(f, g) for g in globs) for f in files)


def test_a_spec_outside_the_repository_imports_a_shipped_library_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing of the repository is reachable by a relative path
    stats = archspec.stats(spec(tmp_path, "archspec:inception"))
    # stem_v3 at 299: 71x71x192; reduction_a with k=l=m=n=4 concatenates 4 + 4 + 192 channels at 35x35
    assert stats["stages"][0]["output"] == [192, 71, 71] and stats["output"] == [200, 35, 35]
    loaded = archspec.load_spec(tmp_path / "net.yaml")
    assert loaded.blocks["stem_v3"].doc.file == str(SHIPPED / "inception.yaml")


def test_an_unknown_shipped_name_suggests_a_shipped_one(tmp_path):
    with pytest.raises(SpecError) as exc_info:
        archspec.load_spec(spec(tmp_path, "archspec:inceptoin"))
    assert messages(exc_info) == [f"{tmp_path}/net.yaml:4:11: imports[0]: archspec ships no library 'inceptoin' "
                                  "(did you mean 'archspec:inception'?)"]
    with pytest.raises(SpecError) as exc_info:
        archspec.load_spec(spec(tmp_path, "archspec:nothing"))
    assert "the shipped libraries are archspec:inception, archspec:preact" in messages(exc_info)[0]


def test_a_wrong_import_path_suggests_the_files_beside_it(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "my_blocks.yaml").write_text((SHIPPED / "inception.yaml").read_text())
    with pytest.raises(SpecError) as exc_info:
        archspec.load_spec(spec(tmp_path, "lib/my_blcks.yaml, inception.yaml"))
    first, second = messages(exc_info)
    assert first.endswith("imports[0]: cannot find 'lib/my_blcks.yaml' (looked at "
                          f"{tmp_path}/lib/my_blcks.yaml) (did you mean 'lib/my_blocks.yaml'?)")
    assert second.endswith("(a shipped library is imported by name: 'archspec:inception')")
    assert archspec.stats(spec(tmp_path, "lib/my_blocks.yaml"))["output"] == [200, 35, 35]


BAD_LIBRARY = """\
archspec: 1
defaults:
  conv: {padding: same, bais: false}
blocks:
  a:
    params: {w: int}
    body:
      - conv: 3x3 w
      - relu6x
      - b: {w: x}
  b:
    params: {w: int}
    body: [a: {w: w}, {conv: {out: w, kernl: 3}}]
"""


def test_a_library_file_is_checked_as_a_library_every_mistake_at_once(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_LIBRARY)
    assert is_library(path) and is_library("archspec:inception") and not is_library(ROOT / "specs" / "wrn.yaml")
    with pytest.raises(SpecError) as exc_info:
        load_library(path)
    found = [m.split(": ", 1)[1] for m in messages(exc_info)]
    assert found == [
        "defaults.conv.bais: unknown key 'bais' (did you mean 'bias'?)",
        "blocks.a.body[1]: unknown op or block 'relu6x' (did you mean 'relu6'?)",
        "blocks.a.body[2].b.w: unknown parameter 'x' in 'x'",
        "blocks.b.body[0].a: block 'a' uses itself (a -> b -> a)",
        "blocks.b.body[1].conv.kernel: missing required key 'kernel'",
        "blocks.b.body[1].conv.kernl: unknown key 'kernl' (did you mean 'kernel'?)",
    ]
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1 and "name" not in result.output and "6 errors" in result.output


def test_a_library_given_where_a_spec_is_expected_says_so(tmp_path):
    with pytest.raises(SpecError) as exc_info:
        archspec.load_spec(SHIPPED / "preact.yaml")
    assert "is a block library (blocks, no network), not a spec" in messages(exc_info)[0]


def test_validate_and_blocks_take_a_shipped_library_by_name():
    result = runner.invoke(app, ["validate", "archspec:inception"])
    assert result.exit_code == 0 and result.output == "archspec:inception: ok (block library, 7 blocks)\n"
    result = runner.invoke(app, ["blocks", "archspec:preact", "--no-builtins"])
    assert result.exit_code == 0
    rows = [line.split("│")[1].strip() for line in result.output.splitlines() if line.startswith("│")]
    assert [r for r in rows if r] == list(load_library("archspec:preact").blocks) == ["B", "stage"]
    result = runner.invoke(app, ["validate", "archspec:prect"])
    assert result.exit_code == 1 and "did you mean 'archspec:preact'?" in result.output


def test_a_shipped_library_written_as_a_path_is_loaded_once(tmp_path):
    text = textwrap.dedent(NET.format(imports=f"archspec:inception, {SHIPPED / 'inception.yaml'}"))
    (tmp_path / "net.yaml").write_text(text)
    assert archspec.stats(tmp_path / "net.yaml")["output"] == [200, 35, 35]
