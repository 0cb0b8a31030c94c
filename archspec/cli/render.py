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


class Direction(str, Enum):
    TB = "TB"
    LR = "LR"


RENDER_HELP = ('Draw SPEC as a diagram (svg, png, pdf or dot) at network, block or layer level.\n\n'
               "The title is the spec's display name with its values (its `label:`, e.g. WRN-28-10, B(3,3)) and the "
               'totals (params, MACs, FLOPs); nodes are coloured by kind with a legend, which states the shape order '
               '(H x W x C); in SVG every node has a tooltip with its spec location (relative to the spec), '
               'attributes, shape, params and MACs.\n\n'
               'Examples:\n\n'
               '  archspec render specs/wrn.yaml -o wrn.svg --set k=4\n\n'
               '  archspec render specs/inception_v4.yaml -o fig4.png --block inception_a --no-title\n\n'
               '  archspec render specs/inception_resnet_v2.yaml -o layers.svg --level layer --direction LR')


def _format(output: Path, fmt: Optional[Format]) -> str:
    """The format to write: --format, else the extension; a known extension that --format contradicts is a
    usage mistake (a .svg file holding DOT source opens as a broken picture)."""
    from ..backends.graphviz.render import FORMATS

    suffix = output.suffix.lstrip(".").lower()
    if fmt is None:
        if suffix not in FORMATS:
            raise typer.BadParameter(f"cannot tell the format from {output.name!r}: use a .svg, .png, .pdf or "
                                     ".dot name, or --format", param_hint="--out")
        return suffix
    if suffix in FORMATS and suffix != fmt.value:
        raise typer.BadParameter(f"{output.name!r} is a .{suffix} name but --format is {fmt.value}: name the file "
                                 f"{output.with_suffix('.' + fmt.value).name!r}, or leave --format out",
                                 param_hint="--format")
    return fmt.value


def render(spec: Path = SPEC_ARG,
           output: Path = typer.Option(..., "--out", "-o", help="The diagram file, e.g. v4.svg (the extension "
                                       "gives the format unless --format is set).", show_default=False,
                                       callback=output_file),
           level: Optional[Level] = typer.Option(None, "--level", "-l", show_default=False,
                                                 help="network (the default): one node per stage, repeats folded, "
                                                      "edges labelled HxWxC; block: the inside of each block type "
                                                      "in the papers' notation; layer: every primitive op, "
                                                      "clustered by block use."),
           fmt: Optional[Format] = typer.Option(None, "--format", "-f",
                                                help="svg, png, pdf (need graphviz's `dot`) or dot (the source); "
                                                     "must agree with the extension of --out."),
           block: Optional[str] = typer.Option(None, "--block", "-b", metavar="NAME",
                                               help="Draw only block NAME (implies --level block), e.g. "
                                                    "--block inception_a: one block per figure."),
           title: bool = typer.Option(True, "--title/--no-title", help="Show the title (name, values, totals)."),
           legend: bool = typer.Option(True, "--legend/--no-legend", help="Show the legend (colours, notes, "
                                       "shape order)."),
           direction: Direction = typer.Option(Direction.TB, "--direction", "-d",
                                               help="TB: top to bottom (the papers' figures); LR: left to right."),
           unfold: bool = typer.Option(False, "--unfold", help="Layer level: draw every repeat of a repeat group "
                                       "(by default one use of each structure is drawn, marked with how many it "
                                       "stands for)."),
           set_: Optional[List[str]] = SET_OPT) -> None:
    """Draw SPEC as a diagram (svg, png, pdf or dot) at network, block or layer level."""
    from .. import render as draw
    from ..backends.graphviz.render import RenderError, UnknownBlock

    chosen = _format(output, fmt)
    if block is not None and level not in (None, Level.block):
        raise typer.BadParameter(f"--block draws one block at block level, not at {level.value} level",
                                 param_hint="--level")
    drawn = (level or (Level.block if block is not None else Level.network)).value
    if unfold and drawn != "layer":
        raise typer.BadParameter(f"--unfold draws the layer level's repeats, not the {drawn} level: add --level layer",
                                 param_hint="--unfold")
    try:
        diagram = run_spec(lambda: draw(spec, drawn, overrides_from(set_), block=block, title=title, legend=legend,
                                        direction=direction.value, fold=not unfold))
        with writing_to(output):
            output.parent.mkdir(parents=True, exist_ok=True)
            diagram.write(output, chosen)
    except UnknownBlock as exc:
        raise typer.BadParameter(str(exc), param_hint="--block") from None
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1)
    print(f"wrote {output} ({drawn} level" + (f", block {block}" if block else "") + f", {chosen})")
