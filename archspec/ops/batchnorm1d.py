"""batchnorm1d: the `bn` item on a flat vector (nn.BatchNorm1d), e.g. FaceNet's `linear: 512` then `bn`."""
from __future__ import annotations

from ._shapes import fmt
from .batchnorm2d import BatchNorm2d
from .registry import Sample, ShapeError, register_op


@register_op
class BatchNorm1d(BatchNorm2d):
    """The same item, arguments, attrs, params and label as batchnorm2d; the input rank picks the op."""

    name, input_ranks = "batchnorm1d", (1,)
    samples = (Sample((6, 2, 2), ("global_avgpool", {"linear": 12}, "bn")),
               Sample((4, 1, 1), ("flatten", {"bn": {"eps": 0.001, "affine": False}}, "relu")))

    def shape(self, attrs, inputs):
        if len(inputs[0]) != 1:
            raise ShapeError(f"batch norm 1d needs a flat vector, got shape {fmt(inputs[0])}")
        if inputs[0][0] != attrs["channels"]:
            raise ShapeError(f"batch norm expects {attrs['channels']} features, got {inputs[0][0]}")
        return inputs[0]

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.BatchNorm1d(attrs["channels"], eps=attrs["eps"], momentum=attrs["momentum"],
                              affine=attrs["affine"])
