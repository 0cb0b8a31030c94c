"""Analytic counting against counting a forward: archspec against torch's FlopCounterMode and fvcore.

    PYTHONPATH=$PWD /work/timmenv/bin/python bench/bench_counting.py [--quick] [--spec specs/wrn.yaml ...]

For every spec in specs/ (or those given with --spec):
- totals: params (archspec = the built model's numel), MACs from `archspec.stats` (analytic, no weights),
  from torch.utils.flop_counter.FlopCounterMode on a batch-1 eval forward of the built model (flops / 2),
  and from fvcore's FlopCountAnalysis (when fvcore is installed; it is a reference, never a dependency).
  archspec must equal FlopCounterMode / 2 exactly. fvcore counts one "flop" per multiply-add of
  convolutions and linear layers, like archspec's MACs, but also counts ops archspec does not (batch norm,
  upsampling, adaptive average pooling) and skips others: a second table compares it per op kind.
- times: `archspec.stats(path)` (load + validate + expand + count, from the file) against the FlopCounterMode
  forward of the already-built model (only the counting forward is timed) and against
  `FlopCountAnalysis(model, x).total()` (its jit trace included: that is how fvcore is run). The three are
  timed interleaved, the order rotating each round; times are medians, ratios are medians of per-round
  ratios (reference / archspec: how many times faster archspec is). 1 torch thread by default.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

import archspec
from archspec.analysis.report import totals
from timing import interleaved, summary  # bench/timing.py, next to this script
from machine import cpu_model

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
# archspec's ops whose MACs fvcore files under each of its op kinds (fvcore names a convolution "conv")
FVCORE_KIND = {"conv2d": "conv", "conv_transpose2d": "conv", "linear": "linear"}


def fvcore_module():
    try:
        from fvcore.nn import FlopCountAnalysis
    except ImportError:
        return None
    return FlopCountAnalysis


def fvcore_analysis(analysis_cls, model, x):
    analysis = analysis_cls(model, (x,))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
    return analysis


def archspec_by_kind(graph) -> Counter:
    """MACs of eval mode per fvcore op kind (archspec counts only convolutions and linear layers)."""
    out: Counter = Counter()
    for name in graph.nodes:
        meta = graph.nodes[name]["meta"]
        if meta["macs"] and not meta.get("train_only"):
            out[FVCORE_KIND.get(graph.nodes[name]["op"], graph.nodes[name]["op"])] += meta["macs"]
    return out


def count_one(path: Path, fv_cls, args) -> dict:
    st = archspec.stats(path)
    _, graph = archspec.compile_spec(path)
    assert totals(graph) == (st["params"], st["macs"])
    model = archspec.build_model(path, seed=0).eval()
    x = torch.randn(1, *graph.nodes["input"]["meta"]["shape"])
    numel = sum(p.numel() for p in model.parameters())

    def fcm():
        with torch.inference_mode(), FlopCounterMode(display=False) as counter:
            model(x)
        return counter

    flops = fcm().get_total_flops()
    row = {"spec": path.stem, "params": st["params"], "numel": numel, "macs": st["macs"], "fcm_macs": flops // 2,
           "fcm_flops": flops, "by_kind": archspec_by_kind(graph)}
    fns = [lambda: archspec.stats(path), fcm]
    if fv_cls is not None:
        def fv():
            with torch.no_grad():
                return fvcore_analysis(fv_cls, model, x).total()
        with torch.no_grad():
            analysis = fvcore_analysis(fv_cls, model, x)
            row["fvcore"] = analysis.total()
            row["fvcore_by_op"] = dict(analysis.by_operator())
            row["fvcore_skipped"] = dict(analysis.unsupported_ops())
        fns.append(fv)
    times = interleaved(fns, args.rounds, warmup=args.warmup)
    row["t_stats"], row["t_fcm"] = summary(times[0]), summary(times[1])
    row["fcm_per_stats"] = summary([b / a for a, b in zip(times[0], times[1])])["median"]
    if fv_cls is not None:
        row["t_fvcore"] = summary(times[2])
        row["fvcore_per_stats"] = summary([c / a for a, c in zip(times[0], times[2])])["median"]
    return row


def ms(x: float) -> str:
    return f"{x * 1e3:8.1f}"


def print_totals(rows: list[dict], with_fv: bool) -> None:
    print("\n[1] totals and times (MACs at batch 1, eval mode; times in ms, medians; ratio = reference / archspec)")
    head = f"{'spec':28} {'params':>12} {'MACs archspec':>15} {'FCM flops/2':>15} {'equal':>5} {'stats':>8} " \
           f"{'FCM fwd':>8} {'FCM/st':>7}"
    if with_fv:
        head += f" {'fvcore total':>15} {'fvcore':>8} {'fv/st':>7}"
    print(head)
    for r in rows:
        equal = r["macs"] == r["fcm_macs"] and r["params"] == r["numel"]
        line = f"{r['spec']:28} {r['params']:>12,} {r['macs']:>15,} {r['fcm_macs']:>15,} {'yes' if equal else 'NO':>5} " \
               f"{ms(r['t_stats']['median'])} {ms(r['t_fcm']['median'])} {r['fcm_per_stats']:6.1f}x"
        if with_fv:
            line += f" {r['fvcore']:>15,} {ms(r['t_fvcore']['median'])} {r['fvcore_per_stats']:6.1f}x"
        print(line)


def print_fvcore(rows: list[dict]) -> None:
    print("\n[2] fvcore per op kind against archspec (fvcore's 'flop' = one multiply-add; 'skipped' = ops fvcore "
          "does not count, with how many calls)")
    for r in rows:
        fv, ours = r["fvcore_by_op"], r["by_kind"]
        parts = []
        for kind in sorted(set(fv) | set(ours)):
            a, b = ours.get(kind, 0), fv.get(kind, 0)
            parts.append(f"{kind} {b:,}" + (" =" if a == b else f" (archspec {a:,})"))
        skipped = ", ".join(f"{op.removeprefix('aten::')} x{n}" for op, n in sorted(r["fvcore_skipped"].items()))
        diff = r["fvcore"] - r["macs"]
        print(f"  {r['spec']}: fvcore - archspec = {diff:+,}")
        print(f"      counted: {'; '.join(parts)}")
        print(f"      skipped: {skipped or 'none'}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="Prints the machine, one row per spec, and fvcore's differences per op kind.")
    ap.add_argument("--spec", type=Path, action="append", help="a spec file (repeatable; default: every file in specs/)")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds per spec (default 7)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads value (default 1)")
    ap.add_argument("--quick", action="store_true", help="2 rounds, no warm-up: a smoke test, not a measurement")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.warmup = 2, 0
    torch.set_num_threads(args.threads)
    os.environ.pop("ARCHSPEC_DEBUG", None)  # time what users run: no lint after every pass
    fv_cls = fvcore_module()
    fv_version = None
    if fv_cls is not None:
        import importlib.metadata as md
        fv_version = md.version("fvcore")
    print(f"machine: {cpu_model()} | {os.cpu_count()} logical CPUs | torch {torch.__version__} | "
          f"fvcore {fv_version or 'missing (pip install fvcore for its column)'} | torch threads "
          f"{torch.get_num_threads()} | loadavg {os.getloadavg() if hasattr(os, 'getloadavg') else '?'}")
    print(f"{args.rounds} interleaved rounds per spec after {args.warmup} warm-up round(s)")
    t0 = time.perf_counter()
    rows = []
    for path in args.spec or SPECS:
        rows.append(count_one(path, fv_cls, args))
        print(f"  counted {path.stem} ({time.perf_counter() - t0:.0f} s)", flush=True)
    print_totals(rows, fv_cls is not None)
    if fv_cls is not None:
        print_fvcore(rows)
    unequal = [r["spec"] for r in rows if r["macs"] != r["fcm_macs"] or r["params"] != r["numel"]]
    ratios = sorted(r["fcm_per_stats"] for r in rows)
    print(f"\narchspec == FlopCounterMode / 2 (and params == numel) on {len(rows) - len(unequal)} of {len(rows)} specs"
          + (f"; UNEQUAL: {', '.join(unequal)}" if unequal else ""))
    print(f"archspec.stats is {ratios[0]:.1f}x to {ratios[-1]:.1f}x faster than a FlopCounterMode forward "
          f"(median over specs {ratios[len(ratios) // 2]:.1f}x)")
    if fv_cls is not None:
        fvr = sorted(r["fvcore_per_stats"] for r in rows)
        print(f"archspec.stats is {fvr[0]:.1f}x to {fvr[-1]:.1f}x faster than fvcore's FlopCountAnalysis "
              f"(median over specs {fvr[len(fvr) // 2]:.1f}x)")
    print(f"wall {time.perf_counter() - t0:.0f} s | loadavg at end {os.getloadavg() if hasattr(os, 'getloadavg') else '?'}")
    return 1 if unequal else 0


if __name__ == "__main__":
    sys.exit(main())
