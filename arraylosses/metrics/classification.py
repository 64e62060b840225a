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

import math
from typing import Any, NamedTuple

from .._backend import (
    Array,
    Namespace,
    as_dtype,
    compute_dtype,
    default_float,
    device_of,
    eager_all,
    finalize,
    index_dtype,
    namespace,
)
from .._ops import divide_or_nan, mean_or_nan, safe_divide
from .._validate import (
    bounded_integer,
    check_kind,
    check_labels,
    check_option,
    check_sample_weight_shape,
    integer,
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

    Example:
        >>> import numpy as np
        >>> float(accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])))
        0.5

    A row of scores holding NaN counts as NaN (so the mean is NaN), not as its ``argmax``.
    """
    xp, labels, target, nan, out_dtype = _labels(pred, target, sample_weight=sample_weight)
    dtype = xp.float32 if xp.finfo(out_dtype).bits < 32 else out_dtype
    correct = _with_nan(xp, xp.astype(labels == target, dtype), nan)
    return _mean(xp, correct, sample_weight, out_dtype)


@sample_weighted
def top_k_accuracy(
    scores: Array, target: Array, *, k: int, sample_weight: Array | None = None
) -> Array:
    r"""Fraction of rows whose label is among the ``k`` highest scores.

    Ties follow ``sklearn.metrics.top_k_accuracy_score`` (the peer), which sorts stably and
    reverses: among equal scores the higher class index ranks first. So the label :math:`y`
    is a hit when :math:`\#\{c : s_c > s_y\} + \#\{c > y : s_c = s_y\} < k`. No sort is done.

    Args:
        scores: ``(N, C)`` floating; target: ``(N,)`` class indices; k: ``1 <= k <= C``
            (a larger ``k`` is a ``ValueError``; scikit-learn warns and scores 1).

    A row of scores holding NaN gives NaN, not a hit or a miss.

    Example:
        >>> import numpy as np
        >>> s = np.array([[0.5, 0.2, 0.3], [0.1, 0.2, 0.7]])
        >>> float(top_k_accuracy(s, np.array([2, 0]), k=2))
        0.5
    """
    xp, out_dtype, dtype = prepare(
        "scores", scores, reduction=None, target=target, sample_weight=sample_weight
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
    hit = _with_nan(xp, xp.astype(ahead < k, dtype), _nan_rows(xp, s))
    return _mean(xp, hit, sample_weight, out_dtype)


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

    Example:
        >>> import numpy as np
        >>> p, r, f = precision_recall_f1(np.array([0, 1, 1]), np.array([0, 1, 0]),
        ...                               num_classes=2, average="macro")
        >>> float(p), float(r), round(float(f), 6)
        (0.75, 0.75, 0.666667)
    """
    xp, labels, target, nan, out_dtype = _labels(pred, target, sample_weight=sample_weight)
    check_option("average", average, options(Average))
    num_classes = integer("num_classes", num_classes, low=1)
    if pred.ndim == target.ndim + 1 and pred.shape[-1] != num_classes:
        raise ValueError(f"pred scores have {pred.shape[-1]} classes; num_classes is {num_classes}")
    check_labels(xp, "target", target, num_classes=num_classes)
    check_labels(xp, "pred", labels, num_classes=num_classes)
    dtype = xp.float32 if xp.finfo(out_dtype).bits < 32 else out_dtype
    classes = xp.arange(num_classes, dtype=labels.dtype, device=device_of(labels))
    y_hat = xp.astype(xp.reshape(labels, (-1, 1)) == classes, dtype)
    y = xp.astype(xp.reshape(target, (-1, 1)) == classes, dtype)
    if sample_weight is not None:
        w = xp.reshape(as_dtype(xp, sample_weight, dtype), (-1, 1))
        y_hat, y_w = y_hat * w, y * w
    else:
        y_w = y
    tp = xp.sum(y_hat * y, axis=0)
    predicted = xp.sum(y_hat, axis=0)
    support = xp.sum(y_w, axis=0)
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
    # NaN scores (their argmax is arbitrary) or an empty batch: every count is meaningless
    undefined = None if nan is None else xp.any(nan)
    if math.prod(target.shape) == 0:
        undefined = xp.asarray(True, device=device_of(labels))
    return tuple(
        finalize(xp, _with_nan(xp, v, undefined), out_dtype) for v in (precision, recall, f1)
    )


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

    Example:
        >>> import numpy as np, math
        >>> float(log_loss(np.array([0.8, 0.4]), np.array([1, 0]))) == -(
        ...     math.log(0.8) + math.log(0.6)) / 2
        True
    """
    xp, out_dtype, dtype = prepare(
        "probs", probs, reduction=None, target=target, sample_weight=sample_weight
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
    if not eager_all(xp, ~outside):  # NaN passes (it propagates)
        raise ValueError("probs must lie in [0, 1]")
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
    nll = _with_nan(xp, -xp.log(xp.clip(picked, eps, 1 - eps)), invalid)
    return _mean(xp, nll, sample_weight, out_dtype)


def roc_auc(scores: Array, target: Array) -> Array:
    r"""Area under the ROC curve of binary ``target`` (0/1 or bool) ranked by ``scores``:

    .. math:: \mathrm{AUC} = \frac{\sum_{i: y_i = 1} r_i - n_+(n_+ + 1)/2}{n_+\, n_-}

    with :math:`r_i` the 1-based rank of :math:`s_i`, ties given their average rank (the
    Mann-Whitney statistic; equal to scikit-learn's trapezoidal ``roc_auc_score``, the peer,
    ties included). One sort and two ``searchsorted``: :math:`O(N \log N)`. A target with a
    single class (or an empty batch) gives NaN, as scikit-learn 1.9 (which also warns; we do
    not), the same in eager mode and under ``jax.jit``. NaN in ``scores`` or ``target`` gives
    NaN (sorting would place it somewhere and rank it).

    Example:
        >>> import numpy as np
        >>> float(roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])))
        0.75
    """
    xp, out_dtype, dtype = prepare("scores", scores, reduction=None, target=target)
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
    if not eager_all(xp, binary | xp.isnan(y)):  # NaN passes (it propagates)
        raise ValueError("target must hold binary labels 0/1")
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
