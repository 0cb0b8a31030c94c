"""torch.export: the model in eval mode captured as an ExportedProgram (ATen ops, no Python), its batch
dimension dynamic, saved by torch.export.save (a .pt2 archive); load it back with torch.export.load(path)
and call `.module()(x)`, without archspec."""
from __future__ import annotations

import io
import warnings

import torch
from torch import nn


def program_bytes(model: nn.Module, sample: torch.Tensor) -> bytes:
    """sample: an input of batch 2 or more (torch.export specialises a dimension of size 1)."""
    batch = torch.export.Dim("batch", min=1)
    program = torch.export.export(model, (sample,), dynamic_shapes=({0: batch},), strict=False)
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # torch 2.13 warns of channels-last (optimized) weights it stores as they are
        warnings.filterwarnings("ignore", message="No complete tensor found")
        torch.export.save(program, buffer)
    return buffer.getvalue()
