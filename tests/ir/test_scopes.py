"""The scope tree: kinds, spec order, scope chains, inputs and outputs, counts, the one stage definition."""
from __future__ import annotations

import gc
import importlib.util
import textwrap
import weakref
from pathlib import Path

import pytest

import archspec
from archspec.analysis.diff import diff_stages_of
from archspec.analysis.report import stage_rows, stats_dict, totals
from archspec.ir.scopes import Scope, scope_tree, stages
from archspec.analysis.structure import network_units

from ..conftest import ROOT

V4 = ROOT / "specs" / "inception_v4.yaml"

TINY = """\
name: tiny
input: [3, 16, 16]
defaults:
  conv: {padding: same}
blocks:
  pair:
    params: {w: int}
    body:
      - conv: 3x3 w
      - {conv: 3x3 w, name: second}
network:
  - {conv: 3x3 8, name: stem}
  - {pair: {w: 8}, repeat: 2}
  - residual:
      body: [conv: 3x3 8, relu]
    name: res
  - maxpool: 2x2 /2
head:
  - global_avgpool
  - linear: 10
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    path.write_text(textwrap.dedent(TINY))
    return archspec.compile_spec(path)[1]


@pytest.fixture(scope="module")
def v4():
    return archspec.compile_spec(V4)[1]


def outline(scope: Scope) -> list:
    """The tree as nested (path, kind, key, items) tuples; nodes as their names."""
    return [(i.path, i.kind, i.key, outline(i)) if isinstance(i, Scope) else i for i in scope.items]


def test_the_tree_of_a_small_spec_has_every_kind_in_spec_order(tiny):
    tree = scope_tree(tiny)
    conv = lambda p: (p, "conv", "conv", [f"{p}.conv", f"{p}.bn", f"{p}.act"])  # noqa: E731
    assert outline(tree.root) == [
        "input",
        conv("stem"),
        ("pair", "repeat", "pair", [("pair.0", "block", "pair", [conv("pair.0.conv"), conv("pair.0.second")]),
                                    ("pair.1", "block", "pair", [conv("pair.1.conv"), conv("pair.1.second")])]),
        ("res", "composite", "residual", [conv("res.conv"), "res.relu", "res.add"]),
        "maxpool",
        ("head", "head", "", ["head.global_avgpool", "head.linear"]),
    ]
    assert tree["pair"].count == 2 and tree["pair"].label == "pair x2"
    assert tree["pair.1"].name == "1" and tree["pair.1"].depth == 2 and tree["pair.1"].loc.endswith("tiny.yaml:13:5")
    assert tree["res"].recorded and not tree["head"].recorded


def test_scope_chain_inputs_outputs_and_counts(tiny):
    tree = scope_tree(tiny)
    assert [s.path for s in tree.chain("pair.1.second.act")] == ["", "pair", "pair.1", "pair.1.second"]
    assert tree.scope_of("pair.1.second.act") is tree["pair.1.second"]
    assert [s.path for s in tree.enclosing("pair.1")] == ["pair"]
    pair1 = tree["pair.1"]
    assert pair1.nodes()[0] == "pair.1.conv.conv" and len(pair1.nodes()) == 6
    assert pair1.inputs() == ["pair.0.second.act"] and pair1.outputs() == ["pair.1.second.act"]
    assert tree["res"].inputs() == ["pair.1.second.act"] and tree["res"].outputs() == ["res.add"]
    assert tree["head"].outputs() == ["head.linear"]  # a graph output
    assert pair1.contains("pair.1.conv.bn") and not pair1.contains("pair.10.conv.bn")
    assert pair1.relative("pair.1.second.bn") == "second.bn"
    assert tree["pair"].params() == 2 * pair1.params() == 2 * 2 * (8 * 8 * 9 + 16)
    assert tree.root.params() == totals(tiny)[0] and tree.root.macs() == totals(tiny, train=True)[1]


def test_the_tree_is_built_once_per_graph(tiny):
    assert scope_tree(tiny) is scope_tree(tiny)
    _, again = archspec.compile_spec(ROOT / "specs" / "wrn.yaml")
    assert scope_tree(again) is not scope_tree(tiny)


def test_copies_and_pickles_of_a_graph_leave_its_tree_behind(tiny):
    import copy
    import pickle
    tree = scope_tree(tiny)
    for other in (copy.deepcopy(tiny), pickle.loads(pickle.dumps(tiny))):
        assert other.__dict__.get("_archspec_scope_tree") is None  # nothing cached comes along
        rebuilt = scope_tree(other)
        assert rebuilt.graph is other and [s.path for s in rebuilt.scopes()] == [s.path for s in tree.scopes()]


def test_a_graph_and_its_cached_tree_are_freed_together(tmp_path):
    """Caching the tree must not keep graphs alive: a sweep or a benchmark compiles thousands of them."""
    path = tmp_path / "tiny.yaml"
    path.write_text(textwrap.dedent(TINY))
    _, graph = archspec.compile_spec(path)
    stats_dict(archspec.load_spec(path), graph)  # reads the tree (stages, block counts)
    alive = weakref.ref(graph)
    del graph
    gc.collect()
    assert alive() is None


def test_one_stage_definition_for_reports_diffs_and_diagrams(tiny):
    names = [s.name for s in stages(tiny)]
    assert names == ["stem", "pair", "res", "maxpool", "head"]
    assert [r.name for r in stage_rows(tiny)] == names
    assert [s.name for s in diff_stages_of(tiny)] == names
    assert [u.name for u in network_units(tiny)] == ["stem", "pair", "res", "maxpool", "head.global_avgpool", "head.linear"]
    assert [(s.kind, s.key, s.count) for s in stages(tiny)] == [
        ("conv", "conv", 1), ("repeat", "pair", 2), ("composite", "residual", 1), ("node", "", 1), ("node", "", 1)]
    assert sum(s.params for s in stages(tiny)) == totals(tiny)[0]


def test_inception_v4_scope_chain(v4):
    tree = scope_tree(v4)
    chain = tree.chain("inception_a.2.branch1.0.conv")
    assert [(s.path, s.kind, s.key) for s in chain] == [
        ("", "network", ""),
        ("inception_a", "repeat", "inception_a"),
        ("inception_a.2", "block", "inception_a"),
        ("inception_a.2.branch1", "composite", "seq"),
        ("inception_a.2.branch1.0", "conv", "conv"),
    ]
    use = tree["inception_a.2"]
    assert [c.name for c in use.children] == ["branch0", "branch1", "branch2", "branch3"]
    assert use.own_nodes == ["inception_a.2.concat"] and use.outputs() == ["inception_a.2.concat"]
    assert use.inputs() == ["inception_a.1.concat"]
    assert tree["inception_a"].count == 4 and len(tree["inception_a"].children) == 4


def test_inception_v4_stages(v4):
    assert [(s.name, s.kind, s.count) for s in stages(v4)] == [
        ("stem", "block", 1), ("inception_a", "repeat", 4), ("reduction_a", "block", 1),
        ("inception_b", "repeat", 7), ("reduction_b", "block", 1), ("inception_c", "repeat", 3), ("head", "node", 1)]
    assert [s.output for s in stages(v4)][-2:] == [(1536, 8, 8), (1000,)]
    blocks = [s for s in scope_tree(v4).scopes() if s.kind == "block"]
    assert len(blocks) == 1 + 4 + 1 + 7 + 1 + 3


def test_a_block_use_without_nodes_keeps_its_place(write_spec):
    path = write_spec("""\
name: empty
input: [3, 8, 8]
blocks:
  maybe:
    params: {use: {type: bool, default: false}}
    body:
      - {relu, when: use}
network:
  - {conv: 3x3 4, name: stem}
  - maybe
  - {maybe: {use: true}}
head:
  - global_avgpool
""")
    spec, graph = archspec.compile_spec(path, debug=True)
    tree = scope_tree(graph)
    assert [(i.path, i.kind) for i in tree.root.children] == [
        ("stem", "conv"), ("maybe", "block"), ("maybe_2", "block"), ("head", "head")]
    assert tree["maybe"].nodes() == [] and [s.name for s in stages(graph)] == ["stem", "maybe_2", "head"]
    assert stats_dict(spec, graph)["blocks"]["maybe"]["uses"] == 2


@pytest.mark.parametrize("module", ["archspec.analysis.report", "archspec.analysis.summary", "archspec.analysis.diff", "archspec.analysis.structure",
                                    "archspec.backends.graphviz.common", "archspec.backends.graphviz.blocks",
                                    "archspec.backends.graphviz.layers", "archspec.backends.graphviz.render",
                                    "archspec.backends.graphviz.blocktext", "archspec.backends.graphviz.paths",
                                    "archspec.backends.torch.layout", "archspec.backends.torch.network",
                                    "archspec.backends.torch.codegen", "archspec.analysis.features"])
def test_readers_of_the_ir_do_not_split_names(module):
    """Scopes come from archspec.ir.scopes; these modules never take node names apart themselves."""
    source = Path(importlib.util.find_spec(module).origin).read_text()
    for pattern in ('split(".")', "split('.')", 'rsplit(".', "rsplit('.", 'rpartition(".', "rpartition('.",
                    'graph.graph["scopes"]', "graph.graph['scopes']"):
        assert pattern not in source, (module, pattern)
