"""The reserved item names cover every attribute the modules archspec builds have, in the torch installed."""
from __future__ import annotations

from torch import nn

from archspec.backends.torch.network import ArchNet, FeatureNet
from archspec.language.reserved import RESERVED_NAMES, reserved_name


def test_every_module_attribute_is_reserved():
    have = set(dir(nn.Module)) | set(vars(nn.Module())) | set(dir(ArchNet)) | set(dir(FeatureNet))
    free = sorted(name for name in have if reserved_name(name, top_level=False) is None)
    assert not free, free


def test_the_attributes_the_builder_sets_are_reserved():
    import archspec
    from ..conftest import ROOT

    model = archspec.build_model(ROOT / "specs" / "inception_v3.yaml", {"aux": True, "size": 299})
    own = set(vars(model)) - set(vars(nn.Module()))
    assert own <= RESERVED_NAMES, sorted(own - RESERVED_NAMES)
