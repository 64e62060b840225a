"""Correlation metrics: Pearson, Spearman, Kendall and Lin's concordance, per output.

Inputs are ``pred`` (floating) and ``target`` (floating, integer or boolean) of shape ``(N,)``
or ``(N, K)`` (``K`` outputs, one coefficient per column), and ``multioutput``:
``"uniform_average"`` (default: the mean of the ``K`` coefficients, a 0-d array),
``"raw_values"`` (the ``(K,)`` coefficients) or a ``(K,)`` array of output weights. No
``sample_weight``: neither scipy nor torchmetrics has one.

Results have ``pred``'s floating dtype (float16/bfloat16 computed in float32), on ``pred``'s
device; torchmetrics' Spearman and Kendall return float32 for float64 input
(torchmetrics#3465), ours keep float64. NaN in a column gives NaN for that output; fewer than
2 rows give NaN (scipy raises). Every function is ``jax.jit``-able (fixed shapes).
"""

from __future__ import annotations

import math
from typing import Any

from .._backend import (
    Array,
    Namespace,
    as_dtype,
    const,
    device_of,
    index_dtype,
    stop_gradient,
)
from .._validate import check_option, options
from ..typing import KendallVariant, MultiOutput
from .regression import columns, combine_outputs

__all__ = ["concordance_corrcoef", "kendall_tau", "pearson_corrcoef", "spearman_corrcoef"]

_AVERAGES = options(MultiOutput)
_VARIANTS = options(KendallVariant)
_KENDALL_TILE = 1 << 22
"""Elements of one tile of Kendall's pair comparisons (rows x N x K): memory stays O(N), not
O(N²)."""


def _nan_like(xp: Namespace, x: Array) -> Array:
    """``(K,)`` NaN tied to ``x`` ``(N, K)`` (a backward pass through it works)."""
    return xp.sum(x, axis=0) * const(xp, math.nan, x)


def _with_nan(xp: Namespace, value: Array, invalid: Array) -> Array:
    return xp.where(invalid, xp.full_like(value, math.nan), value)


def _pearson_columns(xp: Namespace, x: Array, y: Array) -> Array:
    """Pearson's r of each column of ``x`` and ``y`` ``(N, K)``, ``N ≥ 2``: centred first (two
    passes), each centred column divided by its largest absolute value before squaring (so
    magnitudes of 1e-160 or 1e160 neither underflow nor overflow; r does not depend on the
    scale, whose gradient is cut), clipped to [-1, 1]. A constant column gives NaN, as NaN
    does."""
    xc = x - xp.mean(x, axis=0)
    yc = y - xp.mean(y, axis=0)
    sx = stop_gradient(xp, xp.max(xp.abs(xc), axis=0))
    sy = stop_gradient(xp, xp.max(xp.abs(yc), axis=0))
    ok = (sx > 0) & (sy > 0)  # False for NaN
    one = xp.ones_like(sx)
    a = xc / xp.where(ok, sx, one)
    b = yc / xp.where(ok, sy, one)
    den = xp.sqrt(xp.sum(a * a, axis=0)) * xp.sqrt(xp.sum(b * b, axis=0))  # each ≥ 1 if ok
    r = xp.sum(a * b, axis=0) / xp.where(ok, den, one)
    return _with_nan(xp, xp.clip(r, -1.0, 1.0), ~ok)


def pearson_corrcoef(
    pred: Array, target: Array, *, multioutput: MultiOutput | Array = "uniform_average"
) -> Array:
    r"""Pearson's correlation coefficient per output.

    .. math:: r = \frac{\sum_i (x_i - \bar x)(y_i - \bar y)}
        {\sqrt{\sum_i (x_i - \bar x)^2 \sum_i (y_i - \bar y)^2}}

    In plain text: ``r = sum((x - mean x)(y - mean y)) / sqrt(sum((x - mean x)**2) *
    sum((y - mean y)**2))``, ``x`` the prediction and ``y`` the target, clipped to [-1, 1].

    Computed in the input's dtype in two passes (centred first, never raw power sums), each
    centred column scaled by its largest absolute value before squaring, so float64 inputs of
    magnitude 1e-160 or 1e160 (and float32 of 1e-20) keep their value. Peers:
    ``scipy.stats.pearsonr(pred, target).statistic`` and torchmetrics ``pearson_corrcoef``,
    equal to 1e-12 in float64. Where torchmetrics differs: its near-constant guard
    (``var / maxdev² < sqrt(eps)``) returns NaN for valid data (float32, 20,000 values, one
    outlier: NaN where r is 0.3327); ours returns the value. A constant column gives NaN
    (scipy: NaN with a warning; torchmetrics: NaN); fewer than 2 rows give NaN (scipy raises).

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of
            output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - K. Pearson (1895), "Notes on regression and inheritance in the case of two parents",
          Proceedings of the Royal Society of London 58, 240-242.
        - Peer implementation followed: ``scipy.stats.pearsonr``.

    Example:
        >>> import numpy as np
        >>> float(pearson_corrcoef(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 7.0])))
        0.9933992677987828
    """
    c = columns(pred, target, sample_weight=None, multioutput=multioutput, allowed=_AVERAGES)
    xp = c.xp
    if c.pred.shape[0] < 2:
        return combine_outputs(xp, _nan_like(xp, c.pred), multioutput, c.out_dtype)
    return combine_outputs(xp, _pearson_columns(xp, c.pred, c.target), multioutput, c.out_dtype)


def _sorted_ranks(xp: Namespace, x: Array) -> tuple[Array, Array]:
    """``(order, ranks)``: the stable ascending order of ``x`` ``(N,)`` and the average ranks
    (1-based; tied values share the mean of their ranks, scipy's
    ``rankdata(method="average")``) of ``x[order]``. The search keys are the sorted values
    themselves, so ``searchsorted`` walks memory in order (random keys made it several times
    the sort at N = 1e6)."""
    order = xp.argsort(x, stable=True)
    ordered = xp.take(x, order)
    left = xp.searchsorted(ordered, ordered, side="left")
    right = xp.searchsorted(ordered, ordered, side="right")
    return order, xp.astype(left + right + 1, x.dtype) / 2


def _paired_ranks(xp: Namespace, x: Array, y: Array) -> tuple[Array, Array]:
    """The average ranks of each column of ``x`` and ``y`` ``(N, K)``, rows permuted alike
    (Pearson's r does not depend on the order of the rows): ``y``'s ranks in ``y``'s sorted
    order beside ``x``'s ranks gathered into that order, so no inverse permutation is needed.
    One sort per column of each, fixed shapes."""
    rx, ry = [], []
    for k in range(x.shape[1]):
        # contiguous copies: torch's searchsorted warns on a strided column
        order_x, ranks_x = _sorted_ranks(xp, xp.asarray(x[:, k], copy=True))
        order_y, ranks_y = _sorted_ranks(xp, xp.take(y[:, k], order_x))
        rx.append(xp.take(ranks_x, order_y))
        ry.append(ranks_y)
    return xp.stack(rx, axis=1), xp.stack(ry, axis=1)


def _any_nan(xp: Namespace, *xs: Array) -> Array:
    """``(K,)``: whether a column of any of the ``(N, K)`` arrays holds NaN."""
    out = xp.any(xp.isnan(xs[0]), axis=0)
    for x in xs[1:]:
        out = out | xp.any(xp.isnan(x), axis=0)
    return out


def spearman_corrcoef(
    pred: Array, target: Array, *, multioutput: MultiOutput | Array = "uniform_average"
) -> Array:
    r"""Spearman's rank correlation per output: Pearson's r of the average ranks.

    .. math:: \rho = r(\mathrm{rank}(x), \mathrm{rank}(y))

    In plain text: ``pearson(rank(x), rank(y))``, tied values taking the mean of their ranks
    (scipy's ``rankdata(method="average")``). The ranks come from one sort and two
    ``searchsorted`` calls, so the function is ``jax.jit``-able. This is the STS evaluation
    statistic of sentence-transformers (``EmbeddingSimilarityEvaluator`` reports
    ``scipy.stats.spearmanr``).

    Peer: ``scipy.stats.spearmanr(pred, target).statistic``, equal to 1e-12 with heavy ties.
    Where torchmetrics differs: its ``spearman_corrcoef`` returns float32 for float64 input
    (torchmetrics#3465; equal to ~1e-7), ours keeps float64; and a constant input gives 0.0
    there, NaN in scipy and here. Fewer than 2 rows give NaN; NaN gives NaN. There is no
    streaming form: ranks need every value seen so far.

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of
            output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - C. Spearman (1904), "The proof and measurement of association between two things",
          The American Journal of Psychology 15(1), 72-101.
        - Peer implementation followed: ``scipy.stats.spearmanr``.

    Example:
        >>> import numpy as np
        >>> float(spearman_corrcoef(np.array([1.0, 2.0, 2.0, 5.0]), np.array([1.0, 3.0, 2.0, 4.0])))
        0.9486832980505138
    """
    c = columns(pred, target, sample_weight=None, multioutput=multioutput, allowed=_AVERAGES)
    xp = c.xp
    if c.pred.shape[0] < 2:
        return combine_outputs(xp, _nan_like(xp, c.pred), multioutput, c.out_dtype)
    rho = _pearson_columns(xp, *_paired_ranks(xp, c.pred, c.target))
    rho = _with_nan(xp, rho, _any_nan(xp, c.pred, c.target))
    return combine_outputs(xp, rho, multioutput, c.out_dtype)


def _pair_counts(xp: Namespace, x: Array, y: Array) -> tuple[Array, Array, Array]:
    """``(S, Tx, Ty)`` per column of ``x``, ``y`` ``(N, K)``, integer: ``S = Σ_{i≠j}
    sign(x_i - x_j) sign(y_i - y_j)`` (twice concordant minus discordant) and ``Tx``, ``Ty``
    the ordered pairs ``i ≠ j`` tied in ``x``, in ``y`` (twice the tied pairs). Tiles of rows
    against every row: O(N²) time, O(N) memory."""
    n, k = x.shape
    count = index_dtype(xp, x)
    rows = max(1, _KENDALL_TILE // max(1, n * k))
    s = tx = ty = xp.zeros((k,), dtype=count, device=device_of(x))
    for start in range(0, n, rows):
        stop = min(start + rows, n)  # in bounds: the standard leaves larger stops unspecified
        xi, yi = x[start:stop, None, :], y[start:stop, None, :]
        gx, lx = xi > x[None, :, :], xi < x[None, :, :]
        gy, ly = yi > y[None, :, :], yi < y[None, :, :]
        same = (gx & gy) | (lx & ly)
        opposite = (gx & ly) | (lx & gy)
        s = s + xp.sum(xp.astype(same, count) - xp.astype(opposite, count), axis=(0, 1))
        tx = tx + xp.sum(xp.astype(xi == x[None, :, :], count), axis=(0, 1))
        ty = ty + xp.sum(xp.astype(yi == y[None, :, :], count), axis=(0, 1))
    return s, tx - n, ty - n  # the diagonal ties every row with itself


def _distinct(xp: Namespace, x: Array) -> Array:
    """The number of distinct values of each column of ``x`` ``(N, K)``, ``N ≥ 1``."""
    ordered = xp.sort(x, axis=0)
    return 1 + xp.sum(xp.astype(ordered[1:, ...] != ordered[:-1, ...], x.dtype), axis=0)


def kendall_tau(
    pred: Array,
    target: Array,
    *,
    variant: KendallVariant = "b",
    multioutput: MultiOutput | Array = "uniform_average",
) -> Array:
    r"""Kendall's rank correlation per output, tau-b (default, scipy's) or tau-c.

    .. math:: \tau_b = \frac{n_c - n_d}{\sqrt{(n_0 - n_1)(n_0 - n_2)}}, \qquad
        \tau_c = \frac{2 (n_c - n_d)}{N^2 (m - 1) / m}

    In plain text: tau-b ``= (n_c - n_d) / sqrt((n_0 - n_1)(n_0 - n_2))`` with ``n_c``,
    ``n_d`` the concordant and discordant pairs, ``n_0 = N(N-1)/2``, ``n_1``, ``n_2`` the
    pairs tied in ``x``, in ``y``; tau-c ``= 2(n_c - n_d) / (N² (m - 1)/m)``, ``m = min(#distinct
    x, #distinct y)``. torchmetrics' ``"a"`` (which ignores ties) is not offered.

    O(N²) comparisons in tiles of rows (fixed shapes, ``jax.jit``-able), O(N) memory: no
    ``N x N`` matrix is held at once. Peer: ``scipy.stats.kendalltau(pred, target,
    variant=...)``, equal to 1e-12 with ties in both inputs; torchmetrics
    ``kendall_rank_corrcoef`` returns float32 (torchmetrics#3465). A constant input or fewer
    than 2 rows give NaN (scipy NaN, torchmetrics NaN); NaN gives NaN. No streaming form.

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        variant: ``"b"`` (default, tie-corrected) or ``"c"`` (Stuart's, for rectangular
            tables).
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of
            output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - M. G. Kendall (1945), "The treatment of ties in ranking problems", Biometrika 33(3),
          239-251 (tau-b).
        - A. Stuart (1953), "The estimation and comparison of strengths of association in
          contingency tables", Biometrika 40(1/2), 105-110 (tau-c).
        - Peer implementation followed: ``scipy.stats.kendalltau``.

    Example:
        >>> import numpy as np
        >>> round(float(kendall_tau(np.array([1.0, 2, 2, 3]), np.array([1.0, 3, 2, 4]))), 12)
        0.912870929175
    """
    chosen = check_option("variant", variant, _VARIANTS)
    c = columns(pred, target, sample_weight=None, multioutput=multioutput, allowed=_AVERAGES)
    xp = c.xp
    x, y = c.pred, c.target
    n = x.shape[0]
    if n < 2:
        return combine_outputs(xp, _nan_like(xp, x), multioutput, c.out_dtype)
    s, tx, ty = _pair_counts(xp, x, y)
    dtype = x.dtype
    difference = as_dtype(xp, s, dtype) / 2  # n_c - n_d
    if chosen == "b":
        pairs = const(xp, n * (n - 1) / 2, x)
        untied_x = pairs - as_dtype(xp, tx, dtype) / 2
        untied_y = pairs - as_dtype(xp, ty, dtype) / 2
        den = xp.sqrt(untied_x) * xp.sqrt(untied_y)
    else:
        m = xp.minimum(_distinct(xp, x), _distinct(xp, y))
        den = const(xp, float(n * n), x) * (m - 1) / m / 2  # tau-c = 2 (n_c - n_d) / ...
    ok = den > 0
    tau = difference / xp.where(ok, den, xp.ones_like(den))
    tau = _with_nan(xp, xp.clip(tau, -1.0, 1.0), ~ok | _any_nan(xp, x, y))
    return combine_outputs(xp, tau, multioutput, c.out_dtype)


def concordance_corrcoef(
    pred: Array, target: Array, *, multioutput: MultiOutput | Array = "uniform_average"
) -> Array:
    r"""Lin's concordance correlation coefficient per output, with population (1/N) moments.

    .. math:: \rho_c = \frac{2 s_{xy}}{s_x^2 + s_y^2 + (\bar x - \bar y)^2}

    In plain text: ``rho_c = 2 cov(x, y) / (var(x) + var(y) + (mean x - mean y)**2)``, every
    moment divided by N.

    This is Lin (1989) and Keras 3 ``ConcordanceCorrelation`` (which agrees, 0.284166 against
    0.2841660 in float32). Where torchmetrics differs: its ``concordance_corrcoef`` divides
    ``s_xy``, ``s_x²`` and ``s_y²`` by N - 1 but not the squared mean difference, off by
    O(1/N) (``x = [1, 2, 3]``, ``y = [2, 3, 4]``: ours 4/7, torchmetrics 2/3); we follow Lin
    and Keras. Defined where Pearson is not: one constant side gives 0 (a constant predictor
    has no concordance; torchmetrics returns NaN, multiplying by a NaN Pearson r), both
    constant with different means 0; both constant and equal is 0/0, NaN. Fewer than 2 rows
    give NaN; NaN gives NaN. Centred in two passes, the moments scaled by the largest of the
    centred values and the mean difference (no overflow or underflow at extreme magnitudes).

    Args:
        pred: ``(N,)`` or ``(N, K)`` floating predictions (K outputs).
        target: ``pred``'s shape, floating, integer or boolean.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of
            output weights.

    Returns:
        In ``pred``'s floating dtype, a 0-d array, or ``(K,)`` with
        ``multioutput="raw_values"``.

    References:
        - L. I. Lin (1989), "A concordance correlation coefficient to evaluate
          reproducibility", Biometrics 45(1), 255-268.
        - Peer implementation followed: Keras 3 ``keras.metrics.concordance_correlation``.

    Example:
        >>> import numpy as np
        >>> x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0])
        >>> round(float(concordance_corrcoef(x, y)), 12)  # 4/7
        0.571428571429
    """
    c = columns(pred, target, sample_weight=None, multioutput=multioutput, allowed=_AVERAGES)
    xp = c.xp
    if c.pred.shape[0] < 2:
        return combine_outputs(xp, _nan_like(xp, c.pred), multioutput, c.out_dtype)
    mx, my = xp.mean(c.pred, axis=0), xp.mean(c.target, axis=0)
    return combine_outputs(
        xp, _concordance(xp, c.pred - mx, c.target - my, mx - my), multioutput, c.out_dtype
    )


def _concordance(xp: Namespace, xc: Array, yc: Array, shift: Array) -> Any:
    """Lin's coefficient of the centred columns ``xc``, ``yc`` ``(N, K)`` and the mean
    difference ``shift`` ``(K,)``, everything divided by one common (gradient-cut) scale:
    ρ_c does not depend on it. A zero scale (both sides constant and equal) gives NaN."""
    scale = xp.maximum(xp.max(xp.abs(xc), axis=0), xp.max(xp.abs(yc), axis=0))
    scale = stop_gradient(xp, xp.maximum(scale, xp.abs(shift)))
    ok = scale > 0  # False for NaN
    s = xp.where(ok, scale, xp.ones_like(scale))
    a, b, d = xc / s, yc / s, shift / s
    n = const(xp, xc.shape[0], xc)
    den = xp.sum(a * a, axis=0) / n + xp.sum(b * b, axis=0) / n + d * d  # > 0 where ok
    rho = 2 * (xp.sum(a * b, axis=0) / n) / xp.where(ok, den, xp.ones_like(den))
    return _with_nan(xp, rho, ~ok)
