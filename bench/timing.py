"""Timing helpers the benchmark scripts share: medians and quartiles, repeated and interleaved timing.
No torch here, so a script that times archspec alone (bench_growth.py) does not carry torch's heap."""
from __future__ import annotations

import statistics
import time


def quartiles(xs: list[float]) -> tuple[float, float, float]:
    """(q1, median, q3) with the 'inclusive' method, so small samples stay inside their range."""
    if len(xs) == 1:
        return xs[0], xs[0], xs[0]
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q2, q3


def summary(xs: list[float]) -> dict:
    q1, med, q3 = quartiles(xs)
    return {"median": med, "q1": q1, "q3": q3, "iqr": q3 - q1, "min": min(xs), "max": max(xs), "n": len(xs)}


def timed(fn, repeats: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def interleaved(fns, rounds: int, warmup: int, between=None) -> list[list[float]]:
    """Time the functions in turn, one round at a time; the order rotates every round (for two
    functions: AB, BA, AB, ...), so drift and any first/second position effect hit all of them alike."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for r in range(rounds):
        for k in range(len(fns)):
            j = (k + r) % len(fns)
            if between is not None:
                between()
            t0 = time.perf_counter()
            fns[j]()
            times[j].append(time.perf_counter() - t0)
    return times
