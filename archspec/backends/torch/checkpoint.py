"""Weights files that know which network they belong to.

A checkpoint is a `torch.save` file (read back with `torch.load(weights_only=True)`) holding one dict:

    {"format": "archspec-checkpoint/1",
     "spec": {"name": "wrn", "hash": "<sha256 of the resolved network>", "params": {"depth": 16, "k": 2, ...}},
     "model": "network" | "features",       # build_model(...) or build_model(..., features_only=True)
     "state_dict": {...},                    # the model's state_dict, keys = module paths = IR node names
     "extra": {...}}                         # anything the caller added (epoch, optimizer state), or {}

The hash is archspec.analysis.spec_hash's (what it covers is written there); `build_model` stores it on
the model as `model.spec_hash`, with `spec_name` and `spec_params`. Loading into a model whose hash differs
fails with a CheckpointMismatch naming both sides. Files are written with archspec.atomic: into a temporary
file in the target's directory, flushed to disk, then renamed over the target, so a reader (or a crash) never
sees half a file; a target that exists and is not a regular file (a FIFO, a device, a folder) is refused and
left alone, and the file keeps the mode of the one it replaces (else 0o666 less the umask). What `extra` may
hold is checked when saving (what torch.load(weights_only=True) reads back), and a file's structure when
reading (parse_checkpoint): a malformed file raises CheckpointError, never a KeyError or TypeError.
"""
from __future__ import annotations

import os
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

from ...analysis.spec_hash import short_hash
from ...atomic import atomic_write, existing, NotARegularFile
from .network import FeatureNet

FORMAT = "archspec-checkpoint/1"


class CheckpointError(ValueError):
    """A file that is not an archspec checkpoint, or a model that archspec did not build."""


class CheckpointMismatch(CheckpointError):
    """The checkpoint was saved from another network than the model it is loaded into."""


@dataclass
class Checkpoint:
    """What a checkpoint file holds (read_checkpoint, load_weights)."""

    spec_name: str
    spec_hash: str
    spec_params: dict[str, Any]
    model: str
    state_dict: dict[str, torch.Tensor] = field(repr=False)
    extra: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    def describe(self) -> str:
        return describe(self.spec_name, self.spec_params, self.spec_hash)


def describe(name: str, params: Mapping[str, Any], digest: str) -> str:
    values = ", ".join(f"{k}={v}" for k, v in params.items())
    return f"{name} ({values or 'no parameters'}; spec hash {short_hash(digest)})"


def unwrap(model: nn.Module) -> nn.Module:
    """The archspec model inside wrappers that hold it as `.module` (DataParallel, DistributedDataParallel,
    FSDP1's FullyShardedDataParallel) or `._orig_mod` (torch.compile)."""
    while not hasattr(model, "spec_hash"):
        inner = next((getattr(model, a) for a in ("module", "_orig_mod")
                      if isinstance(getattr(model, a, None), nn.Module)), None)
        if inner is None:
            return model
        model = inner
    return model


def _identity(model: nn.Module) -> tuple[str, str, dict[str, Any]]:
    digest = getattr(model, "spec_hash", None)
    if not isinstance(digest, str):
        raise CheckpointError(f"{type(model).__name__} was not built by archspec.build_model (it has no spec_hash)")
    return model.spec_name, digest, dict(getattr(model, "spec_params", {}))


def _kind(model: nn.Module) -> str:
    return "features" if isinstance(model, FeatureNet) else "network"


def save_weights(model: nn.Module, path: str | os.PathLike, *, extra: Mapping[str, Any] | None = None,
                 state_dict: Mapping[str, torch.Tensor] | None = None) -> Path:
    """Write model's weights with the spec's name, parameter values and hash, atomically; return the path.

    model: built by archspec.build_model (DDP, DataParallel and torch.compile wrappers are looked through).
    path: a regular file, replaced whole, or nothing yet; a folder, FIFO, device or socket there is
    refused (CheckpointError) and left alone.
    extra: more to store: what torch.load(weights_only=True) reads back (None, bool, int, float, complex,
    str, bytes, tensors, torch.Size/dtype/device, and lists, tuples, sets and dicts of them; an
    optimizer's state_dict() fits); anything else is refused (CheckpointError naming where it is).
    state_dict: the tensors to store instead of model.state_dict() (a full state dict gathered from an
    FSDP model, for instance); its keys must be the model's."""
    inner = unwrap(model)
    name, digest, params = _identity(inner)
    if extra is not None and not isinstance(extra, Mapping):
        raise CheckpointError(f"extra must be a mapping (a dict), got {type(extra).__name__}")
    extra = dict(extra or {})
    loadable(extra, "extra")
    tensors = dict(inner.state_dict() if state_dict is None else state_dict)
    payload = {"format": FORMAT, "spec": {"name": name, "hash": digest, "params": params}, "model": _kind(inner),
               "state_dict": {k: v.detach() for k, v in tensors.items()}, "extra": extra}
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_save(payload, target)
    except NotARegularFile as exc:
        raise CheckpointError(f"cannot write the checkpoint: {exc.strerror}") from None
    return target


def atomic_save(obj: Any, target: Path) -> None:
    """torch.save into target atomically (archspec.atomic: a temporary file beside it, fsync, os.replace;
    a target that is not a regular file raises NotARegularFile)."""
    atomic_write(target, lambda handle: torch.save(obj, handle))


def read_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> Checkpoint:
    """Read a checkpoint file without a model (to see which spec and values rebuild its network)."""
    try:
        existing(path)  # a FIFO or device would block or never end
    except NotARegularFile as exc:
        raise CheckpointError(f"{path} is not an archspec checkpoint: {exc.strerror}") from None
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # not a torch file, or one holding more than tensors and plain values
        raise CheckpointError(f"{path} is not an archspec checkpoint: {exc}") from None
    return parse_checkpoint(data, str(path))


def parse_checkpoint(data: Any, path: str) -> Checkpoint:
    """The Checkpoint in what torch.load read from path, its structure checked (CheckpointError saying
    what is wrong, never a KeyError or TypeError later)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise CheckpointError(f"{path} is not an archspec checkpoint (format {found!r}, expected {FORMAT!r}); "
                              "a plain state_dict loads with model.load_state_dict(torch.load(...))")

    def malformed(what: str) -> CheckpointError:
        return CheckpointError(f"{path} says it is an archspec checkpoint ({FORMAT}) but is malformed: {what}")

    def found(holder: dict, key: str) -> str:
        return "it is missing" if key not in holder else f"found {type(holder[key]).__name__}"

    spec = data.get("spec")
    if not isinstance(spec, dict):
        raise malformed(f"'spec' must be a dict with name, hash and params; {found(data, 'spec')}")
    for key in ("name", "hash"):
        if not isinstance(spec.get(key), str):
            raise malformed(f"spec {key!r} must be a string; {found(spec, key)}")
    params = spec.get("params")
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise malformed(f"spec 'params' must be a dict of parameter names to values; {found(spec, 'params')}")
    if data.get("model") not in ("network", "features"):
        raise malformed(f"'model' must be 'network' or 'features', found {data.get('model')!r}")
    tensors = data.get("state_dict")
    if not isinstance(tensors, dict):
        raise malformed(f"'state_dict' must be a dict of names to tensors; {found(data, 'state_dict')}")
    wrong = next((k for k, v in tensors.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)), None)
    if wrong is not None:
        raise malformed(f"'state_dict' must map names to tensors; {_short(wrong)} holds "
                        f"{type(tensors[wrong]).__name__}")
    extra = data.get("extra")
    if extra is not None and not isinstance(extra, dict):
        raise malformed(f"'extra' must be a dict; found {type(extra).__name__}")
    return Checkpoint(spec["name"], spec["hash"], dict(params), data["model"], tensors, dict(extra or {}), path)


# What torch.load(weights_only=True) reads back without extra safe globals (the types of
# torch._weights_only_unpickler's allowlist that a value can have; subclasses are not read back).
_PLAIN = (type(None), bool, int, float, complex, str, bytes, bytearray, torch.Size, torch.device, torch.dtype,
          torch.layout, torch.qscheme, torch.Tensor, nn.Parameter)
_CONTAINERS = (list, tuple, set, dict, OrderedDict, Counter)


def loadable(value: Any, where: str) -> None:
    """Refuse (CheckpointError naming the key path, e.g. extra['opt']['state'][0]) any value inside value
    that torch.load(weights_only=True) would not read back. Iterative: no recursion limit; each container
    is looked at once (shared and self-referencing ones included)."""
    todo, seen = [(value, where)], set()
    while todo:
        item, path = todo.pop()
        kind = type(item)
        if kind in _PLAIN:
            continue
        if kind not in _CONTAINERS:
            raise CheckpointError(
                f"cannot store {path}: a {kind.__module__}.{kind.__qualname__}, which torch.load(weights_only=True) "
                "cannot read back. Store None, bool, int, float, complex, str, bytes, tensors, torch.Size, "
                "dtype or device values, and lists, tuples, sets and dicts of them")
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            inside = [(k, f"{path} (the key {_short(k)})") for k in item]
            inside += [(v, f"{path}[{_short(k)}]") for k, v in item.items()]
        elif isinstance(item, set):
            inside = [(v, f"{path} (an element of the set)") for v in item]
        else:
            inside = [(v, f"{path}[{i}]") for i, v in enumerate(item)]
        todo += reversed(inside)  # the first bad value in order is the one named


def _short(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= 60 else text[:57] + "..."


def load_weights(model: nn.Module, path: str | os.PathLike, *, strict: bool = True, check_spec: bool = True,
                 map_location: Any = "cpu") -> Checkpoint:
    """Load a checkpoint written by save_weights into model and return what it held.

    Raises CheckpointMismatch, naming both networks (name, parameter values, spec hash), when the
    checkpoint was saved from another network than model's; check_spec=False skips that check and
    leaves it to load_state_dict (strict: as in load_state_dict: every key must match; a features-only
    backbone loads a whole network's checkpoint with strict=False)."""
    return load_checkpoint(model, read_checkpoint(path, map_location), strict=strict, check_spec=check_spec)


def load_checkpoint(model: nn.Module, checkpoint: Checkpoint, *, strict: bool = True,
                    check_spec: bool = True) -> Checkpoint:
    """load_weights for a checkpoint already read (read_checkpoint, or parse_checkpoint of what torch.load
    gave): the same spec check and load_state_dict."""
    inner = unwrap(model)
    if check_spec:
        name, digest, params = _identity(inner)
        if digest != checkpoint.spec_hash:
            raise CheckpointMismatch(_mismatch(checkpoint, name, digest, params))
    inner.load_state_dict(checkpoint.state_dict, strict=strict)
    return checkpoint


def _mismatch(checkpoint: Checkpoint, name: str, digest: str, params: dict[str, Any]) -> str:
    differ = [f"{k} {checkpoint.spec_params.get(k, '-')} vs {params.get(k, '-')}"
              for k in dict.fromkeys([*checkpoint.spec_params, *params])
              if checkpoint.spec_params.get(k, object()) != params.get(k, object())]
    why = f"; values that differ (checkpoint vs model): {', '.join(differ)}" if differ else ""
    return (f"{checkpoint.path} holds the weights of {checkpoint.describe()}, but the model is "
            f"{describe(name, params, digest)}{why}. Build the model from the checkpoint's spec and values "
            "(read_checkpoint(path).spec_params), or pass check_spec=False to load tensors whose names "
            "and shapes match anyway")
