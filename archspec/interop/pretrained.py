"""What `create_model(..., pretrained=X)` does with X: the most exact route that fits, with a report."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import torch

from ..backends.torch.checkpoint import FORMAT, load_checkpoint, parse_checkpoint
from ..backends.torch.network import FeatureNet
from .report import ImportReport, SlotPair
from .structural import as_state_dict, import_weights, load_file
from .timm_names import NAME_MAPS


def load_pretrained(model: torch.nn.Module, pretrained: Any, *, strict: bool = True) -> ImportReport:
    """Load pretrained into model: an archspec checkpoint file (load_weights: the spec hash must agree),
    another torch.save file or a state_dict (its keys as they are, else timm's names through the spec's
    explicit map, else archspec.import_weights by key order and shape), or an nn.Module
    (import_weights by structure). A features_only model (FeatureNet) takes its subset of a whole network's
    keys from any of them. Returns the ImportReport; WeightMismatch names a mismatch."""
    from . import WeightMismatch, load_timm_state_dict, timm_key_map
    if pretrained is True:
        raise ValueError("pretrained=True: archspec downloads nothing; pass the weights: a file path, a state_dict "
                         "or a model (e.g. timm.create_model(name, pretrained=True))")
    backbone = isinstance(model, FeatureNet)
    what = "a state_dict"
    if isinstance(pretrained, torch.nn.Module):
        if not (backbone and _keys_fit(pretrained.state_dict(), model.state_dict(), subset=True)):
            return import_weights(model, pretrained, strict=strict)
        pretrained, what = pretrained.state_dict(), f"{type(pretrained).__name__} (module)"
    if isinstance(pretrained, (str, os.PathLike)):
        path, what = Path(pretrained), f"file {pretrained}"
        data = load_file(path)
        if isinstance(data, Mapping) and data.get("format") == FORMAT:  # a backbone takes a network's subset
            load_checkpoint(model, parse_checkpoint(data, str(path)), strict=strict and not backbone)
            keys = {k: k for k in model.state_dict() if k in data["state_dict"]}
            return _by_keys(data["state_dict"], keys, f"archspec checkpoint {path}", "its spec hash and keys")
        pretrained = data
    elif not isinstance(pretrained, Mapping):
        raise TypeError(f"pretrained must be a weights file's path, a state_dict or an nn.Module, "
                        f"got {type(pretrained).__name__}")
    state = as_state_dict(pretrained, what)
    ours = model.state_dict()
    if _keys_fit(state, ours, subset=backbone):
        model.load_state_dict({k: state[k] for k in ours}, strict=True)
        how = "its keys, which are the model's" + ("" if state.keys() == ours.keys() else
                                                   " (a backbone takes the network's subset)")
        return _by_keys(state, {k: k for k in ours}, what, how)
    arch = getattr(model, "spec_name", None)
    if arch in NAME_MAPS:
        try:
            load_timm_state_dict(model, state)
            return _by_keys(state, timm_key_map(model), what, f"timm's names for {arch} (archspec.interop.timm_names)")
        except WeightMismatch:
            pass  # not timm's layout: pair by structure below
    return import_weights(model, state, strict=strict)


def _keys_fit(state: Mapping, ours: Mapping, subset: bool) -> bool:
    """state has the model's keys and shapes (subset: and may have more, a whole network's for a backbone)."""
    keys_fit = ours.keys() <= state.keys() if subset else ours.keys() == state.keys()
    return keys_fit and all(state[k].shape == ours[k].shape for k in ours)


def _by_keys(state: Mapping, mapping: Mapping[str, str], what: str, how: str) -> ImportReport:
    """The report of a load that paired tensors by name (directly or through an explicit map)."""
    report = ImportReport(what, notes=[f"paired by {how}"], loaded=True)
    for key, theirs in mapping.items():
        owner = key.rpartition(".")[0]
        if not report.pairs or report.pairs[-1].ours != owner:
            report.pairs.append(SlotPair(owner, theirs.rpartition(".")[0], "by name"))
        report.pairs[-1].tensors.append((key, theirs, tuple(state[theirs].shape)))
    return report
