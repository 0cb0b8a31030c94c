"""The spec hash names the resolved network: comments, moved lines, file names, spec names, provenance and
init: records leave it alone; a width, a depth, a block type or a parameter that changes the network changes it."""
from __future__ import annotations

import archspec

from ..conftest import ROOT

SPEC = """\
archspec: 1
name: small
params:
  width: {type: int, default: 8}
  classes: 5
input: [3, 16, 16]
blocks:
  pair:
    params: {w: int}
    body: [conv: 3x3 w, conv: 3x3 w]
  unused:
    body: [conv: 1x1 4]
network:
  - pair: {w: width}
  - maxpool: 2x2 /2
head:
  - global_avgpool
  - linear: classes
"""

MOVED = """\
# the same network, written differently: comments, blank lines, blocks in another order, flow style

archspec: 1
name: other_name      # the spec's name is not part of the network
input: [3, 16, 16]
params:
  classes: 5
  width: {type: int, default: 8, doc: a width}
blocks:
  unused: {body: [conv: 1x1 4]}

  pair:
    params: {w: int}
    body:
      - conv: 3x3 w
      - conv: 3x3 w
network: [{pair: {w: width}}, {maxpool: 2x2 /2}]
head: [global_avgpool, {linear: classes}]
init:
  conv: {fn: kaiming_normal, mode: fan_out}
"""


def test_a_comment_or_a_moved_line_keeps_the_hash(write_spec):
    first = archspec.spec_hash(write_spec(SPEC, "a.yaml"))
    assert len(first) == 64 and int(first, 16) >= 0
    assert archspec.spec_hash(write_spec(MOVED, "b.yaml")) == first
    assert archspec.spec_hash(write_spec(SPEC, "a.yaml"), {"width": 8}) == first  # the default, given


def test_what_changes_the_network_changes_the_hash(write_spec):
    path = write_spec(SPEC)
    first = archspec.spec_hash(path)
    others = {archspec.spec_hash(path, {"width": 16}), archspec.spec_hash(path, {"classes": 6}),
              archspec.spec_hash(write_spec(SPEC.replace("maxpool: 2x2 /2", "avgpool: 2x2 /2"), "c.yaml")),
              archspec.spec_hash(write_spec(SPEC.replace("[3, 16, 16]", "[3, 32, 32]"), "d.yaml"))}
    assert first not in others and len(others) == 4


def test_the_model_carries_the_spec_hash():
    wrn = ROOT / "specs" / "wrn.yaml"
    model = archspec.build_model(wrn, {"depth": 10, "k": 1}, seed=0)
    assert model.spec_hash == archspec.spec_hash(wrn, {"depth": 10, "k": 1}) != archspec.spec_hash(wrn)
    assert model.spec_name == "wrn" and model.spec_params["depth"] == 10 and model.spec_params["k"] == 1
    backbone = archspec.build_model(wrn, {"depth": 10, "k": 1}, features_only=True)
    assert backbone.spec_hash == model.spec_hash  # the spec's, whatever part of it is built
