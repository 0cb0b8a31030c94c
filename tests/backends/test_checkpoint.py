"""save_weights / load_weights / read_checkpoint: checkpoints carry the spec's name, values and hash; loading
into another network fails naming both; files are written atomically, never over what is not a regular
file."""
from __future__ import annotations

import os
import stat

import pytest
import torch
from torch import nn

import archspec
from archspec import CheckpointError, CheckpointMismatch
from archspec.backends.torch import checkpoint as ckpt

from ..conftest import ROOT

TINY = ROOT / "tests" / "data" / "tiny_mixed.yaml"


def _equal(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_round_trip_with_the_spec_identity(tmp_path):
    saved = archspec.build_model(TINY, {"width": 4}, seed=0)
    path = archspec.save_weights(saved, tmp_path / "sub" / "w.pt", extra={"epoch": 3, "lr": 0.1})
    assert path == tmp_path / "sub" / "w.pt" and [p.name for p in path.parent.iterdir()] == ["w.pt"]
    other = archspec.build_model(TINY, {"width": 4}, seed=1)
    assert not _equal(saved, other)
    info = archspec.load_weights(other, path)
    assert _equal(saved, other)
    assert (info.spec_name, info.spec_hash, info.model) == ("tiny_mixed", saved.spec_hash, "network")
    assert info.spec_params == {"classes": 7, "width": 4} and info.extra == {"epoch": 3, "lr": 0.1}
    raw = torch.load(path, weights_only=True)  # a plain torch file anyone can read
    assert raw["format"] == "archspec-checkpoint/1" and raw["spec"]["hash"] == saved.spec_hash
    assert set(raw["state_dict"]) == set(saved.state_dict())


def test_another_network_is_refused_naming_both(tmp_path):
    path = archspec.save_weights(archspec.build_model(TINY, {"width": 4}, seed=0), tmp_path / "w.pt")
    model = archspec.build_model(TINY, seed=0)
    with pytest.raises(CheckpointMismatch) as caught:
        archspec.load_weights(model, path)
    message = str(caught.value)
    assert "tiny_mixed (classes=7, width=4; spec hash " + archspec.read_checkpoint(path).spec_hash[:12] in message
    assert "the model is tiny_mixed (classes=7, width=8; spec hash " + model.spec_hash[:12] in message
    assert "values that differ (checkpoint vs model): width 4 vs 8" in message and str(path) in message
    wrn = archspec.build_model(ROOT / "specs" / "wrn.yaml", {"depth": 10, "k": 1})
    with pytest.raises(CheckpointMismatch, match=r"holds the weights of tiny_mixed .* the model is wrn \(depth=10"):
        archspec.load_weights(wrn, path)
    with pytest.raises(RuntimeError, match="size mismatch"):  # without the check, load_state_dict decides
        archspec.load_weights(model, path, check_spec=False)


def test_wrappers_are_looked_through_and_a_backbone_loads_a_whole_network(tmp_path):
    model = archspec.build_model(TINY, seed=0)
    path = archspec.save_weights(nn.DataParallel(model), tmp_path / "w.pt")
    assert not any(k.startswith("module.") for k in archspec.read_checkpoint(path).state_dict)
    backbone = archspec.build_model(TINY, features_only=True, seed=5)
    archspec.load_weights(backbone, path, strict=False)
    assert torch.equal(backbone.get_submodule("conv.conv").weight, model.get_submodule("conv.conv").weight)


def test_not_a_checkpoint_or_not_an_archspec_model(tmp_path):
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "plain.pt")
    (tmp_path / "text.pt").write_text("hello")
    model = archspec.build_model(TINY, seed=0)
    with pytest.raises(CheckpointError, match="is not an archspec checkpoint .*format None"):
        archspec.load_weights(model, tmp_path / "plain.pt")
    with pytest.raises(CheckpointError, match="is not an archspec checkpoint"):
        archspec.read_checkpoint(tmp_path / "text.pt")
    with pytest.raises(CheckpointError, match="was not built by archspec.build_model"):
        archspec.save_weights(nn.Linear(2, 2), tmp_path / "x.pt")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    model = archspec.build_model(TINY, seed=0)
    path = archspec.save_weights(model, tmp_path / "w.pt")
    before = path.read_bytes()

    def broken(obj, handle):
        handle.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(ckpt.torch, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        archspec.save_weights(archspec.build_model(TINY, seed=1), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["w.pt"]


def test_the_write_is_one_rename_in_the_same_directory(tmp_path, monkeypatch):
    renames = []
    real = ckpt.os.replace
    monkeypatch.setattr(ckpt.os, "replace", lambda a, b: (renames.append((a, b)), real(a, b)))
    path = archspec.save_weights(archspec.build_model(TINY, seed=0), tmp_path / "w.pt")
    (source, target), = renames
    assert str(target) == str(path) and str(source).startswith(str(tmp_path / ".w.pt."))


# What is not a regular file (a FIFO made in tmp_path stands for devices and sockets too) is never replaced.

@pytest.mark.parametrize("kind", ["fifo", "link to a fifo", "folder"])
def test_a_path_that_is_not_a_regular_file_is_refused_and_left(tmp_path, kind):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    path = {"fifo": fifo, "link to a fifo": tmp_path / "link", "folder": tmp_path / "folder"}[kind]
    if kind == "link to a fifo":
        path.symlink_to(fifo)
    if kind == "folder":
        path.mkdir()
    with pytest.raises(CheckpointError, match=r"cannot write the checkpoint: .* exists and is a (FIFO|folder), not a "
                                              "regular file"):
        archspec.save_weights(archspec.build_model(TINY, seed=0), path)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.path.islink(path) == (kind == "link to a fifo")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"fifo", path.name})
