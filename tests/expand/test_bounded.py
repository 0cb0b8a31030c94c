"""Bounded: a file of a few KB is accepted or refused in about a second and a few tens of MB.

One adversarial spec per way a small file used to take minutes or gigabytes; each is now refused with a
located error (file:line:col) naming what stopped it, within generous bounds of time and memory measured
here (time without tracing, memory with tracemalloc in a second run: a few seconds per case, so they are
marked slow). Then: every limit of archspec.Limits is effective when lowered.
"""
from __future__ import annotations

import re
import time
import tracemalloc
from pathlib import Path
from typing import Callable

import pytest
from typer.testing import CliRunner

import archspec
from archspec import limits
from archspec.cli.app import app
from archspec.errors import SpecError
from archspec.pipeline import compile_spec, load_spec

SECONDS = 5.0  # generous: each case takes about a second or less, and under 50 MB, on a busy 2-core machine
MEGABYTES = 200
slow = pytest.mark.slow  # each case runs twice, once under tracemalloc (which slows it several times)


def bounded(action: Callable[[], object], refused: bool = True) -> SpecError | None:
    """Run action (which must raise SpecError, unless not refused) untraced for its time, then traced for
    its peak memory; the SpecError."""
    def run() -> SpecError | None:
        if not refused:
            action()
            return None
        with pytest.raises(SpecError) as caught:
            action()
        return caught.value

    start = time.perf_counter()
    error = run()
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    try:
        run()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
    assert peak < MEGABYTES, f"peak {peak:.0f} MB"
    return error


def located(error: SpecError, path: Path, line: int | None = None) -> str:
    """The first diagnostic's text, checked to start with path:line:col."""
    text = str(error.diagnostics[0])
    match = re.match(rf"{re.escape(str(path))}:(\d+):\d+: ", text)
    assert match, text
    if line is not None:
        assert int(match.group(1)) == line, text
    return text


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


def test_auto_shortcut_between_huge_sizes_is_computed_not_searched(write):
    # the 1x1 projection's stride was searched over 1..H: 65,536,000,000 tries here
    path = write("name: b\ninput: [1, 65536, 65536]\nnetwork:\n  - upsample: 1000000\n"
                 "  - residual:\n      body:\n        - upsample: 2\n")
    error = bounded(lambda: compile_spec(path))
    assert "cannot map 65536000000x65536000000 to 131072000000x131072000000" in located(error, path, 6)


@slow
@pytest.mark.parametrize("item", ["{relu, when: false, repeat: 10000}",
                                  "{aux: {enabled: false, body: [relu]}, repeat: 10000}"])
def test_items_that_emit_no_op_count_as_work(write, item):
    # 10^4 x 10^4 x 10^4 items, none of which makes an op: the op limit never saw them
    path = write(f"name: b\ninput: [3, 8, 8]\nblocks:\n  a:\n    body:\n      - {item}\n"
                 "  b:\n    body:\n      - {a, repeat: 10000}\n"
                 "network:\n  - conv: 3x3 8\n  - {b, repeat: 10000}\n")
    error = bounded(lambda: compile_spec(path))
    text = located(error, path)
    assert "(limit work)" in text and "in block 'b' used at" in text


@slow
def test_functions_over_long_lists_count_their_length(write):
    when = " + ".join(["max(range(10000))"] * 4) + " < 0"
    path = write(f"name: b\ninput: [3, 8, 8]\nblocks:\n  a:\n    body:\n      - {{relu: {{}}, when: '{when}'}}\n"
                 "network:\n  - conv: 3x3 8\n  - a x10000\n")
    error = bounded(lambda: compile_spec(path))
    assert "(limit work)" in located(error, path)


def loop_of(item: str) -> str:
    """The spec of the review: a loop of 9,999 iterations over 9 copies of item (about 2 KB)."""
    return ("name: w\ninput: [3, 8, 8]\nparams: {n: 9999}\nnetwork:\n  - for:\n      each: i\n      in: n\n"
            "      do:\n" + f"        - {item}\n" * 9 + "  - global_avgpool\n")


def product(factor: str, count: int = 97) -> str:
    return "*".join([factor] * count)


@slow
def test_long_expressions_count_their_size(write):
    # each expression was one step whatever its size: 2.2 KB evaluated 17.5 million nodes in 19 s, and passed
    path = write(loop_of(f'{{identity: {{}}, when: "{product("1")} < 0"}}'))
    assert len(path.read_bytes()) < 2300
    error = bounded(lambda: compile_spec(path))
    text = located(error, path)
    assert len(error.diagnostics) == 1 and "(limit work)" in text and "network[0].for.do[" in text


@slow
@pytest.mark.parametrize("item, says", [
    # out of range from i = 2 on: 8 s and 79,976 errors
    (f'{{identity: {{}}, when: "{product("i")} < 0"}}', "limit number"),
    # out of range at the last operation, whose message writes the whole expression out: 92 s, 89,973 errors
    (f'{{identity: {{}}, when: "{product("1", 88)}*i*1000000000000000 < 0"}}', "limit number"),
    # not a whole number: the hint writes the expression out twice, with // for / (135 s)
    (f'{{conv: {{kernel: 1, out: "{product("1", 90)}/3 + i*0"}}}}', "expected a whole number"),
])
def test_long_expressions_that_fail_in_a_loop_count_their_size(write, item, says):
    path = write(loop_of(item))
    error = bounded(lambda: compile_spec(path))
    assert says in located(error, path, 9)
    stop = [str(d) for d in error.diagnostics if "(limit work)" in str(d)]
    assert len(stop) == 1 and re.match(rf"{re.escape(str(path))}:(9|1[0-7]):\d+: network\[0\]\.for\.do\[", stop[0])
    assert error.count < 10_000


def test_an_expression_costs_work_by_its_size(write):
    # the same item, with a condition of 3 nodes and of 195: only the long one exceeds 30 steps
    for factors, refused in ((1, False), (97, True)):
        path = write("name: b\ninput: [3, 8, 8]\nnetwork:\n  - {identity: {}, when: '" + "*".join(["1"] * factors)
                     + " < 0'}\n  - global_avgpool\n")
        if not refused:
            compile_spec(path, limits={"work": 30})
            continue
        with pytest.raises(SpecError) as caught:
            compile_spec(path, limits={"work": 30})
        assert "(limit work)" in located(caught.value, path, 4)


@slow
def test_nested_for_loops_count_their_iterations(write):
    loop = "for: {{each: {v}, in: l, do: [{body}]}}"
    body = loop.format(v="a", body=loop.format(v="b", body=loop.format(v="c", body="{relu, when: false}")))
    path = write(f"name: b\ninput: [3, 8, 8]\nlet: {{l: 'range(100)'}}\nnetwork:\n  - conv: 3x3 8\n  - {body}\n")
    error = bounded(lambda: compile_spec(path))
    assert "(limit work)" in located(error, path, 6)


@slow
def test_thousands_of_mistakes_are_reported_in_bounded_time_and_output(write):
    path = write("name: b\ninput: [3, 8, 8]\nnetwork:\n" + "  - relux\n" * 20_000)
    error = bounded(lambda: load_spec(path))
    assert len(error.diagnostics) == 100 and error.more == 19_900 and error.count == 20_000
    assert "unknown op or block 'relux' (did you mean 'relu'?)" in located(error, path, 4)
    start = time.perf_counter()
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert time.perf_counter() - start < SECONDS
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "... and 19,900 more (only the first 100 are listed, limit errors" in result.output
    assert result.output.rstrip().endswith("20000 errors") and len(result.output) < 50_000


@slow
def test_did_you_mean_against_thousands_of_blocks_is_bounded(write):
    blocks = "".join(f"  blk_{i:05d}: {{body: [relu]}}\n" for i in range(3000))
    uses = "".join(f"  - blck_{i:05d}x\n" for i in range(3000))
    path = write(f"name: b\ninput: [3, 8, 8]\nblocks:\n{blocks}network:\n{uses}")
    error = bounded(lambda: load_spec(path))
    assert "did you mean 'blk_00000'?" in located(error, path, 3005)  # the first ones still get a hint
    assert error.count == 3000 and "did you mean" not in str(error.diagnostics[-1])


@slow
def test_a_long_list_in_scope_is_not_copied_into_every_memo_key(write):
    # the validation memo's key was repr(sorted(scope.items())): 100 KB per loop iteration, kept
    ones = ", ".join(["1"] * 20_000)
    path = write(f"name: b\ninput: [3, 8, 8]\nparams:\n  l: {{type: list, default: [{ones}]}}\nnetwork:\n"
                 "  - conv: 3x3 8\n  - for: {each: v, in: 'range(2000)', do: [{conv: '1x1 8'}]}\n"
                 "  - {conv: 1x1 7, groups: 2}\n")
    error = bounded(lambda: compile_spec(path))
    assert "groups" in located(error, path, 8)


@slow
def test_a_long_list_bound_at_every_block_use_counts_its_size(write):
    # each use validated the 20,000-element default into a new list and kept it: 39 s and 1.6 GB
    ones = ", ".join(["1"] * 20_000)
    path = write(f"name: b\ninput: [3, 8, 8]\nblocks:\n  a:\n    params: {{l: {{type: list, default: [{ones}]}}}}\n"
                 "    body: [{relu, when: false}]\nnetwork:\n  - conv: 3x3 8\n  - {a, repeat: 10000}\n")
    error = bounded(lambda: compile_spec(path))
    assert "(limit work)" in located(error, path, 9)


@slow
def test_thousands_of_empty_block_uses_make_a_scope_tree_in_linear_time(write):
    # 10,000 uses of a block whose items are all skipped, each placed in the scope tree by a scan: 7 s
    blocks = "".join(f"  b{i}: {{body: [relu]}}\n" for i in range(5000))
    path = write(f"name: b\ninput: [3, 8, 8]\nblocks:\n{blocks}  a: {{body: [{{relu, when: false}}]}}\n"
                 "network:\n  - conv: 3x3 8\n  - {a, repeat: 10000}\n")
    bounded(lambda: archspec.stats(path), refused=False)


@slow
def test_a_long_features_list_is_checked_against_a_big_graph_in_linear_time(write):
    # each name computed the strides of the whole graph again: 20,000 names x 19,000 nodes (> 2 minutes)
    names = ", ".join(f"f{i}" for i in range(20_000))
    path = write(f"name: b\ninput: [3, 8, 8]\nnetwork:\n  - {{seq: [relu x100], repeat: 190}}\nfeatures: [{names}]\n")
    error = bounded(lambda: compile_spec(path))
    assert "no node or block use is named 'f0'" in located(error, path, 5) and error.count == 20_000


@slow
def test_long_inputs_and_outputs_lists_are_checked_in_linear_time(write):
    ins, outs = (", ".join(f"{p}{i}" for i in range(15_000)) for p in "io")
    path = write(f"name: b\ninput: [3, 8, 8]\nblocks:\n  a: {{inputs: [{ins}], outputs: [{outs}], body: [relu]}}\n"
                 "network: [relu]\n")
    error = bounded(lambda: load_spec(path))
    assert "unknown id 'o0'" in located(error, path, 4) and error.count == 15_000


@slow
def test_op_limit_trips_early_on_a_tiny_file(write):
    path = write("name: x\ninput: [3, 8, 8]\nnetwork:\n  - conv: 3x3 8\n  - {seq: [relu x100], repeat: 10000}\n")
    assert len(path.read_bytes()) < 120
    error = bounded(lambda: compile_spec(path))
    assert "more than 20,000 ops (limit ops)" in located(error, path, 5)


@slow
def test_every_tensor_a_from_list_reads_counts(write):
    # `x*` reads every binding so far: 3,000 reads per item, 3,000 times (9 million edges)
    path = write("name: b\ninput: [3, 8, 8]\nnetwork:\n  - {conv: 1x1 8, id: x, repeat: 3000}\n"
                 "  - for: {each: j, in: 3000, do: [{concat, from: [x*], id: y}]}\n")
    error = bounded(lambda: compile_spec(path))
    assert "(limit work)" in located(error, path, 5)


def test_split_into_a_billion_parts_is_refused_before_it_is_made(write):
    path = write("name: b\ninput: [3, 8, 8]\nnetwork:\n  - conv: 1x1 1000000000\n  - {split: 1000000000, id: s}\n"
                 "outputs: [s.0]\n")
    error = bounded(lambda: compile_spec(path))
    assert "(limit work)" in located(error, path, 5)


@slow
def test_many_aux_outputs_find_dead_ends_in_linear_time(write):
    # each aux output used to walk back over the whole graph
    path = write("name: b\ninput: [3, 8, 8]\nnetwork:\n  - {relu, repeat: 6000}\n"
                 "  - {aux: {body: [relu]}, repeat: 6000}\n  - {relu, id: unread}\n  - {relu, from: input}\n")
    error = bounded(lambda: compile_spec(path))
    assert "reaches none of the network's outputs" in located(error, path, 6)


@slow
def test_a_long_chain_of_blocks_is_checked_without_recursion(write):
    # the cycle check recursed once per block: Python's stack ran out (a crash, exit 70)
    chain = "".join(f"  b{i}: {{body: [b{i + 1}]}}\n" for i in range(3000))
    path = write(f"name: b\ninput: [3, 8, 8]\nblocks:\n{chain}  b3000: {{body: [b0]}}\nnetwork: [relu]\n")
    error = bounded(lambda: load_spec(path))
    text = located(error, path)
    assert "block 'b0' uses itself (b0 -> b1 -> ... (2,992 more) -> " in text and len(text) < 500


@slow
def test_many_items_sharing_an_id_are_checked_in_linear_time(write):
    items = "  - {relu, id: x, when: true}\n" * 6000
    path = write(f"name: b\ninput: [3, 8, 8]\nnetwork:\n{items}  - {{relu, from: x.p}}\n")
    error = bounded(lambda: load_spec(path))
    assert "'x' gives one tensor and has no part 'p'" in located(error, path, 6004)


# ---------------------------------------------------------------------------- every limit, lowered

EXTENDS = ("name: base\ninput: [3, 8, 8]\nnetwork: [relu]\n", "extends: base.yaml\nname: m1\n",
           "extends: m1.yaml\nname: m2\n", "extends: m2.yaml\nname: variant\n")

CASES = {  # limit: (lowered value, spec text (or base and variant), what the refusal says, or None)
    "file_bytes": (10, "name: b\ninput: [3, 8, 8]\nnetwork: [relu]\n", "limit file_bytes"),
    "yaml_nodes": (5, "name: b\ninput: [3, 8, 8]\nnetwork: [relu]\n", "limit"),
    "yaml_depth": (2, "name: b\ninput: [3, 8, 8]\nnetwork: [{seq: [relu]}]\n", "limit"),
    "file_chain": (1, EXTENDS, None),  # its message (source/documents.py) does not name it yet; four files, as
    # the check there lets a chain of file_chain + 2 files through
    "expression_length": (3, "name: b\ninput: [3, 8, 8]\nnetwork: [conv: 1x1 in_ch*2]\n", "limit expression_length"),
    "number": (100, "name: b\ninput: [3, 8, 8]\nnetwork: [conv: 1x1 in_ch*1000]\n", "limit number"),
    "exponent": (1, "name: b\ninput: [3, 8, 8]\nnetwork: [conv: 1x1 2**3]\n", "limit exponent"),
    "input_size": (4, "name: b\ninput: [3, 8, 8]\nnetwork: [relu]\n", "limit input_size"),
    "repeat": (2, "name: b\ninput: [3, 8, 8]\nnetwork: [relu x3]\n", "limit repeat"),
    "block_depth": (1, "name: b\ninput: [3, 8, 8]\nblocks:\n  a: {body: [c]}\n  c: {body: [relu]}\nnetwork: [a]\n",
                    "limit block_depth"),
    "ops": (2, "name: b\ninput: [3, 8, 8]\nnetwork: [relu x3]\n", "limit ops"),
    "work": (10, "name: b\ninput: [3, 8, 8]\nnetwork: [relu x3, relu x3]\n", "limit work"),
    "errors": (1, "name: b\ninput: [3, 8, 8]\nnetwork: [relux, reluy]\n", "and 1 more"),
    "suggestions": (1, "name: b\ninput: [3, 8, 8]\nnetwork: [relux]\n", None),
    "params": (10, "name: b\ninput: [3, 8, 8]\nnetwork: [conv: 3x3 8]\n", "limit params"),
    "memory": (100, "name: b\ninput: [3, 8, 8]\nnetwork: [conv: 3x3 8]\n", "more than the limit memory"),
}


def test_every_limit_has_a_case():
    assert set(CASES) == set(limits.names())


@pytest.mark.parametrize("name", list(CASES))
def test_each_limit_is_effective_when_lowered(tmp_path, name):
    value, text, says = CASES[name]
    if isinstance(text, tuple):  # files extending one another, the spec last
        for file, content in zip(("base", "m1", "m2"), text):
            (tmp_path / f"{file}.yaml").write_text(content)
        text = text[-1]
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    if name in ("params", "memory"):  # enforced by build_model, which allocates them
        archspec.build_model(path)
        with pytest.raises(SpecError) as caught:
            archspec.build_model(path, limits={name: value})
        assert says in str(caught.value)
        return
    if name not in ("errors", "suggestions"):  # (their specs have mistakes)
        compile_spec(path)  # within the defaults
    if name == "suggestions":  # past it, the mistake is reported without a hint
        with pytest.raises(SpecError, match="did you mean 'relu'"):
            load_spec(path)
        with limits.using({name: value}), pytest.raises(SpecError) as caught:
            load_spec(path)
        assert "unknown op or block 'relux'" in str(caught.value) and "did you mean" not in str(caught.value)
        return
    with limits.using({name: value}), pytest.raises(SpecError) as caught:
        compile_spec(path)
    if says is not None:
        assert says in str(caught.value)
    assert limits.current() == limits.DEFAULT


def test_work_is_counted_per_load_and_per_build(tmp_path):
    # checking and expanding each have their own budget, and each API call starts a new one
    path = tmp_path / "spec.yaml"
    path.write_text("name: b\ninput: [3, 8, 8]\nnetwork: [relu x3]\n")
    for _ in range(3):
        archspec.compile_spec(path, limits={"work": 40})
    with pytest.raises(SpecError, match="limit work"):
        archspec.compile_spec(path, limits={"work": 4})
