"""`archspec summary`: a torchinfo-style table of a spec's layers, parameter totals and memory."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from .common import overrides_from, run_spec, SET_OPT, SPEC_ARG
from .tables import DEFAULT_COLUMNS, SUMMARY_COLUMNS, summary_layers, summary_totals_text
from ..analysis.memory import DTYPES


SUMMARY_HELP = ("Print a torchinfo-style table of SPEC's layers, collapsed to --depth, with totals and memory.\n\n"
                "Shapes are N x C x H x W, N the --batch. Columns (--columns): kind (op or block), input (the shapes "
                "a row reads), output, kernel, params, macs (per sample), share (% of MACs); default "
                f"{','.join(DEFAULT_COLUMNS)}. Bold rows hold the rows below them. Under the table: params "
                "(trainable, non-trainable), buffers, MACs and FLOPs = 2 x MACs, and memory at --batch and --dtype: "
                "input, parameters, buffers, activations for inference (the peak an eval forward holds) and for "
                "training (what autograd keeps for backward), gradients, and totals (docs/summary.md). Nothing is "
                "allocated and torch is not imported.\n\n"
                "Example: archspec summary specs/inception_v4.yaml --batch 32 --dtype float16 "
                "--columns input,output,kernel,params,macs")


def _columns(value: Optional[str]) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_COLUMNS
    names = tuple(dict.fromkeys(c.strip() for c in value.split(",") if c.strip()))
    unknown = [c for c in names if c not in SUMMARY_COLUMNS]
    if unknown or not names:
        raise typer.BadParameter(f"unknown column {', '.join(map(repr, unknown)) or '(none given)'}; choose from "
                                 f"{', '.join(SUMMARY_COLUMNS)}", param_hint="--columns")
    return names


def summary(spec: Path = SPEC_ARG,
            depth: int = typer.Option(2, "--depth", "-d", min=1,
                                      help="Rows down to this depth of the name hierarchy: 1 = the top-level "
                                           "stages, 2 = also the block uses inside repeats, and so on."),
            batch: int = typer.Option(1, "--batch", "-b", min=1,
                                      help="Batch size: the N of the shapes; activation memory scales with it."),
            dtype: str = typer.Option("float32", "--dtype", help=f"Element type of weights and activations for the "
                                      f"memory figures: {', '.join(DTYPES)}."),
            columns: Optional[str] = typer.Option(None, "--columns", "-c", metavar="A,B,...",
                                                  help=f"Columns after the name, from {', '.join(SUMMARY_COLUMNS)} "
                                                       f"(default {','.join(DEFAULT_COLUMNS)})."),
            as_json: bool = typer.Option(False, "--json", help="Print one JSON object (docs/summary.md) instead."),
            set_: Optional[List[str]] = SET_OPT) -> None:
    """Print a torchinfo-style table of SPEC's layers, collapsed to --depth, with totals and memory."""
    from .. import summary as compute

    chosen = _columns(columns)
    if dtype not in DTYPES:
        raise typer.BadParameter(f"unknown dtype {dtype!r}; choose from {', '.join(DTYPES)}", param_hint="--dtype")
    result = run_spec(lambda: compute(spec, overrides_from(set_), depth=depth, batch=batch, dtype=dtype))
    if as_json:
        print(json.dumps(result.to_dict()))
        return
    console = Console(width=max(120, Console().width))
    console.print(summary_layers(result, chosen))
    console.print(summary_totals_text(result), highlight=False)
