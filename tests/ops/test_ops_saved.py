"""Every op's `saves` (what autograd keeps for its backward) and `aliases_input` against PyTorch, on the
sample networks of its own module: the bytes the saved-tensor hooks see in a training forward whose input
needs a gradient, and the peak of activation storage an eval forward holds, equal the estimates exactly."""
from __future__ import annotations

import pytest
import torch

from archspec.analysis.activations import inference_peak, saved_for_backward
from archspec.backends.torch.network import module_from_graph
from archspec.ops import OPS

from ..memory_probe import eval_peak_bytes, saved_bytes
from .test_ops_registry import CASES, compile_sample


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_what_each_op_keeps_for_backward_and_holds_in_eval(name, index, tmp_path):
    sample = OPS[name].samples[index]
    graph = compile_sample(tmp_path, sample)
    model = module_from_graph(graph, seed=0).train()
    x = torch.randn(3, *sample.input, requires_grad=True)
    assert saved_bytes(model, x) == saved_for_backward(graph, input_grad=True).bytes(3, 4)
    assert saved_bytes(model, x.detach()) == saved_for_backward(graph).bytes(3, 4)
    assert eval_peak_bytes(model, x.detach()) == 3 * inference_peak(graph)[4]
