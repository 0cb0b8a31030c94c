"""Located diagnostics and the error channel.

- `SpecError` is the one exception a spec mistake raises: it carries every located diagnostic.
  `OverrideError`, a SpecError, is a wrong parameter override (`--set`): the caller's mistake.
- `SpecValueError` is raised where a value the user wrote is judged (an expression, a block
  reference, a shape) and caught where diagnostics are made, which locate it. It subclasses
  ValueError only so that pydantic's validators report it; nothing catches bare ValueError.
- Anything else escaping the compiler is a bug in archspec (`InternalError` names a broken
  invariant); `note_compiling` attaches the spec location being compiled to it as a note.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

Path = tuple  # a key path into the YAML document: ("network", 3, "conv", "out")


def format_path(path: Sequence) -> str:
    """Render a key path the way users write it: network[3].conv.out."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<document>"


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, or None."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


@dataclass(frozen=True)
class Location:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One user-facing error: FILE:LINE:COL: key.path: message (hint)."""

    message: str
    location: Location | None = None
    path: Path = ()
    hint: str | None = None
    context: tuple[str, ...] = field(default=())  # e.g. "in block use network[3] at x.yaml:40:5"

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{format_path(self.path)}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        for line in self.context:
            text += f"\n    {line}"
        return text


class SpecError(Exception):
    """Raised for any mistake in a spec; carries every located diagnostic of the failing stage."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class OverrideError(SpecError):
    """A parameter value given from outside the file (`--set`, or `overrides=` in the API) is wrong: a
    mistake of the command line, not of the spec (the command line exits 2)."""


class SpecValueError(ValueError):
    """A value the user wrote is wrong; the message says why and the hint, if any, what to do (the
    catcher adds the location and shows the hint in parentheses)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InternalError(RuntimeError):
    """An invariant of archspec does not hold: a bug in archspec, never a mistake in a spec."""


def note_compiling(exc: BaseException, where: str) -> None:
    """Name, once, the spec location being compiled on an exception that is a bug (the innermost
    location wins: callers further out see it is noted already). SpecErrors are left alone."""
    if isinstance(exc, SpecError) or getattr(exc, "archspec_compiling", None) is not None:
        return
    try:
        exc.archspec_compiling = where  # type: ignore[attr-defined]
        exc.add_note(f"archspec was compiling {where}")
    except (AttributeError, TypeError):  # an exception type that takes no attributes: leave it as it is
        pass


def _order(d: Diagnostic) -> tuple:
    loc = d.location
    return (loc is not None, loc.file if loc else "", loc.line if loc else 0, loc.col if loc else 0)


class DiagnosticSink:
    """Collects diagnostics for a stage; `raise_if_any` ends the stage."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self._seen: set[str] = set()  # the text of each, so that adding stays linear in their number

    def add(self, diagnostic: Diagnostic) -> None:
        key = repr(diagnostic)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(diagnostic)

    def raise_if_any(self) -> None:
        """Raise every collected diagnostic, in file order."""
        if self.items:
            raise SpecError(sorted(self.items, key=_order))

    def __bool__(self) -> bool:
        return bool(self.items)
