"""Counting with folded block uses (archspec.expand.memo): exactly the counts of stats(), whatever the
memo saw before, for every shipped spec and for grid points of WRN and Inception-ResNet-v2."""
from __future__ import annotations

import pytest
from hypothesis import given, HealthCheck, settings, strategies as st

import archspec
from archspec.expand.memo import FragmentMemo
from archspec.limits import using
from archspec.pipeline import count_network, load_spec, with_overrides

from ..conftest import ROOT

SPECS = sorted((ROOT / "specs").glob("*.yaml"))
MEMOS: dict = {}  # one memo per spec, shared by every example: later examples fold what earlier ones recorded


def counted(spec, overrides: dict):
    memo = MEMOS.setdefault(spec.file, FragmentMemo())
    with using(None):
        return count_network(with_overrides(spec, overrides), memo)


def expected(path, overrides: dict) -> tuple[int, int, int, tuple]:
    s = archspec.stats(path, overrides)
    return s["params"], s["macs"], s["macs_train"], tuple(s["output"])


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_every_shipped_spec_counts_as_stats_does_with_and_after_the_memo(path):
    spec, memo = load_spec(path), FragmentMemo()
    want = expected(path, {})
    for _ in range(2):  # the second time every block use is folded from the memo
        with using(None):
            got = count_network(spec, memo)
        assert (got.params, got.macs, got.macs_train, got.output) == want
    assert count_network(spec, None).params == want[0]


WRN = ROOT / "specs" / "wrn.yaml"
_wrn = load_spec(WRN)


@st.composite
def wrn_points(draw):
    block = draw(st.sampled_from(["B(3,3)", "B(3,1,3)", "B(1,3,1)", "B(1,3)", "B(3,1)", "B(3,3,3)", "B(3)"]))
    per_block = draw(st.sampled_from(["blocks", "convs"]))
    step = 6 if per_block == "blocks" else 3 * block.count(",") + 3
    depth = 4 + step * draw(st.integers(1, 5))
    return {"depth": depth, "k": draw(st.integers(1, 12)), "block": block, "per_block": per_block,
            "dropout": draw(st.sampled_from([0.0, 0.3])), "classes": draw(st.sampled_from([10, 100])),
            "size": draw(st.sampled_from([16, 32, 40]))}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wrn_points())
def test_wrn_grid_points_count_as_stats_does(point):
    got = counted(_wrn, point)
    assert (got.params, got.macs, got.macs_train, got.output) == expected(WRN, point)


IRV2 = ROOT / "specs" / "inception_resnet_v2.yaml"
_irv2 = load_spec(IRV2)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({"blocks_35": st.integers(1, 12), "blocks_17": st.integers(1, 22),
                              "blocks_8": st.integers(1, 10), "classes": st.sampled_from([10, 1000]),
                              "size": st.sampled_from([139, 235, 299])}))
def test_inception_resnet_v2_grid_points_count_as_stats_does(point):
    got = counted(_irv2, point)
    assert (got.params, got.macs, got.macs_train, got.output) == expected(IRV2, point)


def test_the_memo_folds_repeats_and_earlier_variants():
    memo = FragmentMemo()
    with using(None):
        count_network(with_overrides(_wrn, {"depth": 28, "k": 10}), memo)
    recorded = len(memo)
    assert 0 < recorded <= 12  # a handful of distinct block uses: each stage, and its first and later blocks
    with using(None):
        count_network(with_overrides(_wrn, {"depth": 28, "k": 10, "classes": 100}), memo)
    assert len(memo) == recorded  # only the classifier changed: every stage is folded


def test_the_memo_is_bounded_and_dropped_for_another_spec():
    memo = FragmentMemo(size=3)
    with using(None):
        for k in (1, 2, 3, 4):
            count_network(with_overrides(_wrn, {"k": k}), memo)
    assert len(memo) == 3
    with using(None):
        count_network(_irv2, memo)
    assert len(memo) <= 3  # another spec's blocks: what was there was dropped first


def test_a_fold_past_the_ops_limit_is_refused_as_expanding_refuses_it():
    memo, small, large = FragmentMemo(), {"depth": 16, "k": 1}, {"depth": 40, "k": 1}
    with using({"ops": 120}):
        assert count_network(with_overrides(_wrn, small), memo).params == archspec.stats(WRN, small)["params"]
    with pytest.raises(archspec.SpecError) as full:
        archspec.stats(WRN, large, limits={"ops": 120})
    with pytest.raises(archspec.SpecError) as folded:
        with using({"ops": 120}):  # the same limits: the memo keeps what the small variant recorded
            count_network(with_overrides(_wrn, large), memo)
    assert memo.hits > 0
    assert "more than 120 ops (limit ops)" in str(full.value) and "more than 120 ops (limit ops)" in str(folded.value)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(target=st.sampled_from([p.name for p in SPECS]), seed=st.integers(0, 2**32 - 1),
       kind=st.sampled_from(["data", "overrides"]))
def test_mutants_count_as_lower_does_or_are_refused_by_both(tmp_path_factory, target, seed, kind):
    """Shipped specs changed once (tests/fuzzing.py): counting with the memo, the second time with every
    block use seen before, agrees with lower(), or both refuse the mutant."""
    import random
    from archspec.analysis.report import totals
    from archspec.pipeline import lower
    from tests.fuzzing import MAKERS, workspace

    folder = workspace(tmp_path_factory.mktemp("mutants"))
    mutant = MAKERS[kind](target, random.Random(seed), 1)
    path = folder / f"mutant_{target}"
    path.write_bytes(mutant.text)
    try:
        spec = load_spec(path, mutant.overrides)
    except archspec.SpecError:
        return
    try:
        graph = lower(spec)
        want = (*totals(graph), totals(graph, train=True)[1])
    except archspec.SpecError:
        want = None
    memo = FragmentMemo()
    for _ in range(2):
        try:
            with using(None):
                got = count_network(spec, memo)
            got = (got.params, got.macs, got.macs_train)
        except archspec.SpecError:
            got = None
        assert got == want
