"""Design-space sweeps and a cold `archspec stats`, measured.

    PYTHONPATH=$PWD python bench/bench_sweep.py                 # everything
    PYTHONPATH=$PWD python bench/bench_sweep.py --part sweep    # the WRN sweep only
    PYTHONPATH=$PWD python bench/bench_sweep.py --part cold --against 7f370c7

sweep: the 10,000-variant WRN grid below (depth x k x block x per_block x dropout x classes; the depths that
do not fit a block type are refused by the spec's `checks:`, as in a real study):
  - reference: archspec.stats(spec, values) per variant on the loaded spec (with_overrides + lower + the
    stats dict: what a sweep cost before archspec.sweep), timed on every 50th variant;
  - archspec.sweep(jobs=1): the whole grid in this process (ms/variant), and with every core (wall);
  - `archspec sweep` as a fresh process (imports included), every core.
  Rounds alternate reference and sweep; medians.
cold: `archspec stats specs/inception_v4.yaml` as a fresh process, median of --runs, with the bytecode
of every module cached (a private PYTHONPYCACHEPREFIX, warmed first: what an installed archspec has) and
without (PYTHONDONTWRITEBYTECODE=1, sources compiled every run); with --against REV, the same for archspec
at git revision REV (exported to a temporary folder), alternating runs.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRN = ROOT / "specs" / "wrn.yaml"
GRID = {"depth": list(range(10, 155, 6)), "k": list(range(1, 11)),
        "block": ["B(3,3)", "B(3,1,3)", "B(1,3,1)", "B(1,3)", "B(3,1)"], "per_block": ["blocks", "convs"],
        "dropout": [0.0, 0.3], "classes": [10, 100]}
CLI_GRID = ["--grid", "depth=" + ",".join(map(str, GRID["depth"])), "--grid", "k=1,2,3,4,5,6,7,8,9,10",
            "--grid", "block=" + ",".join(GRID["block"]), "--grid", "per_block=blocks,convs",
            "--grid", "dropout=0,0.3", "--grid", "classes=10,100"]


def _spin(_: int) -> int:
    total = 0
    for i in range(2_000_000):
        total += i
    return total


def parallel_capacity(jobs: int) -> float:
    """How much faster `jobs` processes run 4*jobs pure-Python loops than one process: the speedup the
    machine can give at the moment (on a shared machine, less than jobs)."""
    import multiprocessing
    context = multiprocessing.get_context("fork")
    times = []
    for n in (1, jobs):
        start = time.perf_counter()
        with context.Pool(n) as pool:
            pool.map(_spin, range(4 * jobs))
        times.append(time.perf_counter() - start)
    return times[0] / times[1]


def bench_small(spec, rounds: int) -> None:
    """The issue's figure: WRN depth 16,22,28,40 x k 1,2,4,8,10 in one process, `with_overrides` + `lower`
    (the sweep path before) against `count_network` with a memo (a fresh one each round)."""
    from archspec.expand.memo import FragmentMemo
    from archspec.limits import using
    from archspec.pipeline import count_network, lower, with_overrides

    points = [{"depth": d, "k": k} for d in (16, 22, 28, 40) for k in (1, 2, 4, 8, 10)]
    before, after = [], []
    for _ in range(rounds * 3):
        start = time.perf_counter()
        for values in points:
            lower(with_overrides(spec, values), debug=False)
        before.append((time.perf_counter() - start) / len(points))
        memo, start = FragmentMemo(), time.perf_counter()
        for values in points:
            with using(None):
                count_network(with_overrides(spec, values), memo)
        after.append((time.perf_counter() - start) / len(points))
    b, a = statistics.median(before), statistics.median(after)
    print(f"WRN depth 16..40 x k 1..10 (20 variants), one process: with_overrides + lower {b * 1e3:.2f} ms, "
          f"count_network {a * 1e3:.3f} ms a variant ({b / a:.1f}x)")


def bench_sweep(rounds: int) -> None:
    import archspec
    from archspec.pipeline import load_spec
    from archspec.sweeps.grid import check_grid

    spec = load_spec(WRN)
    bench_small(spec, rounds)
    points = list(check_grid(spec.doc.params, set(spec.blocks), GRID, {}).points())
    sample = points[::50]
    print(f"grid: {len(points):,} variants of {WRN.name}; reference sample: every 50th ({len(sample)})")
    reference, single, parallel = [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for values in sample:
            try:
                archspec.stats(spec, values)
            except archspec.SpecError:
                pass
        reference.append((time.perf_counter() - start) / len(sample))
        start = time.perf_counter()
        result = archspec.sweep(spec, GRID, jobs=1)
        single.append((time.perf_counter() - start) / len(points))
        start = time.perf_counter()
        archspec.sweep(spec, GRID, jobs=os.cpu_count())
        parallel.append(time.perf_counter() - start)
    summary = result.summary()
    ref, one = statistics.median(reference), statistics.median(single)
    print(f"  the machine's parallel capacity now: {parallel_capacity(os.cpu_count()):.2f}x with {os.cpu_count()} "
          f"processes (a pure-Python loop; {os.cpu_count()}.00x on an idle machine)")
    print(f"  {summary['counted']:,} counted, {summary['refused']:,} refused by the spec's checks")
    print(f"  reference stats() per variant   {ref * 1e3:7.3f} ms  (rounds: {', '.join(f'{r * 1e3:.2f}' for r in reference)})")
    print(f"  sweep, one process, per variant {one * 1e3:7.3f} ms  (rounds: {', '.join(f'{r * 1e3:.3f}' for r in single)})"
          f"  -> {ref / one:.1f}x the reference")
    print(f"  sweep of {len(points):,}, one process   {one * len(points):6.2f} s")
    print(f"  sweep of {len(points):,}, {os.cpu_count()} processes   {statistics.median(parallel):6.2f} s  "
          f"(rounds: {', '.join(f'{p:.2f}' for p in parallel)}); the reference would take {ref * len(points):.0f} s")
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "archspec", "sweep", str(WRN), *CLI_GRID, "--out", out, "--rows", "5"]
        walls = []
        for _ in range(rounds):
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True, capture_output=True, env=_env(ROOT))
            walls.append(time.perf_counter() - start)
        print(f"  `archspec sweep` (fresh process, {os.cpu_count()} processes, CSV and JSON written) "
              f"{statistics.median(walls):6.2f} s  (rounds: {', '.join(f'{w:.2f}' for w in walls)})")


def _env(root: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    return {**env, "PYTHONPATH": str(root), **extra}


def _time(command: list[str], root: Path, env: dict) -> float:
    start = time.perf_counter()  # in root: `python -m` puts the working folder first on sys.path
    subprocess.run(command, cwd=root, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def bench_cold(runs: int, against: str | None) -> None:
    command = [sys.executable, "-m", "archspec", "stats", str(ROOT / "specs" / "inception_v4.yaml")]
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"this tree": ROOT}
        if against:
            ref = Path(tmp) / "ref"
            ref.mkdir()
            archive = subprocess.run(["git", "archive", against, "archspec"], cwd=ROOT, check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(ref)], input=archive, check=True)
            roots[against] = ref
        settings = {"bytecode cached": lambda root, name: _env(root, PYTHONPYCACHEPREFIX=str(Path(tmp) / f"pyc-{name}")),
                    "no bytecode": lambda root, name: _env(root, PYTHONDONTWRITEBYTECODE="1")}
        floor = [_time([sys.executable, "-c", "pass"], ROOT, _env(ROOT)) for _ in range(runs)]
        print(f"cold `archspec stats specs/inception_v4.yaml`, fresh processes, median of {runs} "
              f"(python -c pass: {statistics.median(floor):.3f} s)")
        cases = {(setting, name): (root, env_of(root, f"{i}")) for setting, env_of in settings.items()
                 for i, (name, root) in enumerate(roots.items())}
        for root, env in cases.values():  # warm the bytecode caches (and the disk)
            _time(command, root, env)
        times: dict = {case: [] for case in cases}
        for _ in range(runs):  # every case once per round, so that a busy moment costs all of them alike
            for case, (root, env) in cases.items():
                times[case].append(_time(command, root, env))
        for setting in settings:
            line = ", ".join(f"{name} {statistics.median(times[setting, name]):.3f} s "
                             f"(min {min(times[setting, name]):.3f})" for name in roots)
            print(f"  {setting:16s} {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["sweep", "cold", "all"], default="all")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the sweep part (medians)")
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per setting of the cold part")
    parser.add_argument("--against", metavar="REV", help="also time the cold stats of archspec at git revision REV")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} "
          "(other jobs share this machine)")
    if args.part in ("sweep", "all"):
        bench_sweep(args.rounds)
    if args.part in ("cold", "all"):
        bench_cold(args.runs, args.against)


if __name__ == "__main__":
    main()
