"""Retrieval metrics: recall, precision, hit rate, MRR, nDCG and MAP at a cutoff k.

Three input forms, one ranking rule and one body per metric:

* **dense**: a score matrix ``(Q, M)`` (Q queries, M candidates) and a relevance matrix of the
  same shape (binary, or graded for :func:`ndcg_at_k`);
* **flat** (``indexes=``, torchmetrics' form): ``scores``, ``relevance`` and ``indexes`` of
  shape ``(N,)``, ``indexes[i]`` the query id of item i. Ids need not be contiguous or sorted,
  and a query's items may be anywhere. The items are grouped into a padded ``(Q, W)`` matrix
  (``W`` = the largest group, or k if larger; padding ranks after every real item), so the
  memory is ``Q x W``. Queries come out in ascending id order (``reduction="none"``). The
  number of queries depends on the values of ``indexes``: the flat form runs eagerly only
  (not under ``jax.jit``, ``vmap`` or ``torch.compile``);
* **ranked ids and qrels** (:func:`retrieval_metrics`): the output of a top-k search (ids,
  best first) and the relevant ids of each query, as an IR evaluator (trec_eval) takes them.

Ranking: candidates are ordered by descending score; **ties are broken by candidate index**
(a stable descending sort: of two equal scores, the lower index ranks first; in the flat form,
the earlier item of the query in the input). A candidate is relevant when its relevance is
> 0, whatever its score.

How the peers break ties (read in their sources):

* torchmetrics: recall, hit rate and fall-out rank with ``torch.argsort(descending=True)``,
  precision, MRR and average precision with ``torch.topk``; neither promises an order among
  equal scores. Its nDCG averages the gains of tied scores (``_tie_average_dcg``, translated
  from scikit-learn);
* scikit-learn ``ndcg_score``/``dcg_score``: average the gains of tied scores, unless
  ``ignore_ties=True``, which ranks by ``np.argsort(y_score)[:, ::-1]`` (an unstable sort,
  reversed: no promised order among ties);
* trec_eval (``pytrec_eval``): by score descending, then by **docno descending in string
  order** (``"d3"`` before ``"d2"``, ``"10"`` before ``"9"``) — pytrec_eval issues #51, #56;
* rax: ``rax.utils.sort_by`` keeps ties in their original order (a stable sort), so the lower
  index first, unless given a ``key`` for random tie-breaking;
* arraylosses: the lower index first, as rax.

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
does the mean over queries. An empty batch (``Q = 0``; in the flat form ``N = 0``) gives NaN
for the mean (an empty array for ``"none"``). In the dense form ``k`` must lie in ``[1, M]``:
a larger ``k`` is a ``ValueError``; the flat form allows any ``k >= 1`` (a group smaller than
k is ranked in full and precision still divides by k, as torchmetrics' default
``adaptive_k=False``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NamedTuple

from .._backend import (
    LOG_2,
    Array,
    Namespace,
    as_dtype,
    compute_dtype,
    const,
    default_float,
    device_of,
    finalize,
    index_dtype,
    is_eager,
    namespace,
)
from .._ops import divide_or_nan, mean_or_nan, safe_divide
from .._validate import (
    NO_REDUCTION,
    bounded_integer,
    check_kind,
    check_option,
    check_values,
    options,
    prepare,
    renamed,
)
from ..typing import (
    EmptyTargetAction,
    Gain,
    GaucWeighting,
    MapDenominator,
    RetrievalMetric,
    RetrievalReduction,
)

__all__ = [
    "dcg_at_k",
    "gauc",
    "hit_rate_at_k",
    "map_at_k",
    "mrr",
    "ndcg_at_k",
    "precision_at_k",
    "r_precision",
    "recall_at_k",
    "retrieval_metrics",
]

EMPTY_ACTIONS = options(EmptyTargetAction)
METRIC_NAMES = options(RetrievalMetric)


class _Ranked(NamedTuple):
    """A ranking, whichever form it came from: what every metric body reads."""

    xp: Namespace
    relevance: Array  # (Q, M) compute dtype, in ranked order, M >= k (invalid rows zeroed)
    ideal: Array  # (Q, L) every relevance of the query sorted descending, L >= k
    invalid: Array  # (Q,) bool: the query's scores or relevance hold NaN
    infinite: Array  # (Q,) bool: the query's relevance holds +-inf (nDCG: inf/inf, NaN)
    k: int
    depth: Any  # precision's divisor: k, or (Q,) per-query candidate counts (flat, k=None)
    out_dtype: Any


def _check_common(empty_target_action: Any, reduction: Any) -> None:
    check_option("empty_target_action", empty_target_action, EMPTY_ACTIONS)
    check_option("reduction", reduction, options(RetrievalReduction))


def _mark(
    xp: Namespace, rel: Array, nan_scores: Array, empty_target_action: Any
) -> tuple[Array, Array, Array]:
    """``(relevance with invalid rows zeroed, invalid, infinite)`` of ``(Q, L)`` relevance whose
    rows with a NaN score are ``nan_scores``; raises for ``empty_target_action="error"``."""
    unknown = xp.any(xp.isnan(rel), axis=1)  # NaN relevance: relevant or not is unknown
    if empty_target_action == "error":
        check_values(
            xp,
            xp.any(rel > 0, axis=1) | unknown,
            "a query has no relevant candidate (empty_target_action='error')",
        )
    invalid = nan_scores | unknown
    infinite = xp.any(xp.isinf(rel), axis=1) & ~invalid
    rel = xp.where(invalid[:, None], xp.zeros_like(rel), rel)
    return rel, invalid, infinite


def _group(
    xp: Namespace, scores: Array, relevance: Array, indexes: Array, k: int | None
) -> tuple[Array, Array, Array]:
    """The flat form ``(N,)`` as a padded ``(Q, W)`` matrix: ``(scores, relevance, counts)``.

    Items are stably sorted by query id (a group keeps its input order, the tie-break), then
    gathered row by row; padding slots score -inf with relevance 0 and sit after the group's
    items, so a stable descending sort ranks them after every real item, even a real -inf.
    """
    if not is_eager(xp, indexes):
        raise ValueError(
            "indexes= (the flat form) runs eagerly only: the number of queries depends on the "
            "values of indexes (not under jax.jit, vmap or torch.compile)"
        )
    n = indexes.shape[0]
    dev = device_of(scores)
    idx = index_dtype(xp, indexes)
    if n == 0:  # no query: an empty (0, W) matrix (slicing an empty axis from 1 is unspecified)
        w = 1 if k is None else k
        empty = xp.zeros((0, w), dtype=scores.dtype, device=dev)
        return empty, empty, xp.zeros((0,), dtype=idx, device=dev)
    order = xp.argsort(indexes, stable=True)
    ids = xp.take(indexes, order)
    first = xp.ones((1,), dtype=xp.bool, device=dev)
    new = xp.astype(xp.concat([first, ids[1:] != ids[:-1]]), idx)  # 1 where a group starts
    group = xp.cumulative_sum(new) - 1  # (N,) ascending: each item's query, 0..Q-1
    q = int(group[-1]) + 1
    queries = xp.arange(q, dtype=idx, device=dev)
    # no nonzero/unique (data-dependent shapes): each query's first and last+1 sorted position
    starts = xp.astype(xp.searchsorted(group, queries, side="left"), idx)
    counts = xp.astype(xp.searchsorted(group, queries, side="right"), idx) - starts
    w = max(int(xp.max(counts)), 1 if k is None else k)
    cols = xp.arange(w, dtype=idx, device=dev)
    real = cols[None, :] < counts[:, None]  # (Q, W)
    where = xp.where(real, starts[:, None] + cols[None, :], xp.zeros_like(real, dtype=idx))
    items = xp.take(order, xp.reshape(where, (-1,)))
    s = xp.reshape(xp.take(scores, items), (q, w))
    rel = xp.reshape(xp.take(relevance, items), (q, w))
    s = xp.where(real, s, xp.full_like(s, -math.inf))
    rel = xp.where(real, rel, xp.zeros_like(rel))
    return s, rel, counts


def _rank(
    scores: Array,
    relevance: Array,
    *,
    k: Any,
    indexes: Array | None,
    empty_target_action: Any,
    reduction: Any,
) -> _Ranked:
    """Validate the dense or flat form, then rank each query's relevance by descending score.

    Queries whose scores or relevance hold NaN are marked ``invalid`` and their relevance
    zeroed, so nothing downstream computes with (or warns about) them; :func:`_finish` makes
    them NaN.
    """
    xp, out_dtype, dtype = prepare(
        "scores", scores, reduction=NO_REDUCTION, relevance=relevance, indexes=indexes
    )
    ndim = 2 if indexes is None else 1
    shape = "(Q, M)" if indexes is None else "(N,) with indexes="
    if scores.ndim != ndim:
        raise ValueError(f"scores must have shape {shape}; got {tuple(scores.shape)}")
    if tuple(relevance.shape) != tuple(scores.shape):
        raise ValueError(
            f"relevance must have the shape of scores {tuple(scores.shape)}; got "
            f"{tuple(relevance.shape)}"
        )
    check_kind(
        xp, "relevance", relevance, ("real floating", "integral", "bool"), must="be real or boolean"
    )
    _check_common(empty_target_action, reduction)
    s = as_dtype(xp, scores, dtype)
    rel = as_dtype(xp, relevance, dtype)
    if indexes is None:
        m = scores.shape[1]
        if m == 0:
            raise ValueError(
                f"scores must hold at least one candidate; got shape {tuple(scores.shape)}"
            )
        k = (
            m
            if k is None
            else bounded_integer("k", k, low=1, high=m, bound="the number of candidates")
        )
        depth: Any = k
    else:
        if tuple(indexes.shape) != tuple(scores.shape):
            raise ValueError(
                f"indexes must have the shape of scores {tuple(scores.shape)}; got "
                f"{tuple(indexes.shape)}"
            )
        check_kind(xp, "indexes", indexes, ("integral",), must="be an integer array")
        if k is not None:
            k = bounded_integer("k", k, low=1, bound="a cutoff")
        s, rel, counts = _group(xp, s, rel, indexes, k)
        depth = k if k is not None else as_dtype(xp, counts, dtype)
        k = s.shape[1] if k is None else k
    rel, invalid, infinite = _mark(xp, rel, xp.any(xp.isnan(s), axis=1), empty_target_action)
    order = xp.argsort(s, axis=1, descending=True, stable=True)
    ranked = xp.take_along_axis(rel, order, axis=1)
    if indexes is None:
        ideal = xp.sort(rel, axis=1, descending=True)
    else:  # the padding sorts after every real item (a negative grade included), gains 0
        cols = xp.arange(rel.shape[1], dtype=counts.dtype, device=device_of(rel))
        real = cols[None, :] < counts[:, None]
        padded = xp.where(real, rel, xp.full_like(rel, -math.inf))
        ideal = xp.where(real, xp.sort(padded, axis=1, descending=True), xp.zeros_like(rel))
    return _Ranked(xp, ranked, ideal, invalid, infinite, k, depth, out_dtype)


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


# ---------------------------------------------------------------------------------------------
# The metric bodies: (Q,) per-query values from a ranking, before the empty-query rule


def _hits(r: _Ranked) -> Array:
    """``(Q, k)`` 0/1: whether the candidate at each of the first k ranks is relevant."""
    xp = r.xp
    top = r.relevance[:, : r.k]
    return xp.astype(top > 0, top.dtype)


def _num_relevant(r: _Ranked) -> Array:
    """``(Q,)`` R: the query's number of relevant candidates (whether ranked or not)."""
    return r.xp.sum(r.xp.astype(r.ideal > 0, r.ideal.dtype), axis=1)


def _ranks(r: _Ranked, like: Array) -> Array:
    return r.xp.arange(1, r.k + 1, dtype=like.dtype, device=device_of(like))


def _recall(r: _Ranked) -> Array:
    return safe_divide(r.xp, r.xp.sum(_hits(r), axis=1), _num_relevant(r))


def _precision(r: _Ranked) -> Array:
    return r.xp.sum(_hits(r), axis=1) / r.depth


def _hit_rate(r: _Ranked) -> Array:
    xp = r.xp
    return xp.astype(xp.sum(_hits(r), axis=1) > 0, r.relevance.dtype)


def _reciprocal_rank(r: _Ranked) -> Array:
    hits = _hits(r)
    # the first hit has the largest hit/rank: 1/rank of the first relevant position
    return r.xp.max(hits / _ranks(r, hits), axis=1)


def _discounts(xp: Namespace, like: Array, k: int) -> Array:
    """``1 / log2(rank + 1)`` for ranks 1..k."""
    ranks = xp.arange(1, k + 1, dtype=like.dtype, device=device_of(like))
    return LOG_2 / xp.log(ranks + 1)


def _ndcg(r: _Ranked, gain: Any) -> tuple[_Ranked, Array]:
    """nDCG, and the ranking with its infinite-relevance queries marked invalid (inf/inf)."""
    xp = r.xp
    r = r._replace(invalid=r.invalid | r.infinite)
    keep = ~r.infinite[:, None]
    top = xp.where(keep, r.relevance[:, : r.k], xp.zeros_like(r.relevance[:, : r.k]))
    ideal = xp.where(keep, r.ideal, xp.zeros_like(r.ideal))
    best = ideal[:, : r.k]
    if gain == "exponential":
        # gains 2^x - 1 scaled by 2^-shift (the ratio is unchanged), shift = max(rel) - 64 for
        # a query whose largest relevance exceeds 64, else 0 (the exact expm1): 2^rel would
        # overflow float32 from rel = 128 (float64: 1024) and give inf/inf
        shift = xp.maximum(ideal[:, :1] - 64, const(xp, 0.0, ideal))
        offset = xp.expm1(-shift * LOG_2)
        top = xp.expm1((top - shift) * LOG_2) - offset
        best = xp.expm1((best - shift) * LOG_2) - offset
    d = _discounts(xp, top, r.k)
    dcg = xp.sum(top * d, axis=1)
    idcg = xp.sum(best * d, axis=1)
    return r, safe_divide(xp, dcg, idcg)


def _average_precision(r: _Ranked, denominator: Any) -> Array:
    xp = r.xp
    hits = _hits(r)
    found = xp.cumulative_sum(hits, axis=1)
    precision_at_hits = xp.sum(hits * found / _ranks(r, hits), axis=1)
    if denominator == "hits":
        den = xp.sum(hits, axis=1)
    elif denominator == "relevant":
        den = _num_relevant(r)
    else:  # "min_k_relevant"
        den = xp.minimum(_num_relevant(r), const(xp, float(r.k), hits))
    return safe_divide(xp, precision_at_hits, den)


# ---------------------------------------------------------------------------------------------
# The public metrics


def _one(
    body: Any,
    scores: Array,
    relevance: Array,
    *,
    k: Any,
    indexes: Array | None,
    empty_target_action: Any,
    reduction: Any,
) -> Array:
    r = _rank(
        scores,
        relevance,
        k=k,
        indexes=indexes,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )
    r, per_query = body(r)
    return _finish(r, per_query, empty_target_action=empty_target_action, reduction=reduction)


def _plain(body: Any) -> Any:
    """A body that leaves the ranking as it is, in the ``(ranking, values)`` form of _one."""
    return lambda r: (r, body(r))


def recall_at_k(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    indexes: Array | None = None,
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Recall@k: the fraction of a query's relevant candidates ranked in its top k.

    Peers: ``torchmetrics.functional.retrieval.retrieval_recall(top_k=k)`` per query (flat form:
    ``torchmetrics.retrieval.RetrievalRecall``), trec_eval's ``recall_k``.
    Forms: ``scores`` and ``relevance`` of shape ``(Q, M)`` (``k`` in ``[1, M]``, default M), or
    with ``indexes`` all three of shape ``(N,)``, ``indexes`` the integer query id of each item
    (eager only; ``(Q,)`` results in ascending id order; see the module docstring).

    Args:
        scores: ``(Q, M)`` floating scores of each query's M candidates, or ``(N,)`` with
            ``indexes`` (the flat form).
        relevance: ``scores``' shape: relevance labels (boolean, integer or floating; > 0 is
            relevant).
        k: the cutoff, in ``[1, M]`` in the dense form, any ``>= 1`` in the flat form. Default
            ``None``: all candidates.
        indexes: optional ``(N,)`` integer query id of each item (the flat form, eager only).
            Default ``None``: the dense ``(Q, M)`` form.
        empty_target_action: the value of a query with no relevant candidate: ``"neg"`` (default,
            0, torchmetrics'), ``"pos"`` (1), ``"skip"`` (left out of the mean) or ``"error"``.
        reduction: ``"mean"`` (default: the mean over queries) or ``"none"`` (per query).

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``, ``(Q,)`` per query (in
        ascending id order in the flat form) for ``reduction="none"``.

    References:
        - C. D. Manning, P. Raghavan and H. Schütze (2008), "Introduction to Information
          Retrieval", Cambridge University Press, ch. 8 (evaluation).
        - Peer implementations followed: torchmetrics ``retrieval_recall`` and
          trec_eval ``recall_k``.

    Example:
        >>> import numpy as np
        >>> float(recall_at_k(np.array([[0.9, 0.8, 0.1, 0.5]]), np.array([[1, 0, 1, 0]]), k=2))
        0.5
        >>> s, rel = np.array([0.9, 0.8, 0.1, 0.5]), np.array([1, 0, 1, 0])
        >>> recall_at_k(s, rel, k=1, indexes=np.array([7, 7, 3, 3]), reduction="none").tolist()
        [0.0, 1.0]
    """
    return _one(
        _plain(_recall),
        scores,
        relevance,
        k=k,
        indexes=indexes,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


def precision_at_k(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    indexes: Array | None = None,
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Precision@k: the number of relevant candidates in a query's top k, divided by k.

    In the flat form a query with fewer than k items still divides by k (torchmetrics'
    ``adaptive_k=False``, trec_eval's ``P_k``); with ``k=None`` each query divides by its own
    number of items.

    Peers: ``torchmetrics.functional.retrieval.retrieval_precision(top_k=k)`` per query,
    trec_eval's ``P_k``.
    Forms: ``scores`` and ``relevance`` of shape ``(Q, M)`` (``k`` in ``[1, M]``, default M), or
    with ``indexes`` all three of shape ``(N,)``, ``indexes`` the integer query id of each item
    (eager only; ``(Q,)`` results in ascending id order; see the module docstring).

    Args:
        scores: ``(Q, M)`` floating scores of each query's M candidates, or ``(N,)`` with
            ``indexes`` (the flat form).
        relevance: ``scores``' shape: relevance labels (boolean, integer or floating; > 0 is
            relevant).
        k: the cutoff, in ``[1, M]`` in the dense form, any ``>= 1`` in the flat form. Default
            ``None``: all candidates.
        indexes: optional ``(N,)`` integer query id of each item (the flat form, eager only).
            Default ``None``: the dense ``(Q, M)`` form.
        empty_target_action: the value of a query with no relevant candidate: ``"neg"`` (default,
            0, torchmetrics'), ``"pos"`` (1), ``"skip"`` (left out of the mean) or ``"error"``.
        reduction: ``"mean"`` (default: the mean over queries) or ``"none"`` (per query).

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``, ``(Q,)`` per query (in
        ascending id order in the flat form) for ``reduction="none"``.

    References:
        - C. D. Manning, P. Raghavan and H. Schütze (2008), "Introduction to Information
          Retrieval", Cambridge University Press, ch. 8 (evaluation).
        - Peer implementations followed: torchmetrics ``retrieval_precision`` and
          trec_eval ``P_k``.

    Example:
        >>> import numpy as np
        >>> float(precision_at_k(np.array([[0.9, 0.8, 0.1, 0.5]]), np.array([[1, 0, 1, 0]]), k=2))
        0.5
    """
    return _one(
        _plain(_precision),
        scores,
        relevance,
        k=k,
        indexes=indexes,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


def hit_rate_at_k(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    indexes: Array | None = None,
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Hit rate@k: 1 if any relevant candidate is ranked in the top k, else 0.

    Peers: ``torchmetrics.functional.retrieval.retrieval_hit_rate(top_k=k)`` per query,
    trec_eval's ``success_k``.
    Forms: ``scores`` and ``relevance`` of shape ``(Q, M)`` (``k`` in ``[1, M]``, default M), or
    with ``indexes`` all three of shape ``(N,)``, ``indexes`` the integer query id of each item
    (eager only; ``(Q,)`` results in ascending id order; see the module docstring).

    Args:
        scores: ``(Q, M)`` floating scores of each query's M candidates, or ``(N,)`` with
            ``indexes`` (the flat form).
        relevance: ``scores``' shape: relevance labels (boolean, integer or floating; > 0 is
            relevant).
        k: the cutoff, in ``[1, M]`` in the dense form, any ``>= 1`` in the flat form. Default
            ``None``: all candidates.
        indexes: optional ``(N,)`` integer query id of each item (the flat form, eager only).
            Default ``None``: the dense ``(Q, M)`` form.
        empty_target_action: the value of a query with no relevant candidate: ``"neg"`` (default,
            0, torchmetrics'), ``"pos"`` (1), ``"skip"`` (left out of the mean) or ``"error"``.
        reduction: ``"mean"`` (default: the mean over queries) or ``"none"`` (per query).

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``, ``(Q,)`` per query (in
        ascending id order in the flat form) for ``reduction="none"``.

    References:
        - C. D. Manning, P. Raghavan and H. Schütze (2008), "Introduction to Information
          Retrieval", Cambridge University Press, ch. 8 (evaluation).
        - Peer implementations followed: torchmetrics ``retrieval_hit_rate`` and
          trec_eval ``success_k``.

    Example:
        >>> import numpy as np
        >>> float(hit_rate_at_k(np.array([[0.9, 0.8, 0.1]]), np.array([[0, 0, 1]]), k=2))
        0.0
    """
    return _one(
        _plain(_hit_rate),
        scores,
        relevance,
        k=k,
        indexes=indexes,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


def mrr(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    indexes: Array | None = None,
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Mean reciprocal rank: :math:`1 / \mathrm{rank}` of the first relevant candidate
    (1-based), 0 if none is ranked in the top k (``k=None``: all candidates).

    Peers: ``torchmetrics.functional.retrieval.retrieval_reciprocal_rank(top_k=k)`` per query,
    trec_eval's ``recip_rank`` (no cutoff: ``k=None``).
    Forms: ``scores`` and ``relevance`` of shape ``(Q, M)`` (``k`` in ``[1, M]``, default M), or
    with ``indexes`` all three of shape ``(N,)``, ``indexes`` the integer query id of each item
    (eager only; ``(Q,)`` results in ascending id order; see the module docstring).

    Args:
        scores: ``(Q, M)`` floating scores of each query's M candidates, or ``(N,)`` with
            ``indexes`` (the flat form).
        relevance: ``scores``' shape: relevance labels (boolean, integer or floating; > 0 is
            relevant).
        k: the cutoff, in ``[1, M]`` in the dense form, any ``>= 1`` in the flat form. Default
            ``None``: all candidates.
        indexes: optional ``(N,)`` integer query id of each item (the flat form, eager only).
            Default ``None``: the dense ``(Q, M)`` form.
        empty_target_action: the value of a query with no relevant candidate: ``"neg"`` (default,
            0, torchmetrics'), ``"pos"`` (1), ``"skip"`` (left out of the mean) or ``"error"``.
        reduction: ``"mean"`` (default: the mean over queries) or ``"none"`` (per query).

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``, ``(Q,)`` per query (in
        ascending id order in the flat form) for ``reduction="none"``.

    References:
        - E. M. Voorhees (1999), "The TREC-8 Question Answering Track Report", TREC-8.
        - Peer implementations followed: torchmetrics ``retrieval_reciprocal_rank`` and
          trec_eval ``recip_rank``.

    Example:
        >>> import numpy as np
        >>> s = np.array([[0.9, 0.8, 0.1], [0.1, 0.2, 0.3]])
        >>> float(mrr(s, np.array([[0, 1, 0], [0, 0, 1]])))
        0.75
    """
    return _one(
        _plain(_reciprocal_rank),
        scores,
        relevance,
        k=k,
        indexes=indexes,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


def ndcg_at_k(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    indexes: Array | None = None,
    gain: Gain = "linear",
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Normalised DCG@k: :math:`\mathrm{DCG}_k / \mathrm{IDCG}_k` with
    :math:`\mathrm{DCG}_k = \sum_{r=1}^{k} g(\mathrm{rel}_r) / \log_2(r + 1)` and IDCG the DCG of
    the ideal ordering. ``gain="linear"``: :math:`g(x) = x` (scikit-learn, torchmetrics,
    trec_eval, the default); ``"exponential"``: :math:`g(x) = 2^x - 1` (rax, TF-Ranking).
    Graded relevance is used as is; negative relevance counts as given.

    Peers: ``torchmetrics.functional.retrieval.retrieval_normalized_dcg(top_k=k)`` and
    ``sklearn.metrics.ndcg_score(k=k)`` on tie-free scores (both average ties instead);
    trec_eval's ``ndcg_cut_k``. An infinite relevance gives NaN for its query (inf/inf), as a
    NaN one does.
    Forms: ``scores`` and ``relevance`` of shape ``(Q, M)`` (``k`` in ``[1, M]``, default M), or
    with ``indexes`` all three of shape ``(N,)``, ``indexes`` the integer query id of each item
    (eager only; ``(Q,)`` results in ascending id order; see the module docstring).

    Args:
        scores: ``(Q, M)`` floating scores of each query's M candidates, or ``(N,)`` with
            ``indexes`` (the flat form).
        relevance: ``scores``' shape: relevance labels (boolean, integer or floating; > 0 is
            relevant; graded for nDCG).
        k: the cutoff, in ``[1, M]`` in the dense form, any ``>= 1`` in the flat form. Default
            ``None``: all candidates.
        indexes: optional ``(N,)`` integer query id of each item (the flat form, eager only).
            Default ``None``: the dense ``(Q, M)`` form.
        gain: ``"linear"`` (default, :math:`g(x) = x`, as scikit-learn, torchmetrics and
            trec_eval) or ``"exponential"`` (:math:`g(x) = 2^x - 1`, as rax and TF-Ranking).
        empty_target_action: the value of a query with no relevant candidate: ``"neg"`` (default,
            0, torchmetrics'), ``"pos"`` (1), ``"skip"`` (left out of the mean) or ``"error"``.
        reduction: ``"mean"`` (default: the mean over queries) or ``"none"`` (per query).

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``, ``(Q,)`` per query (in
        ascending id order in the flat form) for ``reduction="none"``.

    References:
        - K. Järvelin and J. Kekäläinen (2002), "Cumulated gain-based evaluation of IR techniques",
          ACM Transactions on Information Systems 20(4). DOI 10.1145/582415.582418.
        - Peer implementations followed: torchmetrics ``retrieval_normalized_dcg`` and
          trec_eval ``ndcg_cut_k``.

    Example:
        >>> import numpy as np
        >>> round(float(ndcg_at_k(np.array([[0.9, 0.8, 0.1]]), np.array([[0, 1, 1]]))), 6)
        0.693426
    """
    check_option("gain", gain, options(Gain))
    return _one(
        lambda r: _ndcg(r, gain),
        scores,
        relevance,
        k=k,
        indexes=indexes,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


@renamed(denominator="map_denominator")
def map_at_k(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    indexes: Array | None = None,
    map_denominator: MapDenominator = "hits",
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Mean average precision@k: per query, the sum over the relevant candidates ranked in
    the top k of the precision at each one's rank, divided by ``map_denominator`` (the
    name :func:`retrieval_metrics` gives it too):

    * ``"hits"`` (default): the number of relevant candidates in the top k
      (torchmetrics' ``retrieval_average_precision(top_k=k)``; 0 if none is there);
    * ``"min_k_relevant"``: :math:`\min(k, R)`, R the query's number of relevant candidates
      (the AP@k of many recommender-system libraries: a perfect top k scores 1);
    * ``"relevant"``: R (trec_eval's ``map_cut_k``; ``k = M``: trec_eval's ``map``).

    In plain text: ``AP@k = sum_(r <= k) rel_r * P@r / D``, ``D`` the denominator.

    .. math:: \mathrm{AP@k} = \frac{1}{D} \sum_{r=1}^{k} \mathrm{rel}_r\, \mathrm{P@r}

    Peers: torchmetrics (``"hits"``), trec_eval ``map_cut_k`` (``"relevant"``).
    Forms: ``scores`` and ``relevance`` of shape ``(Q, M)`` (``k`` in ``[1, M]``, default M), or
    with ``indexes`` all three of shape ``(N,)``, ``indexes`` the integer query id of each item
    (eager only; ``(Q,)`` results in ascending id order; see the module docstring).

    Args:
        scores: ``(Q, M)`` floating scores of each query's M candidates, or ``(N,)`` with
            ``indexes`` (the flat form).
        relevance: ``scores``' shape: relevance labels (boolean, integer or floating; > 0 is
            relevant).
        k: the cutoff, in ``[1, M]`` in the dense form, any ``>= 1`` in the flat form. Default
            ``None``: all candidates.
        indexes: optional ``(N,)`` integer query id of each item (the flat form, eager only).
            Default ``None``: the dense ``(Q, M)`` form.
        map_denominator: ``"hits"`` (default, torchmetrics'), ``"min_k_relevant"`` or
            ``"relevant"`` (trec_eval's), see above.
        empty_target_action: the value of a query with no relevant candidate: ``"neg"`` (default,
            0, torchmetrics'), ``"pos"`` (1), ``"skip"`` (left out of the mean) or ``"error"``.
        reduction: ``"mean"`` (default: the mean over queries) or ``"none"`` (per query).

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``, ``(Q,)`` per query (in
        ascending id order in the flat form) for ``reduction="none"``.

    References:
        - C. D. Manning, P. Raghavan and H. Schütze (2008), "Introduction to Information
          Retrieval", Cambridge University Press, ch. 8 (evaluation).
        - Peer implementations followed: torchmetrics ``retrieval_average_precision`` and
          trec_eval ``map_cut_k``.

    Example:
        >>> import numpy as np
        >>> s, rel = np.array([[0.9, 0.8, 0.7, 0.1]]), np.array([[1, 0, 1, 1]])
        >>> round(float(map_at_k(s, rel, k=3)), 6)
        0.833333
        >>> round(float(map_at_k(s, rel, k=3, map_denominator="relevant")), 6)
        0.555556
    """
    check_option("map_denominator", map_denominator, options(MapDenominator))
    return _one(
        _plain(lambda r: _average_precision(r, map_denominator)),
        scores,
        relevance,
        k=k,
        indexes=indexes,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


# ---------------------------------------------------------------------------------------------
# Ranked ids and qrels


def _rank_ids(
    ranked_ids: Array,
    qrel_ids: Array,
    qrel_grades: Array | None,
    *,
    k: Any,
    invalid: Array | None,
    empty_target_action: Any,
    reduction: Any,
) -> _Ranked:
    """The ranking of ``ranked_ids`` judged by the qrels, in the dense form's representation."""
    xp = namespace(
        ranked_ids=ranked_ids, qrel_ids=qrel_ids, qrel_grades=qrel_grades, invalid=invalid
    )
    check_kind(xp, "ranked_ids", ranked_ids, ("integral",), must="be an integer array")
    check_kind(xp, "qrel_ids", qrel_ids, ("integral",), must="be an integer array")
    if ranked_ids.ndim != 2:
        raise ValueError(f"ranked_ids must have shape (Q, K); got {tuple(ranked_ids.shape)}")
    q, width = ranked_ids.shape
    if qrel_ids.ndim != 2 or qrel_ids.shape[0] != q:
        raise ValueError(
            f"qrel_ids must have shape (Q, R) with Q = {q} (the rows of ranked_ids); got "
            f"{tuple(qrel_ids.shape)}"
        )
    if width == 0:
        raise ValueError(
            f"ranked_ids must hold at least one id per query; got shape {tuple(ranked_ids.shape)}"
        )
    k = width if k is None else bounded_integer("k", k, low=1, high=width, bound="the ranked ids")
    _check_common(empty_target_action, reduction)
    if qrel_grades is None:
        out_dtype = dtype = default_float(xp, ranked_ids)
        grades = xp.ones(qrel_ids.shape, dtype=dtype, device=device_of(qrel_ids))
    else:
        if tuple(qrel_grades.shape) != tuple(qrel_ids.shape):
            raise ValueError(
                f"qrel_grades must have the shape of qrel_ids {tuple(qrel_ids.shape)}; got "
                f"{tuple(qrel_grades.shape)}"
            )
        check_kind(
            xp,
            "qrel_grades",
            qrel_grades,
            ("real floating", "integral", "bool"),
            must="be real or boolean",
        )
        if xp.isdtype(qrel_grades.dtype, "real floating"):
            out_dtype, dtype = compute_dtype(xp, qrel_grades, "qrel_grades")
        else:
            out_dtype = dtype = default_float(xp, ranked_ids)
        grades = as_dtype(xp, qrel_grades, dtype)
    if invalid is not None:
        if tuple(invalid.shape) != (q,):
            raise ValueError(f"invalid must have shape ({q},); got {tuple(invalid.shape)}")
        check_kind(xp, "invalid", invalid, ("bool",), must="be a boolean array")
    judged = qrel_ids >= 0
    for name, ids in (("qrel_ids", qrel_ids), ("ranked_ids", ranked_ids)):
        if ids.shape[1] > 1:  # eager only: a repeated id would count twice (recall > 1)
            ordered = xp.sort(ids, axis=1)
            duplicate = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
            check_values(xp, ~duplicate, f"{name} must not repeat an id within a query")
    # a grade <= 0 (or a padding id) is judged non-relevant; NaN stays, to mark the query
    grades = xp.where(judged & ~(grades <= 0), grades, xp.zeros_like(grades))
    ideal = xp.sort(grades, axis=1, descending=True)
    if ideal.shape[1] < k:
        pad = xp.zeros((q, k - ideal.shape[1]), dtype=dtype, device=device_of(grades))
        ideal = xp.concat([ideal, pad], axis=1)
    # (Q, K, R): memory Q*K*R
    match = (ranked_ids[:, :, None] == qrel_ids[:, None, :]) & (ranked_ids[:, :, None] >= 0)
    relevance = xp.sum(
        xp.where(match, grades[:, None, :], xp.zeros_like(grades[:, None, :])), axis=2
    )
    nan_given = xp.zeros((q,), dtype=xp.bool, device=device_of(ranked_ids))
    if invalid is not None:
        nan_given = invalid
    ideal, bad, infinite = _mark(xp, ideal, nan_given, empty_target_action)
    relevance = xp.where(bad[:, None], xp.zeros_like(relevance), relevance)
    return _Ranked(xp, relevance, ideal, bad, infinite, k, k, out_dtype)


def retrieval_metrics(
    ranked_ids: Array,
    qrel_ids: Array,
    *,
    qrel_grades: Array | None = None,
    k: int | None = None,
    metrics: Iterable[RetrievalMetric] | None = None,
    gain: Gain = "linear",
    map_denominator: MapDenominator = "hits",
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
    invalid: Array | None = None,
) -> dict[str, Array]:
    r"""The retrieval metrics of a ranking given as ids, judged by per-query relevant ids
    (qrels), as an IR evaluator (trec_eval) takes them: e.g. the output of a top-k search.

    ``ranked_ids`` ``(Q, K)`` integer: each query's retrieved document ids, best first; an id
    ``< 0`` is an empty slot, never relevant. ``qrel_ids`` ``(Q, R)`` integer: each query's
    judged ids, padded with negative ids; ``qrel_grades`` ``(Q, R)``: their graded relevance
    (default 1 for every real qrel id). A qrel with grade ``<= 0`` is judged non-relevant. The
    relevance of a ranked id is its grade in the query's qrels (0 if absent), and R (recall's
    and MAP's denominators, the ideal ordering of nDCG) comes from the qrels, whether or not the
    relevant ids were retrieved. An id repeated within a query's qrels is a ``ValueError``
    (eager mode; under ``jax.jit`` its grades would add up), and so is an id repeated within
    a query's ranked ids (eager mode; under ``jax.jit`` it would count twice), as a top-k
    search never returns.

    Every row is a query: one with no ranked id (all slots empty) still counts, with its
    relevant qrels unretrieved (trec_eval's ``-c``; without it trec_eval leaves out the queries
    absent from the run, and pytrec_eval returns nothing for them). A negative grade gains 0
    in nDCG, as in trec_eval.

    ``k`` (default K, at most K) is the cutoff of every metric (MRR included: ``k=None`` is
    trec_eval's ``recip_rank`` over the K ranked ids). Precision divides by k even where slots
    are empty. ``metrics`` selects the keys among ``"recall"``, ``"precision"``,
    ``"hit_rate"``, ``"mrr"``, ``"ndcg"``, ``"map"`` (default all), each as the function of the
    same name (``recall_at_k``, ...) with ``gain`` for nDCG and ``map_denominator`` for MAP.
    ``invalid`` ``(Q,)`` bool marks queries whose results are NaN (a search that saw a NaN
    score, ``TopK.invalid``); a NaN grade makes its query NaN too.

    The results have ``qrel_grades``' floating dtype, else the namespace's default floating
    dtype (float32 on torch). ``retrieval_metrics`` runs under ``jax.jit`` and
    ``torch.compile`` (the duplicate-qrel check then does not run).

    When ``ranked_ids`` is the full ranking of a score matrix (descending, ties by index) and
    the qrels list the relevant candidates, every value equals the dense metric's. Memory:
    the ``(Q, K, R)`` comparison of ranked ids with qrel ids.

    Peers: trec_eval (``pytrec_eval``) ``recall_k``, ``P_k``, ``success_k``, ``recip_rank``,
    ``ndcg_cut_k``, ``map_cut_k`` (``map_denominator="relevant"``); torchmetrics (see each
    metric).

    Args:
        ranked_ids: ``(Q, K)`` integer: each query's retrieved document ids, best first; an id
            ``< 0`` is an empty slot.
        qrel_ids: ``(Q, R)`` integer: each query's judged ids, padded with negative ids.
        qrel_grades: optional ``(Q, R)`` graded relevance of the qrels (``<= 0``: non-relevant).
            Default ``None``: 1 for every real qrel id.
        k: the cutoff of every metric, at most K. Default ``None``: K.
        metrics: the keys to compute among ``"recall"``, ``"precision"``, ``"hit_rate"``,
            ``"mrr"``, ``"ndcg"``, ``"map"``. Default ``None``: all six.
        gain: nDCG's gain, ``"linear"`` (default) or ``"exponential"``, as :func:`ndcg_at_k`.
        map_denominator: MAP's denominator, ``"hits"`` (default), ``"min_k_relevant"`` or
            ``"relevant"`` (trec_eval's), as :func:`map_at_k`.
        empty_target_action: the value of a query with no relevant qrel: ``"neg"`` (default, 0),
            ``"pos"`` (1), ``"skip"`` (left out of the mean) or ``"error"``.
        reduction: ``"mean"`` (default: the mean over queries) or ``"none"`` (per query).
        invalid: optional ``(Q,)`` boolean, queries whose results are NaN (``TopK.invalid``).
            Default ``None``.

    Returns:
        A dict from metric name to value, each a 0-d array (``"mean"``) or ``(Q,)`` (``"none"``) in
        ``qrel_grades``' floating dtype, else the namespace's default floating dtype.

    References:
        - C. D. Manning, P. Raghavan and H. Schütze (2008), "Introduction to Information
          Retrieval", Cambridge University Press, ch. 8 (evaluation).
        - nDCG: K. Järvelin and J. Kekäläinen (2002), "Cumulated gain-based evaluation of IR
          techniques", ACM Transactions on Information Systems 20(4). DOI 10.1145/582415.582418.
        - Peer implementation followed: trec_eval (``pytrec_eval``) with ``-c``.

    Example:
        >>> import numpy as np
        >>> ranked = np.array([[4, 7, 1], [2, -1, -1]])
        >>> qrels = np.array([[7, 9], [5, -1]])
        >>> out = retrieval_metrics(ranked, qrels, k=2, metrics=["recall", "mrr"], reduction="none")
        >>> {name: v.tolist() for name, v in out.items()}
        {'recall': [0.5, 0.0], 'mrr': [0.5, 0.0]}
    """
    names = list(
        METRIC_NAMES if metrics is None else ([metrics] if isinstance(metrics, str) else metrics)
    )
    if not names:
        raise ValueError("metrics must name at least one metric; got none")
    for name in names:
        check_option("metrics", name, METRIC_NAMES)
    check_option("gain", gain, options(Gain))
    check_option("map_denominator", map_denominator, options(MapDenominator))
    r = _rank_ids(
        ranked_ids,
        qrel_ids,
        qrel_grades,
        k=k,
        invalid=invalid,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )
    bodies = {
        "recall": _plain(_recall),
        "precision": _plain(_precision),
        "hit_rate": _plain(_hit_rate),
        "mrr": _plain(_reciprocal_rank),
        "ndcg": lambda r: _ndcg(r, gain),
        "map": _plain(lambda r: _average_precision(r, map_denominator)),
    }
    out = {}
    for name in names:
        ranked, per_query = bodies[name](r)
        out[name] = _finish(
            ranked, per_query, empty_target_action=empty_target_action, reduction=reduction
        )
    return out


# ---------------------------------------------------------------------------------------------
# Wave 3: R-precision and (unnormalised) DCG


def _r_precision(r: _Ranked) -> Array:
    """The fraction of relevant candidates among the query's top R, R its number of relevant
    candidates (0 for R = 0: the empty-query rule decides it)."""
    xp = r.xp
    hits = xp.astype(r.relevance > 0, r.relevance.dtype)
    ranks = xp.arange(1, hits.shape[1] + 1, dtype=hits.dtype, device=device_of(hits))
    count = _num_relevant(r)
    within = xp.astype(ranks[None, :] <= count[:, None], hits.dtype)
    return safe_divide(xp, xp.sum(hits * within, axis=1), count)


def r_precision(
    scores: Array,
    relevance: Array,
    *,
    indexes: Array | None = None,
    empty_target_action: EmptyTargetAction = "neg",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""R-precision: the fraction of relevant candidates among a query's top R, R the query's
    number of relevant candidates (``relevance > 0``).

    .. math:: \mathrm{RPrec} = \frac{1}{R} \sum_{r=1}^{R} [\mathrm{rel}_r > 0]

    In plain text: ``(number of relevant candidates in the top R) / R``.

    Ties are broken by candidate index (a stable descending sort), as every retrieval metric
    here: ``s = [.5, .5, .9, .1]``, ``rel = [0, 1, 1, 0]`` ranks 2, 0, 1, 3 and gives 0.5 (the
    other tie order would read 1). A query with R = 0 gets ``empty_target_action``. Peers:
    torchmetrics ``retrieval_r_precision(scores_q, relevance_q > 0)`` per query (float32; 0 for
    an empty query; an unstable ``argsort`` among ties) and trec_eval ``Rprec`` (ties by docno,
    descending), both equal on tie-free scores. A query with a NaN score or relevance gives
    NaN, whatever ``empty_target_action``; an empty batch gives NaN.
    Forms: ``scores`` and ``relevance`` of shape ``(Q, M)``, or with ``indexes`` all three of
    shape ``(N,)``, ``indexes`` the integer query id of each item (eager only; ``(Q,)``
    results in ascending id order; see the module docstring).

    Args:
        scores: ``(Q, M)`` floating scores of each query's M candidates, or ``(N,)`` with
            ``indexes`` (the flat form).
        relevance: ``scores``' shape: relevance labels (boolean, integer or floating; > 0 is
            relevant).
        indexes: optional ``(N,)`` integer query id of each item (the flat form, eager only).
            Default ``None``: the dense ``(Q, M)`` form.
        empty_target_action: the value of a query with no relevant candidate: ``"neg"`` (default,
            0, torchmetrics'), ``"pos"`` (1), ``"skip"`` (left out of the mean) or ``"error"``.
        reduction: ``"mean"`` (default: the mean over queries) or ``"none"`` (per query).

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``, ``(Q,)`` per query (in
        ascending id order in the flat form) for ``reduction="none"``.

    References:
        - C. Buckley and E. M. Voorhees (2000), "Evaluating evaluation measure stability",
          SIGIR 2000 (R-precision among the TREC measures).
        - Peer implementations followed: torchmetrics ``retrieval_r_precision`` and trec_eval
          ``Rprec``.

    Example:
        >>> import numpy as np
        >>> float(r_precision(np.array([[0.5, 0.5, 0.9, 0.1]]), np.array([[0, 1, 1, 0]])))
        0.5
    """
    return _one(
        _plain(_r_precision),
        scores,
        relevance,
        k=None,
        indexes=indexes,
        empty_target_action=empty_target_action,
        reduction=reduction,
    )


def dcg_at_k(
    scores: Array,
    relevance: Array,
    *,
    k: int | None = None,
    indexes: Array | None = None,
    gain: Gain = "linear",
    reduction: RetrievalReduction = "mean",
) -> Array:
    r"""Discounted cumulative gain at k, without normalisation.

    .. math:: \mathrm{DCG}_k = \sum_{r=1}^{k} \frac{g(\mathrm{rel}_r)}{\log_2(r + 1)}

    In plain text: ``sum over ranks r <= k of g(rel_r) / log2(r + 1)``, ``g(x) = x``
    (``gain="linear"``, default) or ``2^x - 1`` (``"exponential"``). Forms, the range of ``k``
    and the tie rule (by candidate index) are :func:`ndcg_at_k`'s; negative relevance counts as
    given. No ``empty_target_action``: a query without a relevant candidate has DCG 0 (or its
    negative gains), which is defined (sklearn and rax count it).

    Peers: ``sklearn.metrics.dcg_score(relevance, scores, k=k)``, equal on tie-free scores
    (sklearn averages the gains of tied scores by default; ``ignore_ties=True`` uses a
    reversed unstable sort): ``s = [.9, .5, .5, .1]``, ``rel = [0, 2, 1, 3]`` gives
    ``2/log2 3 + 1/2 + 3/log2 5`` = 3.0539 here and in rax, 2.9884 in sklearn (the spec's
    2.5269 and 2.4548 were miscomputed; these were run). rax
    ``dcg_metric(scores, relevance, topn=k, gain_fn=lambda r: r)`` (linear) or its default
    ``gain_fn`` (exponential) is equal including ties (a stable sort by index). A query with a
    NaN score or relevance gives NaN; an empty batch gives NaN.

    Args:
        scores: ``(Q, M)`` floating scores of each query's M candidates, or ``(N,)`` with
            ``indexes`` (the flat form).
        relevance: ``scores``' shape: graded relevance (boolean, integer or floating).
        k: the cutoff, in ``[1, M]`` in the dense form, any ``>= 1`` in the flat form. Default
            ``None``: all candidates.
        indexes: optional ``(N,)`` integer query id of each item (the flat form, eager only).
            Default ``None``: the dense ``(Q, M)`` form.
        gain: ``"linear"`` (default, :math:`g(x) = x`, as scikit-learn) or ``"exponential"``
            (:math:`g(x) = 2^x - 1`, as rax's default).
        reduction: ``"mean"`` (default: the mean over queries) or ``"none"`` (per query).

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``, ``(Q,)`` per query (in
        ascending id order in the flat form) for ``reduction="none"``.

    References:
        - K. Järvelin and J. Kekäläinen (2002), "Cumulated gain-based evaluation of IR techniques",
          ACM Transactions on Information Systems 20(4). DOI 10.1145/582415.582418.
        - Peer implementations followed: ``sklearn.metrics.dcg_score`` and rax ``dcg_metric``.

    Example:
        >>> import numpy as np
        >>> s, rel = np.array([[0.9, 0.5, 0.5, 0.1]]), np.array([[0, 2, 1, 3]])
        >>> round(float(dcg_at_k(s, rel)), 4)  # 2/log2(3) + 1/2 + 3/log2(5)
        3.0539
    """
    chosen = check_option("gain", gain, options(Gain))
    r = _rank(
        scores, relevance, k=k, indexes=indexes, empty_target_action="neg", reduction=reduction
    )
    xp = r.xp
    top = r.relevance[:, : r.k]
    if chosen == "exponential":
        top = xp.expm1(top * LOG_2)
    dcg = xp.sum(top * _discounts(xp, top, r.k), axis=1)
    dcg = xp.where(r.invalid, xp.full_like(dcg, math.nan), dcg)
    if reduction == "none":
        return finalize(xp, dcg, r.out_dtype)
    return finalize(xp, mean_or_nan(xp, dcg, None), r.out_dtype)


# ---------------------------------------------------------------------------------------------
# Wave 3: grouped AUC (GAUC), per user

_GAUC_TILE = 1 << 22
"""Elements of one tile of GAUC's within-user pair comparisons (users x M x M)."""


def _user_auc(xp: Namespace, s: Array, t: Array, real: Array) -> tuple[Array, Array, Array]:
    """``(U-statistic, positives, negatives)`` per user of ``(U, M)`` scores, 0/1 targets and
    the mask of real items: the Mann-Whitney count of (positive, negative) pairs ranked right,
    ties counted half. Pairwise within each user, in tiles of users (memory ``O(M²)`` per
    tile, fixed shapes)."""
    u, m = s.shape
    pos = (t == 1) & real
    neg = (t == 0) & real
    dtype = s.dtype
    rows = max(1, _GAUC_TILE // max(1, m * m))
    parts = []
    for start in range(0, u, rows):
        # every axis indexed and the stop in bounds (the standard specifies no other form)
        tile = (slice(start, min(start + rows, u)), slice(None))
        si, pi, ni = s[tile], pos[tile], neg[tile]
        above = xp.astype(si[:, :, None] > si[:, None, :], dtype)
        tied = xp.astype(si[:, :, None] == si[:, None, :], dtype)
        pairs = xp.astype(pi[:, :, None] & ni[:, None, :], dtype)
        parts.append(xp.sum(xp.sum(pairs * (above + tied / 2), axis=2), axis=1))
    zero = xp.zeros((0,), dtype=dtype, device=device_of(s))
    statistic = xp.concat(parts) if parts else zero
    return statistic, xp.sum(xp.astype(pos, dtype), axis=1), xp.sum(xp.astype(neg, dtype), axis=1)


def gauc(
    scores: Array,
    target: Array,
    *,
    indexes: Array | None = None,
    weighting: GaucWeighting = "impressions",
) -> Array:
    r"""Grouped AUC: the weighted mean of each user's ROC AUC, over the users with at least
    one positive and one negative.

    .. math:: \mathrm{GAUC} = \frac{\sum_u w_u \mathrm{AUC}_u}{\sum_u w_u}

    In plain text: ``sum_u w_u AUC_u / sum_u w_u``. ``AUC_u`` is the Mann-Whitney AUC of the
    user's rows, tied scores counted half (as :func:`roc_auc`; RecBole's average ranks). A user
    with a single class is left out (RecBole's code, torchrec's uAUC). ``weighting``:
    ``"impressions"`` (default: ``w_u`` the user's number of rows, the DIN paper's formula),
    ``"clicks"`` (its number of positives, RecBole's ``GAUC``) or ``"uniform"`` (1, DIN's
    released code, zhougr1993/DeepInterestNetwork#71, and torchrec's uAUC): the weighting is
    the known disagreement between the peers. torchrec's uAUC also leaves out users whose
    scores are all tied; we count them, with AUC 1/2.

    Forms: dense ``(U, M)``, one row per user, every item real (``jax.jit``-able); or flat
    ``(N,)`` with ``indexes`` (a user id per row; eager only, as the retrieval flat form).
    Within-user pairs are compared in tiles of users: ``O(M²)`` time per user. Labels other
    than 0/1 raise ``ValueError`` in eager mode (under ``jax.jit`` the result is NaN). A NaN
    score or label anywhere gives NaN, even in a user who would be left out. No qualifying
    user, or an empty batch, gives NaN. No peer library computes it; RecBole's formula is the
    by-definition reference of the tests.

    Args:
        scores: ``(U, M)`` floating scores, one row per user, or ``(N,)`` with ``indexes``.
        target: ``scores``' shape: 0/1 labels (integer, floating or boolean).
        indexes: optional ``(N,)`` integer user id of each row (the flat form, eager only).
            Default ``None``: the dense ``(U, M)`` form.
        weighting: ``"impressions"`` (default), ``"clicks"`` or ``"uniform"``.

    Returns:
        A 0-d array in ``scores``' floating dtype.

    References:
        - G. Zhou et al. (2018), "Deep Interest Network for Click-Through Rate Prediction",
          KDD 2018. arXiv:1706.06978.
        - Peer implementation followed: RecBole ``GAUC`` (``recbole.evaluator.metrics``).

    Example:
        >>> import numpy as np
        >>> s = np.array([0.9, 0.2, 0.6, 0.1, 0.8, 0.3, 0.5, 0.7])
        >>> y = np.array([1, 0, 1, 0, 1, 0, 0, 1])
        >>> ids = np.array([1, 1, 1, 1, 2, 2, 2, 3])
        >>> float(gauc(s, y, indexes=ids))  # user 1: AUC 1 (4 rows), user 2: 1 (3), 3: left out
        1.0
    """
    xp, total, weight, out_dtype = gauc_sums(scores, target, indexes=indexes, weighting=weighting)
    return finalize(xp, divide_or_nan(xp, total, weight), out_dtype)


def gauc_sums(
    scores: Array, target: Array, *, indexes: Array | None, weighting: Any
) -> tuple[Namespace, Array, Array, Any]:
    """``(xp, Σ_u w_u AUC_u, Σ_u w_u, out_dtype)`` over the qualifying users (the sum NaN
    where a score or label is NaN, or, under ``jax.jit``, a label is not 0/1): :func:`gauc`
    and its streaming form."""
    chosen = check_option("weighting", weighting, options(GaucWeighting))
    xp, out_dtype, dtype = prepare(
        "scores", scores, reduction=NO_REDUCTION, target=target, indexes=indexes
    )
    ndim = 2 if indexes is None else 1
    if scores.ndim != ndim:
        shape = "(U, M)" if indexes is None else "(N,) with indexes="
        raise ValueError(f"scores must have shape {shape}; got {tuple(scores.shape)}")
    if tuple(target.shape) != tuple(scores.shape):
        raise ValueError(
            f"target must have the shape of scores {tuple(scores.shape)}; got {tuple(target.shape)}"
        )
    check_kind(
        xp, "target", target, ("real floating", "integral", "bool"), must="be real or boolean"
    )
    s = as_dtype(xp, scores, dtype)
    t = as_dtype(xp, target, dtype)
    binary = (t == 0) | (t == 1)
    check_values(xp, binary | xp.isnan(t), "target must hold 0/1 labels")
    invalid = xp.any(xp.isnan(s)) | ~xp.all(binary)  # NaN labels are not binary
    if indexes is None:
        real = xp.ones(s.shape, dtype=xp.bool, device=device_of(s))
    else:
        if tuple(indexes.shape) != tuple(scores.shape):
            raise ValueError(
                f"indexes must have the shape of scores {tuple(scores.shape)}; got "
                f"{tuple(indexes.shape)}"
            )
        check_kind(xp, "indexes", indexes, ("integral",), must="be an integer array")
        s, t, counts = _group(xp, s, t, indexes, None)
        cols = xp.arange(s.shape[1], dtype=counts.dtype, device=device_of(s))
        real = cols[None, :] < counts[:, None]
    statistic, positives, negatives = _user_auc(xp, s, t, real)
    qualifies = (positives > 0) & (negatives > 0)
    auc = safe_divide(xp, statistic, positives * negatives)
    if chosen == "impressions":
        w = positives + negatives
    elif chosen == "clicks":
        w = positives
    else:
        w = xp.ones_like(positives)
    w = xp.where(qualifies, w, xp.zeros_like(w))
    total = xp.sum(w * auc)
    return xp, xp.where(invalid, xp.full_like(total, math.nan), total), xp.sum(w), out_dtype
