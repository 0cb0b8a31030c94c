"""Block libraries: the files a spec brings in with `imports:`, loaded (through documents) and
validated against the library schema, each file once.

    imports: [archspec:inception]      # a library shipped in the package (archspec/library/)
    imports: [lib/my_blocks.yaml]      # a file, relative to the file that writes the import
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FsPath

from pydantic import ValidationError

from . import schema as L
from ..source.documents import resolve_relative
from ..errors import Diagnostic, DiagnosticSink, did_you_mean, SpecError
from .pydantic_errors import diagnostics_from
from ..source.yamlsource import load_yaml_file, SourceDoc


SHIPPED = FsPath(__file__).resolve().parent.parent / "library"  # package data: archspec/library/*.yaml
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
    """(the file an import names, None), or (the path looked at, (the message, a hint)) when it is missing."""
    if target.startswith(PREFIX):
        return _shipped(target[len(PREFIX):])
    resolved = resolve_relative(owner, path, target)
    if resolved.is_file():
        return resolved, None
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
    """Every library `owner` imports, depth first, each file once."""
    out = []
    for i, target in enumerate(imports):
        path = ("imports", i)
        if not isinstance(target, str):
            sink.add(Diagnostic("an import is the path of a block library file", owner.loc(path), path))
            continue
        resolved, missing = locate(owner, path, target)
        key = str(resolved.resolve())
        if key in chain:
            sink.add(Diagnostic(f"'{target}' imports itself", owner.loc(path), path))
            continue
        if key in seen:  # imported already (a diamond, or twice): its blocks are there once
            continue
        if missing is not None:
            sink.add(Diagnostic(missing[0], owner.loc(path), path, missing[1]))
            continue
        try:
            doc = load_yaml_file(resolved)
            model = L.LibraryDoc.model_validate(doc.data if isinstance(doc.data, dict) else {})
        except SpecError as exc:
            for d in exc.diagnostics:
                sink.add(d)
            continue
        except ValidationError as exc:
            for d in diagnostics_from(exc, doc, (), L.LibraryDoc):
                sink.add(d)
            continue
        library = Library(doc, model)
        seen[key] = library
        out.extend(load_imports(doc, model.imports, sink, seen, chain + (key,)))
        out.append(library)
    return out

