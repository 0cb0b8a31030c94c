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

from ...analysis.features import Tap
from ...analysis.features import default_taps
from ...analysis.features import named_taps
from ...ir.node import node
from ...ir.node import nodes
from .codegen import class_name
from .codegen import define_class
from .codegen import forward_source
from .layout import Unit
from .layout import module_layout


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

    # Set by the builder: spec_name, input_shape, num_classes, feature_info, and _classifier (the
    # attribute of `head` holding the final linear layer, "" if none). No class annotations:
    # torch.jit.script would try to compile them.

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
        in_features = old.in_features if isinstance(old, nn.Linear) else self._pre_logits_features
        new = nn.Linear(in_features, num_classes) if num_classes > 0 else nn.Identity()
        if isinstance(old, nn.Linear):
            new = new.to(old.weight.device, old.weight.dtype) if num_classes > 0 else new
        setattr(self.get_submodule("head"), self._classifier, new)
        self.num_classes = num_classes


class FeatureNet(nn.Module):
    """`build_model(..., features_only=True)`: returns the feature maps at the chosen taps."""

    # Set by the builder: spec_name, input_shape, feature_info.


def _takes_list(graph: nx.DiGraph):
    return lambda unit: node(graph, unit.path).opdef.arity is None


def _may_run_in_place(graph: nx.DiGraph, name: str, protected: set[str]) -> bool:
    """The op may overwrite its input (a ReLU), and the producer's backward does not read its output
    (both are flags of the ops in the registry)."""
    this = node(graph, name)
    if not this.opdef.inplace_capable(this.attrs):
        return False
    (producer,) = this.inputs
    return (node(graph, producer).opdef.inplace_safe_output and graph.out_degree(producer) == 1
            and producer not in protected)


def _leaf(graph: nx.DiGraph, name: str, protected: set[str]) -> nn.Module:
    this = node(graph, name)
    attrs = dict(this.attrs)
    if _may_run_in_place(graph, name, protected):
        attrs["inplace"] = True
    return this.opdef.lower(attrs, [node(graph, i).shape for i in this.inputs])


def _conv_unit_name(unit: Unit) -> str:
    """A conv unit's class says what it holds, as timm's ConvNormAct does: ConvBnAct, ConvBn, ConvAct."""
    parts = {child.local for child in unit.children}
    name = "Conv" + ("Bn" if "bn" in parts else "") + ("Act" if "act" in parts else "")
    return name if name != "Conv" else "ConvUnit"


def _classifier(head: Unit | None, graph: nx.DiGraph) -> str:
    """The last direct child of the head that is a linear layer ('' if none)."""
    if head is None:
        return ""
    linears = [c.local for c in head.children if c.leaf and node(graph, c.path).op == "linear"]
    return linears[-1] if linears else ""


class _Builder:
    """Instantiates the unit tree: leaves from the op registry, containers from generated classes."""

    def __init__(self, graph: nx.DiGraph, protected: set[str]):
        self.graph, self.protected = graph, protected
        self.takes_list = _takes_list(graph)
        self.train_only = lambda name: node(graph, name).train_only
        self.names: dict[str, dict[str, int]] = {}  # class name -> source -> suffix

    def container_class(self, unit: Unit, base: type, source: str, name: str) -> type:
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
        source = forward_source(unit, self.takes_list, self.train_only,
                                head_split=(_classifier(unit, self.graph) or None) if is_head else None)
        name = _conv_unit_name(unit) if unit.kind == "conv" else class_name(unit.key, unit.kind)
        return self.build(unit, self.container_class(unit, nn.Module, source, name)())


def _root_class(builder: _Builder, root: Unit, base: type, name: str, features: bool) -> type:
    source = forward_source(root, builder.takes_list, builder.train_only)
    if not features:
        head = next((c for c in root.children if c.kind == "head"), None)
        body = [c for c in root.children if c is not head and not c.train_only]
        returned = head.inputs if head is not None else [o for o in root.outputs if not builder.train_only(o)]
        trunk = Unit("", "", False, root.inputs, list(returned), body)
        source += forward_source(trunk, builder.takes_list, builder.train_only, method="forward_features")
    return builder.container_class(root, base, source, name)


def _spec_class_name(spec_name: str) -> str:
    return class_name(spec_name, "block")


def _taps(graph: nx.DiGraph) -> list[Tap]:
    names = graph.graph.get("feature_taps")
    return named_taps(graph, names) if names else default_taps(graph)


def build_network(graph: nx.DiGraph) -> ArchNet:
    """The trainable network: forward returns the logits (in training also auxiliary outputs)."""
    taps = _taps(graph)
    builder = _Builder(graph, set(graph.graph["outputs"]) | {t.node for t in taps})
    root = module_layout(graph, list(graph.graph["outputs"]))
    cls = _root_class(builder, root, ArchNet, _spec_class_name(graph.graph["name"]), features=False)
    model = builder.build(root, cls())
    head = next((c for c in root.children if c.kind == "head"), None)
    model._classifier = _classifier(head, graph)
    _describe(model, graph, taps)
    main = node(graph, graph.graph["outputs"][0])
    model.num_classes = main.shape[0] if len(main.shape) == 1 else 0
    if model._classifier:
        model._pre_logits_features = node(graph, f"head.{model._classifier}").attrs["in_features"]
    return model


def build_features(graph: nx.DiGraph, out_indices: Sequence[int] | None = None) -> FeatureNet:
    """A backbone whose forward returns the feature maps at the taps chosen by out_indices."""
    taps = _taps(graph)
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
    root = module_layout(pruned, [t.node for t in chosen])
    cls = _root_class(builder, root, FeatureNet, _spec_class_name(graph.graph["name"]) + "Features", features=True)
    model = builder.build(root, cls())
    _describe(model, graph, chosen)
    return model


def _describe(model: nn.Module, graph: nx.DiGraph, taps: list[Tap]) -> None:
    model.spec_name = graph.graph["name"]
    model.input_shape = node(graph, graph.graph["input"]).shape
    model.feature_info = FeatureInfo(taps)


def module_from_graph(graph: nx.DiGraph, seed: int | None = None, features_only: bool = False,
                      out_indices: Sequence[int] | None = None) -> nn.Module:
    """Instantiate the module for a lowered graph; a seed makes the initial weights reproducible."""
    def make() -> nn.Module:
        return build_features(graph, out_indices) if features_only else build_network(graph)

    if seed is None:
        return make()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make()


def verify_on_meta(graph: nx.DiGraph) -> int:
    """Build the module on the meta device (no weights allocated or initialised) and return its
    parameter count. Raises RuntimeError if the module disagrees with the IR, which would be a bug in
    archspec, not in the spec. (A forward on meta tensors would check shapes too, but costs seconds
    in PyTorch's Python decompositions; the test suite checks shapes with real forwards instead.)"""
    with torch.device("meta"):
        model = build_network(graph)
    params = sum(p.numel() for p in model.parameters())
    expected = sum(n.meta["params"] for n in nodes(graph))
    if params != expected:
        raise RuntimeError(f"internal error: the IR counts {expected} params, the module has {params}")
    return params
