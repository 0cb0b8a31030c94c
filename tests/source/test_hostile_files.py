"""Files a spec may read, and hostile paths (issue 10): `imports:` and `extends:` stay in the spec's folder
tree and the shipped libraries unless the user allows more (`--allow-dir`, `allow_dirs=`); a file that is
not a spec or library is refused without quoting it; every hostile path (NUL bytes, names too long,
symbolic-link loops, folders, FIFOs, devices, unreadable or non-UTF-8 files, chains 1,500 files deep) is
a located error, quickly, never a traceback or a hang; so is a bad spec path or `--out` on the command
line (exit 2). Every test bounds its time."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archspec
from archspec import SpecError
from archspec.cli.app import app
from archspec.source import access

from ..conftest import ROOT
from ..language.test_errors import deadline

SECONDS = 5.0  # generous: each of these is refused in well under a second
SPEC = "name: t\ninput: [3, 8, 8]\nimports: [{target}]\nnetwork:\n  - conv: 3x3 8\n"  # the import at 3:11
BASE = "name: base\ninput: [3, 8, 8]\nnetwork:\n  - conv: 3x3 8\n"
LIBRARY = "blocks:\n  unit:\n    body: [relu]\n"
SECRET = "SECRET-7f3a"  # must never appear in any message


@pytest.fixture(autouse=True)
def no_allowed_dirs():
    yield
    assert access.allowed() == ()  # the command line's --allow-dir holds for one command only


def cli(*args, code: int, seconds: float = SECONDS) -> str:
    """Run the command line in process under a deadline; check the exit code and that it did not crash."""
    start = time.monotonic()
    with deadline(seconds):
        result = CliRunner().invoke(app, [str(a) for a in args])
    assert time.monotonic() - start < seconds
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and SECRET not in result.output
    assert result.exit_code == code, result.output
    return " ".join(result.output.replace("│", " ").split()) if code == 2 else result.output


def process(*args, seconds: float = 30.0) -> subprocess.CompletedProcess:
    """Run `python -m archspec` as a process (for FIFOs and devices: a hang is killed by the timeout)."""
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "archspec", *map(str, args)], capture_output=True, text=True,
                            timeout=seconds, cwd=ROOT)
    assert time.monotonic() - start < seconds
    assert "Traceback" not in result.stderr
    return result


def api_error(call, seconds: float = SECONDS) -> list[str]:
    start = time.monotonic()
    with deadline(seconds), pytest.raises(SpecError) as info:
        call()
    assert time.monotonic() - start < seconds
    messages = [str(d) for d in info.value.diagnostics]
    assert not any(SECRET in m for m in messages)
    return messages


@pytest.fixture
def tree(tmp_path):
    """tmp/spec/ (the user's folder, with sub/), tmp/outside/ (a library and a secret beside it)."""
    (tmp_path / "spec" / "sub").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "lib.yaml").write_text(LIBRARY)
    (tmp_path / "outside" / "base.yaml").write_text(BASE)
    (tmp_path / "outside" / "passwd").write_text(f"root:x:0:0:{SECRET}:/root:/bin/bash\n")
    return tmp_path


def spec_importing(tree: Path, target: str, name: str = "net.yaml") -> Path:
    path = tree / "spec" / name
    path.write_text(SPEC.format(target=json.dumps(target)))
    return path


def spec_extending(tree: Path, target: str, name: str = "variant.yaml") -> Path:
    path = tree / "spec" / name
    path.write_text(f"extends: {json.dumps(target)}\nname: variant\n")  # the reference at 1:10
    return path


# ------------------------------------------------------------------------------ what a spec may read

def outside_references(tree: Path) -> dict[str, str]:
    (tree / "spec" / "link.yaml").symlink_to(tree / "outside" / "lib.yaml")
    (tree / "spec" / "base_link.yaml").symlink_to(tree / "outside" / "base.yaml")
    return {"absolute": "/etc/passwd", "dotdot": "../../../../../../../../etc/hostname",
            "up_one": "../outside/lib.yaml", "symlink": "link.yaml", "base_symlink": "base_link.yaml"}


@pytest.mark.parametrize("how", ["absolute", "dotdot", "up_one", "symlink"])
def test_an_import_outside_the_spec_folder_is_refused_at_the_import(tree, how):
    path = spec_importing(tree, outside_references(tree)[how])
    out = cli("validate", path, code=1)
    assert out.startswith(f"{path}:3:11: imports[0]: '") and "is outside the folders a spec may read" in out
    assert "--allow-dir DIR" in out and "allow_dirs=" in out and out.endswith("1 error\n")
    assert api_error(lambda: archspec.load_spec(path))[0].startswith(f"{path}:3:11: imports[0]:")


@pytest.mark.parametrize("how", ["absolute", "dotdot", "up_one", "base_symlink"])
def test_extends_outside_the_spec_folder_is_refused_at_extends(tree, how):
    target = {"up_one": "../outside/base.yaml"}.get(how, outside_references(tree)[how])
    path = spec_extending(tree, target)
    out = cli("validate", path, code=1)
    assert out.startswith(f"{path}:1:10: extends: '") and "is outside the folders a spec may read" in out
    assert "--allow-dir" in out


def test_the_allow_option_opens_a_folder_both_ways(tree):
    imports, extends = spec_importing(tree, "../outside/lib.yaml"), spec_extending(tree, "../outside/base.yaml")
    for path in (imports, extends):
        cli("validate", path, code=1)
        assert "ok" in cli("--allow-dir", tree / "outside", "validate", path, code=0)
        api_error(lambda: archspec.stats(path))
        assert archspec.stats(path, allow_dirs=[tree / "outside"])["params"] > 0
        assert len(archspec.spec_hash(path, allow_dirs=[tree / "outside"])) == 64
        with access.allowing([str(tree / "outside")]):
            archspec.compile_spec(path)
        api_error(lambda: archspec.load_spec(path))  # only inside the block
    assert archspec.load_spec(imports, allow_dirs=tree / "outside").blocks["unit"]
    assert "not a folder" in cli("--allow-dir", tree / "nope", "validate", imports, code=2)


def test_subfolders_and_the_shipped_libraries_are_readable_and_the_tree_is_the_users_spec(tree):
    spec_dir = tree / "spec"
    (spec_dir / "sub" / "lib.yaml").write_text("imports: [../shared.yaml, archspec:inception]\n" + LIBRARY)
    (spec_dir / "shared.yaml").write_text("blocks:\n  shared:\n    body: [relu]\n")
    path = spec_importing(tree, "sub/lib.yaml")
    assert {"unit", "shared", "stem_v3"} <= set(archspec.load_spec(path).blocks)  # ../ inside the tree is fine
    (spec_dir / "sub" / "escape.yaml").write_text("imports: [../../outside/lib.yaml]\n" + LIBRARY)
    path = spec_importing(tree, "sub/escape.yaml")
    message, = api_error(lambda: archspec.load_spec(path))
    assert message.startswith(f"{spec_dir / 'sub' / 'escape.yaml'}:1:11: imports[0]:") and "outside" in message
    # a library checked on its own reads from its own folder
    assert "outside the folders" in api_error(lambda: archspec.load_library(spec_dir / "sub" / "escape.yaml"))[0]


# ------------------------------------------------------------------------ files that are not a spec or library

def test_a_file_that_is_not_a_library_or_spec_is_refused_without_quoting_it(tree):
    outside = tree / "outside"
    (outside / "shadow").write_text(f"root:{SECRET}:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n")  # YAML keys
    (outside / "list.yaml").write_text(f"- {SECRET}\n")
    (outside / "text.txt").write_text(f"{SECRET} and more\n")
    for name in ("passwd", "shadow", "list.yaml", "text.txt"):
        for path, what in ((spec_importing(tree, f"../outside/{name}"), "imports[0]: '../outside/{}' is not a block "
                            "library"), (spec_extending(tree, f"../outside/{name}"), "extends: '../outside/{}' is not "
                                         "a spec")):
            out = cli("--allow-dir", outside, "validate", path, code=1)
            assert what.format(name) in out and out.endswith("1 error\n"), out


@pytest.mark.parametrize("loader", ["C", "Python"])
def test_yaml_errors_in_a_file_the_user_did_not_name_quote_no_token_of_it(tree, monkeypatch, loader):
    import yaml
    if loader == "Python":  # PyYAML's own parser names the alias; libyaml does not
        monkeypatch.setattr("archspec.source.yamlsource._LOADER", yaml.SafeLoader)
    other = tree / "spec" / "alias.yaml"
    other.write_text(f"blocks: {{}}\nx: *{SECRET}\n")
    for path in (spec_importing(tree, "alias.yaml"), spec_extending(tree, "alias.yaml")):
        message, = api_error(lambda: archspec.load_spec(path))  # SECRET is not in it
        assert message.startswith(f"{other}:2:4: <document>: invalid YAML: found undefined alias")
    with pytest.raises(SpecError) as info:  # the file the user named is quoted as before
        archspec.load_library(other)
    assert (SECRET in str(info.value)) == (loader == "Python")


def test_values_of_a_file_the_user_did_not_name_are_not_repeated(tree):
    spec_dir = tree / "spec"
    (spec_dir / "secret").mkdir()
    (spec_dir / "secret" / "creds.yaml").write_text(f"password: {SECRET}\ninput: {SECRET}\nname: 5\n")
    path = spec_extending(tree, "secret/creds.yaml")
    messages = api_error(lambda: archspec.load_spec(path))
    creds = str(spec_dir / "secret" / "creds.yaml")
    assert f"{creds}:1:1: password: unknown key 'password'" in messages[-1]  # key paths are fine
    assert any(m.startswith(f"{creds}:2:8: input: Input should be a valid list") for m in messages)
    cli("validate", path, code=1)
    # the file the user named is quoted as before
    (spec_dir / "own.yaml").write_text(f"name: t\ninput: {SECRET[:6]}\nnetwork: [relu]\n")
    assert "got 'SECRET'" in api_error(lambda: archspec.load_spec(spec_dir / "own.yaml"))[0]


def test_a_library_that_is_not_a_mapping_is_an_error(tree):
    (tree / "spec" / "list.yaml").write_text("- relu\n- conv\n")
    (tree / "spec" / "text.yaml").write_text("just some words\n")
    for name in ("list.yaml", "text.yaml"):
        path = spec_importing(tree, name)
        assert api_error(lambda: archspec.load_spec(path)) == [
            f"{path}:3:11: imports[0]: '{name}' is not a block library (a mapping with blocks, imports, defaults, doc)"]


# ------------------------------------------------------------------------------ hostile paths in a spec

def _unreadable(tree, monkeypatch):
    target = tree / "spec" / "locked.yaml"
    target.write_text(LIBRARY)
    target.chmod(0)
    real_open = os.open

    def refuse(path, *args, **kwargs):  # root reads a file of mode 0 anyway: refuse as the kernel would
        if Path(path).name == "locked.yaml":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(access.os, "open", refuse)
    return "locked.yaml"


def _fifo(tree, monkeypatch):
    os.mkfifo(tree / "spec" / "pipe.yaml")
    return "pipe.yaml"


def _loop(tree, monkeypatch):
    (tree / "spec" / "loop.yaml").symlink_to("loop.yaml")
    return "loop.yaml"


def _folder(tree, monkeypatch):
    return "sub"


HOSTILE = {  # name: (make the file and return the reference, what the message says)
    "nul": (lambda tree, mp: "lib\0.yaml", "the path contains a NUL byte"),
    "too_long": (lambda tree, mp: "x" * 5000 + ".yaml", "file name too long"),
    "loop": (_loop, "symbolic link in the path loops"),
    "folder": (_folder, "is a directory, not a spec or library file"),
    "fifo": (_fifo, "is not a regular file (a device, FIFO or socket)"),
    "unreadable": (_unreadable, "permission denied"),
    "missing": (lambda tree, mp: "nope.yaml", "nope.yaml"),
}


@pytest.mark.parametrize("kind", ["imports", "extends"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_path_is_a_located_error(tree, monkeypatch, kind, case):
    make, says = HOSTILE[case]
    target = make(tree, monkeypatch)
    if kind == "imports":
        path, at = spec_importing(tree, target), "3:11: imports[0]"
    else:
        path, at = spec_extending(tree, target), "1:10: extends"
    message, = api_error(lambda: archspec.load_spec(path))
    assert message.startswith(f"{path}:{at}: ") and says in message, message
    assert "\0" not in message and len(message) < 600
    out = cli("validate", path, code=1)
    assert out.startswith(f"{path}:{at}: ") and says in out


@pytest.mark.parametrize("kind", ["imports", "extends"])
def test_a_device_is_refused_before_it_is_opened_even_when_its_folder_is_allowed(tree, kind):
    path = spec_importing(tree, "/dev/zero") if kind == "imports" else spec_extending(tree, "/dev/zero")
    out = cli("--allow-dir", "/dev", "validate", path, code=1)
    assert "is not a regular file" in out and out.startswith(f"{path}:")


@pytest.mark.parametrize("kind", ["imports", "extends"])
def test_a_file_that_is_not_utf8_is_located_at_the_byte(tree, kind):
    other = tree / "spec" / "latin1.yaml"
    other.write_bytes(b"blocks:\n  caf\xe9: {body: [relu]}\n")
    path = spec_importing(tree, "latin1.yaml") if kind == "imports" else spec_extending(tree, "latin1.yaml")
    message, = api_error(lambda: archspec.load_spec(path))
    assert message.startswith(f"{other}:2:6: ") and "is not UTF-8 text" in message


@pytest.mark.parametrize("kind", ["imports", "extends"])
def test_chains_1500_files_deep_stop_at_the_limit_and_cycles_are_named(tmp_path, kind):
    for i in range(1500):
        nxt = f"f{i + 1}.yaml" if i < 1499 else None
        if kind == "imports":
            text = (f"imports: [{nxt}]\n" if nxt else "") + "blocks: {}\n"
        else:
            text = f"extends: {nxt}\n" if nxt else BASE
        (tmp_path / f"f{i}.yaml").write_text(text)
    top = tmp_path / "top.yaml"
    top.write_text(SPEC.format(target="f0.yaml") if kind == "imports" else "extends: f0.yaml\nname: top\n")
    message, = api_error(lambda: archspec.load_spec(top))
    assert "(limit file_chain)" in message and ":1:" in message.split(": ")[0]
    # raised far enough, the limit does not turn into Python's recursion limit
    assert archspec.stats(top, limits={"file_chain": 5000})["params"] > 0
    (tmp_path / "f7.yaml").write_text("imports: [f3.yaml]\nblocks: {}\n" if kind == "imports" else
                                      "extends: f3.yaml\n")
    message, = api_error(lambda: archspec.load_spec(top))
    assert message.startswith(f"{tmp_path / 'f7.yaml'}:1:") and "'f3.yaml' " + kind.rstrip("s") + "s itself" in message


# ------------------------------------------------------------------------------ the command line's own paths

@pytest.mark.parametrize("bad", ["/dev/zero", "/dev/urandom", "fifo", "folder", "missing", "loop", "too_long"])
def test_a_spec_path_that_is_not_a_regular_file_is_a_command_line_mistake(tmp_path, bad):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "folder").mkdir()
    (tmp_path / "loop").symlink_to("loop")
    path = {"fifo": tmp_path / "fifo", "folder": tmp_path / "folder", "missing": tmp_path / "missing.yaml",
            "loop": tmp_path / "loop", "too_long": tmp_path / ("x" * 5000)}.get(bad, bad)
    for command in ("validate", "stats", "blocks", "diff"):
        result = process(command, path)
        assert result.returncode == 2 and "Invalid value" in result.stderr, (command, result.stderr)
    with deadline(SECONDS), pytest.raises(SpecError):
        archspec.load_spec(path)


def test_a_large_file_is_refused_after_reading_at_most_the_limit(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(3 * 2**30)  # sparse: 3 GB that reading whole would take seconds and gigabytes
    message, = api_error(lambda: archspec.load_spec(big))
    assert message.startswith(f"{big}:1:1: ") and "larger than 1,000,000 bytes (limit file_bytes)" in message


TINY = "name: tiny\ninput: [3, 8, 8]\nnetwork:\n  - conv: 3x3 4\n"


@pytest.mark.parametrize("command, where", [(c, w) for c in ("build", "render") for w in (
    "dev_null", "into_a_file", "proc", "a_folder" if c == "render" else "a_file")])  # build writes a folder
def test_out_where_nothing_can_be_written_is_a_command_line_mistake(tmp_path, command, where):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    (tmp_path / "plain.txt").write_text("x")
    (tmp_path / "dir.svg").mkdir()
    out = {"dev_null": "/dev/null/x", "into_a_file": tmp_path / "plain.txt" / "x", "proc": "/proc/archspec/x",
           "a_file": tmp_path / "plain.txt", "a_folder": tmp_path / "dir.svg"}[where]
    if command == "render":
        out = out if where in ("a_folder", "a_file") else f"{out}.svg"
    if where == "proc" and not Path("/proc").is_dir():
        pytest.skip("no /proc")
    text = cli(command, spec, "--out", out, code=2, seconds=15.0)
    assert "--out" in text and "Invalid value" in text


def test_an_unwritable_out_folder_is_a_command_line_mistake(tmp_path, monkeypatch):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr("archspec.cli.paths.os.access", lambda path, mode: Path(path) != locked)  # root writes anyway
    assert "cannot write in" in cli("build", spec, "--out", locked / "out", code=2)
    assert "cannot write in" in cli("render", spec, "--out", locked / "x.svg", code=2)


# ------------------------------------------------------------------------------ control characters

def test_a_control_character_is_located_at_its_line_and_column(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_text("name: t\ninput: [3, 8, 8]\nnetwork:\n  - conv: 3x3 8\n  - conv: \"3x3\x008\"\n")
    out = cli("validate", path, code=1)
    assert out == f"{path}:5:15: <document>: invalid YAML: unacceptable character #x0000: control characters " \
                  "are not allowed\n1 error\n"
    assert "position" not in out and "<unicode string>" not in out
    path.write_text("name: t\ninput: [3, 8, 8]\nnetwork:\n  - relu\n# caf\u00e9 \x07\n")
    assert api_error(lambda: archspec.load_spec(path))[0].startswith(f"{path}:5:8: ")
