"""save_weights / load_weights / read_checkpoint: checkpoints carry the spec's name, values and hash; loading
into another network fails naming both; files are written atomically, never over what is not a regular
file; a malformed file or an extra torch cannot read back is a CheckpointError."""
from __future__ import annotations

import io
import os
import re
import stat
import threading
from collections import Counter, defaultdict, OrderedDict

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


def test_reading_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "w.pt"
    os.mkfifo(fifo)
    outcome = []

    def read():
        try:
            archspec.read_checkpoint(fifo)
        except CheckpointError as exc:
            outcome.append(str(exc))

    reader = threading.Thread(target=read, daemon=True)  # before the fix it blocked in open() for ever
    reader.start()
    reader.join(10)
    assert outcome and "is not an archspec checkpoint" in outcome[0] and "a FIFO" in outcome[0]


# A file that says it is an archspec checkpoint but is malformed: CheckpointError, never KeyError/TypeError.

def _payload(**changes):
    model = archspec.build_model(TINY, seed=0)
    payload = {"format": ckpt.FORMAT, "spec": {"name": "tiny_mixed", "hash": model.spec_hash,
                                               "params": {"classes": 7, "width": 8}},
               "model": "network", "state_dict": model.state_dict(), "extra": {}}
    for key, value in changes.items():
        holder, _, leaf = key.rpartition("__")
        target = payload[holder] if holder else payload
        if value is DROP:
            del target[leaf]
        else:
            target[leaf] = value
    return payload


DROP = object()
MALFORMED = {
    "no spec": ({"spec": DROP}, "'spec' must be a dict with name, hash and params; it is missing"),
    "spec a string": ({"spec": "x"}, "'spec' must be a dict .*; found str"),
    "no name": ({"spec__name": DROP}, "spec 'name' must be a string; it is missing"),
    "hash a number": ({"spec__hash": 5}, "spec 'hash' must be a string; found int"),
    "params a list": ({"spec__params": [1]}, "spec 'params' must be a dict .*; found list"),
    "params by number": ({"spec__params": {1: 2}}, "spec 'params' must be a dict of parameter names"),
    "no model": ({"model": DROP}, "'model' must be 'network' or 'features', found None"),
    "another model": ({"model": "whole"}, "'model' must be 'network' or 'features', found 'whole'"),
    "no state_dict": ({"state_dict": DROP}, "'state_dict' must be a dict of names to tensors; it is missing"),
    "state_dict a number": ({"state_dict": 5}, "'state_dict' must be a dict of names to tensors; found int"),
    "a number for a tensor": ({"state_dict": {"conv.conv.weight": 1}},
                              "'state_dict' must map names to tensors; 'conv.conv.weight' holds int"),
    "a tensor by number": ({"state_dict": {0: torch.zeros(1)}}, "'state_dict' must map names to tensors; 0 holds Tensor"),
    "extra a list": ({"extra": [1]}, "'extra' must be a dict; found list"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_checkpoint_is_a_checkpoint_error(tmp_path, case):
    changes, message = MALFORMED[case]
    path = tmp_path / "w.pt"
    torch.save(_payload(**changes), path)
    expected = re.escape(str(path)) + rf" says it is an archspec checkpoint \(archspec-checkpoint/1\) but is malformed: {message}"
    with pytest.raises(CheckpointError, match=expected):
        archspec.read_checkpoint(path)
    for check_spec in (True, False):
        with pytest.raises(CheckpointError, match=expected):
            archspec.load_weights(archspec.build_model(TINY, seed=0), path, check_spec=check_spec)


def test_the_smallest_claims_of_the_format_are_checkpoint_errors(tmp_path):
    """The review's three files: the format alone, a string for the spec, a number for the state_dict."""
    model = archspec.build_model(TINY, seed=0)
    good = _payload()
    for payload in ({"format": ckpt.FORMAT}, {**good, "spec": "x"}, {**good, "state_dict": 5}):
        torch.save(payload, tmp_path / "w.pt")
        with pytest.raises(CheckpointError, match="malformed"):
            archspec.load_weights(model, tmp_path / "w.pt", check_spec=False)
    torch.save({**good, "extra": None}, tmp_path / "w.pt")  # no extra reads as {}
    assert archspec.load_weights(model, tmp_path / "w.pt").extra == {}


# extra: what torch.load(weights_only=True) reads back, checked when saving.

class _Str(str):
    pass


def _adam_state():
    layer = nn.Linear(2, 2)
    optimizer = torch.optim.Adam(layer.parameters())
    layer(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    return optimizer.state_dict()


PLAIN = {"none": None, "flag": True, "int": 2**100, "float": float("inf"), "complex": 1 + 2j, "text": "x",
         "bytes": b"x", "bytearray": bytearray(b"x"), "tensor": torch.arange(3), "parameter": nn.Parameter(torch.ones(1)),
         "size": torch.Size([1, 2]), "device": torch.device("cpu"), "dtype": torch.float16, "layout": torch.strided,
         "list": [1, (2, "3")], "set": {1, "a"}, "ordered": OrderedDict(a=1), "counter": Counter(a=2),
         "keys": {0: "int", 1.5: "float", None: "none", (1, "a"): "tuple", torch.int8: "dtype"}, "optimizer": None}
NOT_READ_BACK = {"object": object(), "frozenset": frozenset({1}), "defaultdict": defaultdict(int),
                 "str subclass": _Str("x"), "range": range(2), "slice": slice(1), "ellipsis": ...,
                 "function": len, "class": float}


def _reads_back(value) -> bool:
    buffer = io.BytesIO()
    torch.save({"v": value}, buffer)
    buffer.seek(0)
    try:
        torch.load(buffer, weights_only=True)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("name", [*PLAIN, *NOT_READ_BACK])
def test_the_extra_check_agrees_with_weights_only_loading(name):
    value = PLAIN.get(name, NOT_READ_BACK.get(name)) if name != "optimizer" else _adam_state()
    try:
        ckpt.loadable({"v": value}, "extra")
        accepted = True
    except CheckpointError:
        accepted = False
    assert accepted == _reads_back(value) == (name in PLAIN)


def test_plain_extras_round_trip(tmp_path):
    extra = {**PLAIN, "optimizer": _adam_state()}
    path = archspec.save_weights(archspec.build_model(TINY, seed=0), tmp_path / "w.pt", extra=extra)
    back = archspec.read_checkpoint(path).extra
    assert set(back) == set(extra) and back["keys"] == extra["keys"] and back["set"] == extra["set"]
    assert torch.equal(back["optimizer"]["state"][0]["exp_avg"], extra["optimizer"]["state"][0]["exp_avg"])


@pytest.mark.parametrize("extra, where", [
    ({"o": object()}, r"extra\['o'\]: a builtins.object"),
    ({"opt": {"state": {0: {"step": 1, "when": slice(1)}}}}, r"extra\['opt'\]\['state'\]\[0\]\['when'\]: a builtins.slice"),
    ({"runs": [1, (2, frozenset())]}, r"extra\['runs'\]\[1\]\[1\]: a builtins.frozenset"),
    ({"d": {frozenset(): 1}}, r"extra\['d'\] \(the key frozenset\(\)\): a builtins.frozenset"),
    ({"s": {1, range(1)}}, r"extra\['s'\] \(an element of the set\): a builtins.range"),
    ({"name": _Str("x")}, r"extra\['name'\]: a .*_Str"),
])
def test_an_extra_torch_cannot_read_back_is_refused_when_saving(tmp_path, extra, where):
    model = archspec.build_model(TINY, seed=0)
    with pytest.raises(CheckpointError, match=rf"cannot store {where}, which torch.load\(weights_only=True\) cannot "
                                              "read back"):
        archspec.save_weights(model, tmp_path / "w.pt", extra=extra)
    assert not list(tmp_path.iterdir())
    with pytest.raises(CheckpointError, match="extra must be a mapping"):
        archspec.save_weights(model, tmp_path / "w.pt", extra=[("a", 1)])


def test_a_shared_or_deep_extra_is_checked_without_recursion(tmp_path):
    shared = [torch.zeros(1)]
    loop: list = [1]
    loop.append(loop)
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    ckpt.loadable({"a": shared, "b": shared, "loop": loop, "deep": deep}, "extra")
    deep[0] = object()
    with pytest.raises(CheckpointError, match=r"extra\['deep'\]\[0\]: a builtins.object"):
        ckpt.loadable({"deep": deep}, "extra")
