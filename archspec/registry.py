"""The shipped specs as a model registry, like timm's: `list_models`, `spec_path`, `model_info`
(`archspec.create_model` builds one).

The shipped specs are the YAML files of `archspec/specs/` (package data; in a source checkout a link to
the repository's `specs/`, see docs/architecture.md). A model's name is its file name without `.yaml`.
Nothing here imports torch.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import did_you_mean
from .pipeline import count_network, load_spec

SPECS = Path(__file__).resolve().parent / "specs"


class UnknownModel(ValueError):
    """A name that is neither a shipped spec nor a spec file."""


def list_models(pattern: str | None = None) -> list[str]:
    """The names of the shipped specs, sorted; pattern: a shell-style filter such as 'inception_v*' (one
    without `*`, `?` or `[` matches the names that contain it: 'resnet')."""
    names = sorted(p.stem for p in SPECS.glob("*.yaml") if p.is_file())
    if pattern is not None and not any(c in pattern for c in "*?["):
        pattern = f"*{pattern}*"
    return [n for n in names if pattern is None or fnmatch.fnmatchcase(n, pattern)]


def spec_path(name: "str | os.PathLike") -> Path:
    """The spec file a name stands for: a shipped spec's name, or the path of a spec file."""
    text = os.fspath(name)
    if text in list_models():
        return SPECS / f"{text}.yaml"
    path = Path(text).expanduser()
    if path.suffix in (".yaml", ".yml") or os.sep in text or "/" in text:
        if path.is_file():
            return path
        raise UnknownModel(f"no spec file {text}")
    hint = did_you_mean(text, list_models())
    raise UnknownModel(f"no shipped spec named '{text}'" + (f"; {hint}" if hint else "") +
                       " (`archspec list` shows them; a spec file is given by its path)")


@dataclass(frozen=True)
class ModelInfo:
    """One row of `archspec list`: counted without building the network's IR or any weight."""
    name: str
    params: int
    macs: int
    input: tuple[int, ...]
    description: str
    path: Path


def model_info(name: "str | os.PathLike", overrides: Mapping[str, Any] | None = None) -> ModelInfo:
    spec = load_spec(spec_path(name), overrides)
    counts = count_network(spec)
    return ModelInfo(Path(spec.file).stem if os.fspath(name) in list_models() else spec.name,
                     counts.params, counts.macs, counts.input, spec.doc.doc, Path(spec.file))
