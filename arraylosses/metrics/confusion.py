"""The weighted confusion matrix and the metrics read from it: Matthews' correlation, Cohen's
kappa and the balanced accuracy.

``pred`` is labels (integer or boolean, ``target``'s shape) or scores with one more last axis,
reduced by ``argmax`` (ties to the first class), as :func:`arraylosses.metrics.accuracy`.
``num_classes`` is required: the result's shape (or the classes a ratio runs over) never depends
on the values. Results have ``pred``'s floating dtype (the namespace's default floating dtype
when ``pred`` holds labels). A NaN score or weight makes every entry NaN; labels outside
``[0, num_classes)`` raise in eager mode and give NaN under ``jax.jit``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .._backend import Array, Namespace, as_dtype, device_of, finalize
from .._ops import divide_or_nan, safe_divide, sqrt_at_zero
from .._validate import check_labels, check_option, flag, integer, options, sample_weighted
from ..typing import ConfusionNormalize, KappaWeights
from .classification import _labels

__all__ = ["balanced_accuracy", "cohen_kappa", "confusion_matrix", "matthews_corrcoef"]


class Confusion(NamedTuple):
    """The weighted confusion matrix ``(C, C)`` (row: true class, column: predicted class) in
    the compute dtype (NaN everywhere for a NaN score or weight, or, under jit, a label out of
    range), and the result dtype."""

    xp: Namespace
    matrix: Array
    out_dtype: Any


def confusion(
    pred: Array, target: Array, *, num_classes: Any, sample_weight: Any, dtype: Any = None
) -> Confusion:
    """Validate, then count: ``M[i, j] = Σ w`` over the rows with ``target = i``, ``pred = j``
    (one product of two one-hot matrices, ``O(N C)`` memory), in ``dtype`` if given (a
    streaming state's; by default the result's, float32 for half precision)."""
    xp, labels, target, nan, out_dtype = _labels(pred, target, sample_weight=sample_weight)
    num_classes = integer("num_classes", num_classes, low=1)
    if pred.ndim == target.ndim + 1 and pred.shape[-1] != num_classes:
        raise ValueError(f"pred scores have {pred.shape[-1]} classes; num_classes is {num_classes}")
    check_labels(xp, "target", target, num_classes=num_classes)
    check_labels(xp, "pred", labels, num_classes=num_classes)
    if dtype is None:
        dtype = xp.float32 if xp.finfo(out_dtype).bits < 32 else out_dtype
    y, y_hat = xp.reshape(target, (-1,)), xp.reshape(labels, (-1,))
    classes = xp.arange(num_classes, dtype=y.dtype, device=device_of(y))
    truth = xp.astype(y[:, None] == classes[None, :], dtype)
    predicted = xp.astype(y_hat[:, None] == classes[None, :], dtype)
    out_of_range = (y < 0) | (y >= num_classes) | (y_hat < 0) | (y_hat >= num_classes)
    poisoned = xp.any(out_of_range)
    if sample_weight is not None:
        w = xp.reshape(as_dtype(xp, sample_weight, dtype), (-1,))
        poisoned = poisoned | xp.any(xp.isnan(w))
        truth = truth * w[:, None]
    if nan is not None:
        poisoned = poisoned | xp.any(nan)
    matrix = xp.matmul(xp.matrix_transpose(truth), predicted)
    # NaN set after the product, not carried by NaN * 0 through it (XLA may fold a product
    # with a 0/1 array into a select, where NaN * 0 gives 0)
    matrix = xp.where(poisoned, xp.full_like(matrix, math.nan), matrix)
    return Confusion(xp, matrix, out_dtype)


def normalize_option(normalize: Any) -> Any:
    """``normalize`` checked: ``None``, ``"true"``, ``"pred"`` or ``"all"``."""
    if normalize is None:
        return None
    return check_option("normalize", normalize, options(ConfusionNormalize))


def weights_option(weights: Any) -> Any:
    """``weights`` checked: ``None``, ``"linear"`` or ``"quadratic"``."""
    if weights is None:
        return None
    return check_option("weights", weights, options(KappaWeights))


def normalized(xp: Namespace, matrix: Array, normalize: Any, out_dtype: Any) -> Array:
    """The matrix divided by its row sums (``"true"``), column sums (``"pred"``) or total
    (``"all"``); a zero row, column or total gives 0 (both peers' convention)."""
    if normalize == "true":
        matrix = safe_divide(xp, matrix, xp.sum(matrix, axis=1, keepdims=True))
    elif normalize == "pred":
        matrix = safe_divide(xp, matrix, xp.sum(matrix, axis=0, keepdims=True))
    elif normalize == "all":
        matrix = safe_divide(xp, matrix, xp.sum(matrix))
    return finalize(xp, matrix, out_dtype)


def _diagonal(xp: Namespace, matrix: Array) -> Array:
    eye = xp.eye(matrix.shape[0], dtype=matrix.dtype, device=device_of(matrix))
    return xp.sum(matrix * eye, axis=1)


def mcc_from_matrix(xp: Namespace, matrix: Array, out_dtype: Any) -> Array:
    """Gorodkin's ``R_K`` of the confusion matrix; 0 for a zero denominator, NaN for an empty
    (or zero-weight) matrix."""
    t, p = xp.sum(matrix, axis=1), xp.sum(matrix, axis=0)
    s = xp.sum(t)
    c = xp.sum(_diagonal(xp, matrix))
    cov_tp = c * s - xp.sum(p * t)
    cov_pp, cov_tt = s * s - xp.sum(p * p), s * s - xp.sum(t * t)
    mcc = safe_divide(xp, cov_tp, sqrt_at_zero(xp, cov_pp) * sqrt_at_zero(xp, cov_tt))
    mcc = xp.clip(mcc, -1.0, 1.0)  # rounding: -1.0000000000000002 for an inverted predictor
    mcc = xp.where(s == 0, xp.full_like(mcc, math.nan), mcc)
    return finalize(xp, mcc, out_dtype)


def kappa_from_matrix(xp: Namespace, matrix: Array, weights: Any, out_dtype: Any) -> Array:
    """``1 - Σ w O / Σ w E``; NaN where ``Σ w E = 0`` and for an empty matrix."""
    observed = divide_or_nan(xp, matrix, xp.sum(matrix))
    expected = xp.sum(observed, axis=1)[:, None] * xp.sum(observed, axis=0)[None, :]
    n = matrix.shape[0]
    i = xp.arange(n, dtype=matrix.dtype, device=device_of(matrix))
    diff = i[:, None] - i[None, :]
    if weights is None:
        w = xp.astype(diff != 0, matrix.dtype)
    elif weights == "linear":
        w = xp.abs(diff)
    else:
        w = diff * diff
    kappa = 1 - divide_or_nan(xp, xp.sum(w * observed), xp.sum(w * expected))
    return finalize(xp, kappa, out_dtype)


def balanced_accuracy_from_matrix(
    xp: Namespace, matrix: Array, adjusted: bool, out_dtype: Any
) -> Array:
    """The mean recall over the classes with support in ``target``; adjusted for chance
    ``(bacc - 1/K)/(1 - 1/K)``, NaN for ``K = 1`` (0/0) and for ``K = 0``."""
    support = xp.sum(matrix, axis=1)
    present = support > 0
    k = xp.sum(xp.astype(present, matrix.dtype))
    recall = safe_divide(xp, _diagonal(xp, matrix), support)
    score = divide_or_nan(xp, xp.sum(xp.where(present, recall, xp.zeros_like(recall))), k)
    if adjusted:
        chance = divide_or_nan(xp, xp.ones_like(k), k)
        score = divide_or_nan(xp, score - chance, 1 - chance)
    nan = xp.any(xp.isnan(matrix))
    score = xp.where(nan, xp.full_like(score, math.nan), score)
    return finalize(xp, score, out_dtype)


@sample_weighted
def confusion_matrix(
    pred: Array,
    target: Array,
    *,
    num_classes: int,
    normalize: ConfusionNormalize | None = None,
    sample_weight: Array | None = None,
) -> Array:
    r"""The weighted confusion matrix, row = true class, column = predicted class,

    .. math:: M_{ij} = \sum_n w_n [y_n = i][\hat y_n = j]

    In plain text: ``M[i, j] = Σ w`` over the rows with ``target = i`` and ``pred = j``.
    scikit-learn and torchmetrics use the same layout. ``normalize``: ``None`` (counts),
    ``"true"`` (each row divided by its sum), ``"pred"`` (each column by its sum), ``"all"``
    (by the total); a zero row, column or total normalises to 0, as both peers do.

    The result is floating, so weights and normalisation share one dtype (counts exact to 2^53
    in float64, 2^24 in float32); torchmetrics returns int64 raw counts, scikit-learn ints. An
    empty batch gives a ``(C, C)`` matrix of zeros (a count table of nothing; scikit-learn
    raises). A NaN score or weight makes every entry NaN. Peers:
    ``sklearn.metrics.confusion_matrix(target, pred, labels=range(C), normalize=...,
    sample_weight=w)`` and torchmetrics ``multiclass_confusion_matrix(pred, target,
    num_classes=C, normalize=...)``, equal.

    Args:
        pred: predicted labels (integer or boolean, ``target``'s shape, typically ``(N,)``) or
            scores with one more last axis, ``(N, C)`` floating, reduced by ``argmax``.
        target: ``(N,)`` integer or boolean class labels.
        num_classes: the number of classes C, an int ``>= 1`` (labels lie in ``[0, C)``).
        normalize: ``None`` (default: counts), ``"true"``, ``"pred"`` or ``"all"``.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).

    Returns:
        A ``(C, C)`` array of ``pred``'s floating dtype (the default floating dtype when
        ``pred`` holds labels).

    References:
        - No paper: the contingency table of predicted against true classes. Peer
          implementations followed: ``sklearn.metrics.confusion_matrix`` and torchmetrics
          ``multiclass_confusion_matrix``.

    Example:
        >>> import numpy as np
        >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]), num_classes=2).tolist()
        [[1.0, 1.0], [0.0, 1.0]]
    """
    normalize = normalize_option(normalize)
    c = confusion(pred, target, num_classes=num_classes, sample_weight=sample_weight)
    return normalized(c.xp, c.matrix, normalize, c.out_dtype)


@sample_weighted
def matthews_corrcoef(
    pred: Array, target: Array, *, num_classes: int, sample_weight: Array | None = None
) -> Array:
    r"""Matthews' correlation coefficient, multiclass (Gorodkin's :math:`R_K`), of the weighted
    confusion matrix :math:`M` with row sums :math:`t_k`, column sums :math:`p_k`, trace
    :math:`c` and total :math:`s`:

    .. math:: \mathrm{MCC} = \frac{c\,s - \sum_k p_k t_k}
        {\sqrt{(s^2 - \sum_k p_k^2)(s^2 - \sum_k t_k^2)}}

    In plain text: ``MCC = (c·s − Σ p_k t_k) / sqrt((s² − Σ p_k²)(s² − Σ t_k²))``; with two
    classes, ``(TP·TN − FP·FN) / sqrt(...)``.

    A zero denominator (a constant prediction, or one class in ``target``) gives **0**, as
    scikit-learn (``if cov_ypyp_ytyt == 0: return 0.0``), the limit the usual definition
    gives. torchmetrics ``multiclass_matthews_corrcoef`` special-cases these inputs
    (``pred = target = [1, 1, 1]``: 1.0; ``pred = [0, 1, 1]`` against ``[1, 1, 1]``: 0.408);
    it agrees with us elsewhere. An empty batch gives NaN (scikit-learn raises). Peer:
    ``sklearn.metrics.matthews_corrcoef(target, pred, sample_weight=w)``, equal.

    Args:
        pred: predicted labels (integer or boolean, ``target``'s shape, typically ``(N,)``) or
            scores with one more last axis, ``(N, C)`` floating, reduced by ``argmax``.
        target: ``(N,)`` integer or boolean class labels.
        num_classes: the number of classes C, an int ``>= 1`` (labels lie in ``[0, C)``).
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).

    Returns:
        A 0-d array of ``pred``'s floating dtype (the default floating dtype when ``pred``
        holds labels), in [-1, 1].

    References:
        - B. W. Matthews (1975), "Comparison of the predicted and observed secondary structure
          of T4 phage lysozyme", Biochimica et Biophysica Acta 405(2).
          DOI 10.1016/0005-2795(75)90109-9.
        - J. Gorodkin (2004), "Comparing two K-category assignments by a K-category correlation
          coefficient", Computational Biology and Chemistry 28(5).
          DOI 10.1016/j.compbiolchem.2004.09.006.
        - Peer implementation followed: ``sklearn.metrics.matthews_corrcoef``.

    Example:
        >>> import numpy as np
        >>> pred, target = np.array([1, 1, 1, 0, 0]), np.array([1, 1, 0, 0, 0])
        >>> round(float(matthews_corrcoef(pred, target, num_classes=2)), 6)
        0.666667
    """
    c = confusion(pred, target, num_classes=num_classes, sample_weight=sample_weight)
    return mcc_from_matrix(c.xp, c.matrix, c.out_dtype)


@sample_weighted
def cohen_kappa(
    pred: Array,
    target: Array,
    *,
    num_classes: int,
    weights: KappaWeights | None = None,
    sample_weight: Array | None = None,
) -> Array:
    r"""Cohen's kappa, the agreement of two raters beyond chance,

    .. math:: \kappa = 1 - \frac{\sum_{ij} w_{ij} O_{ij}}{\sum_{ij} w_{ij} E_{ij}}

    In plain text: ``κ = 1 − Σ w_ij O_ij / Σ w_ij E_ij``, with ``O`` the normalised weighted
    confusion matrix, ``E`` the outer product of its row and column marginals, and ``w_ij``
    ``[i ≠ j]`` (``weights=None``), ``|i − j|`` (``"linear"``) or ``(i − j)²``
    (``"quadratic"``). Symmetric in the two raters.

    ``Σ w E = 0`` (both raters put everything in one and the same class) gives NaN, as
    scikit-learn 1.9 (``replace_undefined_by=np.nan``) and torchmetrics. A constant rater
    against a varying one gives 0. An empty batch gives NaN (scikit-learn raises). Peers:
    ``sklearn.metrics.cohen_kappa_score(target, pred, labels=range(C), weights=...,
    sample_weight=w)`` (equal) and torchmetrics ``multiclass_cohen_kappa(pred, target,
    num_classes=C, weights=...)`` (equal to float32).

    Args:
        pred: predicted labels (integer or boolean, ``target``'s shape, typically ``(N,)``) or
            scores with one more last axis, ``(N, C)`` floating, reduced by ``argmax``.
        target: ``(N,)`` integer or boolean class labels.
        num_classes: the number of classes C, an int ``>= 1`` (labels lie in ``[0, C)``).
        weights: ``None`` (default: 0/1 disagreement), ``"linear"`` or ``"quadratic"``.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).

    Returns:
        A 0-d array of ``pred``'s floating dtype (the default floating dtype when ``pred``
        holds labels), at most 1.

    References:
        - J. Cohen (1960), "A coefficient of agreement for nominal scales", Educational and
          Psychological Measurement 20(1). DOI 10.1177/001316446002000104.
        - J. Cohen (1968), "Weighted kappa", Psychological Bulletin 70(4) (the weights).
          DOI 10.1037/h0026256.
        - Peer implementation followed: ``sklearn.metrics.cohen_kappa_score``.

    Example:
        >>> import numpy as np
        >>> float(cohen_kappa(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), num_classes=2))
        0.5
    """
    weights = weights_option(weights)
    c = confusion(pred, target, num_classes=num_classes, sample_weight=sample_weight)
    return kappa_from_matrix(c.xp, c.matrix, weights, c.out_dtype)


@sample_weighted
def balanced_accuracy(
    pred: Array,
    target: Array,
    *,
    num_classes: int,
    adjusted: bool = False,
    sample_weight: Array | None = None,
) -> Array:
    r"""Balanced accuracy: the mean recall over the classes present in ``target``,

    .. math:: \mathrm{BAcc} = \frac{1}{K} \sum_{c:\, t_c > 0} \frac{M_{cc}}{t_c}

    In plain text: ``BAcc = mean over the classes c with weighted support t_c > 0 of
    M[c, c] / t_c``, ``K`` the number of such classes. ``adjusted=True`` gives
    ``(BAcc − 1/K) / (1 − 1/K)`` (0 for chance, 1 for perfect).

    A class that appears only in the predictions does not count (scikit-learn's rule; the
    peer). torchmetrics has no balanced accuracy, and its ``multiclass_recall(average=
    "macro")`` does count such a class (recall 0): ``pred [0, 1, 2, 2, 0]``, ``target
    [0, 1, 1, 1, 0]`` gives 2/3 here, 4/9 there. ``adjusted=True`` with a single class in
    ``target`` is 0/0: NaN (scikit-learn returns ``-inf``). An empty batch gives NaN. Peer:
    ``sklearn.metrics.balanced_accuracy_score(target, pred, sample_weight=w,
    adjusted=...)``, equal.

    Args:
        pred: predicted labels (integer or boolean, ``target``'s shape, typically ``(N,)``) or
            scores with one more last axis, ``(N, C)`` floating, reduced by ``argmax``.
        target: ``(N,)`` integer or boolean class labels.
        num_classes: the number of classes C, an int ``>= 1`` (labels lie in ``[0, C)``).
        adjusted: whether to rescale for chance. Default ``False``.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).

    Returns:
        A 0-d array of ``pred``'s floating dtype (the default floating dtype when ``pred``
        holds labels), in [0, 1] (adjusted: at most 1).

    References:
        - K. H. Brodersen, C. S. Ong, K. E. Stephan and J. M. Buhmann (2010), "The balanced
          accuracy and its posterior distribution", ICPR. DOI 10.1109/ICPR.2010.764.
        - Peer implementation followed: ``sklearn.metrics.balanced_accuracy_score``.

    Example:
        >>> import numpy as np
        >>> pred, target = np.array([0, 1, 2, 2, 0]), np.array([0, 1, 1, 1, 0])
        >>> round(float(balanced_accuracy(pred, target, num_classes=3)), 6)
        0.666667
    """
    adjusted = flag("adjusted", adjusted)
    c = confusion(pred, target, num_classes=num_classes, sample_weight=sample_weight)
    return balanced_accuracy_from_matrix(c.xp, c.matrix, adjusted, c.out_dtype)
