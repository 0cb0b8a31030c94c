"""Speed of archspec's models against the hand-written networks users run (issue 11, "Benchmarks").

    PYTHONPATH=$PWD /path/to/refenv/bin/python bench/bench_optimize.py [--quick] [--json FILE]

Needs timm (the reference venv, see docs/benchmarks.md). CPU, fp32, --threads (default 1).
Networks: Inception-v4, Inception-ResNet-v2, Inception-v3 (timm's models; archspec loads their
weights through archspec.interop.load_timm_state_dict) and WRN-28-10 at 32x32 (specs/wrn.yaml; timm
has none, so the reference is the hand-written PyTorch model in perf_models.py, which loads
archspec's weights by order and shape). Weights are redrawn (perf_models.realistic_weights: BN
statistics and affine values away from the identity, so BN folding has real work to do) and the
classifier rescaled to logits of std 16, where a 1e-4 check is meaningful in float32.

1. eval forward under torch.inference_mode(), batch 1 and 8: the reference as users run it by
   default, with channels_last (model and input), with torch.fx.experimental.optimization.fuse +
   channels_last; archspec unoptimized, channels_last, and archspec.optimize(model) where this
   checkout has it (else the row is missing and its targets print PENDING). Targets at batch 8:
   optimized archspec faster than the fused channels_last reference on every network, and >= 1.6x
   timm default on Inception-v4.
2. torch.compile (default mode) on both sides, batch 8: archspec optimized (unoptimized where there
   is no optimize) against the reference's default; compile time (the first call) printed, not timed.
3. achieved GFLOP/s of archspec's fastest eval model of Inception-v4 at batch 8 (2 x archspec's
   analytic MACs / time) against a 256->256 3x3 conv at 56x56, batch 8, channels_last, timed in
   the same rounds. Target: >= 80% of that conv's GFLOP/s.
4. training step (zero_grad, forward, cross-entropy, backward, SGD with momentum; batch 8, train
   mode), archspec against the reference, contiguous and channels_last on both sides. Target:
   archspec no slower (speed-up >= 1.0).

Before anything is timed, every variant's logits must equal the reference's within 1e-4 (max abs);
training compares train-mode logits of copies. Variants are timed in rounds whose order rotates;
a speed-up is the median over rounds of t_reference / t_variant within one round.
"""
from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import sys
import time
from pathlib import Path

import torch

import perf_models as pm  # bench/, next to this script
import perf_timing as pt
from bench_core import machine_info
from timing import summary

TARGETS = {"opt_vs_fused_cl": 1.0, "opt_vs_default_inception_v4": 1.6, "conv_peak_fraction": 0.80,
           "train_speedup": 1.0}


def eval_fn(model, x):
    def run():
        with torch.inference_mode():
            model(x)
    return run


def logits(model, x):
    with torch.inference_mode():
        return model(x)


def eval_variants(name: str, ours, ref, label: str) -> dict[str, tuple]:
    """label -> (model, wants channels_last input)."""
    fused = f"{label} fx-fuse + channels_last"
    v = {f"{label} default": (ref, False), f"{label} channels_last": (pm.channels_last(ref), True),
         fused: (pm.fx_fused_channels_last(ref), True),
         "archspec": (ours, False), "archspec channels_last": (pm.channels_last(ours), True)}
    if pm.optimizer_fn() is not None:
        v["archspec optimized"] = (pm.optimized(ours), False)
    print(f"\n  {name}: torch.fx fuse folded {pm.batchnorm_count(ref) - pm.batchnorm_count(v[fused][0])} of "
          f"{pm.batchnorm_count(ref)} BatchNorm modules of the {label} model into convolutions")
    return v


def part_eval(nets: dict, args) -> dict:
    print("\n[1] eval forward, CPU fp32, torch.inference_mode(); same weights on both sides")
    if pm.optimizer_fn() is None:
        print("    this checkout has no archspec.optimize: the optimized rows and their targets are PENDING")
    out = {}
    for name, (ours, ref, label) in nets.items():
        variants = eval_variants(name, ours, ref, label)
        base, fused = f"{label} default", f"{label} fx-fuse + channels_last"
        out[name] = {}
        for batch, rounds in ((1, args.rounds_b1), (8, args.rounds_b8)):
            x = pm.input_for(ours, batch)
            xcl = x.contiguous(memory_format=pm.CL)
            want = logits(ref, x)
            diffs = {k: pt.check_equal(f"{name} batch {batch} {k}", logits(m, xcl if cl else x), want)
                     for k, (m, cl) in variants.items()}
            fns = {k: eval_fn(m, xcl if cl else x) for k, (m, cl) in variants.items()}
            times = pt.time_variants(fns, rounds, warmup=1)
            rows = pt.speedups(times, base)
            pt.print_table(f"{name}, batch {batch}, {rounds} rounds (logit std {want.std().item():.2f})",
                           rows, base, diffs)
            res = {"rows": rows, "max_abs_diff": diffs}
            if "archspec optimized" in times:
                res["opt_vs_fused_cl"] = pt.pair_speedup(times, "archspec optimized", fused)
                print(f"    archspec optimized vs {fused}: {res['opt_vs_fused_cl']:.3f}x")
            out[name][f"batch{batch}"] = res
            gc.collect()
        del variants
    return out


def eval_verdicts(res: dict) -> dict:
    print("\n    targets at batch 8:")
    verdicts = {}
    for name, r in res.items():
        s = r["batch8"].get("opt_vs_fused_cl")
        ok = None if s is None else s > TARGETS["opt_vs_fused_cl"]
        verdicts[f"{name}_faster_than_fused_cl"] = ok
        print(f"    {name}: optimized archspec faster than fused channels_last reference: "
              f"{'-' if s is None else f'{s:.3f}x'} -> {pt.verdict(ok)}")
    if "inception_v4" in res:
        rows = res["inception_v4"]["batch8"]["rows"]
        s = rows["archspec optimized"]["speedup"] if "archspec optimized" in rows else None
        ok = None if s is None else s >= TARGETS["opt_vs_default_inception_v4"]
        verdicts["inception_v4_1.6x_default"] = ok
        print(f"    inception_v4: optimized archspec >= {TARGETS['opt_vs_default_inception_v4']}x timm default: "
              f"{'-' if s is None else f'{s:.3f}x'} -> {pt.verdict(ok)}")
    return verdicts


def best_archspec(ours):
    """archspec's fastest eval model for the user: optimized where available, else channels_last."""
    if pm.optimizer_fn() is not None:
        return "archspec optimized", pm.optimized(ours), False
    return "archspec channels_last (no optimize here)", pm.channels_last(ours), True


def part_compile(nets: dict, args) -> dict:
    print("\n[2] torch.compile (default mode) on both sides, batch 8, eval, torch.inference_mode()")
    try:  # inductor's one-time start-up (imports, compiler checks) is not charged to the first network
        warm = pt.first_call_s(eval_fn(torch.compile(torch.nn.Conv2d(3, 8, 3)), torch.randn(1, 3, 8, 8)))
        print(f"    inductor start-up (a one-conv model compiled first, excluded): {warm:.1f} s")
    except Exception as e:  # a missing C++ compiler, an inductor failure: say so, go on
        print(f"    torch.compile does not work here: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
        return {"error": f"{type(e).__name__}: {e}"}
    out = {}
    for name, (ours, ref, label) in nets.items():
        side, model, _ = (("archspec optimized", pm.optimized(ours), False) if pm.optimizer_fn()
                          else ("archspec (no optimize here)", copy.deepcopy(ours), False))
        x = pm.input_for(ours, 8)
        want = logits(ref, x)
        try:
            ca, cr = torch.compile(model), torch.compile(copy.deepcopy(ref))
            compile_a = pt.first_call_s(eval_fn(ca, x))
            compile_r = pt.first_call_s(eval_fn(cr, x))
        except Exception as e:  # a missing C++ compiler, an inductor failure: say so, go on
            print(f"    {name}: torch.compile failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
            return {"error": f"{type(e).__name__}: {e}"}
        diffs = {side: pt.check_equal(f"{name} compiled {side}", logits(ca, x), want),
                 f"{label} default compiled": pt.check_equal(f"{name} compiled {label}", logits(cr, x), want)}
        base = f"{label} default compiled"
        times = pt.time_variants({base: eval_fn(cr, x), f"{side} compiled": eval_fn(ca, x)},
                                 args.rounds_compile, warmup=1)
        rows = pt.speedups(times, base)
        diffs[f"{side} compiled"] = diffs.pop(side)
        pt.print_table(f"{name}, batch 8, {args.rounds_compile} rounds; compile (first call) archspec "
                       f"{compile_a:.1f} s, {label} {compile_r:.1f} s", rows, base, diffs)
        out[name] = {"rows": rows, "compile_s": {"archspec": compile_a, label: compile_r}, "max_abs_diff": diffs}
        del ca, cr, model
        torch._dynamo.reset()
        gc.collect()
    return out


def part_gflops(nets: dict, args) -> dict:
    print("\n[3] achieved GFLOP/s, Inception-v4 batch 8, against a 256->256 3x3 conv at 56x56 (batch 8, "
          "channels_last)")
    if "inception_v4" not in nets:
        print("    skipped (inception_v4 not among --networks)")
        return {}
    ours = nets["inception_v4"][0]
    label, model, cl = best_archspec(ours)
    x = pm.input_for(ours, 8)
    x = x.contiguous(memory_format=pm.CL) if cl else x
    conv, xc, conv_macs = pm.conv_peak_layer()
    flops = 2 * pm.macs("inception_v4") * 8
    times = pt.time_variants({label: eval_fn(model, x), "conv": eval_fn(conv, xc)}, args.rounds_b8, warmup=1)
    fraction = summary([(flops / a) / (2 * conv_macs / c) for a, c in zip(times[label], times["conv"])])
    g_model = flops / summary(times[label])["median"] / 1e9
    g_conv = 2 * conv_macs / summary(times["conv"])["median"] / 1e9
    ok = fraction["median"] >= TARGETS["conv_peak_fraction"]
    print(f"    {label}: {g_model:.1f} GFLOP/s ({flops / 1e9:.1f} GFLOP per batch, analytic MACs x 2)")
    print(f"    3x3 conv 256->256 @56x56: {g_conv:.1f} GFLOP/s")
    print(f"    fraction (per-round median) {fraction['median']:.1%} (IQR {fraction['q1']:.1%}-"
          f"{fraction['q3']:.1%}); target >= {TARGETS['conv_peak_fraction']:.0%} -> {pt.verdict(ok)}")
    return {"model": label, "model_gflops": g_model, "conv_gflops": g_conv, "fraction": fraction, "target_met": ok}


def train_step(model, x, y):
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def train_logits(model, x):
    m = copy.deepcopy(model).train()
    torch.manual_seed(0)  # dropout draws the same mask on both sides
    with torch.no_grad():
        return m(x)


def part_train(nets: dict, args) -> dict:
    print("\n[4] training step (zero_grad, forward, cross-entropy, backward, SGD momentum 0.9), batch 8, "
          "train mode")
    out = {}
    for name, (ours, ref, label) in nets.items():
        x = pm.input_for(ours, 8)
        xcl = x.contiguous(memory_format=pm.CL)
        y = torch.arange(8) % ours.num_classes
        models = {label: (copy.deepcopy(ref), x), "archspec": (copy.deepcopy(ours), x),
                  f"{label} channels_last": (pm.channels_last(ref), xcl),
                  "archspec channels_last": (pm.channels_last(ours), xcl)}
        # dropout masks follow the memory layout, so each layout is checked against its own reference
        want = {False: train_logits(ref, x), True: train_logits(models[f"{label} channels_last"][0], xcl)}
        diffs = {k: pt.check_equal(f"{name} train-mode {k}", train_logits(m, xi), want[xi is xcl])
                 for k, (m, xi) in models.items()}
        times = pt.time_variants({k: train_step(m, xi, y) for k, (m, xi) in models.items()},
                                 args.rounds_train, warmup=1)
        rows = pt.speedups(times, label)
        pt.print_table(f"{name}, batch 8, {args.rounds_train} rounds", rows, label, diffs)
        s = pt.pair_speedup(times, "archspec", label)
        scl = pt.pair_speedup(times, "archspec channels_last", f"{label} channels_last")
        ok = s >= TARGETS["train_speedup"] and scl >= TARGETS["train_speedup"]
        print(f"    archspec vs {label}: {s:.3f}x; channels_last both sides: {scl:.3f}x; target >= "
              f"{TARGETS['train_speedup']:.1f}x -> {pt.verdict(ok)}")
        out[name] = {"rows": rows, "speedup": s, "speedup_channels_last": scl, "target_met": ok,
                     "max_abs_diff": diffs}
        del models
        gc.collect()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[2],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--networks", default=",".join(pm.NETWORKS),
                    help=f"comma-separated subset of {', '.join(pm.NETWORKS)} (default: all)")
    ap.add_argument("--parts", default="1,2,3,4", help="which parts to run (default 1,2,3,4)")
    ap.add_argument("--rounds-b1", type=int, default=9, help="eval rounds at batch 1 (default 9)")
    ap.add_argument("--rounds-b8", type=int, default=5, help="eval rounds at batch 8 (default 5)")
    ap.add_argument("--rounds-compile", type=int, default=5, help="torch.compile rounds (default 5)")
    ap.add_argument("--rounds-train", type=int, default=5, help="training-step rounds (default 5)")
    ap.add_argument("--quick", action="store_true", help="2 rounds everywhere: a smoke test, not a measurement")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON to FILE")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds_b1 = args.rounds_b8 = args.rounds_compile = args.rounds_train = 2
    names = [n.strip() for n in args.networks.split(",") if n.strip()]
    unknown = [n for n in names if n not in pm.NETWORKS]
    parts = {p.strip() for p in args.parts.split(",")}
    if unknown or not parts <= {"1", "2", "3", "4"}:
        ap.error(f"unknown network(s) {unknown} or part(s) {sorted(parts - {'1', '2', '3', '4'})}")
    try:
        import timm
    except ImportError:
        print("bench_optimize needs timm (the reference venv; see docs/benchmarks.md)")
        return 2
    torch.set_num_threads(args.threads)
    info = machine_info(args.threads, timm.__version__)
    info["archspec_optimize"] = pm.optimizer_fn() is not None
    info["archspec_path"] = str(Path(pm.archspec.__file__).parent)
    print(f"machine: {info['cpu']} | {info['logical_cpus']} logical CPUs | torch {info['torch']} | timm "
          f"{info['timm']} | threads {info['torch_threads']} | loadavg {info['loadavg_start']}")
    print(f"archspec from {info['archspec_path']} | archspec.optimize: "
          f"{'yes' if info['archspec_optimize'] else 'absent in this checkout'} | {time.strftime('%Y-%m-%d %H:%M %Z')}")
    t0 = time.perf_counter()
    nets = {n: pm.make_pair(n, timm) for n in names}
    results = {"machine": info, "targets": TARGETS, "argv": sys.argv[1:]}
    if "1" in parts:
        results["eval"] = part_eval(nets, args)
        results["eval_verdicts"] = eval_verdicts(results["eval"])
    if "2" in parts:
        results["compile"] = part_compile(nets, args)
    if "3" in parts:
        results["gflops"] = part_gflops(nets, args)
    if "4" in parts:
        results["train"] = part_train(nets, args)
    info["loadavg_end"] = list(os.getloadavg())
    info["wall_s"] = time.perf_counter() - t0
    print(f"\nwall {info['wall_s']:.0f} s | loadavg at end {info['loadavg_end']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
