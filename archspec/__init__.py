"""archspec: a neural-architecture spec compiler.

    spec = archspec.load_spec("specs/inception_v4.yaml")
    archspec.stats(spec)["params"]            # 42679816, without allocating weights
    model = archspec.build_model(spec)        # a trainable torch.nn.Module
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from .collector import collector_paused

# Importing makes some 10^5 objects that live as long as the process (pydantic models, networkx, the op
# registry): they go to the oldest generation unscanned (archspec/collector.py).
with collector_paused(settle="oldest"):
    from .pipeline import compile_spec, load_library, load_spec, lower, Spec
    from .errors import Diagnostic, SpecError, note_compiling
    from .limits import Limits
    from .ops import OpDef, Sample, ShapeError, register_op

__version__ = "0.1.0"
__all__ = ["Diagnostic", "Limits", "OpDef", "Sample", "ShapeError", "Spec", "SpecError", "build_model", "compile_spec",
           "diff", "explain", "export", "json_schema", "load_library", "load_spec", "optimize",
           "lower", "register_op", "render", "stats", "summary", "sweep"]


def stats(spec_or_path: "Spec | str | Path", overrides: Mapping[str, Any] | None = None, *,
          limits: "Limits | Mapping[str, int] | None" = None, allow_dirs: "Sequence[str | Path] | None" = None) -> dict:
    """The dict `archspec stats --json` prints: name, input, output, params, macs, flops, blocks."""
    from .analysis.report import stats_dict
    with collector_paused():  # the report reads the whole IR once more: one scan afterwards (collector.py)
        spec, graph = compile_spec(spec_or_path, overrides, limits=limits, allow_dirs=allow_dirs)
        return stats_dict(spec, graph)


def summary(spec_or_path: "Spec | str | Path", overrides: Mapping[str, Any] | None = None, *, depth: int = 2,
            batch: int = 1, dtype: str = "float32", limits: "Limits | Mapping[str, int] | None" = None,
            allow_dirs: "Sequence[str | Path] | None" = None):
    """The layer summary `archspec summary` prints, as data: an archspec.analysis.summary.Summary with rows to
    `depth` (shapes, kernels, params, MACs), totals (trainable, non-trainable, buffers) and the memory in
    bytes at `batch` and `dtype` (float32, float16, bfloat16, float64); .to_dict() is `--json`'s object.
    Nothing is allocated (docs/summary.md)."""
    from .analysis.summary import summarize
    with collector_paused():
        spec, graph = compile_spec(spec_or_path, overrides, limits=limits, allow_dirs=allow_dirs)
        return summarize(spec.name, graph, depth, batch, dtype)


def diff(a: "Spec | str | Path", b: "Spec | str | Path | None" = None, overrides: Mapping[str, Any] | None = None, *,
         overrides_a: Mapping[str, Any] | None = None, overrides_b: Mapping[str, Any] | None = None,
         limits: "Limits | Mapping[str, int] | None" = None, allow_dirs: "Sequence[str | Path] | None" = None):
    """What `archspec diff` shows, as data: an archspec.analysis.diff.SpecDiff (parameter values, blocks,
    stages, params and MACs of A and B); .to_dict() is `--json`'s object. overrides apply to both specs,
    overrides_a / overrides_b to one (and win); b=None compares a with itself under overrides_b."""
    from .analysis.diff import diff_specs
    shared = dict(overrides or {})
    spec_a, graph_a = compile_spec(a, {**shared, **dict(overrides_a or {})}, limits=limits, allow_dirs=allow_dirs)
    spec_b, graph_b = compile_spec(a if b is None else b, {**shared, **dict(overrides_b or {})}, limits=limits,
                                   allow_dirs=allow_dirs)
    return diff_specs(spec_a, graph_a, spec_b, graph_b)


def json_schema(library: bool = False) -> dict:
    """The JSON Schema (draft-07) of spec files (library=True: of block library files), with the ops registered
    now: what `archspec schema` writes, for an editor's completion, hover help and inline errors
    (docs/editors.md). It checks keys, argument names and literal types; names, expressions and shapes are
    load_spec's."""
    from .language.editor import json_schema as generate
    return generate(library)


def sweep(spec_or_path: "Spec | str | Path", grid: "Mapping[str, Sequence[Any]]",
          overrides: Mapping[str, Any] | None = None, *, max_params: "int | float | str | None" = None,
          max_macs: "int | float | str | None" = None, jobs: int | None = None, progress=None,
          limits: "Limits | Mapping[str, int] | None" = None, allow_dirs: "Sequence[str | Path] | None" = None):
    """Count every combination of grid's values, e.g. {"depth": [16, 22, 28], "k": [1, 2, 4]} (overrides fix
    other parameters), without weights: an archspec.sweeps.SweepResult whose rows hold each variant's values,
    params and MACs (exactly stats'), or the located reason the spec refuses it, the variants over
    max_params/max_macs (numbers or '10M', '2G', '1.5e9') marked, and the Pareto front; .to_csv(path),
    .to_json(path), .plot(path.png|.svg). jobs: worker processes (default: every core); progress(done,
    total) is called as variants are counted. docs/sweeps.md."""
    from .sweeps import sweep as run
    return run(spec_or_path, grid, overrides, max_params=max_params, max_macs=max_macs, jobs=jobs,
               progress=progress, limits=limits, allow_dirs=allow_dirs)


def render(spec_or_path: "Spec | str | Path", level: str = "network", overrides: Mapping[str, Any] | None = None, *,
           block: str | None = None, title: bool = True, legend: bool = True, direction: str = "TB",
           fold: bool = True, limits: "Limits | Mapping[str, int] | None" = None,
           allow_dirs: "Sequence[str | Path] | None" = None):
    """The diagram `archspec render` draws, as data: a Diagram with .dot (a graphviz.Digraph), .source (DOT),
    .write(path) (svg, png, pdf need graphviz's `dot`) and an SVG view in notebooks. level: network, block or
    layer; block: only that block (block level; level may be left as is); title, legend: shown or not;
    direction: TB or LR; fold: layer level, one use per structure of a repeat group. RenderError
    (archspec.backends.graphviz.render) for an unknown level, block or direction. docs/diagrams.md."""
    from .backends.graphviz.render import Diagram, Options, render as draw
    level = "block" if block is not None and level == "network" else level
    spec, graph = compile_spec(spec_or_path, overrides, limits=limits, allow_dirs=allow_dirs)
    options = Options(title=title, legend=legend, direction=direction, block=block, fold=fold)
    return Diagram(draw(spec, graph, level, options), level)


# The checkpoint and block API (archspec.backends.torch), imported on first use: `import archspec` does not
# import torch.
__all__ += ["create_model", "import_weights", "list_models"]
__all__ += ["ArchBlock", "Checkpoint", "CheckpointError", "CheckpointMismatch", "block_modules", "load_weights",
            "read_checkpoint", "save_weights", "spec_hash"]
_CHECKPOINT_API = ("Checkpoint", "CheckpointError", "CheckpointMismatch", "load_weights", "read_checkpoint",
                   "save_weights")


def __getattr__(name: str):
    if name in _CHECKPOINT_API:
        from .backends.torch import checkpoint
        return getattr(checkpoint, name)
    if name in ("ArchBlock", "block_modules"):
        from .backends.torch import network
        return getattr(network, name)
    if name == "import_weights":
        from .interop.structural import import_weights
        return import_weights
    raise AttributeError(f"module 'archspec' has no attribute {name!r}")


def spec_hash(spec_or_path: "Spec | str | Path", overrides: Mapping[str, Any] | None = None, *,
              limits: "Limits | Mapping[str, int] | None" = None, allow_dirs: "Sequence[str | Path] | None" = None
              ) -> str:
    """The sha256 (hex) that names the resolved network: the `spec_hash` of the model build_model gives and of
    the checkpoints save_weights writes. What it covers: archspec.analysis.spec_hash."""
    from .analysis.spec_hash import spec_hash as digest
    return digest(compile_spec(spec_or_path, overrides, limits=limits, allow_dirs=allow_dirs)[1])


def explain(spec_or_path: "Spec | str | Path", node: str, overrides: Mapping[str, Any] | None = None, *,
            limits: "Limits | Mapping[str, int] | None" = None, allow_dirs: "Sequence[str | Path] | None" = None):
    """Where each argument of an IR node (or parameter of a block use) came from: an Explanation with
    `arguments` and `names` rows (name, value, origin, where, written) and `notes`; `archspec explain`."""
    from .analysis.provenance import explain as why
    spec, graph = compile_spec(spec_or_path, overrides, limits=limits, allow_dirs=allow_dirs)
    return why(spec, graph, node)


def optimize(model, passes: "Sequence[str] | None" = None):
    """The optimized inference model of a model archspec.build_model built (with its current weights): batch
    norms folded into convolutions, residual scales folded, sibling 1x1 convolutions fused, channels-last,
    in-place adds and activations (docs/optimize.md). Its eval outputs equal the model's (float rounding
    aside); it keeps the model API but refuses train(). `model.optimize_report` says what the passes did
    and what the optimized model drops. TypeError for a model archspec did not build, ValueError for a
    features_only one or one whose modules were replaced (a new classifier is kept). passes: only these of
    archspec.optimization.PASSES (in that order), to compare them."""
    from .backends.torch.optimize import optimize_model
    from .pipeline import debug_enabled
    return optimize_model(model, debug_enabled(), passes)


def list_models(pattern: str | None = None) -> list[str]:
    """The shipped specs' names (create_model takes them), sorted; pattern: e.g. '*resnet*' (docs/weights.md)."""
    from .registry import list_models as names
    return names(pattern)


def create_model(name: "str | Path", pretrained=None, *, seed: int | None = None, features_only: bool = False,
                 out_indices: "Sequence[int] | None" = None, strict: bool = True, **overrides):
    """build_model for a shipped spec's name (or a spec file), like timm.create_model: other keyword
    arguments set spec parameters (classes=10). pretrained: an archspec checkpoint, a state_dict or its
    file, or an nn.Module (timm, torchvision, your own); how it is matched, and the report it leaves in
    model.pretrained_report: archspec.interop.pretrained and docs/weights.md."""
    from .registry import spec_path
    model = build_model(spec_path(name), overrides or None, seed, features_only=features_only,
                        out_indices=out_indices)
    if pretrained is not None and pretrained is not False:
        from .interop.pretrained import load_pretrained
        model.pretrained_report = load_pretrained(model, pretrained, strict=strict)
    return model


_optimize = optimize  # build_model's `optimize` argument hides the function's name inside it


def build_model(spec_or_path: "Spec | str | Path", overrides: Mapping[str, Any] | None = None,
                seed: int | None = None, *, features_only: bool = False,
                out_indices: "Sequence[int] | None" = None, batch: int | None = None,
                limits: "Limits | Mapping[str, int] | None" = None, allow_dirs: "Sequence[str | Path] | None" = None,
                optimize: bool = False):
    """Compile a spec into a torch.nn.Module whose submodule tree mirrors the spec.

    The model has timm's API (forward_features, forward_head, reset_classifier, feature_info).
    With features_only=True its forward returns the feature maps at the spec's feature taps (by
    default one per stride), those chosen by out_indices, and the layers after them are left out.

    Before any tensor is created, a model over the `params` limit (2**31) or whose weights would not fit
    in the memory available (the `memory` limit) is refused with a SpecError giving the estimate; with
    batch=N, a training step at batch N (weights, gradients, activations) must fit too.
    allow_dirs: folders the spec may read files from besides its own (see load_spec).
    seed: a whole number from 0 to 2**64 - 1 (else TypeError / ValueError, before compiling).
    optimize=True: build (seeded) then archspec.optimize: an inference model (docs/optimize.md); not with
    features_only."""
    from .analysis.memory import check_allocation
    from .backends.torch.network import module_from_graph
    from .limits import using
    if seed is not None:  # torch.manual_seed takes -2**63 .. 2**64 - 1, a negative one as seed + 2**64: refused
        if isinstance(seed, bool) or not hasattr(type(seed), "__index__"):
            raise TypeError(f"seed must be a whole number (or None), got {type(seed).__name__} {seed!r}")
        if not 0 <= (seed := int(seed)) < 2**64:
            raise ValueError(f"seed must be between 0 and 2**64 - 1 (18446744073709551615), got {seed}")
    with using(limits):
        spec, graph = compile_spec(spec_or_path, overrides, allow_dirs=allow_dirs)
        if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 1):
            raise ValueError(f"batch must be a whole number >= 1, got {batch!r}")
        check_allocation(graph, batch)
    if optimize and features_only:
        raise ValueError("optimize=True builds a whole model; a features_only backbone is not supported")
    try:
        model = module_from_graph(graph, seed, features_only=features_only, out_indices=out_indices)
    except Exception as exc:  # a bug in archspec: name what it was building
        note_compiling(exc, f"the PyTorch module of {spec.file}")
        raise
    return _optimize(model) if optimize else model


def export(spec_or_model, to: str, path: "str | Path", overrides: Mapping[str, Any] | None = None, *,
           optimize: bool = False, weights: "str | Path | None" = None, seed: int | None = None,
           limits: "Limits | Mapping[str, int] | None" = None, allow_dirs: "Sequence[str | Path] | None" = None
           ) -> Path:
    """Write a spec's model (built with seed, its weights loaded from a save_weights checkpoint if given) or a
    model build_model built to path as to="onnx", "torchscript", "pt2" (torch.export) or "python" (plain
    PyTorch source; the blocks' docs come from the spec, so give a spec for them); optimize=True exports
    archspec.optimize(model) (not for python). ExportError (archspec.exports) when torch's exporter fails.
    docs/export.md."""
    from .exports import export_model, ExportError, OPTIMIZED_EJECT
    if optimize and to == "python":
        raise ExportError(OPTIMIZED_EJECT)
    docs, title, about = {}, "", ""
    if isinstance(spec_or_model, (str, Path, Spec)):  # loaded here, lowered once by build_model
        from .pipeline import with_overrides
        if isinstance(spec_or_model, Spec):
            spec = spec_or_model if overrides is None else with_overrides(spec_or_model, overrides)
        else:
            spec = load_spec(spec_or_model, overrides, limits=limits, allow_dirs=allow_dirs)
        docs = {name: block.definition.doc for name, block in spec.blocks.items()}
        title, about = spec.doc.doc, _ejected_from(spec)
        spec_or_model = build_model(spec, seed=seed, limits=limits)
    if weights is not None:
        from .backends.torch.checkpoint import load_weights
        load_weights(spec_or_model, weights)
    model = _optimize(spec_or_model) if optimize else spec_or_model
    return export_model(model, to, path, docs=docs, title=title, about=about)


def _ejected_from(spec: "Spec") -> str:
    values = ", ".join(f"{k}={v}" for k, v in spec.params.items())
    return (f"Plain PyTorch source written by `archspec export --to python` from {Path(spec.file).name}"
            + (f" ({values})" if values else "") + ".")
