"""Regression metrics, matching scikit-learn (whose argument order is ``(y_true, y_pred)``).

Inputs are ``pred`` and ``target`` of shape ``(N,)`` or ``(N, K)`` (``K`` outputs), an
optional per-sample ``sample_weight`` of shape ``(N,)``, and ``multioutput``:

* ``"uniform_average"`` (default): the mean of the ``K`` per-output scores, a 0-d array;
* ``"raw_values"``: the ``(K,)`` per-output scores (``K = 1`` for 1-D inputs, as sklearn);
* an array of ``K`` weights: their weighted mean;
* ``"variance_weighted"`` (:func:`r2_score`, :func:`explained_variance_score` only): weighted
  by each output's target variance.

Results have ``pred``'s floating dtype, on ``pred``'s device. ``target`` may be floating,
integer or boolean. NaN in ``pred``, ``target`` or ``sample_weight`` gives NaN for the outputs it
touches (never a finite value, whatever ``force_finite``). A mean over nothing is NaN: an
empty batch (``N = 0``; :func:`r2_score` raises instead, it needs two samples), per-sample
weights that sum to 0, or ``multioutput`` weights that sum to 0.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .._backend import Array, Namespace, as_dtype, const, finalize
from .._ops import mean_or_nan, safe_divide
from .._validate import (
    NO_REDUCTION,
    check_kind,
    check_option,
    check_same_shape,
    check_sample_weight_shape,
    check_values,
    flag,
    is_array,
    options,
    prepare,
    sample_weighted,
)
from ..typing import MultiOutput, VarianceMultiOutput

__all__ = [
    "explained_variance_score",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_log_error",
    "r2_score",
    "root_mean_squared_error",
    "root_mean_squared_log_error",
    "symmetric_mean_absolute_percentage_error",
    "weighted_mean_absolute_percentage_error",
]

_AVERAGES = options(MultiOutput)
_VARIANCE_AVERAGES = options(VarianceMultiOutput)
_FLOAT64_EPS = 2.220446049250313e-16  # sklearn's MAPE floor, finfo(float64).eps, any dtype


class Columns(NamedTuple):
    xp: Namespace
    pred: Array  # (N, K), compute dtype
    target: Array  # (N, K), compute dtype
    sample_weight: Array | None  # (N, 1), compute dtype
    out_dtype: Any


def columns(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None,
    multioutput: Any,
    allowed: tuple[str, ...],
) -> Columns:
    """:func:`~arraylosses._validate.prepare`, then the shape checks: ``(N,)`` or ``(N, K)``
    inputs (returned as ``(N, K)``), ``(N,)`` weights, ``multioutput`` one of ``allowed`` or
    ``K`` output weights."""
    weights = multioutput if is_array(multioutput) else None
    xp, out_dtype, dtype = prepare(
        "pred",
        pred,
        reduction=NO_REDUCTION,
        target=target,
        sample_weight=sample_weight,
        multioutput=weights,
    )
    # booleans are 0/1 targets
    check_kind(
        xp,
        "target",
        target,
        ("real floating", "integral", "bool"),
        must="be a real (floating, integer or boolean) array",
    )
    check_same_shape("pred", pred, "target", target)
    if pred.ndim not in (1, 2):
        raise ValueError(f"pred must have shape (N,) or (N, K); got {tuple(pred.shape)}")
    p, t = as_dtype(xp, pred, dtype), as_dtype(xp, target, dtype)
    if pred.ndim == 1:
        p, t = p[:, None], t[:, None]
    check_sample_weight_shape(xp, sample_weight, (pred.shape[0],))
    w = None if sample_weight is None else as_dtype(xp, sample_weight, dtype)[:, None]
    if weights is not None:
        k = p.shape[1]
        if weights.ndim != 1 or weights.shape[0] != k:
            raise ValueError(
                f"multioutput weights must have shape ({k},); got {tuple(weights.shape)}"
            )
    else:
        check_option("multioutput", multioutput, allowed)
    return Columns(xp, p, t, w, out_dtype)


def squared_error(xp: Namespace, pred: Array, target: Array) -> Array:
    """``(p - t)²`` elementwise (the MSE and RMSE term). Written on the unnamed difference:
    NumPy then squares its temporary in place (``r * r`` on a named ``r`` allocates a second
    array of the inputs' size: 1.4x the NumPy one-liner at (100000, 8))."""
    return (pred - target) ** 2


def absolute_error(xp: Namespace, pred: Array, target: Array) -> Array:
    """``|p - t|`` elementwise (the MAE term): the array's ``__abs__``, which NumPy applies to
    the temporary difference in place (``xp.abs`` allocates another array)."""
    return abs(pred - target)


def absolute_percentage_error(xp: Namespace, pred: Array, target: Array) -> Array:
    """``|p - t| / max(|t|, ε)`` elementwise, ε = float64's machine epsilon (the MAPE term)."""
    floor = const(xp, _FLOAT64_EPS, target)
    return xp.abs(pred - target) / xp.maximum(xp.abs(target), floor)


def _average(xp: Namespace, x: Array, w: Array | None) -> Array:
    """Per-column (weighted) mean of an ``(N, K)`` array; NaN for ``N = 0`` or weights that
    sum to 0 (``xp.mean`` of nothing would warn on NumPy)."""
    return mean_or_nan(xp, x, w, axis=0)


def combine_outputs(xp: Namespace, scores: Array, multioutput: Any, out_dtype: Any) -> Array:
    """Reduce the ``(K,)`` per-output scores as ``multioutput`` asks (an array of output
    weights, ``"raw_values"`` or the uniform mean), cast to ``out_dtype``."""
    if is_array(multioutput):
        out = mean_or_nan(xp, scores, multioutput)
    elif multioutput == "raw_values":
        out = scores
    else:
        out = mean_or_nan(xp, scores, None)
    return finalize(xp, out, out_dtype)


def _mean_error(c: Columns, errors: Array, multioutput: Any) -> Array:
    """The per-output means of the ``(N, K)`` ``errors``, combined as ``multioutput`` asks.
    Unweighted with the uniform average, that is the mean of all ``N·K`` errors: one flat sum
    (NumPy sums a flat array pairwise and fast, an ``(N, K)`` array along ``N`` a column at a
    time: MSE was 1.8x the NumPy one-liner, benchmarks/run.py)."""
    xp = c.xp
    uniform = isinstance(multioutput, str) and multioutput == "uniform_average"
    if uniform and c.sample_weight is None:
        return finalize(xp, mean_or_nan(xp, errors, None), c.out_dtype)
    return combine_outputs(xp, _average(xp, errors, c.sample_weight), multioutput, c.out_dtype)


@sample_weighted
def mean_squared_error(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    multioutput: MultiOutput | Array = "uniform_average",
) -> Array:
    r"""MSE, :math:`\frac{\sum_i w_i (p_i - t_i)^2}{\sum_i w_i}` per output.

    Peer: ``sklearn.metrics.mean_squared_error(target, pred)``.
    An empty batch, or weights that sum to 0, give NaN (no exception, no warning).

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).
        multioutput: ``"uniform_average"`` (default, sklearn's), ``"raw_values"`` or a
            ``(K,)`` array of output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - No paper: the textbook mean squared error.
        - Peer implementation followed: ``sklearn.metrics.mean_squared_error``.

    Example:
        >>> import numpy as np
        >>> float(mean_squared_error(np.array([2.5, 0.0, 2, 8]), np.array([3, -0.5, 2, 7.0])))
        0.375
    """
    c = columns(
        pred, target, sample_weight=sample_weight, multioutput=multioutput, allowed=_AVERAGES
    )
    return _mean_error(c, squared_error(c.xp, c.pred, c.target), multioutput)


@sample_weighted
def root_mean_squared_error(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    multioutput: MultiOutput | Array = "uniform_average",
) -> Array:
    r"""RMSE: the square root of each output's MSE, then averaged over outputs (as sklearn).

    Peer: ``sklearn.metrics.root_mean_squared_error(target, pred)``.
    An empty batch, or weights that sum to 0, give NaN (no exception, no warning).

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).
        multioutput: ``"uniform_average"`` (default, sklearn's), ``"raw_values"`` or a
            ``(K,)`` array of output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - No paper: the textbook root mean squared error.
        - Peer implementation followed: ``sklearn.metrics.root_mean_squared_error``.

    Example:
        >>> import numpy as np
        >>> float(root_mean_squared_error(np.array([1.0, 1.0]), np.array([4.0, -3.0])))
        3.5355339059327378
    """
    c = columns(
        pred, target, sample_weight=sample_weight, multioutput=multioutput, allowed=_AVERAGES
    )
    mse = _average(c.xp, squared_error(c.xp, c.pred, c.target), c.sample_weight)
    return combine_outputs(c.xp, c.xp.sqrt(mse), multioutput, c.out_dtype)


@sample_weighted
def mean_absolute_error(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    multioutput: MultiOutput | Array = "uniform_average",
) -> Array:
    r"""MAE, :math:`\frac{\sum_i w_i |p_i - t_i|}{\sum_i w_i}` per output.

    Peer: ``sklearn.metrics.mean_absolute_error(target, pred)``.
    An empty batch, or weights that sum to 0, give NaN (no exception, no warning).

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).
        multioutput: ``"uniform_average"`` (default, sklearn's), ``"raw_values"`` or a
            ``(K,)`` array of output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - No paper: the textbook mean absolute error.
        - Peer implementation followed: ``sklearn.metrics.mean_absolute_error``.

    Example:
        >>> import numpy as np
        >>> float(mean_absolute_error(np.array([2.5, 0.0, 2, 8]), np.array([3, -0.5, 2, 7.0])))
        0.5
    """
    c = columns(
        pred, target, sample_weight=sample_weight, multioutput=multioutput, allowed=_AVERAGES
    )
    return _mean_error(c, absolute_error(c.xp, c.pred, c.target), multioutput)


@sample_weighted
def mean_absolute_percentage_error(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    multioutput: MultiOutput | Array = "uniform_average",
) -> Array:
    r"""MAPE, :math:`|p - t| / \max(|t|, \epsilon)` averaged, with sklearn's
    :math:`\epsilon` = float64 machine epsilon (whatever the dtype). A fraction, not a percent.

    Peer: ``sklearn.metrics.mean_absolute_percentage_error(target, pred)``. A zero target makes
    the score huge rather than infinite, as there (in float16, whose largest value is 65504, it
    overflows to ``inf``). An empty batch, or weights that sum to 0, give NaN.

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).
        multioutput: ``"uniform_average"`` (default, sklearn's), ``"raw_values"`` or a
            ``(K,)`` array of output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - No paper: the textbook mean absolute percentage error.
        - Peer implementation followed: ``sklearn.metrics.mean_absolute_percentage_error``.

    Example:
        >>> import numpy as np
        >>> float(mean_absolute_percentage_error(np.array([1.1, 2.0]), np.array([1.0, 4.0])))
        0.3
    """
    c = columns(
        pred, target, sample_weight=sample_weight, multioutput=multioutput, allowed=_AVERAGES
    )
    ape = absolute_percentage_error(c.xp, c.pred, c.target)
    return combine_outputs(c.xp, _average(c.xp, ape, c.sample_weight), multioutput, c.out_dtype)


def explained_fraction(
    xp: Namespace,
    numerator: Array,
    denominator: Array,
    *,
    multioutput: Any,
    force_finite: bool,
    out_dtype: Any,
) -> Array:
    """``1 - num/den`` per output, sklearn's ``force_finite`` rule, then ``multioutput``.

    A constant target (``den = 0``): with force_finite, a perfect prediction (``num = 0``)
    scores 1 and an imperfect one 0; without, NaN (0/0) and ``-inf`` as sklearn, with no
    division warning. NaN in either part (NaN input, weights summing to 0) stays NaN: the
    constant-target rule must not turn it into 0 or 1.
    """
    force_finite = flag("force_finite", force_finite)
    nonzero_den = denominator != 0
    fraction = 1 - safe_divide(xp, numerator, denominator)  # den = 0: replaced just below
    if force_finite:
        constant = xp.where(numerator == 0, xp.ones_like(fraction), xp.zeros_like(fraction))
    else:
        constant = xp.where(
            numerator == 0, xp.full_like(fraction, math.nan), xp.full_like(fraction, -math.inf)
        )
    scores = xp.where(nonzero_den, fraction, constant)
    nan = xp.isnan(numerator) | xp.isnan(denominator)
    scores = xp.where(nan, xp.full_like(scores, math.nan), scores)
    if not is_array(multioutput) and multioutput == "variance_weighted":
        total = xp.sum(denominator)
        some = total != 0  # all-constant targets: uniform weights, as sklearn
        # weight 0 for the constant outputs: 0 * score, and IEEE's 0 * inf = NaN (sklearn's
        # result), without NumPy's warning
        zero = xp.zeros_like(scores)
        zero_weight = xp.where(xp.isfinite(scores), zero, xp.full_like(scores, math.nan))
        weighted_scores = denominator * xp.where(nonzero_den, scores, zero)
        weighted = safe_divide(
            xp, xp.sum(xp.where(nonzero_den, weighted_scores, zero_weight)), total
        )
        uniform = mean_or_nan(xp, scores, None)
        return finalize(xp, xp.where(some, weighted, uniform), out_dtype)
    return combine_outputs(xp, scores, multioutput, out_dtype)


@sample_weighted
def r2_score(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    multioutput: VarianceMultiOutput | Array = "uniform_average",
    force_finite: bool = True,
) -> Array:
    r"""Coefficient of determination per output,

    In plain text: ``R2 = 1 - sum_i w_i (t_i - p_i)**2 / sum_i w_i (t_i - mean_w(t))**2``.

    .. math:: R^2 = 1 - \frac{\sum_i w_i (t_i - p_i)^2}{\sum_i w_i (t_i - \bar t_w)^2}

    1 is perfect, 0 is as good as predicting the (weighted) mean, negative is worse. With
    ``force_finite=True`` (sklearn's default) a constant target gives 1 for a perfect prediction
    and 0 otherwise, instead of NaN/-inf. Peer: ``sklearn.metrics.r2_score(target, pred)``.
    Unlike sklearn (which warns and returns NaN), fewer than two samples raise ``ValueError``.
    NaN in an input gives NaN for its output, never the constant-target 0 or 1; without
    ``force_finite`` a constant target gives NaN (perfect) or ``-inf``, with no warning.

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).
        multioutput: ``"uniform_average"`` (default, sklearn's), ``"raw_values"``,
            ``"variance_weighted"`` or a ``(K,)`` array of output weights.
        force_finite: a constant target gives 1 (perfect prediction) or 0 instead of NaN/-inf.
            Default ``True``, sklearn's.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - No paper: the textbook coefficient of determination.
        - Peer implementation followed: ``sklearn.metrics.r2_score``.

    Example:
        >>> import numpy as np
        >>> float(r2_score(np.array([2.5, 0.0, 2, 8]), np.array([3, -0.5, 2, 7.0])))
        0.9486081370449679
    """
    c = columns(
        pred,
        target,
        sample_weight=sample_weight,
        multioutput=multioutput,
        allowed=_VARIANCE_AVERAGES,
    )
    if c.pred.shape[0] < 2:
        raise ValueError(f"r2_score needs at least 2 samples; pred has shape {tuple(pred.shape)}")
    xp = c.xp
    w = c.sample_weight if c.sample_weight is not None else xp.ones_like(c.target[:, :1])
    r = c.target - c.pred
    numerator = xp.sum(w * r * r, axis=0)
    d = c.target - _average(xp, c.target, c.sample_weight)
    denominator = xp.sum(w * d * d, axis=0)
    return explained_fraction(
        xp,
        numerator,
        denominator,
        multioutput=multioutput,
        force_finite=force_finite,
        out_dtype=c.out_dtype,
    )


@sample_weighted
def explained_variance_score(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    multioutput: VarianceMultiOutput | Array = "uniform_average",
    force_finite: bool = True,
) -> Array:
    r"""Explained variance per output, :math:`1 - \mathrm{Var}_w[t - p] / \mathrm{Var}_w[t]`.

    Differs from :func:`r2_score` only in centring the residuals (a constant bias is not
    penalised). ``force_finite``, ``multioutput`` and NaN as there, but an empty batch gives
    NaN. Peer: ``sklearn.metrics.explained_variance_score(target, pred)``.

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).
        multioutput: ``"uniform_average"`` (default, sklearn's), ``"raw_values"``,
            ``"variance_weighted"`` or a ``(K,)`` array of output weights.
        force_finite: a constant target gives 1 (perfect prediction) or 0 instead of NaN/-inf.
            Default ``True``, sklearn's.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - No paper: the textbook explained variance.
        - Peer implementation followed: ``sklearn.metrics.explained_variance_score``.

    Example:
        >>> import numpy as np
        >>> float(explained_variance_score(np.array([2.5, 0.0, 2, 8]), np.array([3, -0.5, 2, 7.0])))
        0.9571734475374732
    """
    c = columns(
        pred,
        target,
        sample_weight=sample_weight,
        multioutput=multioutput,
        allowed=_VARIANCE_AVERAGES,
    )
    xp = c.xp
    r = c.target - c.pred
    rc = r - _average(xp, r, c.sample_weight)
    numerator = _average(xp, rc * rc, c.sample_weight)
    d = c.target - _average(xp, c.target, c.sample_weight)
    denominator = _average(xp, d * d, c.sample_weight)
    return explained_fraction(
        xp,
        numerator,
        denominator,
        multioutput=multioutput,
        force_finite=force_finite,
        out_dtype=c.out_dtype,
    )


# ---------------------------------------------------------------------------------------------
# Logarithmic errors (wave 3): MSLE


def _check_log_domain(xp: Namespace, name: str, x: Array) -> None:
    """Every value of ``x`` is > -1, sklearn's rule for ``log1p`` (NaN passes: it propagates).
    A :func:`~arraylosses._validate.check_values` check: skipped under ``jax.jit``, where the
    affected outputs are NaN instead."""
    if math.prod(x.shape) == 0:
        return
    check_values(
        xp,
        ~(x <= -1),
        f"{name} must hold values greater than -1 (the log error takes log1p)",
        found=lambda: f"; found min {float(xp.min(x))}",
    )


def squared_log_error(xp: Namespace, pred: Array, target: Array) -> Array:
    """``(log1p(p) - log1p(t))²`` elementwise (the MSLE and RMSLE term), after the eager check
    that every value is > -1 (a ``ValueError`` naming ``pred`` or ``target``); NaN where ``p``
    or ``t`` is ≤ -1 (what a traced call gives, where the check cannot raise), with a zero
    gradient there (no ``log1p(-1)`` in the backward pass)."""
    _check_log_domain(xp, "pred", pred)
    _check_log_domain(xp, "target", target)
    valid = (pred > -1) & (target > -1)
    zero = xp.zeros_like(pred)
    d = xp.log1p(xp.where(valid, pred, zero)) - xp.log1p(xp.where(valid, target, zero))
    return xp.where(valid, d * d, xp.full_like(d, math.nan))


@sample_weighted
def mean_squared_log_error(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    multioutput: MultiOutput | Array = "uniform_average",
) -> Array:
    r"""MSLE per output, averaged as ``multioutput`` asks.

    .. math:: \mathrm{MSLE} = \frac{\sum_i w_i (\log(1 + p_i) - \log(1 + t_i))^2}{\sum_i w_i}

    In plain text: ``sum_i w_i (log1p(p_i) - log1p(t_i))**2 / sum_i w_i`` per output.

    Peer: ``sklearn.metrics.mean_squared_log_error(target, pred)`` (equal); torchmetrics'
    ``mean_squared_log_error`` is equal on valid input. Domain: as sklearn 1.9, any value
    ≤ -1 in ``pred`` or ``target`` raises ``ValueError`` (values in (-1, 0) are allowed);
    torchmetrics instead returns ``inf`` (at -1) or NaN (below) silently. Under ``jax.jit``
    the check cannot run and the outputs such a value touches are NaN. NaN passes the check
    and gives NaN. An empty batch, or weights that sum to 0, give NaN (sklearn raises for an
    empty batch).

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs), each > -1.
        target: ``pred``'s shape, floating, integer or boolean, each > -1.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).
        multioutput: ``"uniform_average"`` (default, sklearn's), ``"raw_values"`` or a
            ``(K,)`` array of output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - No paper: the textbook mean squared logarithmic error.
        - Peer implementation followed: ``sklearn.metrics.mean_squared_log_error``.

    Example:
        >>> import numpy as np
        >>> round(float(mean_squared_log_error(np.array([1.0, 3.0]), np.array([0.0, 3.0]))), 12)
        0.240226506959
    """
    c = columns(
        pred, target, sample_weight=sample_weight, multioutput=multioutput, allowed=_AVERAGES
    )
    return _mean_error(c, squared_log_error(c.xp, c.pred, c.target), multioutput)


@sample_weighted
def root_mean_squared_log_error(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    multioutput: MultiOutput | Array = "uniform_average",
) -> Array:
    r"""RMSLE: the square root of each output's :func:`mean_squared_log_error`, then averaged
    over outputs (as sklearn, and as :func:`root_mean_squared_error`).

    .. math::
        \mathrm{RMSLE} = \sqrt{\frac{\sum_i w_i (\log(1 + p_i) - \log(1 + t_i))^2}{\sum_i w_i}}

    In plain text: ``sqrt(sum_i w_i (log1p(p_i) - log1p(t_i))**2 / sum_i w_i)`` per output.

    Peer: ``sklearn.metrics.root_mean_squared_log_error(target, pred)`` (equal). The domain
    rule is :func:`mean_squared_log_error`'s: a value ≤ -1 raises ``ValueError`` eagerly
    (sklearn 1.9's rule) and gives NaN under ``jax.jit``; NaN gives NaN; an empty batch, or
    weights that sum to 0, give NaN.

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs), each > -1.
        target: ``pred``'s shape, floating, integer or boolean, each > -1.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).
        multioutput: ``"uniform_average"`` (default, sklearn's), ``"raw_values"`` or a
            ``(K,)`` array of output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - No paper: the textbook root mean squared logarithmic error.
        - Peer implementation followed: ``sklearn.metrics.root_mean_squared_log_error``.

    Example:
        >>> import numpy as np
        >>> p, t = np.array([1.0, 3.0]), np.array([0.0, 3.0])
        >>> round(float(root_mean_squared_log_error(p, t)), 12)
        0.490129071734
    """
    c = columns(
        pred, target, sample_weight=sample_weight, multioutput=multioutput, allowed=_AVERAGES
    )
    msle = _average(c.xp, squared_log_error(c.xp, c.pred, c.target), c.sample_weight)
    return combine_outputs(c.xp, c.xp.sqrt(msle), multioutput, c.out_dtype)


# ---------------------------------------------------------------------------------------------
# Percentage errors (wave 3): SMAPE, WMAPE


def symmetric_percentage_error(xp: Namespace, pred: Array, target: Array) -> Array:
    """``2|p - t| / (|p| + |t|)`` elementwise, 0 where ``p = t = 0`` (a perfect prediction of
    0), with a zero gradient there; NaN passes."""
    den = xp.abs(pred) + xp.abs(target)
    return 2 * safe_divide(xp, xp.abs(pred - target), den)


@sample_weighted
def symmetric_mean_absolute_percentage_error(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    multioutput: MultiOutput | Array = "uniform_average",
) -> Array:
    r"""SMAPE, a fraction in [0, 2] (not a percent), per output, averaged as ``multioutput``
    asks.

    .. math:: \mathrm{SMAPE} = \frac{\sum_i w_i \, 2|p_i - t_i| / (|p_i| + |t_i|)}{\sum_i w_i}

    In plain text: ``sum_i w_i * 2|p_i - t_i| / (|p_i| + |t_i|) / sum_i w_i``, the term being 0
    where ``p_i = t_i = 0``.

    Peer: ``torchmetrics.functional.regression.symmetric_mean_absolute_percentage_error(pred,
    target)``, equal for unweighted input (for ``(N, K)`` it pools every element, which is our
    uniform mean: each output has N elements). scikit-learn has no SMAPE. Definitions differ:
    Makridakis (1993) and Hyndman & Koehler (2006) drop the absolute values in the denominator
    (which can go negative), darts reports percent (x100), others use ``|p - t|/(|p| + |t|)``
    in [0, 1]; we follow torchmetrics' [0, 2] fraction. Where torchmetrics differs:
    it clamps ``|p| + |t|`` at 1.17e-6, so ``p = 1e-8, t = 0`` reads 0.017 there; ours is the
    exact definition, 2. They agree wherever ``|p| + |t| ≥ 1.17e-6``. NaN gives NaN; an
    empty batch, or weights that sum to 0, give NaN.

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of
            output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - S. Makridakis (1993), "Accuracy measures: theoretical and practical concerns",
          International Journal of Forecasting 9(4), 527-529 (without the absolute values in
          the denominator).
        - Peer implementation followed:
          ``torchmetrics.functional.regression.symmetric_mean_absolute_percentage_error``.

    Example:
        >>> import numpy as np
        >>> p, t = np.array([1.0, 0.0]), np.array([3.0, 0.0])
        >>> float(symmetric_mean_absolute_percentage_error(p, t))
        0.5
    """
    c = columns(
        pred, target, sample_weight=sample_weight, multioutput=multioutput, allowed=_AVERAGES
    )
    return _mean_error(c, symmetric_percentage_error(c.xp, c.pred, c.target), multioutput)


def weighted_percentage_ratio(xp: Namespace, error: Array, scale: Array, weight: Array) -> Array:
    """``error / scale`` (per-output ``Σ w|p - t|`` over ``Σ w|t|``): ``+inf`` where the scale
    is 0 and some error is not, 0 where both are 0, NaN where nothing was counted
    (``weight = Σ w = 0``); NaN passes. Zero gradients on the special cases."""
    ratio = safe_divide(xp, error, scale)
    inf = xp.full_like(ratio, math.inf)
    ratio = xp.where((scale == 0) & (error != 0), inf, ratio)
    ratio = xp.where(xp.isnan(error) | xp.isnan(scale), xp.full_like(ratio, math.nan), ratio)
    return xp.where(weight == 0, xp.full_like(ratio, math.nan), ratio)


@sample_weighted
def weighted_mean_absolute_percentage_error(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    multioutput: MultiOutput | Array = "uniform_average",
) -> Array:
    r"""WMAPE per output, averaged as ``multioutput`` asks (sklearn's convention).

    .. math:: \mathrm{WMAPE} = \frac{\sum_i w_i |p_i - t_i|}{\sum_i w_i |t_i|}

    In plain text: ``sum_i w_i |p_i - t_i| / sum_i w_i |t_i|`` per output.

    A zero denominator (``Σ w|t| = 0``) gives ``+inf`` when any error is nonzero and 0 when
    every error is 0. An empty batch, or weights that sum to 0, give NaN; NaN gives NaN.
    Peer: ``torchmetrics.functional.regression.weighted_mean_absolute_percentage_error(pred,
    target)``, equal for ``(N,)``, unweighted input with ``Σ|t| ≥ 1.17e-6``. Where it differs:
    torchmetrics clamps the denominator at 1.17e-6 (``p = [1]``, ``t = [0]`` reads 854700.85
    there, ``inf`` here), and for ``(N, K)`` pools every element into one ratio, where ours is
    one ratio per output, then ``multioutput``.

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None`` (all 1).
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of
            output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - No paper: the weighted (volume-scaled) absolute percentage error of demand
          forecasting.
        - Peer implementation followed:
          ``torchmetrics.functional.regression.weighted_mean_absolute_percentage_error``.

    Example:
        >>> import numpy as np
        >>> p, t = np.array([1.0, 3.0]), np.array([2.0, 2.0])
        >>> float(weighted_mean_absolute_percentage_error(p, t))
        0.5
    """
    c = columns(
        pred, target, sample_weight=sample_weight, multioutput=multioutput, allowed=_AVERAGES
    )
    xp = c.xp
    w = c.sample_weight if c.sample_weight is not None else xp.ones_like(c.target[:, :1])
    error = xp.sum(w * xp.abs(c.pred - c.target), axis=0)
    scale = xp.sum(w * xp.abs(c.target), axis=0)
    ratio = weighted_percentage_ratio(xp, error, scale, xp.sum(w))
    return combine_outputs(xp, ratio, multioutput, c.out_dtype)
