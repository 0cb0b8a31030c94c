"""`archspec build`: a directory per set of --set values, and --save-weights / --weights checkpoints (never
over what is not a regular file or the spec, refused before anything is written when too large)."""
from __future__ import annotations

import json
import os
import stat
import threading

import pytest
import torch
from typer.testing import CliRunner

import archspec
from archspec.cli.app import app
from archspec.cli.outputs import build_dir, values_slug

from ..conftest import ROOT

TINY = str(ROOT / "tests" / "data" / "tiny_mixed.yaml")
runner = CliRunner()


def test_values_slugs():
    assert values_slug({"k": 2, "depth": 16}) == "depth=16-k=2"
    assert values_slug({"aux": True, "dropout": 0.5}) == "aux=true-dropout=0.5"
    odd = values_slug({"block": "B(1,3,1)", "depth": 40})
    assert odd.startswith("block=B_1_3_1_-depth=40-") and len(odd.rsplit("-", 1)[1]) == 8
    assert values_slug({"block": "B(1,3,1)"}) != values_slug({"block": "B[1,3,1]"})  # never one directory
    assert values_slug({"name": "x-y"}) != values_slug({"name": "x_y"})
    assert len(values_slug({f"p{i}": 10**9 for i in range(20)})) <= 60
    assert build_dir(ROOT / "build", "wrn", {}) == ROOT / "build" / "wrn"


def test_other_values_do_not_overwrite_the_defaults(tmp_path):
    for extra in ([], ["--set", "width=4"], ["--set", "classes=3", "--set", "width=4"]):
        result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path), *extra])
        assert result.exit_code == 0, result.output
    built = {p.name: json.loads((p / "summary.json").read_text())["params"] for p in tmp_path.iterdir()}
    assert set(built) == {"tiny_mixed", "tiny_mixed-width=4", "tiny_mixed-classes=3-width=4"}
    assert len(set(built.values())) == 3


def test_save_weights_writes_a_checkpoint_of_the_seeded_model(tmp_path):
    result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path), "--set", "width=4", "--save-weights",
                                 "--seed", "3"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "tiny_mixed-width=4" / "weights.pt"
    assert f"wrote {path}" in result.output.replace("\n", "")
    model = archspec.build_model(TINY, {"width": 4}, seed=0)
    info = archspec.load_weights(model, path)
    reference = archspec.build_model(TINY, {"width": 4}, seed=3).state_dict()
    assert all(torch.equal(v, reference[k]) for k, v in model.state_dict().items())
    assert info.spec_hash == model.spec_hash and info.spec_params == {"classes": 7, "width": 4}


def test_weights_to_a_file_of_ones_choice(tmp_path):
    target = tmp_path / "elsewhere" / "tiny.pt"
    result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path / "out"), "--weights", str(target)])
    assert result.exit_code == 0, result.output
    assert archspec.read_checkpoint(target).spec_name == "tiny_mixed"
    assert not (tmp_path / "out" / "tiny_mixed" / "weights.pt").exists()


def test_weights_where_nothing_can_be_written_is_a_command_line_mistake(tmp_path):
    result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path / "out"), "--weights", "/dev/null/w.pt"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--weights" in result.output and "/dev/null/w.pt" in result.output


def test_an_artifact_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    from archspec import atomic
    from archspec.cli import outputs

    target = tmp_path / "summary.json"
    outputs.write_text(target, "old")
    real_replace = os.replace

    def crash(src, dst):  # the process dies after writing the new text, before it takes the old one's place
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_text(target, "new " * 100_000)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.json"]
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    outputs.write_text(target, "new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["summary.json"]


# --weights / --save-weights never replace what is not a regular file, nor the spec (a FIFO made in tmp_path
# stands for devices and sockets too); each is refused before compiling or writing anything.

def _fifo(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    return fifo


@pytest.mark.parametrize("kind", ["fifo", "link to a fifo", "folder"])
def test_weights_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    fifo = _fifo(tmp_path)
    target = {"fifo": fifo, "link to a fifo": tmp_path / "link", "folder": tmp_path / "folder"}[kind]
    if kind == "link to a fifo":
        target.symlink_to(fifo)
    if kind == "folder":
        target.mkdir()
    result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path / "out"), "--weights", str(target)])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "--weights" in result.output and "not a regular file" in result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.path.islink(target) == (kind == "link to a fifo")
    assert not (tmp_path / "out").exists()  # refused before compiling


@pytest.mark.parametrize("how", ["the path", "a link", "a hard link", "another spelling"])
def test_weights_over_the_spec_itself_is_refused(tmp_path, how, monkeypatch):
    spec = tmp_path / "tiny.yaml"
    spec.write_bytes((ROOT / "tests" / "data" / "tiny_mixed.yaml").read_bytes())
    before = spec.read_bytes()
    target = {"the path": spec, "a link": tmp_path / "link.yaml", "a hard link": tmp_path / "hard.yaml",
              "another spelling": tmp_path / "sub" / ".." / "tiny.yaml"}[how]
    if how == "a link":
        target.symlink_to(spec)
    if how == "a hard link":
        os.link(spec, target)
    if how == "another spelling":
        (tmp_path / "sub").mkdir()
    result = runner.invoke(app, ["build", str(spec), "--out", str(tmp_path / "out"), "--weights", str(target)])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "--weights" in result.output and "is the spec file" in result.output
    assert spec.read_bytes() == before and not (tmp_path / "out").exists()


def test_weights_in_a_folder_that_cannot_be_made_is_refused_before_writing(tmp_path):
    (tmp_path / "file").write_text("x")
    result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path / "out"), "--weights",
                                 str(tmp_path / "file" / "sub" / "w.pt")])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "--weights" in result.output and "not a directory" in result.output
    assert not (tmp_path / "out").exists()


def test_save_weights_over_a_fifo_is_refused_before_writing(tmp_path):
    folder = tmp_path / "out" / "tiny_mixed"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "weights.pt")
    result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path / "out"), "--save-weights"])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "--save-weights" in result.output and "not a regular file" in result.output
    assert [p.name for p in folder.iterdir()] == ["weights.pt"] and stat.S_ISFIFO(os.stat(folder / "weights.pt").st_mode)


def test_an_artifact_path_that_is_not_a_regular_file_is_an_out_mistake(tmp_path):
    folder = tmp_path / "out" / "tiny_mixed"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "ir.json")
    result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "--out" in result.output and "not a regular file" in result.output
    assert stat.S_ISFIFO(os.stat(folder / "ir.json").st_mode)


def test_a_diagram_path_that_is_a_fifo_is_refused_without_waiting_for_a_reader(tmp_path):
    folder = tmp_path / "out" / "tiny_mixed"
    folder.mkdir(parents=True)
    for name in ("network.svg", "network.dot"):  # whichever build writes (.dot without graphviz's `dot`)
        os.mkfifo(folder / name)
    outcome = []
    build = threading.Thread(target=lambda: outcome.append(
        runner.invoke(app, ["build", TINY, "--out", str(tmp_path / "out")])), daemon=True)
    build.start()  # before the fix it blocked opening the FIFO for ever
    build.join(60)
    assert outcome, "build blocked on a FIFO"
    assert outcome[0].exit_code == 2 and "--out" in outcome[0].output and "not a regular file" in outcome[0].output
    assert all(stat.S_ISFIFO(os.stat(folder / name).st_mode) for name in ("network.svg", "network.dot"))


# --seed: what torch.manual_seed takes, without its wrap-around of negative seeds.

@pytest.mark.parametrize("seed", [str(2**64), str(-2**63 - 1), "99999999999999999999999", "-1", "1.5"])
def test_a_seed_torch_cannot_take_is_a_command_line_mistake(tmp_path, seed):
    result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path), "--save-weights", "--seed", seed])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "--seed" in result.output and not list(tmp_path.iterdir())


def test_the_largest_seed(tmp_path):
    result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path), "--weights", str(tmp_path / "w.pt"),
                                 "--seed", str(2**64 - 1)])
    assert result.exit_code == 0, result.output
    saved = archspec.read_checkpoint(tmp_path / "w.pt").state_dict
    model = archspec.build_model(TINY, seed=2**64 - 1).state_dict()
    assert saved.keys() == model.keys() and all(torch.equal(v, saved[k]) for k, v in model.items())


@pytest.mark.parametrize("seed, error, message", [
    (2**70, ValueError, r"seed must be between 0 and 2\*\*64 - 1 .* got 1180591620717411303424"),
    (-1, ValueError, "seed must be between 0 and 2"), (-2**63 - 1, ValueError, "seed must be between"),
    ("x", TypeError, "seed must be a whole number .*str 'x'"), (1.5, TypeError, "seed must be a whole number"),
    (True, TypeError, "seed must be a whole number"),
])
def test_build_model_refuses_a_seed_before_compiling(tmp_path, seed, error, message):
    with pytest.raises(error, match=message):
        archspec.build_model(tmp_path / "missing.yaml", seed=seed)  # the seed is checked first


def test_build_model_takes_any_integer_type_in_range():
    import numpy as np

    model = archspec.build_model(TINY, seed=np.uint64(2**64 - 1))
    reference = archspec.build_model(TINY, seed=2**64 - 1).state_dict()
    assert all(torch.equal(v, reference[k]) for k, v in model.state_dict().items())


# The allocation guard runs before any artifact is written when weights are asked for.

@pytest.fixture
def restore_limits():
    from archspec import limits

    yield
    limits.set_default(limits.DEFAULT)  # the CLI's --limit changes them for the rest of the process


def test_weights_too_large_to_allocate_are_refused_before_any_artifact(tmp_path, restore_limits):
    folder = tmp_path / "tiny_mixed"
    folder.mkdir()
    (folder / "summary.json").write_text("stale")
    (folder / "weights.pt").write_text("old weights")
    result = runner.invoke(app, ["--limit", "params=10", "build", TINY, "--out", str(tmp_path), "--save-weights"])
    assert result.exit_code == 1 and "limit params" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["summary.json", "weights.pt"]
    assert (folder / "summary.json").read_text() == "stale" and (folder / "weights.pt").read_text() == "old weights"
    result = runner.invoke(app, ["--limit", "params=10", "build", TINY, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output  # without weights nothing is allocated: the artifacts are written
    assert (folder / "summary.json").read_text() != "stale"
    assert "before any artifact is written" in runner.invoke(app, ["build", "--help"]).output.replace("\n", " ")


def test_artifacts_and_weights_get_the_usual_mode(tmp_path):
    old = os.umask(0o022)
    try:
        result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path), "--save-weights"])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "tiny_mixed").iterdir()}
    assert {"summary.json", "ir.json", "ir.txt", "summary.txt", "weights.pt"} <= set(modes)
    assert set(modes.values()) == {0o644}, modes


def test_optimize_prints_the_passes_and_writes_the_optimized_ir(tmp_path):
    from archspec.ir.graph import to_text
    from archspec.optimization import optimize_graph
    result = runner.invoke(app, ["build", TINY, "--out", str(tmp_path), "--optimize", "--save-weights"])
    assert result.exit_code == 0, result.output
    _, graph = archspec.compile_spec(TINY)
    optimized, report = optimize_graph(graph)
    text = " ".join(result.output.split())
    assert f"batchnorms folded {report['passes']['fold_bn']['batchnorms_folded']}" in text
    assert f"ops before -> after │ {report['before']['nodes']} -> {report['after']['nodes']}" in text
    written = tmp_path / "tiny_mixed" / "ir.optimized.txt"
    assert written.read_text() == to_text(optimized) and "fused_conv" in written.read_text()
    model = archspec.build_model(TINY, seed=0)  # the checkpoint holds the unoptimized model's weights
    archspec.load_weights(model, tmp_path / "tiny_mixed" / "weights.pt")
    plain = runner.invoke(app, ["build", TINY, "--out", str(tmp_path / "plain")])
    assert "optimization" not in plain.output and not (tmp_path / "plain" / "tiny_mixed" / "ir.optimized.txt").exists()
