"""Every registered op, on the sample configurations its own module supplies: shape against a real torch
forward, params against numel, MACs against FlopCounterMode / 2, a diagram label and category, the
IR JSON round trip, and the sample network under torch.jit.script and a torch.save/load round trip.
An op registered without samples (or any other piece) fails here or at registration."""
from __future__ import annotations

import io
import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import archspec
from archspec.backends.graphviz.labels import CATEGORIES as COLOURS
from archspec.backends.torch.network import module_from_graph
from archspec.ir.graph import from_json, lint, to_json, to_text
from archspec.ops import CATEGORIES, ITEMS, OPS, OpDef, OpError, Sample, register_op

CASES = [(name, i) for name in sorted(OPS) for i in range(len(OPS[name].samples))]


def compile_sample(tmp_path, sample: Sample):
    """Compile a one-off spec: the sample's input, then its items (JSON is YAML)."""
    path = tmp_path / "sample.yaml"
    path.write_text(json.dumps({"name": "sample", "input": list(sample.input), "network": list(sample.items)}))
    return archspec.compile_spec(path)[1]


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_has_several_samples_a_category_with_a_colour(name):
    op = OPS[name]
    assert len(op.samples) >= 2, f"{name}: give at least two sample configurations"
    assert op.category in CATEGORIES and op.category in COLOURS


def test_every_item_refuses_unknown_arguments():
    assert {key for key, item in ITEMS.items() if item.model.model_config.get("extra") != "forbid"} == set()


def test_every_item_key_is_used_by_a_sample():
    used = {next(iter(i)) if isinstance(i, dict) else i
            for op in OPS.values() for s in op.samples for i in s.items}
    assert set(ITEMS) - used == set()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # jit is deprecated, but the issue asks for it
@pytest.mark.parametrize("name,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_op_sample_matches_pytorch(name, index, tmp_path):
    op = OPS[name]
    graph = compile_sample(tmp_path, op.samples[index])
    nodes = [n for n in graph.nodes if graph.nodes[n]["op"] == name]
    assert nodes, f"sample {index} of {name} produces no {name} node"
    assert lint(graph) == []
    for node in nodes:
        data, meta = graph.nodes[node], graph.nodes[node]["meta"]
        assert isinstance(op.label(data["attrs"]), str) and op.label(data["attrs"])
        if op.arity == 0:
            assert meta["shape"] == tuple(op.samples[index].input)
            continue
        shapes = [graph.nodes[i]["meta"]["shape"] for i in data["inputs"]]
        torch.manual_seed(0)
        module = op.lower(dict(data["attrs"]), shapes).eval()
        xs = [torch.randn(1, *s) for s in shapes]
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            y = module(xs) if op.arity is None else module(*xs)  # multi-input modules take a list
        assert tuple(y.shape[1:]) == meta["shape"], node
        assert sum(p.numel() for p in module.parameters() if p.requires_grad) == meta["params"], node
        assert sum(b.numel() for b in module.buffers()) == op.buffers(data["attrs"]), node
        assert counter.get_total_flops() // 2 == meta["macs"], node
    model = module_from_graph(graph, seed=0).eval()  # the whole sample network runs, scripts and pickles
    x = torch.randn(2, *op.samples[index].input)
    with torch.no_grad():
        y = model(x)
        torch.testing.assert_close(torch.jit.script(model)(x), y)
        buffer = io.BytesIO()
        torch.save(model, buffer)
        buffer.seek(0)
        torch.testing.assert_close(torch.load(buffer, weights_only=False)(x), y)
    back = from_json(json.loads(json.dumps(to_json(graph))))
    assert to_text(back) == to_text(graph)
    for node in graph.nodes:  # tuples stay tuples: == tells (1, 1) from [1, 1]
        assert back.nodes[node]["attrs"] == graph.nodes[node]["attrs"], node


def _incomplete(**overrides):
    body = {"name": "half_op", "category": "other", "samples": (Sample((1, 1, 1), ("identity",)),),
            "label": lambda self, attrs: "half", "lower": lambda self, attrs, inputs: None}
    body.update(overrides)
    return type("HalfOp", (OpDef,), {k: v for k, v in body.items() if v is not None})


@pytest.mark.parametrize("missing", ["samples", "label", "lower", "category"])
def test_an_op_cannot_be_half_added(missing):
    with pytest.raises(OpError, match="half_op"):
        register_op(_incomplete(**{missing: None}))
    assert "half_op" not in OPS


def test_an_op_with_items_needs_attrs_and_args_and_a_free_key():
    with pytest.raises(OpError, match="attrs, args"):
        register_op(_incomplete(items={"half": "x"}))
    with pytest.raises(OpError, match="composite or modifier"):
        register_op(_incomplete(items={"concat": "x"}, args=ITEMS["identity"].model,
                                attrs=lambda self, key, args, shape: {}))
    with pytest.raises(OpError, match="already taken"):
        register_op(_incomplete(items={"linear": "x"}, args=ITEMS["identity"].model,
                                attrs=lambda self, key, args, shape: {}))
    assert "half_op" not in OPS


def test_the_ops_table_in_the_docs_is_the_registrys():
    """docs/spec-language.md's table is what scripts/gen_ops_table.py writes from the registry."""
    import importlib.util
    from ..conftest import ROOT
    loader = importlib.util.spec_from_file_location("gen_ops_table", ROOT / "scripts" / "gen_ops_table.py")
    script = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(script)
    text = script.DOC.read_text()
    assert script.with_table(text) == text, "run scripts/gen_ops_table.py"
