"""Files that make one spec: `extends` (a variant overrides a base spec) and `imports` (block libraries).

    extends: inception_resnet_v2.yaml     # deep-merge this file over that one
    imports: [lib/inception.yaml]         # make that library's blocks available

Paths are relative to the file that writes them and must lie where a spec may read (see access.py).
Mappings merge key by key, lists are replaced, except `imports`, which accumulate; a plain value given
for an inherited parameter replaces its default. Every value keeps the location of the file it was
written in.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path as FsPath
from typing import Any

from ..errors import Diagnostic, Location, Path, SpecError
from ..limits import current as limits
from .access import check_file, may_quote, read_text, reading, reference, Refused
from .yamlsource import load_yaml_file, load_yaml_text, SourceDoc


def resolve_relative(doc: SourceDoc, path: Path, target: str) -> FsPath:
    """target, relative to the file that wrote it, resolved and checked to lie in a folder a spec may read
    (archspec.source.access; raises Refused); shown relative to the working directory when inside it."""
    resolved = reference(doc.loc(path).file, target)
    try:
        return resolved.relative_to(FsPath.cwd())
    except ValueError:
        return resolved


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def read_referenced(resolved: FsPath, target: str, where: Location, path: Path) -> SourceDoc:
    """The document of a file a spec names (a base or a library): a file that cannot be read is an error at
    the reference; one that is not text, or not YAML, an error in it that quotes none of its content."""
    try:
        text = read_text(resolved, target)
    except Refused as exc:
        at = Location(str(resolved), exc.line, exc.col) if exc.line else where
        raise SpecError([Diagnostic(exc.message, at, () if exc.line else path, exc.hint)]) from None
    try:
        return load_yaml_text(text, str(resolved))
    except SpecError as exc:  # YAML's messages quote a token (an alias, a character): not of a file we may not quote
        if may_quote(str(resolved)):
            raise
        raise SpecError([replace(d, message=_QUOTED.sub("'...'", d.message), hint=None) for d in exc.diagnostics]
                        ) from None


def _shift(marks: dict, prefix: Path, offset: int) -> dict:
    return {(p[:len(prefix)] + (p[len(prefix)] + offset,) + p[len(prefix) + 1:]
             if p[:len(prefix)] == prefix and len(p) > len(prefix) else p): loc for p, loc in marks.items()}


def merge(parent: SourceDoc, child: SourceDoc) -> SourceDoc:
    """The child document deep-merged over its parent, locations kept per value."""
    value_marks = {**parent.value_marks}
    key_marks = {**parent.key_marks}
    data = _merge_values(parent.data, child.data, ())
    parent_imports = parent.data.get("imports")
    imports_before = len(parent_imports) if isinstance(parent_imports, list) else 0
    child_marks = _shift(child.value_marks, ("imports",), imports_before)
    child_keys = _shift(child.key_marks, ("imports",), imports_before)
    for p, loc in child_marks.items():
        if p != ("imports",):
            value_marks[p] = loc
    key_marks.update(child_keys)
    child_params, parent_params = child.data.get("params"), parent.data.get("params")
    for name, decl in (child_params.items() if isinstance(child_params, dict) else ()):
        # a plain value replaces the default
        if not isinstance(decl, dict) and isinstance(parent_params, dict) and name in parent_params:
            value_marks[("params", name, "default")] = child.loc(("params", name))
    data.pop("extends", None)
    return SourceDoc(child.file, data, value_marks, key_marks)


def _merge_values(parent: Any, child: Any, path: Path) -> Any:
    if path == ("imports",) and isinstance(parent, list) and isinstance(child, list):
        return parent + child
    if path[:1] == ("params",) and len(path) == 2 and isinstance(parent, dict) and not isinstance(child, dict):
        return {**parent, "default": child}
    if isinstance(parent, dict) and isinstance(child, dict):
        out = dict(parent)
        for key, value in child.items():
            out[key] = _merge_values(parent[key], value, path + (key,)) if key in parent else value
        return out
    return child


def load_document(path: FsPath, keys: frozenset[str] = frozenset()) -> SourceDoc:
    """Read a spec file with the chain of files it extends, merged (unless in a load already, `path` is
    the file the user gave: see access.reading). keys: the top-level keys of a spec; a base with none of
    them is not a spec and is refused without quoting it. A loop, not recursion: the chain is bounded by
    limits().file_chain, not by Python's stack."""
    with reading(path):
        docs = [load_yaml_file(path)]
        chain = (str(FsPath(path).resolve()),)
        while isinstance(docs[-1].data, dict) and "extends" in docs[-1].data:
            parent_path, parent = _base(docs[-1], chain, keys | {"extends"})
            docs.append(parent)
            chain += (str(parent_path.resolve()),)
        doc = docs.pop()
        while docs:
            doc = merge(doc, docs.pop())
        return doc


def _base(doc: SourceDoc, chain: tuple[str, ...], keys: frozenset[str]) -> tuple[FsPath, SourceDoc]:
    """The file doc extends, and its document (not yet merged with what it extends)."""
    target = doc.data["extends"]
    where = doc.loc(("extends",))
    if not isinstance(target, str):
        raise SpecError([Diagnostic("extends takes the path of one spec file", where, ("extends",))])
    try:
        parent_path = resolve_relative(doc, ("extends",), target)
        if str(parent_path.resolve()) not in chain:
            check_file(parent_path, target)
    except Refused as exc:
        raise SpecError([Diagnostic(exc.message, where, ("extends",), exc.hint)]) from None
    if str(parent_path.resolve()) in chain:
        raise SpecError([Diagnostic(f"'{target}' extends itself", where, ("extends",))])
    if len(chain) >= limits().file_chain:
        raise SpecError([Diagnostic(f"extends more than {limits().file_chain} files deep (limit file_chain)", where,
                                    ("extends",))])
    parent = read_referenced(parent_path, target, where, ("extends",))
    if not looks_like(parent.data, keys):
        raise SpecError([Diagnostic(f"'{target}' is not a spec (a mapping with name, input, network, ...)", where,
                                    ("extends",))])
    return parent_path, parent


def looks_like(data: Any, keys: frozenset[str]) -> bool:
    """Whether a file the user did not name (a base, a library) may be read as a document with these
    top-level keys: a mapping, empty or with at least one of them. Anything else (a password file, a
    list, text) is refused whole, so that no message repeats what is in it."""
    return isinstance(data, dict) and (not data or len(keys) <= 1 or bool(keys & set(data)))
