"""Write tests/fixtures/timm/<arch>.json: timm's state_dict names and shapes, and timm's logits for
synthetic weights and input (archspec.interop.synthetic), so that tests can check
archspec.interop.load_timm_state_dict without timm installed. For the networks in TRACED the record
also holds timm's slot trace (archspec.interop.trace), so that tests can run archspec.import_weights
(the structural import) without timm.

Every run also proves the structural import live: each network's timm model is imported into the
archspec model of specs/<arch>.yaml with archspec.import_weights (strict, by structure), and the
logits of both must agree within 1e-4 (the script fails otherwise).

Run in a separate environment that has timm (see docs/benchmarks.md for how to make one):
    /path/to/refenv/bin/python scripts/make_timm_fixtures.py [ARCH ...]    (default: every arch)
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

INPUT_SHAPES = {  # arch -> the batch its logits are computed for (the network's default input size)
    "inception_v4": (2, 3, 299, 299),
    "inception_resnet_v2": (2, 3, 299, 299),
    "inception_v3": (2, 3, 299, 299),
    "convnext_tiny": (2, 3, 224, 224),
    "efficientnet_b0": (2, 3, 224, 224),
    "resnet50": (2, 3, 224, 224),
}
TRACED = ("resnet50",)  # fixtures that carry timm's slot trace (tests/interop/test_structural_zoo.py)


def check_structural_import(arch: str, model, x: torch.Tensor, logits: torch.Tensor) -> str:
    """Import timm's model into the archspec model by structure; the logits must be equal."""
    ours = archspec.build_model(ROOT / "specs" / f"{arch}.yaml", seed=0).eval()
    report = archspec.import_weights(ours, model, strict=True)
    with torch.inference_mode():
        diff = (ours(x) - logits).abs().max().item()
    assert diff <= 1e-4, f"{arch}: structural import gives logits {diff} away from timm's"
    return f"structural import: {report.counts()['tensors']} tensors, {len(report.ambiguous)} ambiguous, " \
           f"max |logit difference| {diff:.2e}"


def main(archs: list[str]) -> None:
    try:
        import timm
    except ImportError:
        sys.exit("timm is not installed in this environment; see the docstring of this script")
    out_dir = ROOT / "tests" / "fixtures" / "timm"
    out_dir.mkdir(parents=True, exist_ok=True)
    for arch in archs or INPUT_SHAPES:
        shape = INPUT_SHAPES[arch]
        model = timm.create_model(arch, pretrained=False).eval()
        shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
        model.load_state_dict(synthetic_state_dict(shapes), strict=True)
        with torch.inference_mode():
            logits = model(synthetic_input(shape))
        record = {
            "arch": arch,
            "made_with": {"timm": timm.__version__, "torch": torch.__version__},
            "recipe": "archspec.interop.synthetic (weights by tensor name, input by shape)",
            "input_shape": list(shape),
            "state_dict": [[k, v] for k, v in shapes.items()],
            "logits": [[round(float(v), 6) for v in row] for row in logits.tolist()],
        }
        if arch in TRACED:
            record["trace"] = trace_module(model, synthetic_input((1, *shape[1:]))).to_json()
        path = out_dir / f"{arch}.json"
        path.write_text(json.dumps(record, separators=(",", ":")) + "\n")
        print(f"wrote {path.relative_to(ROOT)}: {len(shapes)} tensors, logits max |x| "
              f"{logits.abs().max().item():.3f}, {path.stat().st_size // 1024} KiB; "
              f"{check_structural_import(arch, model, synthetic_input(shape), logits)}")


if __name__ == "__main__":
    main(sys.argv[1:])
