"""Shared numerics: the stable forms every family builds on, written once.

Norms and cosines that stay differentiable at the zero vector, ``x log x`` with ``0 log 0 =
0``, divisions and means that return 0 or NaN (never a warning, never a NaN gradient) where
the denominator is 0, and the one reducer that applies ``sample_weight`` and ``reduction``.
Everything is written against the array API standard through :mod:`arraylosses._backend`;
nothing here validates arguments (that is :mod:`arraylosses._validate`'s job).

The safe forms follow one pattern, the double ``where``: the unsafe branch never sees the
value that would make it infinite, so its gradient is finite too. Masks test ``!= 0`` or
``== 0`` rather than ``> 0`` wherever NaN must stay NaN (NaN is not 0).
"""

from __future__ import annotations

import math
from typing import Any

from ._backend import (
    Array,
    Namespace,
    as_dtype,
    const,
    finalize,
    mean_all,
    stop_gradient,
    sum_all,
)

__all__ = [
    "clamped_norm",
    "divide_or_nan",
    "euclidean_norm",
    "mass_times",
    "mean_or_nan",
    "nonzero_rows",
    "normalize",
    "p_norm",
    "reduce_loss",
    "rowwise_cosine",
    "safe_divide",
    "sqrt_at_zero",
    "xlogx",
]

_FLOAT32_TINY = 1.1754943508222875e-38  # float32's smallest normal number


# ---------------------------------------------------------------------------------------------
# Norms and similarities


def clamped_norm(xp: Namespace, x: Array, *, axis: int, eps: float, keepdims: bool) -> Array:
    """``max(‖x‖₂, eps)`` along ``axis``, with a zero (not NaN) gradient at ``x = 0``.

    Computed as ``sqrt(maximum(‖x‖², eps²))``: ``sqrt`` never sees a value below ``eps²``, and
    where the clamp holds ``maximum`` passes no gradient, so a zero vector gets a zero
    gradient. Four operations (the double-``where`` form took six). ``maximum`` propagates NaN,
    so a NaN row stays NaN. ``eps²`` is raised to the dtype's smallest normal number when it
    would underflow (``eps`` below ~1e-19 in float32, ~1e-154 in float64): a zero clamp would
    give ``0/0`` and an infinite gradient at the zero vector.
    """
    sq = xp.sum(x * x, axis=axis, keepdims=keepdims)
    eps2 = eps * eps
    if eps2 < _FLOAT32_TINY:  # rare: only then is finfo (a few µs) worth asking
        eps2 = max(eps2, float(xp.finfo(sq.dtype).smallest_normal))
    return xp.sqrt(xp.maximum(sq, const(xp, eps2, sq)))


def normalize(xp: Namespace, x: Array, *, eps: float = 1e-8, axis: int = -1) -> Array:
    """``x / max(‖x‖₂, eps)`` along ``axis``: a zero row stays zero, with a zero gradient.

    The clamp alone gives a zero row the slope ``1/eps`` (1e8 at ``eps = 1e-8``, 1e12 at
    1e-12): finite in float32, but ``inf`` once the gradient is cast back to a float16 input
    (audit row O01). :func:`nonzero_rows` masks the numerator instead, so a zero row, which
    has no direction, passes no gradient (as :func:`sqrt_at_zero` for a norm). NaN passes.
    """
    return nonzero_rows(xp, x, axis=axis) / clamped_norm(xp, x, axis=axis, eps=eps, keepdims=True)


def nonzero_rows(xp: Namespace, x: Array, *, axis: int) -> Array:
    """``x`` with the gradient of its all-zero rows along ``axis`` cut (the value unchanged):
    ``where(any(x != 0), x, 0)``; NaN is not 0, so a NaN row passes."""
    return xp.where(xp.any(x != 0, axis=axis, keepdims=True), x, xp.zeros_like(x))


def rowwise_cosine(xp: Namespace, a: Array, b: Array, *, axis: int, eps: float) -> Array:
    """``a·b / (max(‖a‖, eps)·max(‖b‖, eps))`` along ``axis`` (validated inputs).

    Multiplied by the reciprocal norms, not divided by their product: JAX's gradient of
    ``x / y`` forms ``(g / ‖b‖)·y⁻²`` before multiplying by ``x``, which overflows to ``inf``
    (then ``inf·0 = NaN``) at a zero vector when ``eps`` is tiny (1e-200). The gradient of
    ``1 / na`` meets ``na⁻²`` only through a cotangent ``dot·(1/nb) = 0`` there.
    """
    dot = xp.sum(nonzero_rows(xp, a, axis=axis) * nonzero_rows(xp, b, axis=axis), axis=axis)
    na = clamped_norm(xp, a, axis=axis, eps=eps, keepdims=False)
    nb = clamped_norm(xp, b, axis=axis, eps=eps, keepdims=False)
    return dot * (1 / na) * (1 / nb)


def sqrt_at_zero(xp: Namespace, sq: Array) -> Array:
    """``sqrt(sq)`` for ``sq >= 0`` with a zero (not infinite) gradient at ``sq = 0``.

    The double ``where`` tests ``sq != 0``, not ``sq > 0``: NaN is not 0, so a NaN goes through
    ``sqrt`` and stays NaN (``sq > 0`` mapped it to the distance 0).
    """
    nonzero = sq != 0
    return xp.where(nonzero, xp.sqrt(xp.where(nonzero, sq, xp.ones_like(sq))), xp.zeros_like(sq))


def euclidean_norm(xp: Namespace, diff: Array) -> Array:
    """``‖diff‖₂`` over the last axis, with a zero (not NaN) gradient at ``diff = 0``; NaN
    stays NaN."""
    return sqrt_at_zero(xp, xp.sum(diff * diff, axis=-1))


def p_norm(xp: Namespace, diff: Array, p: float) -> Array:
    """``‖diff‖_p`` over the last axis (``max |diff|`` for ``p = inf``, as torch's
    ``pairwise_distance``), finite with a finite gradient at zeros, NaN kept.

    For other ``p`` than 1, 2 and inf the entries are divided by their (gradient-detached)
    maximum ``m`` first, ``m·(Σ (|x|/m)^p)^{1/p}``: exact, gradient-neutral, and ``|x|^p``
    neither overflows (``6^50`` in float32) nor underflows for large ``p``. The inner sum is
    then ``>= 1``, so its root is smooth; zeros of ``|x|`` (infinite slope of ``|x|^p`` for
    ``p < 1``) and the all-zero row are masked by :func:`safe_power`, whose ``!= 0`` test NaN
    passes.
    """
    if p == 2.0:
        return euclidean_norm(xp, diff)
    a = xp.abs(diff)
    if p == 1.0 or diff.shape[-1] == 0:
        return xp.sum(a, axis=-1)
    if p == math.inf:
        return xp.max(a, axis=-1)
    m = stop_gradient(xp, xp.max(a, axis=-1, keepdims=True))
    r = safe_divide(xp, a, m)
    s = xp.sum(safe_power(xp, r, p), axis=-1, keepdims=True)
    return xp.squeeze(m * safe_power(xp, s, 1 / p), axis=-1)


def safe_power(xp: Namespace, x: Array, p: float) -> Array:
    """``x ** p`` for ``x >= 0``, 0 at ``x = 0`` with a zero gradient (``p < 1`` has an
    infinite slope there); NaN stays NaN."""
    nonzero = x != 0
    return xp.where(nonzero, xp.where(nonzero, x, xp.ones_like(x)) ** p, xp.zeros_like(x))


# ---------------------------------------------------------------------------------------------
# Logs, divisions and means


def xlogx(xp: Namespace, p: Array) -> Array:
    """``p·log p`` with ``0 log 0 = 0`` and a finite gradient at 0.

    The outer mask is ``p == 0``, not ``p > 0``: a NaN is not 0, so it reaches ``p·log 1`` and
    stays NaN. A negative entry (not a probability) gives 0.
    """
    safe = xp.where(p > 0, p, xp.ones_like(p))
    return xp.where(p == 0, xp.zeros_like(p), p * xp.log(safe))


def mass_times(xp: Namespace, q: Array, log_p: Array) -> Array:
    """``q·log_p`` with 0 where ``q == 0``: a class without target mass adds nothing, even
    where its log-probability is ``-inf`` (a logit masked to ``-inf``), and its gradient is
    finite (0), not ``0·inf = NaN`` (optax #896/#1762). A NaN in ``q`` or in ``log_p`` where
    ``q != 0`` still shows."""
    empty = q == 0
    safe = xp.where(empty, xp.zeros_like(log_p), log_p)
    return q * safe


def safe_divide(xp: Namespace, num: Array, den: Array) -> Array:
    """``num / den``, and 0 where ``den == 0`` (with a zero gradient, not NaN)."""
    nonzero = den != 0
    return xp.where(nonzero, num / xp.where(nonzero, den, xp.ones_like(den)), xp.zeros_like(num))


def divide_or_nan(xp: Namespace, num: Array, den: Array) -> Array:
    """``num / den``, and NaN where ``den == 0`` (the mean of nothing: an empty batch, weights
    that sum to 0), with no division warning and a zero gradient there. NaN in ``den``
    propagates."""
    nonzero = den != 0
    quotient = num / xp.where(nonzero, den, xp.ones_like(den))
    return xp.where(nonzero, quotient, xp.full_like(quotient, math.nan))


def mean_or_nan(
    xp: Namespace, x: Array, sample_weight: Array | None, *, axis: int | None = None
) -> Array:
    """The (weighted) mean of ``x`` over ``axis`` (all axes for ``None``): ``Σ w·x / Σ w``, or
    ``Σ x / n`` without weights. NaN for an empty batch or weights that sum to 0, with no
    warning (``xp.mean`` of nothing warns on NumPy). ``sample_weight`` broadcasts to ``x``."""
    if sample_weight is None:
        n = math.prod(x.shape) if axis is None else x.shape[axis]
        return divide_or_nan(xp, xp.sum(x, axis=axis), const(xp, n, x))
    w = as_dtype(xp, sample_weight, x.dtype)
    total = xp.sum(xp.broadcast_to(w, x.shape) if axis is None else w, axis=axis)
    return divide_or_nan(xp, xp.sum(w * x, axis=axis), total)


def reduce_loss(
    xp: Namespace,
    loss: Array,
    *,
    reduction: str,
    sample_weight: Array | None,
    out_dtype: Any,
    norm: Array | None = None,
) -> Array:
    """Apply per-sample ``sample_weight`` and the ``reduction`` to the per-sample ``loss``.

    ``"none"``: ``w·l`` (``l`` without weights); ``"sum"``: ``Σ w·l``; ``"mean"``: ``Σ w·l / Σ w``
    (``Σ l / n`` without weights). ``norm`` (per-sample, e.g. torch's class weight of each
    sample's label, 0 for ignored samples) replaces the count in the mean's denominator:
    ``Σ w·l / Σ w·norm``. A mean whose denominator is 0 over a non-empty batch is 0 (there is
    nothing to average; the gradient is 0, not NaN), or NaN when a loss is NaN. The mean over
    an empty batch is NaN, weighted or not, as in torch and NumPy (without NumPy's warning).
    The result is cast to ``out_dtype``.
    """
    if sample_weight is not None:
        w = as_dtype(xp, sample_weight, loss.dtype)
        loss = loss * w
    n = math.prod(loss.shape)  # static under jit: shapes are known when tracing
    if reduction == "none":
        out = loss
    elif reduction == "sum":
        out = sum_all(xp, loss)
    elif n == 0:
        # NaN still tied to the inputs (a backward pass works); xp.mean would warn on NumPy
        out = sum_all(xp, loss) * const(xp, math.nan, loss)
    elif sample_weight is None and norm is None:
        # sum / n where a gradient is recorded (torch's mean backward writes a full array of
        # grad / n, sum's is a broadcast view), torch's mean (one call) where none is
        out = mean_all(xp, loss, n)
    else:
        if norm is None:
            counts = xp.broadcast_to(w, loss.shape)
        else:
            counts = norm if sample_weight is None else norm * w
        total = sum_all(xp, xp.broadcast_to(counts, loss.shape))
        nonzero = total != 0
        total_loss = sum_all(xp, loss)
        quotient = total_loss / xp.where(nonzero, total, xp.ones_like(total))
        # 0·Σ rather than 0 where nothing is averaged: a NaN loss still shows
        out = xp.where(nonzero, quotient, 0 * total_loss)
    return finalize(xp, out, out_dtype)
