"""`archspec diff`: what changed from one spec to another, per stage and in total."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from .common import existing_spec, overrides_from, run_spec
from .tables import diff_tables, diff_totals


DIFF_HELP = ('Show what changed from spec A to spec B, with the params and MACs delta per stage and in total.\n\n'
             'Lists parameter values that differ, blocks added, removed or changed (their definitions and how they '
             'are used), and per stage the block, repeat count and output shape. --set applies to both specs, '
             '--set-a and --set-b to one (and win over --set). With B left out, A is compared with itself, so '
             '`archspec diff specs/wrn.yaml --set-b k=4` shows what widening factor 4 changes.\n\n'
             '--json prints one object with the same content (docs/summary.md).\n\n'
             'Example: archspec diff specs/inception_resnet_v2.yaml specs/inception_resnet_v2_5_10_5.yaml')


def diff(spec_a: Path = typer.Argument(..., help="The first spec (A).", show_default=False,
                                       callback=existing_spec),
         spec_b: Optional[Path] = typer.Argument(None, help="The second spec (B); leave out to compare A with "
                                                 "itself under other --set-b values.", show_default=False,
                                                 callback=existing_spec),
         set_: Optional[List[str]] = typer.Option(None, "--set", metavar="KEY=VALUE",
                                                  help="Override a parameter in both specs (repeatable)."),
         set_a: Optional[List[str]] = typer.Option(None, "--set-a", metavar="KEY=VALUE",
                                                   help="Override a parameter in A only (wins over --set)."),
         set_b: Optional[List[str]] = typer.Option(None, "--set-b", metavar="KEY=VALUE",
                                                   help="Override a parameter in B only (wins over --set)."),
         as_json: bool = typer.Option(False, "--json", help="Print one JSON object (docs/summary.md) instead."),
         ) -> None:
    """Show what changed from spec A to spec B, with the params and MACs delta per stage and in total."""
    from .. import diff as compute

    shared, only_a, only_b = overrides_from(set_), overrides_from(set_a), overrides_from(set_b)
    result = run_spec(lambda: compute(spec_a, spec_b, shared, overrides_a=only_a, overrides_b=only_b))
    if as_json:
        print(json.dumps(result.to_dict()))
        return
    console = Console(width=max(150, Console().width))
    for table in diff_tables(result):
        console.print(table)
    console.print(diff_totals(result), highlight=False)
