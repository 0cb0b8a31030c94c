"""The model registry: the shipped specs as package data, archspec.list_models / create_model (pretrained
from a checkpoint, a state_dict, timm's names or another module), and `archspec list`."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from typer.testing import CliRunner

import archspec
from archspec.cli.app import app
from archspec.interop import WeightMismatch
from archspec.interop.synthetic import synthetic_input
from archspec.registry import SPECS, UnknownModel, model_info, spec_path

from .conftest import ROOT
from .interop.test_structural import SMALL, HandNet, randomized

runner = CliRunner()


def test_every_shipped_spec_is_listed_from_the_package_folder():
    assert sorted(p.name for p in SPECS.glob("*.yaml")) == sorted(p.name for p in (ROOT / "specs").glob("*.yaml"))
    assert SPECS.parent == ROOT / "archspec"
    assert archspec.list_models() == sorted(p.stem for p in (ROOT / "specs").glob("*.yaml"))
    assert archspec.list_models("inception_v4*") == ["inception_v4", "inception_v4_1001"]
    assert archspec.list_models("res*50") == ["resnet50"] and "fpn_resnet50" in archspec.list_models("resnet")
    assert archspec.list_models("nothing*") == []


def test_a_spec_that_extends_another_loads_from_the_package_folder():
    info = model_info("inception_v4_1001")  # extends inception_v4.yaml, imports nothing else
    assert info.params == archspec.stats(ROOT / "specs" / "inception_v4_1001.yaml")["params"]
    assert info.input == (3, 299, 299) and info.name == "inception_v4_1001"
    assert model_info("resnet50").macs == archspec.stats(ROOT / "specs" / "resnet50.yaml")["macs"]  # archspec:resnet


def test_a_name_with_a_typo_suggests_the_shipped_one():
    with pytest.raises(UnknownModel, match="no shipped spec named 'resnet05'; did you mean 'resnet50'"):
        spec_path("resnet05")
    with pytest.raises(UnknownModel, match="no spec file"):
        spec_path("missing/spec.yaml")
    assert spec_path(ROOT / "specs" / "wrn.yaml") == ROOT / "specs" / "wrn.yaml"


def test_create_model_builds_a_shipped_spec_with_overrides():
    model = archspec.create_model("resnet50", seed=0, **SMALL)
    assert model.spec_name == "resnet50" and model.num_classes == 10 and model.input_shape == (3, 32, 32)
    assert not hasattr(model, "pretrained_report")
    same = archspec.build_model(ROOT / "specs" / "resnet50.yaml", SMALL, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), same.state_dict().values()))


def outputs(model, size=32):
    with torch.no_grad():
        return model.eval()(synthetic_input((2, 3, size, size)))


def test_pretrained_from_an_archspec_checkpoint_and_from_a_state_dict(tmp_path):
    source = archspec.create_model("resnet50", seed=1, **SMALL)
    path = tmp_path / "small.pt"
    archspec.save_weights(source, path)
    from_file = archspec.create_model("resnet50", pretrained=path, **SMALL)
    assert "its spec hash and keys" in str(from_file.pretrained_report) and from_file.pretrained_report.ok
    from_dict = archspec.create_model("resnet50", pretrained=source.state_dict(), **SMALL)
    assert "its keys, which are the model's" in str(from_dict.pretrained_report)
    expected = outputs(source)
    torch.testing.assert_close(outputs(from_file), expected)
    torch.testing.assert_close(outputs(from_dict), expected)
    backbone = archspec.create_model("resnet50", pretrained=path, features_only=True, **SMALL)
    assert torch.equal(backbone.state_dict()["layer4.blocks.0.conv3.bn.running_var"],
                       source.state_dict()["layer4.blocks.0.conv3.bn.running_var"])
    for whole in (source.state_dict(), source):  # a backbone takes a whole network's tensors however given
        backbone = archspec.create_model("resnet50", pretrained=whole, features_only=True, **SMALL)
        assert backbone.pretrained_report.ok and "a backbone takes the network's subset" in str(backbone.pretrained_report)
        assert torch.equal(backbone.state_dict()["layer4.blocks.0.conv3.conv.weight"],
                           source.state_dict()["layer4.blocks.0.conv3.conv.weight"])
    with pytest.raises(ValueError, match="downloads nothing"):
        archspec.create_model("resnet50", pretrained=True, **SMALL)
    with pytest.raises(archspec.CheckpointMismatch):
        archspec.create_model("resnet50", pretrained=path, **{**SMALL, "classes": 7})


def test_pretrained_from_another_module_goes_through_the_structural_import(tmp_path):
    theirs = randomized(HandNet())
    model = archspec.create_model("resnet50", pretrained=theirs, **SMALL)
    assert model.pretrained_report.ok and model.pretrained_report.structure_checked
    torch.testing.assert_close(outputs(model), outputs(theirs), rtol=1e-5, atol=1e-5)
    path = tmp_path / "hand.pt"
    torch.save({"epoch": 3, "state_dict": theirs.state_dict()}, path)
    with pytest.raises(WeightMismatch, match="shape"):  # a bare state_dict in its own key order: by order only
        archspec.create_model("resnet50", pretrained=path, **SMALL)
    with pytest.raises(WeightMismatch, match="conv shape differs"):
        archspec.create_model("resnet50", pretrained=randomized(HandNet(mid=96)), **SMALL)
    partial = archspec.create_model("resnet50", pretrained=randomized(HandNet(mid=96)), strict=False, **SMALL)
    assert not partial.pretrained_report.ok and partial.pretrained_report.loaded


@pytest.mark.slow
def test_pretrained_timm_state_dict_goes_through_the_explicit_map():
    from .interop.test_interop import fixture, timm_state_dict
    model = archspec.create_model("efficientnet_b0", pretrained=timm_state_dict("efficientnet_b0"))
    assert "timm's names for efficientnet_b0" in str(model.pretrained_report)
    expected = torch.tensor(fixture("efficientnet_b0")["logits"])
    with torch.inference_mode():
        got = model.eval()(synthetic_input(fixture("efficientnet_b0")["input_shape"]))
    assert (got - expected).abs().max().item() <= 1e-4


def test_list_prints_a_table_and_json():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    for name in archspec.list_models():
        assert name in result.output
    assert "25.56 M" in result.output and "4.09 G" in result.output and "3x224x224" in result.output
    rows = json.loads(runner.invoke(app, ["list", "inception_v4*", "--json"]).output)
    assert [r["name"] for r in rows] == ["inception_v4", "inception_v4_1001"]
    assert rows[0]["params"] == 42679816 and rows[0]["input"] == [3, 299, 299]
    assert rows[0]["description"].startswith("Inception-v4")


def test_list_of_a_pattern_that_matches_nothing_is_a_usage_error():
    result = runner.invoke(app, ["list", "inceptoin*"])
    assert result.exit_code == 2 and "no shipped spec matches 'inceptoin*'" in result.output
    assert "Traceback" not in result.output


def test_list_does_not_import_torch():
    code = ("import sys; from archspec.cli.app import app; sys.argv = ['archspec', 'list', 'wrn']\n"
            "try:\n    app()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print(sorted(m for m in ('torch',) if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]" and "wrn" in result.stdout


def test_pretrained_that_is_no_weights_gets_a_clear_error(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"garbage\.pt is not a file torch\.save wrote.*\(torch\.load\(weights_only"
                                         r"=True\) failed: \w+Error"):
        archspec.create_model("wrn", pretrained=garbage, depth=10, k=1)
    with pytest.raises(ValueError, match=r"garbage\.pt is not a file torch\.save wrote"):
        archspec.import_weights(archspec.create_model("wrn", depth=10, k=1), garbage)
    for wrong in (1, [], "missing.pt"):
        with pytest.raises((TypeError, FileNotFoundError), match="no weights file missing.pt|pretrained must be a "
                           r"weights file's path, a state_dict or an nn\.Module, got (int|list)"):
            archspec.create_model("wrn", pretrained=wrong, depth=10, k=1)
    with pytest.raises(TypeError, match=r"source must be an nn\.Module, a state_dict or a weights file's path, got int"):
        archspec.import_weights(archspec.create_model("wrn", depth=10, k=1), 3)
