"""Core benchmarks for archspec, each reported as a ratio against a reference timed in the same run.

    .venv/bin/python bench/bench_core.py                 # `make bench`; reports timm missing
    /path/to/refenv/bin/python bench/bench_core.py --json results.json

1. compile: `archspec.compile_spec` (load + validate + IR + shapes + counts) of Inception-v4, against
   counting the same MACs with torch.utils.flop_counter.FlopCounterMode on a batch-1 forward of the
   already-built model (only the counting forward is timed). Targets: < 50 ms and >= 100x faster.
2. build: `archspec.build_model` against `timm.create_model("inception_v4")`. Target: ratio <= 1.
3. forward: eval-mode forward under torch.inference_mode() of the archspec module against timm's,
   both holding the same weights, at batch 1 and batch 8 on the CPU, timed interleaved (the order
   within a pair alternates). Target: time ratio archspec/timm <= 1.02.

Every time is a median over repeats taken after warm-up, measured with time.perf_counter; the thread
count is fixed (--threads) and printed. Without timm, parts 2 and 3 print archspec's absolute times
only, and the script still exits 0.
"""
from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

import archspec

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "specs" / "inception_v4.yaml"
TIMM_NAME = "inception_v4"
EXPECTED = {"params": 42_679_816, "macs": 12_253_974_624}
TARGETS = {"compile_ms": 50.0, "compile_speedup": 100.0, "build_ratio": 1.0, "forward_ratio": 1.02}


# ----------------------------------------------------------------------------------------- helpers

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


def interleaved(fn_a, fn_b, pairs: int, warmup: int, between=None) -> tuple[list[float], list[float]]:
    """Time A and B alternately; pair i runs A first when i is even and B first when odd (ABBA...)."""
    for _ in range(warmup):
        fn_a()
        fn_b()
    ta, tb = [], []
    for i in range(pairs):
        order = ((fn_a, ta), (fn_b, tb)) if i % 2 == 0 else ((fn_b, tb), (fn_a, ta))
        for fn, sink in order:
            if between is not None:
                between()
            t0 = time.perf_counter()
            fn()
            sink.append(time.perf_counter() - t0)
    return ta, tb


def ratio_block(ta: list[float], tb: list[float]) -> dict:
    """archspec (a) against the reference (b): ratio of medians and the spread of per-pair ratios."""
    a, b = summary(ta), summary(tb)
    per_pair = [x / y for x, y in zip(ta, tb)]
    return {"archspec_s": a, "reference_s": b, "ratio_of_medians": a["median"] / b["median"],
            "pair_ratio": summary(per_pair)}


def ms(x: float) -> str:
    return f"{x * 1e3:9.1f} ms"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def machine_info(threads: int, timm_version: str | None) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "usable_cpus": usable,
            "python": platform.python_version(), "torch": torch.__version__, "timm": timm_version,
            "archspec": archspec.__version__, "torch_threads": torch.get_num_threads(),
            "requested_threads": threads, "platform": platform.platform(),
            "loadavg_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def copy_weights(src: torch.nn.Module, dst: torch.nn.Module) -> None:
    """Load src's tensors into dst by position; both trees list the same layers in the same order."""
    s, d = src.state_dict(), dst.state_dict()
    if len(s) != len(d) or any(a.shape != b.shape for a, b in zip(s.values(), d.values())):
        raise RuntimeError("state dicts do not line up by position")
    dst.load_state_dict(dict(zip(d.keys(), s.values())))


# ------------------------------------------------------------------------------------------- parts

def bench_compile(spec: Path, model: torch.nn.Module, args) -> dict:
    from torch.utils.flop_counter import FlopCounterMode

    st = archspec.stats(spec)
    assert (st["params"], st["macs"]) == (EXPECTED["params"], EXPECTED["macs"]), st
    t_compile = timed(lambda: archspec.compile_spec(spec), args.compile_repeats, warmup=3)

    x = torch.randn(1, *model.input_shape)
    counted = {}

    def count(m, inp, key):
        with torch.inference_mode():
            mode = FlopCounterMode(display=False)
            with mode:
                m(inp)
        counted[key] = mode.get_total_flops() // 2

    # Reference: the counting forward of the already-built model on the CPU (the model is not rebuilt).
    t_cpu = timed(lambda: count(model, x, "cpu"), args.count_repeats, warmup=1)
    # For information: the same counting forward with weights and input on the meta device.
    meta_model = copy.deepcopy(model).to("meta")
    xm = x.to("meta")
    t_meta = timed(lambda: count(meta_model, xm, "meta"), args.count_repeats * 2, warmup=1)
    del meta_model

    c, cpu, meta = summary(t_compile), summary(t_cpu), summary(t_meta)
    res = {"compile_s": c, "flopcounter_cpu_forward_s": cpu, "flopcounter_meta_forward_s": meta,
           "speedup_vs_flopcounter_cpu": cpu["median"] / c["median"],
           "speedup_vs_flopcounter_meta": meta["median"] / c["median"],
           "macs_archspec": st["macs"], "macs_flopcounter_cpu": counted["cpu"],
           "macs_flopcounter_meta": counted["meta"], "params_archspec": st["params"]}
    res["target_compile_ms_met"] = c["median"] * 1e3 < TARGETS["compile_ms"]
    res["target_speedup_met"] = res["speedup_vs_flopcounter_cpu"] >= TARGETS["compile_speedup"]

    print("\n[1] compile_spec (load+validate+IR+shapes+counts) vs FlopCounterMode counting forward")
    print(f"    archspec.compile_spec                   {ms(c['median'])}  IQR {ms(c['iqr'])}  n={c['n']}")
    print(f"    FlopCounterMode, CPU forward, batch 1   {ms(cpu['median'])}  IQR {ms(cpu['iqr'])}  n={cpu['n']}"
          "   (model already built; only the counting forward is timed)")
    print(f"    FlopCounterMode, meta-device forward    {ms(meta['median'])}  IQR {ms(meta['iqr'])}  n={meta['n']}"
          "   (informational)")
    print(f"    MACs: archspec {st['macs']:,}  FlopCounterMode {counted['cpu']:,}  (meta {counted['meta']:,})")
    print(f"    compile < {TARGETS['compile_ms']:.0f} ms: {c['median'] * 1e3:.1f} ms -> "
          f"{verdict(res['target_compile_ms_met'])}")
    print(f"    speedup vs CPU counting forward >= {TARGETS['compile_speedup']:.0f}x: "
          f"{res['speedup_vs_flopcounter_cpu']:.1f}x -> {verdict(res['target_speedup_met'])}"
          f"   (vs meta-device counting: {res['speedup_vs_flopcounter_meta']:.1f}x)")
    return res


def bench_build(spec: Path, timm, args) -> dict:
    def build_a():
        return archspec.build_model(spec)

    def build_t():
        return timm.create_model(TIMM_NAME)

    print(f"\n[2] archspec.build_model vs timm.create_model({TIMM_NAME!r})")
    if timm is None:
        t = summary(timed(build_a, args.build_repeats, warmup=1))
        print(f"    archspec.build_model  {ms(t['median'])}  IQR {ms(t['iqr'])}  n={t['n']}   (no timm: no ratio)")
        return {"archspec_s": t}
    ta, tb = interleaved(build_a, build_t, args.build_repeats, warmup=1, between=gc.collect)
    r = ratio_block(ta, tb)
    r["target_met"] = r["ratio_of_medians"] <= TARGETS["build_ratio"]
    a, b, p = r["archspec_s"], r["reference_s"], r["pair_ratio"]
    print(f"    archspec.build_model  {ms(a['median'])}  IQR {ms(a['iqr'])}  n={a['n']}")
    print(f"    timm.create_model     {ms(b['median'])}  IQR {ms(b['iqr'])}  n={b['n']}")
    print(f"    ratio archspec/timm {r['ratio_of_medians']:.3f}  (per-pair median {p['median']:.3f}, "
          f"IQR {p['q1']:.3f}-{p['q3']:.3f})  target <= {TARGETS['build_ratio']:.2f} -> {verdict(r['target_met'])}")
    return r


def bench_forward(model_a: torch.nn.Module, model_t, args) -> dict:
    model_a.eval()
    results = {}
    print("\n[3] eval forward under torch.inference_mode(), archspec vs timm (same weights, interleaved)")
    if model_t is not None:
        model_t.eval()
        assert not model_a.training and not model_t.training
        print(f"    both in eval mode; threads {torch.get_num_threads()} (one process, one setting)")
    for batch, pairs in ((1, args.pairs_b1), (8, args.pairs_b8)):
        gen = torch.Generator().manual_seed(batch)
        x = torch.randn(batch, *model_a.input_shape, generator=gen)

        def fwd_a():
            with torch.inference_mode():
                model_a(x)

        def fwd_t():
            with torch.inference_mode():
                model_t(x)

        warm = 3 if batch == 1 else 2
        key = f"batch{batch}"
        if model_t is None:
            t = summary(timed(fwd_a, pairs, warmup=warm))
            results[key] = {"archspec_s": t}
            print(f"    batch {batch}: archspec {ms(t['median'])}  IQR {ms(t['iqr'])}  n={t['n']}   (no timm: no ratio)")
            continue
        with torch.inference_mode():
            diff = (model_a(x) - model_t(x)).abs().max().item()
        ta, tb = interleaved(fwd_a, fwd_t, pairs, warmup=warm)
        r = ratio_block(ta, tb)
        r["max_abs_output_diff"] = diff
        r["target_met"] = r["ratio_of_medians"] <= TARGETS["forward_ratio"]
        results[key] = r
        a, b, p = r["archspec_s"], r["reference_s"], r["pair_ratio"]
        print(f"    batch {batch}: archspec {ms(a['median'])}  IQR {ms(a['iqr'])} | timm {ms(b['median'])}  "
              f"IQR {ms(b['iqr'])} | n={a['n']} pairs | max |out diff| {diff:.1e}")
        print(f"             ratio archspec/timm {r['ratio_of_medians']:.3f}  (per-pair median {p['median']:.3f}, "
              f"IQR {p['q1']:.3f}-{p['q3']:.3f})  target <= {TARGETS['forward_ratio']:.2f} -> "
              f"{verdict(r['target_met'])}")
    return results


# -------------------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="spec file (default: Inception-v4)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads value (default 2)")
    ap.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON to PATH")
    ap.add_argument("--compile-repeats", type=int, default=30)
    ap.add_argument("--count-repeats", type=int, default=7)
    ap.add_argument("--build-repeats", type=int, default=9, help="interleaved pairs for the build timing")
    ap.add_argument("--pairs-b1", type=int, default=40, help="interleaved forward pairs at batch 1")
    ap.add_argument("--pairs-b8", type=int, default=12, help="interleaved forward pairs at batch 8")
    ap.add_argument("--quick", action="store_true", help="few repeats: a smoke test, not a measurement")
    args = ap.parse_args(argv)
    if args.quick:
        args.compile_repeats, args.count_repeats, args.build_repeats = 5, 2, 2
        args.pairs_b1, args.pairs_b8 = 3, 2

    torch.set_num_threads(args.threads)
    try:
        import timm
        timm_version = timm.__version__
    except ImportError:
        timm, timm_version = None, None
        print("timm is not installed: skipping the timm comparisons (build and forward ratios); "
              "see docs/benchmarks.md for the reference venv")

    info = machine_info(args.threads, timm_version)
    print(f"machine: {info['cpu']} | {info['logical_cpus']} logical CPUs ({info['usable_cpus']} usable) | "
          f"Python {info['python']} | torch {info['torch']} | timm {info['timm'] or 'missing'} | "
          f"torch threads {info['torch_threads']} | loadavg {info['loadavg_start']}")
    print("times are medians after warm-up (time.perf_counter); IQR = interquartile range")

    torch.manual_seed(0)
    model_a = archspec.build_model(args.spec, seed=0).eval()
    model_t = None
    if timm is not None:
        model_t = timm.create_model(TIMM_NAME).eval()
        copy_weights(model_a, model_t)

    t0 = time.perf_counter()
    results = {"machine": info, "targets": TARGETS, "spec": str(args.spec)}
    results["compile"] = bench_compile(args.spec, model_a, args)
    results["build"] = bench_build(args.spec, timm, args)
    gc.collect()
    results["forward"] = bench_forward(model_a, model_t, args)
    info["loadavg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    info["wall_s"] = time.perf_counter() - t0
    print(f"\nwall {info['wall_s']:.0f} s | loadavg at end {info['loadavg_end']}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
