"""Matrix factorisation on generated implicit feedback, trained in PyTorch with ``bpr_loss``
(4 uniform negatives per interaction), with ``sampled_softmax_loss`` (64 negatives per batch
drawn by popularity, with the logQ correction and accidental hits removed; and the same
negatives uncorrected), and with the full-catalogue softmax, ``linear_cross_entropy`` of the
user vectors against every item vector, chunked over the items so that the (batch, items)
logits are never stored. Prints recall@10 and nDCG@10 on the held-out items, computed by
``arraylosses.metrics``.

    python examples/recommender_torch.py [--steps 600]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from _implicit_feedback import Interactions, generate, print_results

import arraylosses as al

DIM, BATCH, BPR_NEGATIVES, SAMPLED = 32, 512, 4, 64
NO_LOG_Q = "sampled_softmax_loss without logQ"  # the same negatives, uncorrected
FULL = "linear_cross_entropy (full catalogue)"  # softmax over every item, chunked
CHUNK = 128  # items per chunk: the (BATCH, items) logits are never stored


def evaluate(users: torch.Tensor, items: torch.Tensor, data: Interactions) -> tuple[float, ...]:
    with torch.no_grad():
        scores = users @ items.T
        scores = torch.where(torch.from_numpy(data.train_mask), -1e9, scores)  # seen items out
        relevance = torch.from_numpy(data.held_out)
        return (
            float(al.metrics.recall_at_k(scores, relevance, k=10)),
            float(al.metrics.ndcg_at_k(scores, relevance, k=10)),
        )


def train(loss_name: str, data: Interactions, steps: int, seed: int = 0) -> tuple[float, ...]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    users = torch.nn.Parameter(0.1 * torch.randn(data.num_users, DIM, dtype=torch.float64))
    items = torch.nn.Parameter(0.1 * torch.randn(data.num_items, DIM, dtype=torch.float64))
    optimizer = torch.optim.Adam([users, items], lr=0.02)
    log_frequency = np.log(data.item_frequency)
    for step in range(steps):
        batch = rng.integers(0, data.train_items.size, size=BATCH)
        u = users[torch.from_numpy(data.train_users[batch])]
        pos_ids = torch.from_numpy(data.train_items[batch])
        pos = (u * items[pos_ids]).sum(dim=1)
        if loss_name == "bpr_loss":
            neg_ids = torch.from_numpy(rng.integers(0, data.num_items, size=(BATCH, BPR_NEGATIVES)))
            neg = (u[:, None, :] * items[neg_ids]).sum(dim=-1)
            loss = al.bpr_loss(pos, neg)
        elif loss_name == FULL:
            # cross entropy of u @ items.T against the positive item, CHUNK items at a time
            loss = al.linear_cross_entropy(u, items, pos_ids, chunk_size=CHUNK)
        else:
            drawn = rng.choice(data.num_items, size=SAMPLED, p=data.item_frequency)
            neg_ids = torch.from_numpy(drawn)
            # Q = expected count of the item among the SAMPLED draws
            log_q = torch.from_numpy(np.log(SAMPLED) + log_frequency[drawn])
            if loss_name == NO_LOG_Q:
                log_q = torch.zeros_like(log_q)
            loss = al.sampled_softmax_loss(
                pos, u @ items[neg_ids].T, log_q=log_q, pos_ids=pos_ids, neg_ids=neg_ids
            )
        loss = loss + 1e-4 * (u.pow(2).sum() + items[pos_ids].pow(2).sum()) / BATCH
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 200 == 0 or step == steps - 1:
            print(f"{loss_name:>37}  step {step:4d}  loss {loss.item():.4f}")
    return evaluate(users.detach(), items.detach(), data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    data = generate()
    results = {
        "popularity (no training)": evaluate(
            torch.ones(data.num_users, 1, dtype=torch.float64),
            torch.from_numpy(data.item_frequency)[:, None],
            data,
        )
    }
    results.update(
        {
            name: train(name, data, args.steps)
            for name in ("bpr_loss", "sampled_softmax_loss", NO_LOG_Q, FULL)
        }
    )
    print_results(results, data, args.steps)


if __name__ == "__main__":
    main()
