"""Multiple negatives ranking loss across two processes (torch.distributed, gloo, CPU).

Each process encodes its half of the batch, gathers every process's embeddings with
``torch.distributed.nn.functional.all_gather`` (which carries gradients back to their owner),
and scores its own anchors against all positives with ``offset = rank * local_batch``.
Before training, the script checks on float64 that this equals the single-process loss on
the concatenated batch: the loss, each rank's embedding gradients, and the parameter
gradients after averaging across ranks (what DistributedDataParallel does), for
``multiple_negatives_ranking_loss`` and its symmetric preset (which also gathers the anchors).

    python examples/distributed_torch.py [--steps 50]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import warnings

import numpy as np
import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_nn
import torch.multiprocessing as mp

import arraylosses as al

WORLD, LOCAL, FEATURES, DIM = 2, 8, 16, 8
# torch 2.13 marks this autograd-aware all_gather deprecated in favour of the private
# torch.distributed._functional_collectives; it is still the public, documented one
warnings.filterwarnings(
    "ignore", "torch.distributed.nn.functional.all_gather is deprecated", FutureWarning
)


def gather(x: torch.Tensor) -> torch.Tensor:
    """Every rank's rows, in rank order, with gradients flowing back to their owner."""
    return torch.cat(dist_nn.all_gather(x), dim=0)


def make_batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    anchors = rng.normal(size=(WORLD * LOCAL, FEATURES))
    positives = anchors + 0.3 * rng.normal(size=anchors.shape)
    return torch.from_numpy(anchors), torch.from_numpy(positives)


def sharded_loss(
    model: torch.nn.Module, xa: torch.Tensor, xp: torch.Tensor, rank: int, symmetric: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    rows = slice(rank * LOCAL, (rank + 1) * LOCAL)
    a, p = model(xa[rows]), model(xp[rows])
    a.retain_grad()
    p.retain_grad()
    if symmetric:
        loss = al.multiple_negatives_symmetric_ranking_loss(
            a, gather(p), offset=rank * LOCAL, all_anchors=gather(a)
        )
    else:
        loss = al.multiple_negatives_ranking_loss(a, gather(p), offset=rank * LOCAL)
    return loss, a, p


def check(model: torch.nn.Module, rank: int, symmetric: bool) -> None:
    xa, xp = make_batch(seed=1)
    model.zero_grad()
    loss, a, p = sharded_loss(model, xa, xp, rank, symmetric)
    loss.backward()
    for param in model.parameters():  # what DistributedDataParallel does
        dist.all_reduce(param.grad)
        param.grad /= WORLD
    mean_loss = loss.detach().clone()
    dist.all_reduce(mean_loss)
    mean_loss /= WORLD
    sharded_param_grads = [param.grad.clone() for param in model.parameters()]

    # the single-process reference, on the concatenated batch
    model.zero_grad()
    ga, gp = model(xa), model(xp)
    ga.retain_grad()
    gp.retain_grad()
    fn = (
        al.multiple_negatives_symmetric_ranking_loss
        if symmetric
        else al.multiple_negatives_ranking_loss
    )
    full = fn(ga, gp)
    full.backward()
    rows = slice(rank * LOCAL, (rank + 1) * LOCAL)
    # each rank's loss is its local mean; the gather's backward sums every rank's gradient
    # into the owner's rows, so the rank's embedding gradient is WORLD x the global mean's
    torch.testing.assert_close(mean_loss, full.detach(), rtol=1e-12, atol=0)
    torch.testing.assert_close(a.grad / WORLD, ga.grad[rows], rtol=1e-10, atol=1e-15)
    torch.testing.assert_close(p.grad / WORLD, gp.grad[rows], rtol=1e-10, atol=1e-15)
    for sharded, single in zip(sharded_param_grads, model.parameters(), strict=True):
        torch.testing.assert_close(sharded, single.grad, rtol=1e-10, atol=1e-15)


def worker(rank: int, init_file: str, steps: int) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    torch.manual_seed(0)  # the same initial weights on every rank
    model = torch.nn.Sequential(
        torch.nn.Linear(FEATURES, 32), torch.nn.Tanh(), torch.nn.Linear(32, DIM)
    ).double()
    for symmetric in (False, True):
        check(model, rank, symmetric)
    if rank == 0:
        print(f"sharded loss and gradients == single-process ({WORLD} processes)", flush=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(steps):
        xa, xp = make_batch(seed=100 + step)
        optimizer.zero_grad()
        loss, _, _ = sharded_loss(model, xa, xp, rank, symmetric=False)
        loss.backward()
        for param in model.parameters():
            dist.all_reduce(param.grad)
            param.grad /= WORLD
        optimizer.step()
        if rank == 0 and (step % 10 == 0 or step == steps - 1):
            print(f"step {step:3d}  rank-0 loss {loss.item():.4f}", flush=True)
    dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(worker, args=(os.path.join(tmp, "rendezvous"), args.steps), nprocs=WORLD)


if __name__ == "__main__":
    main()
