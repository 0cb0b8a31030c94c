"""Sweeps: the Pareto front, budgets, grids, refused variants, the CSV/JSON/plot files, and workers."""
from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given, settings, strategies as st

import archspec
from archspec.errors import OverrideError
from archspec.sweeps import parse_amount, read_grid, SweepResult, SweepRow
from archspec.sweeps.grid import split_values
from archspec.sweeps.pareto import pareto_flags
from archspec.sweeps.run import PARALLEL_FROM

from ..conftest import ROOT

WRN = str(ROOT / "specs" / "wrn.yaml")


# ---------------------------------------------------------------- the Pareto front

def test_pareto_front_of_hand_made_points():
    points = [(1, 10), (2, 5), (3, 1), (2, 6), (3, 3), (4, 1), (5, 20)]
    assert pareto_flags(points) == [True, True, True, False, False, False, False]


def test_equal_points_are_on_the_front_together_and_a_tie_on_one_count_is_decided_by_the_other():
    assert pareto_flags([(2, 2), (2, 2), (1, 3)]) == [True, True, True]
    assert pareto_flags([(2, 2), (2, 3), (3, 2)]) == [True, False, False]
    assert pareto_flags([]) == []


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=25))
def test_pareto_front_is_the_points_no_other_point_dominates(points):
    def dominated(p):
        return any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in points)
    assert pareto_flags(points) == [not dominated(p) for p in points]


# ---------------------------------------------------------------- budgets and grids

@pytest.mark.parametrize("text, value", [("10M", 10_000_000), ("2G", 2_000_000_000), ("1.5e9", 1_500_000_000),
                                         ("500k", 500_000), ("36479194", 36_479_194), (" 2.5 g ", 2_500_000_000),
                                         ("1T", 10**12), (1e6, 1_000_000), (7, 7)])
def test_budgets_accept_suffixes_and_exponents(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["10X", "-5", "", "M", "nan", "1e999", "10 MB", True])
def test_budgets_refuse_what_is_not_a_count(text):
    with pytest.raises(ValueError, match="must be"):
        parse_amount(text, "--max-params")


def test_grid_values_split_on_commas_outside_brackets_and_quotes():
    assert split_values("16, 22,28") == ["16", "22", "28"]
    assert split_values("B(3,3),B(1,3,1)") == ["B(3,3)", "B(1,3,1)"]
    assert split_values("'a,b',c") == ["'a,b'", "c"]


def test_grid_values_are_read_as_yaml_scalars_like_set_values():
    grid = read_grid(["depth=16,22", "dropout=0,0.3", "block=B(3,3),B(1,3,1)", "per_block=convs"])
    assert grid == {"depth": [16, 22], "dropout": [0, 0.3], "block": ["B(3,3)", "B(1,3,1)"],
                    "per_block": ["convs"]}


@pytest.mark.parametrize("option, says", [("depth", "expected NAME=V1,V2"), ("depth=16,,22", "an empty value"),
                                          ("k=1,.nan", "is not a number (NaN) (from --grid k=...)")])
def test_a_grid_that_cannot_be_read_names_the_grid(option, says):
    with pytest.raises(OverrideError) as caught:
        read_grid([option])
    assert says in str(caught.value)


def test_a_parameter_given_twice_is_refused():
    with pytest.raises(OverrideError, match="given twice"):
        read_grid(["k=1", "k=2"])


@pytest.mark.parametrize("grid, says", [
    ({"dept": [16]}, "unknown parameter 'dept'"),
    ({"k": ["abc"]}, "parameter 'k' must be int, got 'abc'"),
    ({"per_block": ["some"]}, "must be one of"),
    ({"block": ["C(3,3)"]}, "C"),
    ({"k": []}, "needs a non-empty list"),
    ({}, "a sweep needs a grid"),
])
def test_unknown_parameters_and_wrong_values_are_the_callers_mistake(grid, says):
    with pytest.raises(OverrideError) as caught:
        archspec.sweep(WRN, grid)
    assert says in str(caught.value)


def test_a_parameter_both_swept_and_fixed_is_refused_and_the_mistake_names_the_grid_option():
    with pytest.raises(OverrideError, match="both swept and fixed"):
        archspec.sweep(WRN, {"k": [1, 2]}, {"k": 4})
    with pytest.raises(OverrideError) as caught:
        archspec.sweep(WRN, read_grid(["dept=16"]))
    assert "from --grid dept=..." in str(caught.value) and "did you mean 'depth'" in str(caught.value)


# ---------------------------------------------------------------- results

@pytest.fixture(scope="module")
def small():
    return archspec.sweep(WRN, {"depth": [16, 28, 41], "k": [1, 4, 10]}, {"classes": 100}, max_params="10M",
                          max_macs="2G", jobs=1)


def test_rows_carry_the_counts_of_stats_and_refused_variants_their_located_reason(small):
    assert [r.values for r in small.rows[:2]] == [{"depth": 16, "k": 1}, {"depth": 16, "k": 4}]
    for row in small.rows:
        if row.values["depth"] == 41:
            assert row.params is None and not row.within_budget and not row.pareto
            assert row.error.startswith(f"{WRN}:") and "depth 41 does not fit B(3, 3)" in row.error
            assert "\n" not in row.error
        else:
            expected = archspec.stats(WRN, {**row.values, "classes": 100})
            assert (row.params, row.macs, row.error) == (expected["params"], expected["macs"], None)


def test_a_variant_stats_refuses_is_refused_with_the_same_first_message(small):
    with pytest.raises(archspec.SpecError) as caught:
        archspec.stats(WRN, {"depth": 41, "k": 1})
    row = next(r for r in small.rows if r.values == {"depth": 41, "k": 1})
    assert row.error == str(caught.value.diagnostics[0]).split("\n")[0]


def test_budgets_mark_variants_and_the_front_is_taken_within_them(small):
    over = {(r.values["depth"], r.values["k"]): r.over for r in small.rows if r.counted and not r.within_budget}
    assert over == {(16, 10): ("params", "MACs"), (28, 10): ("params", "MACs")}
    assert all(r.within_budget == (r.counted and not r.over) for r in small.rows)
    assert [r.values for r in small.pareto()] == [{"depth": 16, "k": 1}]  # WRN grows in both counts at once
    assert small.summary() == {"variants": 9, "counted": 6, "refused": 3, "within_budget": 4, "pareto": 1}


def test_sorted_by_macs_then_params_with_refused_variants_last(small):
    order = small.sorted()
    counted = [r for r in order if r.counted]
    assert [(r.macs, r.params) for r in counted] == sorted((r.macs, r.params) for r in counted)
    assert all(not r.counted for r in order[len(counted):])


def test_csv_has_one_line_per_variant_in_the_tables_order(small, tmp_path):
    path = tmp_path / "s.csv"
    text = small.to_csv(path)
    assert path.read_text() == text
    lines = list(csv.DictReader(io.StringIO(text)))
    assert list(lines[0]) == ["depth", "k", "params", "macs", "flops", "pareto", "within_budget", "over", "error"]
    assert len(lines) == 9
    for line, row in zip(lines, small.sorted()):
        assert (int(line["depth"]), int(line["k"])) == (row.values["depth"], row.values["k"])
        if row.counted:
            assert (int(line["params"]), int(line["macs"]), int(line["flops"])) == (row.params, row.macs, 2 * row.macs)
            assert line["pareto"] == str(int(row.pareto)) and line["over"] == ";".join(row.over)
        else:
            assert line["params"] == "" and line["error"] == row.error


def test_json_holds_the_grid_budgets_and_every_row(small, tmp_path):
    data = json.loads(small.to_json(tmp_path / "s.json"))
    assert json.loads((tmp_path / "s.json").read_text()) == data
    assert data["spec"] == "wrn" and data["grid"] == {"depth": [16, 28, 41], "k": [1, 4, 10]}
    assert data["fixed"] == {"classes": 100} and data["budget"] == {"max_params": 10**7, "max_macs": 2 * 10**9}
    assert (data["variants"], data["counted"], data["refused"]) == (9, 6, 3)
    assert [r["values"] for r in data["rows"]] == [r.values for r in small.sorted()]
    first = data["rows"][0]
    assert first["params"] == small.sorted()[0].params and first["pareto"] is True and first["error"] is None


def test_block_values_are_written_as_their_text(tmp_path):
    result = archspec.sweep(WRN, {"block": ["B(3,3)", "B(1,3,1)"]}, {"depth": 10, "k": 1}, jobs=1)
    assert [r.values["block"] for r in result.rows] == ["B(3,3)", "B(1,3,1)"]
    assert json.loads(result.to_json())["grid"] == {"block": ["B(3,3)", "B(1,3,1)"]}
    assert all(r.counted for r in result.rows)


def test_a_pareto_front_with_several_variants():
    rows = [SweepRow(i, {"i": i}, p, m) for i, (p, m) in enumerate([(5, 1), (1, 5), (3, 3), (4, 4), (6, 6)])]
    result = SweepResult("s", "s.yaml", {"i": list(range(5))}, rows, max_params=5)
    assert [r.values["i"] for r in result.pareto()] == [0, 2, 1]
    assert not rows[4].within_budget and rows[4].over == ("params",) and not rows[4].pareto


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<svg")])
def test_plot_is_written_as_png_or_svg(small, tmp_path, suffix, magic):
    pytest.importorskip("matplotlib")
    path = small.plot(tmp_path / f"sweep{suffix}")
    data = path.read_bytes()
    assert len(data) > 1000 and magic in data[:2000]


def test_plot_refuses_other_formats(small, tmp_path):
    with pytest.raises(ValueError, match=".png or .svg"):
        small.plot(tmp_path / "sweep.pdf")


# ---------------------------------------------------------------- workers

def test_workers_give_the_rows_one_process_gives():
    grid = {"depth": [10, 16, 22, 28, 29, 40], "k": [1, 2, 3, 4, 6, 8], "dropout": [0.0, 0.3]}
    assert 6 * 6 * 2 >= PARALLEL_FROM  # so that jobs=2 runs in worker processes
    seen = []
    one = archspec.sweep(WRN, grid, jobs=1)
    two = archspec.sweep(WRN, grid, jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert [(r.values, r.params, r.macs, r.error) for r in one.rows] == \
           [(r.values, r.params, r.macs, r.error) for r in two.rows]
    assert seen[-1] == (72, 72) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_jobs_must_be_a_positive_whole_number():
    with pytest.raises(ValueError, match="jobs"):
        archspec.sweep(WRN, {"k": [1]}, jobs=0)


@settings(max_examples=5, deadline=None)
@given(st.sampled_from(["10M", "1e6", 2.5e6]))
def test_budget_written_either_way_gives_the_same_marks(budget):
    result = archspec.sweep(WRN, {"k": [1, 2, 4]}, {"depth": 10}, max_params=budget, jobs=1)
    assert result.max_params == parse_amount(budget)
    assert [r.within_budget for r in result.rows] == [r.params <= result.max_params for r in result.rows]


def test_ctrl_c_stops_the_workers_and_is_raised():
    import multiprocessing

    def interrupt(done, total):
        raise KeyboardInterrupt

    grid = {"depth": [10, 16, 22, 28, 34, 40, 46, 52], "k": list(range(1, 11))}
    with pytest.raises(KeyboardInterrupt):
        archspec.sweep(WRN, grid, jobs=2, progress=interrupt)
    assert multiprocessing.active_children() == []


def test_a_value_given_twice_in_another_spelling_is_counted_once():
    """Duplicates are found once values are read as the parameter's type: 10 and 10.0 for an int, B(3,3)
    and B(3, 3) for a block (which keeps its first spelling)."""
    result = archspec.sweep(WRN, {"depth": [10, 10.0, 16], "block": ["B(3,3)", "B(3, 3)", "B(1,3,1)"]},
                            {"size": 8}, jobs=1)
    assert sorted((row.values["depth"], row.values["block"]) for row in result.rows) == [
        (10, "B(1,3,1)"), (10, "B(3,3)"), (16, "B(1,3,1)"), (16, "B(3,3)")]
    assert all(type(row.values["depth"]) is int for row in result.rows)
