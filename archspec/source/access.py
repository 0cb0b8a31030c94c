"""Which files a spec may read, and reading one without trusting it.

A spec names other files (`extends:`, `imports:`) and may come from anywhere, so the files it can make
archspec read are bounded. A reference is resolved (`..` and symbolic links followed) and must lie in

- the folder of the file the user gave (the spec, or the library checked on its own) or below it,
- the libraries shipped with archspec (`archspec/library/`, what `archspec:NAME` reads),
- a folder the user allowed: `archspec --allow-dir DIR` on the command line, `allow_dirs=` in the API,
  `allowing(...)` for a block of code.

Only regular files are read (a directory, device, FIFO or socket is refused before it is opened), at
most `limits().file_bytes` bytes of them, as UTF-8. Every refusal is a `Refused` whose message names
the path, never the file's content. Values of a file the user did not name are not quoted in messages
(`may_quote`): a spec cannot show the content of another file through its error messages.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import stat
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Callable, Iterable, Iterator, Union

from ..limits import current as limits

LIBRARY = FsPath(__file__).resolve().parent.parent / "library"  # the shipped libraries (package data)
OPTION = "--allow-dir DIR on the command line, allow_dirs= in the API"
Dirs = Union[Iterable[Union[str, os.PathLike]], str, os.PathLike, None]  # what allow_dirs= takes


class Refused(Exception):
    """A file that may not, or cannot, be read: why, naming the path only. line and col (1-based) are set
    when the problem is at a place in the file (a byte that is not UTF-8), else 0."""

    def __init__(self, message: str, hint: str | None = None, line: int = 0, col: int = 0, missing: bool = False):
        super().__init__(message)
        self.message, self.hint, self.line, self.col, self.missing = message, hint, line, col, missing


@dataclass(frozen=True)
class _Top:
    folder: FsPath  # the folder of the file the user gave, resolved
    file: FsPath | None  # that file, resolved (None: unknown)


_TOP: contextvars.ContextVar[_Top | None] = contextvars.ContextVar("archspec_top_file", default=None)
_ALLOWED: contextvars.ContextVar[tuple[FsPath, ...]] = contextvars.ContextVar("archspec_allow_dirs", default=())


def _resolved(path: str | os.PathLike) -> FsPath | None:
    try:
        return FsPath(path).absolute().resolve()
    except (OSError, RuntimeError, ValueError):  # a loop, a NUL byte, a name too long
        return None


def _folders(dirs: Dirs) -> tuple[FsPath, ...]:
    if dirs is None:
        return ()
    if isinstance(dirs, (str, os.PathLike)):
        dirs = [dirs]
    out = []
    for d in dirs:
        if not isinstance(d, (str, os.PathLike)):
            raise TypeError(f"allow_dirs takes folders (str or Path), got {type(d).__name__}")
        folder = _resolved(FsPath(d).expanduser())
        if folder is None:
            raise ValueError(f"allow_dirs: cannot resolve {str(d)!r}")
        out.append(folder)
    return tuple(out)


def allowed() -> tuple[FsPath, ...]:
    """The folders the user allowed besides the spec's own and the shipped libraries."""
    return _ALLOWED.get()


@contextlib.contextmanager
def allowing(dirs: Dirs) -> Iterator[tuple[FsPath, ...]]:
    """Run a block of code with these folders readable too (added to those allowed already; None adds none)."""
    token = _ALLOWED.set(_ALLOWED.get() + tuple(f for f in _folders(dirs) if f not in _ALLOWED.get()))
    try:
        yield _ALLOWED.get()
    finally:
        _ALLOWED.reset(token)


def set_default(dirs: Dirs) -> Callable[[], None]:
    """Allow these folders (only) from now on (the command line's `--allow-dir`); returns a function that
    restores those allowed before."""
    token = _ALLOWED.set(_folders(dirs))
    return lambda: _ALLOWED.reset(token)


@contextlib.contextmanager
def reading(top: str | os.PathLike) -> Iterator[None]:
    """Run a load with `top` as the file the user gave: its folder is readable, its values may be quoted.
    Inside another load (a library or base read for a spec) it changes nothing."""
    if _TOP.get() is not None:
        yield
        return
    path = FsPath(top)
    shipped = _resolved(path)
    inside_shipped = shipped is not None and shipped.is_relative_to(LIBRARY)
    folder = LIBRARY if inside_shipped else _resolved(path.absolute().parent)
    token = _TOP.set(_Top(folder, _resolved(path)) if folder is not None else None)
    try:
        yield
    finally:
        _TOP.reset(token)


def may_quote(file: str) -> bool:
    """Whether messages located in `file` may quote its values: only the file the user gave does (or any
    file, outside a load)."""
    top = _TOP.get()
    return top is None or top.file is None or _resolved(file) == top.file


def _readable_folders(written_in: str) -> tuple[FsPath, ...]:
    top = _TOP.get()
    own = top.folder if top is not None else _resolved(FsPath(written_in).absolute().parent)
    return tuple(f for f in (own, LIBRARY) if f is not None) + allowed()


def reference(written_in: str, target: str) -> FsPath:
    """The file `target` names, written in the file `written_in` (relative to its folder), resolved and
    checked to lie in a folder a spec may read; raises Refused."""
    if "\0" in target:
        raise Refused(f"cannot read '{_shown(target)}': the path contains a NUL byte")
    try:
        resolved = (FsPath(written_in).absolute().parent / target).resolve()
    except RuntimeError:  # Python < 3.13 raises it for a loop of symbolic links
        raise Refused(f"cannot read '{_shown(target)}': a symbolic link in the path loops") from None
    except (OSError, ValueError) as exc:
        raise Refused(f"cannot read '{_shown(target)}': {_why(exc)}") from None
    folders = _readable_folders(written_in)
    if not any(resolved.is_relative_to(f) for f in folders):
        raise Refused(f"'{_shown(target)}' is outside the folders a spec may read",
                      f"it is {resolved}; a spec reads files in {folders[0]} and below, and archspec's libraries; "
                      f"allow another folder with {OPTION}")
    return resolved


def check_file(path: FsPath, name: str | None = None) -> None:
    """Refuse what is not a regular file (a directory, device, FIFO, socket), without opening it."""
    try:
        info = os.stat(path)
    except (OSError, ValueError) as exc:
        raise Refused(f"cannot read {_named(name)}: {_why(exc)}",
                      missing=isinstance(exc, FileNotFoundError)) from None
    _regular(info.st_mode, name)


def _regular(mode: int, name: str | None) -> None:
    if stat.S_ISDIR(mode):
        raise Refused(f"{_named(name)} is a directory, not a spec or library file")
    if not stat.S_ISREG(mode):
        raise Refused(f"{_named(name)} is not a regular file (a device, FIFO or socket), so it is not read")


def read_text(path: FsPath, name: str | None = None) -> str:
    """The text of a regular file of at most `limits().file_bytes` bytes, UTF-8; raises Refused."""
    check_file(path, name)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: a file swapped for a FIFO since the check cannot hang us
    except (OSError, ValueError) as exc:
        raise Refused(f"cannot read {_named(name)}: {_why(exc)}") from None
    limit = limits().file_bytes
    try:
        _regular(os.fstat(fd).st_mode, name)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise Refused(f"cannot read {_named(name)}: {_why(exc)}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise Refused(f"{_named(name)} is larger than {limit:,} bytes (limit file_bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = len(data[data.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8", "replace")) + 1
        raise Refused(f"{_named(name)} is not UTF-8 text (a byte that is not UTF-8 here)", line=line, col=col) from None


def _why(exc: BaseException) -> str:
    if isinstance(exc, ValueError):
        return "the path contains a NUL byte" if "null" in str(exc) else "the path is not valid"
    return (getattr(exc, "strerror", None) or type(exc).__name__).lower()


def _shown(target: str) -> str:
    """A path as written, cut short and without control characters (it goes into one message line)."""
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in target[:120])
    return text + ("..." if len(target) > 120 else "")


def _named(name: str | None) -> str:
    return f"'{_shown(name)}'" if name is not None else "the file"
