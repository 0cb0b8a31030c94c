"""Core benchmarks for archspec, each reported as a ratio against a reference timed in the same run.

    .venv/bin/python bench/bench_core.py                 # `make bench`; reports timm missing
    /path/to/refenv/bin/python bench/bench_core.py --json results.json

1. compile: `archspec.compile_spec` (load + validate + IR + shapes + counts) of Inception-v4, against
   counting the same MACs with torch.utils.flop_counter.FlopCounterMode on a batch-1 forward of the
   already-built model (only the counting forward is timed). Targets: < 50 ms and >= 100x faster.
2. build: `archspec.build_model` against `timm.create_model("inception_v4")`. Target: ratio <= 1.
3. forward: eval-mode forward under torch.inference_mode() of the archspec module against timm's,
   both holding the same weights, at batch 1 and batch 8 on the CPU, timed interleaved in rounds
   whose order alternates (AB, BA, AB, ...). Target: time ratio archspec/timm <= 1.02.

Every time is a median over repeats taken after warm-up, measured with time.perf_counter, with its
interquartile range (IQR). A ratio against timm is the median of the per-round ratios (the two
calls of a round run back to back, so load from other processes tends to hit both); the ratio of
the two medians is printed next to it. The thread count is fixed (--threads, default 1) and printed.
Without timm, parts 2 and 3 print archspec's absolute times only, and the script still exits 0.
"""
from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

import archspec
from machine import cpu_model  # bench/machine.py, next to this script
from timing import interleaved, summary, timed  # bench/timing.py

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "specs" / "inception_v4.yaml"
TIMM_NAME = "inception_v4"
EXPECTED = {"params": 42_679_816, "macs": 12_253_974_624}
TARGETS = {"compile_ms": 50.0, "compile_speedup": 100.0, "build_ratio": 1.0, "forward_ratio": 1.02}


# ----------------------------------------------------------------------------------------- helpers

def ratio_block(ta: list[float], tb: list[float]) -> dict:
    """archspec (a) against the reference (b). The headline `ratio` is the median of the per-round
    ratios a_i / b_i (neighbours in time, so a burst of load on a shared machine hits both sides of a
    round); the ratio of the two medians is kept next to it."""
    a, b = summary(ta), summary(tb)
    per_round = summary([x / y for x, y in zip(ta, tb)])
    return {"archspec_s": a, "reference_s": b, "ratio": per_round["median"], "pair_ratio": per_round,
            "ratio_of_medians": a["median"] / b["median"]}


def ms(x: float) -> str:
    return f"{x * 1e3:9.1f} ms"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def machine_info(threads: int, timm_version: str | None) -> dict:
    cpu = cpu_model()
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
    # A design sweep: the spec is loaded and checked once, each variant is bound and expanded.
    loaded = archspec.load_spec(spec)
    variants = iter(range(10**9))
    t_sweep = timed(lambda: archspec.compile_spec(loaded, {"classes": 1000 + next(variants) % 2}),
                    args.compile_repeats, warmup=3)

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

    c, cpu, meta, sw = summary(t_compile), summary(t_cpu), summary(t_meta), summary(t_sweep)
    res = {"compile_s": c, "flopcounter_cpu_forward_s": cpu, "flopcounter_meta_forward_s": meta,
           "sweep_variant_s": sw, "speedup_sweep_vs_flopcounter_cpu": cpu["median"] / sw["median"],
           "speedup_vs_flopcounter_cpu": cpu["median"] / c["median"],
           "speedup_vs_flopcounter_meta": meta["median"] / c["median"],
           "macs_archspec": st["macs"], "macs_flopcounter_cpu": counted["cpu"],
           "macs_flopcounter_meta": counted["meta"], "params_archspec": st["params"]}
    res["target_compile_ms_met"] = c["median"] * 1e3 < TARGETS["compile_ms"]
    res["target_speedup_met"] = res["speedup_vs_flopcounter_cpu"] >= TARGETS["compile_speedup"]

    print("\n[1] compile_spec (load+validate+IR+shapes+counts) vs FlopCounterMode counting forward")
    print(f"    archspec.compile_spec                   {ms(c['median'])}  IQR {ms(c['iqr'])}  n={c['n']}")
    print(f"    one variant of a sweep (loaded spec)    {ms(sw['median'])}  IQR {ms(sw['iqr'])}  n={sw['n']}"
          f"   ({res['speedup_sweep_vs_flopcounter_cpu']:.1f}x faster than the counting forward)")
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


def print_ratio(label: str, r: dict, target: float) -> None:
    p = r["pair_ratio"]
    print(f"    {label} {r['ratio']:.3f}  (per-round IQR {p['q1']:.3f}-{p['q3']:.3f}; ratio of medians "
          f"{r['ratio_of_medians']:.3f})  target <= {target:.2f} -> {verdict(r['target_met'])}")


def bench_build(spec: Path, timm, args) -> dict:
    from archspec.backends.torch.network import module_from_graph

    _, graph = archspec.compile_spec(spec)

    def build_a():
        return archspec.build_model(spec)

    def construct_a():  # informational: the module construction alone, from an already lowered graph
        return module_from_graph(graph)

    def build_t():
        return timm.create_model(TIMM_NAME)

    print(f"\n[2] archspec.build_model vs timm.create_model({TIMM_NAME!r})  (rounds rotate the order; "
          "gc.collect() before each call, untimed)")
    if timm is None:
        ta, tc = interleaved([build_a, construct_a], args.build_repeats, warmup=1, between=gc.collect)
        a, c = summary(ta), summary(tc)
        print(f"    archspec.build_model            {ms(a['median'])}  IQR {ms(a['iqr'])}  n={a['n']}"
              "   (no timm: no ratio)")
        print(f"      of which module construction  {ms(c['median'])}  IQR {ms(c['iqr'])}  (module_from_graph, "
              "graph already lowered)")
        return {"archspec_s": a, "construct_only_s": c}
    ta, tc, tb = interleaved([build_a, construct_a, build_t], args.build_repeats, warmup=1, between=gc.collect)
    r = ratio_block(ta, tb)
    r["target_met"] = r["ratio"] <= TARGETS["build_ratio"]
    rc = ratio_block(tc, tb)
    r["construct_only"] = {"archspec_s": rc["archspec_s"], "ratio": rc["ratio"], "pair_ratio": rc["pair_ratio"],
                           "ratio_of_medians": rc["ratio_of_medians"]}
    a, b, c = r["archspec_s"], r["reference_s"], rc["archspec_s"]
    print(f"    archspec.build_model            {ms(a['median'])}  IQR {ms(a['iqr'])}  n={a['n']}")
    print(f"    timm.create_model               {ms(b['median'])}  IQR {ms(b['iqr'])}  n={b['n']}")
    print_ratio("ratio archspec/timm", r, TARGETS["build_ratio"])
    print(f"    informational: module_from_graph on an already lowered graph {ms(c['median'])}  IQR "
          f"{ms(c['iqr'])}; ratio to timm {rc['ratio']:.3f} (per-round IQR {rc['pair_ratio']['q1']:.3f}-"
          f"{rc['pair_ratio']['q3']:.3f})")
    return r


def bench_forward(model_a: torch.nn.Module, model_t, args) -> dict:
    model_a.eval()
    results = {}
    if model_t is None:
        print("\n[3] eval forward under torch.inference_mode(), archspec only (no timm to compare with)")
    else:
        print("\n[3] eval forward under torch.inference_mode(), archspec vs timm (same weights, interleaved "
              "AB/BA rounds)")
    if model_t is not None:
        model_t.eval()
        assert not model_a.training and not model_t.training
        print(f"    both in eval mode; threads {torch.get_num_threads()} (one process, one setting)")
    for batch, rounds in ((1, args.pairs_b1), (8, args.pairs_b8)):
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
            t = summary(timed(fwd_a, rounds, warmup=warm))
            results[key] = {"archspec_s": t}
            print(f"    batch {batch}: archspec {ms(t['median'])}  IQR {ms(t['iqr'])}  n={t['n']}"
                  "   (no timm: no ratio)")
            continue
        with torch.inference_mode():
            diff = (model_a(x) - model_t(x)).abs().max().item()
        ta, tb = interleaved([fwd_a, fwd_t], rounds, warmup=warm)
        r = ratio_block(ta, tb)
        r["max_abs_output_diff"] = diff
        r["target_met"] = r["ratio"] <= TARGETS["forward_ratio"]
        results[key] = r
        a, b = r["archspec_s"], r["reference_s"]
        print(f"    batch {batch}: archspec {ms(a['median'])}  IQR {ms(a['iqr'])} | timm {ms(b['median'])}  "
              f"IQR {ms(b['iqr'])} | {a['n']} rounds | max |out diff| {diff:.1e}")
        print_ratio("  ratio archspec/timm", r, TARGETS["forward_ratio"])
    return results


# -------------------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="spec file (default: Inception-v4)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch.set_num_threads value (default 1: see docs/benchmarks.md on shared machines)")
    ap.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON to PATH")
    ap.add_argument("--compile-repeats", type=int, default=30)
    ap.add_argument("--count-repeats", type=int, default=7)
    ap.add_argument("--build-repeats", type=int, default=9, help="rounds of the build timing")
    ap.add_argument("--pairs-b1", type=int, default=40, help="AB/BA forward rounds at batch 1")
    ap.add_argument("--pairs-b8", type=int, default=12, help="AB/BA forward rounds at batch 8")
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
    print("times are medians after warm-up (time.perf_counter); IQR = interquartile range; a ratio is the "
          "median of per-round ratios")

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
