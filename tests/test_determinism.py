"""build_model(spec, seed=S) gives bitwise-identical weights (parameters and buffers) in one process and
across processes, for every shipped spec; other seeds give other weights; the spec hash is the same
everywhere.

One subprocess (with another PYTHONHASHSEED and one thread) builds every spec under seeds 0 and 1 while this
process builds each twice under seed 0. Run as `python -m tests.test_determinism SEED,... SPEC...`, this
module prints {seed: {spec: [state hash, spec hash]}} as JSON."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT, SPECS


def hashes(paths: list[str], seed: int) -> dict[str, list[str]]:
    import archspec
    from tests.torchutil import tensors_hash

    out = {}
    for path in paths:
        model = archspec.build_model(path, seed=seed)
        out[path] = [tensors_hash(model.state_dict()), model.spec_hash]
    return out


@pytest.mark.slow
def test_every_spec_builds_the_same_weights_in_every_process():
    paths = [str(p.relative_to(ROOT)) for p in SPECS]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345", "OMP_NUM_THREADS": "1",
           "ARCHSPEC_DEBUG": "0"}
    child = subprocess.Popen([sys.executable, "-m", "tests.test_determinism", "0,1", *paths], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:  # build here while the child builds there
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            first, again = hashes(paths, 0), hashes(paths, 0)
        finally:
            os.chdir(cwd)
        stdout, stderr = child.communicate(timeout=300)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, stderr
    elsewhere, other_seed = json.loads(stdout)["0"], json.loads(stdout)["1"]
    for path in paths:
        assert first[path] == again[path], f"{path}: two builds with seed 0 in one process differ"
        assert first[path] == elsewhere[path], f"{path}: seed 0 gives other weights in another process"
        assert other_seed[path][0] != first[path][0], f"{path}: seeds 0 and 1 give the same weights"
        assert other_seed[path][1] == first[path][1]  # the seed is not part of the network


if __name__ == "__main__":
    print(json.dumps({seed: hashes(sys.argv[2:], int(seed)) for seed in sys.argv[1].split(",")}))
