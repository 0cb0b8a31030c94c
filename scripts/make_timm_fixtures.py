"""Write tests/fixtures/timm/<arch>.json: timm's state_dict names and shapes, and timm's logits for
synthetic weights and input (archspec.interop.synthetic), so that tests can check
archspec.interop.load_timm_state_dict without timm installed.

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

from archspec.interop.synthetic import synthetic_input, synthetic_state_dict  # noqa: E402

INPUT_SHAPES = {  # arch -> the batch its logits are computed for (the network's default input size)
    "inception_v4": (2, 3, 299, 299),
    "inception_resnet_v2": (2, 3, 299, 299),
    "inception_v3": (2, 3, 299, 299),
    "convnext_tiny": (2, 3, 224, 224),
    "efficientnet_b0": (2, 3, 224, 224),
}


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
        path = out_dir / f"{arch}.json"
        path.write_text(json.dumps(record, separators=(",", ":")) + "\n")
        print(f"wrote {path.relative_to(ROOT)}: {len(shapes)} tensors, logits max |x| "
              f"{logits.abs().max().item():.3f}, {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main(sys.argv[1:])
