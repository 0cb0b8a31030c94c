"""Eject: a model archspec built, written as one plain PyTorch file that imports only torch.

One class per block type, named after the spec's block and documented with its `doc:`, whose `forward` is
the very source the archspec model runs (backends/torch/codegen.py writes it once for both) and whose
`__init__` builds the same children with torch.nn modules written with their arguments (constructors.py)
and archspec's own small modules, whose source is copied in once. Children that run one after another and
are numbered (a repeat) become an nn.Sequential. The ejected model has the archspec model's state_dict keys,
so the same weights load into it and it computes the same outputs.
"""
from __future__ import annotations

import re
from typing import Mapping

import networkx as nx
import torch
from torch import nn

from ..backends.torch.codegen import class_name, plain_attribute
from ..backends.torch.layout import module_layout, Unit
from ..ir.node import node
from ..ir.scopes import scope_tree
from .classes import EjectClass, Instance, Seq, finish, shape, unique_names
from .constructors import class_source, EjectError, leaf_call, own_class
from .pysource import docstring, lines, WIDTH

_NAMES_TAKEN = {"torch", "nn", "F", "List", "Optional", "Tuple", "math"}
_UNCHAINED = ("block", "head", "network")  # always a class of its own
_HEAD_METHOD = ("    def forward_head(self, x, pre_logits: bool = False):\n"
                "        return self.head(x, pre_logits)\n")


class _Ejector:
    def __init__(self, graph: nx.DiGraph, docs: Mapping[str, str]):
        self.graph, self.docs, self.tree = graph, docs, scope_tree(graph)
        self.classes: dict[tuple, EjectClass] = {}  # in the order they were first met: children first
        self.own: dict[str, type] = {}  # archspec's module classes used, by name, in order of first use

    def child(self, unit: Unit, module: nn.Module):
        if unit.leaf:
            cls = type(module)
            if own_class(cls):
                if self.own.setdefault(cls.__name__, cls) is not cls:
                    raise EjectError(f"two module classes named {cls.__name__}")
            return leaf_call(module)
        if self._chain(unit):
            return Seq([self.child(c, module._modules[c.local]) for c in unit.children])
        return self.instance(unit, module)

    def instance(self, unit: Unit, module: nn.Module, base: str = "", doc: str = "", extra: str = "") -> Instance:
        children = [(c.local, self.child(c, module._modules[c.local])) for c in unit.children]
        scope = self.tree.get(unit.path) if unit.path else None
        if not base and scope is not None and scope.in_block:  # a block whose body is one repeat group
            base, doc = class_name(scope.in_block, "block"), self.docs.get(scope.in_block, "")
        elif not base and unit.kind in ("composite", "group") and _named(unit):  # `{concat: [...], name: mixed_3a}`
            base = class_name(unit.local, "block")
        elif not base:
            base = re.sub(r"_\d+$", "", type(module).__name__)
            doc = self.docs.get(unit.key, "") if unit.kind == "block" else ""
        methods = type(module)._archspec_source + extra
        key = (base, methods, doc, tuple((local, shape(child)) for local, child in children))
        cls = self.classes.setdefault(key, EjectClass(base, methods, doc))
        found = Instance(children, cls)
        cls.instances.append(found)
        return found

    def _chain(self, unit: Unit) -> bool:
        """Numbered children, each reading the one before, nothing else: what nn.Sequential computes."""
        if unit.kind in _UNCHAINED or len(unit.inputs) != 1 or len(unit.outputs) != 1:
            return False
        value = unit.inputs[0]
        for index, child in enumerate(unit.children):
            if child.local != str(index) or child.inputs != [value] or len(child.outputs) != 1 or child.train_only:
                return False
            if child.leaf and node(self.graph, child.path).opdef.arity is None:  # called with a list
                return False
            value = child.outputs[0]
        return value == unit.outputs[0]


def _named(unit: Unit) -> bool:
    """A composite the spec named (mixed_3a), not one named after its op (concat, concat_2) or numbered."""
    return not re.fullmatch(rf"(\d+|{re.escape(unit.key)}(_\d+)?)", unit.local)


def eject_source(model: nn.Module, docs: Mapping[str, str], title: str, about: str) -> str:
    """The ejected file of a model build_model made (not features_only, not optimized). docs: each block's
    `doc:` by block name; title: the network's description (the spec's doc); about: where it came from."""
    graph = getattr(model, "_archspec_ir", None)
    if graph is None or not hasattr(type(model), "_archspec_source"):
        raise EjectError("only a whole model archspec.build_model built can be ejected")
    ejector = _Ejector(graph, docs)
    root = module_layout(graph)
    extra = _HEAD_METHOD if any(c.local == "head" for c in root.children) else ""
    try:
        top = ejector.instance(root, model, re.sub(r"_\d+$", "", type(model).__name__), title, extra)
    except KeyError as exc:
        raise EjectError(f"the model has no module {exc} that its spec has: eject a model as build_model made "
                         "it (a new classifier or other modules of the same names are fine)") from None
    classes = list(ejector.classes.values())
    for cls in classes:
        finish(cls)
    unique_names(classes, _NAMES_TAKEN | set(ejector.own))
    parts = [_class_text(cls) for cls in classes]
    own = [class_source(cls) for cls in ejector.own.values()]
    body = "\n\n".join(own + parts)
    header = "\n".join(docstring(f"{top.cls.name}: {title}\n\n{about}", 0))
    return f"{header}\n{_imports(body)}\n\n{body}"


def _imports(body: str) -> str:
    found = []
    if re.search(r"\bList\[", body):
        found.append("from typing import List\n")
    if re.search(r"\bmath\.", body):
        found.append("import math\n")
    if re.search(r"\btorch\.", body):
        found.append("import torch\n")
    if re.search(r"\bF\.", body):
        found.append("import torch.nn.functional as F\n")
    return "".join(found) + "from torch import nn\n"


def _class_text(cls: EjectClass) -> str:
    out = [f"class {cls.name}(nn.Module):"]
    if cls.doc:
        out += docstring(cls.doc, 4) + [""]
    out += _signature(cls) + ["        super().__init__()"]
    for local, expr in cls.body:
        if plain_attribute(local):
            out += lines(expr, 8, f"self.{local} = ")
        else:
            out += lines(expr, 8, f"self.add_module({local!r}, ", ")")
    return "\n".join(out) + "\n" + _spaced(cls.methods)


def _signature(cls: EjectClass) -> list[str]:
    params = ["self"] + [p.name if p.required else f"{p.name}={p.default!r}" for p in cls.params]
    line = f"    def __init__({', '.join(params)}):"
    if len(line) <= WIDTH:
        return [line]
    return ["    def __init__("] + [f"        {p}," for p in params] + ["    ):"]


def _spaced(methods: str) -> str:
    """The generated methods, a blank line before each (a decorator stays with its method)."""
    out: list[str] = []
    for line in methods.splitlines():
        if line.startswith(("    def ", "    @")) and not (out and out[-1].startswith("    @")):
            out.append("")
        out.append(line)
    return "\n".join(out) + "\n"


def check_ejected(source: str, model: nn.Module) -> None:
    """Build the ejected model on the meta device (no weights) and compare its state_dict keys and shapes
    with the model's: a difference is a bug in the eject, refused here rather than in the user's hands."""
    namespace: dict = {"__name__": "archspec_ejected"}
    exec(compile(source, "<ejected>", "exec"), namespace)  # the source we just wrote, never spec text
    root = re.findall(r"^class (\w+)\(nn\.Module\):", source, re.M)[-1]  # the network comes last
    with torch.device("meta"):
        copy = namespace[root]()
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in copy.state_dict().items()}
    if want != got:
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        raise EjectError(f"internal error: the ejected model's state_dict differs (missing {missing[:3]}, "
                         f"unexpected {extra[:3]}, shapes of {[k for k in want if k in got and want[k] != got[k]][:3]})")
