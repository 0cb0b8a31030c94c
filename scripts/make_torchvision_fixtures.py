"""Write tests/fixtures/torchvision/<name>.json: torchvision's state_dict names and shapes, in order,
and its outputs for synthetic weights and input (archspec.interop.synthetic), so that tests can prove
that an archspec spec computes what torchvision's model computes, without torchvision installed.

Networks: resnet50 (logits) and fpn_resnet50 (torchvision's resnet_fpn_backbone("resnet50") with
BatchNorm2d: every pyramid level, summarised by its sum, its mean absolute value and 64 values at
fixed positions). The test pairs the two state_dicts in order, checking every shape on the way.
resnet50's record also holds all its logits and torchvision's slot trace (archspec.interop.trace), for
the structural import (archspec.import_weights) without torchvision; every run also imports the live
torchvision resnet50 into specs/resnet50.yaml's model by structure and requires equal logits (1e-4).

Run in a separate environment that has torchvision (see docs/benchmarks.md for how to make one):
    /path/to/refenv/bin/python scripts/make_torchvision_fixtures.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import archspec  # noqa: E402
from archspec.interop.synthetic import synthetic_input, synthetic_state_dict  # noqa: E402
from archspec.interop.trace import trace_module  # noqa: E402

INPUT_SHAPE = (2, 3, 224, 224)
SAMPLES = 64


def summary(t: torch.Tensor) -> dict:
    """A few numbers that pin a large tensor down: sum, mean |x| and values at spread-out positions."""
    flat = t.flatten().double()
    step = max(1, flat.numel() // SAMPLES)
    return {"shape": list(t.shape), "sum": float(flat.sum()), "mean_abs": float(flat.abs().mean()),
            "step": step, "values": [round(float(v), 6) for v in flat[::step][:SAMPLES]]}


def models():
    import torchvision
    from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
    yield "resnet50", torchvision.models.resnet50(weights=None)
    yield "fpn_resnet50", resnet_fpn_backbone(backbone_name="resnet50", weights=None,
                                              norm_layer=torch.nn.BatchNorm2d, trainable_layers=5)


def main() -> None:
    try:
        import torchvision
    except ImportError:
        sys.exit("torchvision is not installed in this environment; see the docstring of this script")
    out_dir = ROOT / "tests" / "fixtures" / "torchvision"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, model in models():
        model.eval()
        shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
        model.load_state_dict(synthetic_state_dict(shapes), strict=True)
        with torch.inference_mode():
            out = model(synthetic_input(INPUT_SHAPE))
        outputs = list(out.values()) if isinstance(out, dict) else [out]
        record = {
            "name": name,
            "made_with": {"torchvision": torchvision.__version__, "torch": torch.__version__},
            "recipe": "archspec.interop.synthetic (weights by tensor name, input by shape)",
            "input_shape": list(INPUT_SHAPE),
            "state_dict": [[k, v] for k, v in shapes.items()],
            "outputs": [summary(o) for o in outputs],
        }
        if name == "resnet50":
            record["logits"] = [[round(float(v), 6) for v in row] for row in out.tolist()]
            record["trace"] = trace_module(model, synthetic_input((1, *INPUT_SHAPE[1:]))).to_json()
            ours = archspec.build_model(ROOT / "specs" / "resnet50.yaml", seed=0).eval()
            report = archspec.import_weights(ours, model, strict=True)
            with torch.inference_mode():
                diff = (ours(synthetic_input(INPUT_SHAPE)) - out).abs().max().item()
            assert diff <= 1e-4, f"structural import gives logits {diff} away from torchvision's"
            print(f"resnet50: structural import of {report.counts()['tensors']} tensors, "
                  f"max |logit difference| {diff:.2e}")
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(record, separators=(",", ":")) + "\n")
        print(f"wrote {path.relative_to(ROOT)}: {len(shapes)} tensors, {len(outputs)} outputs, "
              f"{path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
