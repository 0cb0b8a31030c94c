"""Ids and references: what `from:`, `split`, `select`, block `inputs:`/`outputs:` and the network's
`outputs:` compute, checked against the same computation written directly in PyTorch."""
from __future__ import annotations

import textwrap

import torch

import archspec


def build(tmp_path, text: str, seed: int = 0):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    return archspec.build_model(path, seed=seed).eval(), path


def test_split_parts_read_in_any_order(tmp_path):
    model, _ = build(tmp_path, """
        name: swap
        input: [3, 4, 4]
        network:
          - {split: [1, 2], id: s}
          - {concat, from: [s.1, s.0]}
    """)
    x = torch.randn(2, 3, 4, 4)
    assert torch.equal(model(x), torch.cat([x[:, 1:], x[:, :1]], 1))


def test_equal_split_and_select(tmp_path):
    model, _ = build(tmp_path, """
        name: halves
        input: [6, 2, 2]
        network:
          - {split: 3, id: s}
          - {add, from: [s.0, s.2], id: a}
          - {concat, from: [a, s.1]}
          - {select: {start: 1, stop: 3}}
    """)
    x = torch.randn(1, 6, 2, 2)
    assert torch.equal(model(x), torch.cat([x[:, 0:2] + x[:, 4:6], x[:, 2:4]], 1)[:, 1:3])


def test_dense_connectivity_with_every_binding(tmp_path):
    """DenseNet as drawn: layer j reads the concatenation of the block input and every earlier layer."""
    model, path = build(tmp_path, """
        name: dense
        input: [2, 3, 3]
        network:
          - for:
              each: j
              in: [0, 1, 2]
              do:
                - {concat, from: [input, layer*]}
                - {scale: 2, id: layer}
          - {concat, from: [input, layer*]}
    """)
    x = torch.randn(1, 2, 3, 3)
    feats = [x]
    for _ in range(3):
        feats.append(2 * torch.cat(feats, 1))
    assert torch.equal(model(x), torch.cat(feats, 1))
    assert model(x).shape[1] == 2 + 2 + 4 + 8


def test_blocks_with_several_inputs_and_outputs(tmp_path):
    model, _ = build(tmp_path, """
        name: multi
        input: [4, 2, 2]
        blocks:
          halves:
            outputs: [low, high]
            body:
              - {select: 2, id: low}
              - {select: {start: 2, stop: 4}, from: input, id: high}
          weigh:
            inputs: [a, b]
            body:
              - {scale: 3, from: b, id: b3}
              - {add, from: [a, b3]}
        network:
          - {halves, id: h}
          - {weigh, from: [h.high, h.low]}
    """)
    x = torch.randn(2, 4, 2, 2)
    assert torch.equal(model(x), x[:, 2:4] + 3 * x[:, :2])


def test_network_outputs_are_returned_in_order_and_scripted(tmp_path):
    model, path = build(tmp_path, """
        name: pyramid
        input: [3, 8, 8]
        defaults:
          conv: {padding: same}
        network:
          - {conv: 3x3 4, id: c1}
          - {conv: 3x3 8 /2, id: c2}
          - {conv: 3x3 16 /2, id: c3}
        outputs: [c3, c1, c2]
    """)
    x = torch.randn(2, 3, 8, 8)
    outs = model(x)
    assert [tuple(o.shape) for o in outs] == [(2, 16, 2, 2), (2, 4, 8, 8), (2, 8, 4, 4)]
    scripted = torch.jit.script(model)
    for a, b in zip(outs, scripted(x)):
        assert torch.allclose(a, b)
    _, graph = archspec.compile_spec(path)
    assert graph.graph["outputs"] == ["c3.act", "c1.act", "c2.act"]
    assert archspec.stats(path)["params"] == sum(p.numel() for p in model.parameters())


def test_skip_connections_count_like_a_forward(tmp_path):
    """Skips across a bottleneck: counted params equal numel, MACs equal FlopCounterMode's / 2."""
    from torch.utils.flop_counter import FlopCounterMode

    model, path = build(tmp_path, """
        name: skips
        input: [3, 16, 16]
        defaults:
          conv: {padding: same}
        network:
          - {conv: 3x3 8, id: e1}
          - {maxpool: 2}
          - {conv: 3x3 16, id: e2}
          - {conv: 1x1 8, from: e1, id: side}
          - {maxpool: 2, id: side_pooled}
          - {concat, from: [e2, side_pooled]}
          - {conv: 3x3 8}
    """)
    counted = archspec.stats(path)
    assert counted["params"] == sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as flops:
        out = model(torch.randn(1, 3, 16, 16))
    assert counted["macs"] == flops.get_total_flops() // 2
    assert tuple(out.shape) == (1, 8, 8, 8)


def test_diagrams_draw_the_references(tmp_path):
    """Every level renders (graphviz's `dot` accepts it), and the layer level has an edge per reference."""
    import subprocess

    from typer.testing import CliRunner

    from archspec.cli.app import app

    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent("""
        name: drawn
        input: [4, 8, 8]
        network:
          - {maxpool: 1, id: a}
          - {split: 2, id: s}
          - {concat, from: [s.1, a, s.0], id: joined}
          - {maxpool: 2, from: a, id: small}
        outputs: [joined, small]
    """))
    for level in ("network", "block", "layer"):
        out = tmp_path / f"{level}.dot"
        result = CliRunner().invoke(app, ["render", str(path), "-o", str(out), "-l", level, "-f", "dot"])
        assert result.exit_code == 0, result.output
        subprocess.run(["dot", "-Tsvg", "-o", str(tmp_path / f"{level}.svg"), str(out)], check=True)
    layer = (tmp_path / "layer.dot").read_text()
    for edge in ('"a" -> "s.0"', '"a" -> "joined.concat"', '"s.1" -> "joined.concat"', '"a" -> small'):
        assert edge.replace('"', "") in layer.replace('"', ""), edge
    network = (tmp_path / "network.dot").read_text()
    assert "Output 0" in network and "Output 1" in network


def test_network_outputs_may_be_parts(tmp_path):
    model, _ = build(tmp_path, """
        name: outparts
        input: [4, 8, 8]
        blocks:
          two:
            outputs: [a, b]
            body:
              - {select: 1, id: a}
              - {select: {start: 1, stop: 3}, from: input, id: b}
        network:
          - {two, id: t}
          - {split: 2, from: input, id: s}
          - {concat, from: [t.a, t.b], id: joined}
        outputs: [joined, t.b, s.0, s.1]
    """)
    x = torch.randn(1, 4, 8, 8)
    joined, b, s0, s1 = model(x)
    assert torch.equal(joined, x[:, :3]) and torch.equal(b, x[:, 1:3])
    assert torch.equal(s0, x[:, :2]) and torch.equal(s1, x[:, 2:])


def test_a_network_with_several_outputs_is_tapped_at_them():
    """features_only on an FPN gives its pyramid levels (timm's feature_info), not taps of its trunk."""
    from ..conftest import ROOT

    model = archspec.build_model(ROOT / "specs" / "fpn_resnet50.yaml", {"size": 64}, features_only=True,
                                 out_indices=(0, 2, 4))
    assert model.feature_info.module_name() == ["p2", "p4", "p6"]
    assert model.feature_info.reduction() == [4, 16, 64]
    assert [tuple(t.shape) for t in model(torch.randn(1, 3, 64, 64))] == [(1, 256, 16, 16), (1, 256, 4, 4),
                                                                        (1, 256, 1, 1)]


def test_a_repeated_item_binds_its_id_once_per_instance(tmp_path):
    """`x*` after `{..., id: x, repeat: 3}` reads all three instances, as the same item in a seq does."""
    model, _ = build(tmp_path, """
        name: repeated
        input: [2, 3, 3]
        network:
          - {scale: 2, id: l, repeat: 3}
          - {concat, from: [l*]}
    """)
    x = torch.randn(1, 2, 3, 3)
    assert torch.equal(model(x), torch.cat([2 * x, 4 * x, 8 * x], 1))
