"""Python source for the `forward` of every container module, and the classes that hold it.

Each container gets a plain `forward` that calls its children through attributes, as a person
would write it:

    def forward(self, x):
        branch0 = self.branch0(x)
        branch1 = self.branch1(x)
        ...
        return self.concat([branch0, branch1, branch2, branch3])

Containers with the same source share one class, named after the block they implement
(`InceptionA`, `InceptionAStack`, ...). The source is registered with `linecache`, so `inspect`,
tracebacks and `torch.jit.script` can read it. A chain reuses one variable, so an intermediate
dies as soon as its last reader has run.
"""
from __future__ import annotations

import copyreg
import keyword
import linecache
import re
from typing import Callable

import torch
from torch import nn

from .layout import Unit

_CLASS_CACHE: dict[tuple[str, str, type], type] = {}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MODULE_ATTRS = frozenset(dir(nn.Module))


def plain_attribute(local: str) -> bool:
    """Whether a child's name can be written `self.name` (else `getattr(self, name)` / `add_module`)."""
    return bool(_IDENT.match(local)) and not keyword.iskeyword(local) and local not in _MODULE_ATTRS


def _accessor(local: str) -> str:
    return f"self.{local}" if plain_attribute(local) else f"getattr(self, {local!r})"


class _Names:
    """Readable, unique local variable names."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken) | {"self", "torch", "pre_logits"}

    def fresh(self, hint: str) -> str:
        base = hint if _IDENT.match(hint) and not keyword.iskeyword(hint) else f"x{hint}"
        if not _IDENT.match(base):
            base = "x"
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name


def forward_source(unit: Unit, takes_list: Callable[[Unit], bool], train_only: Callable[[str], bool], *,
                   guarded: bool = True, head_split: str | None = None, method: str = "forward",
                   as_list: bool = False, decorator: str = "", prologue: tuple[str, ...] = ()) -> str:
    """The source of a container's `forward` (or another method of that shape).

    takes_list(child) says whether a leaf child is called with one list of tensors (concat, add);
    train_only(node) whether a value exists only in training (auxiliary heads), whose calls run
    under `if self.training:` unless guarded is False (code that only training runs). head_split
    names the child before which `pre_logits` returns (a head's classifier; "" for a head without
    one); as_list returns a list (a backbone's feature maps); decorator goes above the method; prologue
    lines run first (an optimized model converts its input to channels-last)."""
    if not guarded:
        train_only = _never  # then no value counts as training-only, so nothing is guarded
    params = ["x"] if len(unit.inputs) == 1 else [f"x{i}" for i in range(len(unit.inputs))]
    names = _Names(set(params))
    var = dict(zip(unit.inputs, params))
    last_read = _last_reads(unit.children, unit.outputs)
    lines: list[str] = list(prologue)
    for index, child in enumerate(unit.children):
        if child.local == head_split:
            lines += ["if pre_logits:", f"    return {var[child.inputs[0]]}"]
        call = _call(child, var, takes_list)
        dying = [var[i] for i in dict.fromkeys(child.inputs) if last_read.get(i) == index]
        for j, out in enumerate(child.outputs):
            if len(child.outputs) == 1 and dying:
                var[out] = "x" if "x" in dying else dying[0]  # a chain: reuse a variable, freeing its value
            else:
                var[out] = names.fresh(child.local if len(child.outputs) == 1 else f"{child.local}_{j}")
        lines += _assign(child, call, var, train_only, guarded)
    lines += ([f"return [{', '.join(var[o] for o in unit.outputs)}]"] if as_list
              else _return_lines(unit.outputs, var, train_only))
    signature = ", ".join(["self"] + params + (["pre_logits: bool = False"] if head_split is not None else []))
    body = "\n".join("        " + line for line in lines)
    head = f"    {decorator}\n" if decorator else ""
    return f"{head}    def {method}({signature}):\n{body}\n"


def _never(_: str) -> bool:
    return False


def _assign(child: Unit, call: str, var: dict[str, str], train_only: Callable[[str], bool],
            guarded: bool) -> list[str]:
    """`y = call`, guarded by `self.training` where (some of) the results exist only in training."""
    every = [var[o] for o in child.outputs]
    kept = [var[o] for o in child.outputs if not train_only(o)]
    only_training = guarded and child.train_only
    if not every:  # nothing it computes is read: still run it, as the spec says
        return ["if self.training:", f"    {call}"] if only_training else [call]
    if only_training or not kept:
        return ["if self.training:", f"    {', '.join(every)} = {call}"]
    if len(kept) == len(every):
        return [f"{', '.join(every)} = {call}"]
    return ["if self.training:", f"    {', '.join(every)} = {call}", "else:", f"    {', '.join(kept)} = {call}"]


def _call(child: Unit, var: dict[str, str], takes_list: Callable[[Unit], bool]) -> str:
    module = _accessor(child.local)
    args = [var[i] for i in child.inputs]
    if child.leaf and takes_list(child):
        return f"{module}([{', '.join(args)}])"
    return f"{module}({', '.join(args)})"


def _last_reads(children: list[Unit], returned: list[str]) -> dict[str, int]:
    last: dict[str, int] = {}
    for index, child in enumerate(children):
        for producer in child.inputs:
            last[producer] = index
    for name in returned:
        last[name] = len(children)
    return last


def _tuple(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"({', '.join(values)})"


def _return_lines(returned: list[str], var: dict[str, str], train_only: Callable[[str], bool]) -> list[str]:
    every = [var[o] for o in returned]
    kept = [var[o] for o in returned if not train_only(o)]
    if len(kept) == len(every):
        return [f"return {_tuple(every)}"]
    return ["if self.training:", f"    return {_tuple(every)}", f"return {_tuple(kept)}"]


class ArchBlock(nn.Module):
    """Base class of the module of every use of a spec block (`inception_a.2`, `stage2.blocks.0`), and
    of nothing else: repeat groups, composites, conv units and the head derive from nn.Module. The unit
    to wrap (FSDP), checkpoint (activation checkpointing) or swap; archspec.block_modules lists them."""


class GeneratedModuleType(type):
    """Metaclass of generated modules: pickles a class as its source, so torch.save(model) and
    multiprocessing work in a process that never built it."""


def _reduce_class(cls: GeneratedModuleType):
    return define_class, (cls.__name__, cls._archspec_source, cls.__bases__[0])


copyreg.pickle(GeneratedModuleType, _reduce_class)


def define_class(name: str, source: str, base: type = nn.Module) -> type:
    """A class `name(base)` whose methods are `source` (indented method definitions); cached."""
    key = (name, source, base)
    cls = _CLASS_CACHE.get(key)
    if cls is None:
        text = f"class {name}(_Base, metaclass=_Meta):\n{source}"
        filename = f"<archspec-generated {name} {len(_CLASS_CACHE)}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        namespace = {"_Base": base, "_Meta": GeneratedModuleType, "torch": torch, "__name__": "archspec.generated"}
        exec(compile(text, filename, "exec"), namespace)  # our own generated source, never spec text
        cls = _CLASS_CACHE[key] = namespace[name]
        cls._archspec_source = source
    return cls


def class_name(key: str, kind: str) -> str:
    """A class name for a scope: `inception_a` -> `InceptionA`, its repeat group `InceptionAStack`,
    a residual composite `ResidualBlock`, the head `Head` (conv units are named by the backend)."""
    fixed = {"conv": "ConvUnit", "head": "Head", "group": "Sequence", "network": "Network"}
    if kind in fixed:
        return fixed[kind]
    camel = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", key) if part)
    camel = camel if _IDENT.match(camel or "") else "Block"
    if kind == "repeat":
        return f"{camel}Stack"
    if kind == "composite":
        return {"Seq": "Sequence", "For": "Loop"}.get(camel, f"{camel}Block")
    return camel
