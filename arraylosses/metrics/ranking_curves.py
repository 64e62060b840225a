"""Binary ranking curves and their summary: average precision, the precision-recall curve and
the ROC curve, each exact (``thresholds=None``) or binned (``thresholds=T`` or a sequence, the
fixed-shape form that streams: :mod:`arraylosses.metrics.streaming`).

Conventions shared by the three (docs/spec.md, "Metrics, wave 3"):

* ``scores`` ``(N,)`` floating, higher meaning more likely positive; ``target`` ``(N,)`` 0/1
  (integer, boolean or floating; other labels raise in eager mode, give NaN under ``jax.jit``);
  ``sample_weight`` ``(N,)`` optional.
* Tied scores are one threshold (scikit-learn's step function).
* Binned: ``thresholds`` an int ``T >= 2`` (``j / (T - 1)``, ``j = 0..T-1``) or a strictly
  increasing finite sequence, exactly as :func:`arraylosses.metrics.roc_auc`; a score's bin is
  the number of thresholds at or below it (``T + 1`` bins), and a threshold ``t_j`` predicts
  positive every score ``>= t_j``.
* A NaN score, label or weight makes every value NaN (a curve's appended constant point and
  its thresholds excepted); a ratio of nothing (no positive, no negative) is NaN.
* The exact curves have a data-dependent length: they run eagerly only, and under tracing
  raise a ``ValueError`` naming ``thresholds=``, the fixed-shape form.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .._backend import (
    Array,
    Namespace,
    as_dtype,
    data_dependent_shapes,
    device_of,
    finalize,
    is_eager,
)
from .._ops import divide_or_nan, safe_divide
from .._validate import (
    NO_REDUCTION,
    check_kind,
    check_sample_weight_shape,
    check_values,
    prepare,
    sample_weighted,
)
from ._bins import bin_sums, suffix_sums
from .classification import roc_thresholds

__all__ = ["average_precision", "precision_recall_curve", "roc_curve"]


class Binary(NamedTuple):
    """Validated binary inputs in the compute dtype: the scores, the weights of each row as a
    positive and as a negative (``w·y`` and ``w·(1 - y)``), and ``invalid`` (0-d): whether a
    score, label or weight is NaN, or (under jit) a label is not 0/1."""

    xp: Namespace
    scores: Array
    positive: Array
    negative: Array
    invalid: Array
    out_dtype: Any
    dtype: Any


def binary_inputs(scores: Array, target: Array, *, sample_weight: Array | None) -> Binary:
    """Validate ``(scores, target, sample_weight)`` of the binary curves."""
    xp, out_dtype, dtype = prepare(
        "scores", scores, reduction=NO_REDUCTION, target=target, sample_weight=sample_weight
    )
    check_kind(
        xp, "target", target, ("integral", "bool", "real floating"), must="hold binary labels"
    )
    if scores.ndim != 1 or tuple(target.shape) != tuple(scores.shape):
        raise ValueError(
            f"scores and target must have the same shape (N,); got "
            f"{tuple(scores.shape)} and {tuple(target.shape)}"
        )
    check_sample_weight_shape(xp, sample_weight, tuple(scores.shape))
    s = as_dtype(xp, scores, dtype)
    y = as_dtype(xp, target, dtype)
    binary = (y == 0) | (y == 1)
    # NaN passes (it propagates)
    check_values(xp, binary | xp.isnan(y), "target must hold binary labels 0/1")
    bad = xp.isnan(s) | ~binary
    if sample_weight is None:
        w = xp.ones_like(s)
    else:
        w = as_dtype(xp, sample_weight, dtype)
        bad = bad | xp.isnan(w)
    # a bad row counts in no sum (0, not NaN: a NaN in a cumulative sum would be partial);
    # `invalid` makes the whole result NaN
    yz = xp.where(binary, y, xp.zeros_like(y))
    wz = xp.where(bad, xp.zeros_like(w), w)
    return Binary(xp, s, wz * yz, wz * (1 - yz), xp.any(bad), out_dtype, dtype)


def _nan_where(xp: Namespace, x: Array, invalid: Array) -> Array:
    return xp.where(invalid, xp.full_like(x, math.nan), x)


def _at_or_above(xp: Namespace, b: Binary, t: Array) -> tuple[Array, Array]:
    """The weighted positives and negatives with a score ``>= t``, for each entry of ``t``:
    a sort of ``-scores`` and prefix sums (no subtraction of large totals)."""
    down = xp.argsort(-b.scores, stable=True)
    ordered = xp.take(-b.scores, down)
    pos = xp.cumulative_sum(xp.take(b.positive, down), include_initial=True)
    neg = xp.cumulative_sum(xp.take(b.negative, down), include_initial=True)
    count = xp.searchsorted(ordered, -t, side="right")  # #{s >= t}
    return xp.take(pos, count), xp.take(neg, count)


class WeightedBins(NamedTuple):
    """Per-bin weighted positive and negative totals ``(T + 1,)`` of the binned curves, the
    thresholds ``(T,)`` ascending, and ``invalid`` (0-d bool)."""

    xp: Namespace
    positive: Array
    negative: Array
    thresholds: Array
    invalid: Array
    out_dtype: Any


def weighted_bins(
    scores: Array,
    target: Array,
    *,
    thresholds: tuple[float, ...],
    sample_weight: Array | None,
) -> WeightedBins:
    """Validate, then sum the weights of the positives and negatives per bin (a bad row counts
    in no bin and sets ``invalid``)."""
    b = binary_inputs(scores, target, sample_weight=sample_weight)
    xp = b.xp
    t = threshold_array(xp, thresholds, b.dtype, device_of(b.scores))
    bins = xp.searchsorted(t, b.scores, side="right")  # #{j: t_j <= s}
    positive, negative = bin_sums(xp, bins, len(thresholds) + 1, b.positive, b.negative)
    return WeightedBins(xp, positive, negative, t, b.invalid, b.out_dtype)


def threshold_array(xp: Namespace, thresholds: tuple[float, ...], dtype: Any, device: Any) -> Array:
    """The thresholds as a ``(T,)`` array (a host copy of ``T`` numbers, as ``roc_auc``)."""
    return xp.asarray(thresholds, dtype=dtype, device=device)


def _work_dtype(xp: Namespace, out_dtype: Any) -> Any:
    return xp.float32 if xp.finfo(out_dtype).bits < 32 else out_dtype


def ap_from_bins(
    xp: Namespace, positive: Array, negative: Array, invalid: Array, out_dtype: Any
) -> Array:
    r"""The exact AP of the bins: :math:`\sum_b n_{+b} P_b / n_+`, :math:`P_b` the weighted
    precision of predicting every bin ``>= b`` positive; NaN without a positive and where
    ``invalid``."""
    dtype = _work_dtype(xp, out_dtype)
    pos, neg = as_dtype(xp, positive, dtype), as_dtype(xp, negative, dtype)
    tp, fp = suffix_sums(xp, pos)[:-1], suffix_sums(xp, neg)[:-1]
    precision = safe_divide(xp, tp, tp + fp)  # 0/0 only in a bin of no weight
    ap = divide_or_nan(xp, xp.sum(pos * precision), xp.sum(pos))
    return finalize(xp, _nan_where(xp, ap, invalid), out_dtype)


def _rates_at_thresholds(
    xp: Namespace, positive: Array, negative: Array, dtype: Any
) -> tuple[Array, Array]:
    """``(tp, fp)`` ``(T,)``: the weights at or above each threshold ``t_j`` (bins ``> j``)."""
    pos, neg = as_dtype(xp, positive, dtype), as_dtype(xp, negative, dtype)
    return suffix_sums(xp, pos)[1:-1], suffix_sums(xp, neg)[1:-1]


def pr_from_bins(
    xp: Namespace,
    positive: Array,
    negative: Array,
    thresholds: Array,
    invalid: Array,
    out_dtype: Any,
) -> tuple[Array, Array, Array]:
    """The binned precision-recall curve ``(precision (T+1,), recall (T+1,), thresholds
    (T,))`` from the per-bin totals; precision 1 where nothing is predicted positive."""
    dtype = _work_dtype(xp, out_dtype)
    tp, fp = _rates_at_thresholds(xp, positive, negative, dtype)
    predicted = tp + fp
    precision = xp.where(predicted == 0, xp.ones_like(tp), safe_divide(xp, tp, predicted))
    recall = divide_or_nan(xp, tp, xp.sum(as_dtype(xp, positive, dtype)))
    return _pr_curve(xp, precision, recall, thresholds, invalid, out_dtype)


def _pr_curve(
    xp: Namespace,
    precision: Array,
    recall: Array,
    thresholds: Array,
    invalid: Array,
    out_dtype: Any,
) -> tuple[Array, Array, Array]:
    """Append the point (precision 1, recall 0); NaN elsewhere where ``invalid``."""
    one = xp.ones((1,), dtype=precision.dtype, device=device_of(precision))
    precision = xp.concat([_nan_where(xp, precision, invalid), one])
    recall = xp.concat([_nan_where(xp, recall, invalid), xp.zeros_like(one)])
    return tuple(finalize(xp, v, out_dtype) for v in (precision, recall, thresholds))


def roc_from_bins(
    xp: Namespace,
    positive: Array,
    negative: Array,
    thresholds: Array,
    invalid: Array,
    out_dtype: Any,
) -> tuple[Array, Array, Array]:
    """The binned ROC curve ``(fpr, tpr, thresholds)``, each ``(T,)``, thresholds descending."""
    dtype = _work_dtype(xp, out_dtype)
    tp, fp = _rates_at_thresholds(xp, positive, negative, dtype)
    tpr = divide_or_nan(xp, tp, xp.sum(as_dtype(xp, positive, dtype)))
    fpr = divide_or_nan(xp, fp, xp.sum(as_dtype(xp, negative, dtype)))
    return tuple(
        finalize(xp, xp.flip(v), out_dtype)
        for v in (_nan_where(xp, fpr, invalid), _nan_where(xp, tpr, invalid), thresholds)
    )


def _eager_only(xp: Namespace, x: Array, name: str) -> None:
    if not is_eager(xp, x) or not data_dependent_shapes(xp):
        raise ValueError(
            f"{name} with thresholds=None (the exact curve) runs eagerly only: its length is "
            f"the number of distinct scores (not under jax.jit, vmap or torch.compile, nor "
            f"where the library has no data-dependent shapes); pass "
            f"thresholds= (an int T or a sequence) for the fixed-shape binned curve"
        )


def _distinct_scores(b: Binary, sample_weight: Array | None) -> Array:
    """The distinct scores of the rows of nonzero weight, ascending (eager: data-dependent)."""
    xp = b.xp
    s = b.scores
    if sample_weight is not None:
        s = s[as_dtype(xp, sample_weight, b.dtype) != 0]
    return xp.sort(xp.unique_values(s))


@sample_weighted
def average_precision(
    scores: Array,
    target: Array,
    *,
    thresholds: Any = None,
    sample_weight: Array | None = None,
) -> Array:
    r"""Average precision: the step-function sum over the distinct score values, descending,

    .. math:: \mathrm{AP} = \sum_n (R_n - R_{n-1})\, P_n

    In plain text: ``AP = Σ_n (R_n − R_{n−1}) · P_n``, with ``P_n`` and ``R_n`` the weighted
    precision and recall of predicting positive every score ``>= s_n``. Tied scores are one
    threshold. No interpolation (not PASCAL's 11-point AP) and no trapezoid (not
    ``auc(recall, precision)``). Computed as :math:`\sum_i w_i y_i P(s_i) / \sum_i w_i y_i`:
    one sort and one search, fixed shapes, ``jax.jit``-able.

    ``thresholds`` gives the **binned** AP: each score is replaced by its bin (the number of
    thresholds ``<= s``, ``T + 1`` bins) and the exact AP of the bins is returned, so the curve
    always reaches recall 1 (bin 0 is its last step).

    Peers: ``sklearn.metrics.average_precision_score(target, scores, sample_weight=w)``
    (equal) and torchmetrics ``binary_average_precision(scores, target)`` (equal to its
    float32 rounding, ties included). Where they differ from us:

    * no positive in ``target``: scikit-learn gives 0.0 (with a warning), torchmetrics -0.0;
      the recall is 0/0, so ours is NaN (as ``roc_auc`` for one class); an empty batch gives
      NaN (both peers raise ``IndexError``);
    * binned, a score below the first threshold: torchmetrics
      ``binary_average_precision(thresholds=T)`` never predicts it positive (thresholds
      ``[.2, .5, .8]``, scores ``[.1, .3, .6, .9]``, target ``[1, 0, 1, 0]``: 0.25); ours
      counts bin 0 as the last step to recall 1 (0.5). With an int ``T`` and scores in [0, 1]
      the two agree. torchmetrics applies a sigmoid to scores outside [0, 1]; we do not.

    Args:
        scores: ``(N,)`` floating scores, higher meaning more likely positive.
        target: ``(N,)`` binary labels, 0/1 (integer, boolean or floating).
        thresholds: ``None`` (default: the exact AP), an int ``T >= 2`` (``T`` evenly spaced
            thresholds in [0, 1]) or a strictly increasing sequence of finite thresholds (the
            binned AP).
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).

    Returns:
        A 0-d array of ``scores``' floating dtype, in [0, 1]; NaN without a positive (or an
        empty batch, or a NaN input).

    References:
        - M. Zhu (2004), "Recall, precision and average precision", University of Waterloo
          working paper 2004-09 (the step-function AP).
        - Peer implementations followed: ``sklearn.metrics.average_precision_score`` (exact)
          and torchmetrics ``binary_average_precision`` (binned).

    Example:
        >>> import numpy as np
        >>> s = np.array([0.9, 0.5, 0.5, 0.5, 0.2, 0.2, 0.1])
        >>> y = np.array([1, 0, 1, 1, 0, 1, 0])
        >>> float(average_precision(s, y)) == 19 / 24
        True
    """
    if thresholds is not None:
        wb = weighted_bins(
            scores, target, thresholds=roc_thresholds(thresholds), sample_weight=sample_weight
        )
        return ap_from_bins(wb.xp, wb.positive, wb.negative, wb.invalid, wb.out_dtype)
    b = binary_inputs(scores, target, sample_weight=sample_weight)
    xp = b.xp
    # the sum over rows in descending score order: the search keys are then sorted, which
    # keeps searchsorted's memory access sequential (random keys made it ~3x the sort at 1e6)
    down = xp.argsort(-b.scores, stable=True)
    ordered = xp.take(-b.scores, down)
    positive = xp.take(b.positive, down)
    pos = xp.cumulative_sum(positive, include_initial=True)
    neg = xp.cumulative_sum(xp.take(b.negative, down), include_initial=True)
    count = xp.searchsorted(ordered, ordered, side="right")  # #{s >= s_i}
    tp, fp = xp.take(pos, count), xp.take(neg, count)
    precision = safe_divide(xp, tp, tp + fp)  # 0/0 only for a row of no weight
    ap = divide_or_nan(xp, xp.sum(positive * precision), xp.sum(b.positive))
    return finalize(xp, _nan_where(xp, ap, b.invalid), b.out_dtype)


@sample_weighted
def precision_recall_curve(
    scores: Array,
    target: Array,
    *,
    thresholds: Any = None,
    sample_weight: Array | None = None,
) -> tuple[Array, Array, Array]:
    r"""The precision-recall curve ``(precision, recall, thresholds)``, thresholds ascending.

    ``precision[i]`` and ``recall[i]`` are those of predicting positive every score
    ``>= thresholds[i]``: :math:`P = TP / (TP + FP)`, :math:`R = TP / n_+` (weighted). One
    last point (precision 1, recall 0) is appended, so ``precision`` and ``recall`` have one
    more entry than ``thresholds``.

    * Exact (``thresholds=None``, eager only): the thresholds are the distinct scores of the
      rows of nonzero weight (``D`` of them). Peer:
      ``sklearn.metrics.precision_recall_curve(target, scores, sample_weight=w,
      drop_intermediate=False)``, all three arrays equal.
    * Binned (``thresholds=T`` or a sequence; fixed shape ``(T + 1,)``, ``jax.jit``-able):
      a threshold that predicts nothing positive has precision 1 (scikit-learn's convention
      for its last point; torchmetrics ``binary_precision_recall_curve(thresholds=T)``, the
      peer, gives NaN there, ``zero_division="nan"``).

    No positive in ``target``: recall is 0/0, NaN (scikit-learn and torchmetrics give 1,
    scikit-learn with a warning), the appended 0 excepted. A NaN input makes every precision
    and recall NaN but the appended point. Empty: exact ``([1], [0], [])``; binned precision
    1 and recall NaN, the appended point excepted.

    Args:
        scores: ``(N,)`` floating scores, higher meaning more likely positive.
        target: ``(N,)`` binary labels, 0/1 (integer, boolean or floating).
        thresholds: ``None`` (default: the exact curve, eager only), an int ``T >= 2`` (``T``
            evenly spaced thresholds in [0, 1]) or a strictly increasing sequence of finite
            thresholds (the binned curve).
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).

    Returns:
        Three 1-D arrays ``(precision, recall, thresholds)`` of ``scores``' floating dtype, of
        lengths ``D + 1``, ``D + 1``, ``D`` (exact) or ``T + 1``, ``T + 1``, ``T`` (binned).

    References:
        - J. Davis and M. Goadrich (2006), "The relationship between precision-recall and ROC
          curves", ICML. DOI 10.1145/1143844.1143874.
        - Peer implementations followed: ``sklearn.metrics.precision_recall_curve`` (exact)
          and torchmetrics ``binary_precision_recall_curve`` (binned).

    Example:
        >>> import numpy as np
        >>> p, r, t = precision_recall_curve(np.array([0.1, 0.4, 0.35, 0.8]),
        ...                                  np.array([0, 0, 1, 1]))
        >>> p.tolist(), r.tolist(), t.tolist()
        ([0.5, 0.6666666666666666, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0], [0.1, 0.35, 0.4, 0.8])
    """
    if thresholds is not None:
        wb = weighted_bins(
            scores, target, thresholds=roc_thresholds(thresholds), sample_weight=sample_weight
        )
        return pr_from_bins(
            wb.xp, wb.positive, wb.negative, wb.thresholds, wb.invalid, wb.out_dtype
        )
    b = binary_inputs(scores, target, sample_weight=sample_weight)
    xp = b.xp
    _eager_only(xp, b.scores, "precision_recall_curve")
    t = _distinct_scores(b, sample_weight)
    tp, fp = _at_or_above(xp, b, t)
    predicted = tp + fp
    precision = xp.where(predicted == 0, xp.ones_like(tp), safe_divide(xp, tp, predicted))
    recall = divide_or_nan(xp, tp, xp.sum(b.positive))
    return _pr_curve(xp, precision, recall, t, b.invalid, b.out_dtype)


@sample_weighted
def roc_curve(
    scores: Array,
    target: Array,
    *,
    thresholds: Any = None,
    sample_weight: Array | None = None,
) -> tuple[Array, Array, Array]:
    r"""The ROC curve ``(fpr, tpr, thresholds)``, thresholds descending.

    Each point is the rates of predicting positive every score ``>= thresholds[j]``:
    :math:`\mathrm{FPR} = FP / n_-`, :math:`\mathrm{TPR} = TP / n_+` (weighted).

    * Exact (``thresholds=None``, eager only): ``thresholds = [+inf, distinct scores of the
      rows of nonzero weight, descending]``, so the first point is (0, 0). Peer:
      ``sklearn.metrics.roc_curve(target, scores, sample_weight=w, drop_intermediate=False)``,
      equal. torchmetrics ``binary_roc`` puts 1.0 where scikit-learn has +inf, and 0 where
      scikit-learn has NaN: we follow scikit-learn.
    * Binned (``thresholds=T`` or a sequence; fixed shape ``(T,)``, ``jax.jit``-able): the
      thresholds in descending order, as torchmetrics ``binary_roc(scores, target,
      thresholds=T)`` (the peer) returns them.

    No positive: ``tpr`` is NaN everywhere, the origin included (0/0; scikit-learn NaN,
    torchmetrics 0). No negative: ``fpr`` is NaN everywhere. A NaN input makes every ``fpr``
    and ``tpr`` NaN.

    Args:
        scores: ``(N,)`` floating scores, higher meaning more likely positive.
        target: ``(N,)`` binary labels, 0/1 (integer, boolean or floating).
        thresholds: ``None`` (default: the exact curve, eager only), an int ``T >= 2`` (``T``
            evenly spaced thresholds in [0, 1]) or a strictly increasing sequence of finite
            thresholds (the binned curve).
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).

    Returns:
        Three 1-D arrays ``(fpr, tpr, thresholds)`` of ``scores``' floating dtype, of length
        ``D + 1`` (exact, ``D`` distinct scores) or ``T`` (binned).

    References:
        - T. Fawcett (2006), "An introduction to ROC analysis", Pattern Recognition Letters
          27(8). DOI 10.1016/j.patrec.2005.10.010.
        - Peer implementations followed: ``sklearn.metrics.roc_curve`` (exact) and torchmetrics
          ``binary_roc`` (binned).

    Example:
        >>> import numpy as np
        >>> fpr, tpr, t = roc_curve(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
        >>> fpr.tolist(), tpr.tolist(), t.tolist()
        ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [inf, 0.8, 0.4, 0.35, 0.1])
    """
    if thresholds is not None:
        wb = weighted_bins(
            scores, target, thresholds=roc_thresholds(thresholds), sample_weight=sample_weight
        )
        return roc_from_bins(
            wb.xp, wb.positive, wb.negative, wb.thresholds, wb.invalid, wb.out_dtype
        )
    b = binary_inputs(scores, target, sample_weight=sample_weight)
    xp = b.xp
    _eager_only(xp, b.scores, "roc_curve")
    inf = xp.full((1,), math.inf, dtype=b.dtype, device=device_of(b.scores))
    t = xp.concat([inf, xp.flip(_distinct_scores(b, sample_weight))])
    tp, fp = _at_or_above(xp, b, t)
    tpr = _nan_where(xp, divide_or_nan(xp, tp, xp.sum(b.positive)), b.invalid)
    fpr = _nan_where(xp, divide_or_nan(xp, fp, xp.sum(b.negative)), b.invalid)
    return tuple(finalize(xp, v, b.out_dtype) for v in (fpr, tpr, t))
