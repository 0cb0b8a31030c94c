"""A long mutation-fuzzing run over every shipped spec and library (tests/fuzzing.py has the mutations
and the oracle; tests/test_fuzz.py runs a few of them in CI).

    .venv/bin/python scripts/fuzz.py --examples 5000 --seed 1 [--rounds 3] [--save DIR]

Prints how many mutants were accepted, refused with located errors, and how many failed, grouped by
the exception and the innermost archspec frame, with the slowest mutants. Failing mutants are written
to DIR (default fuzz-failures/) to reproduce with `archspec stats DIR/<file>`.
"""
from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.progress import Progress  # noqa: E402

from tests.fuzzing import MAKERS, TARGETS, run, workspace  # noqa: E402


def _site(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/archspec/" in f.filename]
    where = f"{Path(frames[-1].filename).relative_to(ROOT)}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__} at {where}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=1000, help="mutants to try (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=2, help="at most this many mutations per mutant (default 2)")
    parser.add_argument("--save", type=Path, default=Path("fuzz-failures"), help="where failing mutants go")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    outcomes: collections.Counter = collections.Counter()
    sites: dict[str, list[str]] = collections.defaultdict(list)
    slowest: list[tuple[float, str]] = []
    with tempfile.TemporaryDirectory() as tmp, Progress() as progress:
        folder = workspace(Path(tmp))
        task = progress.add_task("mutants", total=args.examples)
        for i in range(args.examples):
            level = rng.choice(sorted(MAKERS))
            mutant = MAKERS[level](rng.choice(TARGETS), rng, rng.randint(1, args.rounds))
            start = time.perf_counter()
            try:
                outcomes[run(mutant, folder)] += 1
            except Exception as exc:  # noqa: BLE001 -- the point is to collect them
                outcomes["failed"] += 1
                args.save.mkdir(parents=True, exist_ok=True)
                saved = args.save / f"{i:05d}_{Path(mutant.target).stem}_{mutant.kind.replace(':', '-').replace('+', '_')}.yaml"
                saved.write_bytes(mutant.text)
                sites[_site(exc)].append(str(saved))
            slowest.append((time.perf_counter() - start, f"{mutant.target} {mutant.kind}"))
            progress.advance(task)
    print(f"{args.examples} mutants (seed {args.seed}): " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    for site, files in sorted(sites.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(files):5d}  {site}\n         e.g. {files[0]}")
    print("slowest: " + "; ".join(f"{t:.2f} s {what}" for t, what in sorted(slowest, reverse=True)[:5]))
    return 1 if outcomes["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
