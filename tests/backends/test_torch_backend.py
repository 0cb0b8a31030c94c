"""The PyTorch backend: trainable, traceable, exportable, compilable, and faithful to the IR."""
from __future__ import annotations

import pytest
import torch

import archspec
from archspec.backends.torch.network import ArchNet

from ..conftest import ROOT

TINY = ROOT / "tests" / "data" / "tiny_mixed.yaml"


@pytest.fixture
def model():
    return archspec.build_model(TINY, seed=0)


def test_gradients_reach_every_parameter(model):
    model.train()
    x = torch.randn(4, 3, 24, 24)
    loss = torch.nn.functional.cross_entropy(model(x), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing


@pytest.mark.slow
def test_a_few_sgd_steps_reduce_the_loss(model):
    torch.manual_seed(0)
    x, y = torch.randn(16, 3, 24, 24), torch.randint(0, 7, (16,))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_seed_makes_weights_reproducible():
    a = archspec.build_model(TINY, seed=3).state_dict()
    b = archspec.build_model(TINY, seed=3).state_dict()
    c = archspec.build_model(TINY, seed=4).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a if a[k].is_floating_point())


def test_submodule_tree_mirrors_the_spec(model):
    names = dict(model.named_modules())
    assert type(names["res"]).__name__ == "ResStack" and type(names["res.0"]).__name__ == "Res"
    assert isinstance(names["res.0.shortcut.conv"], torch.nn.Conv2d)
    assert isinstance(names["mixed.branch1.1.conv"], torch.nn.Conv2d)
    assert "res.1.shortcut.conv" not in names  # second repeat keeps width and stride: identity shortcut


def test_torch_compile_fullgraph(model):
    model.eval()
    x = torch.randn(2, 3, 24, 24)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x))


def test_torch_export(model):
    model.eval()
    x = torch.randn(2, 3, 24, 24)
    exported = torch.export.export(model, (x,))
    torch.testing.assert_close(exported.module()(x), model(x))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the TorchScript-based exporter needs no onnxscript
def test_onnx_export_runs_in_onnxruntime_with_a_dynamic_batch(model, tmp_path):
    import onnxruntime

    model.eval()
    path = tmp_path / "tiny.onnx"
    torch.onnx.export(model, (torch.randn(2, 3, 24, 24),), str(path), dynamo=False, input_names=["x"],
                      output_names=["logits"], dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = torch.randn(5, 3, 24, 24)
    (out,) = session.run(None, {"x": x.numpy()})
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(out), model(x), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # jit is deprecated, but the issue asks for it
def test_torch_jit_trace(model):
    model.eval()
    x = torch.randn(2, 3, 24, 24)
    with torch.no_grad():
        traced = torch.jit.trace(model, (x,))
        torch.testing.assert_close(traced(x), model(x))


def test_eval_mode_is_deterministic_and_batch_independent(model):
    model.eval()
    x = torch.randn(3, 3, 24, 24)
    with torch.no_grad():
        full = model(x)
        single = torch.cat([model(x[i:i + 1]) for i in range(3)])
    torch.testing.assert_close(full, single, rtol=1e-5, atol=1e-5)


def test_forward_does_not_keep_intermediates(model):
    """A chain reuses one variable, so each intermediate dies once its last reader has run: with
    hooks counting live outputs, only a few values are alive at once, never the whole chain."""
    import weakref

    alive: list = []

    def track(module, args, out):
        if isinstance(out, torch.Tensor):
            alive.append(weakref.ref(out))

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(track) for m in leaves]
    peak = []
    handles += [m.register_forward_hook(lambda *a: peak.append(sum(r() is not None for r in alive)))
                for m in leaves]
    model.eval()
    with torch.no_grad():
        model(torch.randn(1, 3, 24, 24))
    for h in handles:
        h.remove()
    assert len(alive) > 50 and max(peak) <= 10  # keeping every intermediate would reach 50


@pytest.mark.slow
def test_in_place_relus_change_neither_outputs_nor_gradients(model):
    """Some ReLUs run in place for speed; switching them all off must give identical results."""
    relus = [m for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    assert any(r.inplace for r in relus)
    x = torch.randn(2, 3, 24, 24)

    def run():
        torch.manual_seed(0)  # same dropout mask
        model.zero_grad()
        out = model(x)
        out.square().sum().backward()
        return out.detach(), [p.grad.clone() for p in model.parameters()]

    out_a, grads_a = run()
    for r in relus:
        r.inplace = False
    out_b, grads_b = run()
    assert torch.equal(out_a, out_b)
    assert all(torch.equal(a, b) for a, b in zip(grads_a, grads_b))


def test_is_an_archnet_with_spec_name(model):
    assert isinstance(model, ArchNet) and model.spec_name == "tiny_mixed" and model.input_shape == (3, 24, 24)


@pytest.mark.slow
def test_auxiliary_head_is_returned_in_training_only():
    from torch.utils.flop_counter import FlopCounterMode

    model = archspec.build_model(ROOT / "specs" / "inception_v3.yaml", {"aux": True, "classes": 5})
    stats = archspec.stats(ROOT / "specs" / "inception_v3.yaml", {"aux": True, "classes": 5})
    x = torch.randn(2, 3, 299, 299)
    model.train()
    with FlopCounterMode(display=False) as counter:
        main, aux = model(x)
    assert main.shape == aux.shape == (2, 5)
    assert counter.get_total_flops() // 2 == 2 * stats["macs_train"]
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(x)
    assert isinstance(out, torch.Tensor) and out.shape == (2, 5)
    assert counter.get_total_flops() // 2 == 2 * stats["macs"]
