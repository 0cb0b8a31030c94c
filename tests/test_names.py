"""Names: the state_dict keys of every shipped spec are pinned by golden files (so that a rename is
always deliberate: scripts/regen_golden.py rewrites them)."""
from __future__ import annotations

import importlib.util

import pytest

from .conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
_spec = importlib.util.spec_from_file_location("regen_golden", ROOT / "scripts" / "regen_golden.py")
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)


def test_state_dict_keys_match_golden_file(spec_path):
    assert regen.state_dict_keys(spec_path) == (GOLDEN / f"{spec_path.stem}.state_dict.txt").read_text()


@pytest.mark.parametrize("variant", sorted(regen.STATE_DICT_VARIANTS))
def test_state_dict_keys_of_variants_match_golden_file(variant):
    stem, overrides = regen.STATE_DICT_VARIANTS[variant]
    expected = (GOLDEN / f"{variant}.state_dict.txt").read_text()
    assert regen.state_dict_keys(ROOT / "specs" / f"{stem}.yaml", overrides) == expected
