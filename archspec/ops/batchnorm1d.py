"""batchnorm1d: the `bn` item on a flat vector (nn.BatchNorm1d), e.g. FaceNet's `linear: 512` then `bn`."""
from __future__ import annotations

from ._shapes import fmt
from .batchnorm2d import BN_DOC, BatchNormArgs, bn_attrs
from .registry import OpDef, Sample, ShapeError, register_op


@register_op
class BatchNorm1d(OpDef):
    name, category = "batchnorm1d", "norm"
    items = {"bn": BN_DOC}  # shared with batchnorm2d; the input rank picks the op
    args, defaults_key, input_ranks = BatchNormArgs, "bn", (1,)
    width_attrs = ("channels",)
    inplace_safe_output = True  # like BatchNorm2d, its backward reads the input and statistics only
    samples = (Sample((6, 2, 2), ("global_avgpool", {"linear": 12}, "bn")),
               Sample((4, 1, 1), ("flatten", {"bn": {"eps": 0.001, "affine": False}}, "relu")))

    def attrs(self, key, args, shape):
        return bn_attrs(args, shape[0])

    def shape(self, attrs, inputs):
        if len(inputs[0]) != 1:
            raise ShapeError(f"batch norm 1d needs a flat vector, got shape {fmt(inputs[0])}")
        if inputs[0][0] != attrs["channels"]:
            raise ShapeError(f"batch norm expects {attrs['channels']} features, got {inputs[0][0]}")
        return inputs[0]

    def params(self, attrs, inputs, out):
        return 2 * attrs["channels"] if attrs["affine"] else 0

    def lower(self, attrs, inputs):
        from torch import nn
        return nn.BatchNorm1d(attrs["channels"], eps=attrs["eps"], momentum=attrs["momentum"],
                              affine=attrs["affine"])

    def label(self, attrs):
        return "BN"
