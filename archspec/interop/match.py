"""Pairing two models' slots by structure (trace.py gives the slots and their dataflow).

1. Each slot gets a *signature*: its kind, its tensors' shapes and, for convolutions, stride, dilation
   and groups. A 1x1 convolution (stride 1, one group) and a linear layer are both `dense` with an
   (out, in) weight: one may fill the other.
2. Each side's slots form a DAG (an edge from every slot to the slots that read its output). Labels
   refined as in Weisfeiler-Lehman (a slot's label, its inputs' labels and its readers' labels, hashed,
   a few rounds) tell apart slots with equal signatures by what surrounds them.
3. Each DAG is ordered canonically: Kahn's algorithm, the ready slot with the smallest (signature,
   label) first, ties by execution order. Isomorphic DAGs get corresponding orders whatever order their
   code defines or runs parallel branches in; a tie between look-alike parallel slots is resolved by
   execution order and reported as ambiguous.
4. The two orders are aligned (difflib, by signature and the signatures of the slot's inputs):
   aligned slots are paired, a run of slots that differ is paired in order, the rest have no
   counterpart. Every pair is then verified: equal signatures, and the pair's inputs map onto each other.

Without a model to trace (a bare state_dict), `pair_by_order` aligns the state_dicts' modules in key
order by their tensors' shapes: nothing about structure is checked, and the report says so.
"""
from __future__ import annotations

import difflib
import hashlib
import heapq

from .report import OURS, THEIRS, ImportReport, SlotPair, Unmatched
from .trace import INPUT, Slot, Trace

ROUNDS = 32  # label refinement rounds at most (enough to tell apart parallel branches of a block)


def _normal(slot: Slot, kinds: bool = True) -> tuple[str, list, list]:
    """(kind, attrs, shapes) as compared: a 1x1 conv (stride 1, one group) and a linear are both dense."""
    shapes = [tuple(shape) for _, shape in slot.tensors]
    kind = slot.kind if kinds else "?"
    attrs = {k: tuple(v) if isinstance(v, list) else v for k, v in sorted(slot.attrs.items())}
    weight = shapes[0] if shapes else ()
    pointwise = kind == "conv" and len(weight) > 2 and set(weight[2:]) == {1} and attrs.get("groups", 1) == 1 \
        and set(attrs.get("stride", (1,))) == {1} and set(attrs.get("dilation", (1,))) == {1}
    if kind == "linear" or pointwise or (not kinds and len(weight) > 2 and set(weight[2:]) == {1}):
        kind, attrs, shapes = ("dense" if kinds else "?"), {}, [weight[:2]] + shapes[1:]
    return kind, sorted(attrs.items()), shapes


def signature(slot: Slot, kinds: bool = True) -> str:
    """What must be equal for two slots to be paired, as a canonical string."""
    return repr(_normal(slot, kinds))


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


class _Dag:
    """One side's slots that ran, with inputs, readers, signatures, refined labels and canonical order."""

    def __init__(self, trace: Trace):
        self.slots = {s.name: s for s in trace.slots if s.order is not None}
        self.preds = {n: set(s.inputs) for n, s in self.slots.items()}
        self.succs: dict[str, set[str]] = {n: set() for n in [*self.slots, INPUT]}
        for name, inputs in self.preds.items():
            for p in inputs:
                self.succs.setdefault(p, set()).add(name)
        self.outputs = set(trace.outputs)
        for p in self.outputs:
            self.succs.setdefault(p, set()).add("<output>")
        self.sig = {n: signature(s) for n, s in self.slots.items()}
        self.label = self._refine()
        self.order, self.ties = self._kahn()

    def _refine(self) -> dict[str, str]:
        label = {n: _digest(sig) for n, sig in self.sig.items()}
        label[INPUT], label["<output>"] = "input", "output"
        distinct = len(set(label.values()))
        for _ in range(ROUNDS):
            new = {n: _digest("|".join([label[n], ",".join(sorted(label.get(p, p) for p in self.preds[n])),
                                        ",".join(sorted(label.get(s, s) for s in self.succs[n]))]))
                   for n in self.slots}
            new[INPUT], new["<output>"] = "input", "output"
            label, before, distinct = new, distinct, len(set(new.values()))
            if distinct == before:
                break
        return label

    def _kahn(self) -> tuple[list[str], list[list[str]]]:
        waiting = {n: len(self.preds[n] - {INPUT}) for n in self.slots}
        heap = [self._key(n) for n, count in waiting.items() if count == 0]
        heapq.heapify(heap)
        order, ties = [], []
        while heap:
            sig, label, _, name = heapq.heappop(heap)
            alike = [item[3] for item in heap if item[:2] == (sig, label)]
            if alike and not any(name in group for group in ties):
                ties.append([name] + sorted(alike, key=lambda n: self.slots[n].order))
            order.append(name)
            for reader in self.succs.get(name, ()):
                if reader in waiting:
                    waiting[reader] -= 1
                    if waiting[reader] == 0:
                        heapq.heappush(heap, self._key(reader))
        return order, ties

    def input_sigs(self, name: str) -> str:
        return "|".join(sorted(self.sig.get(p, p) for p in self.preds[name]))

    def _key(self, name: str) -> tuple:
        return (self.sig[name], self.label[name], self.slots[name].order, name)


def _mismatch(ours: Slot, theirs: Slot, kinds: bool = True) -> str | None:
    (kind_o, attrs_o, shapes_o), (kind_t, attrs_t, shapes_t) = _normal(ours, kinds), _normal(theirs, kinds)
    if (kind_o, attrs_o, shapes_o) == (kind_t, attrs_t, shapes_t):
        return None
    if kinds and ours.kind != theirs.kind and {ours.kind, theirs.kind} != {"conv", "linear"}:
        return f"kind differs: ours {ours.kind}, theirs {theirs.kind}"
    what = []
    if kinds and ours.attrs != theirs.attrs:
        what += [f"{k} {ours.attrs.get(k)} vs {theirs.attrs.get(k)}" for k in sorted({*ours.attrs, *theirs.attrs})
                 if ours.attrs.get(k) != theirs.attrs.get(k)]
    if [s for _, s in ours.tensors] != [s for _, s in theirs.tensors]:
        what.append(f"shape differs: ours {', '.join(f'{n} {tuple(s)}' for n, s in ours.tensors)}; "
                    f"theirs {', '.join(f'{n} {tuple(s)}' for n, s in theirs.tensors)}")
    return (f"{ours.kind} " if kinds else "") + "; ".join(what or ["differs"])


def _tensors(ours: Slot, theirs: Slot) -> list[tuple[str, str, tuple]]:
    """Tensor pairs of two paired slots: by local name when both use the same names, else by position."""
    theirs_by_name = dict(theirs.tensors)
    if sorted(theirs_by_name) == sorted(n for n, _ in ours.tensors):
        return [(ours.key(n), theirs.key(n), tuple(theirs_by_name[n])) for n, _ in ours.tensors]
    return [(ours.key(a), theirs.key(b), tuple(shape)) for (a, _), (b, shape) in zip(ours.tensors, theirs.tensors)]


def _align(ours: list[Slot], theirs: list[Slot], report: ImportReport, kinds: bool, why_alone: str,
           context: "tuple[_Dag, _Dag] | None" = None) -> dict:
    """Pairs aligned slots into report (problems from signatures), the rest unmatched; ours -> theirs names.
    With context (both DAGs), slots align first where their inputs' signatures agree too (so that an
    extra layer is not aligned with the one after it), then runs that differ by signature alone."""
    keys = [([signature(s, kinds) for s in ours], [signature(s, kinds) for s in theirs])]
    if context:
        keys.insert(0, ([f"{k}<-{context[0].input_sigs(s.name)}" for k, s in zip(keys[0][0], ours)],
                        [f"{k}<-{context[1].input_sigs(s.name)}" for k, s in zip(keys[0][1], theirs)]))
    paired: dict[str, str] = {}
    for o, t in _runs(list(range(len(ours))), list(range(len(theirs))), keys):
        if o is not None and t is not None:
            o, t = ours[o], theirs[t]
            paired[o.name] = t.name
            report.pairs.append(SlotPair(o.name, t.name, o.kind if kinds else "", _tensors(o, t), _mismatch(o, t, kinds)))
        elif o is not None:
            report.unmatched.append(Unmatched(OURS, ours[o].name, [ours[o].key(k) for k, _ in ours[o].tensors], why_alone))
        else:
            report.unmatched.append(Unmatched(THEIRS, theirs[t].name, [theirs[t].key(k) for k, _ in theirs[t].tensors],
                                              why_alone))
    return paired


def _runs(a: list[int], b: list[int], keys: list[tuple[list[str], list[str]]]):
    """(index in ours or None, index in theirs or None) in order: aligned by the first keys, runs that differ
    realigned by the next keys; a run of equal length on both sides is paired in order."""
    ka, kb = [keys[0][0][i] for i in a], [keys[0][1][j] for j in b]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            yield from zip(a[i1:i2], b[j1:j2])
        elif op == "replace" and len(keys) > 1:
            yield from _runs(a[i1:i2], b[j1:j2], keys[1:])
        else:
            yield from ((i, None) for i in a[i1:i2])
            yield from ((None, j) for j in b[j1:j2])


def _unused(trace: Trace, side: str, report: ImportReport) -> None:
    for s in trace.slots:
        if s.order is None:
            report.unmatched.append(Unmatched(side, s.name, [s.key(k) for k, _ in s.tensors],
                                              "not used by the forward pass (eval mode)"))


def pair_traces(ours: Trace, theirs: Trace, source: str) -> ImportReport:
    """Pair two traced models' slots by structure and verify every pair (see the module's doc)."""
    report = ImportReport(source)
    dag_o, dag_t = _Dag(ours), _Dag(theirs)
    paired = _align([dag_o.slots[n] for n in dag_o.order], [dag_t.slots[n] for n in dag_t.order], report, True,
                    "no counterpart in the other model's structure", (dag_o, dag_t))
    paired[INPUT] = INPUT
    for pair in report.pairs:
        if pair.problem is None:
            back = {t: o for o, t in paired.items()}
            ours_only = [p for p in dag_o.preds[pair.ours] if paired.get(p) not in dag_t.preds[pair.theirs]]
            theirs_only = [p for p in dag_t.preds[pair.theirs] if back.get(p) not in dag_o.preds[pair.ours]]
            if ours_only or theirs_only:
                pair.problem = "inputs differ: " + "; ".join(
                    [f"ours also reads {_names(ours_only)}"] * bool(ours_only) +
                    [f"theirs also reads {_names(theirs_only)}"] * bool(theirs_only))
    mapped_out = {paired.get(p, p) for p in dag_o.outputs}
    if mapped_out != dag_t.outputs:
        report.errors.append(f"outputs differ: ours come from {_names(dag_o.outputs)}, "
                            f"theirs from {_names(dag_t.outputs)}")
    _unused(ours, OURS, report)
    _unused(theirs, THEIRS, report)
    report.ambiguous = _ambiguous(dag_o, dag_t, paired)
    return report


def _ambiguous(dag_o: _Dag, dag_t: _Dag, paired: dict) -> list[str]:
    lines = []
    for group in dag_o.ties:
        theirs = [paired.get(n, "?") for n in group]
        lines.append(" | ".join(f"ours '{o}' = theirs '{t}'" for o, t in zip(group, theirs)))
    seen = {paired.get(n) for group in dag_o.ties for n in group}
    for group in dag_t.ties:
        if not seen & set(group):
            lines.append("theirs " + ", ".join(f"'{t}'" for t in group) + " look alike")
    return lines


def pair_by_order(ours: list[Slot], theirs: list[Slot], source: str) -> ImportReport:
    """Pair two state_dicts' modules in key order by their tensors' shapes (no structure is checked)."""
    report = ImportReport(source, structure_checked=False)
    _align(ours, theirs, report, False, "no counterpart in key order (by shapes)")
    return report


def _names(names) -> str:
    return ", ".join(f"'{n}'" for n in sorted(names)) or "nothing"
