"""Explicit name maps from archspec's module names to timm's, one per supported network.

Each map is an ordered list of (pattern, replacement) over the full state_dict key; the first
pattern that matches the whole key decides. Replacements are templates in which {1}, {2}, ...
are the pattern's groups and {1+6} (or {1-1}) adds (subtracts) an offset to a numeric group.
"""
from __future__ import annotations

import re

_T = r"(conv|bn)\.(.+)"  # a conv unit's tensor: conv.weight, bn.running_mean, ...


def _block_index(offset: int) -> str:
    return "{1+%d}" % offset


INCEPTION_C_V4 = [  # inside timm's InceptionC, the factorized pairs have their own names
    (r"branch1\.0\.(.+)", "branch1_0.{1}"),
    (r"branch1\.1\.branch0\.(.+)", "branch1_1a.{1}"),
    (r"branch1\.1\.branch1\.(.+)", "branch1_1b.{1}"),
    (r"branch2\.([012])\.(.+)", "branch2_{1}.{2}"),
    (r"branch2\.3\.branch0\.(.+)", "branch2_3a.{1}"),
    (r"branch2\.3\.branch1\.(.+)", "branch2_3b.{1}"),
    (r"(branch[03]\..+)", "{1}"),
]

INCEPTION_V4 = [
    (r"stem\.conv1\.(.+)", "features.0.{1}"),
    (r"stem\.conv2\.(.+)", "features.1.{1}"),
    (r"stem\.conv3\.(.+)", "features.2.{1}"),
    (r"stem\.mixed_3a\.branch1\.(.+)", "features.3.conv.{1}"),
    (r"stem\.mixed_4a\.(.+)", "features.4.{1}"),
    (r"stem\.mixed_5a\.branch0\.(.+)", "features.5.conv.{1}"),
    (r"inception_a\.(\d+)\.(.+)", "features.{1+6}.{2}"),
    (r"reduction_a\.(.+)", "features.10.{1}"),
    (r"inception_b\.(\d+)\.(.+)", "features.{1+11}.{2}"),
    (r"reduction_b\.(.+)", "features.18.{1}"),
    (r"inception_c\.(\d+)\.(.+)", ("features.{1+19}.", INCEPTION_C_V4, 2)),
    (r"head\.fc\.(.+)", "last_linear.{1}"),
]

_IR_BLOCK = [  # archspec's ir_residual: branches.<concat branches>, up (the 1x1 with bias)
    (r"branches\.(.+)", "{1}"),
    (r"up\.conv\.(.+)", "conv2d.{1}"),
]

INCEPTION_RESNET_V2 = [
    (r"stem\.stem_v3\.conv1a\.(.+)", "conv2d_1a.{1}"),
    (r"stem\.stem_v3\.conv2a\.(.+)", "conv2d_2a.{1}"),
    (r"stem\.stem_v3\.conv2b\.(.+)", "conv2d_2b.{1}"),
    (r"stem\.stem_v3\.conv3b\.(.+)", "conv2d_3b.{1}"),
    (r"stem\.stem_v3\.conv4a\.(.+)", "conv2d_4a.{1}"),
    (r"mixed_5b\.(.+)", "mixed_5b.{1}"),
    (r"block35\.(\d+)\.(.+)", ("repeat.{1}.", _IR_BLOCK, 2)),
    (r"reduction_a\.(.+)", "mixed_6a.{1}"),
    (r"block17\.(\d+)\.(.+)", ("repeat_1.{1}.", _IR_BLOCK, 2)),
    (r"reduction_b_res\.(.+)", "mixed_7a.{1}"),
    (r"block8\.(\d+)\.(.+)", ("repeat_2.{1}.", _IR_BLOCK, 2)),
    (r"block8_last\.(.+)", ("block8.", _IR_BLOCK, 1)),
    (r"conv7b\.(.+)", "conv2d_7b.{1}"),
    (r"head\.fc\.(.+)", "classif.{1}"),
]

_V3_A = [(r"branch0\.(.+)", "branch1x1.{1}"), (r"branch1\.([01])\.(.+)", "branch5x5_{1+1}.{2}"),
         (r"branch2\.([012])\.(.+)", "branch3x3dbl_{1+1}.{2}"), (r"branch3\.1\.(.+)", "branch_pool.{1}")]
_V3_B = [(r"branch0\.(.+)", "branch3x3.{1}"), (r"branch1\.([012])\.(.+)", "branch3x3dbl_{1+1}.{2}")]
_V3_C = [(r"branch0\.(.+)", "branch1x1.{1}"), (r"branch1\.([012])\.(.+)", "branch7x7_{1+1}.{2}"),
         (r"branch2\.([0-4])\.(.+)", "branch7x7dbl_{1+1}.{2}"), (r"branch3\.1\.(.+)", "branch_pool.{1}")]
_V3_D = [(r"branch0\.([01])\.(.+)", "branch3x3_{1+1}.{2}"), (r"branch1\.([0-3])\.(.+)", "branch7x7x3_{1+1}.{2}")]
_V3_E = [(r"branch0\.(.+)", "branch1x1.{1}"), (r"branch1\.0\.(.+)", "branch3x3_1.{1}"),
         (r"branch1\.1\.branch0\.(.+)", "branch3x3_2a.{1}"), (r"branch1\.1\.branch1\.(.+)", "branch3x3_2b.{1}"),
         (r"branch2\.0\.(.+)", "branch3x3dbl_1.{1}"), (r"branch2\.1\.(.+)", "branch3x3dbl_2.{1}"),
         (r"branch2\.2\.branch0\.(.+)", "branch3x3dbl_3a.{1}"), (r"branch2\.2\.branch1\.(.+)", "branch3x3dbl_3b.{1}"),
         (r"branch3\.1\.(.+)", "branch_pool.{1}")]

INCEPTION_V3 = [
    (r"stem\.stem_v3\.conv1a\.(.+)", "Conv2d_1a_3x3.{1}"),
    (r"stem\.stem_v3\.conv2a\.(.+)", "Conv2d_2a_3x3.{1}"),
    (r"stem\.stem_v3\.conv2b\.(.+)", "Conv2d_2b_3x3.{1}"),
    (r"stem\.stem_v3\.conv3b\.(.+)", "Conv2d_3b_1x1.{1}"),
    (r"stem\.stem_v3\.conv4a\.(.+)", "Conv2d_4a_3x3.{1}"),
    (r"mixed_5([bcd])\.(.+)", ("Mixed_5{1}.", _V3_A, 2)),
    (r"mixed_6a\.(.+)", ("Mixed_6a.", _V3_B, 1)),
    (r"mixed_6([bcde])\.(.+)", ("Mixed_6{1}.", _V3_C, 2)),
    (r"mixed_7a\.(.+)", ("Mixed_7a.", _V3_D, 1)),
    (r"mixed_7([bc])\.(.+)", ("Mixed_7{1}.", _V3_E, 2)),
    (r"aux_logits\.((?:conv0|conv1|fc)\..+)", "AuxLogits.{1}"),
    (r"head\.fc\.(.+)", "fc.{1}"),
]

_SE = (r"se\.gate\.conv_(reduce|expand)\.conv\.(.+)", "se.conv_{1}.{2}")
_MBCONV = [  # archspec's mbconv with an expansion: timm's InvertedResidual (bn1..bn3 follow the convs)
    (r"conv_pw\.conv\.(.+)", "conv_pw.{1}"), (r"conv_pw\.bn\.(.+)", "bn1.{1}"),
    (r"conv_dw\.conv\.(.+)", "conv_dw.{1}"), (r"conv_dw\.bn\.(.+)", "bn2.{1}"), _SE,
    (r"conv_pwl\.conv\.(.+)", "conv_pwl.{1}"), (r"conv_pwl\.bn\.(.+)", "bn3.{1}"),
]
_MBCONV_DS = [  # without (expand 1): timm's DepthwiseSeparableConv, whose projection is called conv_pw
    (r"conv_dw\.conv\.(.+)", "conv_dw.{1}"), (r"conv_dw\.bn\.(.+)", "bn1.{1}"), _SE,
    (r"conv_pwl\.conv\.(.+)", "conv_pw.{1}"), (r"conv_pwl\.bn\.(.+)", "bn2.{1}"),
]

EFFICIENTNET_B0 = [
    (r"conv_stem\.conv\.(.+)", "conv_stem.{1}"),
    (r"conv_stem\.bn\.(.+)", "bn1.{1}"),
    (r"stage1\.(\d+)\.mbconv\.(.+)", ("blocks.0.{1}.", _MBCONV_DS, 2)),
    (r"stage([2-7])\.(\d+)\.mbconv\.(.+)", ("blocks.{1-1}.{2}.", _MBCONV, 3)),
    (r"conv_head\.conv\.(.+)", "conv_head.{1}"),
    (r"conv_head\.bn\.(.+)", "bn2.{1}"),
    (r"head\.classifier\.(.+)", "classifier.{1}"),
]

_CONVNEXT_BLOCK = [  # the MLP's 1x1 convs are timm's nn.Linear layers (the loader reshapes their weights)
    (r"conv_dw\.conv\.(.+)", "conv_dw.{1}"),
    (r"norm\.(.+)", "norm.{1}"),
    (r"fc([12])\.conv\.(.+)", "mlp.fc{1}.{2}"),
    (r"ls\.gamma", "gamma"),
]

CONVNEXT_TINY = [
    (r"stem\.conv\.conv\.(.+)", "stem.0.{1}"),
    (r"stem\.norm\.(.+)", "stem.1.{1}"),
    (r"stage([1-4])\.downsample\.norm\.(.+)", "stages.{1-1}.downsample.0.{2}"),
    (r"stage([1-4])\.downsample\.conv\.conv\.(.+)", "stages.{1-1}.downsample.1.{2}"),
    (r"stage([1-4])\.blocks\.(\d+)\.convnext_block\.(.+)", ("stages.{1-1}.blocks.{2}.", _CONVNEXT_BLOCK, 3)),
    (r"head\.(norm|fc)\.(.+)", "head.{1}.{2}"),
]

NAME_MAPS = {"inception_v4": INCEPTION_V4, "inception_resnet_v2": INCEPTION_RESNET_V2,
             "inception_v3": INCEPTION_V3, "efficientnet_b0": EFFICIENTNET_B0,
             "convnext_tiny": CONVNEXT_TINY}

_FIELD = re.compile(r"\{(\d+)(?:([+-])(\d+))?\}")


def _fill(template: str, match: re.Match) -> str:
    def one(field: re.Match) -> str:
        value = match.group(int(field.group(1)))
        if not field.group(2):
            return value
        offset = int(field.group(3))
        return str(int(value) + (offset if field.group(2) == "+" else -offset))
    return _FIELD.sub(one, template)


def translate(key: str, rules: list) -> str | None:
    """timm's name for archspec's key, or None when no rule covers it."""
    for pattern, replacement in rules:
        match = re.fullmatch(pattern, key)
        if match is None:
            continue
        if isinstance(replacement, str):
            return _fill(replacement, match)
        prefix, inner_rules, group = replacement  # a prefix, then the rest translated by inner rules
        inner = translate(match.group(group), inner_rules)
        return None if inner is None else _fill(prefix, match) + inner
    return None
