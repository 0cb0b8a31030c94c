"""Mutation fuzzing of the shipped specs and libraries: the mutations and the oracle.

A mutant is a shipped spec (or block library) changed once, either at the data level (a value
replaced by a hostile one, a key deleted, an item duplicated, a reference renamed, a number blown up)
or at the text level (junk bytes inserted, a span deleted, lines duplicated or swapped, a number
replaced, indentation changed, the file truncated), or a shipped spec compiled with hostile
`overrides=`. The oracle compiles it and accepts exactly two
outcomes: it compiles (and its module builds on the meta device), or it raises SpecError whose every
diagnostic has a location. Anything else, or taking longer than TIME_BOUND seconds, is a bug.

Used by tests/test_fuzz.py (a bounded number of examples, driven by hypothesis) and by
scripts/fuzz.py (a long run that groups what it finds).
"""
from __future__ import annotations

import datetime
import random
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
LIBRARIES = sorted((ROOT / "archspec" / "library").glob("*.yaml"))
TARGETS = [p.name for p in SPECS] + [f"library/{p.name}" for p in LIBRARIES]
TIME_BOUND = 20.0  # seconds for one mutant, generous: the machine is shared and noisy

class Digits(str):
    """An integer literal too long for Python's int-to-text limit, written as YAML digits."""


yaml.SafeDumper.add_representer(Digits, lambda d, v: d.represent_scalar("tag:yaml.org,2002:int", str(v)))
HUGE = Digits("1" + "0" * 5000)
HOSTILE_VALUES: list[Any] = [
    HUGE, -(10**20), 2**63, 10**16, -1, 0, 1e308, float("inf"), float("-inf"), float("nan"), 0.5, True,
    None, "", "~x", "x in y", "x is y", "(-8)**0.5", "1 if", "${", "${10**5000}", "a" * 300, "9" * 5000,
    "0x" + "f" * 40, "1e999", "B(3,", "B(" + "9" * 30 + ")", datetime.date(2001, 12, 14), "/etc/passwd",
    "../../../etc/hostname", "archspec:nope", "training", "forward", "_modules", "input", "head", "x*",
    "conv: 3x3 99999999999999999999", "3x3 8 /0", "3x3 8 p999999999999", [], {}, [[[[[[[[1]]]]]]]],
    {"conv": "3x3 8"}, ["relu"] * 3, "relu x10000", "\x00", "\u202e", "1_000", ".nan",
]
JUNK_BYTES: list[bytes] = [
    b"\x00", b"\xff\xfe", b"\xc3", b"\t", b"\r", b"&a ", b"*a", b"!!python/object/apply:os.system ['id']", b"{",
    b"[", b": ", b"- ", b"${", b"~", b"1e999", b"9" * 5000, b".nan", b"\n  - relu x10000", b"<<: *a", b"---\n",
    b"%YAML 1.1\n", b"? ", b"|", b"#", b"'", b'"', b"\x1b[31m", b"\xef\xbb\xbf",
]
_NUMBER = re.compile(rb"(?<![\w.])\d+(?![\w.])")


@dataclass
class Mutant:
    target: str  # one of TARGETS
    kind: str  # which mutation made it
    text: bytes
    overrides: dict | None = None  # passed to the API as overrides= (a spec's parameters, mutated)

    @property
    def is_library(self) -> bool:
        return self.target.startswith("library/")


def original(target: str) -> bytes:
    base = ROOT / "archspec" / target if target.startswith("library/") else ROOT / "specs" / target
    return base.read_bytes()


# ---- data level ---------------------------------------------------------------------------------------

def _paths(data: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, path + (i,))
    return out


def _parent(data: Any, path: tuple) -> tuple[Any, Any]:
    for part in path[:-1]:
        data = data[part]
    return data, path[-1]


def _strings(data: Any) -> list[str]:
    return [s for s in _leaves(data) if isinstance(s, str)] or ["x"]


def _leaves(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [x for v in data.values() for x in _leaves(v)] + [k for k in data if isinstance(k, str)]
    if isinstance(data, list):
        return [x for v in data for x in _leaves(v)]
    return [data]


def _mutate_data(data: Any, rng: random.Random) -> str:
    paths = [p for p in _paths(data) if p]
    if not paths:
        return "nothing"
    path = rng.choice(paths)
    parent, key = _parent(data, path)
    kind = rng.choice(["replace", "delete", "duplicate", "rename", "number", "wrap", "swap", "rename_key"])
    value = parent[key]
    if kind == "replace":
        parent[key] = rng.choice(HOSTILE_VALUES)
    elif kind == "delete":
        del parent[key]
    elif kind == "duplicate" and isinstance(parent, list):
        parent.insert(key, value)
    elif kind == "rename":
        other = rng.choice(_strings(data))
        parent[key] = rng.choice([other, other + "_x", other[::-1], other.upper(), other[:-1]])
    elif kind == "number":
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else 7
        parent[key] = rng.choice([number * 10**6, -number, 0, number + 0.5, number * 10**20, HUGE])
    elif kind == "wrap":
        parent[key] = rng.choice([[value], {"x": value}, {"repeat": value}])
    elif kind == "swap" and isinstance(parent, list) and len(parent) > 1:
        j = rng.randrange(len(parent))
        parent[key], parent[j] = parent[j], parent[key]
    elif kind == "rename_key" and isinstance(parent, dict):
        new = rng.choice(_strings(data) + ["name", "id", "from", "when", "repeat", "training", "x" * 200])
        if new not in parent:
            parent[new] = parent.pop(key)
    else:
        parent[key] = rng.choice(HOSTILE_VALUES)
        kind = "replace"
    return kind


def data_mutant(target: str, rng: random.Random, rounds: int = 1) -> Mutant:
    data = yaml.safe_load(original(target))
    kinds = [_mutate_data(data, rng) for _ in range(rounds)]
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10**6)
    return Mutant(target, "data:" + "+".join(kinds), text.encode("utf-8"))


# ---- text level ---------------------------------------------------------------------------------------

def _mutate_text(text: bytes, rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["insert", "delete", "dup_line", "swap_lines", "number", "indent", "truncate"])
    lines = text.split(b"\n")
    at = rng.randrange(len(text) + 1)
    if kind == "insert":
        return kind, text[:at] + rng.choice(JUNK_BYTES) + text[at:]
    if kind == "delete":
        return kind, text[:at] + text[at + rng.randrange(1, 40):]
    if kind == "dup_line":
        i = rng.randrange(len(lines))
        return kind, b"\n".join(lines[:i + 1] + lines[i:])
    if kind == "swap_lines":
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return kind, b"\n".join(lines)
    if kind == "number":
        numbers = list(_NUMBER.finditer(text))
        if numbers:
            m = rng.choice(numbers)
            new = rng.choice([b"9" * 5000, b"1e999", b".nan", b"-1", b"0", b"1000000000000000000", b"0x7fffffffffffffff"])
            return kind, text[:m.start()] + new + text[m.end():]
        return kind, text
    if kind == "indent":
        i = rng.randrange(len(lines))
        lines[i] = lines[i][2:] if rng.random() < 0.5 else b"  " + lines[i]
        return kind, b"\n".join(lines)
    return kind, text[:at]


def text_mutant(target: str, rng: random.Random, rounds: int = 1) -> Mutant:
    text, kinds = original(target), []
    for _ in range(rounds):
        kind, text = _mutate_text(text, rng)
        kinds.append(kind)
    return Mutant(target, "text:" + "+".join(kinds), text)


# ---- overrides ----------------------------------------------------------------------------------------

def override_mutant(target: str, rng: random.Random, rounds: int = 1) -> Mutant:
    """The unchanged file, compiled with hostile overrides of its parameters (or of names it lacks)."""
    data = yaml.safe_load(original(target))
    names = list(data.get("params") or {}) if isinstance(data, dict) else []
    overrides = {}
    for _ in range(rounds):
        name = rng.choice(names + ["nosuch", "classes", "1", ""]) if names else "nosuch"
        overrides[name] = rng.choice(HOSTILE_VALUES + [10**5000, object(), b"x", (1, 2)])
    return Mutant(target, "overrides:" + ",".join(overrides), original(target), overrides)


# ---- the oracle ---------------------------------------------------------------------------------------

def workspace(tmp: Path) -> Path:
    """A folder with copies of the shipped specs, so mutants can `extends:` their siblings."""
    for spec in SPECS:
        shutil.copy(spec, tmp / spec.name)
    return tmp


def run(mutant: Mutant, folder: Path) -> str:
    """Compile a mutant written into folder (see workspace): 'accepted' or 'refused'. Raises
    AssertionError for a SpecError without locations or a run over TIME_BOUND; lets any other
    exception through (a bug)."""
    import archspec
    from archspec.backends.torch.network import verify_on_meta

    name = "mutant_" + Path(mutant.target).name
    path = folder / name
    path.write_bytes(mutant.text)
    start = time.perf_counter()
    try:
        if mutant.is_library:
            archspec.load_library(path)
        else:
            _, graph = archspec.compile_spec(path, mutant.overrides)
            verify_on_meta(graph)
        outcome = "accepted"
    except archspec.SpecError as exc:
        assert exc.diagnostics, "a SpecError without diagnostics"
        # a diagnostic is located in a file, or (a wrong override) names the override it came from
        unlocated = [str(d) for d in exc.diagnostics if d.location is None
                     and not (isinstance(exc, archspec.errors.OverrideError) and d.path[:1] in (("params",), ("<overrides>",)))]
        assert not unlocated, f"diagnostics without a location: {unlocated[:3]}"
        outcome = "refused"
    finally:
        path.unlink(missing_ok=True)
    elapsed = time.perf_counter() - start
    assert elapsed < TIME_BOUND, f"took {elapsed:.1f} s"
    return outcome


MAKERS: dict[str, Callable[[str, random.Random, int], Mutant]] = {"data": data_mutant, "text": text_mutant,
                                                                  "overrides": override_mutant}
