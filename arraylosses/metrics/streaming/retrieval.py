"""Streaming retrieval metrics over batches of queries: each batch is a score matrix
``(B, M)`` and its relevance ``(B, M)``, one row per query, complete (a query's candidates
all in one row). The state is the running sum of the per-query values of the one-shot
metric (:mod:`arraylosses.metrics.retrieval`) and the number of queries counted, so memory
is ``O(1)`` whatever the number of queries; torchmetrics' ``Retrieval*`` metrics keep every
(query, score, target) triple instead.

A query split over several batches is not supported (it would need every score of the
query kept): for ragged query groups, or a corpus that does not fit, rank first
(:func:`arraylosses.metrics.top_k_search`) and score the ranking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..._backend import Array, as_dtype
from ..._validate import check_option, integer, options, renamed
from ...typing import EmptyTargetAction, Gain, GaucWeighting, MapDenominator
from .. import retrieval as oneshot
from ._core import MeanState, StreamingMetric, check_mask, masked, mean_of, state_space, zeros

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
]


@dataclass(frozen=True)
class _QueryMean(StreamingMetric):
    """The mean over queries of a one-shot retrieval metric's per-query values."""

    metric: Callable[..., Array]
    empty_target_action: str = "neg"
    hyper: tuple[tuple[str, Any], ...] = ()
    sample_weighted = False

    def __post_init__(self) -> None:
        check_option("empty_target_action", self.empty_target_action, options(EmptyTargetAction))
        hyper = dict(self.hyper)
        if hyper.get("k") is not None:
            integer("k", hyper["k"], low=1)
        if "gain" in hyper:
            check_option("gain", hyper["gain"], options(Gain))
        if "map_denominator" in hyper:
            check_option("map_denominator", hyper["map_denominator"], options(MapDenominator))

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> MeanState:
        space = state_space(like, dtype, device)
        return MeanState(zeros(space), zeros(space))

    def update(
        self,
        state: MeanState,
        scores: Array,
        relevance: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> MeanState:
        """One batch of queries; ``mask`` ``(B,)`` flags the queries to count."""
        self._no_weight(sample_weight)
        space = self._space_of(state)
        xp = space.xp
        check_mask(xp, mask, scores.shape[0] if scores.ndim else -1)
        # masked-out queries get relevance 1 everywhere: finite, and not "empty" (an "error"
        # action must not fire on padding)
        scores, relevance = masked(xp, scores, mask), masked(xp, relevance, mask, fill=1)
        skip = self.empty_target_action == "skip"
        values = self.metric(
            scores,
            relevance,
            empty_target_action="neg" if skip else self.empty_target_action,
            reduction="none",
            **dict(self.hyper),
        )
        values = as_dtype(xp, values, space.dtype)
        counted = xp.ones(values.shape, dtype=xp.bool, device=space.device)
        if skip:  # a query without a relevant candidate is left out, unless its value is NaN
            counted = xp.any(as_dtype(xp, relevance, space.dtype) > 0, axis=1) | xp.isnan(values)
        if mask is not None:
            counted = counted & mask
        zero = xp.zeros_like(values)
        total = xp.sum(xp.where(counted, values, zero))
        return self.merge(state, MeanState(total, xp.sum(xp.astype(counted, space.dtype))))

    def compute(self, state: MeanState) -> Array:
        """The mean over the counted queries (NaN if none was)."""
        return mean_of(self._space_of(state).xp, state)


def recall_at_k(
    *, k: int | None = None, empty_target_action: EmptyTargetAction = "neg"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.recall_at_k` over batches of queries.

    Args:
        k: the cutoff, in ``[1, M]`` for batches of ``(Q, M)`` candidates. Default ``None``: all
            candidates.
        empty_target_action: ``"neg"`` (default), ``"pos"``, ``"skip"`` or ``"error"``, as the
            one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState`` of the per-query values; ``compute`` gives the mean over queries, a 0-d
        array.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.recall_at_k`.

    Example:
        >>> import numpy as np
        >>> m = recall_at_k(k=2)
        >>> s = m.update(m.init(np), np.array([[0.9, 0.8, 0.1, 0.5]]), np.array([[1, 0, 1, 0]]))
        >>> float(m.compute(m.update(s, np.array([[0.1, 0.9]]), np.array([[0, 1]]))))
        0.75
    """
    return _QueryMean(oneshot.recall_at_k, empty_target_action, (("k", k),))


def precision_at_k(
    *, k: int | None = None, empty_target_action: EmptyTargetAction = "neg"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.precision_at_k` over batches of queries.

    Args:
        k: the cutoff, in ``[1, M]`` for batches of ``(Q, M)`` candidates. Default ``None``: all
            candidates.
        empty_target_action: ``"neg"`` (default), ``"pos"``, ``"skip"`` or ``"error"``, as the
            one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState`` of the per-query values; ``compute`` gives the mean over queries, a 0-d
        array.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.precision_at_k`.

    Example:
        >>> import numpy as np
        >>> m = precision_at_k(k=2)
        >>> s = m.update(m.init(np), np.array([[0.9, 0.8, 0.1]]), np.array([[1, 0, 1]]))
        >>> float(m.compute(s))
        0.5
    """
    return _QueryMean(oneshot.precision_at_k, empty_target_action, (("k", k),))


def hit_rate_at_k(
    *, k: int | None = None, empty_target_action: EmptyTargetAction = "neg"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.hit_rate_at_k` over batches of queries.

    Args:
        k: the cutoff, in ``[1, M]`` for batches of ``(Q, M)`` candidates. Default ``None``: all
            candidates.
        empty_target_action: ``"neg"`` (default), ``"pos"``, ``"skip"`` or ``"error"``, as the
            one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState`` of the per-query values; ``compute`` gives the mean over queries, a 0-d
        array.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.hit_rate_at_k`.

    Example:
        >>> import numpy as np
        >>> m = hit_rate_at_k(k=1)
        >>> s = m.update(m.init(np), np.array([[0.9, 0.8], [0.1, 0.2]]), np.array([[0, 1], [0, 1]]))
        >>> float(m.compute(s))
        0.5
    """
    return _QueryMean(oneshot.hit_rate_at_k, empty_target_action, (("k", k),))


def mrr(*, k: int | None = None, empty_target_action: EmptyTargetAction = "neg") -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.mrr` over batches of queries.

    Args:
        k: the cutoff, in ``[1, M]`` for batches of ``(Q, M)`` candidates. Default ``None``: all
            candidates.
        empty_target_action: ``"neg"`` (default), ``"pos"``, ``"skip"`` or ``"error"``, as the
            one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState`` of the per-query values; ``compute`` gives the mean over queries, a 0-d
        array.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.mrr`.

    Example:
        >>> import numpy as np
        >>> m = mrr()
        >>> s = m.update(m.init(np), np.array([[0.9, 0.8, 0.1]]), np.array([[0, 1, 0]]))
        >>> float(m.compute(m.update(s, np.array([[0.1, 0.2, 0.3]]), np.array([[0, 0, 1]]))))
        0.75
    """
    return _QueryMean(oneshot.mrr, empty_target_action, (("k", k),))


def ndcg_at_k(
    *,
    k: int | None = None,
    gain: Any = "linear",
    empty_target_action: EmptyTargetAction = "neg",
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.ndcg_at_k` over batches of queries.

    Args:
        k: the cutoff, in ``[1, M]`` for batches of ``(Q, M)`` candidates. Default ``None``: all
            candidates.
        gain: ``"linear"`` (default) or ``"exponential"``, as the one-shot metric.
        empty_target_action: ``"neg"`` (default), ``"pos"``, ``"skip"`` or ``"error"``, as the
            one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState`` of the per-query values; ``compute`` gives the mean over queries, a 0-d
        array.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.ndcg_at_k`.

    Example:
        >>> import numpy as np
        >>> m = ndcg_at_k()
        >>> s = m.update(m.init(np), np.array([[0.9, 0.8, 0.1]]), np.array([[0, 1, 1]]))
        >>> round(float(m.compute(s)), 6)
        0.693426
    """
    return _QueryMean(oneshot.ndcg_at_k, empty_target_action, (("k", k), ("gain", gain)))


@renamed(denominator="map_denominator")
def map_at_k(
    *,
    k: int | None = None,
    map_denominator: MapDenominator = "hits",
    empty_target_action: EmptyTargetAction = "neg",
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.map_at_k` over batches of queries;
    ``map_denominator`` as there (``"hits"``, torchmetrics'; ``"min_k_relevant"``;
    ``"relevant"``, trec_eval's ``map_cut``).

    Args:
        k: the cutoff, in ``[1, M]`` for batches of ``(Q, M)`` candidates. Default ``None``: all
            candidates.
        map_denominator: ``"hits"`` (default), ``"min_k_relevant"`` or ``"relevant"``.
        empty_target_action: ``"neg"`` (default), ``"pos"``, ``"skip"`` or ``"error"``, as the
            one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState`` of the per-query values; ``compute`` gives the mean over queries, a 0-d
        array.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.map_at_k`.

    Example:
        >>> import numpy as np
        >>> m = map_at_k()
        >>> s = m.update(m.init(np), np.array([[0.9, 0.8, 0.7, 0.1]]), np.array([[1, 0, 1, 0]]))
        >>> round(float(m.compute(s)), 12)
        0.833333333333
    """
    return _QueryMean(
        oneshot.map_at_k, empty_target_action, (("k", k), ("map_denominator", map_denominator))
    )


# ---------------------------------------------------------------------------------------------
# Wave 3: R-precision, DCG, GAUC


def r_precision(*, empty_target_action: EmptyTargetAction = "neg") -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.r_precision` over batches of complete queries.

    Args:
        empty_target_action: ``"neg"`` (default), ``"pos"``, ``"skip"`` or ``"error"``, as the
            one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState`` of the per-query values; ``compute`` gives the mean over queries, a 0-d
        array.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.r_precision`.

    Example:
        >>> import numpy as np
        >>> m = r_precision()
        >>> s = m.update(m.init(np), np.array([[0.5, 0.5, 0.9, 0.1]]), np.array([[0, 1, 1, 0]]))
        >>> float(m.compute(m.update(s, np.array([[0.1, 0.9]]), np.array([[0, 1]]))))
        0.75
    """
    return _QueryMean(oneshot.r_precision, empty_target_action)


def _dcg_rows(
    scores: Array, relevance: Array, *, empty_target_action: Any, reduction: Any, **hyper: Any
) -> Array:
    """:func:`arraylosses.metrics.dcg_at_k` per query (it has no empty-query rule: DCG 0 is
    defined), in the call shape of :class:`_QueryMean`."""
    return oneshot.dcg_at_k(scores, relevance, reduction=reduction, **hyper)


def dcg_at_k(*, k: int | None = None, gain: Gain = "linear") -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.dcg_at_k` over batches of complete queries.

    Args:
        k: the cutoff, in ``[1, M]`` for batches of ``(Q, M)`` candidates. Default ``None``: all
            candidates.
        gain: ``"linear"`` (default) or ``"exponential"``, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState`` of the per-query values; ``compute`` gives the mean over queries, a 0-d
        array.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.dcg_at_k`.

    Example:
        >>> import numpy as np
        >>> m = dcg_at_k(k=2)
        >>> s = m.update(m.init(np), np.array([[0.9, 0.8, 0.1]]), np.array([[1, 0, 3]]))
        >>> float(m.compute(m.update(s, np.array([[0.1, 0.9]]), np.array([[0, 1]]))))
        1.0
    """
    return _QueryMean(_dcg_rows, "neg", (("k", k), ("gain", gain)))


@dataclass(frozen=True)
class _GroupedAUC(StreamingMetric):
    """GAUC over batches of complete users: ``MeanState`` of ``Σ w_u AUC_u`` and ``Σ w_u``."""

    weighting: str = "impressions"
    sample_weighted = False

    def __post_init__(self) -> None:
        check_option("weighting", self.weighting, options(GaucWeighting))

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> MeanState:
        space = state_space(like, dtype, device)
        return MeanState(zeros(space), zeros(space))

    def update(
        self,
        state: MeanState,
        scores: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> MeanState:
        """One batch of users (rows); ``mask`` ``(B,)`` flags the users to count (a masked
        user's row is zeroed: a single class, left out)."""
        self._no_weight(sample_weight)
        space = self._space_of(state)
        xp = space.xp
        check_mask(xp, mask, scores.shape[0] if scores.ndim else -1)
        scores, target = masked(xp, scores, mask), masked(xp, target, mask)
        _, total, weight, _ = oneshot.gauc_sums(
            scores, target, indexes=None, weighting=self.weighting
        )
        batch = MeanState(as_dtype(xp, total, space.dtype), as_dtype(xp, weight, space.dtype))
        return self.merge(state, batch)

    def compute(self, state: MeanState) -> Array:
        """``Σ w_u AUC_u / Σ w_u`` (NaN if no user qualified)."""
        return mean_of(self._space_of(state).xp, state)


def gauc(*, weighting: GaucWeighting = "impressions") -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.gauc` over batches of complete users (dense rows,
    ``mask`` per user): state ``MeanState`` of ``Σ w_u AUC_u`` and ``Σ w_u``, merged by adding.
    A user split over two batches is not supported, as for retrieval queries.

    Args:
        weighting: ``"impressions"`` (default), ``"clicks"`` or ``"uniform"``, as the one-shot
            metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.gauc`.

    Example:
        >>> import numpy as np
        >>> m = gauc()
        >>> s = m.update(m.init(np), np.array([[0.9, 0.2, 0.6, 0.1]]), np.array([[1, 0, 0, 1]]))
        >>> float(m.compute(m.update(s, np.array([[0.8, 0.3]]), np.array([[1, 0]]))))
        0.6666666666666666
    """
    return _GroupedAUC(weighting)
