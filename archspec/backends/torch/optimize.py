"""The module of an optimized graph (archspec.optimization), filled from a built model's tensors.

`optimize_model(model)` rewrites the lowered graph the model was built from (model._archspec_ir, set by
module_from_graph), builds the optimized graph's module with the same machinery as any model (generated
forwards, block modules keep their names where they survive), and computes every tensor from the model's
state_dict through the passes' recipes (in float64, then cast). The result is for inference: its conv
weights are channels-last, its forward converts the input once, 1x1 convolutions run as one matrix
product, and `train()` is refused.
"""
from __future__ import annotations

import copy
from typing import Sequence

import networkx as nx
import torch
from torch import nn

from ...optimization import optimize_graph
from .network import ArchNet, build_network, FeatureNet
from .recipes import evaluate

TO_CHANNELS_LAST = "x = x.contiguous(memory_format=torch.channels_last)"
INFERENCE_ONLY = "an optimized model is for inference; build without optimize to train"


class OptimizedNet(ArchNet):
    """Base class of optimized models: timm's model API, eval mode only."""

    def train(self, mode: bool = True):
        if mode:
            raise RuntimeError(INFERENCE_ONLY)
        return super().train(False)

    def reset_classifier(self, num_classes: int) -> None:
        super().reset_classifier(num_classes)
        for param in self.get_classifier().parameters():  # fresh weights, frozen like the rest
            param.requires_grad_(False)
        self.get_classifier().train(False)


class PointwiseConv2d(nn.Conv2d):
    """A 1x1 convolution (stride 1, no padding, groups 1) computed, on a map whose channels are its
    innermost dimension (channels-last, or a channel slice of one), as one matrix product of the
    (N*H*W, C_in) rows with the weight: on CPU PyTorch's own convolution runs such a conv, at batch < 16
    on one thread, through a slower path. Any other input goes through nn.Conv2d's convolution."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.stride(1) != 1:
            return self._conv_forward(x, self.weight, self.bias)
        n, c, h, w = x.shape
        rows = x.permute(0, 2, 3, 1).reshape(n * h * w, c)
        weight = self.weight.reshape(self.out_channels, c).t()
        bias = self.bias
        out = torch.mm(rows, weight) if bias is None else torch.addmm(bias, rows, weight)
        return out.view(n, h, w, self.out_channels).permute(0, 3, 1, 2)


def _pointwise(module: nn.Module) -> bool:
    return (type(module) is nn.Conv2d and module.kernel_size == (1, 1) and module.stride == (1, 1)
            and module.padding == (0, 0) and module.dilation == (1, 1) and module.groups == 1)


def _use_pointwise(model: nn.Module) -> int:
    swapped = 0
    for name, module in list(model.named_modules()):
        if _pointwise(module):
            parent, _, local = name.rpartition(".")
            new = PointwiseConv2d(module.in_channels, module.out_channels, 1, bias=module.bias is not None)
            setattr(model.get_submodule(parent), local, new)
            swapped += 1
    return swapped


def check_optimizable(model: nn.Module) -> nx.DiGraph:
    """The lowered graph of a model archspec built; a clear error for anything else."""
    if isinstance(model, FeatureNet):
        raise ValueError("archspec.optimize takes a whole model; a features_only backbone is not supported "
                         "(build the model without features_only, optimize it, call forward_features)")
    if isinstance(model, OptimizedNet):
        raise ValueError(f"this {model.spec_name} model is already optimized")
    graph = getattr(model, "_archspec_ir", None)
    if not isinstance(model, ArchNet) or not isinstance(graph, nx.DiGraph):
        raise TypeError(f"archspec.optimize takes a model archspec.build_model built, got {type(model).__name__}")
    return graph


def optimize_model(model: ArchNet, debug: bool = False, passes: Sequence[str] | None = None) -> OptimizedNet:
    """The optimized inference model of a model archspec built (its current weights); see the module doc.
    passes: only these of archspec.optimization.PASSES (tests and benchmarks compare them one by one)."""
    graph = check_optimizable(model)
    optimized, report = optimize_graph(graph, debug, passes)
    built = copy.copy(optimized)  # its taps are the original model's (feature_info below)
    built.graph = dict(optimized.graph, feature_taps=None)
    new = build_network(built, base=OptimizedNet, suffix="Optimized", prologue=(TO_CHANNELS_LAST,))
    if new._classifier and model._classifier and model.num_classes != new.num_classes:
        new.reset_classifier(model.num_classes)  # the user replaced the classifier: keep theirs
    report["pointwise_convs"] = _use_pointwise(new)
    source = model.state_dict()
    first = next((t for t in source.values() if t.is_floating_point()), torch.zeros(()))
    new.to(device=first.device, dtype=first.dtype)
    wanted = new.state_dict()
    loaded = {}
    for key, target in wanted.items():
        name, _, tensor = key.rpartition(".")
        recipe = optimized.nodes[name].get("derive", {}).get(tensor, ["tensor", name, tensor]) \
            if name in optimized else ["tensor", name, tensor]
        try:
            value = evaluate(recipe, source)
        except KeyError as exc:
            raise ValueError(f"the model's modules differ from its spec's (no tensor {exc}); optimize the model "
                             "as build_model made it") from None
        if tuple(value.shape) != tuple(target.shape):
            raise ValueError(f"the model's tensor for {key} is {tuple(value.shape)}, its spec says "
                             f"{tuple(target.shape)}; optimize the model as build_model made it")
        loaded[key] = value.to(device=target.device, dtype=target.dtype)
    new.load_state_dict(loaded)
    new.to(memory_format=torch.channels_last)
    new.requires_grad_(False)
    new.train(False)
    for attr in ("spec_name", "spec_hash", "spec_params", "input_shape", "feature_info"):
        setattr(new, attr, getattr(model, attr))
    report["drops"]["state_dict_keys"] = [k for k in source if k not in wanted]
    new.optimized, new.optimize_report = True, report
    new._archspec_ir = optimized
    return new
