"""Cost growth: load + validate + expand + count (`archspec.stats`) of generated specs of 100, 1,000 and
10,000 residual blocks.

    PYTHONPATH=$PWD /work/timmenv/bin/python bench/bench_growth.py [--quick] [--sizes 100,1000,10000]

Each spec is a chain of ResNet basic blocks (3x3 conv-BN-ReLU, 3x3 conv-BN, add, ReLU) after a stem conv,
on a 16x4x4 input, written to a temporary folder in three variants:
- repeat:   one block used N times (`basic: {width: 16}`, `repeat: N`): a small file, N expansions of one
            (block, arguments, input shape), so memoizing expansion can make it cheap;
- written:  the N block uses written out one per line, all of width 16: a file that grows with N;
- distinct: the N uses written out, block i of width 16 + i, with a 1x1 projection on every shortcut:
            no two blocks expand alike, so no memo can hide the cost.
Every spec is timed with `archspec.stats(path)` from the file, in rounds that rotate the order of the
sizes; times are medians. For information, each is also timed with Python's cyclic garbage collector paused
(gc.disable() around the call, in the same rounds): the difference is what the collector's full passes
over the growing heap cost. The 10,000-block specs exceed archspec's default safety limits (ops, work,
YAML nodes), so every size runs with the limits raised (`LIMITS` below); nothing else changes.
Targets: linear growth (t(10x blocks) / t(blocks) about 10) and under 2 s at 10,000 blocks.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import archspec
from archspec.limits import Limits
from timing import interleaved, summary  # bench/timing.py, next to this script
from machine import cpu_model

LIMITS = Limits(ops=1_000_000, work=20_000_000, yaml_nodes=2_000_000, file_bytes=20_000_000)
TARGET_S = 2.0
HEADER = """archspec: 1
name: chain_{variant}_{n}
input: [16, 4, 4]
blocks:
  basic:
    doc: "ResNet basic block: 3x3 conv-BN-ReLU, 3x3 conv-BN, add, ReLU"
    params: {{width: {{type: int}}}}
    body:
      - residual:
          body:
            - {{conv: {{out: width, kernel: 3, padding: same, bias: false, bn: true, act: relu}}, name: conv1}}
            - {{conv: {{out: width, kernel: 3, padding: same, bias: false, bn: true, act: none}}, name: conv2}}
          shortcut: auto
          projection: {{bn: true, act: none}}
          act: relu
network:
  - {{conv: {{out: 16, kernel: 3, padding: same}}, name: stem}}
"""


def spec_text(variant: str, n: int) -> str:
    text = HEADER.format(variant=variant, n=n)
    if variant == "repeat":
        return text + f"  - {{basic: {{width: 16}}, name: blocks, repeat: {n}}}\n"
    width = (lambda i: 16) if variant == "written" else (lambda i: 16 + i)
    return text + "".join(f"  - {{basic: {{width: {width(i)}}}, name: b{i}}}\n" for i in range(n))


def write_specs(folder: Path, variants: list[str], sizes: list[int]) -> dict[tuple[str, int], Path]:
    paths = {}
    for variant in variants:
        for n in sizes:
            path = folder / f"{variant}_{n}.yaml"
            path.write_text(spec_text(variant, n))
            paths[variant, n] = path
    return paths


def cpu_timed(fn, into: list):
    """fn, recording the process CPU time of each call into `into` (less sensitive than wall time to other
    processes on a shared machine)."""
    def run():
        t0 = time.process_time()
        fn()
        into.append(time.process_time() - t0)
    return run


def paused_gc(fn):
    def run():
        gc.disable()
        try:
            return fn()
        finally:
            gc.enable()
    return run


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Prints, per variant and size: ops, MACs, the median time, the time per "
                                        "block, the growth ratio to the size before, the median with the garbage collector "
                                        "paused, and the 2 s target.")
    ap.add_argument("--sizes", default="100,1000,10000", help="block counts, comma-separated (default 100,1000,10000)")
    ap.add_argument("--variants", default="repeat,written,distinct", help="which variants (default all three)")
    ap.add_argument("--rounds", type=int, default=5, help="timing rounds (default 5)")
    ap.add_argument("--quick", action="store_true", help="2 rounds: a smoke test, not a measurement")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="write the generated specs to DIR and keep them")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds = 2
    sizes = sorted(int(s) for s in args.sizes.split(","))
    variants = args.variants.split(",")
    os.environ.pop("ARCHSPEC_DEBUG", None)  # time what users run: no lint after every pass
    print(f"machine: {cpu_model()} | {os.cpu_count()} logical CPUs | loadavg "
          f"{os.getloadavg() if hasattr(os, 'getloadavg') else '?'}")
    print(f"limits raised for every size: ops={LIMITS.ops:,} work={LIMITS.work:,} yaml_nodes={LIMITS.yaml_nodes:,} "
          f"file_bytes={LIMITS.file_bytes:,}; {args.rounds} rounds, sizes rotating; medians")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = write_specs(folder, variants, sizes)
        verdicts: list[bool] = []
        print(f"\n{'variant':9} {'blocks':>7} {'file KB':>8} {'ops':>8} {'MACs':>20} {'median s':>9} {'IQR s':>7} "
              f"{'ms/block':>9} {'growth':>7} {'cpu s':>7} {'gc off s':>9}")
        for variant in variants:
            keys = [(variant, n) for n in sizes]
            st = {k: archspec.stats(paths[k], limits=LIMITS) for k in keys}  # also the warm-up
            cpu: dict = {k: [] for k in keys}
            raw = [lambda p=paths[k]: archspec.stats(p, limits=LIMITS) for k in keys]
            fns = [cpu_timed(fn, cpu[k]) for fn, k in zip(raw, keys)] + [paused_gc(fn) for fn in raw]
            times = interleaved(fns, args.rounds, warmup=0, between=gc.collect)
            previous = None
            for (_, n), ts, ts_paused in zip(keys, times, times[len(keys):]):
                s, paused = summary(ts), summary(ts_paused)
                c = summary(cpu[variant, n])
                growth = "" if previous is None else f"{s['median'] / previous[1]:6.1f}x"
                print(f"{variant:9} {n:>7,} {paths[variant, n].stat().st_size / 1024:>8.0f} "
                      f"{st[variant, n]['nodes']:>8,} {st[variant, n]['macs']:>20,} {s['median']:>9.3f} "
                      f"{s['iqr']:>7.3f} {s['median'] / n * 1e3:>9.3f} {growth:>7} {c['median']:>7.3f} {paused['median']:>9.3f}"
                      + (f"  (x{n // previous[0]} blocks)" if previous else ""))
                if n == 10_000:
                    verdicts.append(s["median"] < TARGET_S)
                previous = (n, s["median"])
    verdict = "not measured" if not verdicts else "PASS" if all(verdicts) else "MISS"
    print(f"\ntarget < {TARGET_S:.0f} s at 10,000 blocks: {verdict} ({sum(verdicts)} of {len(verdicts)} variants under it)")
    print(f"wall {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
