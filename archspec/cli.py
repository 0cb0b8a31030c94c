"""The `archspec` command line: thin commands over the library, errors one per line, exit codes
0 (ok), 1 (a mistake in the spec) and 2 (a mistake in the command line)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, List, Optional

import typer
import yaml
from rich.console import Console
from rich.table import Table

from .errors import SpecError

app = typer.Typer(
    help="archspec compiles declarative YAML network specs into a validated graph IR, exact "
         "parameter/MAC counts and a trainable PyTorch module.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

SPEC_ARG = typer.Argument(..., help="Path to a spec YAML file, e.g. specs/inception_v4.yaml.",
                          show_default=False)
SET_OPT = typer.Option(None, "--set", metavar="KEY=VALUE",
                       help="Override a spec parameter (repeatable), e.g. --set classes=10 --set size=224. "
                            "VALUE is read as a YAML scalar: 10, 0.5, true, text.")


def _overrides(pairs: Optional[List[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        if not isinstance(value, (int, float, bool, str)) or value is None:
            value = raw
        out[key.strip()] = value
    return out


def _run(action: Callable[[], Any]) -> Any:
    """Run a command body; a SpecError becomes its located messages on stderr and exit code 1."""
    try:
        return action()
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            print(f"error: {diagnostic}" if diagnostic.location is None else str(diagnostic), file=sys.stderr)
        count = len(exc.diagnostics)
        print(f"{count} error{'s' if count != 1 else ''}", file=sys.stderr)
        raise typer.Exit(1)


def _shape(shape) -> str:
    return "x".join(str(d) for d in shape)


def _summary_table(stats: dict) -> Table:
    table = Table(title=f"{stats['name']}: input {_shape(stats['input'])} (CxHxW) -> output "
                        f"{_shape(stats['output'])}", title_justify="left")
    for column, justify in (("stage", "left"), ("block", "left"), ("output CxHxW", "left"),
                            ("params", "right"), ("MACs", "right"), ("% MACs", "right")):
        table.add_column(column, justify=justify)
    macs = stats["macs"] or 1
    for row in stats["stages"]:
        kind = row["kind"] + (" (training only)" if row.get("train_only") else "")
        table.add_row(row["name"], kind, _shape(row["output"]), f"{row['params']:,}",
                      f"{row['macs']:,}", f"{100 * row['macs'] / macs:.1f}")
    table.add_section()
    table.add_row("total", "", _shape(stats["output"]), f"{stats['params']:,}", f"{stats['macs']:,}", "100.0")
    return table


def _totals_line(stats: dict) -> str:
    line = (f"params {stats['params']:,} | MACs {stats['macs'] / 1e9:.3f} G ({stats['macs']:,}) | "
            f"FLOPs = 2 x MACs {stats['flops'] / 1e9:.3f} G")
    if stats["macs_train"] != stats["macs"]:
        line += f" | MACs in training (with auxiliary heads) {stats['macs_train']:,}"
    return line


@app.command()
def build(spec: Path = SPEC_ARG, set_: Optional[List[str]] = SET_OPT,
          out: Path = typer.Option(Path("build"), "--out", "-o",
                                   help="Artifacts go to OUT/<spec name>/ (summary.json, ir.json, ir.txt)."),
          ) -> None:
    """Validate SPEC, compile it to a PyTorch module, print the summary table and write artifacts."""
    from . import compile_spec
    from .backends.torch_backend import module_from_graph
    from .ir import dumps_json, to_text
    from .report import CONVENTION, stats_dict

    overrides = _overrides(set_)
    loaded, graph = _run(lambda: compile_spec(spec, overrides))
    stats = stats_dict(loaded, graph)
    model = module_from_graph(graph)
    built_params = sum(p.numel() for p in model.parameters())
    if built_params != stats["params"]:  # the IR and the backend disagree: a bug in archspec, not the spec
        raise RuntimeError(f"internal error: IR counts {stats['params']} params, module has {built_params}")
    console = Console(width=max(110, Console().width))
    console.print(_summary_table(stats))
    console.print(_totals_line(stats))
    console.print(f"[dim]{CONVENTION}[/dim]")
    target = out / stats["name"]
    target.mkdir(parents=True, exist_ok=True)
    (target / "summary.json").write_text(json.dumps(stats, indent=2) + "\n")
    (target / "ir.json").write_text(dumps_json(graph) + "\n")
    (target / "ir.txt").write_text(to_text(graph))
    console.print(f"compiled a PyTorch module with {built_params:,} parameters; "
                  f"wrote {target}/summary.json, ir.json, ir.txt")


@app.command()
def validate(spec: Path = SPEC_ARG, set_: Optional[List[str]] = SET_OPT) -> None:
    """Check SPEC (syntax, keys, types, parameters, shapes) without building a module."""
    from . import compile_spec

    loaded, graph = _run(lambda: compile_spec(spec, _overrides(set_)))
    print(f"{spec}: ok ({loaded.name}, {graph.number_of_nodes()} ops)")


@app.command()
def stats(spec: Path = SPEC_ARG, set_: Optional[List[str]] = SET_OPT,
          as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
          ) -> None:
    """Print params, MACs and FLOPs of SPEC, counted analytically (no weights are allocated)."""
    from . import stats as compute

    result = _run(lambda: compute(spec, _overrides(set_)))
    if as_json:
        print(json.dumps(result))
        return
    console = Console(width=max(110, Console().width))
    console.print(_summary_table(result))
    console.print(_totals_line(result))


@app.command()
def ir(spec: Path = SPEC_ARG, set_: Optional[List[str]] = SET_OPT,
       as_json: bool = typer.Option(False, "--json", help="Print the IR as JSON instead of text.")) -> None:
    """Print the expanded graph IR of SPEC, one primitive op per line."""
    from . import compile_spec
    from .ir import dumps_json, to_text

    _, graph = _run(lambda: compile_spec(spec, _overrides(set_)))
    print(dumps_json(graph) if as_json else to_text(graph), end="\n" if as_json else "")


@app.command()
def blocks(spec: Optional[Path] = typer.Argument(None, help="A spec whose own and imported blocks to list too.",
                                                  show_default=False),
           builtins: bool = typer.Option(True, "--builtins/--no-builtins", help="Also list built-in ops.")) -> None:
    """List what a spec can use: built-in ops and composites, and (with SPEC) every block the spec
    defines or imports, with its parameters and where it is defined."""
    from . import load_spec
    from .catalog import block_entries, builtin_entries

    entries = block_entries(_run(lambda: load_spec(spec))) if spec else []
    if builtins or not spec:
        entries += builtin_entries()
    table = Table(title="blocks and ops" + (f" available to {spec}" if spec else ""), title_justify="left")
    for column in ("name", "kind", "parameters", "description", "defined at"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(entry.name, entry.kind, entry.params, entry.doc, entry.where)
    Console(width=max(140, Console().width)).print(table)


def _version(value: bool) -> None:
    if value:
        from . import __version__
        print(f"archspec {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit.")) -> None:
    """archspec: neural-architecture specs in YAML, compiled to graphs, counts and PyTorch."""
