"""tests/data/tiny_unet.yaml, an encoder-decoder using every op of the modern CNN set (upsample by scale
and to a size, conv_transpose, a drop_path schedule, layer_scale, channel_shuffle, l2norm,
make_divisible): it builds, counts what PyTorch counts, trains a step, and the CLI lists and draws it."""
from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode
from typer.testing import CliRunner

import archspec
from archspec.cli.app import app

from .conftest import ROOT

TINY = ROOT / "tests" / "data" / "tiny_unet.yaml"
NEW_OPS = {"upsample", "conv_transpose2d", "drop_path", "layer_scale", "channel_shuffle", "l2norm"}


def test_every_new_op_is_used_and_every_shape_and_count_is_pytorchs():
    spec, graph = archspec.compile_spec(TINY)
    assert NEW_OPS <= {graph.nodes[n]["op"] for n in graph.nodes}
    model = archspec.build_model(spec, seed=0).eval()
    stats = archspec.stats(spec)
    assert stats["params"] == sum(p.numel() for p in model.parameters()) == 13_342
    shapes = {}
    hooks = [m.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape[1:])))
             for name, m in model.named_modules() if name in graph.nodes]
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = model(x)
    for hook in hooks:
        hook.remove()
    assert stats["macs"] == counter.get_total_flops() // 2
    assert shapes and all(shapes[n] == graph.nodes[n]["meta"]["shape"] for n in shapes)
    assert shapes["upsample"] == (8, 20, 20) and shapes["branch1.5"] == (8, 16, 16)  # conv_transpose
    torch.testing.assert_close(y.norm(dim=1), torch.ones(1))  # the l2norm head


def test_trains_one_step_and_every_parameter_gets_a_gradient():
    model = archspec.build_model(TINY, seed=0).train()
    gammas = [n for n, _ in model.named_parameters() if n.endswith("layer_scale.gamma")]
    assert len(gammas) == 3
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.manual_seed(0)
    loss = (model(torch.randn(4, 3, 16, 16)) - torch.randn(4, 6)).pow(2).mean()
    loss.backward()
    assert [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()] == []
    optimizer.step()
    assert any(not torch.equal(before[n], p) for n, p in model.named_parameters() if n in gammas)


def test_blocks_and_render_accept_it(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(app, ["blocks", str(TINY)])
    assert listed.exit_code == 0, listed.output
    assert all(key in listed.output for key in ("convnext_block", "shuffle_unit", "conv_transpose", "layer_scale"))
    for level in ("network", "block", "layer"):
        out = tmp_path / f"{level}.dot"
        result = runner.invoke(app, ["render", str(TINY), "-o", str(out), "--level", level])
        assert result.exit_code == 0, result.output
    layer = (tmp_path / "layer.dot").read_text()
    for label in ("Upsample x2, nearest", "Upsample to 20x20, bilinear", "2x2 transposed conv, 8, x2",
                  "LayerScale 1e-06", "DropPath 0.1", "Channel Shuffle, 2 groups", "L2 Norm"):
        assert label in layer, label
