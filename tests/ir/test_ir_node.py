"""The typed node view: names and types for what the graph stores per node."""
from __future__ import annotations

import pytest

import archspec
from archspec.ir.node import node, nodes
from archspec.ops import OPS

from ..conftest import ROOT


@pytest.fixture(scope="module")
def graph():
    return archspec.compile_spec(ROOT / "tests" / "data" / "tiny_mixed.yaml")[1]


def test_a_node_reads_its_op_inputs_users_and_meta(graph):
    concat = node(graph, "mixed.concat")
    assert concat.op == "concat" and concat.opdef is OPS["concat"]
    assert concat.inputs == ["mixed.branch0.act", "mixed.branch1.1.act", "mixed.branch2.1.act"]
    assert concat.users == ["gate.branch0", "gate.branch1.0"]  # the gate's identity and squeeze branches
    assert concat.shape == (24, 24, 24) and concat.block_use == "mixed"
    assert concat.loc.endswith("tiny_mixed.yaml:16:11")  # the concat's branch list
    assert not concat.train_only and not concat.is_output


def test_every_node_in_order_and_a_clear_error_for_a_missing_one(graph):
    assert [n.name for n in nodes(graph)] == list(graph.nodes)
    assert sum(n.meta["params"] for n in nodes(graph)) == archspec.stats(ROOT / "tests" / "data" / "tiny_mixed.yaml")["params"]
    with pytest.raises(KeyError, match="no IR node named 'mixed.cat'"):
        node(graph, "mixed.cat")
