"""The `archspec` command line: thin commands over the library, errors one per line, exit codes
0 (ok), 1 (a mistake in the spec), 2 (a mistake in the command line) and 70 (a bug in archspec:
the traceback is printed; see cli_errors)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from .tables import summary_table, totals_line
from .errors import BUG_EXIT, guard_commands
from .build import build, BUILD_HELP
from .sweep import sweep, SWEEP_HELP
from .render import render, RENDER_HELP
from .summary import summary, SUMMARY_HELP
from .diff import diff, DIFF_HELP
from .listing import list_, LIST_HELP
from .schema import schema, SCHEMA_HELP
from .export import export, EXPORT_HELP
from .common import existing_spec, overrides_from, run_spec, SET_OPT, SPEC_ARG
from .outputs import check_diagram_keys
from .paths import allow_dirs

app = typer.Typer(
    help="archspec compiles declarative YAML network specs into a validated graph IR, exact "
         "parameter/MAC counts and a trainable PyTorch module.\n\n"
         f"Exit codes: 0 ok, 1 a mistake in the spec (every message located), 2 a mistake on the command "
         f"line, {BUG_EXIT} a bug in archspec (the traceback is printed: please report it).",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

app.command(help=BUILD_HELP)(build)
app.command(help=SWEEP_HELP)(sweep)
app.command(help=RENDER_HELP)(render)
app.command(help=SUMMARY_HELP)(summary)
app.command(help=DIFF_HELP)(diff)
app.command("list", help=LIST_HELP)(list_)
app.command(help=SCHEMA_HELP)(schema)
app.command(help=EXPORT_HELP)(export)


@app.command()
def validate(spec: Path = SPEC_ARG, set_: Optional[List[str]] = SET_OPT) -> None:
    """Check SPEC (syntax, keys, types, parameters, shapes) without building a module.

    SPEC may also be a block library (a file with `blocks:` and no `network:`, or archspec:NAME for a
    shipped one): then every block in it is checked."""
    from .. import compile_spec
    from ..pipeline import is_library, load_library

    if is_library(spec):
        library = run_spec(lambda: load_library(spec))
        print(f"{spec}: ok (block library, {len(library.blocks)} blocks)")
        return
    loaded, graph = run_spec(lambda: compile_spec(spec, overrides_from(set_)))
    check_diagram_keys(loaded, graph)
    print(f"{spec}: ok ({loaded.name}, {graph.number_of_nodes()} ops)")


@app.command()
def stats(spec: Path = SPEC_ARG, set_: Optional[List[str]] = SET_OPT,
          as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
          ) -> None:
    """Print params, MACs and FLOPs of SPEC, counted analytically (no weights are allocated)."""
    from .. import stats as compute

    result = run_spec(lambda: compute(spec, overrides_from(set_)))
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

    _, graph = run_spec(lambda: compile_spec(spec, overrides_from(set_)))
    print(dumps_json(graph) if as_json else to_text(graph), end="\n" if as_json else "")


@app.command()
def blocks(spec: Optional[Path] = typer.Argument(None, help="A spec whose own and imported blocks to list too, or a "
                                                  "block library (a file, or archspec:NAME for a shipped one).",
                                                  show_default=False, callback=existing_spec),
           builtins: bool = typer.Option(True, "--builtins/--no-builtins", help="Also list built-in ops.")) -> None:
    """List built-in ops and composites, and SPEC's blocks with their parameters and definition site.

    With SPEC, every block the spec (or library) defines or imports is listed, with each parameter's type,
    default and where the block is written (file:line:col). `archspec blocks archspec:inception --no-builtins`
    lists a shipped library's blocks."""
    from .. import load_spec
    from ..analysis.catalog import block_entries, builtin_entries
    from ..pipeline import is_library, load_library

    load = load_library if spec and is_library(spec) else load_spec
    entries = block_entries(run_spec(lambda: load(spec))) if spec else []
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

    loaded, graph = run_spec(lambda: compile_spec(spec, overrides_from(set_)))
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
