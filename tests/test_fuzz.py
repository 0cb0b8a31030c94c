"""Property: every mutant of a shipped spec or library (data level, text level, hostile overrides) is
accepted, or refused with located diagnostics; never another exception, and never slow (tests/fuzzing.py). CI runs a bounded number
of examples; `scripts/fuzz.py --examples 5000` is the long run."""
from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.fuzzing import MAKERS, TARGETS, run, workspace

EXAMPLES = int(os.environ.get("ARCHSPEC_FUZZ_EXAMPLES", "60"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("fuzz"))


@pytest.mark.slow
@pytest.mark.parametrize("level", sorted(MAKERS))
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(target=st.sampled_from(TARGETS), seed=st.integers(0, 2**32 - 1), rounds=st.integers(1, 3))
def test_a_mutant_is_accepted_or_refused_with_locations(folder, level, target, seed, rounds):
    mutant = MAKERS[level](target, random.Random(seed), rounds)
    assert run(mutant, folder) in ("accepted", "refused")
