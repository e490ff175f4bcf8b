"""Data-parallel training across processes (``torchrun --nproc_per_node=N -m googlenet train``).

torchrun starts N copies (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE`` in the environment); each trains a replica on its
own shard of every epoch (``DistributedSampler``) and ``DistributedDataParallel`` averages the gradients after every
backward pass, so the replicas stay identical. Synchronous, unlike the paper's DistBelief (§6: asynchronous SGD with a
parameter server, not in PyTorch's core). Backends: gloo on CPU, nccl on GPUs (one per process, by ``LOCAL_RANK``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False  # we initialised the process group, so we tear it down

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device_type: str) -> Context:
    """Join the process group if torchrun started us (``WORLD_SIZE`` > 1); otherwise a 1-process context."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return Context()
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group("nccl" if device_type == "cuda" else "gloo")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device_type == "cuda":
        torch.cuda.set_device(local_rank)
    return Context(dist.get_rank(), dist.get_world_size(), local_rank, owns)


def teardown(ctx: Context) -> None:
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def barrier(ctx: Context) -> None:
    if ctx.distributed:
        dist.barrier()


def all_reduce_sum(ctx: Context, values: torch.Tensor) -> torch.Tensor:
    """Sum ``values`` over all processes (in place; a no-op for one process)."""
    if ctx.distributed:
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def any_true(ctx: Context, flag: bool, device: torch.device) -> bool:
    """True on every process if ``flag`` is true on any (so all stop together, none hangs)."""
    if not ctx.distributed:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def wrap(model: torch.nn.Module, ctx: Context, device: torch.device) -> torch.nn.Module:
    """``model`` in DistributedDataParallel under torchrun (gradients averaged across processes), else itself."""
    if not ctx.distributed:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
