"""Block libraries: the files a spec brings in with `imports:`, loaded (through documents) and
validated against the library schema, each file once.

    imports: [archspec:inception]      # a library shipped in the package (archspec/library/)
    imports: [lib/my_blocks.yaml]      # a file, relative to the file that writes the import

A file must lie where the spec may read (archspec.source.access: the spec's folder and below, the shipped
libraries, folders the user allowed) and be a mapping that validates as a `LibraryDoc`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FsPath

from pydantic import ValidationError

from . import schema as L
from ..source.access import check_file, LIBRARY, Refused
from ..source.documents import looks_like, read_referenced, resolve_relative
from ..errors import Diagnostic, DiagnosticSink, did_you_mean, SpecError
from ..limits import current as limits
from .pydantic_errors import diagnostics_from
from ..source.yamlsource import SourceDoc


SHIPPED = LIBRARY  # package data: archspec/library/*.yaml
LIBRARY_KEYS = frozenset(f.alias or n for n, f in L.LibraryDoc.model_fields.items())
PREFIX = "archspec:"


def shipped_names() -> list[str]:
    """The names of the libraries shipped with archspec (`archspec:NAME`)."""
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


def shipped_path(name: str) -> FsPath:
    """The file of the shipped library `name`, shown relative to the working directory when inside it."""
    path = SHIPPED / f"{name}.yaml"
    try:
        return path.relative_to(FsPath.cwd())
    except ValueError:
        return path


def locate(owner: SourceDoc, path: tuple, target: str) -> tuple[FsPath, tuple[str, str | None] | None]:
    """(the file an import names, None), or (the path looked at, (the message, a hint)) when it is missing
    or not a regular file. A path outside the folders a spec may read raises access.Refused."""
    if target.startswith(PREFIX):
        return _shipped(target[len(PREFIX):])
    resolved = resolve_relative(owner, path, target)
    try:
        check_file(resolved, target)
        return resolved, None
    except Refused as exc:
        if not exc.missing:
            return resolved, (exc.message, exc.hint)
    folder = resolved.parent
    written = target[: len(target) - len(FsPath(target).name)]  # the folder part, as written
    beside = {p.stem: p.name for p in sorted(folder.glob("*.y*ml"))} if folder.is_dir() else {}
    close, stem = _closest(FsPath(target).stem, beside), FsPath(target).stem
    hint = f"did you mean '{written}{beside[close]}'?" if close else None
    if hint is None and stem in shipped_names():
        hint = f"a shipped library is imported by name: '{PREFIX}{stem}'"
    return resolved, (f"cannot find '{target}' (looked at {resolved})", hint)


def _shipped(name: str) -> tuple[FsPath, tuple[str, str | None] | None]:
    resolved = shipped_path(name)
    if name in shipped_names():
        return resolved, None
    close = _closest(name, shipped_names())
    names = ", ".join(PREFIX + n for n in shipped_names())
    return resolved, (f"archspec ships no library '{name}'",
                      f"did you mean '{PREFIX}{close}'?" if close else f"the shipped libraries are {names}")


def library_file(target: str) -> FsPath:
    """The file a library named on the command line or in the API is read from: `archspec:NAME` or a path."""
    if not target.startswith(PREFIX):
        return FsPath(target)
    resolved, missing = _shipped(target[len(PREFIX):])
    if missing is not None:
        raise SpecError([Diagnostic(missing[0], None, (), missing[1])])
    return resolved


def _closest(name: str, candidates) -> str | None:
    hint = did_you_mean(name, candidates)
    return hint[len("did you mean '"):-2] if hint else None


@dataclass(frozen=True)
class Library:
    """A block library file: its blocks and the defaults that apply inside them."""

    doc: SourceDoc
    model: L.LibraryDoc


def load_imports(owner: SourceDoc, imports: list, sink: DiagnosticSink, seen: dict[str, Library],
                 chain: tuple[str, ...] = ()) -> list[Library]:
    """Every library `owner` imports, depth first (a library before the one that imports it), each file
    once; chains of imports at most limits().file_chain files deep. A loop, not recursion: Python's stack
    bounds nothing here."""
    out: list[Library] = []
    stack = [(owner, iter(enumerate(imports)), chain, None)]
    while stack:
        doc, items, chain, library = stack[-1]
        step = next(items, None)
        if step is None:
            stack.pop()
            if library is not None:
                out.append(library)
            continue
        found = _load_one(doc, *step, sink, seen, chain)
        if found is not None:
            key, library = found
            stack.append((library.doc, iter(enumerate(library.model.imports)), chain + (key,), library))
    return out


def _load_one(owner: SourceDoc, i: int, target, sink: DiagnosticSink, seen: dict[str, Library],
              chain: tuple[str, ...]) -> tuple[str, Library] | None:
    """The library of `imports[i]` of owner, with its key, unless it was read already or is wrong."""
    path = ("imports", i)
    where = owner.loc(path)
    if not isinstance(target, str):
        sink.add(Diagnostic("an import is the path of a block library file", where, path))
        return None
    try:
        resolved, missing = locate(owner, path, target)
    except Refused as exc:
        sink.add(Diagnostic(exc.message, where, path, exc.hint))
        return None
    key = str(resolved.resolve())
    if key in chain:
        sink.add(Diagnostic(f"'{target}' imports itself", where, path))
        return None
    if key in seen:  # imported already (a diamond, or twice): its blocks are there once
        return None
    if missing is not None:
        sink.add(Diagnostic(missing[0], where, path, missing[1]))
        return None
    if len(chain) >= limits().file_chain:
        sink.add(Diagnostic(f"imports are nested more than {limits().file_chain} files deep (limit file_chain)",
                            where, path))
        return None
    try:
        doc = read_referenced(resolved, target, where, path)
        if not looks_like(doc.data, LIBRARY_KEYS):  # a file that is no library is not quoted: see looks_like
            raise SpecError([Diagnostic(f"'{target}' is not a block library (a mapping with blocks, imports, "
                                        "defaults, doc)", where, path)])
        model = L.LibraryDoc.model_validate(doc.data)
    except SpecError as exc:
        for d in exc.diagnostics:
            sink.add(d)
        return None
    except ValidationError as exc:
        for d in diagnostics_from(exc, doc, (), L.LibraryDoc):
            sink.add(d)
        return None
    seen[key] = Library(doc, model)
    return key, seen[key]
