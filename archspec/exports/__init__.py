"""Exports of a built model: ONNX, TorchScript, a torch.export program, and plain PyTorch source (eject).

`export_model(model, to, path)` writes one file, atomically; docs/export.md says what each holds and how
to load it back. The package is not named `export` because importing it would hide the function
`archspec.export`.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Mapping

import torch
from torch import nn

from ..atomic import atomic_write
from .constructors import EjectError

FORMATS = ("onnx", "torchscript", "pt2", "python")
EXPORTERS = {"onnx": "torch.onnx.export", "torchscript": "torch.jit.script", "pt2": "torch.export.export"}
OPTIMIZED_EJECT = ("--optimize does not apply to --to python: the optimized model's weights are computed by "
                   "archspec from the trained ones (batch norms folded into convolutions, sibling convolutions "
                   "fused), so no checkpoint of the spec would load into its source; eject the plain model, or "
                   "export the optimized one to onnx, torchscript or pt2")


INIT_NOTE = ("It imports only torch. A new model starts from PyTorch's default initialisation, not the spec's "
             "`init:`; the state_dict keys are those of the archspec model, so trained weights load with "
             "model.load_state_dict(state_dict), a checkpoint archspec saved with "
             "model.load_state_dict(torch.load(path)['state_dict']).")


class ExportError(Exception):
    """An export that failed: one line naming the format and what torch (or the eject) said."""


def export_model(model: nn.Module, to: str, path: str | Path, *, docs: Mapping[str, str] | None = None,
                 title: str = "", about: str = "") -> Path:
    """Write model (a whole model archspec built, optimized or not) as `to` (one of FORMATS) to path.

    The traced formats see the model in eval mode (its mode is restored afterwards), on inputs of its spec's
    shape with any batch size. python: docs (each block's `doc:` by name), title (the network's
    description) and about (where it came from) go into the docstrings."""
    if to not in FORMATS:
        raise ValueError(f"unknown export format {to!r}; choose one of {', '.join(FORMATS)}")
    if not hasattr(model, "input_shape") or not hasattr(model, "spec_name"):
        raise TypeError(f"archspec exports a model archspec.build_model built, got {type(model).__name__}")
    if to == "python":
        data = _ejected(model, docs or {}, title or model.spec_name, f"{about} {INIT_NOTE}".strip()).encode()
    else:
        data = _traced(model, to)
    return atomic_write(path, lambda handle: handle.write(data))


def _ejected(model: nn.Module, docs: Mapping[str, str], title: str, about: str) -> str:
    from .eject import check_ejected, eject_source
    if getattr(model, "optimized", False):
        raise ExportError(OPTIMIZED_EJECT)
    try:
        source = eject_source(model, docs, title, about)
        check_ejected(source, model)
    except EjectError as exc:
        raise ExportError(f"cannot eject {model.spec_name} as Python: {exc}") from exc
    return source


def _traced(model: nn.Module, to: str) -> bytes:
    from .onnx import onnx_bytes
    from .program import program_bytes
    from .torchscript import torchscript_bytes
    was_training = model.training
    first = next(iter(model.parameters()), None)
    generator = torch.Generator().manual_seed(0)
    sample = torch.randn(2, *model.input_shape, generator=generator)
    if first is not None:
        sample = sample.to(device=first.device, dtype=first.dtype)
    if to == "onnx" and importlib.util.find_spec("onnx") is None:  # torch's exporter writes through it
        raise ExportError("ONNX export needs the onnx package: pip install 'archspec[onnx]' (or pip install onnx)")
    model.eval()
    try:
        if to == "onnx":
            with torch.no_grad():
                out = model(sample)
            return onnx_bytes(model, sample, len(out) if isinstance(out, (list, tuple)) else 1)
        if to == "torchscript":
            return torchscript_bytes(model)
        return program_bytes(model, sample)
    except Exception as exc:  # torch's exporters raise many kinds: one line naming the exporter
        raise ExportError(f"{EXPORTERS[to]} failed on {model.spec_name}: {_first_line(exc)}") from exc
    finally:
        model.train(was_training)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
