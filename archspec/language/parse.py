"""The parser: YAML data of a list of items -> the syntax tree of archspec.language.syntax.

Each item is parsed once, whether its block is used or not. The parser reports what can be told
from the text alone (an item with two op keys, a malformed shorthand, `repeat` given twice, a
sequence that is not a list); what needs to know the spec's blocks, parameters or argument models
is the checker's (archspec.language.checks).
"""
from __future__ import annotations

import functools
import re
from typing import Any

from ..errors import Diagnostic, DiagnosticSink, Path, SpecValueError, did_you_mean, format_path, note_compiling
from .expr import ExprError, parse_expr
from .items import COMPOSITES, MODIFIERS, NAME_RE, PRIMITIVES, split_repeat
from .syntax import Arg, Aux, BlockUse, Branch, Loop, Merge, Modifiers, Node, OpItem, Ref, Residual, Seq, Split
from ..source.scalars import read_number, short
from ..source.yamlsource import SourceDoc

_KERNEL = re.compile(r"^\d+x\d+$")
_KEY_VALUE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(?!=)(.*)$")  # `groups=32`, not `a==b`
_PADDING = re.compile(r"^p\d+$")
_REF = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z0-9_]+))?(\*)?$")  # `c3`, `neck.p3`, `s.0`, `layer*`
_FLAGS = {
    "bias": {"bias": True}, "plain": {"bn": False, "act": "none"}, "nobn": {"bn": False},
    "noact": {"act": "none"}, "exclude_pad": {"count_include_pad": False},
    "include_pad": {"count_include_pad": True}, "ceil": {"ceil_mode": True}, "keepdim": {"keepdim": True},
}


# ---------------------------------------------------------------------------- shorthand

def _scalar(token: str) -> Any:
    """A token that is no expression: a number (checked: SpecValueError when out of range), true, false or text."""
    number = read_number(token)
    if number is not None:
        return number
    return {"true": True, "false": False}.get(token, token)


def _is_item_key(key: Any) -> bool:
    """Whether key names a primitive, a composite or a block parameter (`$b`), with or without `xN`."""
    name = split_repeat(key)[0] if isinstance(key, str) else None
    return name is not None and (name in PRIMITIVES or name in COMPOSITES or name.startswith("$"))


def _is_expression(text: str) -> bool:
    try:
        parse_expr(text)
    except ExprError:
        return False
    return True


def _fields(op: str) -> set[str]:
    return set(PRIMITIVES[op].model.model_fields)


def _word(op: str, token: str) -> dict | None:
    """The arguments a shorthand word sets (`3x3`, `/2`, `valid`, `p1`, a flag), or None."""
    fields = _fields(op)
    if _KERNEL.match(token) and "kernel" in fields:
        return {"kernel": token}
    if token.startswith("/") and len(token) > 1 and not token.startswith("//") and "stride" in fields:
        return {"stride": token[1:]}  # read as a value by _shorthand
    if token in ("same", "valid") and "padding" in fields:
        return {"padding": token}
    if _PADDING.match(token) and "padding" in fields:
        return {"padding": read_number(token[1:])}
    if token in _FLAGS and set(_FLAGS[token]) <= fields:
        return dict(_FLAGS[token])
    return None


def _value(op: str, tokens: list[str], start: str, i: int) -> tuple[Any, int]:
    """A value beginning with `start` that may go on over the tokens from i: the longest run of tokens,
    up to the next shorthand word or key=value, that reads as one expression (`classes + 1`)."""
    end = i
    while end < len(tokens) and _word(op, tokens[end]) is None and not _KEY_VALUE.match(tokens[end]):
        end += 1
    for stop in range(end, i, -1):
        text = " ".join([start] + tokens[i:stop])
        if _is_expression(text):
            return text, stop
    return _scalar(start), i


@functools.lru_cache(maxsize=4096)
def _shorthand(op: str, text: str) -> tuple:
    spec = PRIMITIVES[op]
    if spec.main is not None and not spec.shorthand and _is_expression(text):
        return ((spec.main, text),)  # `linear: 10 if big == 1 else 5`: the whole text is the main argument
    args: dict = {}
    tokens, i = text.split(), 0
    while i < len(tokens):
        token, i = tokens[i], i + 1
        pair, word = _KEY_VALUE.match(token), _word(op, token)
        if pair:
            args[pair.group(1)], i = _value(op, tokens, pair.group(2), i)
        elif word is not None and "stride" in word:  # `/2`, `/s`, `/2 if big else 1`: a value like any other
            args["stride"], i = _value(op, tokens, token[1:], i)
        elif word is not None:
            args.update(word)
        elif spec.main and spec.main not in args:
            args[spec.main], i = _value(op, tokens, token, i)
        else:
            flags = ", ".join(f for f in _FLAGS if set(_FLAGS[f]) <= _fields(op))
            raise SpecValueError(f"cannot read '{short(token, 40)}' in '{short(text, 60)}' (shorthand: KxK kernel, "
                                 f"/stride, valid|same|pN, flags {flags}, key=value, and one bare value"
                                 + (f" for {spec.main}" if spec.main else "") + ")")
    return tuple(args.items())


def parse_shorthand(op: str, text: str) -> dict:
    """'3x3 96 /2 valid' -> {'kernel': '3x3', 'out': 96, 'stride': 2, 'padding': 'valid'}; a token
    that is an expression stays one (`3x3 w*2 /s`), and so does a run of tokens (`classes + 1`)."""
    return dict(_shorthand(op, text))


def primitive_args(op: str, raw: Any) -> dict:
    """The argument mapping of a primitive item, from a mapping, a scalar or a shorthand string."""
    spec = PRIMITIVES[op]
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return dict(raw)
    if isinstance(raw, str):
        return parse_shorthand(op, raw)
    if spec.main is None:
        raise SpecValueError(f"'{op}' takes a mapping of arguments, got {raw!r}")
    return {spec.main: raw}


# ---------------------------------------------------------------------------- items

class Parser:
    """Parses the item lists of one file; mistakes go to the sink, located in that file."""

    def __init__(self, doc: SourceDoc, sink: DiagnosticSink):
        self.doc, self.sink = doc, sink

    def error(self, path: Path, message: str, hint: str | None = None, *, key: bool = False) -> None:
        """Report a mistake at path (the key itself with key=True)."""
        self.sink.add(Diagnostic(message, self.doc.loc(path, key=key), path, hint))

    def seq(self, raw: Any, path: Path, key: str = "seq", numbered: bool = False, at: Path | None = None
            ) -> Seq | None:
        """A list of items (None, reported, when it is not a non-empty list); `at` is the item it belongs to."""
        if not isinstance(raw, list):
            self.error(path, f"expected a list of items, got {type(raw).__name__}")
            return None
        if not raw:
            self.error(path, "a sequence needs at least one item")
            return None
        items = [self.item(r, path + (i,)) for i, r in enumerate(raw)]
        return Seq(key, at if at is not None else path, path, items=[i for i in items if i is not None],
                   numbered=numbered)

    def item(self, raw: Any, path: Path) -> Node | None:
        """One item, or None (reported) when it cannot be read."""
        try:
            return self._item(raw, path)
        except Exception as exc:  # a bug: name the item it was reading
            note_compiling(exc, f"{self.doc.loc(path)} ({format_path(path)})")
            raise

    def _item(self, raw: Any, path: Path) -> Node | None:
        if isinstance(raw, list):
            return self.seq(raw, path, numbered=True)
        mods: dict = {}
        if isinstance(raw, str):
            key_text, args, key_path = raw, None, path
        elif isinstance(raw, dict):
            key_text = self.item_key(raw, path)
            if key_text is None:
                return None
            args, key_path = raw[key_text], path + (key_text,)
            mods = {k: raw[k] for k in MODIFIERS if k in raw}
        else:
            self.error(path, f"expected an op or block name, a mapping or a list, got {raw!r}")
            return None
        key, times = split_repeat(key_text)
        modifiers = self.modifiers(mods, times, path, key_path)
        if modifiers is None:
            return None
        if key.startswith("$"):  # a block passed as a parameter: which one is known when expanding
            if args is not None and not isinstance(args, dict):
                self.error(key_path, f"'{key}' takes a mapping of extra parameters, got {args!r}")
                return None
            return BlockUse(key, path, key_path, modifiers, self.args(args, key_path), key[1:], args)
        if key in PRIMITIVES:
            try:
                own = primitive_args(key, args)
            except SpecValueError as exc:
                self.error(key_path, str(exc))
                return None
            at = (lambda k: key_path + (k,)) if isinstance(args, dict) else (lambda k: key_path)
            return OpItem(key, path, key_path, modifiers, {k: Arg(v, at(k)) for k, v in own.items()})
        if key in COMPOSITES:
            return self.composite(key, args, path, key_path, modifiers)
        return BlockUse(key, path, key_path, modifiers, self.args(args, key_path), None, args)

    def item_key(self, raw: dict, path: Path) -> str | None:
        """The one op, block or composite key of a mapping item, or None (reported). Each other key is
        named: a misspelled modifier (did-you-mean), an argument of the op written beside it, a second op."""
        keys = [k for k in raw if k not in MODIFIERS]
        if len(keys) == 1:
            return keys[0]
        modifiers = ", ".join(MODIFIERS)
        if not keys:
            written = " and ".join(f"'{k}'" for k in raw)
            self.error(path, "an item has no op or block key", f"write {written} beside the op or block it "
                       "modifies, in the same list item, without a '-' of its own")
            return None
        known = [k for k in keys if _is_item_key(k)]
        op = split_repeat(known[0])[0] if len(known) == 1 else None
        fields = _fields(op) if op in PRIMITIVES else set()
        rest = []
        for k in keys:
            typo = did_you_mean(str(k), MODIFIERS) if k not in known else None
            if k not in known and k in fields:
                self.error(path + (k,), f"'{k}' is an argument of '{op}', not a modifier",
                           f"write it among {op}'s arguments: {op}: {{{k}: ...}}", key=True)
            elif typo:
                self.error(path + (k,), f"unknown modifier '{k}'", typo, key=True)
            else:
                rest.append(k)
        if len(rest) == 1:
            return rest[0]  # the item is read without the keys reported above, so its own mistakes show too
        if rest:
            self.error(path, f"an item has {len(rest)} op or block keys ({', '.join(map(str, rest))})",
                       f"write one op or block per list item; the modifiers are {modifiers}")
        return None

    @staticmethod
    def args(raw: Any, path: Path) -> dict[str, Arg]:
        """A mapping of arguments as written, each located at path + (its key,)."""
        return {k: Arg(v, path + (k,)) for k, v in raw.items()} if isinstance(raw, dict) else {}

    def modifiers(self, mods: dict, times: str | None, path: Path, key_path: Path) -> Modifiers | None:
        """name, repeat (or the `xN` suffix `times`), first, last and when; None when unusable."""
        if times is not None and "repeat" in mods:
            self.error(path + ("repeat",), f"repeat given twice ('x{times}' and repeat:)", key=True)
            return None
        name = mods.get("name")
        if name is not None and (not isinstance(name, str) or not NAME_RE.match(name)):
            self.error(path + ("name",), f"invalid name {name!r}", "use letters, digits and _; no dots")
            name = None
        sides = {}
        for side in ("first", "last"):
            if side in mods and not isinstance(mods[side], dict):
                self.error(path + (side,), f"'{side}' takes a mapping of arguments to override")
                return None
            sides[side] = self.args(mods[side], path + (side,)) if side in mods else None
        repeat = Arg(mods["repeat"], path + ("repeat",)) if "repeat" in mods else \
            Arg(times, key_path) if times is not None else None
        when = Arg(mods["when"], path + ("when",)) if "when" in mods else None
        ident = mods.get("id")
        if ident is not None and (not isinstance(ident, str) or not NAME_RE.match(ident) or ident == "input"):
            self.error(path + ("id",), f"invalid id {ident!r}",
                       "'input' is reserved" if ident == "input" else "use letters, digits and _; no dots")
            return None
        refs = self.refs(mods["from"], path + ("from",)) if "from" in mods else None
        if "from" in mods and refs is None:
            return None
        return Modifiers(name, repeat, sides["first"], sides["last"], when, ident, refs,
                         isinstance(mods.get("from"), list))

    def refs(self, raw: Any, path: Path) -> tuple[Ref, ...] | None:
        """`from: x` or `from: [x, y.0, z*]`; None (reported) when unreadable."""
        texts = raw if isinstance(raw, list) else [raw]
        if not texts:
            self.error(path, "'from' needs at least one reference")
            return None
        refs = []
        for i, text in enumerate(texts):
            at = path + (i,) if isinstance(raw, list) else path
            match = _REF.match(text) if isinstance(text, str) else None
            if match is None:
                self.error(at, f"cannot read the reference {text!r}",
                           "write an id (`c3`), a part (`neck.p3`, `s.0`), every binding (`layer*`) or `input`")
                return None
            if match.group(3) and not isinstance(raw, list):
                self.error(at, f"'{text}' gives a list of tensors", f"write `from: [{text}]` where a list is read")
                return None
            refs.append(Ref(match.group(1), match.group(2), bool(match.group(3)), at))
        return tuple(refs)

    def composite(self, key: str, args: Any, path: Path, key_path: Path, mods: Modifiers) -> Node | None:
        """seq, concat/add/mul, residual, aux or for, with their item lists parsed."""
        if key == "seq":
            seq = self.seq(args, key_path, at=path)
            if seq is not None:
                seq.mods = mods
            return seq
        if key in ("concat", "add", "mul"):
            if args is None and mods.refs_list:  # `{concat, from: [a, b]}`: the tensors are the operands
                return Merge(key, path, key_path, mods)
            return self.merge(key, args, path, key_path, mods)
        if key == "split":
            if isinstance(args, dict) or args is None:
                self.error(key_path, "'split' takes the channels of each part (`split: [64, 32]`) or a number of "
                                     "equal parts (`split: 2`)")
                return None
            return Split(key, path, key_path, mods, Arg(args, key_path))
        if key == "residual":
            if not isinstance(args, dict):
                self.error(key_path, "'residual' takes a mapping with body, and optionally shortcut, preact, "
                                     "projection, scale, act")
                return None
            node = Residual(key, path, key_path, mods, args)
            if isinstance(args.get("body"), list):
                node.body = self.seq(args["body"], key_path + ("body",), "body")
            if isinstance(args.get("preact"), list) and args["preact"]:
                node.preact = self.seq(args["preact"], key_path + ("preact",), "preact")
            if isinstance(args.get("shortcut"), list):
                node.shortcut = self.seq(args["shortcut"], key_path + ("shortcut",), "shortcut")
            return node
        if key == "aux":
            options = args if isinstance(args, dict) else {"body": args}  # `aux: [items]` is its body
            node = Aux(key, path, key_path, mods, options)
            if isinstance(options.get("body"), list):
                node.body = self.seq(options["body"], key_path + ("body",), "body")
            return node
        if not isinstance(args, dict):
            self.error(key_path, "'for' takes a mapping with each, in and do")
            return None
        node = Loop(key, path, key_path, mods, args)
        if isinstance(args.get("do"), list):
            node.do = self.seq(args["do"], key_path + ("do",), "do")
        return node

    def merge(self, key: str, args: Any, path: Path, key_path: Path, mods: Modifiers) -> Merge | None:
        """concat, add or mul: at least two branches, each named `branchI` or by its `name:`."""
        if not isinstance(args, list) or len(args) < 2:
            self.error(key_path, f"'{key}' needs a list of at least two branches")
            return None
        branches, used = [], set()
        for i, raw in enumerate(args):
            at = key_path + (i,)
            label = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else f"branch{i}"
            if label in used:
                self.error(at + ("name",), f"the branch name '{label}' is used twice")
            used.add(label)
            if isinstance(raw, dict) and "name" in raw:
                raw = {k: v for k, v in raw.items() if k != "name"}
            branches.append(Branch(label, self.item(raw, at), at))
        return Merge(key, path, key_path, mods, branches)
