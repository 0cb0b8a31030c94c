"""Checking: passes over the syntax tree that find every structural mistake of a spec at once,
before anything is built and whether a block is used or not.

There are no values here, only names. Each item of the network, the head and every block body is
checked in the scope it is written in (the spec's parameters and `let` names, or the block's
parameters; the built-ins in_ch, in_h, in_w; loop variables):

- names: every op, block and `$param` item names something that exists (with did-you-mean);
- arguments: keys against each op's or composite's argument model, literal values against their
  types and bounds, expressions on their syntax and free names (their values are judged when
  expanding: archspec.language.values.NotYetKnown);
- block uses: parameters given against those declared, required ones present, literals typed;
- modifiers: first/last only on repeats, literal repeat counts in range, `when:` and `repeat:`
  expressions over names in scope; `name:` not taken twice in one scope;
- recursion: no block uses itself, directly or through others (`$param` uses are judged when
  expanding, where the block they name is known).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from . import schema as L
from .arguments import merged_args, validate, with_bn_defaults
from ..errors import Diagnostic, DiagnosticSink, Path, SpecValueError, did_you_mean
from ..limits import current as limits, meter
from .items import COMPOSITES, PRIMITIVES
from .ids import IdTable
from .reserved import reserved_name
from .naming import item_name, join, Namer
from .params import bind
from .syntax import Aux, BlockUse, items_in, Loop, Merge, Node, OpItem, Residual, Seq
from .expr import NODES_PER_STEP
from .values import evaluate_value, NotYetKnown
from .walk import BlockRef
from ..source.yamlsource import SourceDoc


@dataclass(frozen=True)
class Scope:
    """What an item can see while checking: its file, the names in scope, its file's defaults."""

    doc: SourceDoc
    names: frozenset[str]
    defaults: dict
    block_params: frozenset[str] = frozenset()
    ids: IdTable | None = field(default=None, compare=False, hash=False)  # the ids of the body being checked

    def context(self) -> dict:
        """The validation context that judges expressions on their names only."""
        return {"names": self.names}


class Checker:
    """Runs the checks over item lists; every mistake goes to the sink."""

    def __init__(self, blocks: dict[str, BlockRef], sink: DiagnosticSink):
        self.blocks, self.sink = blocks, sink
        self.meter, self._work = meter(), limits().work  # what this check has spent (see spend())
        self._known: list[str] | None = None  # the op, composite and block names (did-you-mean), made once
        self._block_names = frozenset(blocks)

    def spend(self, scope: Scope, path: Path, units: int = 1) -> None:
        """Charge the `work` limit: an item, an expression; past it, end the check with an error at path."""
        self.meter.work += units
        if self.meter.work > self._work:
            self.sink.stop(Diagnostic(f"checking this spec takes more than {self._work:,} steps (limit work); "
                                      "refusing it", scope.doc.loc(path), path, "each item and expression is a step, "
                                      f"a long expression one more per {NODES_PER_STEP} of its numbers, names and "
                                      "operations"))

    def error(self, scope: Scope, path: Path, message: str, hint: str | None = None, *, key: bool = False) -> None:
        """Report a mistake at path (the key itself with key=True). Past the work limit (which an
        expression's own charge reports as a mistake), end the check at path instead."""
        self.spend(scope, path, 0)
        self.sink.add(Diagnostic(message, scope.doc.loc(path, key=key), path, hint))

    def vet(self, raw: Any, kind: type, path: Path, scope: Scope) -> tuple[bool, Any]:
        """(no mistake, the literal's value or None for an expression)."""
        self.spend(scope, path)
        try:
            return True, evaluate_value(raw, scope.context(), kind)
        except NotYetKnown:
            return True, None
        except SpecValueError as exc:
            self.error(scope, path, exc.message, exc.hint)
            return False, None

    def validate(self, model, data: Any, sources: dict, base: Path, scope: Scope) -> bool:
        """Judge data against an argument model by names; False (reported) when it has mistakes."""
        self.spend(scope, base, 1 + (len(data) if isinstance(data, dict) else 1))
        result, diagnostics = validate(model, data, sources, base, scope.doc, scope.context())
        if diagnostics:
            self.spend(scope, base, 0)  # an expression went past the work limit: end here (see error())
        for diag in diagnostics:
            self.sink.add(diag)
        return not diagnostics

    def run_checks(self, checks: list, owner: Path, scope: Scope) -> None:
        """`checks:` rules read only names in scope."""
        for j, rule in enumerate(checks):
            self.vet(rule.that, bool, owner + ("checks", j, "that"), scope)

    # ------------------------------------------------------------------ items
    def body(self, seq: Seq | None, prefix: str, scope: Scope) -> None:
        """A whole item list (the network, the head, a block body): a naming scope of its own."""
        self.seq(seq, prefix, scope, Namer())

    def seq(self, seq: Seq | None, prefix: str, scope: Scope, namer: Namer) -> None:
        """Every item of a list, named as expansion names them (to find a `name:` taken twice)."""
        if seq is None:
            return
        for node in seq.items:
            name, transparent, free = item_name(namer, prefix, node, seq.numbered)
            if not free:
                self.error(scope, node.path + ("name",), f"the name '{node.mods.name}' is used twice in this scope",
                           "give one of the items another `name:`")
            if not transparent:
                self.reserved(node, name[len(prefix) + 1:] if prefix else name, prefix == "", scope)
            self.item(node, name if not transparent else prefix, scope, namer)

    def reserved(self, node: Node, local: str, top_level: bool, scope: Scope) -> None:
        """An item's name must not be an attribute its parent module already has (`training`, `forward`)."""
        why = reserved_name(local, top_level)
        if why is None:
            return
        mods = node.mods
        where = node.path + ("name",) if mods.name else node.path + ("id",) if mods.id else node.key_path
        self.error(scope, where, f"{why}, so no item can be named that",
                   "give the item another `name:`" if mods.name else "give the item a `name:` (or another id)"
                   if mods.id else "give the item a `name:`",
                   key=not (mods.name or mods.id))

    def id_table(self, lists: list[Seq | None], inputs: tuple[str, ...], doc: SourceDoc) -> IdTable:
        """The table of ids for one block body (or the network and its head), reporting in doc."""
        return IdTable(lists, inputs, self.blocks,
                       lambda path, message, hint=None: self.sink.add(Diagnostic(message, doc.loc(path), path, hint)))

    def item(self, node: Node, prefix: str, scope: Scope, namer: Namer) -> None:
        """One item: what its `from:` reads, the item, then its `id:` is given."""
        self.spend(scope, node.path)
        if scope.ids is not None:
            scope.ids.check_refs(node)
        self._item(node, prefix, scope, namer)
        if scope.ids is not None:
            scope.ids.define(node)

    def _item(self, node: Node, prefix: str, scope: Scope, namer: Namer) -> None:
        """Its modifiers, then the item with each of its first/last overrides."""
        mods = node.mods
        if isinstance(node, Aux) and (mods.refs is not None or mods.id is not None):
            self.error(scope, node.path + ("from" if mods.refs is not None else "id",),
                       "an `aux` branch reads the tensor at its place and hands it on unchanged: it takes no "
                       "`from:` or `id:`", "put `from:` or `id:` on the items around it")
            return
        if mods.repeat is not None and isinstance(node, Merge) and not node.branches:
            self.error(scope, mods.repeat.path, f"a '{node.key}' of `from:` tensors cannot be repeated: every "
                                                "instance would read the same tensors",
                       "repeat the items around it with `for`, as the dense connectivity pattern does")
            return
        if mods.repeat is None and (mods.first or mods.last):
            self.error(scope, node.path + ("first" if mods.first else "last",),
                       "first/last apply to repeated items only", "add repeat: N or an xN suffix")
            return
        if mods.when is not None:
            when = mods.when.value
            self.vet(when if isinstance(when, (bool, str)) else repr(when), bool, mods.when.path, scope)
        if mods.repeat is not None:
            ok, count = self.vet(mods.repeat.value, int, mods.repeat.path, scope)
            if ok and count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                             or not 1 <= count <= limits().repeat):
                self.error(scope, mods.repeat.path, f"repeat must be a whole number from 1 to {limits().repeat:,} "
                                                    f"(limit repeat), got {count!r}")
                ok = False
            if not ok:
                return
            prefix = join(prefix, "0")  # instances are named under the item; one stands for all
        sides = [side for side in (mods.first, mods.last) if side] or [{}]
        for side in sides:  # the first and the last instance take their own overrides
            self.one(node, prefix, scope, namer, {k: (a.value, a.path) for k, a in side.items()})

    def one(self, node: Node, prefix: str, scope: Scope, namer: Namer, overrides: dict) -> None:
        """Dispatch on the kind of item."""
        if isinstance(node, OpItem):
            self.op(node, scope, overrides)
        elif isinstance(node, BlockUse):
            self.block_use(node, scope, overrides)
        elif overrides:
            self.error(scope, node.path, f"first/last overrides do not apply to '{node.key}'")
        elif isinstance(node, Seq):
            self.seq(node, prefix, scope, namer)
        elif isinstance(node, Merge):
            for branch in node.branches:
                if branch.item is not None:
                    self.item(branch.item, namer.part(prefix, branch.label), scope, namer)
            namer.part(prefix, node.key)  # the merge node's own name, as expansion claims it
        elif isinstance(node, Residual):
            self.residual(node, prefix, scope, namer)
        elif isinstance(node, Aux):
            if self.validate(L.AuxArgs, node.options, {}, node.key_path, scope):
                self.seq(node.body, prefix, scope, namer)
        elif isinstance(node, Loop):
            self.loop(node, prefix, scope, namer)

    def op(self, node: OpItem, scope: Scope, overrides: dict) -> None:
        """A primitive's arguments (over the file's defaults) against its argument model."""
        data, sources = merged_args(node, scope.defaults, overrides)
        if node.key == "conv":
            self.validate(PRIMITIVES["conv"].model, with_bn_defaults(data, sources, scope.defaults), sources,
                          node.key_path, scope)
        else:
            self.validate(PRIMITIVES[node.key].model, data, sources, node.key_path, scope)

    def block_use(self, node: BlockUse, scope: Scope, overrides: dict) -> None:
        """The block (or `$param`) exists; the arguments match its declared parameters."""
        if node.param is not None:
            if node.param not in scope.block_params:
                self.error(scope, node.key_path, f"'{node.key}' does not name a parameter of type block",
                           did_you_mean(node.param, scope.block_params), key=True)
            return
        block = self.blocks.get(node.key)
        if block is None:
            if self._known is None:
                self._known = list(PRIMITIVES) + list(COMPOSITES) + list(self.blocks)
            self.error(scope, node.key_path, f"unknown op or block '{node.key}'",
                       did_you_mean(node.key, self._known) or "see `archspec blocks` for the blocks this spec defines",
                       key=True)
            return
        if node.given is not None and not isinstance(node.given, dict):
            self.error(scope, node.key_path, f"block '{block.name}' takes a mapping of parameters, got {node.given!r}")
            return
        given = {**{k: (a.value, a.path) for k, a in node.args.items()}, **overrides}
        bind(block.definition.params, given, scope.context(),
             lambda path, message, hint, key=False: self.error(scope, path, message, hint, key=key),
             node.key_path, f"block '{block.name}'", self._block_names)

    def residual(self, node: Residual, prefix: str, scope: Scope, namer: Namer) -> None:
        """residual's options, its item lists and the projection an `auto` shortcut may insert."""
        if not self.validate(L.ResidualArgs, node.options, {}, node.key_path, scope):
            return
        base, options = node.key_path, node.options
        self.seq(node.preact, namer.part(prefix, "preact") if node.preact else prefix, scope, namer)
        self.seq(node.body, prefix, scope, namer)
        shortcut = options.get("shortcut", "auto")
        if isinstance(shortcut, list):
            self.seq(node.shortcut, namer.part(prefix, "shortcut"), scope, namer)
        elif shortcut == "auto":  # the projection's arguments, as the conv it may become
            projection = options.get("projection", {})
            sources = {(k,): base + ("projection", k) for k in projection}
            data = {**scope.defaults.get("conv", ({}, ()))[0], "out": 1, "kernel": 1, **projection}
            self.validate(PRIMITIVES["conv"].model, with_bn_defaults(data, sources, scope.defaults), sources,
                          base + ("shortcut",), scope)
        elif shortcut not in L.SHORTCUTS:
            self.error(scope, base + ("shortcut",), L.bad_shortcut(shortcut))
        namer.part(prefix, "add")  # the addition's own name, as expansion claims it

    def loop(self, node: Loop, prefix: str, scope: Scope, namer: Namer) -> None:
        """for's options; its body sees the loop variable and counter."""
        if not self.validate(L.ForArgs, node.options, {}, node.key_path, scope):
            return
        each, index = node.options["each"], node.options.get("index", "i")
        if isinstance(node.options["in"], str):
            self.vet(node.options["in"], object, node.key_path + ("in",), scope)
        inner = replace(scope, names=scope.names | {each, index})
        self.seq(node.do, namer.part(prefix, "0"), inner, namer)

    # ------------------------------------------------------------------ recursion
    def recursion(self, roots: list[Seq | None]) -> None:
        """Report each block use that closes a cycle of blocks, with the chain from the outermost use (a
        walk with its own stack: a chain of thousands of blocks must not exhaust Python's)."""
        done: set[str] = set()

        def visit(start: BlockRef) -> None:
            chain, stack = [start.name], [(start, iter(block_uses(start.body)))]
            on_chain = {start.name}
            while stack:
                block, uses = stack[-1]
                use = next(uses, None)
                if use is None:
                    stack.pop()
                    on_chain.discard(chain[-1])
                    done.add(chain.pop())
                elif use.key in on_chain:
                    self.sink.add(Diagnostic(f"block '{use.key}' uses itself ({chain_text(chain, use.key)})",
                                             block.doc.loc(use.key_path, key=True), use.key_path))
                elif use.key in self.blocks and use.key not in done:
                    chain.append(use.key)
                    on_chain.add(use.key)
                    stack.append((self.blocks[use.key], iter(block_uses(self.blocks[use.key].body))))

        for root in roots:
            for use in block_uses(root):
                if use.key in self.blocks and use.key not in done:
                    visit(self.blocks[use.key])
        for name, block in self.blocks.items():
            if name not in done:
                visit(block)


def chain_text(chain: list[str], last: str, most: int = 12) -> str:
    """`a -> b -> a` for a chain of blocks and the one it reaches; a long chain with its middle left out."""
    if len(chain) + 1 <= most:
        return " -> ".join(chain + [last])
    left_out = len(chain) - 2 - (most - 5)
    return " -> ".join(chain[:2] + [f"... ({left_out:,} more)"] + chain[-(most - 5):] + [last])


def block_uses(seq: Seq | None) -> list[BlockUse]:
    """The uses of named blocks in an item list, nested composites included, in order."""
    return [node for node in items_in(seq) if isinstance(node, BlockUse) and node.param is None]
