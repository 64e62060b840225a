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

Hostile input: a query whose scores or relevance hold NaN gets NaN, whatever
``empty_target_action`` (a sort would rank the NaN somewhere and give a finite value), and so
does the mean over queries. An empty batch (``Q = 0``) gives NaN for the mean (an empty array
for ``"none"``). ``k`` must lie in ``[1, M]``: a larger ``k`` is a ``ValueError``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .._backend import (
    LOG_2,
    Array,
    Namespace,
    as_dtype,
    const,
    device_of,
    eager_all,
    finalize,
)
from .._ops import mean_or_nan, safe_divide
from .._validate import bounded_integer, check_kind, check_option, options, prepare
from ..typing import EmptyTargetAction, Gain, RetrievalReduction

__all__ = ["hit_rate_at_k", "map_at_k", "mrr", "ndcg_at_k", "precision_at_k", "recall_at_k"]

EMPTY_ACTIONS = options(EmptyTargetAction)


class _Ranked(NamedTuple):
    xp: Namespace
    relevance: Array  # (Q, M) compute dtype, in ranked order (NaN rows zeroed)
    ideal: Array  # (Q, M) relevance sorted descending
    invalid: Array  # (Q,) bool: the query's scores or relevance hold NaN
    k: int
    out_dtype: Any


def _rank(
    scores: Array,
    relevance: Array,
    *,
    k: Any,
    empty_target_action: Any,
    reduction: Any,
    finite_relevance: bool = False,
) -> _Ranked:
    """Validate, then rank each query's relevance by descending score.

    Queries whose scores or relevance hold NaN (or, with ``finite_relevance``, an infinite
    relevance, whose gain ratio is inf/inf) are marked ``invalid`` and their relevance zeroed,
    so nothing downstream computes with (or warns about) them; :func:`_finish` makes them NaN.
    """
    xp, out_dtype, dtype = prepare("scores", scores, reduction=None, relevance=relevance)
    if scores.ndim != 2:
        raise ValueError(f"scores must have shape (Q, M); got {tuple(scores.shape)}")
    if tuple(relevance.shape) != tuple(scores.shape):
        raise ValueError(
            f"relevance must have the shape of scores {tuple(scores.shape)}; got "
            f"{tuple(relevance.shape)}"
        )
    check_kind(
        xp, "relevance", relevance, ("real floating", "integral", "bool"), must="be real or boolean"
    )
    m = scores.shape[1]
    if m == 0:
        raise ValueError(
            f"scores must hold at least one candidate; got shape {tuple(scores.shape)}"
        )
    k = m if k is None else bounded_integer("k", k, low=1, high=m, bound="the number of candidates")
    check_option("empty_target_action", empty_target_action, EMPTY_ACTIONS)
    check_option("reduction", reduction, options(RetrievalReduction))
    s = as_dtype(xp, scores, dtype)
    rel = as_dtype(xp, relevance, dtype)
    unknown = xp.any(xp.isnan(rel), axis=1)  # NaN relevance: relevant or not is unknown
    if empty_target_action == "error" and not eager_all(xp, xp.any(rel > 0, axis=1) | unknown):
        raise ValueError("a query has no relevant candidate (empty_target_action='error')")
    if finite_relevance:
        unknown = xp.any(~xp.isfinite(rel), axis=1)
    invalid = xp.any(xp.isnan(s), axis=1) | unknown
    rel = xp.where(invalid[:, None], xp.zeros_like(rel), rel)
    order = xp.argsort(s, axis=1, descending=True, stable=True)
    ranked = xp.take_along_axis(rel, order, axis=1)
    ideal = xp.sort(rel, axis=1, descending=True)
    return _Ranked(xp, ranked, ideal, invalid, k, out_dtype)


def _finish(r: _Ranked, per_query: Array, *, empty_target_action: Any, reduction: Any) -> Array:
    """Apply the empty-query rule, then the reduction over queries."""
    xp = r.xp
    has_relevant = xp.any(r.ideal > 0, axis=1)
    fill = {"neg": 0.0, "pos": 1.0, "skip": math.nan, "error": 0.0}[empty_target_action]
    per_query = xp.where(has_relevant, per_query, xp.full_like(per_query, fill))
    per_query = xp.where(r.invalid, xp.full_like(per_query, math.nan), per_query)
    if reduction == "none":
        return finalize(xp, per_query, r.out_dtype)
    if empty_target_action == "skip":  # NaN queries are counted: their NaN reaches the mean
        counted = has_relevant | r.invalid
        safe = xp.where(counted, per_query, xp.zeros_like(per_query))
        mean = mean_or_nan(xp, safe, xp.astype(counted, per_query.dtype))
        return finalize(xp, mean, r.out_dtype)
    # Q = 0: NaN (xp.mean would warn)
    return finalize(xp, mean_or_nan(xp, per_query, None), r.out_dtype)


def _hits(r: _Ranked) -> Array:
    """``(Q, k)`` 0/1: whether the candidate at each of the first k ranks is relevant."""
    xp = r.xp
    top = r.relevance[:, : r.k]
    return xp.astype(top > 0, top.dtype)


def recall_at_k(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Recall@k: the fraction of a query's relevant candidates ranked in its top k.

    Peer: ``torchmetrics.functional.retrieval.retrieval_recall(top_k=k)`` per query.

    Example:
        >>> import numpy as np
        >>> float(recall_at_k(np.array([[0.9, 0.8, 0.1, 0.5]]), np.array([[1, 0, 1, 0]]), k=2))
        0.5
    """
    r = _rank(scores, relevance, k=k, empty_target_action=empty_target_action, reduction=reduction)
    xp = r.xp
    total = xp.sum(xp.astype(r.ideal > 0, r.ideal.dtype), axis=1)
    return _finish(
        r,
        safe_divide(xp, xp.sum(_hits(r), axis=1), total),
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


def precision_at_k(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Precision@k: the fraction of a query's top k candidates that are relevant.

    Peer: ``torchmetrics.functional.retrieval.retrieval_precision(top_k=k)`` per query.

    Example:
        >>> import numpy as np
        >>> float(precision_at_k(np.array([[0.9, 0.8, 0.1, 0.5]]), np.array([[1, 0, 1, 0]]), k=2))
        0.5
    """
    r = _rank(scores, relevance, k=k, empty_target_action=empty_target_action, reduction=reduction)
    return _finish(
        r,
        r.xp.sum(_hits(r), axis=1) / r.k,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


def hit_rate_at_k(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Hit rate@k: 1 if any relevant candidate is ranked in the top k, else 0.

    Peer: ``torchmetrics.functional.retrieval.retrieval_hit_rate(top_k=k)`` per query.

    Example:
        >>> import numpy as np
        >>> float(hit_rate_at_k(np.array([[0.9, 0.8, 0.1]]), np.array([[0, 0, 1]]), k=2))
        0.0
    """
    r = _rank(scores, relevance, k=k, empty_target_action=empty_target_action, reduction=reduction)
    xp = r.xp
    hit = xp.astype(xp.sum(_hits(r), axis=1) > 0, r.relevance.dtype)
    return _finish(
        r,
        hit,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


def mrr(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Mean reciprocal rank: :math:`1 / \mathrm{rank}` of the first relevant candidate
    (1-based), 0 if none is ranked in the top k (``k=None``: all candidates).

    Peer: ``torchmetrics.functional.retrieval.retrieval_reciprocal_rank(top_k=k)`` per query.

    Example:
        >>> import numpy as np
        >>> s = np.array([[0.9, 0.8, 0.1], [0.1, 0.2, 0.3]])
        >>> float(mrr(s, np.array([[0, 1, 0], [0, 0, 1]])))
        0.75
    """
    r = _rank(scores, relevance, k=k, empty_target_action=empty_target_action, reduction=reduction)
    xp = r.xp
    hits = _hits(r)
    ranks = xp.arange(1, r.k + 1, dtype=hits.dtype, device=device_of(hits))
    # the first hit has the largest hit/rank: 1/rank of the first relevant position
    rr = xp.max(hits / ranks, axis=1)
    return _finish(
        r,
        rr,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


def _discounts(xp: Namespace, like: Array, k: int) -> Array:
    """``1 / log2(rank + 1)`` for ranks 1..k."""
    ranks = xp.arange(1, k + 1, dtype=like.dtype, device=device_of(like))
    return LOG_2 / xp.log(ranks + 1)


def ndcg_at_k(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    gain: Gain = "linear",
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Normalised DCG@k: :math:`\mathrm{DCG}_k / \mathrm{IDCG}_k` with
    :math:`\mathrm{DCG}_k = \sum_{r=1}^{k} g(\mathrm{rel}_r) / \log_2(r + 1)` and IDCG the DCG of
    the ideal ordering. ``gain="linear"``: :math:`g(x) = x` (scikit-learn, torchmetrics, the
    default); ``"exponential"``: :math:`g(x) = 2^x - 1` (rax, TF-Ranking). Graded relevance is
    used as is; negative relevance counts as given.

    Peers: ``torchmetrics.functional.retrieval.retrieval_normalized_dcg(top_k=k)`` and
    ``sklearn.metrics.ndcg_score(k=k)`` on tie-free scores (both average ties instead).
    An infinite relevance gives NaN for its query (inf/inf), as a NaN one does.

    Example:
        >>> import numpy as np
        >>> round(float(ndcg_at_k(np.array([[0.9, 0.8, 0.1]]), np.array([[0, 1, 1]]))), 6)
        0.693426
    """
    check_option("gain", gain, options(Gain))
    r = _rank(
        scores,
        relevance,
        k=k,
        empty_target_action=empty_target_action,
        reduction=reduction,
        finite_relevance=True,
    )
    xp = r.xp
    top, best = r.relevance[:, : r.k], r.ideal[:, : r.k]
    if gain == "exponential":
        # gains 2^x - 1 scaled by 2^-shift (the ratio is unchanged), shift = max(rel) - 64 for
        # a query whose largest relevance exceeds 64, else 0 (the exact expm1): 2^rel would
        # overflow float32 from rel = 128 (float64: 1024) and give inf/inf
        shift = xp.maximum(r.ideal[:, :1] - 64, const(xp, 0.0, r.ideal))
        offset = xp.expm1(-shift * LOG_2)
        top = xp.expm1((top - shift) * LOG_2) - offset
        best = xp.expm1((best - shift) * LOG_2) - offset
    d = _discounts(xp, top, r.k)
    dcg = xp.sum(top * d, axis=1)
    idcg = xp.sum(best * d, axis=1)
    return _finish(
        r,
        safe_divide(xp, dcg, idcg),
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


def map_at_k(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Mean average precision@k, torchmetrics' definition: the mean, over the relevant
    candidates ranked in the top k, of the precision at each one's rank (0 if none is there).

    Peer: ``torchmetrics.functional.retrieval.retrieval_average_precision(top_k=k)``.

    Example:
        >>> import numpy as np
        >>> round(float(map_at_k(np.array([[0.9, 0.8, 0.7, 0.1]]), np.array([[1, 0, 1, 0]]))), 12)
        0.833333333333
    """
    r = _rank(scores, relevance, k=k, empty_target_action=empty_target_action, reduction=reduction)
    xp = r.xp
    hits = _hits(r)
    ranks = xp.arange(1, r.k + 1, dtype=hits.dtype, device=device_of(hits))
    found = xp.cumulative_sum(hits, axis=1)
    precision_at_hits = xp.sum(hits * found / ranks, axis=1)
    return _finish(
        r,
        safe_divide(xp, precision_at_hits, xp.sum(hits, axis=1)),
        empty_target_action=empty_target_action,
        reduction=reduction,
    )
