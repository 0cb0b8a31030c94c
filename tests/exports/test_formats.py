"""`archspec export --to onnx|torchscript|pt2`: each file loads back without archspec's model (onnxruntime,
torch.jit.load, torch.export.load) and gives the model's eval outputs at two batch sizes, also optimized."""
from __future__ import annotations

import onnxruntime
import pytest
import torch
from typer.testing import CliRunner

import archspec
from archspec.cli.app import app
from archspec.exports import ExportError

from ..conftest import ROOT

WRN = ROOT / "specs" / "wrn.yaml"
SMALL = {"depth": 10, "k": 1, "size": 16}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small maps: a second thread only spins, for seconds when the machine is busy
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def model():
    return archspec.build_model(WRN, SMALL, seed=3).eval()


def _inputs():
    generator = torch.Generator().manual_seed(0)
    return [torch.randn(batch, 3, 16, 16, generator=generator) for batch in (1, 3)]


def _load(fmt: str, path):
    if fmt == "onnx":
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return lambda x: torch.from_numpy(session.run(None, {"input": x.numpy()})[0])
    if fmt == "torchscript":
        return torch.jit.load(str(path))
    return torch.export.load(str(path)).module()


@pytest.mark.parametrize("optimize", [False, True], ids=["plain", "optimized"])
@pytest.mark.parametrize("fmt", ["onnx", "torchscript", "pt2"])
def test_export_loads_back_with_the_same_outputs(fmt, optimize, model, tmp_path):
    path = archspec.export(WRN, fmt, tmp_path / f"wrn.{fmt}", SMALL, seed=3, optimize=optimize)
    loaded = _load(fmt, path)
    for x in _inputs():  # batch 1 and 3: the batch dimension is dynamic
        with torch.no_grad():
            want, got = model(x), loaded(x)
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_a_model_with_weights_exports_those_weights(model, tmp_path):
    archspec.save_weights(model, tmp_path / "w.pt")
    path = archspec.export(WRN, "torchscript", tmp_path / "w.ts", SMALL, weights=tmp_path / "w.pt", seed=99)
    x = _inputs()[1]
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(str(path))(x), model(x))


def test_a_failing_exporter_is_one_clear_line(model, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("Unsupported: something deep inside torch\n  with a long trace")
    monkeypatch.setattr(torch.jit, "script", broken)
    with pytest.raises(ExportError, match=r"^torch.jit.script failed on wrn: RuntimeError: Unsupported: something "
                                          r"deep inside torch$"):
        archspec.export(model, "torchscript", tmp_path / "x.pt")
    assert not (tmp_path / "x.pt").exists() and model.training is False
    result = CliRunner().invoke(app, ["export", str(WRN), "--to", "torchscript", "-o", str(tmp_path / "y.pt"),
                                      "--set", "depth=10", "--set", "k=1"])
    assert result.exit_code == 1 and "error: torch.jit.script failed on wrn" in result.output
    assert "Traceback" not in result.output


def test_onnx_without_the_onnx_package_says_how_to_install_it(model, tmp_path, monkeypatch):
    import importlib.util
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: None if name == "onnx" else find_spec(name, *rest))
    with pytest.raises(ExportError, match=r"needs the onnx package: pip install 'archspec\[onnx\]'"):
        archspec.export(model, "onnx", tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def _text(result) -> str:
    return " ".join(result.output.replace("│", " ").split())  # rich's box wraps long messages


def test_cli_writes_each_format_and_refuses_mistakes(tmp_path):
    runner = CliRunner()
    base = ["export", str(WRN), "--set", "depth=10", "--set", "k=1", "--set", "size=16"]
    result = runner.invoke(app, base + ["--to", "python", "-o", str(tmp_path / "new" / "wrn.py")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "wrn.py").read_text().startswith('"""Wrn: ')
    wrong = runner.invoke(app, base + ["--to", "tflite", "-o", str(tmp_path / "x")])
    assert wrong.exit_code == 2 and "tflite" in _text(wrong)
    folder = runner.invoke(app, base + ["--to", "onnx", "-o", str(tmp_path)])
    assert folder.exit_code == 2 and "is a folder; give a file name" in _text(folder)
    (tmp_path / "file").write_text("")
    under_file = runner.invoke(app, base + ["--to", "onnx", "-o", str(tmp_path / "file" / "x.onnx")])
    assert under_file.exit_code == 2 and "not a directory" in _text(under_file)
    optimized = runner.invoke(app, base + ["--to", "python", "--optimize", "-o", str(tmp_path / "o.py")])
    assert optimized.exit_code == 2 and "--optimize does not apply to --to python" in _text(optimized)
