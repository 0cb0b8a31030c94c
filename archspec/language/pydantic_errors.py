"""Turn pydantic ValidationErrors into located diagnostics."""
from __future__ import annotations

from pydantic import BaseModel, ValidationError

from ..errors import Diagnostic, Path, did_you_mean
from .values import NotYetKnown
from ..source.yamlsource import SourceDoc


def _field_names(model: type[BaseModel] | None, loc: tuple) -> list[str]:
    """Names allowed at the mapping that holds loc[-1]."""
    for part in loc[:-1]:
        if model is None:
            return []
        field = model.model_fields.get(part) if isinstance(part, str) else None
        annotation = field.annotation if field else None
        model = next((t for t in getattr(annotation, "__args__", (annotation,))
                      if isinstance(t, type) and issubclass(t, BaseModel)), None)
    return list(model.model_fields) if model else []


def _message(error: dict, model: type[BaseModel] | None) -> tuple[str, str | None]:
    loc, kind, msg = error["loc"], error["type"], error["msg"]
    if kind == "extra_forbidden":
        names = _field_names(model, loc)
        hint = did_you_mean(str(loc[-1]), names)
        return f"unknown key '{loc[-1]}'", hint or (f"allowed: {', '.join(names)}" if names else None)
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", None
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    text_input = error.get("input")
    if isinstance(text_input, str) and kind not in ("value_error",) and not isinstance(text_input, dict):
        msg += f", got '{text_input}'"
    elif kind not in ("value_error",) and isinstance(text_input, (int, float, bool)):
        msg += f", got {text_input!r}"
    return msg, None


def diagnostics_from(exc: ValidationError, doc: SourceDoc, base: Path, model: type[BaseModel] | None = None,
                     sources: dict[tuple, Path] | None = None, context: tuple[str, ...] = ()) -> list[Diagnostic]:
    """One diagnostic per pydantic error. `sources` maps a key (or key tuple) of the validated dict to
    the YAML path it came from (after merging defaults); otherwise paths are base + loc."""
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
        message, hint = _message({**error, "loc": loc}, model)
        is_key = error["type"] == "extra_forbidden"
        location = doc.loc(path, key=is_key)
        out.append(Diagnostic(message, location, path, hint, context))
    return out

