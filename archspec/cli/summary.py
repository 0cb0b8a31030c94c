"""`archspec summary`: a torchinfo-style table of a spec's layers."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from .common import overrides_from, run_spec, SET_OPT, SPEC_ARG
from .tables import layer_table, summary_footer


SUMMARY_HELP = ("Print a torchinfo-style table of SPEC's layers, collapsed to --depth, with totals.\n\n"
                'Columns: name, op or block, output shape, params, MACs, share of MACs. Bold rows hold the rows below '
                'them; totals give params, MACs and FLOPs = 2 x MACs with the counting convention.')


def summary(spec: Path = SPEC_ARG,
            depth: int = typer.Option(2, "--depth", "-d", min=1,
                                      help="Rows down to this depth of the name hierarchy: 1 = the top-level "
                                           "stages, 2 = also the block uses inside repeats, and so on."),
            set_: Optional[List[str]] = SET_OPT) -> None:
    """Print a torchinfo-style table of SPEC's layers, collapsed to --depth, with totals."""
    from .. import compile_spec

    loaded, graph = run_spec(lambda: compile_spec(spec, overrides_from(set_)))
    console = Console(width=max(120, Console().width))
    console.print(layer_table(loaded.name, graph, depth))
    console.print(summary_footer(graph), highlight=False)
