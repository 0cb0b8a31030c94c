"""Block libraries: the files a spec brings in with `imports:`, loaded (through documents) and
validated against the library schema, each file once."""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from . import schema as L
from ..source.documents import resolve_relative
from ..errors import Diagnostic, DiagnosticSink, SpecError
from .pydantic_errors import diagnostics_from
from ..source.yamlsource import load_yaml_file, SourceDoc


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
        resolved = resolve_relative(owner, path, target)
        key = str(resolved.resolve())
        if key in chain:
            sink.add(Diagnostic(f"'{target}' imports itself", owner.loc(path), path))
            continue
        if key in seen:  # imported already (a diamond, or twice): its blocks are there once
            continue
        if not resolved.is_file():
            sink.add(Diagnostic(f"cannot find '{target}' (looked at {resolved})", owner.loc(path), path))
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

