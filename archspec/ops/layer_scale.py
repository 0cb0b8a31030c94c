"""layer_scale: the `layer_scale` item, a learnable per-channel multiplier (CaiT's LayerScale, ConvNeXt's
`gamma`): one parameter `gamma` of shape (C,), initialised to `init`, multiplying each channel of a
CxHxW map or each feature of a vector."""
from __future__ import annotations

from ..language.values import FloatArg
from ._fields import Strict
from ._lazy import lazy_classes
from ._shapes import fmt
from .registry import OpDef, Sample, ShapeError, register_op


class LayerScaleArgs(Strict):
    init: FloatArg
    """Initial value of every entry of gamma (ConvNeXt uses 1e-6)."""


def _make_layer_scale() -> type:
    import torch
    from torch import nn

    class LayerScale(nn.Module):
        """x * gamma, gamma of shape (C,) broadcast over the positions of a CxHxW map."""

        def __init__(self, channels: int, init: float, spatial: bool):
            super().__init__()
            self.gamma = nn.Parameter(torch.full((channels,), float(init)))
            self.channels, self.init, self.spatial = int(channels), float(init), spatial

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if self.spatial:
                return x * self.gamma.reshape(-1, 1, 1)
            return x * self.gamma

        def extra_repr(self) -> str:
            return f"{self.gamma.shape[0]}"

    return LayerScale


__getattr__ = lazy_classes(__name__, {"LayerScale": _make_layer_scale})


@register_op
class LayerScaleOp(OpDef):
    name, category = "layer_scale", "scale"
    items = {"layer_scale": "learnable per-channel multiplier gamma (C,), initialised to init"}
    args, main, defaults_key = LayerScaleArgs, "init", "layer_scale"
    width_attrs = ("channels",)
    inplace_safe_output = True  # x * gamma: backward reads x and gamma, not the output
    samples = (Sample((8, 5, 5), ({"layer_scale": 1.0e-6},)), Sample((6, 2, 2), ("global_avgpool", {"layer_scale": 0.5})),
               Sample((3, 4, 4), ({"layer_scale": {"init": "1 / 4"}},)))

    def attrs(self, key, args, shape):
        return {"channels": shape[0], "init": args.init}

    def shape(self, attrs, inputs):
        if len(inputs[0]) not in (1, 3):
            raise ShapeError(f"layer_scale needs a CxHxW map or a flat vector, got shape {fmt(inputs[0])}")
        if inputs[0][0] != attrs["channels"]:
            raise ShapeError(f"layer_scale expects {attrs['channels']} channels, got {inputs[0][0]}")
        return inputs[0]

    def params(self, attrs, inputs, out):
        return attrs["channels"]

    def lower(self, attrs, inputs):
        return __getattr__("LayerScale")(attrs["channels"], attrs["init"], len(inputs[0]) == 3)

    def label(self, attrs):
        return f"LayerScale {attrs['init']:g}"
