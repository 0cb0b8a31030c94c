"""Timing and reporting for bench_optimize.py: many variants timed in rotating rounds, speed-ups as
medians of per-round ratios, one table per comparison (timing primitives come from bench_core.py)."""
from __future__ import annotations

import time

import torch

from bench_core import ms  # bench/, next to this script
from timing import interleaved, summary

TOL = 1e-4  # max abs logit difference allowed between any variant and the reference


class OutputMismatch(AssertionError):
    pass


def check_equal(label: str, got: torch.Tensor, want: torch.Tensor, tol: float = TOL) -> float:
    """Max abs difference of two logit tensors; above tol, OutputMismatch before anything is timed."""
    diff = (got.float() - want.float()).abs().max().item()
    if not diff <= tol:
        raise OutputMismatch(f"{label}: max |logit diff| {diff:.2e} > {tol:.0e}; nothing was timed")
    return diff


def speedups(times: dict[str, list[float]], base: str) -> dict[str, dict]:
    """Per variant: its time summary and its speed-up over `base` (median over rounds of
    t_base / t_variant, each ratio from one round, so load bursts hit both sides)."""
    out = {}
    for label, ts in times.items():
        per_round = summary([b / t for b, t in zip(times[base], ts)])
        out[label] = {"time_s": summary(ts), "speedup": per_round["median"], "speedup_q1": per_round["q1"],
                      "speedup_q3": per_round["q3"]}
    return out


def pair_speedup(times: dict[str, list[float]], fast: str, slow: str) -> float:
    """Median over rounds of t_slow / t_fast: > 1 when `fast` is faster."""
    return summary([s / f for s, f in zip(times[slow], times[fast])])["median"]


def time_variants(fns: dict[str, callable], rounds: int, warmup: int) -> dict[str, list[float]]:
    labels = list(fns)
    ts = interleaved([fns[k] for k in labels], rounds, warmup)
    return dict(zip(labels, ts))


def print_table(title: str, rows: dict[str, dict], base: str, diffs: dict[str, float]) -> None:
    print(f"\n  {title}")
    print(f"    {'variant':34s} {'median':>12s} {'IQR':>12s}   speed-up vs {base} (per-round IQR)  max|diff|")
    for label, r in rows.items():
        t = r["time_s"]
        d = diffs.get(label)
        print(f"    {label:34s} {ms(t['median'])} {ms(t['iqr'])}   {r['speedup']:6.3f}x "
              f"({r['speedup_q1']:.3f}-{r['speedup_q3']:.3f})          {'' if d is None else f'{d:.1e}'}")


def verdict(ok: bool | None) -> str:
    return "PENDING" if ok is None else ("PASS" if ok else "FAIL")


def first_call_s(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0
