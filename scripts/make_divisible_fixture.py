"""Write tests/fixtures/make_divisible.json: inputs and timm.layers.make_divisible's outputs, so that
tests/language/test_make_divisible.py checks archspec's `make_divisible` against timm without timm.

Run in an environment that has timm (see docs/benchmarks.md for how to make one):
    /path/to/refenv/bin/python scripts/make_divisible_fixture.py
"""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Channel counts of EfficientNet / MobileNet / RegNet stages, times width multipliers and SE ratios.
BASES = (3, 8, 16, 24, 32, 40, 48, 64, 72, 80, 96, 112, 120, 144, 160, 192, 240, 320, 384, 480, 576, 672, 960, 1280)
FACTORS = (0.1, 0.25, 0.35, 0.5, 0.75, 1.0, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 3.1)
CALLS = (  # (divisor, min_value, round_limit): timm's defaults and the variants its models use
    (8, None, 0.9), (4, None, 0.9), (16, None, 0.9), (8, 16, 0.9), (8, None, 0.0), (32, None, 0.95), (3, 5, 0.5),
)


def main() -> None:
    from timm.layers import make_divisible
    import timm

    rows = []
    for i, base in enumerate(BASES):
        for j, factor in enumerate(FACTORS):
            divisor, min_value, round_limit = CALLS[(i + j) % len(CALLS)]
            v = base * factor
            rows.append([v, divisor, min_value, round_limit, make_divisible(v, divisor, min_value, round_limit)])
    for v in range(0, 100):  # integers and their neighbourhood of every rounding boundary at divisor 8
        rows.append([v, 8, None, 0.9, make_divisible(v, 8)])
    path = ROOT / "tests" / "fixtures" / "make_divisible.json"
    path.write_text(json.dumps({"made_with": {"timm": timm.__version__},
                                "columns": ["v", "divisor", "min_value", "round_limit", "timm"],
                                "rows": rows}, separators=(",", ":")) + "\n")
    print(f"wrote {path.relative_to(ROOT)}: {len(rows)} rows")


if __name__ == "__main__":
    main()
