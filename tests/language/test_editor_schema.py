"""The editor schema (`archspec schema`, archspec.language.editor): a valid draft-07 JSON Schema that
accepts every spec, library and documented example archspec accepts, rejects clear mistakes that
archspec refuses too, follows the op registry, and is the file shipped in docs/."""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from jsonschema import Draft7Validator
from typer.testing import CliRunner

import archspec
from archspec.cli.app import app
from archspec.language.editor import json_schema, json_schema_text
from archspec.ops import ITEMS, OPS
from archspec.source.yamlsource import load_yaml_text
from tests.fuzzing import data_mutant, TARGETS, workspace

from ..conftest import ROOT

SPECS = sorted((ROOT / "specs").glob("*.yaml")) + sorted((ROOT / "tests" / "data").glob("*.yaml"))
LIBRARIES = sorted((ROOT / "archspec" / "library").glob("*.yaml"))
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
SHIPPED = {False: ROOT / "docs" / "archspec.schema.json", True: ROOT / "docs" / "archspec-library.schema.json"}


@pytest.fixture(scope="module")
def spec_validator():
    return Draft7Validator(json_schema())


@pytest.fixture(scope="module")
def library_validator():
    return Draft7Validator(json_schema(library=True))


def data_of(path: Path):
    """The file's data as archspec reads it (YAML 1.1's safe types; a date stays text, as in an editor)."""
    return load_yaml_text(path.read_text(), str(path)).data


def errors(validator: Draft7Validator, data) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(data)]


@pytest.mark.parametrize("library", [False, True])
def test_the_schema_is_valid_draft_07_with_an_id(library):
    schema = json_schema(library)
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#" and schema["$id"].startswith("urn:archspec:")


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_every_shipped_spec_is_valid(spec_validator, path):
    assert errors(spec_validator, data_of(path)) == []


@pytest.mark.parametrize("path", LIBRARIES, ids=lambda p: p.name)
def test_every_shipped_library_is_valid(library_validator, path):
    assert errors(library_validator, data_of(path)) == []


def _doc_examples():
    """Each ```yaml block of the docs; a block that shows alternatives (the same key on several lines) line
    by line."""
    for page in DOCS:
        for i, text in enumerate(re.findall(r"```yaml\n(.*?)```", page.read_text(), re.S)):
            keys = re.findall(r"^(\w+):", text, re.M)
            parts = text.splitlines() if len(keys) > 1 and len(set(keys)) == 1 else [text]
            for j, part in enumerate(parts):
                yield pytest.param(part, id=f"{page.name}-{i}" + (f"-{j}" if len(parts) > 1 else ""))


@pytest.mark.parametrize("text", list(_doc_examples()))
def test_every_yaml_example_of_the_docs_is_valid(spec_validator, library_validator, text):
    """Whole specs and libraries as they are; a list of items as items; a fragment of a spec (a few top-level
    keys, or a few block definitions) as a variant (`extends:`) holding it would be."""
    data = load_yaml_text(text, "example.yaml").data
    schema = spec_validator.schema
    if isinstance(data, list):
        validator = Draft7Validator({"$ref": "#/definitions/items", "definitions": schema["definitions"]})
    elif {"name", "input", "network"} <= set(data) or "extends" in data:
        validator = spec_validator
    elif "blocks" in data and not set(data) - set(library_validator.schema["properties"]):
        validator = library_validator
    else:
        validator = spec_validator
        data = {"extends": "base.yaml", **(data if set(data) <= set(schema["properties"]) else {"blocks": data})}
    assert errors(validator, data) == []


BASE = "name: t\ninput: [3, 16, 16]\nparams: {k: 2, act: relu, flag: true}\nnetwork:\n"
VALID = {
    "shorthand": "  - conv: 3x3 8*k /2 same\n",
    "expressions in a mapping": "  - conv: {out: 8*k, kernel: k + 1, stride: k // 2, act: $act, bias: flag}\n",
    "a bare main argument": "  - conv: 3x3 8\n  - maxpool: [3, 3]\n  - dropout: 0.5\n  - global_avgpool: keepdim\n",
    "bn as a flag or mapping": "  - conv: {out: 8, kernel: 3, bn: false}\n  - conv: {out: 8, kernel: 3, bn: {eps: 0.001}}\n",
    "a repeat with first/last": "  - {conv x2: 3x3 8 same, first: {stride: 2}, last: {act: none}, name: c}\n",
    "composites": "  - concat: [relu, [conv: 1x1 4, conv: 3x3 4 same], {maxpool: 3x3 /1 same, name: pool}]\n"
                  "  - residual: {body: [conv: 3x3 8 same], shortcut: auto, projection: {bn: true}, scale: 0.1}\n"
                  "  - {aux: [global_avgpool, linear: 10], name: side}\n"
                  "  - for: {each: w, in: [4, 8], do: [conv: 1x1 w]}\n"
                  "  - {conv: 1x1 8, id: a}\n  - {add, from: [a, a]}\n",
}
# Each is refused by archspec too (the test checks), so the schema rejects nothing archspec accepts here.
INVALID = {
    "an unknown top-level key": "  - relu\nnetwrok: [relu]\n",
    "an unknown argument of a known op": "  - conv: {out: 8, kernal: 3}\n",
    "an argument of the wrong type": "  - conv: {out: 8, kernel: [a]}\n",
    "an unknown activation": "  - conv: {out: 8, kernel: 3, act: rleu}\n",
    "an out of range literal": "  - linear: 0\n",
    "a misspelled modifier": "  - {conv: 3x3 8, nmae: c1}\n",
    "an unknown argument in first:": "  - {conv x2: 3x3 8 same, first: {strid: 2}}\n",
    "two ops in one item": "  - {conv: 3x3 8, relu: null}\n",
    "a concat of one branch": "  - concat: [relu]\n",
    "an unknown residual option": "  - residual: {body: [relu], shortcutt: identity}\n",
    "an unknown defaults key": "  - relu\ndefaults: {convv: {kernel: 3}}\n",
    "a bad reference": "  - {conv: 1x1 8, id: a}\n  - {add, from: [a, 'a b']}\n",
}


@pytest.mark.parametrize("name", VALID)
def test_what_archspec_accepts_is_valid(spec_validator, tmp_path, name):
    (tmp_path / "t.yaml").write_text(BASE + VALID[name])
    archspec.load_spec(tmp_path / "t.yaml")
    assert errors(spec_validator, data_of(tmp_path / "t.yaml")) == []


@pytest.mark.parametrize("name", INVALID)
def test_clear_mistakes_are_rejected_as_archspec_refuses_them(spec_validator, tmp_path, name):
    (tmp_path / "t.yaml").write_text(BASE + INVALID[name])
    with pytest.raises(archspec.SpecError):
        archspec.load_spec(tmp_path / "t.yaml")
    assert errors(spec_validator, data_of(tmp_path / "t.yaml")) != []


def test_a_variant_needs_no_name_input_or_network(spec_validator):
    assert errors(spec_validator, {"extends": "base.yaml", "params": {"classes": 10}}) == []
    assert any("'name' is a required property" in e for e in errors(spec_validator, {"input": [3, 8, 8],
                                                                                   "network": ["relu"]}))


def test_keys_carry_their_documentation():
    schema = json_schema()
    definitions = schema["definitions"]
    assert "Output channels" in definitions["ConvArgs"]["properties"]["out"]["description"]
    assert "conv -> batch norm -> activation" in definitions["value.conv"]["description"]
    assert "Stochastic depth" in definitions["ResidualArgs"]["properties"]["drop_path"]["description"]
    assert "first repeat" in definitions["op.conv"]["properties"]["first"]["description"]
    assert "Derived values" in schema["properties"]["let"]["description"]
    assert set(ITEMS) <= set(definitions["item"]["anyOf"][0]["anyOf"][0]["enum"])


@pytest.fixture
def pointwise_op():
    """docs/custom-ops.md's plugin op, registered for one test; the registry is restored afterwards."""
    ops, items = dict(OPS), dict(ITEMS)
    plugin = (ROOT / "docs" / "custom-ops.md").read_text().split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(plugin, "my_ops.py", "exec"), {"__name__": "my_ops"})
    yield
    OPS.clear(), OPS.update(ops), ITEMS.clear(), ITEMS.update(items)


def test_a_registered_op_is_in_the_schema(pointwise_op):
    schema = json_schema()
    assert "out" in schema["definitions"]["PointwiseArgs"]["properties"]
    assert "1x1 convolution with bias" in schema["definitions"]["value.pointwise"]["description"]
    validator = Draft7Validator(schema)
    items = ["pointwise: 16", "{pointwise: {out: 4}, name: proj}"]
    assert errors(validator, data_of_text(BASE + "".join(f"  - {i}\n" for i in items))) == []
    assert errors(validator, data_of_text(BASE + "  - pointwise: {outt: 4}\n")) != []


def test_without_the_op_the_schema_has_no_such_key():
    assert "value.pointwise" not in json_schema()["definitions"]


def data_of_text(text: str):
    return load_yaml_text(text, "t.yaml").data


@pytest.mark.parametrize("library", [False, True])
def test_the_shipped_schema_files_are_the_generated_ones(library):
    """docs/archspec*.schema.json are written by scripts/gen_schema.py (make schema), never by hand."""
    assert SHIPPED[library].read_text() == json_schema_text(library), "run scripts/gen_schema.py"


@pytest.fixture(scope="module")
def mutant_folder(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("schema_fuzz"))


@settings(max_examples=int(os.environ.get("ARCHSPEC_SCHEMA_EXAMPLES", "200")), deadline=None, derandomize=True,
          database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(target=st.sampled_from(TARGETS), seed=st.integers(0, 2**32 - 1), rounds=st.integers(1, 2))
def test_a_mutant_archspec_loads_is_valid(spec_validator, library_validator, mutant_folder, target, seed, rounds):
    """Property: the schema never rejects what archspec accepts (mutants of the shipped files: tests/fuzzing.py)."""
    mutant = data_mutant(target, random.Random(seed), rounds)
    path = mutant_folder / ("mutant_" + Path(target).name)
    path.write_bytes(mutant.text)
    try:
        (archspec.load_library if mutant.is_library else archspec.load_spec)(path)
    except archspec.SpecError:
        return
    assert errors(library_validator if mutant.is_library else spec_validator, data_of(path)) == [], mutant.kind


def test_the_command_prints_or_writes_the_schema(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0 and json.loads(result.stdout) == json_schema()
    result = runner.invoke(app, ["schema", "--library", "-o", str(tmp_path / "sub" / "lib.json")])
    assert result.exit_code == 0 and json.loads((tmp_path / "sub" / "lib.json").read_text()) == json_schema(True)
    result = runner.invoke(app, ["schema", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in re.sub(r"[│\s]+", " ", result.output)


def test_the_command_and_the_api_do_not_import_torch(tmp_path):
    code = ("import sys, archspec; from archspec.cli.app import app\n"
            "assert archspec.json_schema(library=True)['title'] == 'archspec block library'\n"
            "try: app(['schema', '-o', sys.argv[1]])\nexcept SystemExit as exc: assert not exc.code, exc.code\n"
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s.json")], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr or "torch was imported"
    assert json.loads((tmp_path / "s.json").read_text())["title"] == "archspec spec"
