"""`init:`: the initialised tensors have the statistics of the formula, deterministically under `seed`,
with block- and item-level mappings over the file's, zero_init_last, and located mistakes."""
from __future__ import annotations

import json
import math

import pytest
import torch
from torch.nn import init as torch_init

import archspec
from archspec.analysis.report import init_rows
from archspec.ir.graph import from_json, to_json
from archspec.ops._init_fns import INIT_FNS

from ..conftest import ROOT

# One big conv (256 -> 512, 3x3: 1,179,648 weights) so a sample std is within 1% of its formula.
SPEC = """
name: t
input: [256, 8, 8]
init:
  conv: {{weight: {conv}, bias: {bias}}}
  linear: {linear}
  bn: {{weight: ones, bias: zeros}}
network:
  - {{conv: 3x3 512 same bias=true act=none, name: big}}
head:
  - global_avgpool
  - {{linear: 100, name: fc}}
"""


def build(write_spec, conv="default", bias="default", linear="default", seed=0, text=None):
    path = write_spec(text or SPEC.format(conv=conv, bias=bias, linear=linear))
    return archspec.build_model(path, seed=seed)


FAN_IN, FAN_OUT = 256 * 9, 512 * 9


@pytest.mark.parametrize("conv, expected_std", [
    ("{fn: kaiming_normal, mode: fan_out, nonlinearity: relu}", math.sqrt(2 / FAN_OUT)),
    ("{fn: kaiming_normal, mode: fan_in, nonlinearity: relu}", math.sqrt(2 / FAN_IN)),
    ("kaiming_normal", math.sqrt(2 / FAN_IN)),  # PyTorch's defaults: fan_in, leaky_relu with slope 0
    ("{fn: kaiming_uniform, mode: fan_out, nonlinearity: linear}", math.sqrt(1 / FAN_OUT)),
    ("{fn: xavier_normal, gain: 2.0}", 2 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("xavier_uniform", math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("{fn: normal, std: 0.05}", 0.05),
    ("{fn: uniform, a: -0.3, b: 0.3}", 0.6 / math.sqrt(12)),
])
def test_weight_std_follows_the_formula(write_spec, conv, expected_std):
    weight = build(write_spec, conv=conv).big.conv.weight
    assert weight.std().item() == pytest.approx(expected_std, rel=0.01)
    assert abs(weight.mean().item()) < 0.01 * expected_std * 10


def test_uniform_and_kaiming_uniform_stay_within_their_bounds(write_spec):
    weight = build(write_spec, conv="{fn: kaiming_uniform, mode: fan_out, nonlinearity: relu}").big.conv.weight
    bound = math.sqrt(6 / FAN_OUT)  # gain sqrt(2) * sqrt(3 / fan)
    assert weight.abs().max().item() <= bound
    assert weight.abs().max().item() > 0.99 * bound


def test_trunc_normal_respects_its_cutoffs(write_spec):
    weight = build(write_spec, conv="{fn: trunc_normal, std: 1.0, a: -0.5, b: 0.25}").big.conv.weight
    assert weight.min().item() >= -0.5 and weight.max().item() <= 0.25
    assert weight.min().item() < -0.499 and weight.max().item() > 0.249  # the whole interval is used
    # timm's convention: a and b are absolute, so std 0.1 with the default -2, 2 is a plain normal(0.1)
    wide = build(write_spec, conv="{fn: trunc_normal, std: 0.1}").big.conv.weight
    assert wide.std().item() == pytest.approx(0.1, rel=0.01)


def test_zeros_ones_and_constant_are_exact(write_spec):
    model = build(write_spec, conv="zeros", bias="{fn: constant, value: 0.25}", linear="ones")
    assert torch.equal(model.big.conv.weight, torch.zeros_like(model.big.conv.weight))
    assert torch.equal(model.big.conv.bias, torch.full((512,), 0.25))
    assert torch.equal(model.head.fc.weight, torch.ones(100, 512))


def test_default_keeps_pytorchs_initialisation(write_spec):
    """`default` leaves the module as PyTorch built it: the same tensors as no init at all."""
    plain = SPEC.format(conv="default", bias="default", linear="default").replace("init:", "unused:")
    plain = "\n".join(line for line in plain.splitlines() if not line.startswith(("unused:", "  conv:", "  linear:",
                                                                                  "  bn:")))
    with_default = build(write_spec, seed=3)
    without = build(write_spec, seed=3, text=plain)
    assert all(torch.equal(a, b) for a, b in zip(with_default.state_dict().values(), without.state_dict().values()))


def test_same_seed_same_weights_other_seed_other_weights(write_spec):
    a = build(write_spec, conv="kaiming_normal", linear="{fn: trunc_normal, std: 0.02}", seed=1).state_dict()
    b = build(write_spec, conv="kaiming_normal", linear="{fn: trunc_normal, std: 0.02}", seed=1).state_dict()
    c = build(write_spec, conv="kaiming_normal", linear="{fn: trunc_normal, std: 0.02}", seed=2).state_dict()
    assert all(torch.equal(b[k], v) for k, v in a.items())
    assert not torch.equal(a["big.conv.weight"], c["big.conv.weight"])
    assert not torch.equal(a["head.fc.weight"], c["head.fc.weight"])


BLOCKS = """
name: t
input: [64, 8, 8]
init:
  conv: {fn: normal, std: 0.5}
  zero_init_last: true
blocks:
  basic:
    init:
      conv: {fn: normal, std: 0.01}
      last: {conv: zeros}
    body:
      - residual:
          body: [conv: 3x3 64 same, {conv: 3x3 64 same act=none, name: last}]
          act: relu
network:
  - {conv: 1x1 64, name: stem}
  - basic x2
"""


def test_block_init_overrides_the_file_and_an_item_init_overrides_the_block(write_spec):
    model = archspec.build_model(write_spec(BLOCKS), seed=0)
    assert model.stem.conv.weight.std().item() == pytest.approx(0.5, rel=0.05)  # the file's
    for i in range(2):
        block = model.get_submodule(f"basic.{i}")
        assert block.conv.conv.weight.std().item() == pytest.approx(0.01, rel=0.02)  # the block's
        assert torch.equal(block.last.conv.weight, torch.zeros_like(block.last.conv.weight))  # the item's


def test_zero_init_last_zeroes_the_last_bn_of_each_residual_body_only(write_spec):
    model = archspec.build_model(write_spec(BLOCKS), seed=0)
    for i in range(2):
        assert torch.equal(model.get_submodule(f"basic.{i}").last.bn.weight, torch.zeros(64))
        assert torch.equal(model.get_submodule(f"basic.{i}").conv.bn.weight, torch.ones(64))
        assert torch.equal(model.get_submodule(f"basic.{i}").last.bn.bias, torch.zeros(64))
    assert torch.equal(model.stem.bn.weight, torch.ones(64))
    x = torch.randn(2, 64, 8, 8)  # each block starts as relu(shortcut): relu is idempotent
    model.eval()
    stem = model.stem(x)
    assert torch.allclose(model.basic(stem), stem)


def test_zero_init_last_can_be_turned_off_in_a_block(write_spec):
    text = BLOCKS.replace("      last: {conv: zeros}", "      zero_init_last: false")
    model = archspec.build_model(write_spec(text), seed=0)
    assert torch.equal(model.get_submodule("basic.0").last.bn.weight, torch.ones(64))


def test_zero_init_last_on_a_body_without_a_final_norm_is_a_located_error(write_spec):
    path = write_spec((ROOT / "specs" / "preact_resnet18.yaml").read_text()
                      .replace("zero_init_last: false", "zero_init_last: true")
                      .replace("lib/preact.yaml", str(ROOT / "specs" / "lib" / "preact.yaml")))
    with pytest.raises(archspec.SpecError) as err:
        archspec.compile_spec(path)
    diags = {str(d) for d in err.value.diagnostics}
    assert len(diags) == 1, diags  # one message for the block's residual, however often it is used
    diag = err.value.diagnostics[0]
    assert "preact.yaml" in str(diag.location) and diag.path[-1] == "residual"
    assert "ends in conv2d" in diag.message and "zero_init_last: false" in diag.hint


@pytest.mark.parametrize("text, where, message, hint", [
    ("  conv: kaiming_normel\n", ("init", "conv"), "unknown initialiser 'kaiming_normel'",
     "did you mean 'kaiming_normal'?"),
    ("  conv: {fn: trunc_norm, std: 0.1}\n", ("init", "conv", "fn"), "unknown initialiser 'trunc_norm'",
     "did you mean 'trunc_normal'?"),
    ("  convv: zeros\n", ("init", "convv"), "'convv' is not an op with weights", "did you mean 'conv'?"),
    ("  conv: {fn: normal, stdd: 0.1}\n", ("init", "conv", "stdd"), "unknown key 'stdd'", "did you mean 'std'?"),
    ("  conv: {weight: zeros, baias: zeros}\n", ("init", "conv", "baias"), "unknown key 'baias'",
     "did you mean 'bias'?"),
    ("  relu: zeros\n", ("init", "relu"), "'relu' has no weights to initialise", None),
    ("  zero_init_last: yes please\n", ("init", "zero_init_last"), "zero_init_last must be true or false", None),
    ("  conv: {fn: normal, std: -1}\n", ("init", "conv", "std"), "greater than 0", None),
    ("  conv: {fn: trunc_normal, a: 1, b: 0}\n", ("init", "conv"), "a < mean < b", None),
])
def test_init_mistakes_are_located_with_did_you_mean(write_spec, text, where, message, hint):
    path = write_spec("name: t\ninput: [3, 8, 8]\ninit:\n" + text + "network: [conv: 3x3 4]\n")
    with pytest.raises(archspec.SpecError) as err:
        archspec.load_spec(path)
    (diag,) = err.value.diagnostics
    assert diag.path == where and message in diag.message
    assert diag.location.line == 4
    assert diag.hint == hint or (hint is None)


def test_an_item_name_in_init_must_name_an_item_of_that_body(write_spec):
    path = write_spec(BLOCKS.replace("      last: {conv: zeros}", "      lats: {conv: zeros}"))
    with pytest.raises(archspec.SpecError) as err:
        archspec.load_spec(path)
    (diag,) = err.value.diagnostics
    assert diag.path == ("blocks", "basic", "init", "lats") and diag.hint == "did you mean 'last'?"


def test_the_ir_records_the_init_and_json_round_trips_it(write_spec):
    _, graph = archspec.compile_spec(write_spec(BLOCKS))
    assert graph.nodes["basic.0.last.bn"]["init"]["weight"] == {"fn": "zeros", "why": "zero_init_last"}
    assert graph.nodes["stem.conv"]["init"] == {"weight": {"fn": "normal", "mean": 0.0, "std": 0.5}}
    assert "init" not in graph.nodes["stem.bn"]  # PyTorch's default: nothing recorded
    _, preact = archspec.compile_spec(ROOT / "specs" / "preact_resnet18.yaml")  # `bias: zeros`, no conv has one
    assert all("bias" not in preact.nodes[n].get("init", {}) for n in preact.nodes if preact.nodes[n]["op"] == "conv2d")
    again = from_json(json.loads(json.dumps(to_json(graph))))
    assert [again.nodes[n].get("init") for n in again.nodes] == [graph.nodes[n].get("init") for n in graph.nodes]
    assert json.dumps(to_json(again)) == json.dumps(to_json(graph))


def test_features_only_models_are_initialised_too(write_spec):
    backbone = archspec.build_model(write_spec(BLOCKS), seed=0, features_only=True)
    assert torch.equal(backbone.get_submodule("basic.1").last.bn.weight, torch.zeros(64))


def test_every_initialiser_is_a_torch_nn_init_function():
    for name, model in INIT_FNS.items():
        assert model.torch is None if name == "default" else callable(getattr(torch_init, model.torch))


# ---------------------------------------------------------------------------- the shipped specs

def _std(t: torch.Tensor) -> float:
    return t.float().std().item()


def test_wrn_is_initialised_as_the_official_code():
    """szagoruyko/wide-residual-networks models/utils.lua (the paper's code): MSRinit N(0, 2/(k*k*out))
    convs, FCinit's zero fc bias over Torch7's U(+-1/sqrt(in)) fc weight, BN weight U(0, 1), bias 0."""
    model = archspec.build_model(ROOT / "specs" / "wrn.yaml", {"depth": 16, "k": 4}, seed=0)
    conv = model.get_submodule("stage3.blocks.1.convs.1.conv.conv").weight  # 256 -> 256, 3x3
    assert _std(conv) == pytest.approx(math.sqrt(2 / (256 * 9)), rel=0.02)
    widening = model.get_submodule("stage3.blocks.0.convs.0.conv.conv").weight  # 128 -> 256: fan_out, not fan_in
    assert tuple(widening.shape) == (256, 128, 3, 3)
    assert _std(widening) == pytest.approx(math.sqrt(2 / (256 * 9)), rel=0.02)
    fc = model.head.fc.weight
    assert fc.abs().max().item() <= 1 / math.sqrt(256) and _std(fc) == pytest.approx(1 / math.sqrt(3 * 256), rel=0.1)
    assert torch.equal(model.head.fc.bias, torch.zeros(10))
    bn = model.head.bn.weight
    assert 0 <= bn.min().item() and bn.max().item() < 1 and _std(bn) == pytest.approx(1 / math.sqrt(12), rel=0.2)
    assert torch.equal(model.head.bn.bias, torch.zeros(256))


def test_preact_resnet18_is_initialised_as_timms_resnetv2():
    model = archspec.build_model(ROOT / "specs" / "preact_resnet18.yaml", seed=0)
    conv = model.get_submodule("stage4.blocks.1.convs.1.conv.conv").weight  # 512 -> 512, 3x3: fan_out 4608
    assert _std(conv) == pytest.approx(math.sqrt(2 / (512 * 9)), rel=0.01)
    assert _std(model.head.fc.weight) == pytest.approx(0.01, rel=0.01)
    assert torch.equal(model.head.fc.bias, torch.zeros(1000))


def test_inception_v3_is_initialised_as_timm_with_the_aux_heads_stddevs():
    """timm 1.0.31 measured (seed 0): every conv weight std 0.100 (the aux conv1 too: its stddev=0.01 sits on
    the ConvNormAct wrapper, which the init loop never reads), fc 0.100, aux fc 0.00100."""
    model = archspec.build_model(ROOT / "specs" / "inception_v3.yaml", {"aux": True}, seed=0)
    assert _std(model.get_submodule("mixed_7c.branch3.1.conv").weight) == pytest.approx(0.1, rel=0.01)  # 2048 -> 192
    assert _std(model.head.fc.weight) == pytest.approx(0.1, rel=0.01)
    assert _std(model.aux_logits.conv0.conv.weight) == pytest.approx(0.1, rel=0.02)
    assert _std(model.aux_logits.conv1.conv.weight) == pytest.approx(0.1, rel=0.01)
    assert _std(model.aux_logits.fc.weight) == pytest.approx(0.001, rel=0.01)


def test_summary_and_stats_state_the_init():
    from archspec.cli.tables import summary_text
    _, graph = archspec.compile_spec(ROOT / "specs" / "preact_resnet18.yaml")
    rows = init_rows(graph)
    assert {"op": "conv2d", "tensor": "weight", "init": "kaiming_normal(mode=fan_out, nonlinearity=relu, a=0.0)",
            "nodes": 20} in rows
    text = summary_text("preact_resnet18", graph)
    assert "linear.weight" in text and "normal(mean=0.0, std=0.01)" in text
    assert archspec.stats(ROOT / "specs" / "inception_v4.yaml")["init"] == []
    _, v4 = archspec.compile_spec(ROOT / "specs" / "inception_v4.yaml")
    assert "init: PyTorch's defaults" in summary_text("inception_v4", v4)


def test_the_docs_example_builds_as_it_says(write_spec):
    text = (ROOT / "docs" / "spec-language.md").read_text().split("## Initialisation", 1)[1]
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    model = archspec.build_model(write_spec(example), seed=0)
    conv = model.get_submodule("basic.1.conv_2.conv").weight  # 64 -> 64, 3x3, fan_out 576
    assert _std(conv) == pytest.approx(math.sqrt(2 / 576), rel=0.1)
    assert torch.equal(model.get_submodule("basic.1.conv_2.bn").weight, torch.zeros(64))
    assert _std(model.classifier.conv.conv.weight) == pytest.approx(0.01, rel=0.1)
    assert _std(model.classifier.fc.weight) == pytest.approx(0.001, rel=0.1)
    assert torch.equal(model.classifier.fc.bias, torch.zeros(10))


def test_a_tensor_mapping_without_fn_is_a_located_error(write_spec):
    path = write_spec("name: t\ninput: [3, 8, 8]\ninit:\n  conv: {weight: {std: 0.1}}\nnetwork: [conv: 3x3 4]\n")
    with pytest.raises(archspec.SpecError) as err:
        archspec.load_spec(path)
    (diag,) = err.value.diagnostics
    assert diag.path == ("init", "conv", "weight") and "missing required key 'fn'" in diag.message


def test_a_library_block_carries_its_own_init_and_default_restores_pytorchs(write_spec):
    write_spec("""
blocks:
  head_block:
    init:
      linear: {fn: constant, value: 0.5}
      conv: default
    body: [{conv: 1x1 8, name: proj}, global_avgpool, {linear: 4, name: fc}]
""", name="lib.yaml")
    path = write_spec("""
name: t
imports: [lib.yaml]
input: [3, 8, 8]
init:
  conv: zeros
  linear: zeros
network: [{conv: 1x1 8, name: stem}, head_block]
""")
    model = archspec.build_model(path, seed=0)
    assert torch.equal(model.stem.conv.weight, torch.zeros(8, 3, 1, 1))
    assert torch.equal(model.head_block.fc.weight, torch.full((4, 8), 0.5))  # the library block's own
    proj = model.head_block.proj.conv.weight  # `default`: PyTorch's kaiming_uniform(a=sqrt(5)), never 0
    assert proj.abs().min().item() > 0 and proj.abs().max().item() <= 1 / math.sqrt(8)
