"""The pipeline, top to bottom:

    YAML text --load--> SourceDoc --validate, parse, check--> Spec (syntax trees) --expand--> IR graph
    (shapes) --count--> counts

`load_spec` loads, validates the document, parses every item list into a syntax tree (archspec.language.parse)
and runs the checks over the trees (archspec.language.checks): every mistake of the files, in every block
used or not, is reported at once. `lower` expands the trees with values (archspec.expand.expander), with
shape inference, then counts."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path as FsPath
from typing import Any, Mapping

import networkx as nx
from pydantic import ValidationError

from .language import schema as L
from .errors import Diagnostic, DiagnosticSink, SpecError, SpecValueError, did_you_mean, note_compiling
from .language.expr import RESERVED
from .analysis.features import check_taps
from .language.checks import Checker, Scope
from .expand.composites import EXPANDERS
from .expand.references import dead_ends, network_outputs
from .expand.expander import Expander
from .expand.memo import Counts, CountingExpander, FragmentMemo
from .ir.graph import check as check_ir
from .language.items import is_reserved, NAME_RE
from .ops import defaults_keys
from .language.params import block_param_names, override_values, plain_values, resolve_spec_params
from .language.parse import Parser
from .ir.passes import count, mark_train_only
from .language.syntax import Seq
from .language.values import evaluate_value, NotYetKnown
from .language.walk import BlockRef, BUILTINS, display_label, Env
from .language.pydantic_errors import diagnostics_from
from .source.access import allowing, Dirs, reading
from .source.documents import load_document
from .language.init import InitSet, item_names, parse_init
from .language.libraries import library_file, load_imports, PREFIX
from .source.yamlsource import load_yaml_file, SourceDoc
from .limits import current as limits, Limits, using
from .collector import collector_paused

PASSES = (("mark_train_only", mark_train_only), ("count", count))  # run by lower() in this order, after expansion


@dataclass
class Spec:
    """A loaded, validated spec with its parameter values bound."""

    source: SourceDoc
    doc: L.SpecDoc
    params: dict[str, Any]
    blocks: dict[str, BlockRef] = field(default_factory=dict)
    defaults: dict[str, tuple[dict, tuple]] = field(default_factory=dict)
    lets: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)  # as given (--set or the API)
    network: Seq | None = None  # the syntax trees of `network` and `head`
    head: Seq | None = None
    init: InitSet | None = None  # the file's `init:` (blocks carry their own)

    @property
    def scope(self) -> dict[str, Any]:
        """What the network's expressions see: parameters, then `let` values."""
        return {**self.params, **self.lets}

    @property
    def name(self) -> str:
        return self.doc.name

    @property
    def file(self) -> str:
        return self.source.file


@dataclass
class LibrarySpec:
    """A block library file, validated and checked on its own (what `archspec validate` and `blocks` read)."""

    source: SourceDoc
    doc: L.LibraryDoc
    blocks: dict[str, BlockRef] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.source.file


SPEC_ONLY_KEYS = frozenset({"network", "head", "name", "input", "extends"})


def is_library(path: str | FsPath) -> bool:
    """Whether path names a block library: `archspec:NAME`, or a file with `blocks:` and none of a spec's
    own keys (network, head, name, input, extends)."""
    if str(path).startswith(PREFIX):
        return True
    try:
        data = load_yaml_file(path).data
    except SpecError:
        return False
    return isinstance(data, dict) and "blocks" in data and not SPEC_ONLY_KEYS & set(data)


def load_library(path: str | FsPath, *, limits: "Limits | Mapping[str, int] | None" = None,
                 allow_dirs: Dirs = None) -> LibrarySpec:
    """Load a block library (a file, or `archspec:NAME` for a shipped one) with what it imports, and check
    every block in it; raise SpecError with every located mistake at once. limits: see archspec.limits."""
    with using(limits), allowing(allow_dirs), reading(library_file(str(path))):
        return _load_library(path)


def _load_library(path: str | FsPath) -> LibrarySpec:
    source = load_yaml_file(library_file(str(path)))
    if not isinstance(source.data, dict) or SPEC_ONLY_KEYS & set(source.data):
        raise SpecError([Diagnostic("a block library is a mapping with blocks (and doc, imports, defaults), "
                                    "without a spec's network, head, name, input or extends", source.loc(()))])
    try:
        doc = L.LibraryDoc.model_validate(source.data)
    except ValidationError as exc:
        raise SpecError(diagnostics_from(exc, source, (), L.LibraryDoc)) from None
    sink = DiagnosticSink()
    blocks: dict[str, BlockRef] = {}
    for library in load_imports(source, doc.imports, sink, {}, (str(FsPath(source.file).resolve()),)):
        _collect_blocks(library.model.blocks, library.doc, _collect_defaults(library.model.defaults, library.doc, sink),
                        blocks, sink)
    _collect_blocks(doc.blocks, source, _collect_defaults(doc.defaults, source, sink), blocks, sink)
    sink.raise_if_any()
    for name, block in blocks.items():
        blocks[name] = replace(block, body=Parser(block.doc, sink).seq(block.definition.body, block.path + ("body",)))
    checker = Checker(blocks, sink)
    _check_blocks(checker, blocks)
    checker.recursion([])
    sink.raise_if_any()
    return LibrarySpec(source, doc, blocks)


def load_spec(path: str | FsPath, overrides: Mapping[str, Any] | None = None, *,
              limits: "Limits | Mapping[str, int] | None" = None, allow_dirs: Dirs = None) -> Spec:
    """Load and validate a spec file (with what it extends and imports); raise SpecError with every located
    mistake. limits: a Limits or a mapping of changes (archspec.limits); allow_dirs: see archspec.source.access."""
    with using(limits), allowing(allow_dirs), reading(path):
        return spec_from_source(load_document(FsPath(path), frozenset(L.SpecDoc.model_fields)), overrides)


def spec_from_source(source: SourceDoc, overrides: Mapping[str, Any] | None = None) -> Spec:
    try:
        return _spec_from_source(source, overrides)
    except Exception as exc:  # a bug: say which spec (the expander names the item when it was in one)
        note_compiling(exc, f"the spec {source.file}")
        raise


def _spec_from_source(source: SourceDoc, overrides: Mapping[str, Any] | None) -> Spec:
    if not isinstance(source.data, dict):
        raise SpecError([Diagnostic("a spec is a mapping with name, input, network (and more)",
                                    source.loc(()))])
    if "blocks" in source.data and not SPEC_ONLY_KEYS & set(source.data):
        raise SpecError([Diagnostic("this is a block library (blocks, no network), not a spec", source.loc(()), (),
                                    "import it from a spec (imports: [...]); `archspec validate` and `archspec "
                                    "blocks` check and list a library on its own")])
    try:
        doc = L.SpecDoc.model_validate(source.data)
    except ValidationError as exc:
        raise SpecError(diagnostics_from(exc, source, (), L.SpecDoc)) from None
    sink = DiagnosticSink()
    defaults = _collect_defaults(doc.defaults, source, sink)
    blocks: dict[str, BlockRef] = {}
    for library in load_imports(source, doc.imports, sink, {}):
        _collect_blocks(library.model.blocks, library.doc, _collect_defaults(library.model.defaults, library.doc, sink),
                        blocks, sink)
    _collect_blocks(doc.blocks, source, defaults, blocks, sink)
    for name in doc.params:
        if name in BUILTINS or name in RESERVED or not NAME_RE.match(name):
            sink.add(Diagnostic(f"parameter name '{name}' is reserved (in_ch, in_h, in_w, true, false, function names) or invalid",
                                source.loc(("params", name), key=True), ("params", name)))
    sink.raise_if_any()
    params = resolve_spec_params(doc.params, override_values(overrides), source.loc, sink, set(blocks))
    sink.raise_if_any()
    lets = _evaluate_lets(doc, source, params, sink)
    sink.raise_if_any()
    # Every item list is parsed once, here, and its mistakes reported with the checks' below.
    for name, block in blocks.items():
        body = Parser(block.doc, sink).seq(block.definition.body, block.path + ("body",))
        init = parse_init(block.definition.init, block.doc, block.path + ("init",), (block.path + ("body",),),
                          item_names([body]), sink)
        blocks[name] = replace(block, body=body, init=init)
    parser = Parser(source, sink)
    network = parser.seq(doc.network, ("network",))
    head = parser.seq(doc.head, ("head",)) if doc.head else None
    init = parse_init(doc.init, source, ("init",), (("network",), ("head",)), item_names([network, head]), sink)
    spec = Spec(source, doc, params, blocks, defaults, lets, dict(overrides or {}), network, head, init)
    check(spec, sink)
    sink.raise_if_any()
    return spec


def _evaluate_lets(doc: L.SpecDoc, source: SourceDoc, params: dict, sink: DiagnosticSink) -> dict:
    scope, lets = dict(params), {}
    for name, raw in doc.let.items():
        path = ("let", name)
        if not NAME_RE.match(name) or name in params or name in BUILTINS or name in RESERVED:
            sink.add(Diagnostic(f"'{name}' is not a free name for a let value", source.loc(path, key=True), path))
            continue
        try:
            value = evaluate_value(raw, {"scope": scope}, object)
        except SpecValueError as exc:
            sink.add(Diagnostic(str(exc), source.loc(path), path))
            continue
        scope[name] = lets[name] = value
    return lets


def _collect_blocks(definitions: dict[str, L.BlockDef], source: SourceDoc, defaults: dict,
                    blocks: dict[str, BlockRef], sink: DiagnosticSink) -> None:
    for name, definition in definitions.items():
        path = ("blocks", name)
        if not NAME_RE.match(name) or is_reserved(name):
            why = "is a built-in op name" if is_reserved(name) else "must use letters, digits and _"
            sink.add(Diagnostic(f"block name '{name}' {why}", source.loc(path, key=True), path))
            continue
        if name in blocks:
            first = blocks[name].doc.loc(blocks[name].path, key=True)
            sink.add(Diagnostic(f"block '{name}' is already defined at {first}", source.loc(path, key=True), path,
                                "rename one of them"))
            continue
        for param in definition.params:
            if param in BUILTINS or param in RESERVED or not NAME_RE.match(param):
                sink.add(Diagnostic(f"parameter name '{param}' is reserved (in_ch, in_h, in_w, true, false, function names) "
                                    "or invalid",
                                    source.loc(path + ("params", param), key=True), path + ("params", param)))
        blocks[name] = BlockRef(name, definition, source, path, defaults)


def _collect_defaults(declared: dict[str, dict], source: SourceDoc, sink: DiagnosticSink) -> dict:
    """{primitive: (values, path)}; the keys must name primitives that take defaults."""
    defaults = {}
    keys = defaults_keys()  # computed per spec: a plugin op may have added a key
    for key, values in declared.items():
        path = ("defaults", key)
        if key not in keys:
            sink.add(Diagnostic(f"no defaults can be set for '{key}'", source.loc(path, key=True), path,
                                did_you_mean(key, keys) or f"choose from {', '.join(keys)}"))
            continue
        defaults[key] = (values, path)
    return defaults


def check(spec: Spec, sink: DiagnosticSink) -> None:
    """Run the checks (archspec.language.checks) over the network, the head and every block body, used or not."""
    checker = Checker(spec.blocks, sink)
    top = Scope(spec.source, frozenset(spec.scope) | frozenset(BUILTINS), spec.defaults,
                block_param_names(spec.doc.params))
    before_input = replace(top, names=frozenset(spec.scope))  # in_ch etc. exist only once there is an input
    checker.run_checks(spec.doc.checks, (), before_input)
    _input_shape(spec, before_input.context(), sink)
    top = replace(top, ids=checker.id_table([spec.network, spec.head], (), spec.source))
    checker.body(spec.network, "", top)
    checker.body(spec.head, "head", top)
    top.ids.check_outputs(spec.doc.outputs, ("outputs",))
    _check_blocks(checker, spec.blocks)
    checker.recursion([spec.network, spec.head])


def _check_blocks(checker: Checker, blocks: dict[str, BlockRef]) -> None:
    """The checks over every block's `checks:` rules and body (with its ids), used or not."""
    for block in blocks.values():
        inputs = tuple(block.definition.inputs)
        scope = Scope(block.doc, frozenset(block.definition.params) | frozenset(BUILTINS), block.defaults,
                      block.block_params, checker.id_table([block.body], inputs, block.doc))
        checker.run_checks(block.definition.checks, block.path, scope)
        checker.body(block.body, block.name, scope)
        scope.ids.check_outputs(block.definition.outputs, block.path + ("outputs",))
        seen: set[str] = set()
        for i, name in enumerate(inputs):
            if name == "input" or name in seen:
                checker.sink.add(Diagnostic(f"'{name}' is {'reserved' if name == 'input' else 'listed twice'}",
                                            block.doc.loc(block.path + ("inputs", i)), block.path + ("inputs", i)))
            seen.add(name)


def _input_shape(spec: Spec, context: dict, sink: DiagnosticSink) -> tuple[int, ...] | None:
    """[C, H, W] evaluated in context; when checking, a size given by an expression is left at None."""
    raw = spec.doc.input
    if len(raw) != 3:
        sink.add(Diagnostic(f"input must be [C, H, W], got {len(raw)} values", spec.source.loc(("input",)),
                            ("input",)))
        return None
    shape = []
    for i, value in enumerate(raw):
        path = ("input", i)
        try:
            if isinstance(value, str):
                value = evaluate_value(value, context, int)
        except NotYetKnown:
            shape.append(None)
            continue
        except SpecValueError as exc:
            sink.add(Diagnostic(str(exc), spec.source.loc(path), path))
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limits().input_size:
            sink.add(Diagnostic(f"input sizes must be whole numbers from 1 to {limits().input_size:,} "
                                f"(limit input_size), got {value!r}", spec.source.loc(path), path))
            return None
        shape.append(value)
    return tuple(shape)


def debug_enabled() -> bool:
    """Whether ARCHSPEC_DEBUG is set to 1/true/yes: then lower() lints the IR after every pass."""
    return os.environ.get("ARCHSPEC_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def lower(spec: Spec, debug: bool | None = None, *, limits: "Limits | Mapping[str, int] | None" = None) -> nx.DiGraph:
    """Expand a validated spec into the IR graph with every shape inferred and every node counted. With
    debug (default: ARCHSPEC_DEBUG), lint the IR after each pass; a problem raises ir.LintError, a bug in
    archspec."""
    try:
        with using(limits), collector_paused():  # an IR is many objects that stay: scanned once, afterwards
            return _lower(spec, debug_enabled() if debug is None else debug)
    except Exception as exc:  # a bug: say which spec (the expander names the item when it was in one)
        note_compiling(exc, f"the spec {spec.file}")
        raise


def _lower(spec: Spec, debug: bool) -> nx.DiGraph:
    graph = _expand(spec, Expander(spec.blocks, DiagnosticSink(), EXPANDERS, graph_name=spec.name))
    if debug:
        check_ir(graph, "expansion")
    for name, run in PASSES:
        graph = run(graph)
        if debug:
            check_ir(graph, name)
    if spec.doc.features:
        check_taps(graph, spec.doc.features, spec.source.loc)
        graph.graph["feature_taps"] = list(spec.doc.features)
    return graph


def _expand(spec: Spec, ex: Expander) -> nx.DiGraph:
    """The network and head expanded by ex, with the graph's inputs and outputs recorded."""
    env = Env(spec.source, spec.scope, spec.defaults, block_param_names(spec.doc.params),
              init=(spec.init,) if spec.init else ())
    ex.run_checks(spec.doc.checks, (), env)
    label = display_label(spec.doc.label, ("label",), env, ex.evaluate) if spec.doc.label else ""  # diagrams' title
    ex.sink.raise_if_any()
    shape = _input_shape(spec, env.context(), ex.sink)
    ex.sink.raise_if_any()
    x = ex.emit("input", "input", {"shape": shape}, [], env, ("input",))
    env = env.with_input(x)  # in_ch, in_h, in_w at top level describe the network input
    env.ids["input"] = [x]
    x = ex.seq(spec.network, "", env, x)
    if spec.head is not None:
        x = ex.seq(spec.head, "head", env, x)
    returned = network_outputs(ex, spec.doc.outputs, env, x)
    ex.sink.raise_if_any()
    dead_ends(ex, returned)
    ex.sink.raise_if_any()
    graph, aux = ex.graph, ex.graph.graph["aux_outputs"]
    graph.graph.update(input="input", outputs=returned + [a["node"] for a in aux], file=spec.file,
                       params_values=plain_values(spec.params), **({"label": label} if label else {}))
    return graph


def count_network(spec: Spec, memo: FragmentMemo | None = None) -> Counts:
    """The params and MACs lower() counts, without building the IR (sweeps; under the limits in force).
    Block uses seen before are folded from memo (archspec.expand.memo); a spec with `features:` is not."""
    ex = CountingExpander(spec.blocks, DiagnosticSink(), EXPANDERS, spec.name, None if spec.doc.features else memo)
    try:
        return ex.counts(mark_train_only(_expand(spec, ex)))
    except Exception as exc:  # a bug: say which spec
        note_compiling(exc, f"the spec {spec.file}")
        raise


def compile_spec(spec_or_path: "Spec | str | FsPath", overrides: Mapping[str, Any] | None = None,
                 debug: bool | None = None, *, limits: "Limits | Mapping[str, int] | None" = None,
                 allow_dirs: Dirs = None) -> tuple[Spec, nx.DiGraph]:
    """Load (unless given a Spec) and lower: the whole front half of the pipeline (debug: see lower;
    limits, allow_dirs: see load_spec)."""
    with using(limits), allowing(allow_dirs), collector_paused():
        spec = spec_or_path if isinstance(spec_or_path, Spec) else load_spec(spec_or_path, overrides)
        if isinstance(spec_or_path, Spec) and overrides is not None:
            spec = with_overrides(spec, overrides)
        return spec, lower(spec, debug)


def with_overrides(spec: Spec, overrides: Mapping[str, Any]) -> Spec:
    """The same spec with other parameter values. The structural check does not depend on values,
    so only the parameters and `let` values are bound again: sweeping a design space over one loaded
    spec costs one expansion per variant."""
    sink = DiagnosticSink()
    merged = {**spec.overrides, **override_values(overrides)}  # defaults that are expressions are evaluated again
    params = resolve_spec_params(spec.doc.params, merged, spec.source.loc, sink, set(spec.blocks))
    sink.raise_if_any()
    lets = _evaluate_lets(spec.doc, spec.source, params, sink)
    sink.raise_if_any()
    return replace(spec, params=params, lets=lets, overrides=merged)
