"""`archspec export --to python`: the ejected file of every shipped spec, imported in a process where archspec
cannot be imported, has the archspec model's state_dict keys and computes its outputs from its weights; it
passes pyflakes, imports only torch, is written the same byte for byte every time, and reads like the spec."""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import archspec
from archspec.exports import ExportError

from ..conftest import ROOT, SPECS

# Reduced settings where a spec declares them (fewer weights, smaller maps): the structure is the shipped one.
# Always: the small networks (preact blocks, SE gates, layer norm and layer scale, concat and upsampling) and
# Inception-v4; the slow set: the other large ones, whose state_dicts the check writes and reads back.
ALWAYS = {"wrn": {"depth": 10, "k": 2}, "efficientnet_b0": {"size": 32, "classes": 10},
          "convnext_tiny": {"size": 32, "width": 16, "classes": 10}, "unet": {"size": 32, "base": 8},
          "inception_v4": {"size": 75, "classes": 10}}
SLOW = {"preact_resnet18": {"size": 32, "classes": 10},
        "inception_v3": {"size": 75}, "inception_resnet_v1": {"size": 75}, "inception_resnet_v2": {"size": 75},
        "inception_resnet_v2_5_10_5": {"size": 75}, "inception_v4_1001": {"size": 75}, "resnet50": {"size": 64},
        "fpn_resnet50": {"size": 64, "width": 64}}
CHECKER = Path(__file__).with_name("run_ejected.py")


def test_every_shipped_spec_is_ejected_by_a_test():
    assert {p.stem for p in SPECS} == set(ALWAYS) | set(SLOW)


def _root_class(text: str) -> str:
    return re.findall(r"^class (\w+)\(nn\.Module\):", text, re.M)[-1]


def _eject_and_check(specs: dict, tmp_path: Path) -> list[Path]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small maps: a second thread only spins, for seconds when the machine is busy
    try:
        return _check(specs, tmp_path)
    finally:
        torch.set_num_threads(threads)


def _check(specs: dict, tmp_path: Path) -> list[Path]:
    cases = []
    for name, overrides in specs.items():
        spec = ROOT / "specs" / f"{name}.yaml"
        target = archspec.export(spec, "python", tmp_path / f"ejected_{name}.py", overrides, seed=0)
        model = archspec.build_model(spec, overrides, seed=0).eval()
        x = torch.randn(2, *model.input_shape, generator=torch.Generator().manual_seed(1))
        with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False):  # oneDNN's first call of a shape is slow
            out = model(x)
        expected = list(out) if isinstance(out, (list, tuple)) else [out]
        tensors = tmp_path / f"{name}.pt"
        torch.save({"state_dict": model.state_dict(), "input": x, "expected": expected}, tensors)
        cases.append({"module": f"ejected_{name}", "file": str(target), "cls": _root_class(target.read_text()),
                      "tensors": str(tensors)})
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    run = subprocess.run([sys.executable, "-I", str(CHECKER), str(tmp_path / "cases.json")], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("keys same") == len(specs), run.stdout
    files = [Path(c["file"]) for c in cases]
    flakes = subprocess.run([sys.executable, "-m", "pyflakes", *map(str, files)], capture_output=True, text=True)
    assert flakes.returncode == 0, flakes.stdout + flakes.stderr
    for path in files:
        text = path.read_text()
        assert max(map(len, text.splitlines())) <= 120, path.name
        roots = {(a.name if isinstance(node, ast.Import) else node.module).split(".")[0]
                 for node in ast.walk(ast.parse(text)) if isinstance(node, (ast.Import, ast.ImportFrom))
                 for a in (node.names if isinstance(node, ast.Import) else [None])}
        assert roots <= {"torch", "typing", "math"}, (path.name, roots)
    return files


def test_ejected_networks_match_the_archspec_models(tmp_path):
    _eject_and_check(ALWAYS, tmp_path)


@pytest.mark.slow
def test_ejected_large_networks_match_the_archspec_models(tmp_path):
    _eject_and_check(SLOW, tmp_path)


def test_eject_is_deterministic_and_reads_like_the_spec(tmp_path):
    spec = ROOT / "specs" / "wrn.yaml"
    first = archspec.export(spec, "python", tmp_path / "a.py", {"depth": 10}).read_bytes()
    assert archspec.export(spec, "python", tmp_path / "b.py", {"depth": 10}, seed=5).read_bytes() == first
    text = first.decode()
    loaded = archspec.load_spec(spec)
    tree = ast.parse(text)
    classes = {node.name: ast.get_docstring(node) for node in tree.body if isinstance(node, ast.ClassDef)}
    assert classes["Wrn"] == loaded.doc.doc  # the spec's doc
    assert classes["B"] == loaded.blocks["B"].definition.doc  # each block's doc, the class named after it
    assert classes["Stage"] == loaded.blocks["stage"].definition.doc
    assert "class Wrn(nn.Module):" in text and "def forward_head(self, x, pre_logits: bool = False):" in text
    assert "self.stage2 = Stage(160, 320, stride=2)" in text  # children built with their arguments
    assert "archspec." not in text.replace("`archspec export", "")  # no import of it, no reference to it
    assert "default initialisation" in " ".join(ast.get_docstring(tree).split())


def test_optimized_eject_is_refused_with_the_reason(tmp_path):
    with pytest.raises(ExportError, match="--optimize does not apply to --to python"):
        archspec.export(ROOT / "specs" / "wrn.yaml", "python", tmp_path / "a.py", {"depth": 10}, optimize=True)
    assert not (tmp_path / "a.py").exists()


def test_a_module_plain_pytorch_cannot_write_is_refused_by_name(tmp_path):
    class Swish(torch.nn.Module):
        def forward(self, x):
            return x * torch.sigmoid(x)

    model = archspec.build_model(ROOT / "specs" / "wrn.yaml", {"depth": 10, "k": 1})
    model.head.act = Swish()
    with pytest.raises(ExportError, match=r"^cannot eject wrn as Python: cannot write a .*Swish module as plain "
                                          r"PyTorch \(not a torch.nn module\)$"):
        archspec.export(model, "python", tmp_path / "a.py")
    del model.head.act
    with pytest.raises(ExportError, match="the model has no module 'act' that its spec has"):
        archspec.export(model, "python", tmp_path / "a.py")


def test_a_model_alone_is_ejected_with_the_initialisation_note(tmp_path):
    model = archspec.build_model(ROOT / "specs" / "wrn.yaml", {"depth": 10, "k": 1})
    text = archspec.export(model, "python", tmp_path / "a.py").read_text()
    assert "default initialisation" in " ".join(ast.get_docstring(ast.parse(text)).split())
    assert ast.get_docstring(next(n for n in ast.parse(text).body if getattr(n, "name", "") == "Wrn")) == "wrn"
