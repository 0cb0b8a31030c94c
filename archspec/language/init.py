"""`init:`: how a spec initialises its weights, per op kind, per block and per named item.

An `init:` mapping (at the top of a spec, in a block definition, or nested under the `name:` of an item
of that body) maps
    an op key        -> an initialiser for its weight (`kaiming_normal`, `{fn: normal, std: 0.01}`),
                        or `{weight: ..., bias: ...}` for each tensor;
    an item's name   -> an init mapping for that item only (op keys and zero_init_last);
    zero_init_last   -> whether the last norm or layer scale of every residual body starts at zero.
Initialisers are the closed list of archspec.ops._init_fns. The innermost mapping that says something
about a tensor decides it (an item's, then the blocks in use from the inside out, then the file's);
`default` keeps PyTorch's own initialisation.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from pydantic import ValidationError

from ..errors import Diagnostic, DiagnosticSink, Path, did_you_mean
from ..ops import ITEMS, OPS, OpDef
from ..ops._init_fns import INIT_FNS
from .pydantic_errors import diagnostics_from
from .syntax import Branch, Node, Seq
from ..source.yamlsource import SourceDoc

TENSORS = ("weight", "bias")
ZERO_INIT_LAST = "zero_init_last"


@dataclass(frozen=True, eq=False)
class InitSet:
    """One validated `init:` mapping: the rules it states and the item lists whose names it may use."""

    doc: SourceDoc
    path: Path
    bodies: tuple[Path, ...] = ()  # the key paths of the item lists its item names live in
    ops: dict[str, dict[str, dict]] = field(default_factory=dict)  # op key -> tensor -> initialiser record
    items: dict[str, "InitSet"] = field(default_factory=dict)
    zero_init_last: bool | None = None

    def holds(self, doc: SourceDoc, path: Path) -> bool:
        """Whether the item written at path of doc is in one of this mapping's bodies."""
        return doc is self.doc and any(path[:len(body)] == body for body in self.bodies)


def has_weights(key: str) -> bool:
    """Whether the op item `key` can have trainable tensors (its op counts parameters)."""
    return any(type(op).params is not OpDef.params for op in ITEMS[key].ops)


def weighted_keys() -> list[str]:
    return sorted(key for key in ITEMS if has_weights(key))


def item_names(seqs: list[Seq | None]) -> set[str]:
    """Every `name:` given to an item in these lists, at any depth (not inside other blocks)."""
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Node):
            if value.mods.name:
                names.add(value.mods.name)
            for f in fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, Branch):
            walk(value.item)
        elif isinstance(value, list):
            for element in value:
                walk(element)

    walk(list(seqs))
    return names


def parse_init(raw: Any, doc: SourceDoc, path: Path, bodies: tuple[Path, ...], names: set[str],
               sink: DiagnosticSink) -> InitSet | None:
    """Validate one `init:` mapping; every mistake goes to the sink (located, with did-you-mean)."""
    if not raw:
        return None
    if not isinstance(raw, dict):
        sink.add(Diagnostic("init is a mapping of op keys (conv, linear, bn, ...), item names and zero_init_last",
                            doc.loc(path), path))
        return None
    ops, items, zero = {}, {}, None
    keys = weighted_keys()
    for key, value in raw.items():
        where = path + (key,)
        if key == ZERO_INIT_LAST:
            if isinstance(value, bool):
                zero = value
            else:
                sink.add(Diagnostic(f"zero_init_last must be true or false, got {value!r}", doc.loc(where), where))
        elif key in ITEMS and has_weights(key):
            tensors = _op_rule(value, doc, where, sink)
            if tensors is not None:
                ops[key] = tensors
        elif key in names and isinstance(value, dict):
            inner = parse_init(value, doc, where, (), set(), sink)
            if inner is not None:
                items[key] = inner
        elif key in names or key in ITEMS:
            why = ("has no weights to initialise" if key in ITEMS
                   else "names an item: give it a mapping of op keys, e.g. {conv: {fn: normal, std: 0.01}}")
            sink.add(Diagnostic(f"'{key}' {why}", doc.loc(where, key=key in ITEMS), where))
        else:
            sink.add(Diagnostic(f"'{key}' is not an op with weights, an item name of this body or zero_init_last",
                                doc.loc(where, key=True), where,
                                did_you_mean(key, keys + sorted(names) + [ZERO_INIT_LAST])
                                or f"ops with weights: {', '.join(keys)}"))
    return InitSet(doc, path, bodies, ops, items, zero)


def _op_rule(value: Any, doc: SourceDoc, path: Path, sink: DiagnosticSink) -> dict[str, dict] | None:
    """`fn` or `{fn: ..., args}` (the weight), or `{weight: ..., bias: ...}` -> {tensor: record}."""
    if isinstance(value, dict) and "fn" not in value:
        out = {}
        for tensor, fn in value.items():
            if tensor not in TENSORS:
                sink.add(Diagnostic(f"unknown key '{tensor}'", doc.loc(path + (tensor,), key=True), path + (tensor,),
                                    did_you_mean(str(tensor), TENSORS + ("fn",))
                                    or "give an initialiser `{fn: ...}` or one per tensor `{weight: ..., bias: ...}`"))
                continue
            record = initialiser(fn, doc, path + (tensor,), sink)
            if record is not None:
                out[tensor] = record
        return out
    record = initialiser(value, doc, path, sink)
    return None if record is None else {"weight": record}


def initialiser(value: Any, doc: SourceDoc, path: Path, sink: DiagnosticSink) -> dict | None:
    """`zeros` or `{fn: trunc_normal, std: 0.02}` -> the IR record, validated against the closed list."""
    name, args, name_path = value, {}, path
    if isinstance(value, dict):
        if "fn" not in value:
            sink.add(Diagnostic("missing required key 'fn'", doc.loc(path), path,
                                f"name the initialiser: {{fn: normal, std: 0.01}}; choose from {', '.join(INIT_FNS)}"))
            return None
        args = {k: v for k, v in value.items() if k != "fn"}
        name, name_path = value["fn"], path + ("fn",)
    if not isinstance(name, str) or name not in INIT_FNS:
        sink.add(Diagnostic(f"unknown initialiser {name!r}", doc.loc(name_path), name_path,
                            did_you_mean(str(name), INIT_FNS) or f"choose from {', '.join(INIT_FNS)}"))
        return None
    model = INIT_FNS[name]
    try:
        return model.model_validate(args).record()
    except ValidationError as exc:
        for diag in diagnostics_from(exc, doc, path, model):
            sink.add(diag)
        return None


# ---------------------------------------------------------------------------- resolution (expansion)

def node_init(chain: tuple[InitSet, ...], op: str, attrs: dict) -> dict[str, dict]:
    """{tensor: record} for a node of op `op` under the mappings in chain (innermost first); tensors
    left at PyTorch's default, and those the node does not have (`bias: false`, `affine: false`), are absent."""
    keys = list(OPS[op].items)
    out = {}
    for tensor in TENSORS:
        if attrs.get("affine") is False or (tensor == "bias" and attrs.get("bias") is False):
            continue
        for rules in chain:
            record = next((rules.ops[k][tensor] for k in keys if tensor in rules.ops.get(k, {})), None)
            if record is not None:
                if record["fn"] != "default":
                    out[tensor] = record
                break
    return out


def zero_init_last(chain: tuple[InitSet, ...]) -> InitSet | None:
    """The innermost mapping that turns zero_init_last on, or None when it is off."""
    rules = next((r for r in chain if r.zero_init_last is not None), None)
    return rules if rules is not None and rules.zero_init_last else None


def for_item(chain: tuple[InitSet, ...], doc: SourceDoc, name: str | None, path: Path) -> InitSet | None:
    """The item mapping that applies to the item `name` written at path of doc, if any."""
    if name is None:
        return None
    return next((r.items[name] for r in chain if name in r.items and r.holds(doc, path)), None)
