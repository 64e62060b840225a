"""Streaming metrics across two processes (torch.distributed, gloo, CPU), ranks uneven.

An evaluation epoch is split between two ranks that run different numbers of batches: in
the first round rank 0 streams 3 batches (the last one short, padded and masked) and rank 1
streams 1; in the second round rank 1 streams none at all. Each rank keeps one fixed-shape
state per metric, then :func:`arraylosses.metrics.streaming.distributed.torch_merge` merges
them with one ``all_gather`` of fixed size per metric, so no rank waits on a collective the
other never calls (torchmetrics' list states deadlocked there: its issue #3336). The corpus
for a top-k search is also split between the ranks, each searching its own half with global
ids, and ``torch_merge(top_k_merge, ...)`` gives the global top k.

On every rank the merged results must equal the one-shot metrics on the whole epoch in one
process (float64; r2 and explained variance merge by Chan's pairwise update, so they match
to rounding, the other states are sums). The script asserts it and prints one line per round.

    python examples/streaming_metrics_torch.py
"""

from __future__ import annotations

import argparse
import datetime
import os
import tempfile

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from _eval_data import evaluation_data

from arraylosses import metrics
from arraylosses.metrics import streaming
from arraylosses.metrics.streaming.distributed import torch_merge

WORLD, BATCH, CLASSES, CANDIDATES, K = 2, 16, 4, 10, 3
ROUNDS = {"3 and 1 batches": (3, 1), "3 and 0 batches": (3, 0)}
THRESHOLDS = tuple(np.linspace(-3.0, 3.0, 13))

# name -> (streaming metric, one-shot call on the whole epoch, which data it reads)
METRICS = {
    "mean_squared_error": (
        streaming.mean_squared_error(),
        lambda d: metrics.mean_squared_error(d["pred"], d["target"]),
        ("pred", "target"),
    ),
    "r2_score": (
        streaming.r2_score(),
        lambda d: metrics.r2_score(d["pred"], d["target"]),
        ("pred", "target"),
    ),
    "explained_variance_score": (
        streaming.explained_variance_score(),
        lambda d: metrics.explained_variance_score(d["pred"], d["target"]),
        ("pred", "target"),
    ),
    "accuracy": (
        streaming.accuracy(),
        lambda d: metrics.accuracy(d["logits"], d["labels"]),
        ("logits", "labels"),
    ),
    "precision_recall_f1 (macro)": (
        streaming.precision_recall_f1(num_classes=CLASSES, average="macro"),
        lambda d: metrics.precision_recall_f1(
            d["logits"], d["labels"], num_classes=CLASSES, average="macro"
        ),
        ("logits", "labels"),
    ),
    "roc_auc (13 thresholds)": (
        streaming.roc_auc(thresholds=THRESHOLDS),
        lambda d: metrics.roc_auc(d["score"], d["binary"], thresholds=THRESHOLDS),
        ("score", "binary"),
    ),
    "ndcg_at_k": (
        streaming.ndcg_at_k(k=K),
        lambda d: metrics.ndcg_at_k(d["ranking"], d["relevance"], k=K),
        ("ranking", "relevance"),
    ),
}


def as_torch(data: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(np.asarray(x)) for name, x in data.items()}


def rank_rows(batches: tuple[int, ...], rank: int) -> tuple[int, int]:
    """This rank's slice of the epoch: rank 0 holds ``batches[0]`` batches (its last one
    short by 5 rows when it has any), rank 1 the next ``batches[1]``."""
    sizes = [max(b * BATCH - 5, 0) for b in batches]
    start = sum(sizes[:rank])
    return start, start + sizes[rank]


def stream(metric, data, names, start: int, stop: int):
    """Stream rows [start, stop) in batches of BATCH, the last one padded and masked."""
    state = metric.init(torch, dtype=torch.float64)
    for first in range(start, stop, BATCH):
        index = torch.arange(first, first + BATCH).clamp(max=stop - 1)
        mask = torch.arange(first, first + BATCH) < stop
        state = metric.update(state, *(data[n][index] for n in names), mask=mask)
    return state


def search_my_half(queries: torch.Tensor, corpus: torch.Tensor, rank: int) -> metrics.TopK:
    half = corpus.shape[0] // WORLD
    mine = corpus[rank * half : (rank + 1) * half]
    state = metrics.top_k_init(queries, k=K)
    return metrics.top_k_update(state, queries @ mine.T, offset=rank * half)


def worker(rank: int, init_file: str) -> None:
    dist.init_process_group(
        "gloo",
        init_method=f"file://{init_file}",
        rank=rank,
        world_size=WORLD,
        timeout=datetime.timedelta(seconds=60),  # a deadlock fails, it does not hang
    )
    for label, batches in ROUNDS.items():
        rows = sum(max(b * BATCH - 5, 0) for b in batches)
        data = as_torch(evaluation_data(rows, sum(batches), classes=CLASSES, candidates=CANDIDATES))
        start, stop = rank_rows(batches, rank)
        for name, (metric, one_shot, names) in METRICS.items():
            merged = torch_merge(metric, stream(metric, data, names, start, stop))
            got, want = metric.compute(merged), one_shot(data)
            for g, w in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, want))):
                torch.testing.assert_close(g, w, rtol=1e-12, atol=1e-14, msg=name)
        rng = np.random.default_rng(7)
        queries, corpus = (torch.from_numpy(rng.normal(size=s)) for s in ((6, 8), (40, 8)))
        top = torch_merge(metrics.top_k_merge, search_my_half(queries, corpus, rank))
        dense = metrics.top_k_search(queries, corpus, k=K)
        # the ids exactly; the scores to the rounding of two matmuls of different shapes
        assert torch.equal(top.ids, dense.ids)
        torch.testing.assert_close(top.scores, dense.scores, rtol=1e-12, atol=1e-14)
        if rank == 0:
            print(
                f"streaming metrics merged across {WORLD} processes == single-process "
                f"({label}; {len(METRICS)} metrics and a top-{K} search)",
                flush=True,
            )
    check_float32_odd_sizes(rank)
    if rank == 0:
        print("float32 states of odd sizes (3 classes; a 5 x 3 top-k) merge too", flush=True)
    dist.destroy_process_group()


def check_float32_odd_sizes(rank: int) -> None:
    """float32 sums beside int64 counts, with an odd number of float32 values before them: the
    packed buffer's int64 field starts at a byte offset that is not a multiple of 8."""
    rng = np.random.default_rng(11)
    logits = torch.from_numpy(rng.normal(size=(2 * BATCH, 3)).astype(np.float32))
    labels = torch.from_numpy(rng.integers(0, 3, size=2 * BATCH))
    metric = streaming.precision_recall_f1(num_classes=3, average="macro")
    mine = slice(rank * BATCH, (rank + 1) * BATCH)
    state = metric.update(metric.init(torch, dtype=torch.float32), logits[mine], labels[mine])
    got = metric.compute(torch_merge(metric, state))
    want = metrics.precision_recall_f1(logits, labels, num_classes=3, average="macro")
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-7)
    queries = torch.from_numpy(rng.normal(size=(5, 8)).astype(np.float32))
    corpus = torch.from_numpy(rng.normal(size=(40, 8)).astype(np.float32))
    top = torch_merge(metrics.top_k_merge, search_my_half(queries, corpus, rank))
    assert torch.equal(top.ids, metrics.top_k_search(queries, corpus, k=K).ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(worker, args=(os.path.join(tmp, "rendezvous"),), nprocs=WORLD)


if __name__ == "__main__":
    main()
