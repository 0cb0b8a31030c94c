"""Lower an IR graph to a trainable torch.nn.Module hierarchy.

Every block use, repeat group and composite is a module with its own generated `forward` that
calls its children through attributes (torch_codegen), so hooks fire, submodules can be called
and swapped (SyncBatchNorm, quantization, LoRA, a new classifier), and DataParallel, jit.script,
torch.export and torch.compile see an ordinary model. Module paths are the IR node names, so
state_dict keys point back at the spec. The root is an `ArchNet` with timm's model API.
"""
from __future__ import annotations

from typing import Sequence

import networkx as nx
import torch
from torch import nn

from ...analysis.activations import runs_in_place
from ...analysis.features import spec_taps, Tap
from ...ir.node import node, nodes
from ...analysis.spec_hash import spec_hash
from .codegen import ArchBlock, class_name, define_class, forward_source
from .init import initialise
from .layout import module_layout, Unit


class FeatureInfo(list):
    """timm's feature_info: one dict per tap (num_chs, reduction, module), with accessors."""

    def __init__(self, taps: list[Tap]):
        super().__init__({"num_chs": t.num_chs, "reduction": t.reduction, "module": t.module} for t in taps)

    def channels(self, idx: int | None = None):
        return self._get("num_chs", idx)

    def reduction(self, idx: int | None = None):
        return self._get("reduction", idx)

    def module_name(self, idx: int | None = None):
        return self._get("module", idx)

    def _get(self, key: str, idx: int | None):
        return [info[key] for info in self] if idx is None else self[idx][key]


class ArchNet(nn.Module):
    """Base class of every network archspec builds: timm's model API over the generated forward.

    Subclasses (one per spec, named after it) get `forward` and `forward_features` generated from
    the IR. `forward_head(x, pre_logits)` runs the spec's `head:` section."""

    # Set by the builder: spec_name, spec_hash, spec_params, input_shape, num_classes, feature_info, and
    # _classifier (the attribute of `head` holding the final linear layer, "" if none). No class
    # annotations: torch.jit.script would try to compile them.

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:  # replaced by the generated one
        raise NotImplementedError

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """The head (global pool, dropout, classifier); `pre_logits` stops before the classifier."""
        head = self._modules.get("head")
        return x if head is None else head(x, pre_logits)

    def get_classifier(self) -> nn.Module:
        """The final linear layer of the head (nn.Identity if it was reset to 0 classes)."""
        if not self._classifier:
            raise AttributeError(f"{self.spec_name} has no linear classifier in its head")
        return getattr(self.get_submodule("head"), self._classifier)

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classifier by a fresh one with `num_classes` outputs (0: nn.Identity)."""
        old = self.get_classifier()
        new = nn.Linear(self._pre_logits_features, num_classes) if num_classes > 0 else nn.Identity()
        if isinstance(old, nn.Linear) and num_classes > 0:
            new = new.to(old.weight.device, old.weight.dtype)
        setattr(self.get_submodule("head"), self._classifier, new)
        self.num_classes = num_classes


class FeatureNet(nn.Module):
    """`build_model(..., features_only=True)`: returns the feature maps at the chosen taps."""

    # Set by the builder: spec_name, spec_hash, spec_params, input_shape, feature_info.


def _takes_list(graph: nx.DiGraph):
    return lambda unit: node(graph, unit.path).opdef.arity is None


def _leaf(graph: nx.DiGraph, name: str, protected: set[str]) -> nn.Module:
    this = node(graph, name)
    attrs = dict(this.attrs)
    if runs_in_place(graph, name, protected):
        attrs["inplace"] = True
    return this.opdef.lower(attrs, [node(graph, i).shape for i in this.inputs])


def _conv_unit_name(unit: Unit) -> str:
    """A conv unit's class says what it holds, as timm's ConvNormAct does: ConvBnAct, ConvBn, ConvAct."""
    parts = {child.local for child in unit.children}
    name = "Conv" + ("Bn" if "bn" in parts else "") + ("Act" if "act" in parts else "")
    return name if name != "Conv" else "ConvUnit"


def _head(root: Unit) -> Unit | None:
    """The root's `head:` section, if the spec has one."""
    return next((c for c in root.children if c.kind == "head"), None)


def _classifier(head: Unit | None, graph: nx.DiGraph) -> str:
    """The head's final layer if it is a linear one, the classifier ('' if none: an embedding head
    such as linear -> bn has no classifier to reset)."""
    if head is None or not head.children:
        return ""
    last = head.children[-1]
    return last.local if last.leaf and node(graph, last.path).op == "linear" else ""


class _Builder:
    """Instantiates the unit tree: leaves from the op registry, containers from generated classes."""

    def __init__(self, graph: nx.DiGraph, protected: set[str]):
        self.graph, self.protected = graph, protected
        self.takes_list = _takes_list(graph)
        self.train_only = lambda name: node(graph, name).train_only
        self.names: dict[str, dict[str, int]] = {}  # class name -> source -> suffix

    def container_class(self, base: type, source: str, name: str) -> type:
        variants = self.names.setdefault(name, {})
        suffix = variants.setdefault(source, len(variants) + 1)
        return define_class(name if suffix == 1 else f"{name}_{suffix}", source, base)

    def build(self, unit: Unit, module: nn.Module) -> nn.Module:
        for child in unit.children:
            module.add_module(child.local, self.child(child))
        return module

    def child(self, unit: Unit) -> nn.Module:
        if unit.leaf:
            return _leaf(self.graph, unit.path, self.protected)
        is_head = unit.kind == "head"
        # Inside a container that only training runs (an auxiliary head), nothing needs a guard.
        source = forward_source(unit, self.takes_list, self.train_only, guarded=not unit.train_only,
                                head_split=_classifier(unit, self.graph) if is_head else None)
        name = _conv_unit_name(unit) if unit.kind == "conv" else class_name(unit.key, unit.kind)
        base = ArchBlock if unit.kind == "block" else nn.Module
        return self.build(unit, self.container_class(base, source, name)())


def _root_class(builder: _Builder, root: Unit, base: type, name: str, features: bool,
                prologue: tuple[str, ...] = ()) -> type:
    if features:
        return builder.container_class(base, forward_source(root, builder.takes_list, builder.train_only,
                                                                  as_list=True), name)
    head = _head(root)
    body = [c for c in root.children if c is not head and not c.train_only]
    evaluated = [o for o in root.outputs if not builder.train_only(o)]
    trunk = Unit("", "", False, root.inputs, list(head.inputs if head is not None else evaluated), body)
    source = forward_source(trunk, builder.takes_list, builder.train_only, method="forward_features",
                            prologue=prologue)
    if len(evaluated) == len(root.outputs):
        source += forward_source(root, builder.takes_list, builder.train_only, prologue=prologue)
        return builder.container_class(base, source, name)
    # Auxiliary heads: training returns (main, aux, ...), eval the main output. TorchScript needs one
    # output type, so a scripted model runs the eval path in both modes (as torchvision's Inception3).
    eval_root = Unit("", "", False, root.inputs, evaluated, [c for c in root.children if not c.train_only])
    source += forward_source(eval_root, builder.takes_list, builder.train_only, method="forward_eval")
    source += forward_source(root, builder.takes_list, builder.train_only, guarded=False, method="forward_train",
                             decorator="@torch.jit.unused")
    source += ("    def forward(self, x):\n        if torch.jit.is_scripting():\n"
               "            return self.forward_eval(x)\n        if self.training:\n"
               "            return self.forward_train(x)\n        return self.forward_eval(x)\n")
    return builder.container_class(base, source, name)


def _spec_class_name(spec_name: str) -> str:
    return class_name(spec_name, "block")


def build_network(graph: nx.DiGraph, base: type = None, suffix: str = "", prologue: tuple[str, ...] = ()) -> ArchNet:
    """The trainable network: forward returns the logits (in training also auxiliary outputs). An optimized
    graph's model (backends.torch.optimize) gives its own base class (an ArchNet), a class name suffix and
    the lines its forward methods start with."""
    taps = spec_taps(graph)
    builder = _Builder(graph, set(graph.graph["outputs"]) | {t.node for t in taps})
    root = module_layout(graph)
    cls = _root_class(builder, root, base or ArchNet, _spec_class_name(graph.graph["name"]) + suffix, features=False,
                      prologue=prologue)
    model = builder.build(root, cls())
    model._classifier = _classifier(_head(root), graph)
    _describe(model, graph, taps)
    main = node(graph, graph.graph["outputs"][0])
    model.num_classes = main.shape[0] if model._classifier else 0  # an embedding head has no classes
    if model._classifier:
        model._pre_logits_features = node(graph, f"head.{model._classifier}").attrs["in_features"]
    return model


def build_features(graph: nx.DiGraph, out_indices: Sequence[int] | None = None) -> FeatureNet:
    """A backbone whose forward returns the feature maps at the taps chosen by out_indices."""
    taps = spec_taps(graph)
    chosen = [taps[i] for i in (range(len(taps)) if out_indices is None else out_indices)]
    needed: set[str] = set()
    for tap in chosen:
        needed |= nx.ancestors(graph, tap.node) | {tap.node}
    pruned = nx.DiGraph()  # in the original (topological) node order, which subgraph() loses
    pruned.graph.update(graph.graph, outputs=[t.node for t in chosen], aux_outputs=[])
    for name in graph.nodes:
        if name in needed:
            data = graph.nodes[name]
            meta = {k: v for k, v in data["meta"].items() if k != "train_only"}
            pruned.add_node(name, **{**data, "meta": meta})
    pruned.add_edges_from((a, b) for a, b in graph.edges if a in needed and b in needed)
    builder = _Builder(pruned, {t.node for t in chosen})
    root = module_layout(pruned)
    cls = _root_class(builder, root, FeatureNet, _spec_class_name(graph.graph["name"]) + "Features", features=True)
    model = builder.build(root, cls())
    _describe(model, graph, chosen)
    return model


def _describe(model: nn.Module, graph: nx.DiGraph, taps: list[Tap]) -> None:
    model.spec_name = graph.graph["name"]
    model.spec_hash = spec_hash(graph)  # of the whole spec, also for a features-only backbone (checkpoint.py)
    model.spec_params = dict(graph.graph.get("params_values", {}))
    model.input_shape = node(graph, graph.graph["input"]).shape
    model.feature_info = FeatureInfo(taps)


def module_from_graph(graph: nx.DiGraph, seed: int | None = None, features_only: bool = False,
                      out_indices: Sequence[int] | None = None) -> nn.Module:
    """Instantiate the module for a lowered graph, its weights initialised as the spec's `init:` says; a
    seed makes the initial weights reproducible."""
    def make() -> nn.Module:
        if features_only:
            return initialise(build_features(graph, out_indices), graph)
        model = initialise(build_network(graph), graph)
        model._archspec_ir = graph  # what archspec.optimize(model) rewrites (backends.torch.optimize)
        return model

    if seed is None:
        return make()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make()


def block_modules(model: nn.Module, outermost: bool = True) -> list[nn.Module]:
    """The modules of the spec's block uses (ArchBlock instances), in module order: by default those not
    inside another block use (`block35.3`, `stage2.blocks.0`; not `block35.3.branches`), the unit to shard
    with FSDP or to checkpoint activations of; outermost=False lists nested block uses too."""
    found: list[nn.Module] = []

    def walk(module: nn.Module) -> None:
        for child in module.children():
            if isinstance(child, ArchBlock):
                found.append(child)
                if outermost:
                    continue
            walk(child)

    walk(model)
    return found


def verify_on_meta(graph: nx.DiGraph) -> int:
    """Build the module on the meta device (no weights allocated or initialised) and return its
    parameter count. Raises RuntimeError if the module disagrees with the IR, which would be a bug in
    archspec, not in the spec. (A forward on meta tensors would check shapes too, but costs seconds
    in PyTorch's Python decompositions; the test suite checks shapes with real forwards instead.) A tensor
    even the meta device cannot hold is a SpecError (analysis.memory.check_representable)."""
    from ...analysis.memory import check_representable
    check_representable(graph)
    with torch.device("meta"):
        model = build_network(graph)
    params = sum(p.numel() for p in model.parameters())
    expected = sum(n.meta["params"] for n in nodes(graph))
    if params != expected:
        raise RuntimeError(f"internal error: the IR counts {expected} params, the module has {params}")
    return params
