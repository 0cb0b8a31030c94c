"""archspec: a neural-architecture spec compiler.

    spec = archspec.load_spec("specs/inception_v4.yaml")
    archspec.stats(spec)["params"]            # 42679816, without allocating weights
    model = archspec.build_model(spec)        # a trainable torch.nn.Module
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from .compiler import Spec, compile_spec, load_spec, lower
from .errors import Diagnostic, SpecError
from .ops import OpDef, Sample, ShapeError, register_op

__version__ = "0.1.0"
__all__ = ["Diagnostic", "OpDef", "Sample", "ShapeError", "Spec", "SpecError", "build_model", "compile_spec", "load_spec",
           "lower", "register_op", "stats"]


def stats(spec_or_path: "Spec | str | Path", overrides: Mapping[str, Any] | None = None) -> dict:
    """The dict `archspec stats --json` prints: name, input, output, params, macs, flops, blocks."""
    from .report import stats_dict
    spec, graph = compile_spec(spec_or_path, overrides)
    return stats_dict(spec, graph)


def build_model(spec_or_path: "Spec | str | Path", overrides: Mapping[str, Any] | None = None,
                seed: int | None = None):
    """Compile a spec into a torch.nn.Module whose submodule tree mirrors the spec."""
    from .backends.torch_backend import module_from_graph
    _, graph = compile_spec(spec_or_path, overrides)
    return module_from_graph(graph, seed)
