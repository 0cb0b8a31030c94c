"""The `archspec` command line: thin commands over the library, errors one per line, exit codes
0 (ok), 1 (a mistake in the spec), 2 (a mistake in the command line) and 70 (a bug in archspec:
the traceback is printed; see cli_errors)."""
from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Callable, List, Optional

import typer
from rich.console import Console
from rich.table import Table

from .tables import diff_tables, diff_totals, layer_table, summary_footer, summary_table, table_text, totals_line
from .errors import BUG_EXIT, guard_commands, spec_error_exit
from .paths import allow_dirs, existing_file, output_dir, output_file, weights_file, writing_to
from ..errors import SpecError

app = typer.Typer(
    help="archspec compiles declarative YAML network specs into a validated graph IR, exact "
         "parameter/MAC counts and a trainable PyTorch module.\n\n"
         f"Exit codes: 0 ok, 1 a mistake in the spec (every message located), 2 a mistake on the command "
         f"line, {BUG_EXIT} a bug in archspec (the traceback is printed: please report it).",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)



def _existing_file(value: Optional[Path]) -> Optional[Path]:
    """A regular file, or `archspec:NAME` (a shipped library); a missing file, a directory, a device or
    a FIFO is a command-line mistake (exit 2), like typer's own usage errors (see paths.py)."""
    return existing_file(value)


SPEC_ARG = typer.Argument(..., help="Path to a spec YAML file, e.g. specs/inception_v4.yaml.",
                          show_default=False, callback=_existing_file)
SET_OPT = typer.Option(None, "--set", metavar="KEY=VALUE",
                       help="Override a spec parameter (repeatable), e.g. --set classes=10 --set size=224. "
                            "VALUE is read as a YAML scalar: 10, 0.5, true, text.")


class Level(str, Enum):
    network = "network"
    block = "block"
    layer = "layer"


class Format(str, Enum):
    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"


def _overrides(pairs: Optional[List[str]]) -> dict[str, Any]:
    """KEY=VALUE pairs; each VALUE is read as a YAML scalar, as in a spec file (a bad number: exit 2)."""
    from ..language.params import read_overrides

    split = []
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        split.append((key.strip(), raw))
    return read_overrides(split)


def _run(action: Callable[[], Any]) -> Any:
    """Run a command body; a SpecError becomes its located messages on stderr and exit code 1 (2 for a
    wrong --set)."""
    try:
        return action()
    except SpecError as exc:
        raise spec_error_exit(exc) from None


BUILD_HELP = ('Validate SPEC, compile it to a PyTorch module, print the summary table and write artifacts.\n\n'
              'OUT/<name>/ gets summary.json, ir.json, ir.txt, summary.txt (the layer summary), network.svg and '
              "blocks.svg (the diagrams; DOT source instead when graphviz's `dot` is missing). With --set values "
              "they go to OUT/<name>-<key>=<value>-.../ instead, so other values never overwrite them.\n\n"
              "With --save-weights or --weights, a model too large to allocate (the params and memory limits, as "
              "archspec.build_model checks them) is refused (exit 1) before any artifact is written, and so is "
              "a weights path that is not a regular file or is SPEC itself (exit 2).")


@app.command(help=BUILD_HELP)
def build(spec: Path = SPEC_ARG, set_: Optional[List[str]] = SET_OPT,
          out: Path = typer.Option(Path("build"), "--out", "-o", callback=output_dir,
                                   help="Artifacts go to OUT/<spec name>/ (summary.json, ir.json, ir.txt, "
                                        "summary.txt, network.svg, blocks.svg), or OUT/<name>-<key>=<value>-.../ "
                                        "with --set values."),
          save_weights: bool = typer.Option(False, "--save-weights", help="Also write weights.pt there: initial "
                                            "weights (seed --seed) with the spec's name, values and hash."),
          weights: Optional[Path] = typer.Option(None, "--weights", metavar="FILE",
                                                 help="Write the weights to FILE instead (implies --save-weights); "
                                                      "a regular file there is replaced."),
          seed: int = typer.Option(0, "--seed", min=0, max=2**64 - 1,
                                   help="Seed of the weights --save-weights writes, 0 to 2**64 - 1."),
          ) -> None:
    """Validate SPEC, compile it to a PyTorch module, print the summary table and write artifacts."""
    from .. import compile_spec
    from ..analysis.memory import check_allocation
    from ..backends.torch.network import verify_on_meta
    from ..ir.graph import dumps_json, to_text
    from ..analysis.report import CONVENTION, stats_dict
    from .outputs import build_dir, write_diagrams, write_text, write_weights

    overrides = _overrides(set_)
    if weights is not None:
        weights_file(weights, spec)
    loaded, graph = _run(lambda: compile_spec(spec, overrides))
    stats = stats_dict(loaded, graph)
    built_params = _run(lambda: verify_on_meta(graph))  # the real module on the meta device: no weights
    target = build_dir(out, stats["name"], overrides)
    checkpoint = None
    if save_weights or weights:  # refused before anything is written, so no artifact is left half updated
        checkpoint = weights or weights_file(target / "weights.pt", spec, "--save-weights")
        _run(lambda: check_allocation(graph))
    console = Console(width=max(110, Console().width))
    console.print(summary_table(stats))
    console.print(totals_line(stats))
    console.print(f"[dim]{CONVENTION}[/dim]")
    with writing_to(out):  # a failed write is a mistake in --out (exit 2), not a bug
        target.mkdir(parents=True, exist_ok=True)
        write_text(target / "summary.json", json.dumps(stats, indent=2) + "\n")  # each atomically
        write_text(target / "ir.json", dumps_json(graph) + "\n")
        write_text(target / "ir.txt", to_text(graph))
        write_text(target / "summary.txt", table_text(layer_table(loaded.name, graph, 2)) + summary_footer(graph) + "\n")
        diagrams = write_diagrams(loaded, graph, target)
    console.print(f"compiled the PyTorch module ({built_params:,} parameters; built on the meta device, so no "
                  "weights were initialised: archspec.build_model gives a trainable one)")
    console.print(f"wrote {target}/summary.json, ir.json, ir.txt, summary.txt, {', '.join(diagrams)}")
    if checkpoint is not None:
        option = "--weights" if weights else "--save-weights"
        console.print(_run(lambda: write_weights(graph, checkpoint, seed, option)), highlight=False)


RENDER_HELP = ('Draw SPEC as a diagram (svg, png, pdf or dot) at network, block or layer level.\n\n'
               'Nodes are coloured by kind with a legend, the title carries params, MACs and FLOPs, and in SVG every '
               'node has a tooltip with its spec location, attributes, shape, params and MACs.')


@app.command(help=RENDER_HELP)
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
    loaded, graph = _run(lambda: compile_spec(spec, _overrides(set_)))
    try:
        with writing_to(output):
            output.parent.mkdir(parents=True, exist_ok=True)
            write(draw(loaded, graph, level.value), output, chosen)
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1)
    print(f"wrote {output} ({level.value} level, {chosen})")


SUMMARY_HELP = ("Print a torchinfo-style table of SPEC's layers, collapsed to --depth, with totals.\n\n"
                'Columns: name, op or block, output shape, params, MACs, share of MACs. Bold rows hold the rows below '
                'them; totals give params, MACs and FLOPs = 2 x MACs with the counting convention.')


@app.command(help=SUMMARY_HELP)
def summary(spec: Path = SPEC_ARG,
            depth: int = typer.Option(2, "--depth", "-d", min=1,
                                      help="Rows down to this depth of the name hierarchy: 1 = the top-level "
                                           "stages, 2 = also the block uses inside repeats, and so on."),
            set_: Optional[List[str]] = SET_OPT) -> None:
    """Print a torchinfo-style table of SPEC's layers, collapsed to --depth, with totals."""
    from .. import compile_spec

    loaded, graph = _run(lambda: compile_spec(spec, _overrides(set_)))
    console = Console(width=max(120, Console().width))
    console.print(layer_table(loaded.name, graph, depth))
    console.print(summary_footer(graph), highlight=False)


DIFF_HELP = ('Show what changed from spec A to spec B, with the params and MACs delta per stage and in total.\n\n'
             'Lists parameter values that differ, blocks added, removed or changed (their definitions and how they '
             'are used), and per stage the block, repeat count and output shape. --set applies to both specs, '
             '--set-a and --set-b to one (and win over --set). With B left out, A is compared with itself, so '
             '`archspec diff specs/wrn.yaml --set-b k=4` shows what widening factor 4 changes.\n\n'
             'Example: archspec diff specs/inception_resnet_v2.yaml specs/inception_resnet_v2_5_10_5.yaml')


@app.command(help=DIFF_HELP)
def diff(spec_a: Path = typer.Argument(..., help="The first spec (A).", show_default=False,
                                       callback=_existing_file),
         spec_b: Optional[Path] = typer.Argument(None, help="The second spec (B); leave out to compare A with "
                                                 "itself under other --set-b values.", show_default=False,
                                                 callback=_existing_file),
         set_: Optional[List[str]] = typer.Option(None, "--set", metavar="KEY=VALUE",
                                                  help="Override a parameter in both specs (repeatable)."),
         set_a: Optional[List[str]] = typer.Option(None, "--set-a", metavar="KEY=VALUE",
                                                   help="Override a parameter in A only (wins over --set)."),
         set_b: Optional[List[str]] = typer.Option(None, "--set-b", metavar="KEY=VALUE",
                                                   help="Override a parameter in B only (wins over --set)."),
         ) -> None:
    """Show what changed from spec A to spec B, with the params and MACs delta per stage and in total."""
    from .. import compile_spec
    from ..analysis.diff import diff_specs

    shared = _overrides(set_)
    spec_a_loaded, graph_a = _run(lambda: compile_spec(spec_a, {**shared, **_overrides(set_a)}))
    spec_b_loaded, graph_b = _run(lambda: compile_spec(spec_b or spec_a, {**shared, **_overrides(set_b)}))
    result = diff_specs(spec_a_loaded, graph_a, spec_b_loaded, graph_b)
    console = Console(width=max(150, Console().width))
    for table in diff_tables(result):
        console.print(table)
    console.print(diff_totals(result), highlight=False)


@app.command()
def validate(spec: Path = SPEC_ARG, set_: Optional[List[str]] = SET_OPT) -> None:
    """Check SPEC (syntax, keys, types, parameters, shapes) without building a module.

    SPEC may also be a block library (a file with `blocks:` and no `network:`, or archspec:NAME for a
    shipped one): then every block in it is checked."""
    from .. import compile_spec
    from ..pipeline import is_library, load_library

    if is_library(spec):
        library = _run(lambda: load_library(spec))
        print(f"{spec}: ok (block library, {len(library.blocks)} blocks)")
        return
    loaded, graph = _run(lambda: compile_spec(spec, _overrides(set_)))
    print(f"{spec}: ok ({loaded.name}, {graph.number_of_nodes()} ops)")


@app.command()
def stats(spec: Path = SPEC_ARG, set_: Optional[List[str]] = SET_OPT,
          as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
          ) -> None:
    """Print params, MACs and FLOPs of SPEC, counted analytically (no weights are allocated)."""
    from .. import stats as compute

    result = _run(lambda: compute(spec, _overrides(set_)))
    if as_json:
        print(json.dumps(result))
        return
    console = Console(width=max(110, Console().width))
    console.print(summary_table(result))
    console.print(totals_line(result))


@app.command()
def ir(spec: Path = SPEC_ARG, set_: Optional[List[str]] = SET_OPT,
       as_json: bool = typer.Option(False, "--json", help="Print the IR as JSON instead of text.")) -> None:
    """Print the expanded graph IR of SPEC, one primitive op per line."""
    from .. import compile_spec
    from ..ir.graph import dumps_json, to_text

    _, graph = _run(lambda: compile_spec(spec, _overrides(set_)))
    print(dumps_json(graph) if as_json else to_text(graph), end="\n" if as_json else "")


@app.command()
def blocks(spec: Optional[Path] = typer.Argument(None, help="A spec whose own and imported blocks to list too, or a "
                                                  "block library (a file, or archspec:NAME for a shipped one).",
                                                  show_default=False, callback=_existing_file),
           builtins: bool = typer.Option(True, "--builtins/--no-builtins", help="Also list built-in ops.")) -> None:
    """List built-in ops and composites, and SPEC's blocks with their parameters and definition site.

    With SPEC, every block the spec (or library) defines or imports is listed, with each parameter's type,
    default and where the block is written (file:line:col). `archspec blocks archspec:inception --no-builtins`
    lists a shipped library's blocks."""
    from .. import load_spec
    from ..analysis.catalog import block_entries, builtin_entries
    from ..pipeline import is_library, load_library

    load = load_library if spec and is_library(spec) else load_spec
    entries = block_entries(_run(lambda: load(spec))) if spec else []
    if builtins or not spec:
        entries += builtin_entries()
    table = Table(title="blocks and ops" + (f" available to {spec}" if spec else ""), title_justify="left")
    for column in ("name", "kind", "parameters", "description", "defined at"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(entry.name, entry.kind, entry.params, entry.doc, entry.where)
    Console(width=max(140, Console().width)).print(table)


EXPLAIN_HELP = ("Show where each argument of NODE came from: the op's built-in default, the file's defaults "
                "(file:line), the item, a first/last override, the residual's auto projection, a block parameter "
                "(its value and where it was given) or a spec parameter (its default or --set).\n\n"
                "NODE is an IR node (`archspec ir SPEC` lists them), a conv unit or a block use, e.g. "
                "reduction_a.branch1.1.conv or inception_a.0. Values nobody wrote on the item are highlighted.")


@app.command(help=EXPLAIN_HELP)
def explain(spec: Path = SPEC_ARG,
            node: str = typer.Argument(..., help="An IR node, conv unit or block use of SPEC.", show_default=False),
            set_: Optional[List[str]] = SET_OPT,
            as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table.")) -> None:
    """Show where each argument of NODE came from (defaults, item, overrides, block and spec parameters)."""
    from .. import compile_spec
    from ..analysis.provenance import explain as why, ExplainError
    from .tables import explain_table

    loaded, graph = _run(lambda: compile_spec(spec, _overrides(set_)))
    try:
        result = why(loaded, graph, node)
    except ExplainError as exc:
        raise typer.BadParameter(str(exc), param_hint="NODE")
    if as_json:
        print(json.dumps(result.to_dict()))
        return
    console = Console(width=max(120, Console().width))
    console.print(explain_table(result))
    for line in result.trace:
        console.print(f"  {line}", highlight=False)
    for note in result.notes:
        console.print(f"[bold]note:[/bold] {note}", highlight=False)


def _version(value: bool) -> None:
    if value:
        from .. import __version__
        print(f"archspec {__version__}")
        raise typer.Exit()


def _set_limits(pairs: List[str]) -> None:
    from ..limits import names, set_default, current
    changes: dict[str, int] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        try:
            number = float(raw) if sep else None
        except ValueError:
            number = None
        if number is None or not number.is_integer() or not 1 <= number <= 2**63:
            raise typer.BadParameter(f"expected NAME=N with N a whole number >= 1, got {pair!r}", param_hint="--limit")
        if key not in names():
            raise typer.BadParameter(f"unknown limit {key!r}; the limits are {', '.join(names())}", param_hint="--limit")
        changes[key] = int(number)
    if changes:
        set_default(current().replace(**changes))


@app.callback()
def main(ctx: typer.Context,
         version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit."),
         plugin: Optional[List[str]] = typer.Option(
             None, "--plugin", metavar="MODULE",
             help="Import a Python module (a name, or a path ending in .py) that registers ops of its own "
                  "with archspec.register_op, before the command runs (repeatable). Specs never load code."),
         limit: Optional[List[str]] = typer.Option(
             None, "--limit", metavar="NAME=N",
             help="Change a safety limit for this run (repeatable), e.g. --limit ops=500000 --limit "
                  "params=4e9. The limits and their defaults are listed in docs/spec-language.md, "
                  "\"Safety limits\"."),
         allow_dir: Optional[List[Path]] = typer.Option(
             None, "--allow-dir", metavar="DIR",
             help="Let specs read files (extends:, imports:) in DIR and below too (repeatable). By default a "
                  "spec reads only files in its own folder and below, and archspec's shipped libraries.")) -> None:
    """archspec: neural-architecture specs in YAML, compiled to graphs, counts and PyTorch."""
    from .plugins import load_plugin, PluginError
    _set_limits(limit or [])
    allow_dirs(allow_dir, ctx)
    for name in plugin or []:
        try:
            load_plugin(name)
        except PluginError as exc:
            raise typer.BadParameter(str(exc), param_hint="--plugin")


guard_commands(app)  # an exception that is not a spec mistake is reported as a bug in archspec (exit 70)
