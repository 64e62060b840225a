"""Log-sum-exp over the rows and columns of ``scale · R Cᵀ`` without building the matrix.

The in-batch contrastive losses (InfoNCE, CLIP, MNRL, NT-Xent, SupCon) are, apart from terms
that cost O(N·D), row and column log-sum-exps of a similarity matrix. With ``chunk_size``
they call :func:`tiled_logsumexp`, which walks ``chunk × chunk`` tiles with a running
log-sum-exp (Inf-CL, arXiv 2410.17243, Eq. 2-8) and saves only the inputs and the per-row and
per-column results for the backward pass, which recomputes each tile. Memory is O((N + M)·D
+ chunk²) instead of the dense path's O(N·M) (autograd keeps the matrix and its softmax).

Value and gradients equal the dense path's up to rounding: for a tile, the gradient of
``lse_r`` is ``softmax_r(L)·g_r`` (``L`` the tile's logits) and that of ``lse_c`` is
``softmax_c(L)·g_c``; with ``G`` their sum, ``dR = scale·G C``, ``dC = scale·Gᵀ R`` and
``d scale = Σ G ⊙ R Cᵀ``. Written once against the array API; the loop and the gradient
registration are :func:`arraylosses._backend.scan` and
:func:`arraylosses._backend.custom_gradient`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from ._backend import (
    Array,
    Namespace,
    custom_gradient,
    device_of,
    index_dtype,
    logaddexp,
    logsumexp,
    scan,
)

__all__ = ["IndexRule", "tiled_logsumexp"]

#: ``rule(rows, cols) -> bool array``: which entries a rule selects, from the global row
#: indices ``rows`` ``(t, 1)`` (the local row plus ``offset``) and the column indices ``cols``
#: ``(1, t)``.
IndexRule = Callable[[Array, Array], Array]


class _Plan(NamedTuple):
    """The static layout of one call: sizes, the tile, the masks, the hyperparameters."""

    n: int  # rows of R
    m: int  # rows of C (the columns of the matrix)
    chunk: int
    offset: Any  # int or 0-d integer array: global index of R's first row
    exclude: IndexRule | None  # entries left out of both log-sum-exps
    penalize: IndexRule | None  # entries that get ``strength · stop_gradient(R Cᵀ)`` added
    strength: float
    columns: bool  # whether the column log-sum-exp is wanted


def tiled_logsumexp(
    xp: Namespace,
    r: Array,
    c: Array,
    scale: Any,
    *,
    chunk: int,
    columns: bool,
    offset: Any = 0,
    exclude: IndexRule | None = None,
    penalize: IndexRule | None = None,
    strength: float = 0.0,
) -> tuple[Array, Array | None]:
    """``(lse_rows (N,), lse_cols (M,) or None)`` of ``L = scale · R Cᵀ``, in tiles.

    ``R``: ``(N, D)``, ``C``: ``(M, D)``, in the compute dtype; ``scale``: a Python float or a
    0-d array (its gradient is computed). ``exclude`` removes entries (``-inf``), ``penalize``
    adds ``strength · stop_gradient(R Cᵀ)`` to entries (MNRL's hardness), both decided from
    global indices. A row or column with every entry excluded has log-sum-exp ``-inf``.
    """
    plan = _Plan(r.shape[0], c.shape[0], chunk, offset, exclude, penalize, strength, columns)
    learnable = not isinstance(scale, (int, float))
    arrays = (r, c, scale) if learnable else (r, c)

    def forward(*a: Array) -> tuple[tuple[Array, ...], tuple[Any, ...]]:
        s = a[2] if learnable else scale
        lse_r, lse_c = _forward(xp, plan, a[0], a[1], s)
        outputs = (lse_r, lse_c) if columns else (lse_r,)
        return outputs, (*a, lse_r, lse_c)

    def backward(res: tuple[Any, ...], cots: tuple[Array, ...]) -> tuple[Array, ...]:
        rr, cc = res[0], res[1]
        s = res[2] if learnable else scale
        lse_r, lse_c = res[-2], res[-1]
        g_c = cots[1] if columns else xp.zeros_like(lse_c)
        grads = _backward(xp, plan, rr, cc, s, lse_r, lse_c, cots[0], g_c)
        return grads if learnable else grads[:2]

    out = custom_gradient(xp, forward, backward)(*arrays)
    return (out[0], out[1]) if columns else (out[0], None)


def _blocks(xp: Namespace, x: Array, chunk: int) -> Array:
    """``x`` (``(n, ...)``) zero-padded to a multiple of ``chunk`` rows, as ``(n/chunk, chunk,
    ...)`` blocks."""
    n = x.shape[0]
    pad = -n % chunk
    if pad:
        x = xp.concat([x, xp.zeros((pad, *x.shape[1:]), dtype=x.dtype, device=device_of(x))])
    return xp.reshape(x, (-1, chunk, *x.shape[1:]))


def _indices(xp: Namespace, n: int, chunk: int, like: Array) -> Array:
    count = n + (-n % chunk)
    ids = xp.arange(count, dtype=index_dtype(xp, like), device=device_of(like))
    return xp.reshape(ids, (-1, chunk))


def _tile(
    xp: Namespace, plan: _Plan, r_b: Array, c_b: Array, i_b: Array, j_b: Array, scale: Any
) -> tuple[Array, Array]:
    """The tile's raw similarities ``R_b C_bᵀ`` and its logits (excluded entries ``-inf``)."""
    dot = r_b @ xp.matrix_transpose(c_b)
    logits = scale * dot
    rows, cols = i_b[:, None], j_b[None, :]
    invalid = (rows >= plan.n) | (cols >= plan.m)  # the padding
    if plan.exclude is not None or plan.penalize is not None:
        global_rows = rows + plan.offset
        if plan.penalize is not None and plan.strength > 0:
            # the penalty's gradient is cut (stop_gradient): the backward uses scale only
            hit = plan.penalize(global_rows, cols)
            logits = logits + xp.where(hit, plan.strength * dot, xp.zeros_like(dot))
        if plan.exclude is not None:
            invalid = invalid | plan.exclude(global_rows, cols)
    return dot, xp.where(invalid, xp.full_like(logits, -math.inf), logits)


def _forward(xp: Namespace, plan: _Plan, r: Array, c: Array, scale: Any) -> tuple[Array, Array]:
    t = plan.chunk
    r_blocks, c_blocks = _blocks(xp, r, t), _blocks(xp, c, t)
    i_blocks, j_blocks = _indices(xp, plan.n, t, r), _indices(xp, plan.m, t, r)
    minus_inf = xp.full((t,), -math.inf, dtype=r.dtype, device=device_of(r))

    def over_rows(col_lse: Array, x: tuple[Array, ...]) -> tuple[Array, Array]:
        r_b, i_b = x

        def over_columns(row_lse: Array, y: tuple[Array, ...]) -> tuple[Array, Array]:
            c_b, j_b = y
            _, logits = _tile(xp, plan, r_b, c_b, i_b, j_b, scale)
            row_lse = logaddexp(xp, row_lse, logsumexp(xp, logits, axis=1))
            return row_lse, logsumexp(xp, logits, axis=0)

        row_lse, col_parts = scan(xp, over_columns, minus_inf, (c_blocks, j_blocks))
        return logaddexp(xp, col_lse, col_parts), row_lse

    start = xp.full(j_blocks.shape, -math.inf, dtype=r.dtype, device=device_of(r))
    col_lse, row_lse = scan(xp, over_rows, start, (r_blocks, i_blocks))
    return xp.reshape(row_lse, (-1,))[: plan.n], xp.reshape(col_lse, (-1,))[: plan.m]


def _finite_or_zero(xp: Namespace, lse: Array) -> Array:
    """A log-sum-exp of ``-inf`` (every entry excluded) as 0: its softmax is all zeros, not
    ``exp(-inf - -inf) = NaN``. NaN stays NaN."""
    return xp.where(lse == -math.inf, xp.zeros_like(lse), lse)


def _backward(
    xp: Namespace,
    plan: _Plan,
    r: Array,
    c: Array,
    scale: Any,
    lse_r: Array,
    lse_c: Array,
    g_r: Array,
    g_c: Array,
) -> tuple[Array, Array, Array]:
    t = plan.chunk
    r_blocks, c_blocks = _blocks(xp, r, t), _blocks(xp, c, t)
    i_blocks, j_blocks = _indices(xp, plan.n, t, r), _indices(xp, plan.m, t, r)
    lr_blocks = _blocks(xp, _finite_or_zero(xp, lse_r), t)
    lc_blocks = _blocks(xp, _finite_or_zero(xp, lse_c), t)
    gr_blocks, gc_blocks = _blocks(xp, g_r, t), _blocks(xp, g_c, t)
    zero = xp.zeros((), dtype=r.dtype, device=device_of(r))

    def over_rows(carry: tuple[Array, Array], x: tuple[Array, ...]) -> tuple[Any, Array]:
        dc, ds = carry
        r_b, i_b, lr_b, gr_b = x

        def over_columns(acc: tuple[Array, Array], y: tuple[Array, ...]) -> tuple[Any, Array]:
            dr_b, ds_b = acc
            c_b, j_b, lc_b, gc_b = y
            dot, logits = _tile(xp, plan, r_b, c_b, i_b, j_b, scale)
            g = gr_b[:, None] * xp.exp(logits - lr_b[:, None])
            if plan.columns:
                g = g + gc_b[None, :] * xp.exp(logits - lc_b[None, :])
            dr_b = dr_b + scale * (g @ c_b)
            return (dr_b, ds_b + xp.sum(g * dot)), scale * (xp.matrix_transpose(g) @ r_b)

        (dr_b, ds_b), dc_parts = scan(
            xp, over_columns, (xp.zeros_like(r_b), zero), (c_blocks, j_blocks, lc_blocks, gc_blocks)
        )
        return (dc + dc_parts, ds + ds_b), dr_b

    start = (xp.zeros_like(c_blocks), zero)
    (dc, ds), dr = scan(xp, over_rows, start, (r_blocks, i_blocks, lr_blocks, gr_blocks))
    dr = xp.reshape(dr, (-1, r.shape[1]))[: plan.n]
    dc = xp.reshape(dc, (-1, c.shape[1]))[: plan.m]
    return dr, dc, ds
