"""ONNX: the model in eval mode, written by torch.onnx.export with the TorchScript-based exporter
(`dynamo=False`), the batch dimension of the input and of every output dynamic.

Why not the default (dynamo) exporter of torch 2.9 and later: it needs the onnxscript package, which is not
a dependency of archspec; the TorchScript-based one ships with torch, handles every shipped spec, and gives
the same outputs under onnxruntime (tests/exports/test_formats.py); it needs the onnx package (the `onnx` extra). torch warns that it is deprecated; the
warning is silenced here.
"""
from __future__ import annotations

import io
import warnings

import torch
from torch import nn

OPSET = 17


def onnx_bytes(model: nn.Module, sample: torch.Tensor, outputs: int) -> bytes:
    """The .onnx file of model for inputs shaped like sample (any batch); outputs: how many tensors the model
    returns (named output, or output0, output1, ...)."""
    names = ["output"] if outputs == 1 else [f"output{i}" for i in range(outputs)]
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (sample,), buffer, dynamo=False, opset_version=OPSET, input_names=["input"],
                          output_names=names, dynamic_axes={name: {0: "batch"} for name in ["input"] + names})
    return buffer.getvalue()
