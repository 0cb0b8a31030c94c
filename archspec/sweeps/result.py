"""What a sweep gives: one row per variant (its values, params, MACs, or why the spec refuses it), the
budgets, the Pareto front, and the CSV, JSON and plot of them."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pareto import pareto_flags

CONVENTION = ("params = trainable tensors; MACs = multiply-accumulates of conv and linear layers at batch 1 in "
              "eval mode; FLOPs = 2 x MACs")


def plain(value: Any) -> Any:
    """A parameter value as JSON-able data (a block reference becomes its text, e.g. 'B(3, 3)')."""
    return value if isinstance(value, (int, float, bool, str, type(None))) else str(value)


@dataclass
class SweepRow:
    """One variant: its grid values, and its counts or the one-line located reason the spec refuses it
    (then params and macs are None). pareto and within_budget are set by the SweepResult."""

    index: int  # its place in the grid (the last parameter varies fastest)
    values: dict[str, Any]
    params: int | None = None
    macs: int | None = None
    error: str | None = None
    pareto: bool = False
    within_budget: bool = False
    over: tuple[str, ...] = ()  # the budgets it is over: "params", "MACs"

    @property
    def counted(self) -> bool:
        return self.error is None

    @property
    def flops(self) -> int | None:
        return None if self.macs is None else 2 * self.macs

    def label(self) -> str:
        return " ".join(f"{k}={plain(v)}" for k, v in self.values.items())

    def as_dict(self) -> dict[str, Any]:
        return {"values": {k: plain(v) for k, v in self.values.items()}, "params": self.params, "macs": self.macs,
                "flops": self.flops, "pareto": self.pareto, "within_budget": self.within_budget,
                "over": list(self.over), "error": self.error}


@dataclass
class SweepResult:
    """Every variant of a sweep (rows in grid order). Over-budget variants are kept and marked
    (within_budget False, `over` naming the budget); the Pareto front is taken among the counted
    variants within budget."""

    spec: str
    file: str
    grid: dict[str, list]
    rows: list[SweepRow]
    fixed: dict[str, Any] = field(default_factory=dict)
    max_params: int | None = None
    max_macs: int | None = None

    def __post_init__(self) -> None:
        for row in self.rows:
            over = ()
            if row.counted:
                over = tuple(name for name, value, limit in (("params", row.params, self.max_params),
                                                             ("MACs", row.macs, self.max_macs))
                             if limit is not None and value > limit)
            row.over, row.within_budget = over, row.counted and not over
        feasible = [row for row in self.rows if row.within_budget]
        for row, flag in zip(feasible, pareto_flags([(row.params, row.macs) for row in feasible])):
            row.pareto = flag

    def sorted(self) -> list[SweepRow]:
        """Counted variants by MACs, then params (then grid order); refused ones last, in grid order."""
        counted = sorted((r for r in self.rows if r.counted), key=lambda r: (r.macs, r.params, r.index))
        return counted + [r for r in self.rows if not r.counted]

    def pareto(self) -> list[SweepRow]:
        """The Pareto-front variants, by MACs."""
        return [r for r in self.sorted() if r.pareto]

    def refused(self) -> list[SweepRow]:
        return [r for r in self.rows if not r.counted]

    def summary(self) -> dict[str, int]:
        return {"variants": len(self.rows), "counted": sum(r.counted for r in self.rows),
                "refused": sum(not r.counted for r in self.rows),
                "within_budget": sum(r.within_budget for r in self.rows),
                "pareto": sum(r.pareto for r in self.rows)}

    def as_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "file": self.file, "grid": {k: [plain(v) for v in vs] for k, vs in self.grid.items()},
                "fixed": {k: plain(v) for k, v in self.fixed.items()},
                "budget": {"max_params": self.max_params, "max_macs": self.max_macs},
                "convention": CONVENTION, **self.summary(), "rows": [r.as_dict() for r in self.sorted()]}

    def to_json(self, path: str | Path | None = None) -> str:
        """The sweep as JSON (rows in the table's order: by MACs, then params; refused last); written to
        path when given."""
        text = json.dumps(self.as_dict(), indent=1)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def to_csv(self, path: str | Path | None = None) -> str:
        """One line per variant, in the table's order: the grid's parameters, params, macs, flops, pareto,
        within_budget, over (budgets exceeded, ';'-separated), error; written to path when given."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        names = list(self.grid)
        writer.writerow(names + ["params", "macs", "flops", "pareto", "within_budget", "over", "error"])
        for row in self.sorted():
            writer.writerow([plain(row.values[n]) for n in names] +
                            ["" if row.params is None else row.params, "" if row.macs is None else row.macs,
                             "" if row.flops is None else row.flops, int(row.pareto), int(row.within_budget),
                             ";".join(row.over), row.error or ""])
        text = out.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def plot(self, path: str | Path, labels: bool | None = None) -> Path:
        """Params versus MACs of the counted variants, written as PNG or SVG (by path's suffix): budget
        lines drawn, the Pareto front joined, points labelled with their values when there are at most
        30 (labels=True/False forces it). Needs matplotlib (`pip install archspec[plot]`): else
        PlotUnavailable."""
        from .plot import plot_sweep
        return plot_sweep(self, Path(path), labels)
