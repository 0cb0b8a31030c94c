"""Files that make one spec: `extends` (a variant overrides a base spec) and `imports` (block libraries).

    extends: inception_resnet_v2.yaml     # deep-merge this file over that one
    imports: [lib/inception.yaml]         # make that library's blocks available

Paths are relative to the file that writes them. Mappings merge key by key, lists are replaced,
except `imports`, which accumulate; a plain value given for an inherited parameter replaces its
default. Every value keeps the location of the file it was written in.
"""
from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

from ..errors import Diagnostic, Path, SpecError
from ..limits import current as limits
from .yamlsource import load_yaml_file, SourceDoc


def resolve_relative(doc: SourceDoc, path: Path, target: str) -> FsPath:
    """target, relative to the file that wrote it; shown relative to the working directory when inside it."""
    written_in = doc.loc(path).file
    resolved = (FsPath(written_in).parent / target).resolve()
    try:
        return resolved.relative_to(FsPath.cwd())
    except ValueError:
        return resolved


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


def load_document(path: FsPath, chain: tuple[str, ...] = ()) -> SourceDoc:
    """Read a spec file, resolving `extends` recursively."""
    doc = load_yaml_file(path)
    if not isinstance(doc.data, dict) or "extends" not in doc.data:
        return doc
    target = doc.data["extends"]
    where = doc.loc(("extends",))
    if not isinstance(target, str):
        raise SpecError([Diagnostic("extends takes the path of one spec file", where, ("extends",))])
    parent_path = resolve_relative(doc, ("extends",), target)
    if str(parent_path.resolve()) in chain + (str(FsPath(path).resolve()),) or len(chain) > limits().file_chain:
        raise SpecError([Diagnostic(f"'{target}' extends itself", where, ("extends",))])
    if not parent_path.is_file():
        raise SpecError([Diagnostic(f"cannot find '{target}' (looked at {parent_path})", where, ("extends",))])
    parent = load_document(parent_path, chain + (str(FsPath(path).resolve()),))
    if not isinstance(parent.data, dict):
        raise SpecError([Diagnostic(f"'{target}' is not a spec", where, ("extends",))])
    return merge(parent, doc)
