"""The built model behaves like any well-made PyTorch model: a real module hierarchy (hooks, calls,
swaps, SyncBN, replicas, DDP, jit.script) and timm's model API (forward_features, forward_head,
reset_classifier, features_only, feature_info)."""
from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

import archspec
from archspec import SpecError

from ..conftest import ROOT

TINY = ROOT / "tests" / "data" / "tiny_mixed.yaml"
V4 = ROOT / "specs" / "inception_v4.yaml"
SMALL_V4 = {"size": 160}  # every shape rule still applies; the forward is four times cheaper


@pytest.fixture(scope="module")
def v4():
    return archspec.build_model(V4, SMALL_V4, seed=0).eval()


@pytest.fixture
def tiny():
    return archspec.build_model(TINY, seed=0).eval()


def _x(model, batch=2):
    torch.manual_seed(1)
    return torch.randn(batch, *model.input_shape)


def test_forward_hooks_fire_on_block_uses_and_composites(v4):
    seen = []
    handles = [v4.get_submodule(name).register_forward_hook(lambda m, a, out, n=name: seen.append((n, out.shape)))
               for name in ("stem", "inception_a.2", "inception_a.2.branch1", "reduction_b", "head")]
    with torch.no_grad():
        v4(_x(v4, 1))
    for h in handles:
        h.remove()
    shapes = dict(seen)
    assert [n for n, _ in seen] == ["stem", "inception_a.2.branch1", "inception_a.2", "reduction_b", "head"]
    assert shapes["stem"][1] == 384 and shapes["inception_a.2.branch1"][1] == 96 and shapes["head"] == (1, 1000)


def test_blocks_run_on_their_own(v4):
    x = _x(v4, 1)
    with torch.no_grad():
        stem = v4.stem(x)
        a = v4.inception_a(stem)
        a2 = v4.get_submodule("inception_a.2")(stem)
        features = v4.forward_features(x)
    assert stem.shape[1:] == (384, 17, 17) and a.shape == a2.shape == stem.shape
    assert features.shape[1] == 1536


def test_forward_is_forward_head_of_forward_features(v4):
    x = _x(v4)
    with torch.no_grad():
        logits = v4(x)
        torch.testing.assert_close(v4.forward_head(v4.forward_features(x)), logits)
        pre = v4.forward_head(v4.forward_features(x), pre_logits=True)
    assert pre.shape == (2, 1536)
    torch.testing.assert_close(v4.get_classifier()(pre), logits)


def test_a_swapped_module_takes_effect(tiny):
    constant = nn.Linear(16, 7)
    nn.init.zeros_(constant.weight)
    nn.init.constant_(constant.bias, 3.0)
    tiny.head.linear = constant
    with torch.no_grad():
        assert torch.equal(tiny(_x(tiny)), torch.full((2, 7), 3.0))


def test_swapping_a_block_changes_the_output(tiny):
    x = _x(tiny)
    with torch.no_grad():
        before = tiny(x)
        tiny.gate = nn.Identity()  # drop the whole squeeze-and-excitation block
        after = tiny(x)
    assert after.shape == before.shape and not torch.allclose(after, before)


def test_reset_classifier(v4):
    model = copy.deepcopy(v4)
    model.reset_classifier(10)
    x = _x(model)
    with torch.no_grad():
        assert model(x).shape == (2, 10) and model.num_classes == 10
        assert isinstance(model.get_classifier(), nn.Linear) and model.get_classifier().in_features == 1536
        model.reset_classifier(0)
        torch.testing.assert_close(model(x), model.forward_head(model.forward_features(x), pre_logits=True))


def test_sync_batchnorm_conversion_runs(tiny):
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(tiny)
    calls = []
    syncs = [m for m in converted.modules() if isinstance(m, nn.SyncBatchNorm)]
    for m in syncs:
        m.register_forward_hook(lambda *a: calls.append(1))
    assert not any(type(m) is nn.BatchNorm2d for m in converted.modules())
    with torch.no_grad():
        converted(_x(converted))  # eval mode: SyncBatchNorm runs on the CPU without a process group
    assert len(syncs) == 10 and len(calls) == 10


def test_replicas_call_their_own_modules(tiny):
    """DataParallel replicas are shallow copies with their own submodules; a copy must use them."""
    replica = copy.deepcopy(tiny)
    x = _x(tiny)
    with torch.no_grad():
        replica.head.linear.bias.fill_(100.0)
        assert not torch.allclose(tiny(x), replica(x))


def test_ddp_trains_on_the_cpu(tmp_path, tiny):
    import datetime

    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1,
                            timeout=datetime.timedelta(seconds=120))  # fail, never hang, on a loaded machine
    try:
        tiny.train()
        ddp = nn.parallel.DistributedDataParallel(tiny)
        loss = ddp(_x(tiny, 4)).logsumexp(1).mean()
        loss.backward()
        assert all(p.grad is not None for p in tiny.parameters())
    finally:
        dist.destroy_process_group()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # jit is deprecated, but the issue asks for it
def test_jit_script(tiny):
    scripted = torch.jit.script(tiny)
    x = _x(tiny)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), tiny(x))


def test_print_reads_like_the_spec(v4):
    text = repr(v4)
    assert text.startswith("InceptionV4(")
    for line in ("(stem): Stem(", "(inception_a): InceptionAStack(", "(0): InceptionA(", "(conv1): ConvBnAct(",
                 "(head): Head("):
        assert line in text


def test_features_only_default_taps():
    model = archspec.build_model(V4, SMALL_V4, seed=0, features_only=True).eval()
    info = model.feature_info
    assert info.channels() == [64, 192, 384, 1024, 1536] and info.reduction() == [2, 4, 8, 16, 32]
    assert info.module_name() == ["stem.conv3", "stem.mixed_4a", "inception_a", "inception_b", "inception_c"]
    with torch.no_grad():
        maps = model(_x(model, 1))
    assert isinstance(maps, list) and [m.shape[1] for m in maps] == info.channels()
    assert not any(k.startswith("head.") for k in model.state_dict())


def test_features_only_out_indices_drop_later_layers(v4):
    model = archspec.build_model(V4, SMALL_V4, seed=0, features_only=True, out_indices=(1, 2)).eval()
    keys = set(model.state_dict())
    assert keys < set(v4.state_dict()) and not any(k.startswith("inception_b") for k in keys)
    model.load_state_dict({k: v for k, v in v4.state_dict().items() if k in keys})
    x = _x(model, 1)
    with torch.no_grad():
        low, mid = model(x)
        torch.testing.assert_close(mid, v4.inception_a(v4.stem(x)))
    assert low.shape[1] == 192


def test_a_spec_names_its_own_taps(write_spec):
    text = TINY.read_text().replace("head:", "features: [mixed, res.0, pool]\nhead:")
    model = archspec.build_model(write_spec(text), seed=0, features_only=True).eval()
    assert model.feature_info.module_name() == ["mixed", "res.0", "pool"]
    assert model.feature_info.channels() == [24, 16, 16]
    with torch.no_grad():
        assert [m.shape[-1] for m in model(torch.randn(1, 3, 24, 24))] == [24, 12, 6]


def test_an_unknown_tap_is_a_located_error(write_spec):
    text = TINY.read_text().replace("head:", "features: [mixed, gaet]\nhead:")
    with pytest.raises(SpecError) as err:
        archspec.build_model(write_spec(text))
    message = str(err.value)
    assert "features[1]" in message and "gaet" in message and "gate" in message


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_every_shipped_spec_scripts(spec_path):
    """torch.jit.script compiles the generated forwards of every shipped spec."""
    model = archspec.build_model(spec_path, seed=0).eval()
    scripted = torch.jit.script(model)
    if model.input_shape[1] > 64:
        return  # same generated code as the small nets below; a 299x299 TorchScript run costs seconds
    x = _x(model, 1)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), model(x))


def test_torch_save_of_the_whole_model_loads_in_a_fresh_process(tiny, tmp_path):
    """Generated classes pickle as their source, so a process that never built the spec can load it."""
    import subprocess
    import sys

    x = _x(tiny)
    torch.save(tiny, tmp_path / "model.pt")
    torch.save(x, tmp_path / "x.pt")
    with torch.no_grad():
        torch.save(tiny(x), tmp_path / "want.pt")
    script = ("import torch; d = {!r}; m = torch.load(d + '/model.pt', weights_only=False); "
              "x = torch.load(d + '/x.pt'); w = torch.load(d + '/want.pt'); "
              "torch.testing.assert_close(m(x), w); print(type(m).__name__)").format(str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "TinyMixed"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_an_auxiliary_head_scripts_and_eager_training_still_returns_it():
    """TorchScript needs one output type: the scripted model runs the eval path (main output), as
    torchvision's Inception3 does; eager training returns (main, aux)."""
    model = archspec.build_model(ROOT / "specs" / "inception_v3.yaml", {"aux": True, "classes": 5}, seed=0)
    scripted = torch.jit.script(model.eval())
    x = _x(model, 1)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), model(x))
    model.train()
    main, aux = model(_x(model, 2))
    assert main.shape == aux.shape == (2, 5)
    model.eval()  # the auxiliary head is a block like any other: it runs on its own in eval mode too
    with torch.no_grad():
        assert model.aux_logits(torch.randn(1, 768, 17, 17)).shape == (1, 5)


def test_a_block_called_on_its_own_leaves_its_input_alone(write_spec):
    """A ReLU runs in place only on a value made inside its own module, never on a block's input."""
    spec = write_spec("""
name: inplace
input: [3, 8, 8]
blocks:
  blk:
    body: [relu, conv: 3x3 4 p1]
network:
  - conv: 3x3 4 p1 plain
  - blk
""")
    model = archspec.build_model(spec, seed=0).eval()
    x = torch.randn(1, 4, 8, 8)
    before = x.clone()
    with torch.no_grad():
        model.blk(x)
    assert torch.equal(x, before)


def test_an_embedding_head_has_no_classifier_to_reset(write_spec):
    text = TINY.read_text().replace("  - linear: classes", "  - linear: 8\n  - bn")
    model = archspec.build_model(write_spec(text), seed=0).eval()
    assert model.num_classes == 0
    with torch.no_grad():
        assert model(_x(model)).shape == (2, 8)
        torch.testing.assert_close(model.forward_head(model.forward_features(_x(model)), pre_logits=True),
                                   model(_x(model)))
    with pytest.raises(AttributeError, match="no linear classifier"):
        model.reset_classifier(5)


def test_default_taps_are_stage_outputs_in_a_pre_activation_net():
    """WRN's blocks normalise their input: a tap at the end of a stage, not at the next stage's
    pre-activation, keeps every tap un-normalised, as timm's stage taps are."""
    model = archspec.build_model(ROOT / "specs" / "wrn.yaml", seed=0, features_only=True)
    assert model.feature_info.module_name() == ["stage1", "stage2", "stage3"]
    assert model.feature_info.reduction() == [1, 2, 4]


@pytest.mark.parametrize("taps, message", [
    ("[mixed, mixed]", "features[1]: 'mixed' is listed twice"),
    ("[input]", "features[0]: the network input is not a feature map"),
])
def test_bad_taps_are_located_without_suggesting_themselves(write_spec, taps, message):
    text = TINY.read_text().replace("head:", f"features: {taps}\nhead:")
    with pytest.raises(SpecError) as err:
        archspec.build_model(write_spec(text))
    assert message in str(err.value) and "did you mean" not in str(err.value)
