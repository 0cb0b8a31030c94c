"""Design-space sweeps: every combination of a grid of parameter values counted analytically, with
budgets and the Pareto front (docs/sweeps.md)."""
from .grid import Grid, parse_amount, read_grid
from .result import SweepResult, SweepRow
from .run import sweep

__all__ = ["Grid", "SweepResult", "SweepRow", "parse_amount", "read_grid", "sweep"]
