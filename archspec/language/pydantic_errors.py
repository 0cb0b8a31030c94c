"""Turn pydantic ValidationErrors into located diagnostics."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Diagnostic, Path, SpecValueError, did_you_mean
from .values import evaluate_value, NotYetKnown
from ..source.access import may_quote
from ..source.yamlsource import SourceDoc


def _field_names(model: type[BaseModel] | None, loc: tuple) -> list[str]:
    """Names allowed at the mapping that holds loc[-1]."""
    for part in loc[:-1]:
        if model is None:
            return []
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None) \
            if isinstance(part, str) else None
        annotation = field.annotation if field else None
        model = next((t for t in getattr(annotation, "__args__", (annotation,))
                      if isinstance(t, type) and issubclass(t, BaseModel)), None)
    return [f.alias or n for n, f in model.model_fields.items()] if model else []  # as written: `in`, not `in_`


_BOUNDS = {"greater_than": ("gt", "greater than"), "greater_than_equal": ("ge", "greater than or equal to"),
           "less_than": ("lt", "less than"), "less_than_equal": ("le", "less than or equal to")}


def _got(value: Any, values: dict | None) -> str:
    """', got 3', or for an expression with values to evaluate it, ", 'w' gives 0"."""
    if isinstance(value, str):
        try:
            result = evaluate_value(value, values or {}, object) if values and "scope" in values else value
        except SpecValueError:
            result = value
        return f", '{value}' gives {result!r}" if result is not value else f", got '{value}'"
    return f", got {value!r}"


def _message(error: dict, model: type[BaseModel] | None, values: dict | None = None,
             quote: bool = True) -> tuple[str, str | None]:
    """The message and hint of one error; with quote False, no value written in the file is repeated."""
    loc, kind, msg = error["loc"], error["type"], error["msg"]
    if kind == "extra_forbidden":
        names = _field_names(model, loc)
        hint = did_you_mean(str(loc[-1]), names)
        return f"unknown key '{loc[-1]}'", hint or (f"allowed: {', '.join(names)}" if names else None)
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", None
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, SpecValueError):  # ours: its own words and hint
        return cause.message, cause.hint
    if kind in _BOUNDS:  # a bound of a field: say which expression gave the value
        name, words = _BOUNDS[kind]
        field = f"{loc[-1]} " if loc and isinstance(loc[-1], str) else ""
        got = _got(error.get("input"), values) if quote else ""
        return f"{field}must be {words} {error['ctx'][name]}{got}", None
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    text_input = error.get("input") if quote else None
    if isinstance(text_input, str) and kind not in ("value_error",) and not isinstance(text_input, dict):
        msg += f", got '{text_input}'"
    elif kind not in ("value_error",) and isinstance(text_input, (int, float, bool)):
        msg += f", got {text_input!r}"
    return msg, None


def diagnostics_from(exc: ValidationError, doc: SourceDoc, base: Path, model: type[BaseModel] | None = None,
                     sources: dict[tuple, Path] | None = None, context: tuple[str, ...] = (),
                     values: dict | None = None) -> list[Diagnostic]:
    """One diagnostic per pydantic error. `sources` maps a key (or key tuple) of the validated dict to
    the YAML path it came from (after merging defaults); otherwise paths are base + loc. `values` is the
    validation context, to say what an expression gave."""
    out = []
    for error in exc.errors():
        if isinstance(error.get("ctx", {}).get("error"), NotYetKnown):
            continue  # checking: an expression whose value expansion will judge
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tuple["))))
        path = base + loc
        if sources:
            for n in range(len(loc), 0, -1):
                if loc[:n] in sources:
                    path = tuple(sources[loc[:n]]) + loc[n:]
                    break
        is_key = error["type"] == "extra_forbidden"
        location = doc.loc(path, key=is_key)
        # a value of a file the user did not name (a base, a library) is not repeated: see source.access
        message, hint = _message({**error, "loc": loc}, model, values, may_quote(location.file))
        out.append(Diagnostic(message, location, path, hint, context))
    return out

