"""Regenerate tests/golden/<spec>.json, <spec>.ir.txt and <spec>.state_dict.txt for every spec in specs/
(never edit those files by hand).

    .venv/bin/python scripts/regen_golden.py      # or: make golden

Review the diff: a change in a golden file is a change in what a shipped spec builds, and a change in
a .state_dict.txt file renames checkpoint keys (say why in the commit).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import archspec  # noqa: E402
from archspec.ir.graph import to_text  # noqa: E402

GOLDEN = ROOT / "tests" / "golden"


def golden_record(spec_path: Path) -> tuple[dict, str]:
    """What the golden file pins for one spec: counts, shapes, per-stage and per-block figures."""
    spec, graph = archspec.compile_spec(spec_path)
    stats = archspec.stats(spec)
    keep = ("name", "input", "output", "outputs", "params", "macs", "macs_train", "flops", "nodes", "stages",
            "blocks")
    record = {k: stats[k] for k in keep}
    return record, to_text(graph)


# Variants whose state_dict has keys the defaults leave out: Inception-v3's auxiliary head.
STATE_DICT_VARIANTS = {"inception_v3_aux": ("inception_v3", {"aux": True})}


def state_dict_keys(spec_path: Path, overrides: dict | None = None) -> str:
    """The built module's state_dict keys, one a line (built on the meta device: no weights)."""
    with torch.device("meta"):
        model = archspec.build_model(spec_path, overrides)
    return "".join(f"{key}\n" for key in model.state_dict())


# The WRN grid of the issue: depth x widening factor for B(3,3), and every block type of the paper.
WRN_DEPTHS, WRN_WIDTHS = (16, 22, 28, 40), (1, 2, 4, 8, 10)
WRN_BLOCK_TYPES = ("B(3,3)", "B(3,1,3)", "B(1,3,1)", "B(1,3)", "B(3,1)", "B(3,1,1)", "B(3)", "B(3,3,3)", "B(3,3,3,3)")
WRN_CONVS_STUDY = ("B(3)", "B(3,3)", "B(3,3,3)", "B(3,3,3,3)")


def wrn_grid() -> list[dict]:
    """Counts of WRN variants, each with the overrides that produce it."""
    cases = [{"depth": d, "k": k} for d in WRN_DEPTHS for k in WRN_WIDTHS]
    cases += [{"depth": 40, "k": 2, "block": b} for b in WRN_BLOCK_TYPES]
    cases += [{"depth": 40, "k": 2, "block": b, "per_block": "convs"} for b in WRN_CONVS_STUDY]
    rows = []
    for overrides in cases:
        stats = archspec.stats(ROOT / "specs" / "wrn.yaml", overrides)
        rows.append({"overrides": overrides, "params": stats["params"], "macs": stats["macs"]})
    return rows


def main() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for spec_path in sorted((ROOT / "specs").glob("*.yaml")):
        record, ir_text = golden_record(spec_path)
        out = GOLDEN / f"{spec_path.stem}.json"
        out.write_text(json.dumps(record, indent=1) + "\n")
        (GOLDEN / f"{spec_path.stem}.ir.txt").write_text(ir_text)
        (GOLDEN / f"{spec_path.stem}.state_dict.txt").write_text(state_dict_keys(spec_path))
        print(f"wrote {out.relative_to(ROOT)}: {record['params']:,} params, {record['macs']:,} MACs")
    for variant, (stem, overrides) in STATE_DICT_VARIANTS.items():
        (GOLDEN / f"{variant}.state_dict.txt").write_text(state_dict_keys(ROOT / "specs" / f"{stem}.yaml", overrides))
    print("wrote tests/golden/*.state_dict.txt: the state_dict keys of every spec")
    grid = wrn_grid()
    (GOLDEN / "wrn_grid.json").write_text(json.dumps(grid, indent=1) + "\n")
    print(f"wrote tests/golden/wrn_grid.json: {len(grid)} WRN variants")


if __name__ == "__main__":
    main()
