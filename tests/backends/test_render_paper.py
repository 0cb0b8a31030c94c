"""Diagrams a paper could use: display names with values, stage arguments, the papers' branch order, one block
per figure, title and legend on request, the layer level folded to a drawable size, spec-relative paths,
archspec.render. Each reads the DOT back (tests/dotparse.py), or where graphviz is installed, dot's layout."""
from __future__ import annotations

import re
import shutil
import textwrap

import pytest
from typer.testing import CliRunner

import archspec
from archspec import SpecError
from archspec.backends.graphviz.render import Options, RenderError, render
from archspec.cli.app import app

from ..conftest import ROOT
from ..dotparse import parse, text_of

SPECS = ROOT / "specs"
V4, V3, WRN = SPECS / "inception_v4.yaml", SPECS / "inception_v3.yaml", SPECS / "wrn.yaml"
IRV2 = SPECS / "inception_resnet_v2.yaml"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
runner = CliRunner()
MAX_PNG = 32767  # cairo's largest image side: a taller PNG is clipped


def drawn(path, level="network", overrides=None, **options):
    return parse(archspec.render(path, level, overrides, **options).source)


def title_lines(dot):
    return text_of(dot.graph["label"]).splitlines()


def layout(dot_source: str) -> tuple[tuple[float, float], dict[str, tuple[float, float]]]:
    """dot's layout in inches (-Tplain): (width, height), {node: (x, y)}."""
    import graphviz
    plain = graphviz.Source(dot_source).pipe(format="plain").decode()
    lines = [line.split() for line in plain.splitlines()]
    size = (float(lines[0][2]), float(lines[0][3]))
    return size, {parts[1].strip('"'): (float(parts[2]), float(parts[3])) for parts in lines if parts[0] == "node"}


def test_title_is_the_display_name_with_the_values_in_force():
    assert title_lines(drawn(WRN))[0] == "WRN-28-10, B(3,3)"
    assert title_lines(drawn(WRN, overrides={"k": 4, "block": "B(1,3,1)", "depth": 22}))[0] == "WRN-22-4, B(1,3,1)"
    lines = title_lines(drawn(SPECS / "resnet50.yaml"))  # no label: the name
    assert lines[0] == "resnet50" and lines[1].startswith("resnet50, network level, input 224x224x3")


def test_render_command_follows_set(tmp_path):
    out = tmp_path / "wrn.dot"
    result = runner.invoke(app, ["render", str(WRN), "-o", str(out), "--set", "k=4"])
    assert result.exit_code == 0, result.output
    dot = parse(out.read_text())
    assert title_lines(dot)[0] == "WRN-28-4, B(3,3)"
    assert [dot.label(s).splitlines()[0] for s in ("stage1", "stage2", "stage3")] == [
        "B(3,3) x4, 64", "B(3,3) x4, 128", "B(3,3) x4, 256"]


def test_stage_nodes_carry_the_blocks_arguments():
    dot = drawn(WRN)
    assert [dot.label(s).splitlines()[:2] for s in ("stage1", "stage2", "stage3")] == [
        ["B(3,3) x4, 160", "stage1"], ["B(3,3) x4, 320", "stage2"], ["B(3,3) x4, 640", "stage3"]]


def test_a_label_that_cannot_be_evaluated_is_a_located_spec_error(write_spec):
    path = write_spec(textwrap.dedent("""\
        name: tiny
        label: "Tiny-${widht}"
        params: {width: 8}
        input: [3, 8, 8]
        network:
          - conv: 3x3 width
    """))
    with pytest.raises(SpecError) as info:
        archspec.compile_spec(path)
    assert "spec.yaml:2:" in str(info.value) and "widht" in str(info.value)


def test_the_shape_order_is_stated_once_and_tooltips_use_only_it():
    dot = drawn(V4, "block")
    assert text_of(dot.graph["label"]).count("shapes are H x W x C") == 1
    tips = [attrs["tooltip"] for attrs in dot.nodes.values() if "tooltip" in attrs]
    assert tips and all("CxHxW" not in t for t in tips)
    assert any("output: 35x35x96 (HxWxC)" in t for t in tips)
    no_legend = title_lines(drawn(V4, "block", legend=False))
    assert "legend" not in " ".join(no_legend) and "(shapes are H x W x C)" in no_legend[1]


def test_title_and_legend_can_be_hidden_and_the_direction_chosen():
    assert "label" not in drawn(V4, title=False, legend=False).graph
    legend_only = text_of(drawn(V4, title=False).graph["label"])
    assert "legend" in legend_only and "Inception-v4" not in legend_only and "params" not in legend_only
    assert drawn(V4, direction="LR").graph["rankdir"] == "LR" and drawn(V4).graph["rankdir"] == "TB"
    with pytest.raises(RenderError, match="direction"):
        archspec.render(V4, direction="BT")


@needs_dot
def test_branch_order_on_the_page_follows_draw_order_not_the_concat():
    spec, graph = archspec.compile_spec(V4)
    concat = graph.nodes["inception_a.0.concat"]["inputs"]
    assert concat[0].startswith("inception_a.0.branch0") and concat[3].startswith("inception_a.0.branch3")
    _, at = layout(render(spec, graph, "block", Options(block="inception_a")).source)
    tails = ["inception_a.0.branch3.1", "inception_a.0.branch0", "inception_a.0.branch1.1", "inception_a.0.branch2.2"]
    assert [at[t][0] for t in tails] == sorted(at[t][0] for t in tails)  # pool branch leftmost (Fig. 4)
    _, at = layout(render(spec, graph, "block", Options(block="reduction_b")).source)
    assert at["reduction_b.branch2"][0] < at["reduction_b.branch0.0"][0] < at["reduction_b.branch1.0"][0]


def test_a_draw_order_that_does_not_fit_its_block_is_refused_with_its_location(write_spec, tmp_path):
    path = write_spec(textwrap.dedent("""\
        name: tiny
        input: [3, 8, 8]
        blocks:
          two:
            draw_order: [1, 1]
            body:
              - concat: [conv: 1x1 4, conv: 1x1 2]
        network: [two]
    """))
    with pytest.raises(RenderError, match=r"spec.yaml:5:\d+: draw_order of block 'two' must list the positions 0 to 1"):
        archspec.render(path, "block")
    result = runner.invoke(app, ["render", str(path), "-o", str(tmp_path / "t.dot"), "--level", "block"])
    assert result.exit_code == 1 and "draw_order" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["build", str(path), "-o", str(tmp_path / "out")])  # build draws blocks.svg
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "error: " in result.output and "draw_order of block 'two'" in result.output
    assert not (tmp_path / "out").exists()  # refused before any artifact is written
    result = runner.invoke(app, ["validate", str(path)])  # validate checks what the block diagram reads
    assert result.exit_code == 1 and "draw_order of block 'two'" in result.output, result.output
    assert "Traceback" not in result.output


def test_one_block_per_figure_with_did_you_mean(tmp_path):
    out = tmp_path / "a.dot"
    result = runner.invoke(app, ["render", str(V4), "-o", str(out), "--block", "inception_a", "--no-title"])
    assert result.exit_code == 0, result.output
    dot = parse(out.read_text())
    top = [c for c, info in dot.clusters.items() if info["parent"] is None]
    assert [text_of(dot.clusters[c]["attrs"]["label"]).splitlines()[0] for c in top] == ["Inception-A x4"]
    assert not any(n.startswith(("stem", "inception_b")) for n in dot.nodes)
    result = runner.invoke(app, ["render", str(V4), "-o", str(out), "--block", "inception_aa"])
    assert result.exit_code == 2 and "did you mean 'inception_a'" in result.output
    result = runner.invoke(app, ["render", str(V4), "-o", str(out), "--block", "inception_a", "--level", "layer"])
    assert result.exit_code == 2
    nested = drawn(IRV2, block="ir_b_branches")  # a block used only inside others is drawn on its own too
    assert [text_of(c["attrs"]["label"]).splitlines()[0] for c in nested.clusters.values() if c["parent"] is None] == [
        "ir_b_branches (block17.0.branches, block17.1.branches, block17.2.branches, block17.3.branches, …)"]


def test_a_format_that_contradicts_the_file_name_is_refused(tmp_path):
    out = tmp_path / "x.svg"
    result = runner.invoke(app, ["render", str(V4), "-o", str(out), "--format", "dot"])
    assert result.exit_code == 2 and "x.dot" in result.output and not out.exists()
    result = runner.invoke(app, ["render", str(V4), "-o", str(tmp_path / "x.gv"), "--format", "dot"])
    assert result.exit_code == 0 and (tmp_path / "x.gv").read_text().startswith("digraph")


def test_tooltips_name_spec_files_relative_to_the_spec_never_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the spec given by an absolute path, from another folder
    for path in (WRN, IRV2):
        for level in ("network", "block", "layer"):
            source = archspec.render(path.resolve(), level).source
            assert str(ROOT) not in source and not re.search(r"(?<![\w.])/(work|home|tmp|usr)/", source), (path, level)
    source = archspec.render(WRN.resolve(), "layer").source
    assert re.search(r"spec: archspec/library/preact\.yaml:\d+:\d+", source)  # a shipped library
    assert re.search(r"used at wrn\.yaml:\d+:\d+", source)  # the spec itself, from its own folder


def test_activations_are_written_unless_most_convs_end_in_them(write_spec):
    path = write_spec(textwrap.dedent("""\
        name: mostly_plain
        input: [8, 8, 8]
        defaults: {conv: {act: none, bn: false}}
        blocks:
          se_like:
            body:
              - {conv: 1x1 8, name: a}
              - {conv: 1x1 8, name: b}
              - {conv: 1x1 4 act=relu, name: reduce}
              - {conv: 1x1 8 act=sigmoid, name: expand}
        network: [se_like]
    """))
    dot = drawn(path, "block")
    labels = {n: dot.label(n) for n in dot.nodes}
    assert labels["se_like.reduce"] == "1x1 conv, 4, ReLU" and labels["se_like.expand"] == "1x1 conv, 8, Sigmoid"
    assert labels["se_like.a"] == "1x1 conv, 8"  # no 'Linear' where plain convs are the rule
    assert "unless marked" not in text_of(dot.graph["label"])
    v4 = drawn(V4, "block")  # where most convs end in ReLU it is left unwritten, and the legend says so
    assert "a conv ends in ReLU unless marked (Linear: none)" in text_of(v4.graph["label"])


def test_uses_that_differ_in_width_are_not_drawn_as_a_repeat():
    dot = drawn(V3, block="inception_c")
    title = text_of(next(iter(dot.clusters.values()))["attrs"]["label"]).splitlines()
    assert title[0] == "inception_c (mixed_6b, mixed_6c, mixed_6d, mixed_6e)" and "x4" not in title[0]
    assert "1x7 conv, 128/160/192" in {dot.label(n) for n in dot.nodes}  # c7 of each use
    wrn = drawn(WRN, block="B")
    labels = {dot_label.splitlines()[0] for dot_label in (wrn.label(n) for n in wrn.nodes)}
    assert "3x3 conv, 160/320/640" in labels  # the identity blocks of all three stages, not stage1's width


def test_the_stem_shows_shapes_as_figure_3():
    dot = drawn(V4, block="stem")
    assert dot.label("stem.conv1") == "3x3 conv, 32, /2 V\n149x149x32"
    assert dot.label("stem.mixed_5a.concat") == "Filter concat\n35x35x384"
    assert "\n" not in drawn(V4, block="inception_a").label("inception_a.0.branch0")  # only where asked


@needs_dot
def test_the_layer_level_of_inception_resnet_v2_is_folded_to_a_drawable_size():
    spec, graph = archspec.compile_spec(IRV2)
    folded = render(spec, graph, "layer")
    dot = parse(folded.source)
    block35 = [n for n in graph.nodes if n.startswith("block35.0.")]
    assert block35 and all(n in dot.nodes for n in block35) and "block35.1.act" not in dot.nodes
    assert len(dot.nodes) < graph.number_of_nodes() / 3
    label = text_of(dot.clusters["cluster_block35.0"]["attrs"]["label"])
    assert "drawn once for 10 repeats: 0-9" in label
    assert ("block35.0.act", "reduction_a.branch0.conv") in {(a, b) for a, b, _ in dot.edges}
    (_, height), _ = layout(folded.source)
    assert height * 96 < MAX_PNG  # PNGs are drawn at 96 dpi
    (_, unfolded), _ = layout(render(spec, graph, "layer", Options(fold=False)).source)
    assert unfolded * 96 > MAX_PNG  # what --unfold draws (an SVG holds it)


def test_folding_keeps_each_structure_of_a_repeat_group():
    dot = drawn(WRN, "layer")  # blocks.0 projects, blocks.1-3 do not: two are drawn per stage
    assert "stage1.blocks.0.shortcut.conv" in dot.nodes and "stage1.blocks.1.add" in dot.nodes
    assert "stage1.blocks.2.add" not in dot.nodes
    assert "drawn once for 3 repeats: 1-3" in text_of(dot.clusters["cluster_stage1.blocks.1"]["attrs"]["label"])
    assert ("stage1.blocks.1.add", "stage2.blocks.0.preact.bn") in {(a, b) for a, b, _ in dot.edges}


def test_render_api_returns_the_diagram(tmp_path):
    diagram = archspec.render(WRN, "block", {"k": 2})
    assert diagram.level == "block" and diagram.source.startswith("digraph")
    assert diagram.write(tmp_path / "w.dot").read_text() == diagram.source
    assert diagram.pipe("dot") == diagram.source.encode()
    if shutil.which("dot"):
        assert diagram.write(tmp_path / "w.svg").read_bytes().lstrip().startswith(b"<?xml")


def test_unfold_outside_the_layer_level_is_a_usage_mistake(tmp_path):
    result = runner.invoke(app, ["render", str(WRN), "-o", str(tmp_path / "w.dot"), "--unfold"])
    assert result.exit_code == 2 and "--unfold draws the layer level" in result.output
    assert not (tmp_path / "w.dot").exists()
    result = runner.invoke(app, ["render", str(WRN), "-o", str(tmp_path / "w.dot"), "--unfold", "--level", "layer"])
    assert result.exit_code == 0, result.output
