"""archspec.atomic, the one way archspec writes a file (build artifacts, checkpoints): whole or not at all,
never over something that is not a regular file, with the mode a plain open() would give (not mkstemp's
0o600). "Not a regular file" is a FIFO made in tmp_path (never a real device)."""
from __future__ import annotations

import os
import stat

import pytest

from archspec import atomic
from archspec.atomic import atomic_write, NotARegularFile


@pytest.fixture
def umask():
    """Set the process umask for one test, and restore it."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _write(text: bytes):
    return lambda handle: handle.write(text)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077, 0o002])
def test_a_new_file_gets_the_mode_open_would_give(tmp_path, umask, mask):
    umask(mask)
    path = atomic_write(tmp_path / "ir.json", _write(b"{}"))
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert _mode(path) == 0o666 & ~mask == _mode(plain)
    assert atomic.umask() == mask


def test_a_replaced_file_keeps_its_mode(tmp_path, umask):
    umask(0o077)
    path = tmp_path / "weights.pt"
    path.write_bytes(b"old")
    for mode in (0o644, 0o640, 0o755, 0o444):
        os.chmod(path, mode)
        atomic_write(path, _write(b"new"))
        assert _mode(path) == mode and path.read_bytes() == b"new"


def test_the_umask_without_proc(monkeypatch, umask):
    umask(0o027)

    def no_proc(*args, **kwargs):
        raise OSError("no /proc here")

    monkeypatch.setattr(atomic, "open", no_proc, raising=False)
    assert atomic.umask() == 0o027
    assert os.umask(0o027) == 0o027  # read, then set back


@pytest.mark.parametrize("kind", ["fifo", "link to a fifo", "folder"])
def test_what_is_not_a_regular_file_is_left_alone(tmp_path, kind):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    target = {"fifo": fifo, "link to a fifo": tmp_path / "link", "folder": tmp_path / "folder"}[kind]
    if kind == "link to a fifo":
        target.symlink_to(fifo)
    if kind == "folder":
        target.mkdir()
    with pytest.raises(NotARegularFile, match="exists and is a (FIFO|folder), not a regular file"):
        atomic_write(target, _write(b"x"))
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.path.lexists(target)
    assert os.path.islink(target) == (kind == "link to a fifo")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"fifo", target.name})  # no temporary left


def test_a_link_to_a_regular_file_is_replaced_and_the_file_left(tmp_path):
    real = tmp_path / "real"
    real.write_bytes(b"old")
    os.chmod(real, 0o640)
    link = tmp_path / "link"
    link.symlink_to(real)
    atomic_write(link, _write(b"new"))
    assert not link.is_symlink() and link.read_bytes() == b"new" and _mode(link) == 0o640
    assert real.read_bytes() == b"old"
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    atomic_write(dangling, _write(b"x"))
    assert not dangling.is_symlink() and dangling.read_bytes() == b"x"


def test_a_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "summary.json"
    path.write_bytes(b"old")

    def half(handle):
        handle.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, half)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_the_writers_share_it(tmp_path, umask):
    """Build artifacts and checkpoints are written by atomic_write, so both get its modes."""
    import archspec
    from archspec.backends.torch import checkpoint
    from archspec.cli import outputs

    from .conftest import ROOT

    assert outputs.atomic_write is checkpoint.atomic_write is atomic_write
    umask(0o022)
    outputs.write_text(tmp_path / "ir.txt", "x")
    archspec.save_weights(archspec.build_model(ROOT / "tests" / "data" / "tiny_mixed.yaml", seed=0), tmp_path / "w.pt")
    assert _mode(tmp_path / "ir.txt") == _mode(tmp_path / "w.pt") == 0o644
