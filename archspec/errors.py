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
from typing import Collection, Sequence

from .limits import current as limits, meter

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


def listing(names: Sequence[str], most: int = 10) -> str:
    """`a, b, c` for a message; past `most` names, the rest counted (a message stays short)."""
    names = names if isinstance(names, (list, tuple)) else list(names)
    shown = ", ".join(str(n) for n in names[:most])
    return shown + (f", ... ({len(names) - most:,} more)" if len(names) > most else "")


SUGGESTED_LENGTH = 64  # names longer than this are neither suggested nor looked up


def did_you_mean(name: str, candidates: Collection[str]) -> str | None:
    """A hint naming the closest candidate, or None. The comparisons (the name's length times the number
    of candidates) are charged to the `suggestions` limit of the load or build in progress; once it is
    spent, no more hints are looked for (thousands of mistakes against thousands of names would
    otherwise take minutes)."""
    if not isinstance(candidates, Collection):
        candidates = list(candidates)
    spent, cost = meter(), max(1, len(name)) * len(candidates)
    if len(name) > SUGGESTED_LENGTH or spent.suggestions + cost > limits().suggestions:
        return None
    spent.suggestions += cost
    pool = sorted({c for c in candidates if len(c) <= SUGGESTED_LENGTH})
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
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
        return printable(text)


def printable(text: str) -> str:
    """text with control characters other than newlines written as escapes: a spec's names and values reach
    the terminal through messages, and must not move its cursor or change its colours (ESC sequences)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == "\n" else repr(c)[1:-1] for c in text)


class SpecError(Exception):
    """Raised for any mistake in a spec; carries the located diagnostics of the failing stage: the first
    `errors` of them (archspec.limits), and how many more there are (`more`)."""

    def __init__(self, diagnostics: Sequence[Diagnostic], more: int = 0):
        cap = limits().errors
        self.diagnostics = list(diagnostics[:cap])
        self.more = more + max(0, len(diagnostics) - cap)
        super().__init__("\n".join([str(d) for d in self.diagnostics] + ([self.more_text()] if self.more else [])))

    @property
    def count(self) -> int:
        """How many mistakes were found: those listed and those only counted."""
        return len(self.diagnostics) + self.more

    def more_text(self) -> str:
        return (f"... and {self.more:,} more (only the first {len(self.diagnostics):,} are listed, limit errors; "
                f"fix these first)")


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
    """Collects diagnostics for a stage; `raise_if_any` ends the stage. Each is kept once; past the
    `errors` limit they are only counted, so that a file with thousands of mistakes stays cheap to report."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self.more = 0  # distinct diagnostics past the limit: counted, not kept
        self._cap = limits().errors
        self._seen: set[int] = set()  # the hash of each one's text: adding stays linear in their number

    def add(self, diagnostic: Diagnostic) -> None:
        key = hash(repr(diagnostic))
        if key not in self._seen:
            self._seen.add(key)
            if len(self.items) < self._cap:
                self.items.append(diagnostic)
            else:
                self.more += 1

    def stop(self, diagnostic: Diagnostic) -> None:
        """End the stage with a diagnostic that says why (a limit reached), listed even past the limit."""
        if len(self.items) >= self._cap:  # it takes the place of the last one kept
            self.more += len(self.items) - self._cap + 1
            del self.items[max(0, self._cap - 1):]
        self.items.append(diagnostic)
        self.raise_if_any()

    def raise_if_any(self) -> None:
        """Raise the collected diagnostics, in file order."""
        if self.items:
            raise SpecError(sorted(self.items, key=_order), self.more)

    def __bool__(self) -> bool:
        return bool(self.items)
