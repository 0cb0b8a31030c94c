"""Writing a file atomically, the one way archspec writes its outputs (build artifacts, checkpoints).

`atomic_write(path, write)` calls write(handle) on a temporary file in path's folder, flushes it to disk,
then renames it over path (os.replace), so a reader, a concurrent writer or a crash never sees half a
file: path holds the old content or the new, whole. The folder is flushed too where the platform allows,
so the rename itself survives a crash.

- Only a regular file is replaced. When path exists and is not one (a folder, a FIFO, a device such as
  /dev/null, a socket; a symbolic link is followed to decide), NotARegularFile is raised and nothing
  is written: renaming over it would put a file where the device or FIFO was.
- The new file gets the mode of the file it replaces, else the mode a plain open() would give it
  (0o666 less the umask); tempfile.mkstemp alone would leave every output at 0o600.
- A symbolic link at path is replaced by the new file (the file it pointed to is left as it was), as
  any rename-based write does.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO, Callable

_UMASK_LOCK = threading.Lock()


class NotARegularFile(OSError):
    """The target exists and is not a regular file, so it is left alone."""


def file_kind(mode: int) -> str:
    """What a stat mode describes, in words: 'a folder', 'a FIFO', 'a device', 'a socket'."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def existing(path: str | os.PathLike) -> os.stat_result | None:
    """path's stat (symbolic links followed), None when nothing is there (a dangling link included);
    raises NotARegularFile when something other than a regular file is there."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFile(errno.EEXIST, f"'{path}' exists and is {file_kind(info.st_mode)}, not a regular file",
                              str(path))
    return info


def umask() -> int:
    """The process's umask. Read from /proc/self/status on Linux (4.7 and later), which changes nothing;
    elsewhere os.umask must set it to read it, so it is set back at once under a lock (another thread
    creating a file in that instant, outside archspec, could still see the temporary 0o077: a file only
    its owner can read, never one more open than asked for)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        old = os.umask(0o077)
        os.umask(old)
    return old


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """Write path atomically: write(handle) fills a temporary file beside it (a binary handle), which is
    flushed to disk and renamed over path. On any failure the temporary is removed and path is as it
    was. Returns path. See the module docstring for what is refused and which mode the file gets."""
    target = Path(path)
    info = existing(target)
    mode = stat.S_IMODE(info.st_mode) & 0o777 if info is not None else 0o666 & ~umask()
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            _chmod(handle.fileno(), temp, mode)
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    _sync_folder(target.parent)
    return target


def _chmod(fd: int, temp: str, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows before Python 3.13
        os.chmod(temp, mode)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable; not every platform lets a folder be opened (best effort)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
