"""Cross-checks for every shipped spec: the IR's derived facts against a real PyTorch module."""
from __future__ import annotations

import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import archspec
from archspec.backends.torch.network import module_from_graph
from archspec.ir.graph import to_text
from archspec.analysis.report import output_shape, totals

from .conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture(scope="module")
def compiled():
    cache = {}

    def get(path):
        if path not in cache:
            spec, graph = archspec.compile_spec(path)
            cache[path] = (spec, graph, module_from_graph(graph, seed=0).eval())
        return cache[path]
    return get


def test_ir_params_equal_module_numel(spec_path, compiled):
    _, graph, model = compiled(spec_path)
    assert totals(graph)[0] == sum(p.numel() for p in model.parameters())


@pytest.mark.slow
def test_ir_macs_and_shape_equal_a_real_forward(spec_path, compiled):
    _, graph, model = compiled(spec_path)
    x = torch.randn(1, *graph.nodes["input"]["meta"]["shape"])
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        y = model(x)
    assert totals(graph)[1] == counter.get_total_flops() // 2
    outputs = y if isinstance(y, tuple) else (y,)  # a network with `outputs:` returns a tuple
    assert [tuple(o.shape[1:]) for o in outputs] == [graph.nodes[n]["meta"]["shape"] for n in graph.graph["outputs"]]
    assert tuple(outputs[0].shape[1:]) == output_shape(graph)


@pytest.mark.slow
def test_every_node_shape_matches_pytorch(spec_path, compiled):
    """Each IR node's shape equals the shape of the tensor its module really produces."""
    _, graph, model = compiled(spec_path)
    seen = {}
    hooks = [m.register_forward_hook(lambda mod, args, out, name=name: seen.__setitem__(name, tuple(out.shape[1:])))
             for name, m in model.named_modules() if name in graph]
    with torch.inference_mode():
        model(torch.zeros(1, *graph.nodes["input"]["meta"]["shape"]))
    for hook in hooks:
        hook.remove()
    assert seen, "no module was hooked"
    mismatched = {n: (s, graph.nodes[n]["meta"]["shape"]) for n, s in seen.items()
                  if s != graph.nodes[n]["meta"]["shape"]}
    assert not mismatched
    assert set(seen) == set(graph.nodes) - {"input"}


def test_counts_match_golden_file(spec_path):
    golden = json.loads((GOLDEN / f"{spec_path.stem}.json").read_text())
    stats = archspec.stats(spec_path)
    for key in ("name", "input", "output", "outputs", "params", "macs", "macs_train", "flops", "nodes", "stages",
                "blocks"):
        assert stats[key] == golden[key], key


def test_ir_text_matches_golden_file(spec_path):
    _, graph = archspec.compile_spec(spec_path)
    assert to_text(graph) == (GOLDEN / f"{spec_path.stem}.ir.txt").read_text()


def test_state_dict_keys_follow_the_spec_hierarchy(spec_path, compiled):
    _, graph, model = compiled(spec_path)
    for key in model.state_dict():
        node = key.rsplit(".", 1)[0]
        assert node in graph, key
