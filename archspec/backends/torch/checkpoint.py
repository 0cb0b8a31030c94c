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
left alone, and the file keeps the mode of the one it replaces (else 0o666 less the umask).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

from ...analysis.spec_hash import short_hash
from ...atomic import atomic_write, NotARegularFile
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
    extra: more to store (plain values and tensors: torch.load(weights_only=True) must read it back).
    state_dict: the tensors to store instead of model.state_dict() (a full state dict gathered from an
    FSDP model, for instance); its keys must be the model's."""
    inner = unwrap(model)
    name, digest, params = _identity(inner)
    tensors = dict(inner.state_dict() if state_dict is None else state_dict)
    payload = {"format": FORMAT, "spec": {"name": name, "hash": digest, "params": params}, "model": _kind(inner),
               "state_dict": {k: v.detach() for k, v in tensors.items()}, "extra": dict(extra or {})}
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
        data = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # not a torch file, or one holding more than tensors and plain values
        raise CheckpointError(f"{path} is not an archspec checkpoint: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise CheckpointError(f"{path} is not an archspec checkpoint (format {found!r}, expected {FORMAT!r}); "
                              "a plain state_dict loads with model.load_state_dict(torch.load(...))")
    spec = data["spec"]
    return Checkpoint(spec["name"], spec["hash"], dict(spec["params"]), data["model"], data["state_dict"],
                      dict(data.get("extra") or {}), str(path))


def load_weights(model: nn.Module, path: str | os.PathLike, *, strict: bool = True, check_spec: bool = True,
                 map_location: Any = "cpu") -> Checkpoint:
    """Load a checkpoint written by save_weights into model and return what it held.

    Raises CheckpointMismatch, naming both networks (name, parameter values, spec hash), when the
    checkpoint was saved from another network than model's; check_spec=False skips that check and
    leaves it to load_state_dict (strict: as in load_state_dict: every key must match; a features-only
    backbone loads a whole network's checkpoint with strict=False)."""
    checkpoint = read_checkpoint(path, map_location)
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
