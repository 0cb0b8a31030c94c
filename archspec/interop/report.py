"""What a weight import matched, what it did not and why: `ImportReport` (archspec.import_weights)."""
from __future__ import annotations

from dataclasses import dataclass, field

OURS, THEIRS = "ours", "theirs"


@dataclass
class SlotPair:
    """One of our slots (a module owning tensors) paired with one of theirs. tensors: (our key, their key,
    their shape) for every tensor; problem: why the pair cannot be loaded (None: it can)."""
    ours: str
    theirs: str
    kind: str
    tensors: list[tuple[str, str, tuple[int, ...]]] = field(default_factory=list)
    problem: str | None = None


@dataclass
class Unmatched:
    """A slot of one side that has no counterpart on the other: which side, its tensors' keys, why."""
    side: str
    slot: str
    keys: list[str]
    reason: str


@dataclass
class ImportReport:
    """The outcome of archspec.import_weights. `ok`: every tensor on both sides paired, with equal
    shapes (a linear weight may fill a 1x1 conv), kinds and inputs. `structure_checked` is False
    when only a state_dict was given (tensors were paired by key order and shape, not by dataflow).
    `errors`: problems of the whole (the outputs come from other slots, a state_dict that is not the
    one its trace describes). `ambiguous` lists parallel slots that look alike (equal kinds and shapes up and downstream) and
    were paired in execution order. `loaded`: the tensors were copied into the model."""
    source: str
    pairs: list[SlotPair] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    structure_checked: bool = True
    loaded: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        """Every reason the import is not complete, one line each: problems of the whole, pairs that differ,
        slots without a counterpart, then pairs whose only problem is an input that differs (a consequence)."""
        def pair(p: SlotPair) -> str:
            return f"ours '{p.ours}' / theirs '{p.theirs}': {p.problem}"
        differ = [pair(p) for p in self.pairs if p.problem and not p.problem.startswith("inputs")]
        alone = [f"{u.side} '{u.slot}' ({', '.join(_leaf(k) for k in u.keys)}): {u.reason}" for u in self.unmatched]
        inputs = [pair(p) for p in self.pairs if p.problem and p.problem.startswith("inputs")]
        return self.errors + differ + alone + inputs

    def mapping(self) -> dict[str, str]:
        """{our state_dict key: their key} for every tensor of every pair without a problem."""
        return {ours: theirs for p in self.pairs if not p.problem for ours, theirs, _ in p.tensors}

    def counts(self) -> dict[str, int]:
        good = [p for p in self.pairs if not p.problem]
        return {"pairs": len(good), "tensors": sum(len(p.tensors) for p in good),
                "problem_pairs": len(self.pairs) - len(good),
                "unmatched_ours": sum(u.side == OURS for u in self.unmatched),
                "unmatched_theirs": sum(u.side == THEIRS for u in self.unmatched)}

    def summary(self) -> str:
        c = self.counts()
        how = "by structure (dataflow, kinds, shapes)" if self.structure_checked else \
            "by key order and shape only: structure NOT checked (no module or trace was given)"
        state = "loaded" if self.loaded else "not loaded"
        return (f"import from {self.source}: {c['pairs']} slots ({c['tensors']} tensors) matched {how}; "
                f"{c['problem_pairs']} paired with a problem, {c['unmatched_ours']} of ours and "
                f"{c['unmatched_theirs']} of theirs without a counterpart; {state}")

    def table(self, pairs: bool = False) -> str:
        """A plain-text table: the problems (and with pairs=True every matched pair)."""
        rows = [("status", "ours", "theirs", "kind / reason")]
        if pairs:
            rows += [("ok", p.ours, p.theirs, p.kind) for p in self.pairs if not p.problem]
        rows += [("MISMATCH", p.ours, p.theirs, p.problem) for p in self.pairs if p.problem]
        rows += [("UNMATCHED", u.slot if u.side == OURS else "-", u.slot if u.side == THEIRS else "-", u.reason)
                 for u in self.unmatched]
        if len(rows) == 1:
            return ""
        widths = [max(len(str(r[i])) for r in rows[:200]) for i in range(3)]
        return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(r[:3], widths)) + "  " + str(r[3])
                         for r in rows).rstrip()

    def __str__(self) -> str:
        parts = [self.summary()]
        parts += [f"error: {e}" for e in self.errors] + [f"note: {n}" for n in self.notes]
        parts += [f"ambiguous (paired in execution order): {a}" for a in self.ambiguous]
        table = self.table()
        return "\n".join(parts + ([table] if table else []))


def _leaf(key: str) -> str:
    return key.rpartition(".")[2]
