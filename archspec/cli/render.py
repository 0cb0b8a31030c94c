"""`archspec render`: a spec's diagram at network, block or layer level."""
from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from .common import overrides_from, run_spec, SET_OPT, SPEC_ARG
from .paths import output_file, writing_to


class Level(str, Enum):
    network = "network"
    block = "block"
    layer = "layer"


class Format(str, Enum):
    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"


RENDER_HELP = ('Draw SPEC as a diagram (svg, png, pdf or dot) at network, block or layer level.\n\n'
               'Nodes are coloured by kind with a legend, the title carries params, MACs and FLOPs, and in SVG every '
               'node has a tooltip with its spec location, attributes, shape, params and MACs.')


def render(spec: Path = SPEC_ARG,
           output: Path = typer.Option(..., "--out", "-o", help="The diagram file, e.g. v4.svg (the extension "
                                       "gives the format unless --format is set).", show_default=False,
                                       callback=output_file),
           level: Level = typer.Option(Level.network, "--level", "-l",
                                       help="network: one node per stage, repeats folded, edges labelled HxWxC; "
                                            "block: the inside of each block type in the papers' notation; "
                                            "layer: every primitive op, clustered by block use."),
           fmt: Optional[Format] = typer.Option(None, "--format", "-f",
                                                help="svg, png, pdf (need graphviz's `dot`) or dot (the source)."),
           set_: Optional[List[str]] = SET_OPT) -> None:
    """Draw SPEC as a diagram (svg, png, pdf or dot) at network, block or layer level."""
    from .. import compile_spec
    from ..backends.graphviz.render import FORMATS, render as draw, RenderError, write

    chosen = fmt.value if fmt else output.suffix.lstrip(".").lower()
    if chosen not in FORMATS:
        raise typer.BadParameter(f"cannot tell the format from {output.name!r}: use a .svg, .png, .pdf or .dot "
                                 "name, or --format", param_hint="--out")
    loaded, graph = run_spec(lambda: compile_spec(spec, overrides_from(set_)))
    try:
        with writing_to(output):
            output.parent.mkdir(parents=True, exist_ok=True)
            write(draw(loaded, graph, level.value), output, chosen)
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1)
    print(f"wrote {output} ({level.value} level, {chosen})")
