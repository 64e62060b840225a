"""Streaming binned ranking curves: average precision, the precision-recall curve and the ROC
curve over per-bin weighted label totals (the exact forms need every score: they do not stream
in bounded memory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..._backend import Array, as_dtype
from .. import ranking_curves as oneshot
from ..classification import roc_thresholds
from ._core import StreamingMetric, check_mask, masked, row_weights, state_space, zeros

__all__ = ["BinnedCurveState", "average_precision", "precision_recall_curve", "roc_curve"]


class BinnedCurveState(NamedTuple):
    """Per-bin weighted totals ``(T + 1,)`` of the positives and the negatives (bin ``b``: the
    scores with exactly ``b`` thresholds at or below them), and ``invalid`` (0-d), the number of
    batches that held a counted row whose score, label or weight was NaN (or, under jit, a label
    other than 0/1). Merged by adding."""

    positive: Array
    negative: Array
    invalid: Array


@dataclass(frozen=True)
class _BinnedCurve(StreamingMetric):
    thresholds: tuple[float, ...] = field(default=())
    curve: str = "ap"  # "ap", "pr" or "roc": what compute returns

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> BinnedCurveState:
        space = state_space(like, dtype, device)
        bins = (len(self.thresholds) + 1,)
        return BinnedCurveState(zeros(space, bins), zeros(space, bins), zeros(space))

    def update(
        self,
        state: BinnedCurveState,
        scores: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> BinnedCurveState:
        space = self._space_of(state)
        xp = space.xp
        check_mask(xp, mask, scores.shape[0] if scores.ndim else -1)
        scores, target = masked(xp, scores, mask), masked(xp, target, mask)
        w = None
        if sample_weight is not None or mask is not None:
            w = row_weights(space, tuple(scores.shape[:1]), sample_weight, mask)
        b = oneshot.weighted_bins(scores, target, thresholds=self.thresholds, sample_weight=w)
        batch = BinnedCurveState(
            as_dtype(xp, b.positive, space.dtype),
            as_dtype(xp, b.negative, space.dtype),
            as_dtype(xp, b.invalid, space.dtype),
        )
        return self.merge(state, batch)

    def compute(self, state: BinnedCurveState) -> Any:
        space = self._space_of(state)
        xp, dtype = space.xp, space.dtype
        invalid = state.invalid > 0
        if self.curve == "ap":
            return oneshot.ap_from_bins(xp, state.positive, state.negative, invalid, dtype)
        t = oneshot.threshold_array(xp, self.thresholds, dtype, space.device)
        curve = oneshot.pr_from_bins if self.curve == "pr" else oneshot.roc_from_bins
        return curve(xp, state.positive, state.negative, t, invalid, dtype)


def average_precision(*, thresholds: Any) -> StreamingMetric:
    """Streaming binned :func:`arraylosses.metrics.average_precision` (the exact AP needs every
    score). State :class:`BinnedCurveState`, ``O(T)`` memory; ``compute`` equals
    ``average_precision(all_scores, all_target, thresholds=thresholds, sample_weight=...)``.

    Args:
        thresholds: an int ``T >= 2`` (``T`` evenly spaced thresholds in [0, 1]) or a strictly
            increasing sequence of finite thresholds. Required: the exact AP cannot stream.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`BinnedCurveState`; ``compute`` gives the binned AP, a 0-d array.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.average_precision`.

    Example:
        >>> import numpy as np
        >>> m = average_precision(thresholds=[0.2, 0.5, 0.8])
        >>> s = m.update(m.init(np), np.array([0.1, 0.3]), np.array([1, 0]))
        >>> float(m.compute(m.update(s, np.array([0.6, 0.9]), np.array([1, 0]))))
        0.5
    """
    return _BinnedCurve(roc_thresholds(thresholds), "ap")


def precision_recall_curve(*, thresholds: Any) -> StreamingMetric:
    """Streaming binned :func:`arraylosses.metrics.precision_recall_curve`. State
    :class:`BinnedCurveState`; ``compute`` returns ``(precision (T+1,), recall (T+1,),
    thresholds (T,))``, equal to the one-shot binned curve of all the rows.

    Args:
        thresholds: an int ``T >= 2`` (``T`` evenly spaced thresholds in [0, 1]) or a strictly
            increasing sequence of finite thresholds. Required: the exact curve cannot stream.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`BinnedCurveState`; ``compute`` gives the binned curve.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.precision_recall_curve`.

    Example:
        >>> import numpy as np
        >>> m = precision_recall_curve(thresholds=[0.5])
        >>> s = m.update(m.init(np), np.array([0.2, 0.7]), np.array([0, 1]))
        >>> [v.tolist() for v in m.compute(s)]
        [[1.0, 1.0], [1.0, 0.0], [0.5]]
    """
    return _BinnedCurve(roc_thresholds(thresholds), "pr")


def roc_curve(*, thresholds: Any) -> StreamingMetric:
    """Streaming binned :func:`arraylosses.metrics.roc_curve`. State
    :class:`BinnedCurveState`; ``compute`` returns ``(fpr, tpr, thresholds)``, each ``(T,)``,
    thresholds descending, equal to the one-shot binned curve of all the rows.

    Args:
        thresholds: an int ``T >= 2`` (``T`` evenly spaced thresholds in [0, 1]) or a strictly
            increasing sequence of finite thresholds. Required: the exact curve cannot stream.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`BinnedCurveState`; ``compute`` gives the binned curve.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.roc_curve`.

    Example:
        >>> import numpy as np
        >>> m = roc_curve(thresholds=3)
        >>> s = m.update(m.init(np), np.array([0.2, 0.7]), np.array([0, 1]))
        >>> [v.tolist() for v in m.compute(s)]
        [[0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 0.5, 0.0]]
    """
    return _BinnedCurve(roc_thresholds(thresholds), "roc")
