"""`archspec explain`: each effective argument value of a node and where it came from, tested on the two
traps it exists for (a projection shortcut that silently has no BN; the tutorial's SE gate pasted into a
file whose convs are conv-BN-ReLU) and on every kind of origin."""
from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

import archspec
from archspec.analysis.provenance import ExplainError
from archspec.cli.app import app

from ..test_tutorial import FILES

runner = CliRunner()

RESNET_V1 = """\
archspec: 1
name: v1
input: [3, 32, 32]
params:
  classes: 10
defaults:
  conv: {padding: same, bias: false}
blocks:
  basic:
    params: {w: int, s: 1}
    body:
      - residual:
          body:
            - conv: {out: w, kernel: 3, stride: s}
            - conv: {out: w, kernel: 3, act: none}
          act: relu%s
network:
  - {conv: 3x3 16, repeat: 2, first: {stride: 2}}
  - basic: {w: 32, s: 2}
head: [global_avgpool, linear: classes]
"""


def rows(explanation) -> dict:
    return {r.name: r for r in explanation.arguments + explanation.names}


def test_a_projection_shortcut_without_bn_says_where_its_missing_bn_comes_from(write_spec):
    path = write_spec(RESNET_V1 % "")
    spec, graph = archspec.compile_spec(path)
    assert "basic.shortcut.bn" not in graph  # the trap: ResNet-v1 normalises its projection
    why = archspec.explain(path, "basic.shortcut.conv")
    bn = rows(why)["bn"]
    assert (bn.value, bn.origin, bn.where) == (None, "auto", f"{path}:13:11")  # the residual item
    assert rows(why)["bias"].origin == "default" and rows(why)["bias"].where == f"{path}:7:31"
    assert any("projection: {bn: true}" in note for note in why.notes)

    fixed = write_spec(RESNET_V1 % "\n          projection: {bn: true}", "fixed.yaml")
    _, graph_bn = archspec.compile_spec(fixed)
    bn = rows(archspec.explain(fixed, "basic.shortcut.conv"))["bn"]
    assert bn.origin == "item" and bn.where == f"{fixed}:17:28" and bn.value["eps"] == 1e-5
    assert archspec.stats(fixed)["params"] - archspec.stats(path)["params"] == 2 * 32  # its gamma and beta
    assert graph_bn.nodes["basic.shortcut.bn"]["meta"]["params"] == 64


def _se_net(write_spec, blocks: str, defaults: str, name: str):
    """The tutorial's `se` block pasted into a library whose conv defaults are `defaults`, used once."""
    library = re.sub(r"defaults:\n  conv: \{[^}]*\}", f"defaults:\n  conv: {defaults}", blocks)
    write_spec(library, f"{name}_blocks.yaml")
    return write_spec(f"archspec: 1\nname: {name}\ninput: [16, 8, 8]\nimports: [{name}_blocks.yaml]\n"
                      "network: [se: {ratio: 4}]\n", f"{name}.yaml")


CONV_BN_RELU = "{padding: same, bias: false, act: relu}"  # as in archspec:inception


def test_the_tutorials_se_block_is_the_same_in_a_file_whose_convs_are_conv_bn_relu(write_spec):
    blocks = FILES["blocks.yaml"]
    home = archspec.stats(_se_net(write_spec, blocks, "{padding: same, bias: false, bn: false, act: none}", "home"))
    pasted_path = _se_net(write_spec, blocks, CONV_BN_RELU, "pasted")
    assert archspec.stats(pasted_path)["params"] == home["params"] == (16 * 4 + 4) + (4 * 16 + 16)
    second = rows(archspec.explain(pasted_path, "se.branch1.2"))
    assert (second["bn"].value, second["bn"].origin) == (None, "item")
    assert (second["act"].value, second["act"].origin) == ("none", "item")


def test_the_implicit_se_block_gains_bn_and_relu_and_explain_says_where_from(write_spec):
    implicit = FILES["blocks.yaml"].replace(" bn=false act=relu", " act=relu").replace(" bn=false act=none", "")
    assert implicit.count("bn=false") == 0
    path = _se_net(write_spec, implicit, CONV_BN_RELU, "implicit")
    _, graph = archspec.compile_spec(path)
    assert graph.nodes["se.branch1.2.act"]["attrs"] == {"fn": "relu"}  # a ReLU before the sigmoid
    assert archspec.stats(path)["params"] == (16 * 4 + 4) + (4 * 16 + 16) + 2 * 4 + 2 * 16  # and two BNs
    why = archspec.explain(path, "se.branch1.2.bn")
    bn, act = rows(why)["bn"], rows(why)["act"]
    assert bn.origin == "op" and bn.value == {"eps": 1e-5, "momentum": 0.1, "affine": True} and bn.where == ""
    library = path.parent / "implicit_blocks.yaml"
    assert (act.value, act.origin, act.where) == ("relu", "default", f"{library}:5:43")
    assert why.loc == f"{library}:20:21"
    assert any("act (the file's defaults at " in n and "bn (the op's built-in default)" in n for n in why.notes)
    gate = archspec.explain(path, "se")  # the block use: its parameter and where it was given
    assert [(r.name, r.value, r.origin, r.where) for r in gate.names] == [("ratio", 4, "given", f"{path}:5:23")]


def test_every_origin_of_a_value(write_spec):
    path = write_spec(RESNET_V1 % "")
    first = rows(archspec.explain(path, "conv.0.conv", {"classes": 7}))
    assert (first["stride"].value, first["stride"].origin, first["stride"].where) == ([2, 2], "first", f"{path}:18:47")
    assert (first["out"].origin, first["groups"].origin, first["groups"].where) == ("item", "op", "")
    assert rows(archspec.explain(path, "conv.1.conv"))["stride"].origin == "op"
    inner = rows(archspec.explain(path, "basic.conv.conv"))
    assert (inner["stride"].value, inner["stride"].written) == ([2, 2], "s")
    assert (inner["s"].value, inner["s"].origin, inner["s"].where) == (2, "given", f"{path}:19:23")
    inner = rows(archspec.explain(write_spec(RESNET_V1.replace(", s: 2}", "}") % "", "d.yaml"), "basic.conv.conv"))
    assert (inner["s"].origin, inner["s"].where.rsplit(":", 2)[1:]) == ("param default", ["10", "25"])
    declared = RESNET_V1.replace(", s: 2}", "}").replace("s: 1}", "s: {type: int, default: 1}}") % ""
    inner = rows(archspec.explain(write_spec(declared, "e.yaml"), "basic.conv.conv"))
    assert (inner["s"].value, inner["s"].origin, inner["s"].where.rsplit(":", 2)[1:]) == (1, "param default",
                                                                                          ["10", "46"])
    head = rows(archspec.explain(path, "head.linear", {"classes": 7}))
    assert (head["out"].value, head["out"].written, head["classes"].origin) == (7, "classes", "--set")
    head = rows(archspec.explain(path, "head.linear"))
    assert (head["classes"].value, head["classes"].origin, head["classes"].where) == (10, "spec default", f"{path}:5:12")


def test_an_unknown_node_suggests_the_closest_name(write_spec):
    path = write_spec(RESNET_V1 % "")
    with pytest.raises(ExplainError, match=r"'basic.shortcut.cnv' is neither .* \(did you mean 'basic.shortcut.conv'\?\)"):
        archspec.explain(path, "basic.shortcut.cnv")
    result = runner.invoke(app, ["explain", str(path), "basic.shortcut.cnv"])
    assert result.exit_code == 2 and "did you mean 'basic.shortcut.conv'?" in result.output


def test_the_command_prints_a_table_or_json(write_spec):
    path = write_spec(RESNET_V1 % "")
    result = runner.invoke(app, ["explain", str(path), "basic.shortcut.conv"])
    assert result.exit_code == 0, result.output
    lines = [re.sub(r"\s+", " ", line) for line in result.output.splitlines()]
    assert any(line.startswith("│ bn │ none │ residual's auto projection │") for line in lines), result.output
    assert any("note: the auto projection has no batch norm" in line for line in lines)
    result = runner.invoke(app, ["explain", str(path), "head.linear", "--json", "--set", "classes=3"])
    data = json.loads(result.output)
    assert data["arguments"][0] == {"name": "out", "value": 3, "origin": "item", "where": f"{path}:20:32",
                                    "written": "classes", "from": "written on the item"}
    assert data["names"][0]["origin"] == "--set"
