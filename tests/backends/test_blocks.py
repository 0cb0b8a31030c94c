"""archspec.block_modules / ArchBlock: the modules of the spec's block uses, the unit to shard (FSDP, in
test_distributed.py) or to checkpoint activations of (here)."""
from __future__ import annotations

import pickle

import torch

import archspec
from archspec import ArchBlock

from ..conftest import ROOT
from ..torchutil import one_thread

TINY = ROOT / "tests" / "data" / "tiny_mixed.yaml"
IR = ROOT / "tests" / "data" / "tiny_inception_resnet.yaml"


def _names(model, modules):
    chosen = {id(m) for m in modules}
    return [name for name, m in model.named_modules() if id(m) in chosen]


def test_block_modules_are_the_block_uses():
    model = archspec.build_model(TINY, seed=0)
    assert _names(model, archspec.block_modules(model)) == ["mixed", "gate", "res.0", "res.1"]
    # repeat groups, composites, conv units and the head are plain modules
    assert not isinstance(model.res, ArchBlock) and not isinstance(model.get_submodule("res.0.shortcut"), ArchBlock)
    assert not isinstance(model.head, ArchBlock)


def test_outermost_or_every_block_use():
    model = archspec.build_model(IR, seed=0)
    outer = _names(model, archspec.block_modules(model))
    every = _names(model, archspec.block_modules(model, outermost=False))
    assert outer == ["block_a.0", "block_a.1", "reduction_a", "block_b.0", "block_b.1", "reduction_b", "block_c",
                     "block_c_last"]
    assert "block_a.0.branches" in every and set(outer) < set(every)
    assert all(isinstance(m, ArchBlock) for m in archspec.block_modules(model, outermost=False))


def test_block_classes_and_the_spec_identity_pickle():
    model = archspec.build_model(TINY, seed=0).eval()
    again = pickle.loads(pickle.dumps(model))
    assert isinstance(again.mixed, ArchBlock) and again.spec_hash == model.spec_hash
    assert again.spec_params == model.spec_params == {"classes": 7, "width": 8}
    x = torch.randn(2, 3, 24, 24)
    with torch.no_grad():
        torch.testing.assert_close(again(x), model(x))


def test_activation_checkpointing_per_block_gives_the_same_gradients():
    from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import apply_activation_checkpointing

    plain, checkpointed = (archspec.build_model(IR, seed=0).train() for _ in range(2))
    blocks = set(archspec.block_modules(checkpointed))
    apply_activation_checkpointing(checkpointed, check_fn=lambda m: m in blocks)
    assert list(checkpointed.state_dict()) == list(plain.state_dict())  # the wrapper keeps the keys
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with one_thread():
        for model in (plain, checkpointed):
            model(x).logsumexp(1).mean().backward()
    grads = {n.replace("._checkpoint_wrapped_module", ""): p.grad for n, p in checkpointed.named_parameters()}
    for name, p in plain.named_parameters():
        torch.testing.assert_close(grads[name], p.grad)
