"""archspec.import_weights on models written by hand in plain PyTorch: other names, another definition
and execution order of branches; the import pairs tensors by structure, and the archspec model then
computes what the hand-written one computes. Mismatches are named in the report."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import archspec
from archspec.interop import WeightMismatch
from archspec.interop.synthetic import synthetic_input
from archspec.interop.trace import Trace, trace_module

from ..conftest import ROOT

SMALL = {"depths": [1, 1, 1, 1], "size": 32, "classes": 10}  # specs/resnet50.yaml, one bottleneck a stage


def conv_bn(cin, cout, kernel=1, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout))


class Bottleneck(nn.Module):
    """ResNet v1.5 written another way: the projection defined and run first, other names."""

    def __init__(self, cin, width, stride, mid=None):
        super().__init__()
        mid = mid or width
        self.proj = conv_bn(cin, 4 * width, 1, stride) if stride != 1 or cin != 4 * width else None
        self.expand = conv_bn(width, 4 * width)
        self.spatial = conv_bn(mid, width, 3, stride)
        self.reduce = conv_bn(cin, mid)

    def forward(self, x):
        skip = x if self.proj is None else self.proj(x)
        y = F.relu(self.reduce(x))
        y = F.relu(self.spatial(y))
        return F.relu(skip + self.expand(y))


class HandNet(nn.Module):
    def __init__(self, classes=10, mid=None, extra=False):
        super().__init__()
        self.classifier = nn.Linear(2048, classes)
        cin, blocks = 64, []
        for i, width in enumerate((64, 128, 256, 512)):
            blocks.append(Bottleneck(cin, width, 1 if i == 0 else 2, mid if i == 1 else None))
            cin = 4 * width
        self.body = nn.Sequential(*blocks)
        self.extra = conv_bn(64, 64, 3) if extra else None
        self.stem = conv_bn(3, 64, 7, 2)

    def forward(self, x):
        x = F.relu(self.stem(x))
        if self.extra is not None:
            x = F.relu(self.extra(x))
        x = self.body(F.max_pool2d(x, 3, 2, 1))
        return self.classifier(x.mean((2, 3)))


def randomized(model: nn.Module) -> nn.Module:
    """Weights and BN statistics away from their initial values, so that a wrong pairing shows."""
    torch.manual_seed(1)
    with torch.no_grad():
        for key, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.5 if key.endswith(("running_var", "bn.weight", ".1.weight"))
                        else torch.randn_like(t) * 0.1)
    return model.eval()


def small_resnet():
    return archspec.build_model(ROOT / "specs" / "resnet50.yaml", SMALL, seed=0).eval()


def test_a_handwritten_resnet_loads_by_structure_and_computes_the_same():
    theirs = randomized(HandNet())
    ours = small_resnet()
    report = archspec.import_weights(ours, theirs)
    assert report.ok and report.loaded and report.structure_checked and not report.ambiguous
    assert report.mapping()["layer1.blocks.0.shortcut.conv.weight"] == "body.0.proj.0.weight"
    assert report.mapping()["layer2.blocks.0.conv1.bn.running_var"] == "body.1.reduce.1.running_var"
    assert report.mapping()["head.fc.weight"] == "classifier.weight"
    x = synthetic_input((2, 3, 32, 32))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    assert f"35 slots ({len(theirs.state_dict())} tensors) matched by structure" in str(report)


def test_one_width_that_differs_is_named_and_nothing_is_loaded():
    ours = small_resnet()
    before = {k: v.clone() for k, v in ours.state_dict().items()}
    with pytest.raises(WeightMismatch, match=r"ours 'layer2\.blocks\.0\.conv1\.conv' / theirs 'body\.1\.reduce\.0'"
                                             r": conv shape differs") as caught:
        archspec.import_weights(ours, randomized(HandNet(mid=96)))
    report = caught.value.report
    bad = {(p.ours, p.theirs) for p in report.pairs if p.problem}
    assert bad == {("layer2.blocks.0.conv1.conv", "body.1.reduce.0"), ("layer2.blocks.0.conv1.bn", "body.1.reduce.1"),
                   ("layer2.blocks.0.conv2.conv", "body.1.spatial.0")}
    assert not report.unmatched and not report.loaded
    assert all(torch.equal(before[k], v) for k, v in ours.state_dict().items())
    assert "MISMATCH" in report.table() and "(128, 256, 1, 1)" in report.table() and "(96, 256, 1, 1)" in report.table()


def test_non_strict_loads_what_matched():
    ours = small_resnet()
    theirs = randomized(HandNet(mid=96))
    report = archspec.import_weights(ours, theirs, strict=False)
    assert report.loaded and len([p for p in report.pairs if p.problem]) == 3
    assert torch.equal(ours.state_dict()["head.fc.weight"], theirs.classifier.weight)
    assert not torch.equal(ours.state_dict()["layer2.blocks.0.conv1.conv.weight"][:1], theirs.body[1].reduce[0].weight[:1])


def test_an_extra_layer_has_no_counterpart():
    with pytest.raises(WeightMismatch) as caught:
        archspec.import_weights(small_resnet(), randomized(HandNet(extra=True)))
    report = caught.value.report
    assert {(u.side, u.slot) for u in report.unmatched} == {("theirs", "extra.0"), ("theirs", "extra.1")}
    assert all("no counterpart" in u.reason for u in report.unmatched)
    text = str(report)
    assert "UNMATCHED" in text and "extra.0" in text


TWIN = """archspec: 1
name: twin
input: [3, 12, 12]
defaults:
  conv: {padding: same}
network:
  - conv: 3x3 8
  - concat:
      - conv: 3x3 8
      - conv: 3x3 8
  - global_avgpool
  - linear: 5
"""


class Twin(nn.Module):
    """Two parallel branches of equal shapes, defined right first; `swap` runs right first too."""

    def __init__(self, swap=False):
        super().__init__()
        self.swap = swap
        self.fc = nn.Linear(16, 5)
        self.right, self.left = conv_bn(8, 8, 3), conv_bn(8, 8, 3)
        self.stem = conv_bn(3, 8, 3)

    def forward(self, x):
        x = F.relu(self.stem(x))
        if self.swap:
            b = F.relu(self.right(x))
            a = F.relu(self.left(x))
        else:
            a = F.relu(self.left(x))
            b = F.relu(self.right(x))
        return self.fc(torch.cat([a, b], 1).mean((2, 3)))


@pytest.fixture
def twin_spec(tmp_path):
    path = tmp_path / "twin.yaml"
    path.write_text(TWIN)
    return path


def test_look_alike_branches_are_paired_in_execution_order_and_reported(twin_spec):
    ours = archspec.build_model(twin_spec, seed=0).eval()
    theirs = randomized(Twin())
    report = archspec.import_weights(ours, theirs)
    assert report.ok and report.mapping()["branch0.conv.weight"] == "left.0.weight"
    assert len(report.ambiguous) == 1 and "ours 'branch0.conv' = theirs 'left.0'" in report.ambiguous[0]
    assert "ambiguous (paired in execution order)" in str(report)
    x = synthetic_input((2, 3, 12, 12))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))


def test_look_alike_branches_run_in_another_order_are_flagged(twin_spec):
    """Structure cannot tell the branches apart: the report says so (and the outputs then differ)."""
    ours = archspec.build_model(twin_spec, seed=0).eval()
    theirs = randomized(Twin(swap=True))
    report = archspec.import_weights(ours, theirs)
    assert report.mapping()["branch0.conv.weight"] == "right.0.weight" and report.ambiguous
    x = synthetic_input((2, 3, 12, 12))
    with torch.no_grad():
        assert not torch.allclose(ours(x), theirs(x))


class ChannelsLastMLP(nn.Module):
    """A 1x1-conv pair written as nn.Linear on channels-last maps (as timm's ConvNeXt MLP)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3)
        self.fc1, self.fc2 = nn.Linear(8, 16), nn.Linear(16, 8)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.stem(x).permute(0, 2, 3, 1)
        x = self.fc2(F.gelu(self.fc1(x))).permute(0, 3, 1, 2)
        return self.fc(x.mean((2, 3)))


def test_a_linear_fills_a_1x1_conv(tmp_path):
    spec = tmp_path / "mlp.yaml"
    spec.write_text("archspec: 1\nname: mlp\ninput: [3, 10, 10]\ndefaults:\n  conv: {bias: true, bn: false}\nnetwork:\n"
                    "  - {conv: {out: 8, kernel: 3, act: none}}\n  - {conv: {out: 16, kernel: 1, act: gelu}}\n"
                    "  - {conv: {out: 8, kernel: 1, act: none}}\n  - global_avgpool\n  - linear: 5\n")
    ours = archspec.build_model(spec, seed=0).eval()
    theirs = randomized(ChannelsLastMLP())
    report = archspec.import_weights(ours, theirs)
    assert report.ok, str(report)
    x = synthetic_input((2, 3, 10, 10))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


def test_a_state_dict_alone_pairs_by_key_order_and_says_structure_was_not_checked():
    theirs = randomized(HandNet())  # its keys are in another order than ours: shapes do not line up
    with pytest.raises(WeightMismatch) as caught:
        archspec.import_weights(small_resnet(), theirs.state_dict())
    assert not caught.value.report.structure_checked
    assert "structure NOT checked" in str(caught.value.report)


def test_a_trace_round_trips_through_json_and_stands_in_for_the_module():
    theirs = randomized(HandNet())
    trace = trace_module(theirs, synthetic_input((1, 3, 32, 32)))
    assert Trace.from_json(trace.to_json()) == trace
    ours = small_resnet()
    report = archspec.import_weights(ours, theirs.state_dict(), trace=trace.to_json())
    assert report.ok and report.structure_checked
    x = synthetic_input((2, 3, 32, 32))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


def test_a_state_dict_that_is_not_the_traced_one_is_refused():
    theirs = randomized(HandNet())
    trace = trace_module(theirs, synthetic_input((1, 3, 32, 32)))
    state = theirs.state_dict()
    del state["classifier.bias"]
    with pytest.raises(WeightMismatch, match=r"the state_dict lacks 'classifier\.bias'"):
        archspec.import_weights(small_resnet(), state, trace=trace)


def test_a_model_without_input_shape_needs_an_example_input():
    with pytest.raises(ValueError, match="example_input"):
        archspec.import_weights(Twin(), Twin())
    report = archspec.import_weights(Twin(), randomized(Twin()), example_input=torch.zeros(1, 3, 12, 12))
    assert report.ok
    source = randomized(Twin())  # a state_dict alone is paired without running anything: no input needed
    ours = Twin()
    report = archspec.import_weights(ours, source.state_dict())
    assert report.ok and not report.structure_checked
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), source.state_dict().values()))


def test_tracing_changes_nothing_in_the_model():
    model = HandNet().train()
    model.stem[1].eval()  # a frozen batch norm stays frozen
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trace = trace_module(model, synthetic_input((2, 3, 32, 32)))
    assert model.training and model.body[0].reduce[1].training and not model.stem[1].training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # no running stat moved
    assert [s.name for s in trace.slots if s.order is None] == []
    assert trace.outputs == ["classifier"] and trace.by_name()["stem.0"].inputs == ["<input>"]


def test_models_in_other_dtypes_are_traced_at_their_own_dtype():
    source = randomized(HandNet()).double()
    model = HandNet().to(torch.bfloat16)
    report = archspec.import_weights(model, source, example_input=synthetic_input((1, 3, 32, 32)))  # float32
    assert report.ok and model.stem[0].weight.dtype == torch.bfloat16
    assert torch.equal(model.stem[0].weight, source.stem[0].weight.to(torch.bfloat16))


def test_a_malformed_trace_is_a_clear_error():
    from archspec.interop.trace import FORMAT
    model = HandNet()
    x = synthetic_input((1, 3, 32, 32))
    for broken in ({"format": FORMAT}, {"format": FORMAT, "outputs": [], "slots": [{"name": "stem.0"}]},
                   {"format": FORMAT, "outputs": [], "slots": 3}):
        with pytest.raises(ValueError, match="malformed slot trace"):
            archspec.import_weights(model, model.state_dict(), example_input=x, trace=broken)
    with pytest.raises(TypeError, match=r"trace must be a Trace or its JSON \(a mapping\), got str"):
        archspec.import_weights(model, model.state_dict(), example_input=x, trace="trace.json")
