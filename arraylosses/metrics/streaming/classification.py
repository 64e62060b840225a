"""Streaming classification and similarity metrics: running weighted means of the one-shot
metrics' per-sample values (accuracy, top-k accuracy, log loss, cosine similarity), summed
per-class counts (precision / recall / F1), and per-bin label counts (binned ROC AUC)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..._backend import Array, as_dtype
from ..._ops import divide_or_nan
from ..._validate import check_option, integer, options, renamed
from ...typing import Average
from .. import classification as oneshot
from ..similarity import cosine_rows
from ._core import (
    MeanState,
    StreamingMetric,
    check_mask,
    masked,
    mean_of,
    row_weights,
    rows_counted,
    state_space,
    zeros,
)

__all__ = [
    "ConfusionState",
    "ROCState",
    "accuracy",
    "log_loss",
    "mean_cosine_similarity",
    "precision_recall_f1",
    "roc_auc",
    "top_k_accuracy",
]


def _cosine(pred: Array, target: Array, *, sample_weight: Any, **hyper: Any) -> Any:
    xp, cos, out_dtype = cosine_rows(pred, target, sample_weight=sample_weight, **hyper)
    return oneshot.Rows(xp, cos, out_dtype)


@dataclass(frozen=True)
class _RowMean(StreamingMetric):
    """A running weighted mean of a one-shot metric's per-sample values: ``rows(data,
    target, sample_weight=..., **hyper)`` returns them (:class:`~..classification.Rows`).
    The subclasses below name ``update``'s data argument as the one-shot metric does."""

    rows: Callable[..., Any]
    hyper: tuple[tuple[str, Any], ...] = ()

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> MeanState:
        space = state_space(like, dtype, device)
        return MeanState(zeros(space), zeros(space))

    def _update(
        self, state: MeanState, data: Array, target: Array, sample_weight: Any, mask: Any
    ) -> MeanState:
        space = self._space_of(state)
        xp = space.xp
        check_mask(xp, mask, data.shape[0] if data.ndim else -1)
        axis = dict(self.hyper).get("axis")
        if mask is not None and axis is not None and data.ndim > 1 and axis % data.ndim == 0:
            raise ValueError(
                f"mask flags rows along the first axis, which is the embedding axis here "
                f"(axis={axis}); put the embedding axis last to stream with a mask"
            )
        data, target = masked(xp, data, mask), masked(xp, target, mask)
        r = self.rows(data, target, sample_weight=sample_weight, **dict(self.hyper))
        values = as_dtype(xp, r.values, space.dtype)
        w = row_weights(space, tuple(values.shape), sample_weight, mask)
        # masked-out rows were replaced by zeros: their values are finite, their weight is 0
        return self.merge(state, MeanState(xp.sum(w * values), xp.sum(w)))

    def compute(self, state: MeanState) -> Array:
        return mean_of(self._space_of(state).xp, state)


class _PredRowMean(_RowMean):
    @renamed(preds="pred")
    def update(
        self,
        state: MeanState,
        pred: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> MeanState:
        return self._update(state, pred, target, sample_weight, mask)


class _ScoresRowMean(_RowMean):
    @renamed(preds="scores")
    def update(
        self,
        state: MeanState,
        scores: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> MeanState:
        return self._update(state, scores, target, sample_weight, mask)


class _ProbsRowMean(_RowMean):
    @renamed(preds="probs")
    def update(
        self,
        state: MeanState,
        probs: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> MeanState:
        return self._update(state, probs, target, sample_weight, mask)


def accuracy() -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.accuracy` (``MeanState`` of the per-sample 0/1).

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array in the state's floating dtype.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.accuracy`.

    Example:
        >>> import numpy as np
        >>> m = accuracy()
        >>> s = m.update(m.init(np), np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1]))
        >>> float(m.compute(m.update(s, np.array([[0.3, 0.7]]), np.array([1]))))
        0.6666666666666666
    """
    return _PredRowMean(oneshot.accuracy_rows)


def top_k_accuracy(*, k: int) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.top_k_accuracy` (ties as there).

    Args:
        k: the number of top classes that count as a hit, ``>= 1`` (at most C, checked at
            ``update``).

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array, in the state's floating dtype.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.top_k_accuracy`.

    Example:
        >>> import numpy as np
        >>> m = top_k_accuracy(k=2)
        >>> s = m.update(m.init(np), np.array([[0.5, 0.2, 0.3]]), np.array([2]))
        >>> float(m.compute(m.update(s, np.array([[0.1, 0.2, 0.7]]), np.array([0]))))
        0.5
    """
    return _ScoresRowMean(oneshot.top_k_rows, (("k", integer("k", k, low=1)),))


def log_loss() -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.log_loss` (clipping at the machine epsilon of each
    batch's dtype, as there).

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array in the state's floating dtype.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.log_loss`.

    Example:
        >>> import numpy as np, math
        >>> m = log_loss()
        >>> s = m.update(m.init(np), np.array([0.8]), np.array([1]))
        >>> s = m.update(s, np.array([0.4]), np.array([0]))
        >>> math.isclose(float(m.compute(s)), -(math.log(0.8) + math.log(0.6)) / 2)
        True
    """
    return _ProbsRowMean(oneshot.log_loss_rows)


def mean_cosine_similarity(*, axis: int = -1, eps: float = 1e-8) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.mean_cosine_similarity` (``mask`` flags rows
    along the first axis, so it needs the embedding ``axis`` to be another one).

    Args:
        axis: the embedding axis. Default ``-1``.
        eps: the floor of each norm, ``> 0``. Default ``1e-8``, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array, in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.mean_cosine_similarity`.

    Example:
        >>> import numpy as np
        >>> m = mean_cosine_similarity()
        >>> s = m.update(m.init(np), np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]))
        >>> float(m.compute(m.update(s, np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))))
        0.5
    """
    return _PredRowMean(_cosine, (("axis", axis), ("eps", eps)))


class ConfusionState(NamedTuple):
    """Per-class weighted counts ``(C,)``: true positives, predicted, support; and ``count``,
    the samples counted (integer)."""

    tp: Array
    predicted: Array
    support: Array
    count: Array


@dataclass(frozen=True)
class _PrecisionRecallF1(StreamingMetric):
    num_classes: int
    average: str = "micro"

    def __post_init__(self) -> None:
        object.__setattr__(self, "num_classes", integer("num_classes", self.num_classes, low=1))
        check_option("average", self.average, options(Average))

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> ConfusionState:
        space = state_space(like, dtype, device)
        c = (self.num_classes,)
        return ConfusionState(
            zeros(space, c), zeros(space, c), zeros(space, c), zeros(space, integer=True)
        )

    def update(
        self,
        state: ConfusionState,
        pred: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> ConfusionState:
        space = self._space_of(state)
        xp = space.xp
        check_mask(xp, mask, target.shape[0] if target.ndim else -1)
        pred, target = masked(xp, pred, mask), masked(xp, target, mask)
        w = row_weights(space, tuple(target.shape), sample_weight, mask)
        c = oneshot.confusion_counts(pred, target, num_classes=self.num_classes, sample_weight=w)
        per_row = math.prod(target.shape[1:])
        count = rows_counted(space, target.shape[0], mask) * per_row
        tp, predicted, support = (
            as_dtype(xp, v, space.dtype) for v in (c.tp, c.predicted, c.support)
        )
        batch = ConfusionState(tp, predicted, support, count)
        return self.merge(state, batch)

    def compute(self, state: ConfusionState) -> tuple[Array, Array, Array]:
        xp = self._space_of(state).xp
        return oneshot.precision_recall_f1_from_counts(
            xp,
            state.tp,
            state.predicted,
            state.support,
            average=self.average,
            empty=state.count == 0,
            out_dtype=state.tp.dtype,
        )


def precision_recall_f1(*, num_classes: int, average: Average = "micro") -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.precision_recall_f1`: state
    :class:`ConfusionState`; ``compute`` returns ``(precision, recall, f1)``.

    Args:
        num_classes: the number of classes C, an int ``>= 1``.
        average: ``"micro"`` (default), ``"macro"`` or ``"weighted"``, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`ConfusionState`; ``compute`` gives the tuple ``(precision, recall, f1)`` of 0-d
        arrays.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.precision_recall_f1`.

    Example:
        >>> import numpy as np
        >>> m = precision_recall_f1(num_classes=2, average="macro")
        >>> s = m.update(m.init(np), np.array([0, 1]), np.array([0, 1]))
        >>> p, r, f = m.compute(m.update(s, np.array([1]), np.array([0])))
        >>> float(p), float(r), round(float(f), 6)
        (0.75, 0.75, 0.666667)
    """
    return _PrecisionRecallF1(num_classes, average)


class ROCState(NamedTuple):
    """Per-bin label counts ``(T + 1,)`` (integers) and ``invalid`` (0-d, in the state's
    floating dtype, which is the result's), the number of counted batches holding a row whose
    score or label was NaN (or, under jit, a label other than 0/1)."""

    positive: Array
    negative: Array
    invalid: Array


@dataclass(frozen=True)
class _BinnedROC(StreamingMetric):
    thresholds: tuple[float, ...] = field(default=())
    sample_weighted = False

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> ROCState:
        space = state_space(like, dtype, device)
        bins = (len(self.thresholds) + 1,)
        return ROCState(
            zeros(space, bins, integer=True),
            zeros(space, bins, integer=True),
            zeros(space),
        )

    def update(
        self,
        state: ROCState,
        scores: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> ROCState:
        self._no_weight(sample_weight)
        xp = self._space_of(state).xp
        check_mask(xp, mask, scores.shape[0] if scores.ndim else -1)
        scores, target = masked(xp, scores, mask), masked(xp, target, mask)
        b = oneshot.binned_roc_counts(scores, target, thresholds=self.thresholds, include=mask)
        batch = ROCState(
            as_dtype(xp, b.positive, state.positive.dtype),
            as_dtype(xp, b.negative, state.negative.dtype),
            as_dtype(xp, b.invalid, state.invalid.dtype),
        )
        return self.merge(state, batch)

    def compute(self, state: ROCState) -> Array:
        space = self._float_space(state)
        return oneshot.auc_from_bins(
            space[0], state.positive, state.negative, state.invalid > 0, space[1]
        )

    def error_bound(self, state: ROCState) -> Array:
        r"""The largest possible gap between ``compute(state)`` and the exact AUC of the same
        scores: half the fraction of (positive, negative) pairs that share a bin,
        :math:`\frac{1}{2} \sum_b n_{+b} n_{-b} / (n_+ n_-)` (exact pairs in one bin score
        anything in [0, 1]; the binned AUC counts each 1/2). NaN for a single class."""
        xp, dtype = self._float_space(state)
        pos = xp.astype(state.positive, dtype)
        neg = xp.astype(state.negative, dtype)
        bound = divide_or_nan(xp, xp.sum(pos * neg) / 2, xp.sum(pos) * xp.sum(neg))
        # a stream that saw a NaN score has a NaN AUC: no bound either
        return xp.where(state.invalid > 0, xp.full_like(bound, math.nan), bound)

    def _float_space(self, state: ROCState) -> tuple[Any, Any]:
        """The namespace and the floating dtype of results (the namespace's default)."""
        space = self._space_of(state)
        return space.xp, space.dtype


def roc_auc(*, thresholds: Any) -> StreamingMetric:
    r"""Streaming binned :func:`arraylosses.metrics.roc_auc` (the exact AUC needs every
    score: it cannot stream in bounded memory). ``thresholds``: an int ``T >= 2`` (``T``
    evenly spaced values in [0, 1], as torchmetrics) or an increasing sequence. State
    :class:`ROCState`: integer label counts per bin, ``O(T)`` memory whatever the stream's
    length. ``compute`` equals ``roc_auc(all_scores, all_target, thresholds=thresholds)``;
    ``error_bound(state)`` bounds its distance to the exact AUC from the counts alone.

    Args:
        thresholds: an int ``T >= 2`` (``T`` evenly spaced thresholds in [0, 1]) or a strictly
            increasing sequence of finite thresholds. Required: the exact AUC cannot stream.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`ROCState`; ``compute`` gives the binned AUC, a 0-d array; ``error_bound(state)``
        its bound.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.roc_auc`.

    Example:
        >>> import numpy as np
        >>> m = roc_auc(thresholds=[0.2, 0.5])
        >>> s = m.update(m.init(np), np.array([0.1, 0.4]), np.array([0, 0]))
        >>> s = m.update(s, np.array([0.35, 0.8]), np.array([1, 1]))
        >>> float(m.compute(s)), float(m.error_bound(s))
        (0.875, 0.125)
    """
    return _BinnedROC(oneshot.roc_thresholds(thresholds))
