"""archspec.import_weights: another model's weights into a model, paired by structure (match.py)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import torch

from .match import pair_by_order, pair_traces
from .report import THEIRS, ImportReport, Unmatched
from .synthetic import synthetic_input
from .trace import Trace, slots_of_state_dict, trace_module

_NESTED = ("state_dict", "model", "model_state_dict", "module")  # where training checkpoints keep the weights


def load_file(path: str | os.PathLike) -> Any:
    """What torch.save wrote to path, read with weights_only=True (no code runs) onto the CPU;
    FileNotFoundError or ValueError (naming the file and torch's reason) otherwise."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weights file {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [""])[0][:160]
        raise ValueError(f"{path} is not a file torch.save wrote, or holds more than tensors and plain values "
                         f"(torch.load(weights_only=True) failed: {type(exc).__name__}: {reason})") from None


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state_dict from a file written by torch.save (load_file). A checkpoint that nests it under
    'state_dict', 'model', 'model_state_dict' or 'module' is unwrapped."""
    return as_state_dict(load_file(path), str(path))


def as_state_dict(data: Any, what: str) -> dict[str, torch.Tensor]:
    if isinstance(data, Mapping):
        for key in _NESTED:
            if isinstance(data.get(key), Mapping):
                return as_state_dict(data[key], what)
        if data and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in data.items()):
            return dict(data)
    raise ValueError(f"{what} holds no state_dict (a mapping of names to tensors)")


def example_for(model: torch.nn.Module, example_input):
    if example_input is not None:
        return example_input
    shape = getattr(model, "input_shape", None)
    if shape is None:
        raise ValueError("example_input= is needed: the model has no input_shape (archspec models have one)")
    return synthetic_input((1, *shape))


def import_weights(model: torch.nn.Module, source: Any, *, example_input=None, strict: bool = True,
                   trace: "Trace | Mapping | None" = None) -> ImportReport:
    """Copy the weights of `source` into `model`, pairing tensors by the structure of both networks.

    source: an nn.Module (traced with one forward pass of example_input, by default a batch of one at
    the model's input shape), a state_dict, or the path of a torch.save file (read with
    weights_only=True). A bare state_dict is paired by key order and shape only, unless `trace` (a
    Trace, or its JSON: archspec.interop.trace) records the structure of the model it came from.
    Returns an ImportReport (print it for a table). strict=True: nothing is loaded unless every tensor
    on both sides is paired and verified; otherwise WeightMismatch (its `report` attribute holds the
    report) names the first problem. strict=False loads the pairs without a problem and leaves the rest."""
    from . import WeightMismatch
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(trace, Mapping):
        trace = Trace.from_json(trace)
    elif trace is not None and not isinstance(trace, Trace):
        raise TypeError(f"trace must be a Trace or its JSON (a mapping), got {type(trace).__name__}")
    if isinstance(source, torch.nn.Module):
        state, what = source.state_dict(), f"{type(source).__name__} (module)"
        x = example_for(model, example_input)
        report = pair_traces(trace_module(model, x), trace_module(source, x), what)
    else:
        if isinstance(source, (str, os.PathLike)):
            state, what = read_state_dict(source), f"file {source}"
        elif isinstance(source, Mapping):
            state, what = as_state_dict(source, "source"), "a state_dict"
        else:
            raise TypeError(f"source must be an nn.Module, a state_dict or a weights file's path, "
                            f"got {type(source).__name__}")
        if trace is not None:
            x = example_for(model, example_input)
            report = pair_traces(trace_module(model, x), trace, what + " with a recorded trace")
            _check_against_trace(state, trace, report)
        else:
            report = pair_by_order(slots_of_state_dict(model.state_dict()), slots_of_state_dict(state), what)
    if strict and not report.ok:
        problems = report.problems()
        error = WeightMismatch(f"{problems[0]} ({len(problems)} problem(s); print the exception's .report)")
        error.report = report
        raise error
    _load(model, state, report, strict)
    return report


def _check_against_trace(state: Mapping, trace: Trace, report: ImportReport) -> None:
    """A recorded trace must describe this state_dict: the same keys and shapes."""
    expected = {s.key(n): tuple(shape) for s in trace.slots for n, shape in s.tensors}
    missing = [k for k in expected if k not in state]
    if missing:
        report.errors.append(f"the state_dict lacks '{missing[0]}' that the trace records "
                            f"({len(missing)} missing)")
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != expected[k]]
    if wrong:
        report.errors.append(f"'{wrong[0]}' is {tuple(state[wrong[0]].shape)} in the state_dict, "
                            f"{expected[wrong[0]]} in the trace")
    for key in state:
        if key not in expected:
            report.unmatched.append(Unmatched(THEIRS, key.rpartition(".")[0], [key], "not in the recorded trace"))


def _load(model: torch.nn.Module, state: Mapping, report: ImportReport, strict: bool) -> None:
    ours = model.state_dict()
    new = {key: state[theirs].reshape(ours[key].shape) for key, theirs in report.mapping().items()
           if theirs in state and state[theirs].numel() == ours[key].numel()}
    model.load_state_dict(new, strict=strict)
    report.loaded = True
