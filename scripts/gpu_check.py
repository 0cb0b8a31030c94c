"""Every shipped spec on a CUDA device: a training step (forward, backward, SGD) whose loss and gradients
are finite, eval outputs equal to the CPU model's (same weights, TF32 off), a bf16 autocast forward, and
torch.compile of each model giving the eager outputs. Prints one line per spec and writes a JSON report.

    PYTHONPATH=. python3 scripts/gpu_check.py [--out report.json] [--compile]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import archspec  # noqa: E402

SMALL = {"unet": {"size": 128}}  # the U-Net at 128x128; every other spec at its default size


def outputs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def check(path: Path, compile_too: bool) -> dict:
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    overrides = SMALL.get(path.stem)
    model = archspec.build_model(path, overrides, seed=0)
    shape = model.input_shape
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(0))
    record: dict = {"spec": path.stem, "params": sum(p.numel() for p in model.parameters())}
    cpu = [o.detach() for o in outputs(model.eval()(x))]
    gpu_model = model.cuda()
    with torch.no_grad():
        gpu = [o.float().cpu() for o in outputs(gpu_model.eval()(x.cuda()))]
    record["eval_max_abs_diff_vs_cpu"] = max(float((a - b).abs().max()) for a, b in zip(cpu, gpu))
    record["eval_max_abs_output"] = max(float(a.abs().max()) for a in cpu)
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        bf16 = [o.float().cpu() for o in outputs(gpu_model(x.cuda()))]
    record["bf16_finite"] = all(bool(torch.isfinite(o).all()) for o in bf16)
    gpu_model.train()
    opt = torch.optim.SGD(gpu_model.parameters(), lr=0.01, momentum=0.9)
    torch.cuda.synchronize()
    start = time.perf_counter()
    y = outputs(gpu_model(x.cuda()))
    loss = sum(o.float().square().mean() for o in y)
    loss.backward()
    opt.step()
    torch.cuda.synchronize()
    record["train_step_s"] = round(time.perf_counter() - start, 3)
    grads = [p.grad for p in gpu_model.parameters() if p.requires_grad]
    record["loss_finite"] = bool(torch.isfinite(loss))
    record["grads_finite"] = all(g is not None and bool(torch.isfinite(g).all()) for g in grads)
    record["params_without_grad"] = sum(g is None for g in grads)
    if compile_too:
        gpu_model.eval()
        compiled = torch.compile(gpu_model)
        with torch.no_grad():
            eager = [o.cpu() for o in outputs(gpu_model(x.cuda()))]
            got = [o.cpu() for o in outputs(compiled(x.cuda()))]
        record["compile_max_abs_diff"] = max(float((a - b).abs().max()) for a, b in zip(eager, got))
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compile", action="store_true", help="also compare torch.compile with eager")
    parser.add_argument("specs", nargs="*", help="spec names (default: every shipped spec)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("no CUDA device")
    names = args.specs or sorted(p.stem for p in (ROOT / "specs").glob("*.yaml"))
    report = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "results": []}
    for name in names:
        try:
            record = check(ROOT / "specs" / f"{name}.yaml", args.compile)
        except Exception as exc:  # report and go on: one failure must not hide the others
            record = {"spec": name, "error": f"{type(exc).__name__}: {exc}"[:500]}
        report["results"].append(record)
        print(json.dumps(record), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
