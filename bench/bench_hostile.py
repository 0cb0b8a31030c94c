"""Hostile inputs: what each costs, measured. One input per class of issue 10 (crashes, unbounded work,
numbers, file access, allocation), each run as its own `archspec` process, like a user would.

    .venv/bin/python bench/bench_hostile.py [--json results.json]

For each input: the exit code, whether a traceback was printed, the first line of the message, the
wall time and the peak memory (max RSS) of the process. The reference, timed in the same run, is
`archspec stats` on a valid 3-conv spec: a ratio of 1.0 means refusing the input costs no more than
accepting a trivial spec (both include starting Python and importing archspec). The tests
(tests/**/test_hostile_*.py, tests/expand/test_bounded.py) assert generous bounds; this prints the real figures.
"""
from __future__ import annotations

import argparse
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHSPEC = [sys.executable, "-m", "archspec"]
HEAD = "name: h\ninput: [3, 32, 32]\n"


def _cases(tmp: Path) -> list[tuple[str, str, list[str]]]:
    """(class, description, command line); files are written into tmp."""
    def spec(name: str, text: str) -> str:
        path = tmp / name
        path.write_text(text)
        return str(path)

    deep_set = "a=" + "[" * 3000
    big = "9" * 5000
    fifo = tmp / "fifo.yaml"
    os.mkfifo(fifo)
    (tmp / "secret").mkdir()
    (tmp / "secret" / "creds.yaml").write_text("password: hunter2\n")
    (tmp / "sub").mkdir()
    cases = [
        ("reference", "a valid 3-conv spec", ["stats", spec("ok.yaml", HEAD + "network: [conv: 3x3 8, conv: 3x3 8, conv: 3x3 8]\n")]),
        ("1 crash", "`~x` in an expression", ["stats", spec("tilde.yaml", HEAD + "network:\n  - conv: '3x3 ~4'\n")]),
        ("1 crash", "a 5,000-digit literal", ["stats", spec("digits.yaml", HEAD + f"network:\n  - conv: 3x3 {big}\n")]),
        ("1 crash", "`--set` nested 3,000 deep", ["stats", spec("set.yaml", HEAD + "params: {a: 8}\nnetwork: [conv: 3x3 a]\n"), "--set", deep_set]),
        ("1 crash", "/dev/zero as the spec", ["stats", "/dev/zero"]),
        ("1 crash", "a FIFO as the spec", ["stats", str(fifo)]),
        ("1 crash", "`--out /dev/null/x`", ["build", str(tmp / "ok.yaml"), "--out", "/dev/null/x"]),
        ("7 located", "a NUL on line 5", ["stats", spec("nul.yaml", HEAD + "network:\n  - conv: 3x3 8\n  - \x00relu\n")]),
        ("2 bounded", "`auto` shortcut on a 6.5e10-pixel map", ["stats", spec("auto.yaml", "name: h\ninput: [1, 65536, 65536]\nnetwork:\n  - upsample: 1000000\n  - residual:\n      body: [upsample: 2]\n")]),
        ("2 bounded", "`when: false` repeated 10^4 x 10^4 x 10^4", ["stats", spec("when.yaml", HEAD + "blocks:\n  a: {body: [{relu: {}, when: false, repeat: 10000}]}\n  b: {body: [a x10000]}\nnetwork:\n  - conv: 3x3 8\n  - b x10000\n")]),
        ("2 bounded", "nested `for` over 100-element lists", ["stats", spec("for.yaml", HEAD + "network:\n  - conv: 3x3 8\n  - for: {each: a, in: range(100), do: [{for: {each: b, in: range(100), index: j, do: [{for: {each: c, in: range(100), index: k, do: [{relu: {}, when: false}]}}]}}]}\n")]),
        ("2 bounded", "20,000 bad items", ["stats", spec("bad.yaml", HEAD + "network:\n" + "  - nosuchop\n" * 20000)]),
        ("2 bounded", "120-byte spec reaching the op limit", ["stats", spec("ops.yaml", HEAD + "blocks:\n  a: {body: [relu x1000]}\nnetwork:\n  - conv: 3x3 8\n  - a x1000\n")]),
        ("3 numbers", "a `.nan` residual scale", ["stats", spec("nan.yaml", HEAD + "network:\n  - conv: 3x3 8\n  - residual: {body: [conv: 3x3 8], scale: .nan}\n")]),
        ("3 numbers", "`(-8)**0.5` in let", ["stats", spec("complex.yaml", HEAD + "let: {a: '(-8)**0.5'}\nnetwork:\n  - conv: 3x3 8\n  - {relu: {}, when: a > 0}\n")]),
        ("3 numbers", "an unquoted date as a width", ["stats", spec("date.yaml", HEAD + "network:\n  - conv: 3x3 2001-12-14\n")]),
        ("4 files", "imports: [/etc/passwd]", ["stats", spec("passwd.yaml", HEAD + "imports: [/etc/passwd]\nnetwork: [conv: 3x3 8]\n")]),
        ("4 files", "imports: [../../../etc/hostname]", ["stats", spec("sub/dots.yaml", HEAD + "imports: [../../../../../../etc/hostname]\nnetwork: [conv: 3x3 8]\n")]),
        ("4 files", "extends: secret/creds.yaml", ["stats", spec("sub/creds.yaml", "extends: ../secret/creds.yaml\nname: h\n")]),
    ]
    huge = spec("huge.yaml", HEAD + "network:\n  - conv: 3x3 8\n  - global_avgpool\n  - linear: 1000000\n  - linear: 1000000\n")
    cases.append(("5 allocation", "build_model of 10^12 parameters",
                  ["-c", f"import archspec\ntry:\n    archspec.build_model({huge!r})\nexcept archspec.SpecError as e:\n"
                         f"    print(e); raise SystemExit(1)"]))
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a run is killed (default 60)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for group, what, argv in _cases(Path(tmp)):
            result = {"class": group, "input": what, **_measure(argv, args.timeout)}
            results.append(result)
    reference = results[0]
    print(f"{'class':12} {'input':44} {'exit':>4} {'tb':>3} {'s':>6} {'x ref':>6} {'MB':>6}  message")
    for r in results:
        ratio = r["seconds"] / reference["seconds"]
        print(f"{r['class']:12} {r['input']:44} {r['exit']!s:>4} {'yes' if r['traceback'] else 'no':>3} "
              f"{r['seconds']:6.2f} {ratio:6.2f} {r['max_rss_mb']!s:>6}  {r['message'][:90]}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


def _measure(argv: list[str], timeout: float) -> dict:
    """Peak memory of one child: run it under wait4 so its own rusage is read."""
    command = [sys.executable] + argv if argv[0] == "-c" else ARCHSPEC + argv
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT,
                            env={**os.environ, "COLUMNS": "200"}, stdin=subprocess.DEVNULL)
    chunks: list[bytes] = []
    deadline = start + timeout
    killed = False
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            proc.kill()
            killed = True
            break
        if selector.select(timeout=min(left, 0.5)):
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            chunks.append(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    text = b"".join(chunks).decode("utf-8", "replace")
    first = next((line for line in text.splitlines() if line.strip()), "")
    return {"exit": "kill" if killed else proc.returncode, "seconds": round(elapsed, 3),
            "traceback": "Traceback" in text, "message": first[:150], "max_rss_mb": round(usage.ru_maxrss / 1024, 1)}


if __name__ == "__main__":
    sys.exit(main())
