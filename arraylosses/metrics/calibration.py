"""Calibration metrics of predicted probabilities: the binned calibration error (ECE, RMS, MCE)
and the Brier score.

``probs`` is ``(N,)`` (the probability of class 1; ``target`` in {0, 1}) or ``(N, C)`` (class
probabilities; ``target`` class indices). Probabilities outside [0, 1] and labels out of range
raise in eager mode; under ``jax.jit`` (no value checks) the result is NaN. A NaN probability
gives NaN, and so does an empty batch, with no warning.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .._backend import Array, Namespace, as_dtype, device_of, finalize, index_dtype
from .._ops import divide_or_nan, mean_or_nan, safe_divide, sqrt_at_zero
from .._validate import (
    NO_REDUCTION,
    check_in_range,
    check_kind,
    check_labels,
    check_option,
    check_sample_weight_shape,
    integer,
    options,
    prepare,
    sample_weighted,
)
from ..typing import CalibrationNorm
from ._bins import bin_sums
from .classification import Rows

__all__ = ["brier_score", "calibration_error"]


class _Probs(NamedTuple):
    xp: Namespace
    p: Array  # in the compute dtype
    target: Array  # index dtype
    invalid: Array  # (N,): NaN in the row, a probability outside [0, 1], a bad label (jit)
    classes: int  # 2 for the (N,) form
    out_dtype: Any
    dtype: Any


def _probs(probs: Array, target: Array, sample_weight: Array | None = None) -> _Probs:
    """Validate ``(probs, target)`` of the calibration metrics: shapes, range, labels."""
    xp, out_dtype, dtype = prepare(
        "probs", probs, reduction=NO_REDUCTION, target=target, sample_weight=sample_weight
    )
    check_kind(xp, "target", target, ("integral", "bool"), must="hold class labels (integer)")
    n = tuple(target.shape)
    if target.ndim != 1 or tuple(probs.shape[:1]) != n or probs.ndim not in (1, 2):
        raise ValueError(
            f"probs must have shape (N,) or (N, C) and target (N,); got "
            f"{tuple(probs.shape)} and {n}"
        )
    classes = 2 if probs.ndim == 1 else probs.shape[1]
    if classes == 0:
        raise ValueError(f"probs must have at least one class; got shape {tuple(probs.shape)}")
    check_sample_weight_shape(xp, sample_weight, n)
    p = as_dtype(xp, probs, dtype)
    check_in_range(xp, "probs", p, low=0.0, high=1.0)
    y = as_dtype(xp, target, index_dtype(xp, p))
    check_labels(xp, "target", y, num_classes=classes)
    bad = xp.isnan(p) | (p < 0) | (p > 1)
    if probs.ndim == 2:
        bad = xp.any(bad, axis=1)
    bad = bad | (y < 0) | (y >= classes)
    return _Probs(xp, p, y, bad, classes, out_dtype, dtype)


class CalibrationBins(NamedTuple):
    """Per-bin ``count`` (integer), summed confidence and summed outcome, each ``(n_bins,)``,
    and ``invalid`` (0-d bool): a counted row held NaN, or (under jit) a value out of range."""

    xp: Namespace
    count: Array
    confidence: Array
    outcome: Array
    invalid: Array
    out_dtype: Any


def calibration_bins(
    probs: Array, target: Array, *, n_bins: int, include: Array | None = None
) -> CalibrationBins:
    """Validate, then sum count, confidence and outcome per equal-width bin (``include``: the
    rows to count, all by default). Bin ``b`` holds the confidences ``c`` with
    ``#{j in 1..n-1 : j/n <= c} = b``: ``[b/n, (b+1)/n)``, the last bin closed at 1."""
    r = _probs(probs, target)
    xp, p, y = r.xp, r.p, r.target
    if p.ndim == 1:
        confidence, outcome = p, as_dtype(xp, y, r.dtype)
    else:
        confidence = xp.max(p, axis=1)
        hit = as_dtype(xp, xp.argmax(p, axis=1), y.dtype) == y
        outcome = as_dtype(xp, hit, r.dtype)
    counted = ~r.invalid if include is None else include & ~r.invalid
    invalid = r.invalid if include is None else r.invalid & include
    zero = xp.zeros_like(confidence)
    confidence = xp.where(counted, confidence, zero)  # a bad row counts nowhere (NaN-free sums)
    outcome = xp.where(counted, outcome, zero)
    dev = device_of(p)
    index = index_dtype(xp, p)
    if n_bins == 1:
        bins = xp.zeros(confidence.shape, dtype=index, device=dev)
    else:
        edges = xp.asarray([j / n_bins for j in range(1, n_bins)], dtype=r.dtype, device=dev)
        bins = as_dtype(xp, xp.searchsorted(edges, confidence, side="right"), index)
    count, conf, out = bin_sums(xp, bins, n_bins, as_dtype(xp, counted, index), confidence, outcome)
    return CalibrationBins(xp, count, conf, out, xp.any(invalid), r.out_dtype)


def calibration_from_bins(
    xp: Namespace,
    count: Array,
    confidence: Array,
    outcome: Array,
    invalid: Array,
    *,
    norm: Any,
    out_dtype: Any,
) -> Array:
    """The ``l1``/``l2``/``max`` calibration error of the per-bin sums; NaN for nothing counted
    and where ``invalid``."""
    dtype = xp.float32 if xp.finfo(out_dtype).bits < 32 else out_dtype
    n_b = as_dtype(xp, count, dtype)
    gap = xp.abs(as_dtype(xp, outcome, dtype) - as_dtype(xp, confidence, dtype))  # n_b·|acc−conf|
    total = xp.sum(n_b)
    if norm == "l1":
        error = divide_or_nan(xp, xp.sum(gap), total)
    elif norm == "l2":
        error = sqrt_at_zero(xp, divide_or_nan(xp, xp.sum(safe_divide(xp, gap * gap, n_b)), total))
    else:
        worst = xp.max(safe_divide(xp, gap, n_b))  # an empty bin gives 0, below any other
        error = xp.where(total == 0, xp.full_like(worst, math.nan), worst)
    error = xp.where(invalid, xp.full_like(error, math.nan), error)
    return finalize(xp, error, out_dtype)


def calibration_options(n_bins: Any, norm: Any) -> tuple[int, str]:
    """``(n_bins, norm)`` checked: an int ``>= 1`` and one of ``l1``, ``l2``, ``max``."""
    return integer("n_bins", n_bins, low=1), check_option("norm", norm, options(CalibrationNorm))


def calibration_error(
    probs: Array, target: Array, *, n_bins: int = 15, norm: CalibrationNorm = "l1"
) -> Array:
    r"""Binned calibration error: the gap between confidence and accuracy, over ``n_bins``
    equal-width confidence bins,

    .. math:: \mathrm{ECE} = \sum_b \frac{n_b}{N} \left| \mathrm{acc}_b - \mathrm{conf}_b
        \right|

    In plain text: ``l1`` (ECE) ``Σ_b (n_b/N)|acc_b − conf_b|``; ``l2`` (RMS calibration
    error) ``sqrt(Σ_b (n_b/N)(acc_b − conf_b)²)``; ``max`` (MCE) the largest
    ``|acc_b − conf_b|`` over the non-empty bins. ``n_b`` is the count of bin ``b``, ``conf_b``
    its mean confidence, ``acc_b`` its mean outcome. No debiasing (torchmetrics disables it in
    its public functions too).

    Two forms. ``probs`` ``(N,)`` with ``target`` in {0, 1}: the confidence is ``p``, the
    outcome ``y`` (the calibration of P(y = 1), torchmetrics ``binary_calibration_error``).
    ``probs`` ``(N, C)`` with class indices: top-label, the confidence ``max_c p``, the outcome
    ``[argmax p = y]`` (ties to the first class; torchmetrics ``multiclass_calibration_error``).
    An ``(N, 2)`` input is therefore the top-label error, not the ``(N,)`` one.

    Bins are ``[j/n, (j+1)/n)``, the last one closed, ``[1 - 1/n, 1]``: a confidence ``c`` is in
    bin ``#{j in 1..n-1 : j/n <= c}``, the boundaries rounded to the compute dtype (NumPy's
    ``histogram`` rule, and torchmetrics' for every confidence below 1).

    Where the peers differ: torchmetrics puts a confidence of exactly 1.0 in a phantom
    ``(n+1)``-th bin (torchmetrics#3510: ``p = [.95, 1.0]``, ``y = [1, 0]``, 10 bins gives
    l1/l2/max ``.525/.708/1.0``; ours is ``.475`` for all three: one bin, confidence .975,
    accuracy .5). Guo et al. write right-closed bins ``(a, b]``; ours are left-closed, as
    torchmetrics (``p = [.25, .3, .2]``, ``y = [1, 0, 0]``, 4 bins: .21667; right-closed
    .28333). torchmetrics returns an int64 0 for a zero ``l2`` error and float32 for float64
    multiclass input; ours keeps ``probs``' floating dtype. torchmetrics applies a sigmoid or a
    softmax to values outside [0, 1]; we raise (eager) or give NaN (jit).

    Args:
        probs: ``(N,)`` floating probabilities of class 1 (binary) or ``(N, C)`` class
            probabilities, in [0, 1].
        target: ``(N,)`` integer labels: {0, 1} for ``(N,)`` probabilities, class indices
            otherwise.
        n_bins: the number of equal-width bins, an int ``>= 1``. Default 15 (torchmetrics'
            default, and the setting of Guo et al. 2017).
        norm: ``"l1"`` (default, the ECE), ``"l2"`` (the RMS calibration error) or ``"max"``
            (the MCE).

    Returns:
        A 0-d array of ``probs``' floating dtype, in [0, 1]; NaN for an empty batch or a NaN
        probability.

    References:
        - M. P. Naeini, G. F. Cooper and M. Hauskrecht (2015), "Obtaining well calibrated
          probabilities using Bayesian binning", AAAI (ECE and MCE).
        - C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger (2017), "On calibration of modern
          neural networks", ICML, arXiv:1706.04599.
        - Peer implementations followed: torchmetrics ``binary_calibration_error`` and
          ``multiclass_calibration_error``.

    Example:
        >>> import numpy as np
        >>> float(calibration_error(np.array([0.95, 1.0]), np.array([1, 0]), n_bins=10))
        0.475
    """
    bins, checked = calibration_options(n_bins, norm)
    b = calibration_bins(probs, target, n_bins=bins)
    return calibration_from_bins(
        b.xp, b.count, b.confidence, b.outcome, b.invalid, norm=checked, out_dtype=b.out_dtype
    )


def scale_option(scale_by_half: Any) -> bool | str:
    """``scale_by_half`` checked: ``True``, ``False`` or ``"auto"``."""
    if scale_by_half is True or scale_by_half is False or scale_by_half == "auto":
        return scale_by_half
    raise ValueError(f"scale_by_half must be True, False or 'auto'; got {scale_by_half!r}")


def brier_rows(
    probs: Array, target: Array, *, sample_weight: Array | None, scale_by_half: Any = "auto"
) -> Rows:
    """:func:`brier_score`'s per-sample squared error, validated (NaN for a bad row)."""
    half = scale_option(scale_by_half)
    r = _probs(probs, target, sample_weight)
    xp, p = r.xp, r.p
    if p.ndim == 1:
        y = as_dtype(xp, r.target, r.dtype)
        values = 2 * (p - y) ** 2  # the two-class sum
    else:
        classes = xp.arange(r.classes, dtype=r.target.dtype, device=device_of(p))
        onehot = as_dtype(xp, r.target[:, None] == classes[None, :], r.dtype)
        values = xp.sum((p - onehot) ** 2, axis=1)
    if half is True or (half == "auto" and r.classes == 2):
        values = values / 2
    values = xp.where(r.invalid, xp.full_like(values, math.nan), values)
    return Rows(xp, values, r.out_dtype)


@sample_weighted
def brier_score(
    probs: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    scale_by_half: bool | str = "auto",
) -> Array:
    r"""The Brier score, the mean squared error of predicted probabilities,

    .. math:: \mathrm{BS} = \frac{\sum_i w_i \sum_c (p_{ic} - [y_i = c])^2}{\sum_i w_i}

    In plain text: ``mean_w Σ_c (p_c − [y = c])²`` for ``(N, C)`` class probabilities, and
    ``mean_w (p − y)²`` for ``(N,)`` probabilities of class 1 (halved, see below).
    ``scale_by_half``: ``True`` halves the class sum, ``False`` does not (so the ``(N,)`` form
    is ``2(p − y)²``, the two-class sum), ``"auto"`` halves exactly when there are two classes.
    So ``(N,)`` and ``(N, 2)`` agree, and ``(N, C > 2)`` lies in [0, 2].

    Peer: ``sklearn.metrics.brier_score_loss(target, probs, sample_weight=w,
    labels=range(C), scale_by_half=...)``, equal for the three settings (``labels`` given:
    scikit-learn otherwise infers the classes from ``target``). Rows need not sum to 1 (not
    checked, as scikit-learn). Probabilities outside [0, 1] raise in eager mode (scikit-learn
    raises too). A single class present is fine. An empty batch gives NaN (scikit-learn raises).

    Args:
        probs: ``(N,)`` floating probabilities of class 1 (binary) or ``(N, C)`` class
            probabilities, in [0, 1].
        target: ``(N,)`` integer labels: {0, 1} for ``(N,)`` probabilities, class indices
            otherwise.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).
        scale_by_half: ``True``, ``False`` or ``"auto"`` (default: halve for two classes).

    Returns:
        A 0-d array of ``probs``' floating dtype, ``>= 0``.

    References:
        - G. W. Brier (1950), "Verification of forecasts expressed in terms of probability",
          Monthly Weather Review 78(1). DOI 10.1175/1520-0493(1950)078<0001:VOFEIT>2.0.CO;2.
        - Peer implementation followed: ``sklearn.metrics.brier_score_loss``.

    Example:
        >>> import numpy as np
        >>> float(brier_score(np.array([0.9, 0.2]), np.array([1, 1])))
        0.325
    """
    r = brier_rows(probs, target, sample_weight=sample_weight, scale_by_half=scale_by_half)
    return finalize(r.xp, mean_or_nan(r.xp, r.values, sample_weight), r.out_dtype)
