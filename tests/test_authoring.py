"""New block types and whole networks written in YAML only, in a temporary folder (never in the
package): they validate, count, build and train with no Python change, and their mistakes point at
the user's own files."""
from __future__ import annotations

import textwrap

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import archspec
from archspec import SpecError

LIBRARY = """\
archspec: 1
doc: my blocks
defaults:
  conv: {padding: same}
blocks:
  mix:
    doc: an Inception block with a different branch mix
    params: {w: int}
    body:
      - concat:
          - conv: 1x1 w
          - [conv: 1x1 w//2, conv: 1x5 w, conv: 5x1 w]
          - [conv: 1x1 w, conv: 3x3 w dilation=2 padding=2]
          - [maxpool: 3x3 /1 same, conv: 1x1 w//2]
  down:
    doc: residual block with a projection shortcut
    params: {w: int, stride: 2}
    body:
      - residual:
          body: [conv: 3x3 w /stride, conv: 3x3 w act=none]
          shortcut: [conv: 1x1 w /stride act=none]
          act: relu
"""

NESTED = """\
archspec: 1
imports: [lib.yaml]
blocks:
  cell:
    doc: a block made of two other user blocks
    params: {w: int}
    body:
      - mix: {w: w}
      - down: {w: 2*w}
"""

def write(folder, files):
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


@pytest.fixture
def lib(tmp_path):
    return write(tmp_path, {"lib.yaml": LIBRARY, "nested.yaml": NESTED})


def build_and_check(path, overrides=None):
    """Compile, build, and cross-check counts and shape against a real forward."""
    stats = archspec.stats(path, overrides)
    model = archspec.build_model(path, overrides, seed=0).eval()
    shape = stats["input"]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.randn(1, *shape))
    assert list(out.shape[1:]) == stats["output"]
    assert sum(p.numel() for p in model.parameters()) == stats["params"]
    assert counter.get_total_flops() // 2 == stats["macs"]
    return stats, model


def test_a_multi_branch_concat_block(lib):
    write(lib, {"net.yaml": """\
        name: mixnet
        imports: [lib.yaml]
        input: [3, 16, 16]
        network: [{conv: 3x3 8 padding=same}, mix: {w: 8}]
        head: [global_avgpool, linear: 4]
    """})
    stats, _ = build_and_check(lib / "net.yaml")
    assert stats["stages"][1]["output"] == [8 + 8 + 8 + 4, 16, 16]


def test_a_residual_block_with_a_projection_shortcut(lib):
    write(lib, {"net.yaml": """\
        name: downnet
        imports: [lib.yaml]
        input: [3, 16, 16]
        network: [{conv: 3x3 8 padding=same}, down: {w: 16}]
        head: [global_avgpool, linear: 4]
    """})
    stats, model = build_and_check(lib / "net.yaml")
    assert stats["stages"][1]["output"] == [16, 8, 8]
    assert isinstance(model.get_submodule("down.shortcut.conv.conv"), torch.nn.Conv2d)


def test_a_block_that_uses_other_user_blocks_from_another_file(lib):
    write(lib, {"net.yaml": """\
        name: cells
        imports: [nested.yaml]
        input: [3, 16, 16]
        network: [{conv: 3x3 8 padding=same}, cell: {w: 8}]
        head: [global_avgpool, linear: 4]
    """})
    stats, model = build_and_check(lib / "net.yaml")
    assert "cell.mix.branch1.1.conv" in dict(model.named_modules())
    assert "cell.down.shortcut.conv.conv" in dict(model.named_modules())


def test_a_parametric_network_family(lib):
    write(lib, {"family.yaml": """\
        name: cellnet
        imports: [nested.yaml]
        params:
          cells: {type: int, default: 2}
          base: {type: int, default: 8}
        let:
          top: base * 2 ** cells
        checks:
          - that: 1 <= cells <= 3
            message: "a 32x32 input fits 1 to 3 cells, got ${cells}"
        input: [3, 32, 32]
        network:
          - {conv: 3x3 base padding=same, name: stem}
          - for:
              each: c
              in: [0, 1, 2]
              do: [{cell: {w: "base * 2 ** c"}, when: c < cells}]
            name: cells
          - {conv: 1x1 top, name: widen}
        head: [global_avgpool, linear: 10]
    """})
    one, _ = build_and_check(lib / "family.yaml", {"cells": 1})
    three, model = build_and_check(lib / "family.yaml", {"cells": 3})
    assert one["output"] == three["output"] == [10]
    assert three["params"] > one["params"]
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    torch.manual_seed(0)
    x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    first = None
    for _ in range(5):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first
    with pytest.raises(SpecError, match="fits 1 to 3 cells, got 4") as err:
        archspec.stats(lib / "family.yaml", {"cells": 4})
    assert err.value.diagnostics[0].location.file.endswith("family.yaml")


def test_a_mistake_in_a_user_block_points_at_the_users_file(lib):
    (lib / "lib.yaml").write_text((lib / "lib.yaml").read_text().replace("conv: 1x5 w", "conv: 1x5 w strid=2"))
    write(lib, {"net.yaml": "name: n\nimports: [lib.yaml]\ninput: [3, 8, 8]\nnetwork: [mix: {w: 4}]\n"})
    with pytest.raises(SpecError) as err:
        archspec.load_spec(lib / "net.yaml")
    (diag,) = err.value.diagnostics
    assert diag.location.file.endswith("lib.yaml") and diag.location.line == 12
    assert diag.path == ("blocks", "mix", "body", 0, "concat", 1, 1, "conv")
    assert "unknown key 'strid'" in diag.message and diag.hint == "did you mean 'stride'?"


def test_a_width_that_does_not_add_up_three_uses_later_names_the_use_and_the_parameter(tmp_path):
    write(tmp_path, {"blocks.yaml": """\
        blocks:
          keep:
            doc: a residual that only works when w equals the input width
            params: {w: int}
            body:
              - add: [identity, [conv: 1x1 w]]
    """, "net.yaml": """\
        name: n
        imports: [blocks.yaml]
        input: [3, 8, 8]
        network:
          - conv: 1x1 16
          - keep: {w: 16}
          - keep: {w: 16}
          - keep: {w: 24}
    """})
    with pytest.raises(SpecError) as err:
        archspec.stats(tmp_path / "net.yaml")
    (diag,) = err.value.diagnostics
    assert diag.location.file.endswith("blocks.yaml") and diag.location.line == 6
    assert "add needs identical shapes, got 16x8x8, 24x8x8" in diag.message
    assert "in block 'keep' used at" in diag.context[0]
    assert "net.yaml:8:5 (network[3]) with w=24" in diag.context[0]
