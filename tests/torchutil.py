"""For tests that train or compare weights: a hash of tensors' exact bytes (names, dtypes, shapes and values),
to compare weights across processes and ranks; one_thread, to keep small CPU work predictable."""
from __future__ import annotations

import contextlib
import hashlib
from typing import Iterable, Iterator, Mapping

import torch


def tensors_hash(tensors: Mapping[str, torch.Tensor] | Iterable[tuple[str, torch.Tensor]]) -> str:
    items = tensors.items() if isinstance(tensors, Mapping) else tensors
    digest = hashlib.sha256()
    for name, tensor in sorted(items, key=lambda item: item[0]):
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().data)
    return digest.hexdigest()


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Small convolutions gain little from a second thread, and on a busy machine the second thread spins:
    one thread keeps the time of a small training run predictable."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
