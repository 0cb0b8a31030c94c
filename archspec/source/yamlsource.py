"""Safe YAML loading that remembers where every value came from.

Only the plain YAML types are accepted (mappings, sequences, strings, numbers, booleans, null).
Tags that would construct objects are refused, duplicate keys are refused, and anchors/aliases are
expanded only within a fixed budget of nodes so that a small file can never blow up.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from ..errors import Diagnostic, Location, Path, SpecError, SpecValueError
from ..limits import current as limits
from .scalars import construct_scalar, LOADER as _LOADER
from .access import read_text, Refused

_Y = "tag:yaml.org,2002:"


@dataclass
class SourceDoc:
    """Plain data from YAML plus the location of every value and mapping key.

    Locations are per path, so a document merged from several files (`extends`) still points
    every value at the file it was written in."""

    file: str
    data: Any
    value_marks: dict[Path, Location] = field(default_factory=dict)
    key_marks: dict[Path, Location] = field(default_factory=dict)

    def loc(self, path: Path, *, key: bool = False) -> Location:
        """Location of the value (or the key) at path, else of its nearest located ancestor."""
        path = tuple(path)
        while True:
            if key and path in self.key_marks:
                return self.key_marks[path]
            if path in self.value_marks:
                return self.value_marks[path]
            if not path:
                return Location(self.file, 1, 1)
            path = path[:-1]


class _Budget(Exception):
    pass


class _Converter:
    def __init__(self, doc: SourceDoc):
        self.doc = doc
        self.count = 0
        self.errors: list[Diagnostic] = []

    def _mark(self, node: yaml.Node) -> Location:
        return Location(self.doc.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def _error(self, node: yaml.Node, path: Path, message: str, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(message, self._mark(node), path, hint))

    def convert(self, node: yaml.Node, path: Path, depth: int = 0) -> Any:
        self.count += 1
        if self.count > limits().yaml_nodes or depth > limits().yaml_depth:
            raise _Budget(node)
        self.doc.value_marks.setdefault(path, self._mark(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _Y + "seq":
                self._error(node, path, f"YAML tag '{node.tag}' is not allowed", "specs hold plain data only")
                return None
            return [self.convert(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            if node.tag != _Y + "map":
                self._error(node, path, f"YAML tag '{node.tag}' is not allowed", "specs hold plain data only")
                return None
            return self._mapping(node, path, depth)
        raise AssertionError(node)  # pragma: no cover

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        try:
            return construct_scalar(node)  # numbers checked; an unquoted date is its text
        except SpecValueError as exc:
            self._error(node, path, exc.message, exc.hint)
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict:
        out: dict = {}
        merged_keys: set = set()  # keys a `<<` merge brought in; keys written in the mapping override them
        for key_node, value_node in node.value:
            if key_node.tag == _Y + "merge":
                merged = self.convert(value_node, path + ("<<",), depth + 1)
                for source in merged if isinstance(merged, list) else [merged]:
                    if isinstance(source, dict):
                        for k, v in source.items():
                            if k not in out:
                                out[k] = v
                                merged_keys.add(k)
                    else:
                        self._error(value_node, path, "'<<' merges mappings only")
                continue
            key = self.convert(key_node, path + ("<key>",), depth + 1) if not isinstance(
                key_node, yaml.ScalarNode) else self._scalar(key_node, path)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                self._error(key_node, path, "mapping keys must be plain scalars")
                continue
            key = str(key) if not isinstance(key, str) else key
            child = path + (key,)
            if key in out and key not in merged_keys:
                self._error(key_node, child, f"duplicate key '{key}'")
                continue
            merged_keys.discard(key)
            self.doc.key_marks[child] = self._mark(key_node)
            out[key] = self.convert(value_node, child, depth + 1)
        return out


def load_yaml_text(text: str, file: str) -> SourceDoc:
    """Parse YAML text safely into a SourceDoc; raise SpecError on any problem."""
    doc = SourceDoc(file=file, data=None)
    if len(text.encode("utf-8", "replace")) > limits().file_bytes:
        raise SpecError([Diagnostic(f"file is larger than {limits().file_bytes:,} bytes (limit file_bytes)",
                                    Location(file, 1, 1))])
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise SpecError([Diagnostic(f"invalid YAML: {message}", loc)]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: at its line:col, not "position N"
        raise SpecError([Diagnostic(f"invalid YAML: unacceptable character #x{exc.character:04x}: {exc.reason}",
                                    Location(file, *_position(text, exc.character)))]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Diagnostic(f"invalid YAML: {exc}", Location(file, 1, 1))]) from None
    except RecursionError:
        raise SpecError([Diagnostic("invalid YAML: nesting is too deep", Location(file, 1, 1))]) from None
    if node is None:
        raise SpecError([Diagnostic("the file is empty", Location(file, 1, 1))])
    converter = _Converter(doc)
    try:
        doc.data = converter.convert(node, ())
    except _Budget as exc:
        bad = exc.args[0]
        raise SpecError([Diagnostic(
            f"document expands to more than {limits().yaml_nodes:,} nodes or {limits().yaml_depth} levels "
            "(limits yaml_nodes, yaml_depth)",
            Location(file, bad.start_mark.line + 1, bad.start_mark.column + 1),
            hint="anchors and aliases are expanded; refusing a document that grows this large")]) from None
    if converter.errors:
        raise SpecError(converter.errors)
    return doc


def _position(text: str, character: int) -> tuple[int, int]:
    """line and column (1-based) of the first occurrence of a character in text (1, 1 if absent): the one
    the YAML reader refused, which stops at the first."""
    at = text.find(chr(character))
    if at < 0:
        return 1, 1
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def load_yaml_file(path: str | FsPath) -> SourceDoc:
    """Read and parse a YAML file; a file that cannot be read (missing, not a regular file, too large,
    not UTF-8) is a located SpecError that quotes nothing of it."""
    path = FsPath(path)
    try:
        text = read_text(path)
    except Refused as exc:
        raise SpecError([Diagnostic(exc.message, Location(str(path), exc.line or 1, exc.col or 1), (),
                                    exc.hint)]) from None
    return load_yaml_text(text, str(path))
