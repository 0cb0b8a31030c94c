"""Diagrams: the DOT (and, where graphviz is installed, the SVG) of every level, read back and checked."""
from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

import archspec
from archspec.analysis.shape_text import diagram_shape
from archspec.backends.graphviz.render import Options, RenderError, render, write
from archspec.cli.app import app
from archspec.analysis.report import totals
from archspec.analysis.structure import block_types, network_units
from archspec.ir.scopes import scope_tree

from ..conftest import ROOT
from ..dotparse import parse, text_of

SPECS = ROOT / "specs"
V4 = SPECS / "inception_v4.yaml"
IRV2 = SPECS / "inception_resnet_v2.yaml"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
runner = CliRunner()
_cache: dict = {}
LOC = re.compile(r"spec: \S+\.yaml:\d+:\d+")


def compiled(path, **overrides):
    key = (str(path), tuple(sorted(overrides.items())))
    if key not in _cache:
        _cache[key] = archspec.compile_spec(path, overrides or None)
    return _cache[key]


def diagram(path, level, options=Options(), **overrides):
    spec, graph = compiled(path, **overrides)
    return parse(render(spec, graph, level, options).source), graph


def assert_colours_explained(dot):
    """Every fill colour in the diagram has a swatch in the legend under the title."""
    fills = {attrs["fillcolor"] for attrs in dot.nodes.values() if "fillcolor" in attrs}
    assert fills and fills <= set(re.findall(r'bgcolor="(#[0-9a-f]{6})"', dot.graph["label"]))


def test_network_level_of_every_spec(spec_path):
    dot, graph = diagram(spec_path, "network")
    units = network_units(graph)
    assert set(dot.nodes) == {u.name for u in units} | {"input"} | {
        f"__output{i}" for i in range(len(graph.graph["outputs"]))}
    shapes = {diagram_shape(graph.nodes[n]["meta"]["shape"]) for n in graph.nodes}
    for a, b, attrs in dot.edges:
        assert attrs["label"] in shapes, (a, b)  # every edge carries the tensor shape, HxWxC
    for unit in units:
        label = dot.label(unit.name)
        if unit.kind == "repeat":  # 'inception_a x4', or its display name: 'Inception-A x4' over 'inception_a'
            assert f" x{unit.count}" in label.splitlines()[0] and (unit.key in label or unit.name in label)
        assert LOC.search(dot.nodes[unit.name]["tooltip"]), unit.name
    params, macs = totals(graph)
    title = text_of(dot.graph["label"])
    assert f"params {params:,}" in title and f"MACs {macs:,}" in title and f"FLOPs = 2 x MACs {2 * macs:,}" in title
    assert "legend" in title and "input / output" in title
    assert_colours_explained(dot)


def test_network_level_of_inception_v4_reads_like_figure_9():
    dot, _ = diagram(V4, "network")
    titles = [dot.label(n).splitlines()[0] for n in ("stem", "inception_a", "reduction_a", "inception_b",
                                                     "reduction_b", "inception_c")]
    assert titles == ["Stem", "Inception-A x4", "Reduction-A", "Inception-B x7", "Reduction-B", "Inception-C x3"]
    assert dot.label("inception_a").splitlines()[1] == "inception_a"  # the name in the spec under its display name
    edges = {(a, b): attrs["label"] for a, b, attrs in dot.edges}
    assert edges[("input", "stem")] == "299x299x3"
    assert edges[("stem", "inception_a")] == "35x35x384"
    assert edges[("reduction_a", "inception_b")] == "17x17x1024"
    assert edges[("inception_c", "head.global_pool")] == "8x8x1536"
    assert edges[("head.fc", "__output0")] == "1000"


def test_auxiliary_head_is_a_dashed_side_branch():
    dot, _ = diagram(SPECS / "inception_v3.yaml", "network", aux=True)
    assert "dashed" in dot.nodes["aux_logits"]["style"]
    edge = next(attrs for a, b, attrs in dot.edges if (a, b) == ("mixed_6e", "aux_logits"))
    assert edge["label"] == "17x17x768" and edge["style"] == "dashed"
    assert any(dot.label(n) == "Auxiliary output" for n in dot.nodes)
    assert "MACs in training" in text_of(dot.graph["label"])


def test_block_level_uses_the_papers_labels():
    dot, graph = diagram(V4, "block")
    labels = {dot.label(n).splitlines()[0] for n in dot.nodes}
    for text in ("3x3 conv, 32, /2 V", "3x3 conv, 32, V", "1x7 conv, 224", "7x1 conv, 256", "3x3 MaxPool /2 V",
                 "3x3 AvgPool", "Filter concat", "3x3 conv, 384, /2 V", "1x3 conv, 256"):
        assert text in labels, text
    top = [c for c, info in dot.clusters.items() if info["parent"] is None]
    assert len(top) == len(block_types(graph)) == 6
    titles = [text_of(dot.clusters[c]["attrs"]["label"]).splitlines()[0] for c in top]
    assert titles == ["Stem", "Inception-A x4", "Reduction-A", "Inception-B x7", "Reduction-B", "Inception-C x3"]
    assert not any(n.endswith((".bn", ".act")) for n in dot.nodes)  # conv units are collapsed
    assert_colours_explained(dot)


def test_block_level_shows_residual_scale_and_merge():
    dot, _ = diagram(IRV2, "block")
    labels = [dot.label(n) for n in dot.nodes]
    for scale in ("x0.17", "x0.1", "x0.2"):
        assert scale in labels
    assert "1x1 conv, 320 Linear" in labels  # the up-projection has no activation
    adds = [n for n in dot.nodes if n.endswith(".add")]
    assert adds and all(dot.nodes[n]["shape"] == "circle" and dot.label(n) == "+" for n in adds)
    titles = [text_of(c["attrs"]["label"]).splitlines()[0] for c in dot.clusters.values() if c["parent"] is None]
    assert "Inception-ResNet-C x9" in titles and "Inception-ResNet-C (block8_last)" in titles  # no 'block8 (block8 x9)'
    nested = {text_of(c["attrs"]["label"]) for c in dot.clusters.values() if c["parent"] is not None}
    assert {"ir_a_branches", "ir_b_branches", "ir_c_branches", "stem_v3"} <= nested  # blocks used inside blocks


def test_block_level_keeps_branches_left_to_right():
    dot, _ = diagram(IRV2, "block")  # no draw_order: the order the concat reads them
    rows = [(a, b) for a, b, attrs in dot.edges if attrs.get("style") == "invis" and a.startswith("mixed_5b.")]
    assert rows[:3] == [("mixed_5b.branch0", "mixed_5b.branch1.1"), ("mixed_5b.branch1.1", "mixed_5b.branch2.2"),
                        ("mixed_5b.branch2.2", "mixed_5b.branch3.1")]


def test_one_block_type_per_structure():
    _, graph = compiled(SPECS / "inception_resnet_v1.yaml")
    types = block_types(graph)
    assert [t.first for t in types if t.key == "ir_residual"] == ["block_a.0", "block_b.0", "block_c.0"]
    _, graph = compiled(SPECS / "inception_v3.yaml")
    inception_c = next(t for t in block_types(graph) if t.key == "inception_c")
    assert inception_c.uses == ["mixed_6b", "mixed_6c", "mixed_6d", "mixed_6e"] and inception_c.widths_vary


def test_layer_level_has_every_op_in_nested_clusters():
    dot, graph = diagram(V4, "layer", Options(fold=False))
    assert set(dot.nodes) == set(graph.nodes)
    assert dot.cluster_of["inception_a.2.branch1.0.conv"] == "cluster_inception_a.2"
    assert dot.clusters["cluster_inception_a.2"]["parent"] == "cluster_inception_a"
    assert dot.cluster_of["head.fc"] == "cluster_head"
    label = dot.label("inception_a.2.branch1.0.conv")
    assert "1x1 conv, 64" in label and "35x35x64" in label and "24.58 K params" in label and "30.11 M MACs" in label
    assert sum(1 for _ in dot.edges) >= graph.number_of_edges()
    assert_colours_explained(dot)


@needs_dot
def test_svg_has_tooltips_with_spec_locations_legend_and_totals(tmp_path):
    spec, graph = compiled(V4)
    path = write(render(spec, graph, "network"), tmp_path / "v4.svg")
    root = ET.parse(path).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg", "xlink": "http://www.w3.org/1999/xlink"}
    nodes = root.findall(".//svg:g[@class='node']", ns)
    assert len(nodes) == len(network_units(graph)) + 2  # + input, output
    tips = [a.get("{http://www.w3.org/1999/xlink}title") for a in root.iter("{http://www.w3.org/2000/svg}a")]
    where = scope_tree(graph)["inception_a"].loc  # specs/inception_v4.yaml:LINE:COL as the IR records it
    assert any(t and t.startswith("inception_a\n") and f"spec: {where.rpartition('specs/')[2]}" in t and "MACs: " in t
               for t in tips)
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "legend" in text and "FLOPs = 2 x MACs" in text and "35x35x384" in text


@needs_dot
def test_layer_level_svg_of_the_largest_spec(tmp_path):
    spec, graph = compiled(IRV2)
    root = ET.parse(write(render(spec, graph, "layer", Options(fold=False)), tmp_path / "l.svg")).getroot()
    titles = {g.findtext("{http://www.w3.org/2000/svg}title") for g in root.iter("{http://www.w3.org/2000/svg}g")
              if g.get("class") == "node"}
    assert set(graph.nodes) <= titles


@needs_dot
def test_png_and_pdf(tmp_path):
    spec, graph = compiled(SPECS / "preact_resnet18.yaml")
    assert write(render(spec, graph, "block"), tmp_path / "b.png").read_bytes()[:4] == b"\x89PNG"
    assert write(render(spec, graph, "network"), tmp_path / "n.pdf").read_bytes()[:4] == b"%PDF"


def test_missing_dot_fails_in_one_line_but_dot_source_still_works(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = runner.invoke(app, ["render", str(V4), "-o", str(tmp_path / "v4.svg")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "apt-get install graphviz" in lines[0]
    result = runner.invoke(app, ["render", str(V4), "-o", str(tmp_path / "v4.dot")])
    assert result.exit_code == 0 and (tmp_path / "v4.dot").read_text().startswith("digraph")
    spec, graph = compiled(V4)
    with pytest.raises(RenderError):
        write(render(spec, graph, "network"), tmp_path / "x.png")


def test_render_command_levels_formats_and_overrides(tmp_path):
    out = tmp_path / "sub" / "wrn.dot"
    result = runner.invoke(app, ["render", str(SPECS / "wrn.yaml"), "-o", str(out), "--level", "block",
                                 "--set", "depth=16", "--set", "k=2"])
    assert result.exit_code == 0, result.output
    dot = parse(out.read_text())
    assert "3x3 conv, 64/128, /2" in {dot.label(n) for n in dot.nodes}  # k=2: stages 2 and 3 are 32*2, 64*2 wide
    assert runner.invoke(app, ["render", str(V4), "-o", str(tmp_path / "x.jpg")]).exit_code == 2
    assert runner.invoke(app, ["render", str(V4), "-o", str(tmp_path / "x.svg"), "--level", "huge"]).exit_code == 2
    result = runner.invoke(app, ["render", str(V4), "-o", str(tmp_path / "x.dot"), "--set", "clases=3"])
    assert result.exit_code == 2 and "did you mean 'classes'" in result.output


def test_build_writes_diagrams_and_the_layer_summary(tmp_path):
    result = runner.invoke(app, ["build", str(SPECS / "preact_resnet18.yaml"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "preact_resnet18"
    summary = (target / "summary.txt").read_text()
    assert "stage1" in summary and "FLOPs = 2 x MACs" in summary and "params: 11,687,720" in summary
    assert {"summary.json", "ir.json", "ir.txt"} <= {p.name for p in target.iterdir()}
    ext = "svg" if shutil.which("dot") else "dot"
    for name in ("network", "blocks"):
        assert (target / f"{name}.{ext}").stat().st_size > 1000
    if ext == "svg":
        ET.parse(target / "network.svg")


def test_build_without_dot_writes_dot_source_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = runner.invoke(app, ["build", str(SPECS / "preact_resnet18.yaml"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "preact_resnet18"
    assert (target / "network.dot").read_text().startswith("digraph") and (target / "blocks.dot").exists()
    assert not (target / "network.svg").exists()
    notes = [line for line in result.output.splitlines() if "graphviz" in line]
    assert len(notes) == 1 and "apt-get install graphviz" in notes[0]
    assert "--format" not in notes[0]  # build has no --format: the hint names only what build can use
