"""Generated implicit-feedback data for the recommender examples (NumPy only; no download).

Users and items have hidden rank-8 tastes; item popularity follows a heavy tail. Each user
interacts with 24 items drawn without replacement from ``softmax(taste · item + popularity)``
(Gumbel top-k); 6 of them per user are held out for evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Interactions:
    num_users: int
    num_items: int
    train_users: np.ndarray  # (P,) user of each training interaction
    train_items: np.ndarray  # (P,) its item
    train_mask: np.ndarray  # (U, I) bool, the training interactions
    held_out: np.ndarray  # (U, I) int, 1 for the held-out items
    item_frequency: np.ndarray  # (I,) share of the training interactions per item


def generate(
    seed: int = 0,
    users: int = 600,
    items: int = 400,
    rank: int = 8,
    per_user: int = 24,
    held_out: int = 6,
) -> Interactions:
    rng = np.random.default_rng(seed)
    taste = rng.normal(size=(users, rank))
    item = rng.normal(size=(items, rank))
    popularity = 1.5 * rng.standard_normal(items)
    logits = taste @ item.T / np.sqrt(rank) * 2.0 + popularity
    gumbel = logits + rng.gumbel(size=logits.shape)
    chosen = np.argsort(-gumbel, axis=1)[:, :per_user]
    order = rng.permuted(chosen, axis=1)
    train, test = order[:, held_out:], order[:, :held_out]
    train_mask = np.zeros((users, items), dtype=bool)
    np.put_along_axis(train_mask, train, True, axis=1)
    test_relevance = np.zeros((users, items), dtype=np.int64)
    np.put_along_axis(test_relevance, test, 1, axis=1)
    train_users = np.repeat(np.arange(users), train.shape[1])
    counts = np.bincount(train.ravel(), minlength=items) + 1.0  # +1: every item samplable
    return Interactions(
        users, items, train_users, train.ravel(), train_mask, test_relevance, counts / counts.sum()
    )


def print_results(results: dict[str, tuple[float, ...]], data: Interactions, steps: int) -> None:
    """The examples' table: recall@10 and nDCG@10 on the held-out items, per loss."""
    print(
        f"\nheld-out items of {data.num_users} users among {data.num_items} items "
        f"(seen items excluded), after {steps} steps"
    )
    print("| loss | recall@10 | ndcg@10 |")
    print("|---|---|---|")
    for name, (recall, ndcg) in results.items():
        print(f"| {name} | {recall:.3f} | {ndcg:.3f} |")
