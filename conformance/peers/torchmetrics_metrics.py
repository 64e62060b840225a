"""Cross-checks against torchmetrics' functional metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from arraylosses import metrics

from ._base import PeerCheck


def _cosine(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
    import torch
    from torchmetrics.functional import cosine_similarity

    p, t = (torch.tensor(inputs[n], dtype=torch.float64) for n in ("pred", "target"))
    return (
        [metrics.mean_cosine_similarity(p, t).numpy()],
        [cosine_similarity(p, t, reduction="mean").numpy()],
    )


CHECKS = (
    PeerCheck(
        "metrics.mean_cosine_similarity",
        "torchmetrics.functional.cosine_similarity(reduction='mean')",
        "torchmetrics",
        _cosine,
        rtol=1e-6,
        deviation="torchmetrics computes in float32 whatever the input dtype "
        "(preds.float()) and does not clamp the norms; its default reduction is "
        "'sum'. Agreement is to float32 rounding (~2e-8 relative here).",
    ),
)


_RETRIEVAL_PEERS = {
    "recall_at_k": "retrieval_recall",
    "precision_at_k": "retrieval_precision",
    "hit_rate_at_k": "retrieval_hit_rate",
    "mrr": "retrieval_reciprocal_rank",
    "ndcg_at_k": "retrieval_normalized_dcg",
    "map_at_k": "retrieval_average_precision",
}


def _retrieval(ours_name: str, peer_name: str, k: int, relevance: str) -> Any:
    """Per query with torchmetrics' functional metric, then averaged (empty queries: 0, its
    ``empty_target_action="neg"``). Scores are positive and tie-free: torchmetrics drops
    relevant items scored <= 0 and averages ties in nDCG, by design (see our docstrings)."""

    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import torch
        import torchmetrics.functional.retrieval as tmr

        s, rel = inputs["scores"], inputs[relevance]
        ours = getattr(metrics, ours_name)(s, rel, k=k, reduction="none")
        peer = getattr(tmr, peer_name)
        theirs = [
            float(peer(torch.tensor(s[i]), torch.tensor(rel[i]), top_k=k))
            for i in range(s.shape[0])
        ]
        return [np.asarray(ours)], [np.asarray(theirs)]

    return run


CHECKS = CHECKS + tuple(
    PeerCheck(
        f"metrics.{ours}",
        f"torchmetrics.functional.retrieval.{peer}(top_k={k})"
        + (", graded relevance" if rel == "graded" else ""),
        "torchmetrics",
        _retrieval(ours, peer, k, rel),
        rtol=1e-6,
        deviation="torchmetrics computes in float32: agreement to float32 rounding",
    )
    for ours, peer in _RETRIEVAL_PEERS.items()
    for k in (1, 3, 8)
    for rel in (("relevance", "graded") if ours == "ndcg_at_k" else ("relevance",))
)


_RETRIEVAL_MODULES = {
    "recall_at_k": "RetrievalRecall",
    "precision_at_k": "RetrievalPrecision",
    "hit_rate_at_k": "RetrievalHitRate",
    "mrr": "RetrievalMRR",
    "ndcg_at_k": "RetrievalNormalizedDCG",
    "map_at_k": "RetrievalMAP",
}


def _flat(inputs: dict[str, np.ndarray], relevance: str) -> tuple[np.ndarray, ...]:
    """The dense ``(Q, M)`` inputs as torchmetrics' flat form: ragged groups (row i keeps its
    first M - i candidates), query ids 12, 3, 40, 7, 25 (neither sorted nor contiguous), the
    items shuffled together (a fixed permutation)."""
    s, rel = inputs["scores"], inputs[relevance]
    q, m = s.shape
    ids = np.array([12, 3, 40, 7, 25, 31, 2, 19][:q])
    keep = np.arange(m)[None, :] < (m - np.arange(q))[:, None]
    flat_ids = np.broadcast_to(ids[:, None], (q, m))[keep]
    perm = np.random.default_rng(0).permutation(flat_ids.size)
    return s[keep][perm], rel[keep][perm], flat_ids[perm]


def _retrieval_flat(ours_name: str, module: str, k: int | None, relevance: str) -> Any:
    """Our flat form (``indexes=``) against torchmetrics' ``Retrieval*`` module (its
    ``empty_target_action="neg"``, mean over queries)."""

    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import torch
        import torchmetrics.retrieval as tmr

        s, rel, ids = _flat(inputs, relevance)
        ours = getattr(metrics, ours_name)(s, rel, k=k, indexes=ids)
        peer = getattr(tmr, module)(top_k=k)
        theirs = peer(torch.tensor(s), torch.tensor(rel), indexes=torch.tensor(ids))
        return [np.asarray(ours)], [theirs.numpy()]

    return run


CHECKS = CHECKS + tuple(
    PeerCheck(
        f"metrics.{ours}",
        f"torchmetrics.retrieval.{module}(top_k={k}), flat form (indexes=, ragged groups)"
        + (", graded relevance" if rel == "graded" else ""),
        "torchmetrics",
        _retrieval_flat(ours, module, k, rel),
        rtol=1e-6,
        deviation="torchmetrics computes in float32: agreement to float32 rounding. Tie-free "
        "positive scores (see the functional checks). k=6 exceeds some groups: both rank the "
        "whole group and precision divides by k (torchmetrics' adaptive_k=False); k=None: "
        "each group's own size.",
    )
    for ours, module in _RETRIEVAL_MODULES.items()
    for k in (3, 6, None)
    for rel in (("relevance", "graded") if ours == "ndcg_at_k" else ("relevance",))
)
