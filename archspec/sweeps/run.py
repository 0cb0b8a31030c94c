"""Running a sweep: every variant of the grid counted analytically (archspec.pipeline.count_network,
block uses folded from a memo), in worker processes when the grid is large, with progress and a clean
stop on Ctrl-C."""
from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..errors import SpecError
from ..expand.memo import FragmentMemo
from ..limits import current as current_limits, Limits, set_default as set_default_limits, using
from ..pipeline import count_network, load_spec, Spec, with_overrides
from ..source.access import allowed, allowing, Dirs, set_default as set_default_dirs
from .grid import check_grid, Grid, parse_amount
from .result import SweepResult, SweepRow

PARALLEL_FROM = 64  # variants: below this, starting worker processes costs more than it saves
Progress = Callable[[int, int], None]  # called with (variants done, variants in all)

_WORKER: tuple[Spec, FragmentMemo] | None = None  # in a worker process: the spec and its memo


def reason(exc: SpecError) -> str:
    """The one-line, located reason a variant is refused: its first diagnostic (without the trace)."""
    first = exc.diagnostics[0] if exc.diagnostics else None
    text = str(first).split("\n", 1)[0] if first is not None else str(exc)
    return text + (f" (and {exc.count - 1} more)" if exc.count > 1 else "")


def count_variant(spec: Spec, values: Mapping[str, Any], memo: FragmentMemo | None) -> tuple:
    """(params, macs, None) of spec with values bound, or (None, None, reason) when the spec refuses it.
    Each variant has the limits to itself, as a call of archspec.stats has (a fresh `work` meter)."""
    try:
        with using(None):
            counts = count_network(with_overrides(spec, values), memo)
    except SpecError as exc:
        return None, None, reason(exc)
    return counts.params, counts.macs, None


def sweep(spec_or_path: "Spec | str | Path", grid: Mapping[str, Sequence[Any]],
          overrides: Mapping[str, Any] | None = None, *, max_params: "int | float | str | None" = None,
          max_macs: "int | float | str | None" = None, jobs: int | None = None, progress: Progress | None = None,
          limits: "Limits | Mapping[str, int] | None" = None, allow_dirs: Dirs = None) -> SweepResult:
    """Count every combination of grid's values ({parameter: [values]}; overrides fix other parameters)
    without weights: a SweepResult with each variant's params and MACs (exactly archspec.stats'), or the
    one-line located reason the spec refuses it (its `checks:`), over-budget variants marked and the
    Pareto front. Budgets take numbers or text such as '10M', '2G', '1.5e9'. jobs: worker processes
    (default os.cpu_count(); grids under PARALLEL_FROM variants run here); progress(done, total) is
    called as variants are counted. A wrong grid or override raises OverrideError; Ctrl-C stops the
    workers and raises KeyboardInterrupt."""
    budgets = [None if b is None else parse_amount(b, name) for b, name in ((max_params, "max_params"),
                                                                           (max_macs, "max_macs"))]
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be a whole number >= 1, got {jobs!r}")
    with using(limits), allowing(allow_dirs):
        spec = spec_or_path if isinstance(spec_or_path, Spec) else load_spec(spec_or_path, overrides)
        if isinstance(spec_or_path, Spec) and overrides:
            spec = with_overrides(spec, overrides)
        checked = check_grid(spec.doc.params, set(spec.blocks), grid, spec.overrides)
        points = list(checked.points())
        jobs = min(jobs or os.cpu_count() or 1, max(1, len(points) // 16))
        if jobs > 1 and len(points) >= PARALLEL_FROM:
            outcomes = _in_workers(spec, points, jobs, progress)
        else:
            outcomes = _here(spec, points, progress)
    rows = [SweepRow(i, values, *outcome) for i, (values, outcome) in enumerate(zip(points, outcomes))]
    return SweepResult(spec.name, spec.file, _grid_values(checked), rows, dict(spec.overrides), *budgets)


def _grid_values(grid: Grid) -> dict[str, list]:
    return {name: list(values) for name, values in zip(grid.names, grid.values)}


def _here(spec: Spec, points: list[dict], progress: Progress | None) -> list[tuple]:
    memo, out = FragmentMemo(), []
    step = max(1, len(points) // 100)
    for i, values in enumerate(points):
        out.append(count_variant(spec, values, memo))
        if progress is not None and ((i + 1) % step == 0 or i + 1 == len(points)):
            progress(i + 1, len(points))
    return out


def _in_workers(spec: Spec, points: list[dict], jobs: int, progress: Progress | None) -> list[tuple]:
    """Chunks of consecutive variants (neighbours share blocks, so each worker's memo hits) counted by
    `jobs` processes. With fork, workers inherit the loaded spec; else each loads it once."""
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    inherit = context.get_start_method() == "fork"
    source = spec if inherit else (spec.file, dict(spec.overrides))
    size = max(1, min(256, len(points) // (jobs * 8)))
    indexed = list(enumerate(points))
    chunks = [indexed[i:i + size] for i in range(0, len(points), size)]
    out: list[tuple | None] = [None] * len(points)
    pool = context.Pool(jobs, _start_worker, (source, current_limits(), allowed()))
    try:
        done = 0
        for results in pool.imap_unordered(_count_chunk, chunks):
            for index, outcome in results:
                out[index] = outcome
            done += len(results)
            if progress is not None:
                progress(done, len(points))
        pool.close()
    finally:
        pool.terminate()  # Ctrl-C or an error: stop the workers now
        pool.join()
    return out


def _start_worker(source, limits: Limits, dirs) -> None:
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    set_default_limits(limits)
    set_default_dirs(dirs)
    spec = source if isinstance(source, Spec) else load_spec(source[0], source[1])
    _WORKER = (spec, FragmentMemo())


def _count_chunk(chunk: list[tuple[int, dict]]) -> list[tuple[int, tuple]]:
    spec, memo = _WORKER
    return [(index, count_variant(spec, values, memo)) for index, values in chunk]
