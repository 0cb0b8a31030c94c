"""Expansion: spec items -> IR nodes, with shapes inferred as each node is added.

The same walker runs twice. In check mode it visits every item of the network, the head and every
block body with parameter *names* only, so all structural mistakes of a file are reported together
before anything is built. In build mode it evaluates parameters, instantiates block uses and emits
IR nodes. Errors never stop the walk: a node whose input failed is skipped ("poisoned") so that
one mistake produces one message.
"""
from __future__ import annotations

from typing import Any

import networkx as nx
from pydantic import ValidationError

from . import language as L
from .errors import (Diagnostic, DiagnosticSink, Path, SpecError, SpecValueError, did_you_mean, format_path,
                     note_compiling)
from .ir import add_node, new_graph
from .blockcall import call_arguments
from .items import COMPOSITES, MODIFIERS, NAME_RE, PRIMITIVES, Item, primitive_args, split_repeat
from .ops import OPS, ShapeError
from .ops.batchnorm2d import bn_attrs
from .params import bind_block_params
from .passes.shapes import infer_node_shape
from .pydantic_errors import diagnostics_from
from .values import evaluate_value
from .naming import TRANSPARENT, Namer, join
from .walk import POISON, BlockRef, Env, Value, interpolate  # noqa: F401  (importers of expand use them)

BUILTINS = ("in_ch", "in_h", "in_w")
MAX_BLOCK_DEPTH = 32
MAX_REPEAT = 10_000
MAX_OPS = 200_000  # a bound on expansion, so that a small file can never take long to build


class Expander:
    def __init__(self, blocks: dict[str, BlockRef], sink: DiagnosticSink, check: bool, graph_name: str = "net"):
        self.blocks, self.sink, self.check = blocks, sink, check
        self.graph: nx.DiGraph = new_graph(graph_name)
        self._validated: dict = {}  # memo of successful argument validations, see validate()
        self._where: dict = {}  # memo of (file:line:col, key path) text per item
        self.namer = Namer()

    # ------------------------------------------------------------------ diagnostics
    def error(self, env: Env, path: Path, message: str, hint: str | None = None, *, key: bool = False,
              extra: tuple[str, ...] = ()) -> Value:
        self.sink.add(Diagnostic(message, env.doc.loc(path, key=key), path, hint, env.trace + extra))
        return POISON

    def validate(self, model, data: dict, sources: dict, base: Path, env: Env):
        """The argument model for data, evaluated in env; None (and diagnostics) when invalid.

        Repeated blocks validate the same arguments in the same scope many times, so successful
        results are memoized on the text of the arguments and of the scope (models are frozen)."""
        context = env.context()
        key = (model, repr(data), repr(sorted(context.get("scope", {}).items())) if "scope" in context
               else repr(sorted(context["names"])))
        cached = self._validated.get(key)
        if cached is not None:
            return cached
        try:
            result = self._validated[key] = model.model_validate(data, context=context)
            return result
        except ValidationError as exc:
            for diag in diagnostics_from(exc, env.doc, base, model, sources, env.trace):
                self.sink.add(diag)
            return None

    # ------------------------------------------------------------------ nodes
    def emit(self, name: str, op: str, attrs: dict, inputs: list[Value], env: Env, path: Path) -> Value:
        if self.check or any(v.node is None for v in inputs):
            return POISON
        if name in self.graph:
            return self.error(env, path, f"the name '{name}' is used twice", "give one of the items a distinct `name:`")
        if self.graph.number_of_nodes() >= MAX_OPS:
            self.error(env, path, f"the network expands to more than {MAX_OPS:,} ops; refusing to build it",
                       "check the repeat counts")
            raise SpecError(self.sink.items)
        where = self._where.get((id(env.doc), path))
        if where is None:
            where = self._where[(id(env.doc), path)] = (str(env.doc.loc(path)), format_path(path))
        src = {"loc": where[0], "path": where[1], "trace": list(env.trace)}
        add_node(self.graph, name, op, attrs, [v.node for v in inputs], src, env.block_use)
        try:
            shape = infer_node_shape(self.graph, name)
        except ShapeError as exc:
            self.graph.remove_node(name)
            return self.error(env, path, str(exc), extra=(f"node {name}",))
        return Value(name, shape)

    # ------------------------------------------------------------------ sequences and items
    def seq(self, items: Any, path: Path, prefix: str, env: Env, x: Value, numbered: bool = False) -> Value:
        """Expand a list of items in scope `prefix`, naming them by the rule of archspec.naming."""
        if not isinstance(items, list):
            return self.error(env, path, f"expected a list of items, got {type(items).__name__}")
        if not items:
            return self.error(env, path, "a sequence needs at least one item")
        parsed = [self.parse(raw, path + (i,), env) for i, raw in enumerate(items)]
        for i, item in enumerate(parsed):
            if item is None:
                x = POISON
                continue
            name, transparent = self.item_name(item, i, prefix, env, numbered)
            x = self.item(item, name, env, x, transparent)
        return x

    def item_name(self, item: Item, i: int, prefix: str, env: Env, numbered: bool) -> tuple[str, bool]:
        """The item's full name, and whether it is a composite that adds no level (naming rule 4)."""
        if item.name is not None:
            if not self.namer.take(prefix, item.name):
                self.error(env, item.path + ("name",), f"the name '{item.name}' is used twice in this scope",
                           "give one of the items another `name:`")
            return join(prefix, item.name), False
        if numbered:
            return join(prefix, self.namer.claim(prefix, str(i))), False
        if item.key in TRANSPARENT and item.repeat is None and self.namer.first_of_kind(prefix, item.key):
            return prefix, True
        base = (item.default_name or item.key) if item.kind == "block" else item.key
        return join(prefix, self.namer.claim(prefix, base)), False

    def compiling(self, exc: BaseException, env: Env, path: Path) -> None:
        """Name the item being compiled on an exception that escapes the expander (a bug)."""
        where = f"{env.doc.loc(path)} ({format_path(path)})"
        note_compiling(exc, "\n    ".join((where,) + env.trace))

    def parse(self, raw: Any, path: Path, env: Env) -> Item | None:
        try:
            return self._parse(raw, path, env)
        except Exception as exc:
            self.compiling(exc, env, path)
            raise

    def _parse(self, raw: Any, path: Path, env: Env) -> Item | None:
        if isinstance(raw, list):
            return Item("seq", raw, path, path)
        mods: dict = {}
        if isinstance(raw, str):
            key_text, args, args_path = raw, None, path
        elif isinstance(raw, dict):
            keys = [k for k in raw if k not in MODIFIERS]
            if len(keys) != 1:
                what = f"has {len(keys)} op keys ({', '.join(keys)})" if keys else "has no op or block key"
                self.error(env, path, f"an item {what}", "write one op or block per list item")
                return None
            key_text = keys[0]
            args, args_path = raw[key_text], path + (key_text,)
            mods = {k: raw[k] for k in MODIFIERS if k in raw}
        else:
            self.error(env, path, f"expected an op or block name, a mapping or a list, got {raw!r}")
            return None
        key, times = split_repeat(key_text)
        default_name = None
        if key.startswith("$"):  # a block passed as a parameter
            param = key[1:]
            if param not in env.block_params:
                hint = did_you_mean(param, env.block_params)
                self.error(env, args_path if isinstance(raw, dict) else path,
                           f"'{key}' does not name a parameter of type block", hint, key=True)
                return None
            default_name = param
            if env.scope is not None:
                call = env.scope[param]
                try:
                    from_call = call_arguments(call, self.blocks[call.name].definition.params)
                except SpecValueError as exc:
                    self.error(env, path, str(exc))
                    return None
                if args is not None and not isinstance(args, dict):
                    self.error(env, args_path, f"'{key}' takes a mapping of extra parameters, got {args!r}")
                    return None
                key, args = call.name, {**from_call, **(args or {})}
        elif key not in PRIMITIVES and key not in COMPOSITES and key not in self.blocks:
            known = list(PRIMITIVES) + list(COMPOSITES) + list(self.blocks)
            hint = did_you_mean(key, known)
            self.error(env, args_path if isinstance(raw, dict) else path, f"unknown op or block '{key}'",
                       hint or "see `archspec blocks` for the blocks this spec defines", key=True)
            return None
        if times is not None and "repeat" in mods:
            self.error(env, path + ("repeat",), f"repeat given twice ('x{times}' and repeat:)", key=True)
            return None
        name = mods.get("name")
        if name is not None and (not isinstance(name, str) or not NAME_RE.match(name)):
            self.error(env, path + ("name",), f"invalid name {name!r}", "use letters, digits and _; no dots")
            name = None
        for side in ("first", "last"):
            if side in mods and not isinstance(mods[side], dict):
                self.error(env, path + (side,), f"'{side}' takes a mapping of arguments to override")
                return None
        repeat = mods.get("repeat", times)
        return Item(key, args, args_path, path, name, repeat,
                    path + ("repeat",) if "repeat" in mods else args_path, mods.get("first"), mods.get("last"),
                    default_name, mods.get("when"))

    def evaluate(self, raw: Any, kind: type, path: Path, env: Env) -> Any:
        """A literal or expression argument outside an argument model (repeat, when, for's list)."""
        try:
            return evaluate_value(raw, env.context(), kind)
        except SpecValueError as exc:
            self.error(env, path, str(exc))
            return None

    def item(self, item: Item, name: str, env: Env, x: Value, transparent: bool = False) -> Value:
        try:
            return self._item(item, name, env, x, transparent)
        except Exception as exc:
            self.compiling(exc, env, item.path)
            raise

    def _item(self, item: Item, name: str, env: Env, x: Value, transparent: bool) -> Value:
        if item.repeat is None and (item.first or item.last):
            return self.error(env, item.path + ("first" if item.first else "last",),
                              "first/last apply to repeated items only", "add repeat: N or an xN suffix")
        if item.when is not None:
            holds = self.evaluate(item.when if isinstance(item.when, (bool, str)) else repr(item.when), bool,
                                  item.path + ("when",), env)
            if holds is None or (not self.check and not holds):
                return x
        if item.repeat is None:
            return self.one(item, name, env, x, {}, transparent)
        count = self.repeat_count(item, env)
        if count is None:
            return POISON
        if not self.check:
            scopes = self.graph.graph["scopes"]
            record = {"kind": "repeat", "key": item.key, "count": count, "parent": env.block_use,
                      "loc": str(env.doc.loc(item.path))}
            scopes[name] = record
            use = scopes.get(env.block_use, {})
            if use.get("kind") == "block" and self._sole_item(use["key"], item):  # WRN's stage: 'stage (B x4)'
                scopes[env.block_use] = {**record, "in_block": use["key"]}
        # Checking needs only the first and last instance: the others are identical to them.
        for i in (sorted({0, count - 1}) if self.check else range(count)):
            overrides = {}
            if i == 0 and item.first:
                overrides.update({k: (v, item.path + ("first", k)) for k, v in item.first.items()})
            if i == count - 1 and item.last:
                overrides.update({k: (v, item.path + ("last", k)) for k, v in item.last.items()})
            x = self.one(item, f"{name}.{i}", env, x, overrides)
        return x

    def _sole_item(self, block: str, item: Item) -> bool:
        """Whether item is the whole body of the block (reports show such a block as its repeat)."""
        ref = self.blocks.get(block)
        return ref is not None and len(ref.definition.body) == 1 and item.path == ref.path + ("body", 0)

    def repeat_count(self, item: Item, env: Env) -> int | None:
        value = self.evaluate(item.repeat, int, item.repeat_path, env)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value > MAX_REPEAT:
            self.error(env, item.repeat_path, f"repeat must be a whole number from 1 to {MAX_REPEAT}, got {value!r}")
            return None
        return value

    def one(self, item: Item, name: str, env: Env, x: Value, overrides: dict, transparent: bool = False) -> Value:
        if not self.check and not transparent and (item.kind == "composite" or item.key == "conv"):
            self.graph.graph["scopes"].setdefault(name, {"kind": "item", "key": item.key, "parent": env.block_use,
                                                         "loc": str(env.doc.loc(item.path))})
        if item.kind == "block":
            return self.block_use(item, name, env, x, overrides)
        if item.kind == "primitive":
            return self.primitive(item, name, env, x, overrides)
        if overrides:
            return self.error(env, item.path, f"first/last overrides do not apply to '{item.key}'")
        if item.key == "seq":
            return self.seq(item.args, item.args_path, name, env, x, numbered=item.args_path == item.path)
        from .composites import EXPANDERS
        return EXPANDERS[item.key](self, item, name, env, x)

    # ------------------------------------------------------------------ primitives
    def merged_args(self, item: Item, env: Env, overrides: dict, defaults_key: str | None = None):
        """Defaults, then the item's own arguments, then first/last overrides, with provenance."""
        spec = PRIMITIVES[item.key]
        try:
            own = primitive_args(item.key, item.args)
        except SpecValueError as exc:
            self.error(env, item.args_path, str(exc))
            return None, None
        data, sources = {}, {}
        key = defaults_key or spec.defaults_key
        if key and key in env.defaults:
            values, dpath = env.defaults[key]
            for k, v in values.items():
                data[k], sources[(k,)] = v, dpath + (k,)
        for k, v in own.items():
            data[k] = v
            sources[(k,)] = item.args_path + (k,) if isinstance(item.args, dict) else item.args_path
        for k, (v, p) in overrides.items():
            data[k], sources[(k,)] = v, p
        data.update(spec.fixed)
        return data, sources

    def primitive(self, item: Item, name: str, env: Env, x: Value, overrides: dict) -> Value:
        data, sources = self.merged_args(item, env, overrides)
        if data is None:
            return POISON
        if item.key == "conv":
            return self.conv_unit(data, sources, name, env, x, item.args_path)
        spec = PRIMITIVES[item.key]
        args = self.validate(spec.model, data, sources, item.args_path, env)
        if args is None:
            return POISON
        op = spec.op_for(x.shape)  # `bn` is BatchNorm2d on a map, BatchNorm1d on a vector
        attrs = op.attrs(item.key, args, x.shape or (0,))
        return self.emit(name, op.name, attrs, [x], env, item.args_path)

    def conv_unit(self, data: dict, sources: dict, name: str, env: Env, x: Value, path: Path) -> Value:
        """conv -> batch norm -> activation, the nodes named conv, bn, act under `name`."""
        bn = data.get("bn", True)
        if bn is True or isinstance(bn, dict):
            base, dpath = env.defaults.get("bn", ({}, ()))
            own = bn if isinstance(bn, dict) else {}
            data["bn"] = {**base, **own}
            for k in base:
                sources.setdefault(("bn", k), dpath + (k,))
        args = self.validate(PRIMITIVES["conv"].model, data, sources, path, env)
        if args is None or x.shape is None:
            return POISON
        y = self.emit(f"{name}.conv", "conv2d", OPS["conv2d"].attrs("conv", args, x.shape), [x], env, path)
        if args.bn is not None:
            y = self.emit(f"{name}.bn", "batchnorm2d", bn_attrs(args.bn, args.out), [y], env, path)
        if args.act != "none":
            y = self.emit(f"{name}.act", "act", {"fn": args.act}, [y], env, path)
        return y

    # ------------------------------------------------------------------ blocks
    def run_checks(self, checks: list, owner: Path, env: Env) -> bool:
        """Evaluate `checks:` rules; report each that fails (or, in check mode, each badly written)."""
        ok = True
        for j, rule in enumerate(checks):
            path = owner + ("checks", j, "that")
            holds = self.evaluate(rule.that, bool, path, env)
            if holds is None:
                ok = False
            elif not self.check and not isinstance(holds, bool):
                self.error(env, path, f"a check must be a condition (true or false), '{rule.that}' gives {holds!r}")
                ok = False
            elif not self.check and not holds:
                self.error(env, path, interpolate(rule.message, env, lambda text: self.evaluate(
                    text, object, owner + ("checks", j, "message"), env)))
                ok = False
        return ok

    def block_use(self, item: Item, name: str, env: Env, x: Value, overrides: dict) -> Value:
        if item.key.startswith("$"):  # check mode: which block it will be is known only when built
            return POISON
        block = self.blocks[item.key]
        if item.key in env.blocks_in_use or len(env.blocks_in_use) >= MAX_BLOCK_DEPTH:
            chain = " -> ".join(env.blocks_in_use + (item.key,))
            return self.error(env, item.args_path, f"block '{item.key}' uses itself ({chain})", key=True)
        values = bind_block_params(self, block, item, env, overrides)
        if values is None or self.check or x.shape is None:
            return POISON
        where = f"in block '{item.key}' used at {env.doc.loc(item.path)} ({format_path(item.path)})"
        if values:
            bound = ", ".join(f"{k}={v}" for k, v in values.items())
            where += f" with {bound if len(bound) <= 100 else bound[:97] + '...'}"
        inner = Env(block.doc, dict(values), frozenset(values), block.defaults, block.block_params,
                    env.trace + (where,), env.blocks_in_use + (item.key,), name).with_input(x)
        if not self.run_checks(block.definition.checks, block.path, inner):
            return POISON
        # setdefault: when a block's body is a single block use it is inlined, and the outer block names the scope
        self.graph.graph["scopes"].setdefault(name, {"kind": "block", "key": item.key, "parent": env.block_use,
                                                     "loc": str(env.doc.loc(item.path))})
        return self.seq(block.definition.body, block.path + ("body",), name, inner, x)
