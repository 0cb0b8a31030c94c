"""Interoperability with other model zoos: `archspec.import_weights` (structural.py) pairs any model's tensors
with an archspec model's by structure; `load_timm_state_dict` loads timm checkpoints through explicit name maps."""
from __future__ import annotations

from typing import Mapping

from .timm_names import NAME_MAPS, translate

__all__ = ["WeightMismatch", "load_timm_state_dict", "timm_key_map"]


class WeightMismatch(ValueError):
    """A state_dict does not fit the model; the message names the first offending tensor."""


def timm_key_map(model, arch: str | None = None) -> dict[str, str]:
    """{archspec state_dict key: timm state_dict key} for every tensor of model."""
    arch = arch or model.spec_name
    if arch not in NAME_MAPS:
        raise WeightMismatch(f"no timm name map for '{arch}'; known: {', '.join(sorted(NAME_MAPS))} "
                             "(pass arch= for a variant of one of them)")
    mapping = {}
    for key in model.state_dict():
        timm_key = translate(key, NAME_MAPS[arch])
        if timm_key is None:
            raise WeightMismatch(f"archspec tensor '{key}' has no counterpart in timm's {arch}")
        mapping[key] = timm_key
    return mapping


def load_timm_state_dict(model, state_dict: Mapping, arch: str | None = None) -> None:
    """Load a timm `inception_v4`, `inception_resnet_v2`, `inception_v3`, `efficientnet_b0` or
    `convnext_tiny` state_dict into the archspec model built from the matching spec. Every tensor must
    be used exactly once and match in shape (a linear weight may fill a 1x1 conv); otherwise
    WeightMismatch names the first problem. `arch` defaults to the spec name."""
    mapping = timm_key_map(model, arch)
    ours = model.state_dict()
    used: dict[str, str] = {}
    for key, timm_key in mapping.items():
        if timm_key in used:
            raise WeightMismatch(f"timm tensor '{timm_key}' would be used twice ('{used[timm_key]}', '{key}')")
        used[timm_key] = key
        if timm_key not in state_dict:
            raise WeightMismatch(f"timm state_dict has no '{timm_key}' (needed for archspec '{key}')")
        theirs, shape = tuple(state_dict[timm_key].shape), tuple(ours[key].shape)
        if theirs != shape and not _linear_as_1x1_conv(theirs, shape):
            raise WeightMismatch(f"shape mismatch: timm '{timm_key}' is {theirs}, archspec '{key}' is {shape}")
    unused = [k for k in state_dict if k not in used]
    if unused:
        raise WeightMismatch(f"timm tensor '{unused[0]}' is not used by the archspec model "
                             f"({len(unused)} unused in all)")
    model.load_state_dict({key: state_dict[timm_key].reshape(ours[key].shape) for key, timm_key in mapping.items()},
                          strict=True)


def _linear_as_1x1_conv(theirs: tuple, ours: tuple) -> bool:
    """A linear layer's (out, in) weight is a 1x1 conv's (out, in, 1, 1): ConvNeXt's MLP, which timm
    runs as nn.Linear on channels-last maps, is two 1x1 convs in archspec."""
    return len(theirs) == 2 and ours == theirs + (1, 1)
