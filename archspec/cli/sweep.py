"""`archspec sweep`: count every variant of a grid of parameter values and print them by cost, with the
Pareto front and budgets; write CSV/JSON (--out) and a plot (--plot). The work is archspec.sweeps'."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from .common import overrides_from, run_spec, SET_OPT, SPEC_ARG
from .paths import output_dir, output_file, writing_to

SWEEP_HELP = ("Count every combination of --grid values of SPEC's parameters (no weights), and print the "
              "variants by cost (MACs, then params) with the Pareto front marked (*: no other variant has fewer "
              "params and MACs) and variants over --max-params/--max-macs marked (kept, never on the front). "
              "Variants the spec refuses (its checks:, e.g. a depth that does not fit) are listed with their "
              "located reason.\n\n"
              "--out DIR writes DIR/sweep.csv and DIR/sweep.json (every variant, in the table's order); --plot "
              "FILE.png|.svg draws params versus MACs (needs matplotlib: pip install 'archspec\\[plot]'). Large grids "
              "run on --jobs worker processes (default: every core), with a progress bar on a terminal; Ctrl-C "
              "stops them (exit 130). Example: archspec sweep specs/wrn.yaml --grid depth=16,22,28,40 --grid "
              "k=1,2,4,8,10 --max-params 10M --max-macs 2G")
SHOWN = 40  # rows the table shows by default (the Pareto front first when there are more variants)


def _budget(value: Optional[str], option: str) -> Optional[int]:
    from ..sweeps import parse_amount
    if value is None:
        return None
    try:
        return parse_amount(value, option)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def _plot_file(value: Optional[Path]) -> Optional[Path]:
    from ..sweeps.plot import available, FORMATS, INSTALL_HINT
    if value is None:
        return None
    if value.suffix.lower() not in FORMATS:
        raise typer.BadParameter(f"'{value}': give a file name ending in .png or .svg", param_hint="--plot")
    if not available():
        raise typer.BadParameter(f"plotting needs matplotlib, which is not installed: {INSTALL_HINT}",
                                 param_hint="--plot")
    try:
        return output_file(value)
    except typer.BadParameter as exc:
        raise typer.BadParameter(exc.message, param_hint="--plot") from None


def sweep(spec: Path = SPEC_ARG,
          grid: List[str] = typer.Option(..., "--grid", metavar="NAME=V1,V2,...", show_default=False,
                                         help="A parameter and the values to sweep (repeatable; every combination "
                                              "is counted). Values are read like --set values; commas inside "
                                              "(...) do not split: --grid 'block=B(3,3),B(1,3,1)'."),
          set_: Optional[List[str]] = SET_OPT,
          max_params: Optional[str] = typer.Option(None, "--max-params", metavar="N",
                                                   help="Params budget: 10M, 1.5e9, 500k, 36479194."),
          max_macs: Optional[str] = typer.Option(None, "--max-macs", metavar="N", help="MACs budget: 2G, 5e8, ..."),
          out: Optional[Path] = typer.Option(None, "--out", "-o", callback=lambda value: value and output_dir(value),
                                             help="Write DIR/sweep.csv and DIR/sweep.json."),
          plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE", callback=_plot_file,
                                              help="Draw params versus MACs to FILE (.png or .svg)."),
          jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                             help="Worker processes (default: the number of cores)."),
          rows: int = typer.Option(SHOWN, "--rows", min=0, help="Variants the table shows at most (0: all); with "
                                                               "more, the Pareto front comes first."),
          as_json: bool = typer.Option(False, "--json", help="Print the JSON that --out writes instead of the table."),
          ) -> None:
    from ..sweeps import read_grid, sweep as run

    budgets = _budget(max_params, "--max-params"), _budget(max_macs, "--max-macs")
    bar = _progress_bar()
    try:
        with bar or _nothing():
            result = run_spec(lambda: run(spec, read_grid(grid), overrides_from(set_), max_params=budgets[0],
                                          max_macs=budgets[1], jobs=jobs, progress=bar and bar.update_to))
    except KeyboardInterrupt:
        print("interrupted: the sweep was stopped, nothing written", file=sys.stderr)
        raise typer.Exit(130) from None
    if out is not None:
        with writing_to(out):
            out.mkdir(parents=True, exist_ok=True)
            result.to_csv(out / "sweep.csv")
            result.to_json(out / "sweep.json")
    if plot is not None:
        with writing_to(plot, "--plot"):
            plot.parent.mkdir(parents=True, exist_ok=True)
            result.plot(plot)
    if as_json:
        print(result.to_json())
        return
    console = Console(width=max(120, Console().width))
    console.print(sweep_table(result, rows))
    for line in footer(result, rows, out, plot):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def sweep_table(result, limit: int) -> Table:
    """The counted variants by cost (the Pareto front first when more than `limit` would be shown)."""
    counted = [r for r in result.sorted() if r.counted]
    if limit and len(counted) > limit:
        front = result.pareto()
        counted = (front + [r for r in counted if not r.pareto])[:limit]
        counted.sort(key=lambda r: (r.macs, r.params, r.index))
    budget = result.max_params is not None or result.max_macs is not None
    table = Table(title=f"{result.spec}: {len(result.rows):,} variants by cost (* Pareto front)",
                  title_justify="left")
    for name in result.grid:
        table.add_column(name)
    for column in ("params", "MACs", "GFLOPs", "front") + (("budget",) if budget else ()):
        table.add_column(column, justify="right" if column in ("params", "MACs", "GFLOPs") else "left")
    for r in counted:
        cells = [str(_plain(r.values[n])) for n in result.grid]
        cells += [f"{r.params:,}", f"{r.macs:,}", f"{2 * r.macs / 1e9:.3f}", "*" if r.pareto else ""]
        if budget:
            cells.append("ok" if r.within_budget else "over " + " and ".join(r.over))
        table.add_row(*cells, style="bold" if r.pareto else ("dim" if not r.within_budget else None))
    return table


def footer(result, limit: int, out: Optional[Path], plot: Optional[Path]) -> list[str]:
    summary = result.summary()
    shown = min(summary["counted"], limit) if limit else summary["counted"]
    lines = [f"{summary['counted']:,} counted, {summary['pareto']} on the Pareto front"
             + (f", {summary['within_budget']:,} within budget" if result.max_params is not None
                or result.max_macs is not None else "")
             + (f"; the table shows {shown:,} (--rows 0 shows all)" if shown < summary["counted"] else "")]
    refused = result.refused()
    if refused:
        lines.append(f"{len(refused):,} refused by the spec:")
        for r in refused[:limit or len(refused)]:
            lines.append(f"  {r.label()}: {r.error}")
        if limit and len(refused) > limit:
            lines.append(f"  ... and {len(refused) - limit:,} more (in the CSV/JSON; --rows 0 lists all)")
    if out is not None:
        lines.append(f"wrote {out / 'sweep.csv'} and {out / 'sweep.json'}")
    if plot is not None:
        lines.append(f"wrote {plot}")
    return lines


def _plain(value):
    from ..sweeps.result import plain
    return plain(value)


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _progress_bar():
    """A rich progress bar on stderr when stderr is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    class Bar(Progress):
        task = None

        def update_to(self, done: int, total: int) -> None:
            if self.task is None:
                self.task = self.add_task("counting", total=total)
            self.update(self.task, completed=done)
            self.refresh()

    # refreshed by the updates, without a thread of its own: worker processes are forked while it shows
    return Bar("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn(), console=Console(file=sys.stderr), transient=True, auto_refresh=False)
