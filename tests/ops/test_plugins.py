"""Ops of the user's own, registered from their own Python module: through the Python API (import it,
then compile) and through the CLI's explicit --plugin. A spec alone never loads code."""
from __future__ import annotations

import json
import sys
import textwrap

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode
from typer.testing import CliRunner

import archspec
from archspec.cli.app import app
from archspec.ops import ITEMS, OPS
from archspec.cli.plugins import PluginError, load_plugin

from . import test_ops_registry as registry_checks  # a module import, so pytest does not collect its tests twice
from ..conftest import ROOT

# The plugin is the example in docs/custom-ops.md, so the documentation is what is tested.
PLUGIN = (ROOT / "docs" / "custom-ops.md").read_text().split("```python\n", 1)[1].split("```", 1)[0]

SPEC = """\
name: with_plugin
input: [3, 8, 8]
network:
  - conv: 3x3 8 same
  - pointwise: 16
  - {pointwise: {out: 4}, name: proj}
head: [global_avgpool, {linear: 10}]
"""


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    """The user's module and spec in a folder; the registry is restored afterwards."""
    ops, items = dict(OPS), {k: v for k, v in ITEMS.items()}
    (tmp_path / "my_ops.py").write_text(PLUGIN)
    (tmp_path / "net.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    OPS.clear(), OPS.update(ops), ITEMS.clear(), ITEMS.update(items)
    sys.modules.pop("my_ops", None)
    for name in [m for m in sys.modules if m.startswith("archspec_plugin_")]:
        sys.modules.pop(name)


def test_without_the_plugin_the_spec_is_a_located_error_and_runs_no_code(plugin_dir):
    with pytest.raises(archspec.SpecError) as info:
        archspec.compile_spec(plugin_dir / "net.yaml")
    assert "pointwise" in str(info.value.diagnostics[0]) and "net.yaml:5:5" in str(info.value.diagnostics[0])
    assert "pointwise" not in OPS and "my_ops" not in sys.modules


def test_a_registered_op_builds_runs_and_counts_exactly(plugin_dir):
    load_plugin("my_ops")  # the same as `import my_ops` in the user's program
    spec, graph = archspec.compile_spec(plugin_dir / "net.yaml")
    assert graph.nodes["proj"]["op"] == "pointwise"
    model = archspec.build_model(spec, seed=0).eval()
    stats = archspec.stats(spec)
    assert stats["params"] == sum(p.numel() for p in model.parameters())
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = model(torch.randn(1, 3, 8, 8))
    assert y.shape == (1, 10) and stats["macs"] == counter.get_total_flops() // 2


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the registry checks use torch.jit.script
def test_a_plugin_op_passes_the_registry_checks(plugin_dir, tmp_path_factory):
    load_plugin(str(plugin_dir / "my_ops.py"))
    for index in range(len(OPS["pointwise"].samples)):
        registry_checks.test_op_sample_matches_pytorch("pointwise", index, tmp_path_factory.mktemp("sample"))


def test_the_cli_loads_a_plugin_only_when_asked(plugin_dir):
    runner = CliRunner()
    result = runner.invoke(app, ["stats", "net.yaml", "--json"])
    assert result.exit_code == 1 and "pointwise" in result.output
    result = runner.invoke(app, ["--plugin", "my_ops", "stats", "net.yaml", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["params"] == 3 * 8 * 9 + 2 * 8 + 16 * 9 + 4 * 17 + 4 * 10 + 10


def test_a_broken_plugin_is_a_usage_error_naming_it(plugin_dir):
    (plugin_dir / "half.py").write_text(textwrap.dedent('''
        import archspec

        @archspec.register_op
        class Half(archspec.OpDef):
            name, category = "half", "other"
        '''))
    with pytest.raises(PluginError, match="half.*samples"):
        load_plugin("half")
    result = CliRunner().invoke(app, ["--plugin", "no_such_module", "stats", "net.yaml"])
    assert result.exit_code == 2 and "no_such_module" in result.output
