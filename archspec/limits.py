"""Every resource limit archspec enforces on its input, in one place.

A spec may come from anywhere, so every stage bounds the work a file can cause: a file of a few KB is
accepted or refused in about a second and a few tens of MB. The limits are fields of `Limits`; the one
in force is a context variable, so any stage reads it with `current()` without it being threaded
through every call. Change them for a block of code with `using(...)`, from the Python API with the
`limits=` argument (a `Limits` or a mapping of fields), or on the command line with
`archspec --limit NAME=VALUE`. docs/spec-language.md ("Safety limits") lists them; a test keeps that
list and this class in step.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from dataclasses import dataclass
from typing import Any, Iterator, Mapping


MAX_LIMIT = 2**63  # beyond it a limit means nothing (and messages format limits as floats)


def short(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else f"an int of {value.bit_length()} bits"
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Limits:
    """Resource limits; each field's comment is what it bounds (the docs table is generated from them)."""

    file_bytes: int = 1_000_000  # size of one spec or library file, in bytes
    yaml_nodes: int = 50_000  # YAML nodes of one document after anchors and aliases are expanded (also of an override)
    yaml_depth: int = 64  # nesting depth of one YAML document (also of an override)
    file_chain: int = 16  # files in one chain of `extends:` or `imports:`
    expression_length: int = 200  # characters in one expression
    number: int = 10**15  # absolute value of any number a spec or an override gives or computes, and of every tensor dimension
    exponent: int = 64  # absolute value of the right operand of `**`
    input_size: int = 65_536  # each dimension of `input:`
    repeat: int = 10_000  # `xN`, `repeat:` and `for` over a count
    block_depth: int = 32  # blocks using blocks, nested
    ops: int = 20_000  # primitive ops in the expanded network
    work: int = 200_000  # items, repeats, loop iterations, expressions and tensors read, in checking and in expanding
    errors: int = 100  # mistakes listed at once (the rest are counted)
    suggestions: int = 200_000  # characters x names compared for did-you-mean hints in one load or build
    params: int = 2**31  # parameters `build_model` allocates (the counts in `stats` are not limited)
    memory: int | None = None  # bytes `build_model` may allocate (weights; with batch=, a training step); None: what the machine has available

    def replace(self, **changes: Any) -> "Limits":
        unknown = sorted(set(changes) - set(names()))
        if unknown:
            raise ValueError(f"unknown limit {unknown[0]!r}; the limits are {', '.join(names())}")
        for key, value in changes.items():
            if key == "memory" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
                raise ValueError(f"limit {key} must be a whole number from 1 to 2**63, got {short(value)}")
        return dataclasses.replace(self, **changes)


DEFAULT = Limits()
_CURRENT: contextvars.ContextVar[Limits] = contextvars.ContextVar("archspec_limits", default=DEFAULT)


ITEMS_PER_STEP = 16  # elements of a list (a bound value, a loop's scope, a function's argument) one step of work covers


class Meter:
    """What one call of the API (a load, a build) has spent of the limits that count as they go."""

    __slots__ = ("work", "suggestions")

    def __init__(self) -> None:
        self.work = 0  # see Limits.work; the checker and the expander charge it
        self.suggestions = 0  # see Limits.suggestions; archspec.errors.did_you_mean charges it


_METER: contextvars.ContextVar["Meter | None"] = contextvars.ContextVar("archspec_meter", default=None)


def names() -> list[str]:
    return [f.name for f in dataclasses.fields(Limits)]


def current() -> Limits:
    """The limits in force."""
    return _CURRENT.get()


def meter() -> Meter:
    """What the call in progress has spent (each `using` block starts a new count; outside one, a fresh
    meter that nothing else shares)."""
    return _METER.get() or Meter()


def resolve(limits: "Limits | Mapping[str, int] | None") -> Limits:
    """A Limits from what the API accepts: None (those in force), a Limits, or a mapping of changes."""
    if limits is None:
        return current()
    if isinstance(limits, Limits):
        return limits
    if isinstance(limits, Mapping):
        return current().replace(**dict(limits))
    raise TypeError(f"limits must be an archspec.Limits or a mapping of limit names to numbers, got "
                    f"{type(limits).__name__}")


@contextlib.contextmanager
def using(limits: "Limits | Mapping[str, int] | None") -> Iterator[Limits]:
    """Run a block of code under other limits (None keeps those in force), with a fresh meter."""
    chosen = resolve(limits)
    token, counted = _CURRENT.set(chosen), _METER.set(Meter())
    try:
        yield chosen
    finally:
        _METER.reset(counted)
        _CURRENT.reset(token)


def set_default(limits: "Limits | Mapping[str, int]") -> None:
    """Change the limits for the rest of the process (the command line's `--limit`)."""
    _CURRENT.set(resolve(limits))
