"""Expansion: the syntax tree plus parameter values -> IR nodes, with shapes inferred as each node
is added.

The tree has been checked (archspec.language.checks) before this runs, so what is left to report here are
the mistakes that need values: a width that does not divide, a failed `checks:` rule, a shape
mismatch. They are located at the item and carry the chain of block uses that led there. Errors
never stop the walk: a node whose input failed is skipped ("poisoned") so that one mistake
produces one message.

Composites other than seq are expanded by functions the caller hands in (archspec.expand.composites), so
this module depends on none of them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import networkx as nx

from ..language.arguments import merged_args, validate, with_bn_defaults
from ..language.blockcall import call_arguments
from ..errors import Diagnostic, DiagnosticSink, Path, SpecValueError, format_path, note_compiling
from ..ir.graph import add_node, new_graph
from ..language.init import for_item, node_init
from ..language.items import PRIMITIVES
from ..limits import current as limits, meter
from ..language.naming import item_name, Namer
from ..ops import OPS, ShapeError
from ..ops.registry import FeatureMapError
from ..ops.batchnorm2d import bn_attrs
from ..language.params import bind
from ..ir.passes.shapes import infer_node_shape
from ..language.syntax import Arg, BlockUse, Merge, Node, OpItem, Seq
from ..language.expr import NODES_PER_STEP
from ..language.values import evaluate_value
from ..language.walk import BlockRef, display_label, Env, interpolate, POISON, Value
from .budget import memo_key, size_cost
from .provenance import bound_params, item_record
from .references import bind as bind_id, block_inputs, block_outputs, read_from, single


CompositeExpander = Callable[["Expander", Node, str, Env, Value], Value]
USE_COST = 4  # units of work a block use costs besides its parameters: a new scope, trace and scope record


class Expander:
    """Walks the syntax tree with values and emits the IR graph."""

    folded = 0  # ops the graph stands for beyond its nodes (archspec.expand.memo folds block uses into one node)

    def __init__(self, blocks: dict[str, BlockRef], sink: DiagnosticSink,
                 composites: dict[type, CompositeExpander], graph_name: str = "net"):
        self.blocks, self.sink, self.composites = blocks, sink, composites
        self._block_names = frozenset(blocks)  # made once: block uses may number tens of thousands
        self.graph: nx.DiGraph = new_graph(graph_name)
        self._validated: dict = {}  # memo of successful argument validations, see validate()
        self._scope_key: tuple = (None, None)  # (scope, its memo key) of the last validation
        self._data_key: tuple = (None, None)  # (arguments, their memo key) of the last validation
        self.meter, self._work = meter(), limits().work  # what this expansion has spent (see spend())
        self._where: dict = {}  # memo of (file:line:col, key path) text per item
        self.dumps: dict = {}  # memo of validated arguments as plain data, for provenance (expand.provenance)
        self.namer = Namer()
        self.origin: dict[str, tuple[Env, Path]] = {}  # node -> where its item was written (for dead ends)
        self._flat: dict[str, tuple] = {}  # node -> (item key, env, path) of an item that dropped H and W (keepdim false)

    # ------------------------------------------------------------------ diagnostics
    def error(self, env: Env, path: Path, message: str, hint: str | None = None, *, key: bool = False,
              extra: tuple[str, ...] = ()) -> Value:
        """Report a mistake at path with the block-use trace; the value is POISON. Past the work limit (which
        an expression's own charge, archspec.language.values.resolve_expr, reports as a mistake), end
        expansion at path instead."""
        self.spend(env, path, 0)
        self.sink.add(Diagnostic(message, env.doc.loc(path, key=key), path, hint, env.trace + extra))
        return POISON

    def spend(self, env: Env, path: Path, units: int = 1) -> None:
        """Charge the `work` limit (archspec.expand.budget); past it, end expansion with an error at path."""
        self.meter.work += units
        if self.meter.work > self._work:
            self.sink.stop(Diagnostic(f"expanding this spec takes more than {self._work:,} steps (limit work); "
                                      "refusing it", env.doc.loc(path), path, "each item, repeat, loop iteration, "
                                      "expression and tensor read is a step, a long expression one more per "
                                      f"{NODES_PER_STEP} of its numbers, names and operations: check the repeat "
                                      "counts, the `for` lists and long expressions", env.trace))

    def validate(self, model, data: dict, sources: dict, base: Path, env: Env):
        """The argument model for data, evaluated in env; None (and diagnostics) when invalid.

        Repeated blocks validate the same arguments in the same scope many times, so successful
        results are memoized on a canonical form of the arguments and of the scope (models are frozen); the
        key costs a bounded amount to make (archspec.expand.budget.memo_key), once per scope."""
        if self._scope_key[0] is not env.scope:
            self._scope_key = (env.scope, memo_key(env.scope, sort=True))
        if self._data_key[0] is not data:  # a composite's options are the same dict in every instance
            self._data_key = (data, memo_key(data))
        key = (model, self._data_key[1], self._scope_key[1])
        cached = self._validated.get(key)
        if cached is not None:
            return cached
        self.spend(env, base, 1 + sum(isinstance(v, str) for v in data.values()))  # and its expressions evaluated
        result, diagnostics = validate(model, data, sources, base, env.doc, env.context(), env.trace)
        if diagnostics:
            self.spend(env, base, 0)  # an expression went past the work limit: end here (see error())
        for diag in diagnostics:
            self.sink.add(diag)
        if result is not None:
            self._validated[key] = result
        return result

    def evaluate(self, raw: Any, kind: type, path: Path, env: Env) -> Any:
        """A literal or expression argument outside an argument model (repeat, when, for's list)."""
        self.spend(env, path)
        try:
            return evaluate_value(raw, env.context(), kind)
        except SpecValueError as exc:
            self.error(env, path, exc.message, exc.hint)
            return None

    def compiling(self, exc: BaseException, env: Env, path: Path) -> None:
        """Name the item being compiled on an exception that escapes the expander (a bug)."""
        where = f"{env.doc.loc(path)} ({format_path(path)})"
        note_compiling(exc, "\n    ".join((where,) + env.trace))

    # ------------------------------------------------------------------ nodes
    def located(self, env: Env, path: Path) -> tuple[str, str]:
        """(file:line:col, key path text) of path in env's file (memoized)."""
        key = (id(env.doc), path)
        where = self._where.get(key)
        if where is None:
            where = self._where[key] = (str(env.doc.loc(path)), format_path(path))
        return where

    def loc(self, env: Env, path: Path) -> str:
        """file:line:col of path in env's file (memoized)."""
        return self.located(env, path)[0]

    def provenance(self, item: str, args, data: dict, sources: dict, env: Env, path: Path) -> dict | None:
        """What `archspec explain` reads: each argument's value and where it came from (expand.provenance)."""
        return item_record(self, item, args, data, sources, env, path)

    def emit(self, name: str, op: str, attrs: dict, inputs: list[Value], env: Env, path: Path,
             why: dict | None = None) -> Value:
        """Add one IR node and infer its shape (POISON when an input failed or the shape is wrong); `why`
        is its arguments' provenance, kept in its src."""
        if any(v.node is None for v in inputs):
            return POISON
        if name in self.graph:
            return self.error(env, path, f"the name '{name}' is used twice", "give one of the items a distinct `name:`")
        if self.graph.number_of_nodes() + self.folded >= limits().ops:
            self.sink.stop(Diagnostic(f"the network expands to more than {limits().ops:,} ops (limit ops); refusing "
                                      "to build it", env.doc.loc(path), path, "check the repeat counts", env.trace))
        where = self.located(env, path)
        src = {"loc": where[0], "path": where[1], "trace": list(env.trace), **(why or {})}
        add_node(self.graph, name, op, attrs, [v.node for v in inputs], src, env.block_use)
        self.origin[name] = (env, path)
        if env.init and (init := node_init(env.init, op, attrs)):
            self.graph.nodes[name]["init"] = init
        try:
            shape = infer_node_shape(self.graph, name)
        except ShapeError as exc:
            self.graph.remove_node(name)
            flat = next((v for v in inputs if v.node in self._flat), None)
            if isinstance(exc, FeatureMapError) and flat is not None:
                return self.flat_input(exc, flat, name, env, path)
            return self.error(env, path, exc.message, exc.hint, extra=(f"node {name}",))
        return Value(name, shape)

    def flat_input(self, exc: FeatureMapError, flat: Value, name: str, env: Env, path: Path) -> Value:
        """A feature map is needed where an item without keepdim made a flat vector: blame that item."""
        key, at_env, at = self._flat[flat.node]
        self.sink.add(Diagnostic(
            f"'{key}' gives a flat vector of {flat.shape[0]}, but the {exc.op} after it needs a CxHxW feature map",
            at_env.doc.loc(at), at, f"write `{key}: keepdim` to keep a {flat.shape[0]}x1x1 map",
            at_env.trace + (f"node {name} ({env.doc.loc(path)}) reads it",)))
        return POISON

    # ------------------------------------------------------------------ sequences and items
    def seq(self, seq: Seq | None, prefix: str, env: Env, x: Value) -> Value:
        """Expand a list of items in scope `prefix`, naming them by the rule of archspec.language.naming."""
        if seq is None:  # unreadable, and reported by the parser
            return POISON
        for node in seq.items:
            name, transparent, free = item_name(self.namer, prefix, node, seq.numbered)
            if not free:
                self.error(env, node.path + ("name",), f"the name '{node.mods.name}' is used twice in this scope",
                           "give one of the items another `name:`")
            x = self.item(node, name, env, x, transparent)
        return x

    def item(self, node: Node, name: str, env: Env, x: Value, transparent: bool = False) -> Value:
        """Expand one item (its `when:` and repeats included) named `name`, reading x."""
        try:
            return self._item(node, name, env, x, transparent)
        except Exception as exc:
            self.compiling(exc, env, node.path)
            raise

    def holds(self, node: Node, env: Env) -> bool | None:
        """Whether the item's `when:` condition holds (None when it cannot be evaluated)."""
        when = node.mods.when
        if when is None:
            return True
        raw = when.value if isinstance(when.value, (bool, str)) else repr(when.value)
        return self.evaluate(raw, bool, when.path, env)

    def _item(self, node: Node, name: str, env: Env, x: Value, transparent: bool) -> Value:
        self.spend(env, node.path)
        if not self.holds(node, env):
            return x
        if node.mods.refs is not None:
            x = read_from(self, node, env)
        elif x.parts:
            x = single(self, node, env, x)  # the item before gave several tensors: say which
        return self._instances(node, name, env, x, transparent)

    def _instances(self, node: Node, name: str, env: Env, x: Value, transparent: bool) -> Value:
        """The item once, or once per repeat with first/last overrides."""
        mods = node.mods
        if env.init and (rules := for_item(env.init, env.doc, mods.name, node.path)) is not None:
            env = replace(env, init=(rules,) + env.init)  # `init: {item_name: {...}}` of the body it is in
        if mods.repeat is None:
            return self.one(node, name, env, x, {}, transparent)
        count = self.repeat_count(mods.repeat, env)
        if count is None:
            return POISON
        scopes = self.graph.graph["scopes"]
        key = env.scope[node.param].name if isinstance(node, BlockUse) and node.param else node.key
        record = {"kind": "repeat", "key": key, "count": count, "parent": env.block_use,
                  "loc": self.loc(env, node.path)}
        scopes[name] = record
        use = scopes.get(env.block_use, {})
        if use.get("kind") == "block" and self._sole_item(use["key"], node):  # WRN's stage: 'stage (B x4)'
            scopes[env.block_use] = {**record, "in_block": use["key"], **{k: use[k] for k in ("label",) if k in use}}
        for i in range(count):
            overrides = {}
            if i == 0 and mods.first:
                overrides.update({k: (a.value, a.path) for k, a in mods.first.items()})
            if i == count - 1 and mods.last:
                overrides.update({k: (a.value, a.path) for k, a in mods.last.items()})
            x = self.one(node, f"{name}.{i}", env, x, overrides)
        return x

    def _sole_item(self, block: str, node: Node) -> bool:
        """Whether the item is the whole body of the block (reports show such a block as its repeat)."""
        ref = self.blocks.get(block)
        return ref is not None and len(ref.definition.body) == 1 and node.path == ref.path + ("body", 0)

    def repeat_count(self, repeat: Arg, env: Env) -> int | None:
        """The number of repeats, or None (reported) when it is not a whole number in range."""
        value = self.evaluate(repeat.value, int, repeat.path, env)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value > limits().repeat:
            self.error(env, repeat.path, f"repeat must be a whole number from 1 to {limits().repeat:,} (limit repeat), "
                                        f"got {value!r}")
            return None
        return value

    def one(self, node: Node, name: str, env: Env, x: Value, overrides: dict, transparent: bool = False) -> Value:
        """One instance of an item, with first/last overrides ({key: (value, path)}); its output is bound
        to the item's `id:` (once per instance of a repeated item)."""
        self.spend(env, node.path)
        result = self._one(node, name, env, x, overrides, transparent)
        bind_id(node, env, result)
        return result

    def _one(self, node: Node, name: str, env: Env, x: Value, overrides: dict, transparent: bool) -> Value:
        if not transparent and (node.kind == "composite" or node.key == "conv"):
            self.spend(env, node.path)  # the scope record it leaves, whether or not it makes nodes
            self.graph.graph["scopes"].setdefault(name, {"kind": "item", "key": node.key, "parent": env.block_use,
                                                         "loc": self.loc(env, node.path)})
        if isinstance(node, BlockUse):
            return self.block_use(node, name, env, x, overrides)
        if not (isinstance(node, Merge) and not node.branches):  # only a merge of `from:` tensors reads several
            x = single(self, node, env, x)
        if isinstance(node, OpItem):
            return self.primitive(node, name, env, x, overrides)
        if isinstance(node, Seq):
            return self.seq(node, name, env, x)
        return self.composites[type(node)](self, node, name, env, x)

    # ------------------------------------------------------------------ primitives
    def primitive(self, node: OpItem, name: str, env: Env, x: Value, overrides: dict) -> Value:
        """A primitive op item: its validated arguments become one IR node (a conv unit, up to three)."""
        data, sources = merged_args(node, env.defaults, overrides)
        if node.key == "conv":
            return self.conv_unit(data, sources, name, env, x, node.key_path)
        spec = PRIMITIVES[node.key]
        args = self.validate(spec.model, data, sources, node.key_path, env)
        if args is None:
            return POISON
        op = spec.op_for(x.shape)  # `bn` is BatchNorm2d on a map, BatchNorm1d on a vector
        attrs = op.attrs(node.key, args, x.shape or (0,))
        why = self.provenance(node.key, args, data, sources, env, node.key_path)
        y = self.emit(name, op.name, attrs, [x], env, node.key_path, why)
        if attrs.get("keepdim") is False and y.node is not None:
            self._flat[y.node] = (node.key, env, node.key_path)
        return y

    def conv_unit(self, data: dict, sources: dict, name: str, env: Env, x: Value, path: Path) -> Value:
        """conv -> batch norm -> activation, the nodes named conv, bn, act under `name`."""
        data = with_bn_defaults(data, sources, env.defaults)
        args = self.validate(PRIMITIVES["conv"].model, data, sources, path, env)
        if args is None or x.shape is None:
            return POISON
        why = self.provenance("conv", args, data, sources, env, path)  # one record, shared by the unit's nodes
        y = self.emit(f"{name}.conv", "conv2d", OPS["conv2d"].attrs("conv", args, x.shape), [x], env, path, why)
        if args.bn is not None:
            y = self.emit(f"{name}.bn", "batchnorm2d", bn_attrs(args.bn, args.out), [y], env, path, why)
        if args.act != "none":
            y = self.emit(f"{name}.act", "act", {"fn": args.act}, [y], env, path, why)
        return y

    # ------------------------------------------------------------------ blocks
    def run_checks(self, checks: list, owner: Path, env: Env) -> bool:
        """Evaluate `checks:` rules with values; report each that fails."""
        ok = True
        for j, rule in enumerate(checks):
            path = owner + ("checks", j, "that")
            holds = self.evaluate(rule.that, bool, path, env)
            if holds is None:
                ok = False
            elif not isinstance(holds, bool):
                self.error(env, path, f"a check must be a condition (true or false), '{rule.that}' gives {holds!r}")
                ok = False
            elif not holds:
                self.error(env, path, interpolate(rule.message, env, lambda text: self.evaluate(
                    text, object, owner + ("checks", j, "message"), env)))
                ok = False
        return ok

    def block_use(self, node: BlockUse, name: str, env: Env, x: Value, overrides: dict) -> Value:
        """Bind the use's arguments (evaluated in the caller's scope) and expand the block's body."""
        use = self.bind_use(node, env, x, overrides)
        return POISON if use is None else self.expand_use(node, name, env, use)

    def bind_use(self, node: BlockUse, env: Env, x: Value, overrides: dict) -> "Use | None":
        """The block a use names, its parameter values and the ids its body starts with (None: reported)."""
        key, given = node.key, {k: (a.value, a.path) for k, a in node.args.items()}
        if node.param is not None:  # `$param`: the block its value names, with the arguments it carries
            call = env.scope[node.param]
            try:
                from_call = call_arguments(call, self.blocks[call.name].definition.params)
            except SpecValueError as exc:
                self.error(env, node.path, str(exc))
                return None
            key = call.name
            given = {**{k: (v, node.key_path + (k,)) for k, v in from_call.items()}, **given}
        block = self.blocks[key]
        if key in env.blocks_in_use or len(env.blocks_in_use) >= limits().block_depth:
            why = "uses itself" if key in env.blocks_in_use else f"is nested {limits().block_depth} deep (limit block_depth)"
            self.error(env, node.key_path, f"block '{key}' {why} ({' -> '.join(env.blocks_in_use + (key,))})", key=True)
            return None
        given.update(overrides)
        self.spend(env, node.key_path, USE_COST + len(given) + len(block.definition.params))  # and its parameters bound
        values = bind(block.definition.params, given, env.context(),
                      lambda path, message, hint, key=False: self.error(env, path, message, hint, key=key),
                      node.key_path, f"block '{key}'", self._block_names)
        if values is None:
            return None
        self.spend(env, node.key_path, size_cost(values.values()))  # the values bound are copied and recorded
        ids = block_inputs(self, node, block, env, x)
        if ids is None or ids["input"][0].shape is None:
            return None
        return Use(block, values, given, ids)

    def expand_use(self, node: BlockUse, name: str, env: Env, use: "Use") -> Value:
        """A bound block use: its `checks:` and its body, in a scope of its own named `name`."""
        block, values, key, x = use.block, use.values, use.block.name, use.ids["input"][0]
        where = f"in block '{key}' used at {env.doc.loc(node.path)} ({format_path(node.path)})"
        if values:
            bound = ", ".join(f"{k}={v}" for k, v in values.items())
            where += f" with {bound if len(bound) <= 100 else bound[:97] + '...'}"
        bound = bound_params(block, values, use.given, lambda path: self.loc(env, path))
        inner = Env(block.doc, dict(values), block.defaults, block.block_params, env.trace + (where,),
                    env.blocks_in_use + (key,), name, ids=use.ids, bound=bound,
                    init=((block.init,) if block.init else ()) + env.init).with_input(x)
        if not self.run_checks(block.definition.checks, block.path, inner):
            return POISON
        record = {"kind": "block", "key": key, "parent": env.block_use, "loc": self.loc(env, node.path), "bound": bound,
                  **({"label": display_label(block.definition.label, block.path + ("label",), inner, self.evaluate)}
                     if block.definition.label else {})}  # the display name diagrams show, with this use's values
        # setdefault: when a block's body is a single block use it is inlined, and the outer block names the scope
        self.graph.graph["scopes"].setdefault(name, record)
        out = self.seq(block.body, name, inner, x)
        return block_outputs(self, block, inner, out)


@dataclass(frozen=True)
class Use:
    """A block use with its arguments bound: the block, its parameter values, the arguments as given
    ({name: (value, path)}) and the ids its body starts with ({"input": [value], ...})."""

    block: BlockRef
    values: dict
    given: dict
    ids: dict
