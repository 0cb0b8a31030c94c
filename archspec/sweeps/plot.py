"""The params-versus-MACs plot of a sweep (matplotlib, an optional dependency: archspec[plot])."""
from __future__ import annotations

from pathlib import Path

INSTALL_HINT = "pip install 'archspec[plot]'  (or: pip install matplotlib)"
FORMATS = (".png", ".svg")
LABEL_AT_MOST = 30  # points are labelled with their values when there are at most this many


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""

    def __init__(self) -> None:
        super().__init__(f"plotting a sweep needs matplotlib: {INSTALL_HINT}")


def available() -> bool:
    """Whether matplotlib can be imported (without importing it)."""
    import importlib.util
    return importlib.util.find_spec("matplotlib") is not None


def plot_sweep(result, path: Path, labels: bool | None = None) -> Path:
    """Draw result (a SweepResult) to path: see SweepResult.plot."""
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"a sweep plot is written as PNG or SVG: give a file name ending in .png or .svg, got {path}")
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotUnavailable() from None
    counted = [r for r in result.sorted() if r.counted]
    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.subplots()
    inside = [r for r in counted if r.within_budget]
    over = [r for r in counted if not r.within_budget]
    ax.scatter([r.macs for r in inside], [r.params for r in inside], s=18, color="tab:blue", label="within budget")
    if over:
        ax.scatter([r.macs for r in over], [r.params for r in over], s=18, facecolors="none", edgecolors="0.6",
                   label="over budget")
    front = result.pareto()
    if front:
        ax.plot([r.macs for r in front], [r.params for r in front], "-o", color="tab:red", markersize=5,
                label=f"Pareto front ({len(front)})")
    if result.max_macs is not None:
        ax.axvline(result.max_macs, color="tab:orange", linestyle="--", label=f"max MACs {result.max_macs:,}")
    if result.max_params is not None:
        ax.axhline(result.max_params, color="tab:green", linestyle="--", label=f"max params {result.max_params:,}")
    if counted and max(r.macs for r in counted) > 20 * max(1, min(r.macs for r in counted)):
        ax.set_xscale("log")
    if counted and max(r.params for r in counted) > 20 * max(1, min(r.params for r in counted)):
        ax.set_yscale("log")
    if labels if labels is not None else len(counted) <= LABEL_AT_MOST:
        for r in counted:
            ax.annotate(r.label(), (r.macs, r.params), fontsize=6, xytext=(3, 3), textcoords="offset points")
    summary = result.summary()
    ax.set_title(f"{result.spec}: {summary['variants']:,} variants, {summary['counted']:,} counted, "
                 f"{summary['pareto']} on the Pareto front", fontsize=10)
    ax.set_xlabel("MACs (batch 1, eval)")
    ax.set_ylabel("params")
    ax.grid(True, which="major", alpha=0.3)
    if counted:
        ax.legend(fontsize=8)
    fig.savefig(path)
    return path
