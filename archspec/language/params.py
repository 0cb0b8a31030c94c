"""Parameters: declared with a type and default, bound from overrides or block uses, type-checked."""
from __future__ import annotations

from typing import Any, Container, Mapping

from .blockcall import parse_block_call
from ..errors import Diagnostic, DiagnosticSink, OverrideError, Path, SpecValueError, did_you_mean
from .expr import ExprError, parse_expr
from .schema import ParamDecl, TYPE_OF
from ..source.scalars import check_numbers, scalar_from_text, show
from .values import NotYetKnown, resolve_expr


def coerce(name: str, decl: ParamDecl, value: Any, blocks: Container[str] = ()) -> Any:
    """Check value against decl's type and choices; raise SpecValueError with a readable message. Every
    value a parameter takes passes here (a default, an override, a block use's or reference's argument),
    so here every number in it is checked (no NaN, infinity, complex number or number beyond the limit)."""
    try:
        check_numbers(value)
    except SpecValueError as exc:
        raise SpecValueError(f"parameter '{name}': {exc.message}", exc.hint) from None
    if decl.type == "block":
        try:
            return parse_block_call(value, blocks)
        except SpecValueError as exc:
            raise SpecValueError(f"parameter '{name}': {exc}") from None
    if decl.type == "list":
        if not isinstance(value, (list, tuple)) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise SpecValueError(f"parameter '{name}' must be a list of numbers, got {show(value)}")
        return list(value)
    kind = TYPE_OF.get(decl.type) if decl.type else None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)
    if kind is not None and (type(value) is not kind):
        raise SpecValueError(f"parameter '{name}' must be {decl.type}, got {show(value)}")
    if decl.choices is not None and value not in decl.choices:
        raise SpecValueError(f"parameter '{name}' must be one of {decl.choices}, got {show(value)}")
    return value


def block_param_names(decls: dict[str, ParamDecl]) -> frozenset[str]:
    """Parameters of type block: they may be used as items `$name`."""
    return frozenset(n for n, d in decls.items() if d.type == "block")


def is_expression(decl: ParamDecl, raw: Any) -> bool:
    """Any string is an expression for a number or bool; for str (or untyped) only `$x` is."""
    if not isinstance(raw, str):
        return False
    return raw.startswith("$") or decl.type in ("int", "float", "bool")


def evaluate(decl: ParamDecl, raw: Any, context: dict) -> Any:
    """A parameter value as written: literal, or the expression's value (raises NotYetKnown when
    checking with names only)."""
    if not is_expression(decl, raw):
        return raw
    try:
        expr = parse_expr(raw)
    except ExprError as exc:
        raise SpecValueError(str(exc)) from None
    return resolve_expr(expr, context, TYPE_OF.get(decl.type or "", object))


def bind(decls: dict[str, ParamDecl], given: dict[str, tuple[Any, Path]], context: dict,
         report, missing_at: Path, owner: str, blocks: Container[str] = (),
         declared_at: Path | None = None) -> dict | None:
    """Values of every declared parameter. `given` maps name -> (raw value, path it was written at);
    defaults may be expressions over the parameters declared before them."""
    ok = True
    for name, (_, path) in given.items():
        if name not in decls:
            hint = did_you_mean(name, decls) or (f"{owner} takes: {', '.join(decls)}" if decls else
                                                 f"{owner} takes no parameters")
            report(path, f"unknown parameter '{name}'", hint, key=True)
            ok = False
    values: dict = {}
    for name, decl in decls.items():
        if name in given:
            raw, path = given[name]
            inner = context
        elif decl.default is not None:
            raw = decl.default
            path = declared_at + (name, "default") if declared_at is not None else missing_at
            inner = {**context, "scope": {**(context.get("scope") or {}), **values}} \
                if context.get("scope") is not None else {"names": set(context.get("names", ())) | set(values)}
        else:
            report(missing_at, f"{owner} needs parameter '{name}'" + (f" ({decl.doc})" if decl.doc else ""), None)
            ok = False
            continue
        try:
            values[name] = coerce(name, decl, evaluate(decl, raw, inner), blocks)
        except NotYetKnown:
            values[name] = None  # checking: the value is known only when expanding
        except SpecValueError as exc:
            report(path, exc.message, exc.hint)
            ok = False
    return values if ok else None


class CommandLineOverrides(dict):
    """Overrides read from the command line: their mistakes are named as `--set NAME=...`."""

    label = "--set"


def resolve_spec_params(decls: dict[str, ParamDecl], overrides: dict[str, Any], doc_loc, sink: DiagnosticSink,
                        blocks: Container[str] = ()) -> dict:
    """The network's parameter values: defaults, replaced by overrides (from --set or the API). A wrong
    override raises OverrideError (the caller's mistake); mistakes of the file go to the sink."""
    wrong = DiagnosticSink()
    cli_label = getattr(overrides, "label", "overrides=")

    def report(path, message, hint, key=False):
        if path and path[0] == "<override>":
            wrong.add(_from_override(path[1], message, hint, cli_label))
        else:
            sink.add(Diagnostic(message, doc_loc(path), path, hint))

    given = {}
    for name, value in overrides.items():  # overrides are values, never expressions
        try:
            value = coerce(name, decls[name], value, blocks) if name in decls else value
        except SpecValueError as exc:
            report(("<override>", name), exc.message, exc.hint)
            continue
        given[name] = (value, ("<override>", name))

    values = bind(decls, given, {"scope": {}}, report, ("params",), "this spec", blocks, declared_at=("params",))
    if wrong:
        raise OverrideError(wrong.items)
    return values or {}


def _from_override(name: str, message: str, hint: str | None, label: str = "--set") -> Diagnostic:
    """A mistake of the override `name` (not of the file): no file location, the override named."""
    given = f"{label} {name}=..." if label == "--set" else f"overrides={{{name!r}: ...}}"
    return Diagnostic(f"{message} (from {given})", None, ("params", name), hint)


def override_values(overrides: Any) -> dict[str, Any]:
    """The overrides the API was given, as a dict (None: none). Anything but a mapping of parameter
    names (strings) is the caller's mistake: OverrideError."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise OverrideError([Diagnostic(f"overrides must be a mapping of parameter names to values, got "
                                        f"{type(overrides).__name__} {show(overrides)}", None, ("<overrides>",))])
    wrong = [Diagnostic(f"an override's key must be a parameter name (a string), got {type(k).__name__} {show(k)}",
                        None, ("<overrides>",)) for k in overrides if not isinstance(k, str)]
    if wrong:
        raise OverrideError(wrong)
    return overrides if isinstance(overrides, CommandLineOverrides) else dict(overrides)


def read_overrides(pairs: list[tuple[str, str]], label: str = "--set") -> dict[str, Any]:
    """Overrides written as text (`--set NAME=TEXT`): each TEXT is read as one YAML scalar, as a value
    in a spec file is (`10`, `0.5`, `true`, text; a list, a mapping or several documents stay text,
    and nothing nested is built). A number a spec may not hold raises OverrideError, naming the override."""
    values, wrong = {}, []
    for name, text in pairs:
        try:
            values[name] = scalar_from_text(text) if text.strip() else ""
        except SpecValueError as exc:
            wrong.append(_from_override(name, exc.message, exc.hint, label))
    if wrong:
        raise OverrideError(wrong)
    return CommandLineOverrides(values)


def plain_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as JSON-able data (a block reference becomes its text, e.g. 'B(3, 3)')."""
    return {k: v if isinstance(v, (int, float, bool, str, list, type(None))) else str(v) for k, v in values.items()}
