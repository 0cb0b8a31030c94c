"""TorchScript: the model in eval mode compiled by torch.jit.script (the generated forwards are plain
Python that TorchScript reads, training-only branches included), saved by torch.jit.save; load it back with
torch.jit.load(path), without archspec."""
from __future__ import annotations

import io
import warnings

import torch
from torch import nn


def torchscript_bytes(model: nn.Module) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch 2.10+ warns that TorchScript is deprecated in favour of torch.export
        torch.jit.save(torch.jit.script(model), buffer)
    return buffer.getvalue()
