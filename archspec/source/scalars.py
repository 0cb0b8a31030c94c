"""Numbers and YAML scalars: the one rule for the numbers a spec may hold, and the one reading of a
YAML scalar (a value of a spec file and a `--set` value alike).

A number is a finite real int or float whose absolute value is at most the `number` limit. NaN,
infinities, complex numbers and longer numbers are refused wherever a number enters: a YAML literal
(`number_problem` via `construct_scalar`), a number written in text (`read_number`: shorthand
tokens, `3x3`), an expression's constants and results (language/expr.py), an override or a block
reference's argument (language/params.py, language/blockcall.py). An unquoted date (`2001-12-14`)
is kept as its text, so it never becomes a number by itself (expressions refuse to read it as a
subtraction). Messages never print a number in full: a 5,000-digit integer is described, not shown.
"""
from __future__ import annotations

import math
import re
import reprlib
from typing import Any

import yaml

from ..errors import SpecValueError
from ..limits import current as limits

_Y = "tag:yaml.org,2002:"
SCALAR_TAGS = frozenset(_Y + t for t in ("str", "int", "float", "bool", "null"))
_constructor = yaml.constructor.SafeConstructor()
_resolver = yaml.resolver.Resolver()
# libyaml's parser when PyYAML was built with it (about 15x faster; nodes keep their marks), else Python's.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DIGITS = re.compile(r"[-+]?[0-9][0-9_]*")
_LONG = 100  # characters: an integer literal this long is far beyond any limit (and some are slow to read)
_EXACT_DIGITS = 21  # integers up to this many digits are shown exactly in messages


def describe(value: Any) -> str:
    """A number as a message shows it: exactly when short, else rounded, else by its number of digits."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        digits = int(abs(value).bit_length() * math.log10(2)) + 1  # within one of the true count
        if digits <= _EXACT_DIGITS:
            return str(value)
        if digits < 300:
            return f"{float(value):.3g}"
        return f"about {'-' if value < 0 else ''}1e+{digits - 1}"  # str() of it would fail (4,300 digits at most)
    if isinstance(value, (float, complex)):
        return repr(value)
    return show(value)


def short(text: str, width: int = 24) -> str:
    """text, cut to width characters (a long number literal is not printed in full)."""
    text = str(text)
    return text if len(text) <= width else f"{text[:width - 3]}... ({len(text):,} characters)"


class _Repr(reprlib.Repr):
    """reprlib's bounded repr (levels, lengths), with integers described (repr of a long int fails)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxlist, self.maxdict, self.maxstring, self.maxother = 3, 6, 6, 40, 40

    def repr_int(self, x: int, level: int) -> str:
        return describe(x)


_repr = _Repr()


def show(value: Any) -> str:
    """A short repr for messages, for any value (long numbers, long strings, deep lists)."""
    try:
        return _repr.repr(value)
    except Exception:  # a value whose repr fails: its type is enough to say what was given
        return f"a {type(value).__name__}"


def number_problem(value: Any) -> str | None:
    """What is wrong with value as a number of a spec ('is not a number (NaN)', ...), or None when it
    is fine or no number at all (booleans, strings and lists are judged elsewhere)."""
    limit = limits().number
    if type(value) in (int, float) and -limit <= value <= limit:  # the common case (NaN compares false)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
        return None
    if isinstance(value, complex):
        return "is a complex number (only real numbers are allowed)"
    if value != value:
        return "is not a number (NaN)"
    if -limit <= value <= limit:
        return None
    return f"is out of range (at most {limit:.0e}, limit number)"


def check_number(value: Any, text: str | None = None) -> Any:
    """value, when it is no number or a number a spec may hold; else raise SpecValueError. text: what
    was written (a literal) or computed (an expression), named in the message instead of the value."""
    problem = number_problem(value)
    if problem is not None:
        raise SpecValueError(f"'{short(text)}' {problem}" if text is not None else f"value {describe(value)} {problem}")
    return value


def check_numbers(value: Any) -> Any:
    """value, when every number in it (in lists, tuples and mappings, as deep and as many as the
    yaml_depth and yaml_nodes limits allow a YAML document) is one a spec may hold; else raise
    SpecValueError. Walks without recursion, and a value built with shared parts counts each visit."""
    stack, count = [(value, 0)], 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > limits().yaml_nodes:
            raise SpecValueError(f"value of more than {limits().yaml_nodes:,} elements (limit yaml_nodes)")
        if isinstance(item, (list, tuple, dict)):
            if depth >= limits().yaml_depth:
                raise SpecValueError(f"value nested more than {limits().yaml_depth} levels (limit yaml_depth)")
            children = list(item.keys()) + list(item.values()) if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        else:
            check_number(item)
    return value


def _too_long(text: str) -> SpecValueError:
    return SpecValueError(f"'{short(text)}' is too long for a number (at most {limits().number:.0e}, limit number)")


def read_number(text: str) -> int | float | None:
    """The number written as text (`12`, `-3`, `0.5`, `1e-3`), checked; None when text is no number.
    Raise SpecValueError for a number a spec may not hold (`99...9` of any length, `1e999`, `nan`)."""
    if len(text) > _LONG and _DIGITS.fullmatch(text.strip()):
        raise _too_long(text)  # Python reads at most 4,300 digits, and no integer this long is in range
    try:
        value: int | float = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return None
    return check_number(value, text)


def construct_scalar(node: yaml.ScalarNode) -> Any:
    """The plain value of a YAML scalar node (str, int, float, bool or None), numbers checked; an
    implicitly typed scalar of another type (an unquoted date or time) is its text. Raise
    SpecValueError (with a hint) for a tag that constructs objects, an invalid or out-of-range number."""
    if node.tag in SCALAR_TAGS:
        kind = node.tag[len(_Y):]
        if kind == "int" and len(node.value) > _LONG:
            raise _too_long(node.value)  # (a YAML 1.1 sexagesimal `1:2:3...` takes quadratic time to read)
        if kind in ("int", "float") and ":" in node.value:
            return node.value  # YAML 1.1's base 60 (`1:30` is 90) surprises like a date: kept as its text
        try:  # the tag's constructor itself: construct_object would remember every node it ever saw
            value = _constructor.yaml_constructors[node.tag](_constructor, node)
        except Exception:  # e.g. `!!int abc`: PyYAML raises ValueError, KeyError, ...
            raise SpecValueError(f"'{short(node.value)}' is not a valid {kind}") from None
        if node.tag in (_Y + "int", _Y + "float"):
            check_number(value, node.value)
        return value
    if node.tag == _resolver.resolve(yaml.ScalarNode, node.value, (True, False)):
        return node.value  # an unquoted date or time: its text, which no expression reads as a number
    raise SpecValueError(f"YAML tag '{node.tag}' is not allowed", "specs hold plain data only")


def scalar_from_text(text: str) -> Any:
    """text read as one YAML scalar, exactly as a value in a spec file is (`10`, `0.5`, `true`, a
    quoted string; numbers checked, a date kept as text); text that is no single plain scalar (a list,
    a mapping, an alias, several documents, invalid YAML, null) is the text itself. Reads events, so a
    deeply nested text is never built; raises SpecValueError for a number a spec may not hold."""
    scalar = None
    try:
        for event in yaml.parse(text, Loader=LOADER):
            if isinstance(event, (yaml.CollectionStartEvent, yaml.AliasEvent)) or (
                    isinstance(event, yaml.ScalarEvent) and scalar is not None):
                return text
            if isinstance(event, yaml.ScalarEvent):
                scalar = event
    except yaml.YAMLError:
        return text
    if scalar is None:
        return text
    tag = scalar.tag if scalar.tag not in (None, "!") else _resolver.resolve(yaml.ScalarNode, scalar.value,
                                                                              scalar.implicit)
    value = construct_scalar(yaml.ScalarNode(tag, scalar.value, scalar.start_mark, scalar.end_mark, scalar.style))
    return text if value is None else value
