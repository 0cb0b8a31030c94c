"""Paths given on the command line, checked before a command runs: a mistake in one is a mistake on the
command line (exit 2, naming the argument or option), never a traceback or a hang.

- a spec or library file must be a regular file (a FIFO or a device such as /dev/zero is refused before
  it is opened) or `archspec:NAME`;
- `--out` must be somewhere archspec can write: a folder that exists or can be made (build), a file
  whose folder exists or can be made (render);
- `--weights` (and `--save-weights`'s OUT/<name>/weights.pt) must be nothing yet or a regular file,
  not the spec itself, in a folder that can be made: a FIFO, a device, a folder or a socket there is
  never replaced by the checkpoint;
- `--allow-dir` must name a folder.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import List, Optional

import typer

from ..atomic import file_kind
from ..source.access import check_file, Refused, set_default


def existing_file(value: Optional[Path]) -> Optional[Path]:
    """A regular file, or `archspec:NAME` (a shipped library); else a command-line mistake (exit 2)."""
    if value is None or str(value).startswith("archspec:"):
        return value
    try:
        check_file(value, str(value))
    except Refused as exc:
        if exc.missing:
            raise typer.BadParameter(f"'{value}' does not exist.") from None
        raise typer.BadParameter(exc.message + ".") from None
    return value


def _stat(path: Path, option: str = "--out") -> os.stat_result | None:
    """The path's stat (symbolic links followed), or None when nothing is there."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"cannot use '{path}': {_why(exc)}", param_hint=option) from None


def _why(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text[:1].lower() + text[1:]  # "Permission denied" -> "permission denied"; a path keeps its case


def _folder_can_be_made(folder: Path, option: str = "--out") -> None:
    """folder exists and is writable, or its nearest existing ancestor is a writable folder."""
    path = folder.absolute()
    info = _stat(path, option)
    while info is None and path.parent != path:
        path = path.parent
        info = _stat(path, option)
    if info is None:
        return
    if not stat.S_ISDIR(info.st_mode):
        raise typer.BadParameter(f"'{path}' is not a folder, so '{folder}' cannot be made in it", param_hint=option)
    if not os.access(path, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"cannot write in '{path}': permission denied", param_hint=option)


def output_dir(value: Path) -> Path:
    """`build --out DIR`: a folder that exists or can be made, where we may write."""
    info = _stat(value)
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise typer.BadParameter(f"'{value}' exists and is not a folder", param_hint="--out")
    _folder_can_be_made(value)
    return value


def output_file(value: Path) -> Path:
    """`render --out FILE`: not a folder, and in a folder that exists or can be made."""
    info = _stat(value)
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise typer.BadParameter(f"'{value}' is a folder; give a file name such as {value / 'network.svg'}",
                                 param_hint="--out")
    if info is not None and not os.access(value, os.W_OK):
        raise typer.BadParameter(f"cannot write '{value}': permission denied", param_hint="--out")
    _folder_can_be_made(value.parent)
    return value


def weights_file(value: Path, spec: Path, option: str = "--weights") -> Path:
    """Where `build` writes a checkpoint (--weights FILE, or OUT/<name>/weights.pt with --save-weights):
    nothing yet or a regular file, which is replaced (a folder, FIFO, device or socket is refused, a
    symbolic link followed to decide), never the spec file itself, in a folder that exists or can be made."""
    info = _stat(value, option)
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise typer.BadParameter(f"'{value}' exists and is {file_kind(info.st_mode)}, not a regular file; "
                                 "give the path of a new or regular file", param_hint=option)
    if info is not None and (_same_file(value, spec) or os.path.realpath(value) == os.path.realpath(spec)):
        raise typer.BadParameter(f"'{value}' is the spec file {spec} itself; the weights would overwrite it",
                                 param_hint=option)
    _folder_can_be_made(value.parent, option)
    return value


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def write_failed(exc: OSError, where: Path, option: str = "--out") -> typer.BadParameter:
    """What to raise when writing under --out failed after all (a read-only file system, /proc, ...)."""
    return typer.BadParameter(f"cannot write to '{where}': {_why(exc)}", param_hint=option)


def allow_dirs(values: Optional[List[Path]], ctx: typer.Context) -> None:
    """`--allow-dir DIR` (repeatable): folders specs may read files from besides their own; each must be
    a folder. Exactly these hold for the command, and no longer (ctx: the run's click context)."""
    for value in values or []:
        try:
            is_dir = value.is_dir()
        except (OSError, ValueError):
            is_dir = False
        if not is_dir:
            raise typer.BadParameter(f"'{value}' is not a folder", param_hint="--allow-dir")
    ctx.call_on_close(set_default(values or []))


class writing_to:
    """`with writing_to(out):` an OSError while writing under --out is a command-line mistake naming it
    (the checks above cannot foresee a read-only file system or /proc)."""

    def __init__(self, where: Path, option: str = "--out"):
        self.where, self.option = where, option

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> None:
        if isinstance(exc, OSError):
            raise write_failed(exc, self.where, self.option) from None
