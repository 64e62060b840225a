"""Classification metrics, matching scikit-learn (whose argument order is ``(y_true, y_pred)``).

``pred`` is either labels (integer or boolean, the target's shape) or scores with one more
(last) axis, reduced by ``argmax`` (ties: the first class, as every array library's
``argmax``). Results are 0-d arrays of ``pred``'s floating dtype, or of the namespace's default
floating dtype when ``pred`` holds labels. Label ranges are checked in eager mode only.

Hostile input: a NaN score, probability or per-sample weight gives NaN (``argmax``, sorting and
comparisons would silently place the NaN somewhere and return a finite value); so does a mean
over nothing (an empty batch, or per-sample weights that sum to 0), with no warning.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, NamedTuple

from .._backend import (
    Array,
    Namespace,
    as_dtype,
    compute_dtype,
    default_float,
    device_of,
    finalize,
    index_dtype,
    namespace,
)
from .._ops import divide_or_nan, mean_or_nan, safe_divide
from .._validate import (
    NO_REDUCTION,
    bounded_integer,
    check_kind,
    check_labels,
    check_option,
    check_sample_weight_shape,
    check_values,
    integer,
    is_array,
    options,
    prepare,
    sample_weighted,
)
from ..typing import Average

__all__ = ["accuracy", "log_loss", "precision_recall_f1", "roc_auc", "top_k_accuracy"]


def _integer_target(xp: Namespace, target: Array) -> Array:
    """The class labels as the index dtype (booleans are labels 0/1; array_api_strict has no
    ``min`` of booleans, which the eager range check needs)."""
    check_kind(xp, "target", target, ("integral", "bool"), must="hold class labels (integer)")
    return as_dtype(xp, target, index_dtype(xp, target))


def _nan_rows(xp: Namespace, scores: Array) -> Array:
    """Whether each row of ``scores`` (last axis) holds a NaN: its argmax, rank or comparison
    is then meaningless, and the result built from it must be NaN."""
    return xp.any(xp.isnan(scores), axis=-1)


class _Labels(NamedTuple):
    """Validated predicted and target labels, both in the index dtype."""

    xp: Namespace
    pred: Array  # predicted labels (the argmax of scores)
    target: Array
    nan: Array | None  # the rows whose scores hold NaN (None for label predictions)
    out_dtype: Any


def _labels(pred: Array, target: Array, *, sample_weight: Array | None) -> _Labels:
    """Labels from labels or from scores (argmax); ``sample_weight`` of the target's shape.
    ``pred`` may hold labels, so the floating check (``compute_dtype``) applies to scores only,
    not through :func:`~arraylosses._validate.prepare`."""
    xp = namespace(pred=pred, target=target, sample_weight=sample_weight)
    target = _integer_target(xp, target)
    if pred.ndim == target.ndim + 1:
        out_dtype, _ = compute_dtype(xp, pred, "pred")
        if tuple(pred.shape[:-1]) != tuple(target.shape):
            raise ValueError(
                f"pred scores must have shape target.shape + (C,) = "
                f"{(*target.shape, '...')}; got {tuple(pred.shape)}"
            )
        if pred.shape[-1] == 0:
            raise ValueError(
                f"pred scores must have at least one class; got shape {tuple(pred.shape)}"
            )
        labels = as_dtype(xp, xp.argmax(pred, axis=-1), target.dtype)
        nan = _nan_rows(xp, pred)
    else:
        if tuple(pred.shape) != tuple(target.shape):
            raise ValueError(
                f"pred must have the target's shape {tuple(target.shape)} (labels) or "
                f"that shape plus a class axis (scores); got {tuple(pred.shape)}"
            )
        check_kind(
            xp,
            "pred of the target's shape",
            pred,
            ("integral", "bool"),
            must="hold labels (integer)",
        )
        labels, nan, out_dtype = as_dtype(xp, pred, target.dtype), None, default_float(xp, pred)
    check_sample_weight_shape(xp, sample_weight, tuple(target.shape))
    return _Labels(xp, labels, target, nan, out_dtype)


class Rows(NamedTuple):
    """A metric's per-sample values (its mean is the metric), with their namespace and the
    result dtype: what the one-shot metric averages and the streaming form sums."""

    xp: Namespace
    values: Array
    out_dtype: Any


def _with_nan(xp: Namespace, values: Array, nan: Array | None) -> Array:
    """``values`` with NaN where ``nan`` holds."""
    if nan is None:
        return values
    return xp.where(nan, xp.full_like(values, math.nan), values)


def _mean(xp: Namespace, values: Array, sample_weight: Array | None, out_dtype: Any) -> Array:
    """The (weighted) mean of ``values``; NaN for an empty batch or weights that sum to 0."""
    return finalize(xp, mean_or_nan(xp, values, sample_weight), out_dtype)


@sample_weighted
def accuracy(pred: Array, target: Array, *, sample_weight: Array | None = None) -> Array:
    r"""Fraction of correct labels, :math:`\sum_i w_i [\hat y_i = y_i] / \sum_i w_i`.

    Peer: ``sklearn.metrics.accuracy_score(target, pred, sample_weight=weight)``.

    Args:
        pred: predicted labels (integer or boolean, ``target``'s shape, typically ``(N,)``) or
            scores with one more last axis, ``(N, C)`` floating, reduced by ``argmax``.
        target: ``(N,)`` integer or boolean class labels.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).

    Returns:
        A 0-d array of ``pred``'s floating dtype (the default floating dtype when ``pred``
        holds labels).

    References:
        - No paper: the textbook accuracy. Peer implementation followed:
          ``sklearn.metrics.accuracy_score``.

    Example:
        >>> import numpy as np
        >>> float(accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])))
        0.5

    A row of scores holding NaN counts as NaN (so the mean is NaN), not as its ``argmax``.
    """
    r = accuracy_rows(pred, target, sample_weight=sample_weight)
    return _mean(r.xp, r.values, sample_weight, r.out_dtype)


def accuracy_rows(pred: Array, target: Array, *, sample_weight: Array | None) -> Rows:
    """:func:`accuracy`'s per-sample 0/1 (NaN for a row of NaN scores), validated."""
    xp, labels, target, nan, out_dtype = _labels(pred, target, sample_weight=sample_weight)
    dtype = xp.float32 if xp.finfo(out_dtype).bits < 32 else out_dtype
    return Rows(xp, _with_nan(xp, xp.astype(labels == target, dtype), nan), out_dtype)


@sample_weighted
def top_k_accuracy(
    scores: Array, target: Array, *, k: int, sample_weight: Array | None = None
) -> Array:
    r"""Fraction of rows whose label is among the ``k`` highest scores.

    Ties follow ``sklearn.metrics.top_k_accuracy_score`` (the peer), which sorts stably and
    reverses: among equal scores the higher class index ranks first. So the label :math:`y`
    is a hit when :math:`\#\{c : s_c > s_y\} + \#\{c > y : s_c = s_y\} < k`. No sort is done.

    A row of scores holding NaN gives NaN, not a hit or a miss.

    Args:
        scores: ``(N, C)`` floating class scores.
        target: ``(N,)`` integer class indices.
        k: the number of top classes that count as a hit, ``1 <= k <= C`` (a larger ``k`` is a
            ``ValueError``; scikit-learn warns and scores 1).
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).

    Returns:
        A 0-d array of ``scores``' floating dtype, in [0, 1].

    References:
        - No paper. Peer implementation followed: ``sklearn.metrics.top_k_accuracy_score``.

    Example:
        >>> import numpy as np
        >>> s = np.array([[0.5, 0.2, 0.3], [0.1, 0.2, 0.7]])
        >>> float(top_k_accuracy(s, np.array([2, 0]), k=2))
        0.5
    """
    r = top_k_rows(scores, target, k=k, sample_weight=sample_weight)
    return _mean(r.xp, r.values, sample_weight, r.out_dtype)


def top_k_rows(scores: Array, target: Array, *, k: Any, sample_weight: Array | None) -> Rows:
    """:func:`top_k_accuracy`'s per-row hit 0/1 (NaN for a row of NaN scores), validated."""
    xp, out_dtype, dtype = prepare(
        "scores", scores, reduction=NO_REDUCTION, target=target, sample_weight=sample_weight
    )
    target = _integer_target(xp, target)
    if scores.ndim != 2 or tuple(target.shape) != (scores.shape[0],):
        raise ValueError(
            f"scores must have shape (N, C) and target (N,); got "
            f"{tuple(scores.shape)} and {tuple(target.shape)}"
        )
    C = scores.shape[1]
    k = bounded_integer("k", k, low=1, high=C, bound="the number of classes")
    check_sample_weight_shape(xp, sample_weight, (scores.shape[0],))
    check_labels(xp, "target", target, num_classes=C)
    s = as_dtype(xp, scores, dtype)
    t = target[:, None]
    s_y = xp.take_along_axis(s, t, axis=1)
    classes = xp.arange(C, dtype=t.dtype, device=device_of(s))[None, :]
    ahead = xp.sum(xp.astype((s > s_y) | ((s == s_y) & (classes > t)), t.dtype), axis=1)
    return Rows(xp, _with_nan(xp, xp.astype(ahead < k, dtype), _nan_rows(xp, s)), out_dtype)


@sample_weighted
def precision_recall_f1(
    pred: Array,
    target: Array,
    *,
    num_classes: int,
    average: Average = "micro",
    sample_weight: Array | None = None,
) -> tuple[Array, Array, Array]:
    r"""``(precision, recall, f1)`` over ``num_classes`` single-label classes.

    Per class :math:`c`: :math:`P_c = TP_c / \#\{\hat y = c\}`, :math:`R_c = TP_c / \#\{y = c\}`,
    :math:`F_c = 2 TP_c / (\#\{\hat y = c\} + \#\{y = c\})`, each 0 when its denominator is 0
    (sklearn's ``zero_division=0``; a class absent from both counts 0). ``average``:
    ``"micro"`` (global counts; equals the accuracy here), ``"macro"`` (mean over the
    ``num_classes`` classes), ``"weighted"`` (weighted by each class's support). NaN in the
    scores or the weights makes all three NaN; so does an empty batch. Peer:
    ``sklearn.metrics.precision_recall_fscore_support(target, pred,
    labels=range(num_classes), average=..., zero_division=0)``.

    Args:
        pred: predicted labels (integer or boolean, ``target``'s shape, typically ``(N,)``) or
            scores with one more last axis, ``(N, C)`` floating, reduced by ``argmax``.
        target: ``(N,)`` integer or boolean class labels.
        num_classes: the number of classes C, an int ``>= 1`` (labels lie in ``[0, C)``).
        average: ``"micro"`` (default; equals the accuracy for single-label classes),
            ``"macro"`` or ``"weighted"``.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).

    Returns:
        ``(precision, recall, f1)``, three 0-d arrays of ``pred``'s floating dtype (the
        default floating dtype when ``pred`` holds labels), each in [0, 1].

    References:
        - The F-measure: C. J. van Rijsbergen (1979), "Information Retrieval", 2nd ed.,
          Butterworths.
        - Peer implementation followed: ``sklearn.metrics.precision_recall_fscore_support`` with
          ``zero_division=0``.

    Example:
        >>> import numpy as np
        >>> p, r, f = precision_recall_f1(np.array([0, 1, 1]), np.array([0, 1, 0]),
        ...                               num_classes=2, average="macro")
        >>> float(p), float(r), round(float(f), 6)
        (0.75, 0.75, 0.666667)
    """
    check_option("average", average, options(Average))
    c = confusion_counts(pred, target, num_classes=num_classes, sample_weight=sample_weight)
    # full, not asarray: a Python value copied onto an accelerator blocks (_backend.const)
    empty = c.xp.full((), math.prod(target.shape) == 0, dtype=c.xp.bool, device=device_of(c.tp))
    return precision_recall_f1_from_counts(
        c.xp, c.tp, c.predicted, c.support, average=average, empty=empty, out_dtype=c.out_dtype
    )


class Counts(NamedTuple):
    """Per-class (weighted) counts of :func:`precision_recall_f1`: true positives, predicted,
    support (each ``(C,)``, NaN for every class when a row of scores held NaN)."""

    xp: Namespace
    tp: Array
    predicted: Array
    support: Array
    out_dtype: Any


def confusion_counts(
    pred: Array, target: Array, *, num_classes: Any, sample_weight: Array | None
) -> Counts:
    """Validate, then count per class. A row of NaN scores (its argmax is arbitrary) makes
    every true-positive and predicted count NaN, and so every score built from them."""
    xp, labels, target, nan, out_dtype = _labels(pred, target, sample_weight=sample_weight)
    num_classes = integer("num_classes", num_classes, low=1)
    if pred.ndim == target.ndim + 1 and pred.shape[-1] != num_classes:
        raise ValueError(f"pred scores have {pred.shape[-1]} classes; num_classes is {num_classes}")
    check_labels(xp, "target", target, num_classes=num_classes)
    check_labels(xp, "pred", labels, num_classes=num_classes)
    dtype = xp.float32 if xp.finfo(out_dtype).bits < 32 else out_dtype
    classes = xp.arange(num_classes, dtype=labels.dtype, device=device_of(labels))
    y_hat = xp.astype(xp.reshape(labels, (-1, 1)) == classes, dtype)
    y = xp.astype(xp.reshape(target, (-1, 1)) == classes, dtype)
    weight_nan = None
    if sample_weight is not None:
        w = xp.reshape(as_dtype(xp, sample_weight, dtype), (-1, 1))
        y_hat, y_w = y_hat * w, y * w
        weight_nan = xp.any(xp.isnan(w))
    else:
        y_w = y
    tp, predicted, support = xp.sum(y_hat * y, axis=0), xp.sum(y_hat, axis=0), xp.sum(y_w, axis=0)
    # NaN is set after the sums, not carried by NaN * 0 in the one-hot products: under jax.jit
    # XLA turns a product with a 0/1 array into a select, and NaN * 0 would give 0 there
    if nan is not None:
        poisoned = xp.any(nan)
        tp, predicted = _with_nan(xp, tp, poisoned), _with_nan(xp, predicted, poisoned)
    if weight_nan is not None:
        tp, predicted, support = (_with_nan(xp, v, weight_nan) for v in (tp, predicted, support))
    return Counts(xp, tp, predicted, support, out_dtype)


def precision_recall_f1_from_counts(
    xp: Namespace,
    tp: Array,
    predicted: Array,
    support: Array,
    *,
    average: Any,
    empty: Array,
    out_dtype: Any,
) -> tuple[Array, Array, Array]:
    """``(precision, recall, f1)`` from the per-class counts; all NaN where ``empty`` (no
    sample was counted: every ratio is meaningless)."""
    if average == "micro":
        tp, predicted, support = xp.sum(tp), xp.sum(predicted), xp.sum(support)
    precision = safe_divide(xp, tp, predicted)
    recall = safe_divide(xp, tp, support)
    f1 = safe_divide(xp, 2 * tp, predicted + support)
    if average != "micro":
        if average == "macro":
            scores = [xp.mean(v) for v in (precision, recall, f1)]
        else:
            total = xp.sum(support)
            scores = [safe_divide(xp, xp.sum(support * v), total) for v in (precision, recall, f1)]
        precision, recall, f1 = scores
    return tuple(finalize(xp, _with_nan(xp, v, empty), out_dtype) for v in (precision, recall, f1))


@sample_weighted
def log_loss(probs: Array, target: Array, *, sample_weight: Array | None = None) -> Array:
    r"""Mean negative log-likelihood of the labels, :math:`-\log \mathrm{clip}(p_{y_i})`,
    the probabilities clipped to :math:`[ε, 1-ε]` with :math:`ε` = the machine epsilon of
    ``probs``' dtype (as scikit-learn, the peer: ≈36.0 at most per sample in float64, ≈15.9
    in float32).

    ``probs`` is ``(N,)`` (the probability of class 1; target in {0, 1}) or ``(N, C)``
    (target: class indices). Probabilities outside [0, 1] raise in eager mode (under
    ``jax.jit``, where values cannot be checked, their row gives NaN); rows need not sum to 1
    (scikit-learn warns; we neither warn nor renormalise). A NaN anywhere in a row gives NaN,
    even in a class other than the label. Peer:
    ``sklearn.metrics.log_loss(target, probs, labels=range(C))``.

    Args:
        probs: ``(N,)`` floating probabilities of class 1 (binary) or ``(N, C)`` class
            probabilities, in [0, 1].
        target: ``(N,)`` labels: {0, 1} for ``(N,)`` probabilities, class indices otherwise.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).

    Returns:
        A 0-d array of ``probs``' floating dtype, ``>= 0``.

    References:
        - No paper: the negative log-likelihood (cross entropy). Peer implementation followed:
          ``sklearn.metrics.log_loss``.

    Example:
        >>> import numpy as np, math
        >>> float(log_loss(np.array([0.8, 0.4]), np.array([1, 0]))) == -(
        ...     math.log(0.8) + math.log(0.6)) / 2
        True
    """
    r = log_loss_rows(probs, target, sample_weight=sample_weight)
    return _mean(r.xp, r.values, sample_weight, r.out_dtype)


def log_loss_rows(probs: Array, target: Array, *, sample_weight: Array | None) -> Rows:
    """:func:`log_loss`'s per-sample clipped negative log-likelihood, validated."""
    xp, out_dtype, dtype = prepare(
        "probs", probs, reduction=NO_REDUCTION, target=target, sample_weight=sample_weight
    )
    target = _integer_target(xp, target)
    n = tuple(target.shape)
    if target.ndim != 1 or tuple(probs.shape[:1]) != n or probs.ndim not in (1, 2):
        raise ValueError(
            f"probs must have shape (N,) or (N, C) and target (N,); got "
            f"{tuple(probs.shape)} and {n}"
        )
    check_sample_weight_shape(xp, sample_weight, n)
    p = as_dtype(xp, probs, dtype)
    outside = (p < 0) | (p > 1)
    # NaN passes (it propagates)
    check_values(xp, ~outside, "probs must lie in [0, 1]")
    C = 2 if probs.ndim == 1 else probs.shape[1]
    if C == 0:
        raise ValueError(f"probs must have at least one class; got shape {tuple(probs.shape)}")
    check_labels(xp, "target", target, num_classes=C)
    eps = float(xp.finfo(out_dtype).eps)
    invalid = xp.isnan(p) | outside  # outside [0, 1]: only reachable under jit
    if probs.ndim == 1:
        picked = xp.where(target == 1, p, 1 - p)
    else:
        picked = xp.take_along_axis(p, target[:, None], axis=1)[:, 0]
        invalid = xp.any(invalid, axis=1)
    return Rows(xp, _with_nan(xp, -xp.log(xp.clip(picked, eps, 1 - eps)), invalid), out_dtype)


def roc_auc(scores: Array, target: Array, *, thresholds: Any = None) -> Array:
    r"""Area under the ROC curve of binary ``target`` (0/1 or bool) ranked by ``scores``:

    In plain text: ``AUC = (R_pos - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)``, ``R_pos`` the
    sum of the positives' ranks.

    .. math:: \mathrm{AUC} = \frac{\sum_{i: y_i = 1} r_i - n_+(n_+ + 1)/2}{n_+\, n_-}

    with :math:`r_i` the 1-based rank of :math:`s_i`, ties given their average rank (the
    Mann-Whitney statistic; equal to scikit-learn's trapezoidal ``roc_auc_score``, the peer,
    ties included). One sort and two ``searchsorted``: :math:`O(N \log N)`. A target with a
    single class (or an empty batch) gives NaN, as scikit-learn 1.9 (which also warns; we do
    not), the same in eager mode and under ``jax.jit``. NaN in ``scores`` or ``target`` gives
    NaN (sorting would place it somewhere and rank it).

    ``thresholds`` (an int ``T >= 2``: ``T`` evenly spaced values ``j / (T - 1)`` in [0, 1], as
    torchmetrics' ``thresholds=T``; or an increasing sequence of finite values) gives the
    **binned** AUC instead, the form that streams in bounded memory
    (:func:`arraylosses.metrics.streaming.roc_auc`): each score is replaced by its bin, the
    number of thresholds ``<= s``, and the AUC above is taken over the bins (two scores in one
    bin count as a tie). Its error against the exact AUC is at most half the fraction of
    (positive, negative) pairs that share a bin, :math:`\frac{1}{2}\sum_b n_{+b} n_{-b} /
    (n_+ n_-)`, which the streaming form reports. It equals torchmetrics'
    ``binary_auroc(thresholds=T)`` when no score lies below the first threshold or at or above
    the last (torchmetrics' curve then lacks its end point (0, 0) or (1, 1); ours always runs
    from (0, 0) to (1, 1)). It does not apply a sigmoid to scores outside [0, 1] (torchmetrics
    does). Memory ``O(N T)`` per call.

    Args:
        scores: ``(N,)`` floating scores, higher meaning more likely positive.
        target: ``(N,)`` binary labels, 0/1 or boolean.
        thresholds: ``None`` (default: the exact AUC), an int ``T >= 2`` (``T`` evenly spaced
            thresholds in [0, 1]) or a strictly increasing sequence of finite thresholds (the binned
            AUC).

    Returns:
        A 0-d array of ``scores``' floating dtype, in [0, 1] (NaN for a single class).

    References:
        - J. A. Hanley and B. J. McNeil (1982), "The meaning and use of the area under a receiver
          operating characteristic (ROC) curve", Radiology 143(1) (the AUC as the Mann-Whitney
          statistic). DOI 10.1148/radiology.143.1.7063747.
        - Peer implementations followed: ``sklearn.metrics.roc_auc_score`` (exact) and
          torchmetrics ``binary_auroc(thresholds=T)`` (binned).

    Example:
        >>> import numpy as np
        >>> float(roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])))
        0.75
        >>> s, y = np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])
        >>> float(roc_auc(s, y, thresholds=[0.2, 0.5]))  # bins 0, 1, 1, 2
        0.875
    """
    if thresholds is not None:
        b = binned_roc_counts(scores, target, thresholds=roc_thresholds(thresholds), include=None)
        return auc_from_bins(b.xp, b.positive, b.negative, b.invalid, b.out_dtype)
    xp, out_dtype, dtype, s, y, binary = _binary_scores(scores, target)
    ordered = xp.sort(s)
    left = xp.searchsorted(ordered, s, side="left")
    right = xp.searchsorted(ordered, s, side="right")
    rank = xp.astype(left + right + 1, dtype) / 2
    n_pos = xp.sum(y)
    n_neg = y.shape[0] - n_pos
    # a single class: n_pos * n_neg = 0, NaN; NaN scores (ranked anywhere by the sort) and
    # labels that are not 0/1 (NaN, or anything under jit) make the result NaN too
    auc = divide_or_nan(xp, xp.sum(rank * y) - n_pos * (n_pos + 1) / 2, n_pos * n_neg)
    invalid = xp.any(xp.isnan(s)) | ~xp.all(binary)
    return finalize(xp, _with_nan(xp, auc, invalid), out_dtype)


def _binary_scores(scores: Array, target: Array) -> tuple[Any, Any, Any, Array, Array, Array]:
    """Validate :func:`roc_auc`'s inputs: ``(xp, out_dtype, dtype, scores, target, binary)``,
    both cast to the compute dtype, ``binary`` whether each label is 0 or 1."""
    xp, out_dtype, dtype = prepare("scores", scores, reduction=NO_REDUCTION, target=target)
    check_kind(
        xp, "target", target, ("integral", "bool", "real floating"), must="hold binary labels"
    )
    if scores.ndim != 1 or tuple(target.shape) != tuple(scores.shape):
        raise ValueError(
            f"scores and target must have the same shape (N,); got "
            f"{tuple(scores.shape)} and {tuple(target.shape)}"
        )
    s = as_dtype(xp, scores, dtype)
    y = as_dtype(xp, target, dtype)
    binary = (y == 0) | (y == 1)
    # NaN passes (it propagates)
    check_values(xp, binary | xp.isnan(y), "target must hold binary labels 0/1")
    return xp, out_dtype, dtype, s, y, binary


def roc_thresholds(thresholds: Any) -> tuple[float, ...]:
    """The binned ROC's thresholds as Python floats: an int ``T >= 2`` gives ``j / (T - 1)``
    for ``j = 0..T-1``; a sequence (or 1-D array) must be finite and strictly increasing."""
    if isinstance(thresholds, str):
        raise TypeError("thresholds must be an int or a sequence of numbers; got str")
    if isinstance(thresholds, int | float) or (is_array(thresholds) and thresholds.ndim == 0):
        count = integer("thresholds", thresholds, low=2)
        return tuple(j / (count - 1) for j in range(count))
    try:
        values = tuple(float(t) for t in thresholds)
    except TypeError:
        raise TypeError(
            f"thresholds must be an int or a sequence of numbers; got {type(thresholds).__name__}"
        ) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise ValueError("thresholds must hold at least one value, all finite")
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError("thresholds must be strictly increasing")
    return values


class Bins(NamedTuple):
    """Per-bin label counts of the binned ROC: bin ``b`` holds the scores with exactly ``b``
    thresholds ``<= s`` (``T + 1`` bins); ``invalid`` (0-d) whether a counted score or label
    was NaN (or, under jit, a label not 0/1)."""

    xp: Namespace
    positive: Array
    negative: Array
    invalid: Array
    out_dtype: Any


def binned_roc_counts(
    scores: Array, target: Array, *, thresholds: tuple[float, ...], include: Array | None
) -> Bins:
    """Count the positives and negatives per bin (``include``: the rows to count). A row's
    bin is the number of thresholds at or below its score; a NaN score or a label other than
    0/1 is counted in no bin and sets ``invalid``. O(N + T) memory: a sort of the bin indices,
    then two searches, not an (N, T) comparison."""
    xp, out_dtype, dtype, s, y, binary = _binary_scores(scores, target)
    index = index_dtype(xp, s)
    dev = device_of(s)
    t = xp.asarray(thresholds, dtype=dtype, device=dev)
    bins = xp.astype(xp.searchsorted(t, s, side="right"), index)  # #{j: t_j <= s}
    invalid = xp.isnan(s) | ~binary
    if include is not None:
        invalid = invalid & include
    counted = ~invalid if include is None else include & ~invalid
    edges = xp.arange(len(thresholds) + 1, dtype=index, device=dev)
    outside = xp.full_like(bins, len(thresholds) + 1)  # past the last bin: not counted

    def histogram(rows: Array) -> Array:
        b = xp.sort(xp.where(rows, bins, outside))
        above = xp.searchsorted(b, edges, side="right")
        return xp.astype(above - xp.searchsorted(b, edges, side="left"), index)

    positive = histogram(counted & (y == 1))
    negative = histogram(counted & (y == 0))
    return Bins(xp, positive, negative, xp.any(invalid), out_dtype)


def auc_from_bins(
    xp: Namespace, positive: Array, negative: Array, invalid: Array, out_dtype: Any
) -> Array:
    r"""The AUC over bins, ties within a bin counted half:
    :math:`\sum_b n_{+b} (\sum_{b' < b} n_{-b'} + n_{-b}/2) / (n_+ n_-)`; NaN for a single
    class (or nothing counted) and where ``invalid``."""
    dtype = xp.float32 if xp.finfo(out_dtype).bits < 32 else out_dtype
    pos, neg = as_dtype(xp, positive, dtype), as_dtype(xp, negative, dtype)
    below = xp.cumulative_sum(neg) - neg
    auc = divide_or_nan(xp, xp.sum(pos * (below + neg / 2)), xp.sum(pos) * xp.sum(neg))
    return finalize(xp, _with_nan(xp, auc, invalid), out_dtype)
