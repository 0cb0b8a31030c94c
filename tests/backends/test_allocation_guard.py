"""build_model refuses, before any tensor is created, a model that is too large, and says by how much;
the memory estimate it uses agrees with what PyTorch really allocates."""
from __future__ import annotations

import time
import tracemalloc

import pytest
import torch

import archspec
from archspec.analysis.memory import estimate

from ..memory_probe import saved_bytes

HUGE = """name: huge
input: [3, 8, 8]
network:
  - conv: 3x3 8
  - global_avgpool
  - linear: 1000000
  - linear: 1000000
"""


@pytest.fixture
def huge(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE)
    return path


def test_a_trillion_parameters_is_refused_before_allocation(huge):
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(archspec.SpecError) as caught:
        archspec.build_model(huge)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    message = str(caught.value)
    assert f"{huge}:7:13: network[3].linear:" in message  # the op with the most parameters
    assert "1,000,010,000,232 parameters" in message and "limit params" in message and "GB" in message
    assert elapsed < 5 and peak < 50 * 2**20
    assert archspec.stats(huge)["params"] == 1_000_010_000_232  # counting is not allocating


def test_the_limits_are_configurable(huge, tmp_path):
    small = tmp_path / "small.yaml"
    small.write_text(HUGE.replace("1000000", "1000"))
    model = archspec.build_model(small)
    n = sum(p.numel() for p in model.parameters())
    with pytest.raises(archspec.SpecError, match="limit params"):
        archspec.build_model(small, limits={"params": n - 1})
    archspec.build_model(small, limits={"params": n})
    with pytest.raises(archspec.SpecError, match=r"its weights would take about .* more than the limit memory"):
        archspec.build_model(small, limits={"memory": 4 * n - 1})
    with pytest.raises(archspec.SpecError, match=r"a training step at batch 1,000 .* more than the limit memory"):
        archspec.build_model(small, batch=1000, limits={"memory": 8 * n + 10_000})
    with pytest.raises(ValueError, match="batch"):
        archspec.build_model(small, batch=0)


@pytest.mark.parametrize("path, overrides", [("specs/wrn.yaml", {"depth": 16, "k": 2}), ("specs/inception_v3.yaml", {})])
def test_the_estimate_matches_the_model(path, overrides):
    spec, graph = archspec.compile_spec(path, overrides)
    est = estimate(graph, activations=True)
    model = archspec.build_model(spec, seed=0).train()
    assert est.params == sum(p.numel() for p in model.parameters())
    assert est.buffers == sum(b.numel() for b in model.buffers())
    x = torch.randn(2, *graph.nodes["input"]["meta"]["shape"])
    # what autograd keeps for backward, measured: the training estimate build_model(batch=) checks
    assert saved_bytes(model, x) == est.saved.bytes(2, 4) == est.training_bytes(2) - 8 * est.params - est.buffer_bytes()


def test_a_tensor_torch_cannot_hold_is_refused_even_on_meta(tmp_path):
    from typer.testing import CliRunner
    from archspec.cli.app import app

    path = tmp_path / "wide.yaml"
    path.write_text("name: wide\ninput: [3, 8, 8]\nnetwork:\n  - conv: 3x3 1000000000000000\n"
                    "  - conv: 3x3 1000000000000000\n")
    result = CliRunner().invoke(app, ["build", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{path}:5:11: network[1].conv: op 'conv_2.conv' has 9e+30 parameters, beyond what PyTorch" in result.output
    assert archspec.stats(path)["params"] == 9 * 10**30 + 31 * 10**15  # still counted
    with pytest.raises(archspec.SpecError, match="beyond what PyTorch"):
        archspec.build_model(path)


def test_a_cgroup_limit_caps_the_memory_available(tmp_path, monkeypatch):
    from archspec.analysis import memory

    limit, usage = tmp_path / "memory.max", tmp_path / "memory.current"
    limit.write_text("1000000\n")
    usage.write_text("400000\n")
    monkeypatch.setattr(memory, "CGROUP_FILES", ((str(limit), str(usage)),))
    assert memory.available_memory() == 600_000  # the container's headroom, not the host's MemAvailable
    limit.write_text("max\n")  # no limit set: the host's figure
    assert memory.available_memory() > 600_000
    limit.write_text("1000000\n")
    path = tmp_path / "small.yaml"
    path.write_text(HUGE.replace("1000000", "1000"))
    with pytest.raises(archspec.SpecError, match=r"more than the memory available now \(600,000 bytes\)"):
        archspec.build_model(path)
