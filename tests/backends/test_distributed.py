"""An archspec model under torch.distributed, two CPU processes over gloo (as torchrun would start them):

- DDP with find_unused_parameters=False: after one SGD step on different data, both ranks hold identical
  parameters (compared by hash), which moved;
- SyncBatchNorm: convert_sync_batchnorm replaces every BatchNorm, and the converted modules run (their
  forward hooks fire). PyTorch runs a *training* SyncBatchNorm only on GPUs (DDP refuses one on the CPU,
  and its forward asks for a GPU input), so on the CPU the forward is in eval mode: see docs/training.md;
- FSDP2 (`fully_shard`) over archspec.block_modules(model), then the root: one SGD step on each rank's
  batch gives the same parameters as DDP's step on the same batches. (FSDP1, FullyShardedDataParallel,
  needs an accelerator in torch 2.13: "FSDP needs a non-CPU accelerator device".)
"""
from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn import functional as F

from ..conftest import ROOT

SPEC = ROOT / "tests" / "data" / "tiny_inception_resnet.yaml"
WORLD = 2
DEADLINE_S = 240  # fail (and stop the workers), never hang, on a loaded machine


def _batch(rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(100 + rank)  # each rank its own data
    return torch.randn(8, 3, 32, 32, generator=generator), torch.randint(0, 10, (8,), generator=generator)


def _step(model: nn.Module, params, rank: int) -> None:
    optimizer = torch.optim.SGD(params, lr=0.1)
    x, y = _batch(rank)
    F.cross_entropy(model(x), y).backward()
    optimizer.step()


def _worker(rank: int, store: str, out: str) -> None:
    import archspec
    from tests.torchutil import tensors_hash

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=WORLD,
                            timeout=datetime.timedelta(seconds=120))
    try:
        result: dict = {}
        # DDP
        model = archspec.build_model(SPEC, seed=0).train()
        before = tensors_hash(model.named_parameters())
        ddp = nn.parallel.DistributedDataParallel(model, find_unused_parameters=False)
        _step(ddp, ddp.parameters(), rank)
        result["ddp"] = tensors_hash(model.named_parameters())
        result["moved"] = result["ddp"] != before
        reference = {n: p.detach().clone() for n, p in model.named_parameters()}

        # SyncBatchNorm
        synced = nn.SyncBatchNorm.convert_sync_batchnorm(archspec.build_model(SPEC, seed=0))
        calls: list[str] = []
        syncs = [(n, m) for n, m in synced.named_modules() if isinstance(m, nn.SyncBatchNorm)]
        for name, module in syncs:
            module.register_forward_hook(lambda *_, name=name: calls.append(name))
        with torch.no_grad():
            synced.eval()(_batch(rank)[0])
        result["sync_bn"] = {"modules": len(syncs), "calls": len(calls), "plain_bn_left": sum(
            type(m) is nn.BatchNorm2d for m in synced.modules())}
        try:
            synced.train()(_batch(rank)[0])
            result["sync_bn"]["train"] = "ran"
        except ValueError as exc:  # torch 2.13 on the CPU: "SyncBatchNorm expected input tensor to be on GPU"
            result["sync_bn"]["train"] = str(exc)

        # FSDP2 by block
        from torch.distributed.fsdp import fully_shard, FSDPModule
        from torch.distributed.tensor import DTensor

        sharded = archspec.build_model(SPEC, seed=0).train()
        blocks = archspec.block_modules(sharded)
        for block in blocks:
            fully_shard(block)
        fully_shard(sharded)
        params = dict(sharded.named_parameters())
        result["fsdp_blocks"] = [isinstance(b, FSDPModule) for b in blocks]
        result["fsdp_sharded"] = all(isinstance(p, DTensor) for p in params.values()) and any(
            p.to_local().numel() < p.numel() for p in params.values())
        _step(sharded, sharded.parameters(), rank)
        full = {n: p.full_tensor().detach() for n, p in params.items()}  # a collective: same order everywhere
        result["fsdp_vs_ddp"] = max((full[n] - reference[n]).abs().max().item() for n in reference)
        result["fsdp_names"] = sorted(full) == sorted(reference)
        Path(out, f"rank{rank}.json").write_text(json.dumps(result))
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_ddp_sync_batchnorm_and_fsdp_by_block_on_two_processes(tmp_path):
    context = mp.spawn(_worker, args=(str(tmp_path / "store"), str(tmp_path)), nprocs=WORLD, join=False)
    deadline = time.monotonic() + DEADLINE_S
    try:
        while not context.join(timeout=5):
            assert time.monotonic() < deadline, f"the workers did not finish in {DEADLINE_S} s"
    finally:
        for process in context.processes:
            if process.is_alive():
                process.terminate()
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(WORLD)]
    for result in ranks:
        assert result["moved"]
        assert result["sync_bn"]["plain_bn_left"] == 0 and result["sync_bn"]["modules"] > 20
        assert result["sync_bn"]["calls"] == result["sync_bn"]["modules"]  # every converted module ran
        assert result["sync_bn"]["train"] == "ran" or "GPU" in result["sync_bn"]["train"]
        assert result["fsdp_blocks"] and all(result["fsdp_blocks"]) and result["fsdp_sharded"]
        assert result["fsdp_names"] and result["fsdp_vs_ddp"] < 1e-5
    assert ranks[0]["ddp"] == ranks[1]["ddp"]  # identical replicas after the step
