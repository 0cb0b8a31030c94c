"""Initialise a built module's weights as the spec's `init:` says (the IR's node `init` records).

Runs after every module is constructed, in node order, so under build_model's `seed` the result is
reproducible. A node's `weight` record fills the module's `weight` (or, for a module holding one tensor
under another name, such as a layer scale's, that tensor); `bias` fills `bias` when the module has one.
"""
from __future__ import annotations

import networkx as nx
import torch
from torch import nn

from ...ir.node import nodes
from ...ops._init_fns import apply


def _tensor(module: nn.Module, tensor: str) -> torch.Tensor | None:
    found = getattr(module, tensor, None)
    if isinstance(found, torch.Tensor):
        return found
    own = list(module.parameters(recurse=False))
    return own[0] if tensor == "weight" and len(own) == 1 else None


@torch.no_grad()
def initialise(model: nn.Module, graph: nx.DiGraph) -> nn.Module:
    """Apply every node's init record to its module (nodes a features-only model left out are skipped)."""
    modules = dict(model.named_modules())
    for n in nodes(graph):
        module = modules.get(n.name) if n.init else None
        if module is None:
            continue
        for tensor, record in n.init.items():
            target = _tensor(module, tensor)
            if target is not None:
                apply(record, target)
    return model
