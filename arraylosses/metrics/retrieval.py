"""Retrieval metrics for a score matrix ``(Q, M)`` (Q queries, M candidates) and a relevance
matrix of the same shape (binary, or graded for :func:`ndcg_at_k`).

Ranking: candidates are ordered by descending score; **ties are broken by candidate index**
(a stable descending sort: of two equal scores, the lower index ranks first). A candidate is
relevant when its relevance is > 0, whatever its score.

Differences from torchmetrics' ``Retrieval*`` metrics (the peer), on purpose:

* torchmetrics' MRR, recall, precision and MAP count a relevant item whose score is ``<= 0``
  as irrelevant (its PR #3160); we do not (cosine scores are often negative);
* torchmetrics' nDCG averages tied scores (as scikit-learn's ``ndcg_score``); we break ties by
  index, as rax does.

Queries with no relevant candidate get ``empty_target_action``: ``"neg"`` (0, torchmetrics'
default), ``"pos"`` (1), ``"skip"`` (left out of the mean; NaN with ``reduction="none"``), or
``"error"`` (raise; eager mode only). ``reduction="mean"`` (default) returns the mean over
queries as a 0-d array, ``"none"`` the ``(Q,)`` per-query values.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .._backend import (
    LOG_2,
    Array,
    Namespace,
    as_dtype,
    compute_dtype,
    device_of,
    eager_all,
    finalize,
    namespace,
    safe_divide,
)
from .._validate import check_option

__all__ = ["hit_rate_at_k", "map_at_k", "mrr", "ndcg_at_k", "precision_at_k", "recall_at_k"]

EMPTY_ACTIONS = ("neg", "pos", "skip", "error")


class _Ranked(NamedTuple):
    xp: Namespace
    relevance: Array  # (Q, M) compute dtype, in ranked order
    ideal: Array  # (Q, M) relevance sorted descending
    k: int
    out_dtype: Any


def _rank(scores: Array, relevance: Array, k: Any, empty_target_action: str,
          reduction: str) -> _Ranked:
    xp = namespace(scores=scores, relevance=relevance)
    out_dtype, dtype = compute_dtype(xp, scores, "scores")
    if scores.ndim != 2:
        raise ValueError(f"scores must have shape (Q, M); got {tuple(scores.shape)}")
    if tuple(relevance.shape) != tuple(scores.shape):
        raise ValueError(f"relevance must have the shape of scores {tuple(scores.shape)}; got "
                         f"{tuple(relevance.shape)}")
    if not xp.isdtype(relevance.dtype, ("real floating", "integral", "bool")):
        raise TypeError(f"relevance must be real or boolean; got dtype {relevance.dtype}")
    m = scores.shape[1]
    if k is None:
        k = m
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int or None; got {type(k).__name__}")
    if not 1 <= k <= m:
        raise ValueError(f"k must be in [1, {m}] (the number of candidates); got {k}")
    check_option("empty_target_action", empty_target_action, EMPTY_ACTIONS)
    check_option("reduction", reduction, ("mean", "none"))
    rel = as_dtype(xp, relevance, dtype)
    order = xp.argsort(as_dtype(xp, scores, dtype), axis=1, descending=True, stable=True)
    ranked = xp.take_along_axis(rel, order, axis=1)
    ideal = xp.sort(rel, axis=1, descending=True)
    if empty_target_action == "error" and not eager_all(xp, xp.any(rel > 0, axis=1)):
        raise ValueError("a query has no relevant candidate (empty_target_action='error')")
    return _Ranked(xp, ranked, ideal, k, out_dtype)


def _finish(r: _Ranked, per_query: Array, empty_target_action: str, reduction: str) -> Array:
    """Apply the empty-query rule, then the reduction over queries."""
    xp = r.xp
    has_relevant = xp.any(r.ideal > 0, axis=1)
    fill = {"neg": 0.0, "pos": 1.0, "skip": float("nan"), "error": 0.0}[empty_target_action]
    per_query = xp.where(has_relevant, per_query, xp.full_like(per_query, fill))
    if reduction == "none":
        return finalize(xp, per_query, r.out_dtype)
    if empty_target_action == "skip":
        counted = xp.astype(has_relevant, per_query.dtype)
        total = xp.sum(counted)
        safe = xp.where(has_relevant, per_query, xp.zeros_like(per_query))
        mean = xp.sum(safe) / xp.where(total > 0, total, xp.ones_like(total))
        mean = xp.where(total > 0, mean, xp.full_like(mean, float("nan")))
        return finalize(xp, mean, r.out_dtype)
    return finalize(xp, xp.mean(per_query), r.out_dtype)


def _hits(r: _Ranked) -> Array:
    """``(Q, k)`` 0/1: whether the candidate at each of the first k ranks is relevant."""
    xp = r.xp
    top = r.relevance[:, : r.k]
    return xp.astype(top > 0, top.dtype)



def recall_at_k(scores: Array, relevance: Array, *, k: int | None = None,
                empty_target_action: str = "neg", reduction: str = "mean") -> Array:
    r"""Recall@k: the fraction of a query's relevant candidates ranked in its top k.

    Peer: ``torchmetrics.functional.retrieval.retrieval_recall(top_k=k)`` per query.

    Example:
        >>> import numpy as np
        >>> float(recall_at_k(np.array([[0.9, 0.8, 0.1, 0.5]]), np.array([[1, 0, 1, 0]]), k=2))
        0.5
    """
    r = _rank(scores, relevance, k, empty_target_action, reduction)
    xp = r.xp
    total = xp.sum(xp.astype(r.ideal > 0, r.ideal.dtype), axis=1)
    return _finish(r, safe_divide(xp, xp.sum(_hits(r), axis=1), total), empty_target_action,
                   reduction)


def precision_at_k(scores: Array, relevance: Array, *, k: int | None = None,
                   empty_target_action: str = "neg", reduction: str = "mean") -> Array:
    r"""Precision@k: the fraction of a query's top k candidates that are relevant.

    Peer: ``torchmetrics.functional.retrieval.retrieval_precision(top_k=k)`` per query.

    Example:
        >>> import numpy as np
        >>> float(precision_at_k(np.array([[0.9, 0.8, 0.1, 0.5]]), np.array([[1, 0, 1, 0]]), k=2))
        0.5
    """
    r = _rank(scores, relevance, k, empty_target_action, reduction)
    return _finish(r, r.xp.sum(_hits(r), axis=1) / r.k, empty_target_action, reduction)


def hit_rate_at_k(scores: Array, relevance: Array, *, k: int | None = None,
                  empty_target_action: str = "neg", reduction: str = "mean") -> Array:
    r"""Hit rate@k: 1 if any relevant candidate is ranked in the top k, else 0.

    Peer: ``torchmetrics.functional.retrieval.retrieval_hit_rate(top_k=k)`` per query.

    Example:
        >>> import numpy as np
        >>> float(hit_rate_at_k(np.array([[0.9, 0.8, 0.1]]), np.array([[0, 0, 1]]), k=2))
        0.0
    """
    r = _rank(scores, relevance, k, empty_target_action, reduction)
    xp = r.xp
    hit = xp.astype(xp.sum(_hits(r), axis=1) > 0, r.relevance.dtype)
    return _finish(r, hit, empty_target_action, reduction)


def mrr(scores: Array, relevance: Array, *, k: int | None = None,
        empty_target_action: str = "neg", reduction: str = "mean") -> Array:
    r"""Mean reciprocal rank: :math:`1 / \mathrm{rank}` of the first relevant candidate
    (1-based), 0 if none is ranked in the top k (``k=None``: all candidates).

    Peer: ``torchmetrics.functional.retrieval.retrieval_reciprocal_rank(top_k=k)`` per query.

    Example:
        >>> import numpy as np
        >>> s = np.array([[0.9, 0.8, 0.1], [0.1, 0.2, 0.3]])
        >>> float(mrr(s, np.array([[0, 1, 0], [0, 0, 1]])))
        0.75
    """
    r = _rank(scores, relevance, k, empty_target_action, reduction)
    xp = r.xp
    hits = _hits(r)
    ranks = xp.arange(1, r.k + 1, dtype=hits.dtype, device=device_of(hits))
    # the first hit has the largest hit/rank: 1/rank of the first relevant position
    rr = xp.max(hits / ranks, axis=1)
    return _finish(r, rr, empty_target_action, reduction)


def _discounts(xp: Namespace, like: Array, k: int) -> Array:
    """``1 / log2(rank + 1)`` for ranks 1..k."""
    ranks = xp.arange(1, k + 1, dtype=like.dtype, device=device_of(like))
    return LOG_2 / xp.log(ranks + 1)


def ndcg_at_k(scores: Array, relevance: Array, *, k: int | None = None,
              gain: str = "linear", empty_target_action: str = "neg",
              reduction: str = "mean") -> Array:
    r"""Normalised DCG@k: :math:`\mathrm{DCG}_k / \mathrm{IDCG}_k` with
    :math:`\mathrm{DCG}_k = \sum_{r=1}^{k} g(\mathrm{rel}_r) / \log_2(r + 1)` and IDCG the DCG of
    the ideal ordering. ``gain="linear"``: :math:`g(x) = x` (scikit-learn, torchmetrics, the
    default); ``"exponential"``: :math:`g(x) = 2^x - 1` (rax, TF-Ranking). Graded relevance is
    used as is; negative relevance counts as given.

    Peers: ``torchmetrics.functional.retrieval.retrieval_normalized_dcg(top_k=k)`` and
    ``sklearn.metrics.ndcg_score(k=k)`` on tie-free scores (both average ties instead).

    Example:
        >>> import numpy as np
        >>> round(float(ndcg_at_k(np.array([[0.9, 0.8, 0.1]]), np.array([[0, 1, 1]]))), 6)
        0.693426
    """
    check_option("gain", gain, ("linear", "exponential"))
    r = _rank(scores, relevance, k, empty_target_action, reduction)
    xp = r.xp
    top, best = r.relevance[:, : r.k], r.ideal[:, : r.k]
    if gain == "exponential":
        top, best = xp.expm1(top * LOG_2), xp.expm1(best * LOG_2)
    d = _discounts(xp, top, r.k)
    dcg = xp.sum(top * d, axis=1)
    idcg = xp.sum(best * d, axis=1)
    return _finish(r, safe_divide(xp, dcg, idcg), empty_target_action, reduction)


def map_at_k(scores: Array, relevance: Array, *, k: int | None = None,
             empty_target_action: str = "neg", reduction: str = "mean") -> Array:
    r"""Mean average precision@k, torchmetrics' definition: the mean, over the relevant
    candidates ranked in the top k, of the precision at each one's rank (0 if none is there).

    Peer: ``torchmetrics.functional.retrieval.retrieval_average_precision(top_k=k)``.

    Example:
        >>> import numpy as np
        >>> round(float(map_at_k(np.array([[0.9, 0.8, 0.7, 0.1]]), np.array([[1, 0, 1, 0]]))), 12)
        0.833333333333
    """
    r = _rank(scores, relevance, k, empty_target_action, reduction)
    xp = r.xp
    hits = _hits(r)
    ranks = xp.arange(1, r.k + 1, dtype=hits.dtype, device=device_of(hits))
    found = xp.cumulative_sum(hits, axis=1)
    precision_at_hits = xp.sum(hits * found / ranks, axis=1)
    return _finish(r, safe_divide(xp, precision_at_hits, xp.sum(hits, axis=1)),
                   empty_target_action, reduction)
