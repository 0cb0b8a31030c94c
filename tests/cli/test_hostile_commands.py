"""Every command on hostile specs: a located mistake (exit 1) or a command-line mistake (exit 2),
never a traceback (exit 70). One spec per class of issue 10; the per-class tests are in
tests/language/test_hostile_values.py, tests/source/test_hostile_files.py and tests/expand/test_bounded.py."""
from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from archspec.cli.app import app

HEAD = "name: h\ninput: [3, 32, 32]\n"
DIGITS = "9" * 5000
HOSTILE = {
    "operator": HEAD + "network:\n  - conv: '3x3 ~4'\n",
    "digits": HEAD + f"network:\n  - conv: 3x3 {DIGITS}\n",
    "work": HEAD + "blocks:\n  a: {body: [{relu: {}, when: false, repeat: 10000}]}\n  b: {body: [a x10000]}\n"
                   "network:\n  - conv: 3x3 8\n  - b x10000\n",
    "outside": HEAD + "imports: [/etc/passwd]\nnetwork: [conv: 3x3 8]\n",
    "doc": HEAD + f"blocks:\n  b:\n    params: {{k: {{type: int, default: {DIGITS}}}}}\n    doc: \"${{k**99}}\"\n"
                  "    body: [relu]\nnetwork: [conv: 3x3 8, b]\n",
    "nul": HEAD + "network:\n  - conv: 3x3 8\n  - \x00relu\n",
    "complex": HEAD + "network:\n  - conv: 3x3 8\n  - {linear: 10, when: '(-8)**0.5 > 0'}\n",
}
COMMANDS = {
    "validate": [], "stats": [], "ir": [], "explain": ["conv"], "summary": [], "diff": [], "blocks": [],
    "render": ["-o", "{tmp}/d.dot"], "build": ["--out", "{tmp}/out"],
}
runner = CliRunner()


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(HOSTILE))
def test_every_command_refuses_hostile_specs_without_a_traceback(tmp_path, case, command):
    path = tmp_path / f"{case}.yaml"
    path.write_text(HOSTILE[case])
    args = [a.format(tmp=tmp_path) for a in COMMANDS[command]]
    result = runner.invoke(app, [command, str(path), *args])
    assert "Traceback" not in result.output and result.exit_code != 70, result.output
    if command == "blocks" and case in ("work", "complex"):  # lists blocks; the mistake is in expanding
        assert result.exit_code == 0
        return
    assert result.exit_code == 1, result.output
    assert re.search(rf"^{re.escape(str(path))}:\d+:\d+: ", result.output, re.M), result.output


def test_control_characters_of_a_spec_reach_the_terminal_escaped(tmp_path):
    path = tmp_path / "esc.yaml"
    path.write_text(HEAD + 'network: ["global_avgpool\\x1b[2J\\x1b[31m\\x07"]\n')
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "unknown op or block 'global_avgpool\\x1b[2J\\x1b[31m\\x07'" in result.output
