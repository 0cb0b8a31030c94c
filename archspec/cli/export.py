"""`archspec export`: a spec's model as ONNX, TorchScript, a torch.export program or plain PyTorch source."""
from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from .common import overrides_from, run_spec, SET_OPT, SPEC_ARG
from .paths import existing_file, output_file, writing_to


class To(str, Enum):
    onnx = "onnx"
    torchscript = "torchscript"
    pt2 = "pt2"
    python = "python"


def _output(value: Path) -> Path:
    """--out: a file (not a folder) in a folder that exists or can be made (paths.output_file)."""
    if value.is_dir():
        raise typer.BadParameter(f"'{value}' is a folder; give a file name such as {value / 'model.onnx'}",
                                 param_hint="--out")
    return output_file(value)


EXPORT_HELP = ("Write SPEC's model as ONNX, TorchScript, a torch.export program (pt2) or plain PyTorch source "
               "(python).\n\n"
               "onnx, torchscript and pt2 hold the model in eval mode with a dynamic batch dimension and load back "
               "without archspec (onnxruntime.InferenceSession, torch.jit.load, torch.export.load). python ejects "
               "the network as one readable file that imports only torch: a class per block type, the spec's docs "
               "as docstrings, the same state_dict keys and outputs as the archspec model.\n\n"
               "Weights: initial ones (--seed), or a checkpoint archspec saved (--weights). --optimize exports "
               "the inference-optimized model (docs/optimize.md; not with python). docs/export.md.\n\n"
               "Example: archspec export specs/wrn.yaml --to onnx -o wrn.onnx --set depth=16 --set k=4")


def export(spec: Path = SPEC_ARG,
           to: To = typer.Option(..., "--to", "-t", help="onnx, torchscript, pt2 (torch.export) or python "
                                 "(eject as plain PyTorch source).", show_default=False),
           output: Path = typer.Option(..., "--out", "-o", help="The file to write, e.g. wrn.onnx, wrn.pt, "
                                       "wrn.pt2 or wrn.py.", show_default=False, callback=_output),
           optimize: bool = typer.Option(False, "--optimize", help="Export archspec.optimize(model): batch norms "
                                         "folded, sibling 1x1 convs fused, eval only (not with --to python)."),
           weights: Optional[Path] = typer.Option(None, "--weights", metavar="FILE", callback=existing_file,
                                                  help="Load this checkpoint (archspec build --save-weights, "
                                                       "archspec.save_weights) before exporting."),
           seed: int = typer.Option(0, "--seed", min=0, max=2**64 - 1, help="Seed of the initial weights."),
           set_: Optional[List[str]] = SET_OPT) -> None:
    """Write SPEC's model as ONNX, TorchScript, a torch.export program (pt2) or plain PyTorch source (python)."""
    from .. import compile_spec, export as write
    from ..backends.torch.checkpoint import CheckpointError
    from ..exports import ExportError, OPTIMIZED_EJECT

    if optimize and to is To.python:
        raise typer.BadParameter(OPTIMIZED_EJECT, param_hint="--optimize")
    loaded, _ = run_spec(lambda: compile_spec(spec, overrides_from(set_)))
    try:
        with writing_to(output):
            output.parent.mkdir(parents=True, exist_ok=True)
            run_spec(lambda: write(loaded, to.value, output, optimize=optimize, weights=weights, seed=seed))
    except (ExportError, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1)
    print(f"wrote {output} ({to.value}{', optimized' if optimize else ''})")
