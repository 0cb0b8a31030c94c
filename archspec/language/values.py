"""Field types for spec arguments: literal values or expressions over parameters.

Argument models are validated with a pydantic *context*:
- ``{"scope": {...}}`` evaluates every expression with real parameter values (expansion);
- ``{"names": {...}}`` (checking, before any value exists) judges literals fully and an expression
  on its syntax and names only: it then raises NotYetKnown, which the checker does not report, so
  the field is judged again, with its value, during expansion.
Numeric fields read any string as an expression; string fields read ``$name`` / ``${expr}``.
"""
from __future__ import annotations

import ast
import copy
import functools
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from ..errors import InternalError, SpecValueError, did_you_mean
from .expr import _check, CONSTANTS, Expr, ExprError, parse_expr, spend
from ..source.scalars import read_number  # noqa: F401 (for ops, which read `3x3` with it and may not import source)



class NotYetKnown(SpecValueError):
    """Checking: the expression is well-formed and reads only declared names; its value (and what
    depends on it) is judged during expansion. Never reported to the user."""


def evaluate_value(value: Any, context: dict, kind: type) -> Any:
    """A literal or expression argument in a validation context ({"scope": ...} or {"names": ...}):
    evaluate an expression (or, with names only, vet it and raise NotYetKnown); literals are bounded
    and, for numbers, must not be booleans (YAML's `true` is no channel count). Raises SpecValueError."""
    if not isinstance(value, str):
        if kind in (int, float) and isinstance(value, bool):
            raise SpecValueError(f"expected a number, got {str(value).lower()}")
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise SpecValueError(f"expected a whole number, got {value:g}")
        try:
            return _check(value)
        except ExprError as exc:
            raise SpecValueError(str(exc)) from None
    if kind is str and not value.startswith("$"):
        return value
    try:
        expr = parse_expr(value)
    except ExprError as exc:
        raise SpecValueError(str(exc)) from None
    return resolve_expr(expr, context, kind)


def resolve_expr(expr: Expr, context: dict, kind: type) -> Any:
    """Evaluate expr in context['scope'], or vet its names against context['names'] (then raise
    NotYetKnown: there is no value to give). Either way, charge the `work` limit for its size (the caller
    charges the step every expression costs; archspec.language.expr.NODES_PER_STEP)."""
    spend(expr.cost)
    scope = context.get("scope")
    if kind is bool:
        _vet_bool(expr, set(scope) if scope is not None else set(context.get("names", ())))
    if scope is None:
        names = context.get("names", set())
        for name in sorted(expr.names - set(names)):
            hint = did_you_mean(name, names)
            raise SpecValueError(f"unknown parameter '{name}' in '{expr.text}'" + (f" ({hint})" if hint else ""))
        raise NotYetKnown(expr.text)
    try:
        result = expr.evaluate(scope)
    except ExprError as exc:
        raise SpecValueError(str(exc)) from None
    if kind in (int, float) and isinstance(result, bool):
        raise SpecValueError(f"expected a number, '{expr.text}' gives {str(result).lower()}")
    if kind is int and isinstance(result, float):
        if not result.is_integer():
            raise SpecValueError(f"expected a whole number, '{expr.text}' gives {result:g}", _whole_hint(expr))
        result = int(result)
    return result


def _vet_bool(expr: Expr, names: set) -> None:
    """A bool written as a word that is no parameter (`"no"`, `"yes"`, `"off"`): say a bool is true or false."""
    word = expr.tree.id if isinstance(expr.tree, ast.Name) else None
    if word is not None and word not in names and word not in CONSTANTS and did_you_mean(word, names) is None:
        raise SpecValueError(f"expected a bool (true or false), got '{expr.text}'",
                             "write true or false, or a condition such as `width > 64`")


@functools.lru_cache(maxsize=256)
def _whole_hint(expr: Expr) -> str:
    """How to make an expression whole: its divisions as floor divisions, or round() (memoized: parsed
    expressions are, and a loop may give the same mistake thousands of times)."""
    class Floor(ast.NodeTransformer):
        def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
            self.generic_visit(node)
            return ast.BinOp(node.left, ast.FloorDiv(), node.right) if isinstance(node.op, ast.Div) else node

    floored = ast.unparse(Floor().visit(copy.deepcopy(expr.tree)))
    if floored != ast.unparse(expr.tree):
        return f"use // for a whole-number division: '{floored}'"
    return f"use // for a whole-number division, or round(): 'round({expr.text})'"


def _make(kind: type):
    def validate(value: Any, info) -> Any:
        try:
            return evaluate_value(value, info.context or {}, kind)
        except SpecValueError:
            raise  # pydantic reports it as a located validation error
        except ValueError as exc:  # pydantic would report any ValueError as the user's mistake
            raise InternalError(f"evaluating {value!r}: {type(exc).__name__}: {exc}") from exc

    return BeforeValidator(validate)


IntArg = Annotated[int, _make(int)]
FloatArg = Annotated[float, _make(float)]
BoolArg = Annotated[bool, _make(bool)]
StrArg = Annotated[str, _make(str)]


def words_schema(words) -> WithJsonSchema:
    """The editor schema (JSON Schema) of a string argument that takes one of these words or an expression
    (`$name`, `${...}`): an editor offers the words and marks any other text that is not an expression."""
    return WithJsonSchema({"anyOf": [{"enum": list(words)}, {"type": "string", "pattern": r"^\$"}]})
