"""The residual composite's options: `shortcut: if_same` (MobileNetV2's inverted residual) and
`drop_path` (stochastic depth on the residual branch); and `for` over a count, which writes timm's
per-block drop-path schedule. Each is checked against a real forward."""
from __future__ import annotations

import textwrap

import pytest
import torch

import archspec
from archspec import SpecError

IF_SAME = """\
name: t
input: [4, 8, 8]
defaults: {conv: {padding: same, bn: false, act: none, bias: false}}
blocks:
  inv:
    params: {out: int, stride: 1}
    body:
      - residual:
          body: [conv: {out: out, kernel: 3, stride: stride}]
          shortcut: if_same
          {extra}
network:
  - {inv: {out: 4}, name: same}          # stride 1, 4 -> 4: adds the input
  - {inv: {out: 6}, name: wider}         # 4 -> 6: no addition
  - {inv: {out: 6, stride: 2}, name: down}
  - {inv: {out: 6}, name: same2}
"""


def build(write_spec, text, extra="", overrides=None):
    path = write_spec(textwrap.dedent(text).replace("{extra}", extra))
    _, graph = archspec.compile_spec(path, overrides)
    return graph, archspec.build_model(path, overrides).eval()


def test_if_same_adds_only_where_the_body_keeps_the_shape(write_spec):
    graph, model = build(write_spec, IF_SAME)
    adds = sorted(n for n, d in graph.nodes(data=True) if d["op"] == "add")
    assert adds == ["same.add", "same2.add"]
    x = torch.randn(2, 4, 8, 8)
    with torch.inference_mode():
        conv = lambda name, t: torch.nn.functional.conv2d(  # noqa: E731
            t, model.get_submodule(f"{name}.conv.conv").weight, stride=model.get_submodule(f"{name}.conv.conv").stride,
            padding=1)
        expected = x + conv("same", x)
        expected = conv("wider", expected)
        expected = conv("down", expected)
        expected = expected + conv("same2", expected)
        assert torch.allclose(model(x), expected, atol=1e-5)


def test_act_applies_with_or_without_the_addition_and_scale_only_with_it(write_spec):
    """`act` applies to the block's output with or without the addition; scale belongs to the branch."""
    graph, _ = build(write_spec, IF_SAME, extra="act: relu\n          scale: 0.5")
    ops = {n: d["op"] for n, d in graph.nodes(data=True)}
    assert ops["wider.act"] == "act" and ops["same.act"] == "act"
    assert "same.scale" in ops and "wider.scale" not in ops


def test_an_unknown_shortcut_word_lists_the_choices(write_spec):
    path = write_spec(textwrap.dedent(IF_SAME).replace("if_same", "if_same_shape").replace("{extra}", ""))
    with pytest.raises(SpecError, match="shortcut must be 'identity', 'auto', 'if_same' or a list of items, "
                                        "got 'if_same_shape'"):
        archspec.load_spec(path)


FOR_COUNT = """\
name: t
params: {n: 3}
input: [2, 4, 4]
network:
  - name: blocks
    for:
      each: j
      in: n
      do: [conv: {out: "2 + j", kernel: 1}]
"""


def test_for_over_a_count_iterates_from_zero(write_spec):
    graph, model = build(write_spec, FOR_COUNT)
    widths = [model.get_submodule(f"blocks.{j}.conv.conv").out_channels for j in range(3)]
    assert widths == [2, 3, 4]
    assert model(torch.randn(1, 2, 4, 4)).shape == (1, 4, 4, 4)


@pytest.mark.parametrize("count", ["0", "-1", "true"])
def test_for_over_a_count_refuses_a_count_out_of_range(write_spec, count):
    path = write_spec(textwrap.dedent(FOR_COUNT).replace("in: n", f"in: {count}"))
    with pytest.raises(SpecError, match="'in' must give a non-empty list or a count from 1 to"):
        archspec.compile_spec(path)


# ---------------------------------------------------------------- drop_path on the residual branch
from ..conftest import ROOT  # noqa: E402


def drop_path_rates(spec: str, rate: float) -> dict[str, float]:
    """{residual scope: its drop-path rate} of a shipped spec built with drop_path_rate=rate."""
    _, graph = archspec.compile_spec(ROOT / "specs" / f"{spec}.yaml", {"drop_path_rate": rate})
    return {n.rsplit(".", 1)[0]: d["attrs"]["p"] for n, d in graph.nodes(data=True) if d["op"] == "drop_path"}


def test_drop_path_sits_between_the_branch_and_the_addition(write_spec):
    graph, model = build(write_spec, IF_SAME, extra="drop_path: 0.25")
    ops = {n: d["op"] for n, d in graph.nodes(data=True)}
    assert [n for n, op in ops.items() if op == "drop_path"] == ["same.drop_path", "same2.drop_path"]
    assert graph.nodes["same.add"]["inputs"] == ["same.drop_path", "input"]
    x = torch.randn(64, 4, 8, 8)
    with torch.inference_mode():
        branch = model.same.conv(x)
        assert torch.equal(model.same(x), branch + x)  # eval: the identity
        model.train()
        torch.manual_seed(0)
        dropped = (model.same(x) - x).flatten(1).abs().sum(1) == 0  # the sample's whole branch is gone
    assert 0.1 < dropped.float().mean() < 0.4  # at rate 0.25
    assert "wider.drop_path" not in ops  # no addition, so no drop path (timm's has_skip)


def test_efficientnet_drop_path_follows_timms_schedule():
    """timm's EfficientNetBuilder: block b of 16 gets drop_path_rate * b / 16; only blocks with a skip."""
    rates = drop_path_rates("efficientnet_b0", 0.2)
    assert len(rates) == 16 - 7  # every stage's first block changes the shape: no addition there
    index = {f"stage{s}.{j}.mbconv": b for b, (s, j) in enumerate(
        (s, j) for s, n in enumerate((1, 2, 2, 3, 3, 4, 1), 1) for j in range(n))}
    assert rates == pytest.approx({scope: 0.2 * index[scope] / 16 for scope in rates})


def test_convnext_drop_path_follows_timms_linspace():
    """timm's ConvNeXt: linspace(0, drop_path_rate, 18) over all blocks (the first block's 0 adds none)."""
    rates = drop_path_rates("convnext_tiny", 0.1)
    expected = torch.linspace(0, 0.1, 18).tolist()
    scopes = [f"stage{s}.blocks.{j}.convnext_block" for s, n in enumerate((3, 3, 9, 3), 1) for j in range(n)]
    assert rates == pytest.approx({scope: p for scope, p in zip(scopes, expected) if p > 0})
    assert drop_path_rates("convnext_tiny", 0.0) == {}
