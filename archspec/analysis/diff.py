"""What changed between two compiled specs: parameters, block definitions and uses, stages, counts."""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

import networkx as nx

from .report import CONVENTION, totals
from .shape_text import text_shape
from ..ir.scopes import stages
from .structure import outermost_block_uses, signature


DIFF_VERSION = 1  # the JSON format's version (docs/summary.md): raised when a key changes meaning or goes away


class _Missing:
    """A parameter one of the two specs does not declare: '-' in tables, null in JSON."""

    def __str__(self) -> str:
        return "-"

    __repr__ = __str__


MISSING = _Missing()


def json_value(value):
    """A parameter value as JSON data: scalars and lists as they are, MISSING as None, anything else as text."""
    if value is MISSING:
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


@dataclass(frozen=True)
class Stage:
    """A top-level item of a network: its block (or op), repeat count, output shape and counts."""

    name: str
    block: str
    count: int
    output: tuple[int, ...]
    params: int
    macs: int

    def to_dict(self) -> dict:
        return {"block": self.block, "count": self.count, "output_shape": list(self.output), "params": self.params,
                "macs": self.macs}


@dataclass
class StageDiff:
    name: str
    status: str  # 'same', 'changed', 'added', 'removed'
    a: Stage | None
    b: Stage | None
    changes: list[str] = field(default_factory=list)

    @property
    def params_delta(self) -> int:
        return (self.b.params if self.b else 0) - (self.a.params if self.a else 0)

    @property
    def macs_delta(self) -> int:
        return (self.b.macs if self.b else 0) - (self.a.macs if self.a else 0)


@dataclass
class BlockDiff:
    name: str
    status: str  # 'added', 'removed', 'definition changed', 'uses changed', 'same'
    uses: tuple[int, int]
    changes: list[str] = field(default_factory=list)


@dataclass
class SpecDiff:
    a: str
    b: str
    params: tuple[int, int]
    macs: tuple[int, int]
    values: list[tuple[str, object, object]]  # parameter values that differ: (name, value in A, value in B)
    blocks: list[BlockDiff]
    stages: list[StageDiff]

    @property
    def changed(self) -> bool:
        return bool(self.values or any(b.status != "same" for b in self.blocks)
                    or any(s.status != "same" for s in self.stages))

    def to_dict(self) -> dict:
        """The JSON form `archspec diff --json` prints (docs/summary.md): output shapes as lists (C, H, W)."""
        (pa, pb), (ma, mb) = self.params, self.macs
        return {"version": DIFF_VERSION, "a": self.a, "b": self.b, "changed": self.changed,
                "params": {"a": pa, "b": pb, "delta": pb - pa}, "macs": {"a": ma, "b": mb, "delta": mb - ma},
                "flops": {"a": 2 * ma, "b": 2 * mb, "delta": 2 * (mb - ma)},
                "values": [{"name": k, "a": json_value(va), "b": json_value(vb)} for k, va, vb in self.values],
                "blocks": [{"name": b.name, "status": b.status, "uses": {"a": b.uses[0], "b": b.uses[1]},
                            "changes": list(b.changes)} for b in self.blocks],
                "stages": [{"name": s.name, "status": s.status, "changes": list(s.changes),
                            "a": s.a.to_dict() if s.a else None, "b": s.b.to_dict() if s.b else None,
                            "params_delta": s.params_delta, "macs_delta": s.macs_delta} for s in self.stages],
                "convention": CONVENTION}


def diff_stages_of(graph: nx.DiGraph) -> list[Stage]:
    """The top-level stages (scopes.stages) with what a diff compares: block (or op), repeats, output, counts."""
    return [Stage(s.name, s.what, s.count, s.output, s.params, s.macs) for s in stages(graph)]


def _stage_changes(a: Stage, b: Stage) -> list[str]:
    changes = []
    if a.block != b.block:
        changes.append(f"block {a.block} -> {b.block}")
    if a.count != b.count:
        changes.append(f"repeats {a.count} -> {b.count}")
    if a.output != b.output:
        changes.append(f"output {text_shape(a.output)} -> {text_shape(b.output)}")
    if not changes and (a.params, a.macs) != (b.params, b.macs):
        changes.append("widths or layers inside changed")
    return changes


def diff_stages(a: list[Stage], b: list[Stage]) -> list[StageDiff]:
    """Stages aligned by name (difflib on the name sequences)."""
    out: list[StageDiff] = []
    matcher = difflib.SequenceMatcher(a=[s.name for s in a], b=[s.name for s in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for sa, sb in zip(a[i1:i2], b[j1:j2]):
                changes = _stage_changes(sa, sb)
                out.append(StageDiff(sa.name, "changed" if changes else "same", sa, sb, changes))
            continue
        out += [StageDiff(s.name, "removed", s, None, [f"{s.block} x{s.count}" if s.count > 1 else s.block])
                for s in a[i1:i2]]
        out += [StageDiff(s.name, "added", None, s, [f"{s.block} x{s.count}" if s.count > 1 else s.block])
                for s in b[j1:j2]]
    return out


def _block_instances(graph: nx.DiGraph) -> dict[str, list[tuple]]:
    """block name -> the structure (with widths) of each outermost use, in order."""
    out: dict[str, list[tuple]] = {}
    for scope in outermost_block_uses(graph):
        if scope.kind == "block":
            out.setdefault(scope.key, []).append(signature(graph, scope, widths=True))
    return out


def diff_blocks(spec_a, graph_a: nx.DiGraph, spec_b, graph_b: nx.DiGraph) -> list[BlockDiff]:
    """Every block defined or used by either spec: added, removed, definition changed, uses changed or same."""
    uses_a, uses_b = _block_instances(graph_a), _block_instances(graph_b)
    names = list(dict.fromkeys([*spec_a.blocks, *spec_b.blocks]))
    out = []
    for name in names:
        ia, ib = uses_a.get(name, []), uses_b.get(name, [])
        counts = (len(ia), len(ib))
        if name not in spec_b.blocks:
            out.append(BlockDiff(name, "removed", counts))
        elif name not in spec_a.blocks:
            out.append(BlockDiff(name, "added", counts))
        elif spec_a.blocks[name].definition.model_dump() != spec_b.blocks[name].definition.model_dump():
            out.append(BlockDiff(name, "definition changed", counts, _uses_changes(ia, ib)))
        else:
            changes = _uses_changes(ia, ib)
            out.append(BlockDiff(name, "uses changed" if changes else "same", counts, changes))
    return out


def _uses_changes(ia: list[tuple], ib: list[tuple]) -> list[str]:
    """Use counts, and how many of B's uses are built like none of A's (compared as multisets)."""
    changes = []
    if len(ia) != len(ib):
        changes.append(f"uses {len(ia)} -> {len(ib)}")
    new = sum((Counter(ib) - Counter(ia)).values())
    if new:
        changes.append(f"{new} of {len(ib)} uses in B are built like no use in A (widths, strides or layers)")
    return changes


def diff_values(spec_a, spec_b) -> list[tuple[str, object, object]]:
    """(name, A's value, B's value) for every parameter whose value differs (MISSING where one lacks it)."""
    a, b = dict(spec_a.params), dict(spec_b.params)
    out = []
    for key in dict.fromkeys([*a, *b]):
        va, vb = a.get(key, MISSING), b.get(key, MISSING)
        if (va is MISSING) != (vb is MISSING) or str(va) != str(vb):
            out.append((key, va, vb))
    return out


def diff_specs(spec_a, graph_a: nx.DiGraph, spec_b, graph_b: nx.DiGraph) -> SpecDiff:
    """Compare two compiled specs (the same file with different --set values works too)."""
    pa, ma = totals(graph_a)
    pb, mb = totals(graph_b)
    return SpecDiff(spec_a.name, spec_b.name, (pa, pb), (ma, mb), diff_values(spec_a, spec_b),
                    diff_blocks(spec_a, graph_a, spec_b, graph_b), diff_stages(diff_stages_of(graph_a), diff_stages_of(graph_b)))
