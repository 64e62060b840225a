"""Row and column reductions of ``scale · R Cᵀ`` computed in tiles, without building the matrix.

The in-batch contrastive losses (InfoNCE, CLIP, MNRL, NT-Xent, SupCon) are, apart from terms
that cost O(N·D), row and column log-sum-exps of a similarity matrix; SigLIP is a row sum of
softplus terms. With ``chunk_size`` they call :func:`tiled_logsumexp` or
:func:`tiled_sigmoid_rows`, which walk ``chunk × chunk`` tiles with a running reduction
(Inf-CL, arXiv 2410.17243, Eq. 2-8) and save only the inputs and the per-row and per-column
results for the backward pass, which recomputes each tile. Memory is O((N + M)·D + chunk²)
instead of the dense path's O(N·M) (autograd keeps the matrix and its softmax).

Value and gradients equal the dense path's up to rounding. For a tile with raw similarities
``S = R_b C_bᵀ`` and logits ``L``, the gradient of the row log-sum-exp is ``softmax_r(L)·g_r``
and that of the column one ``softmax_c(L)·g_c``; with ``G`` their sum, ``dR = scale·G C``,
``dC = scale·Gᵀ R`` and ``d scale = Σ G ⊙ S``. Written once against the array API; the loop
and the gradient registration are :func:`arraylosses._backend.scan` and
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
    sigmoid,
    softplus,
)

__all__ = ["IndexRule", "Tiled", "tiled_logsumexp", "tiled_sigmoid_rows"]

#: ``rule(rows, cols) -> bool array``: which entries a rule selects, from the global row
#: indices ``rows`` ``(t, 1)`` (the local row plus ``offset``, clipped to the valid range on
#: the padding) and the column indices ``cols`` ``(1, t)``.
IndexRule = Callable[[Array, Array], Array]


class Tiled(NamedTuple):
    """What :func:`tiled_logsumexp` returns."""

    rows: Array  # (N,) log Σ_j exp(L_ij - row_shift_i)
    columns: Array | None  # (M,) log Σ_i exp(L_ij - col_shift_j), when asked for
    selected: Array | None  # (N,) Σ_j∈select(i) S_ij (raw similarities), when select is given
    n_selected: Array | None  # (N,) |select(i)| (no gradient), when select is given


class _Plan(NamedTuple):
    """The static layout of one call: sizes, the tile, the masks, the hyperparameters."""

    n: int  # rows of R
    m: int  # rows of C (the columns of the matrix)
    chunk: int
    offset: Any  # int or 0-d integer array: global index of R's first row
    exclude: IndexRule | None  # entries left out of both log-sum-exps
    penalize: IndexRule | None  # entries that get ``strength · stop_gradient(S)`` added
    strength: float
    select: IndexRule | None  # entries summed into ``selected``
    columns: bool  # whether the column log-sum-exp is wanted


def tiled_logsumexp(
    xp: Namespace,
    r: Array,
    c: Array,
    scale: Any,
    *,
    chunk: int,
    columns: bool = False,
    offset: Any = 0,
    exclude: IndexRule | None = None,
    penalize: IndexRule | None = None,
    strength: float = 0.0,
    select: IndexRule | None = None,
    row_shift: Array | None = None,
    col_shift: Array | None = None,
) -> Tiled:
    """Row (and column) log-sum-exps of ``L = scale · R Cᵀ``, in tiles.

    ``R``: ``(N, D)``, ``C``: ``(M, D)``, ``N, M >= 1``, in the compute dtype; ``scale``: a
    Python float or a 0-d array (its gradient is computed). ``exclude`` removes entries
    (``-inf``), ``penalize`` adds ``strength · stop_gradient(S)`` to entries (MNRL's hardness),
    both decided from global indices. A row or column with every entry excluded has
    log-sum-exp ``-inf``. ``row_shift`` ``(N,)`` / ``col_shift`` ``(M,)`` are subtracted from
    the logits of each row / column before its log-sum-exp and are constants (no gradient):
    passing the positive's logit keeps the result of the size of the loss, not of the logits
    (``ulp(1e4) ~ 1e-3`` in float32). ``select`` sums the raw similarities of the entries it
    picks per row, with their gradient, and counts them.
    """
    plan = _Plan(
        r.shape[0], c.shape[0], chunk, offset, exclude, penalize, strength, select, columns
    )
    learnable = not isinstance(scale, (int, float))
    zeros_n = xp.zeros((r.shape[0],), dtype=r.dtype, device=device_of(r))
    zeros_m = xp.zeros((c.shape[0],), dtype=r.dtype, device=device_of(r))
    shifts = (
        zeros_n if row_shift is None else row_shift,
        zeros_m if col_shift is None else col_shift,
    )
    arrays = (r, c, *shifts, scale) if learnable else (r, c, *shifts)

    def forward(*a: Array) -> tuple[tuple[Array, ...], tuple[Any, ...]]:
        s = a[4] if learnable else scale
        out = _forward(xp, plan, a[0], a[1], s, a[2], a[3])
        return out, (*a, *out)

    def backward(res: tuple[Any, ...], cots: tuple[Array, ...]) -> tuple[Array, ...]:
        k = 5 if learnable else 4
        s = res[4] if learnable else scale
        dr, dc, ds = _backward(xp, plan, res[:4], s, res[k:], cots)
        grads = (dr, dc, xp.zeros_like(res[2]), xp.zeros_like(res[3]))
        return (*grads, ds) if learnable else grads

    out = custom_gradient(xp, forward, backward)(*arrays)
    return Tiled(
        rows=out[0],
        columns=out[1] if columns else None,
        selected=out[2] if select is not None else None,
        n_selected=out[3] if select is not None else None,
    )


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


class _Tile(NamedTuple):
    dot: Array  # raw similarities R_b C_bᵀ
    logits: Array  # scale·dot (+ penalty); excluded entries and the padding -inf
    selected: Array | None  # bool: the entries ``select`` picks (never the padding)


def _tile(
    xp: Namespace, plan: _Plan, r_b: Array, c_b: Array, i_b: Array, j_b: Array, scale: Any
) -> _Tile:
    dot = r_b @ xp.matrix_transpose(c_b)
    logits = scale * dot
    rows, cols = i_b[:, None], j_b[None, :]
    padding = (rows >= plan.n) | (cols >= plan.m)
    invalid = padding
    selected = None
    if plan.exclude is not None or plan.penalize is not None or plan.select is not None:
        # global indices; the padding's clipped into range so that a rule may index with them
        # (array bounds: torch.compile cannot trace array_api_compat's scalar promotion)
        global_rows = xp.minimum(rows, xp.full_like(rows, plan.n - 1)) + plan.offset
        cols = xp.minimum(cols, xp.full_like(cols, plan.m - 1))
        if plan.penalize is not None and plan.strength > 0:
            # the penalty's gradient is cut (stop_gradient): the backward uses scale only
            hit = plan.penalize(global_rows, cols)
            logits = logits + xp.where(hit, plan.strength * dot, xp.zeros_like(dot))
        if plan.exclude is not None:
            invalid = invalid | plan.exclude(global_rows, cols)
        if plan.select is not None:
            selected = plan.select(global_rows, cols) & ~padding
    return _Tile(dot, xp.where(invalid, xp.full_like(logits, -math.inf), logits), selected)


def _forward(
    xp: Namespace, plan: _Plan, r: Array, c: Array, scale: Any, rs: Array, cs: Array
) -> tuple[Array, Array, Array, Array]:
    t = plan.chunk
    r_blocks, c_blocks = _blocks(xp, r, t), _blocks(xp, c, t)
    rs_blocks, cs_blocks = _blocks(xp, rs, t), _blocks(xp, cs, t)
    i_blocks, j_blocks = _indices(xp, plan.n, t, r), _indices(xp, plan.m, t, r)
    minus_inf = xp.full((t,), -math.inf, dtype=r.dtype, device=device_of(r))
    zero = xp.zeros((t,), dtype=r.dtype, device=device_of(r))

    def over_rows(col_lse: Array, x: tuple[Array, ...]) -> tuple[Array, tuple[Array, ...]]:
        r_b, i_b, rs_b = x

        def over_columns(acc: tuple[Array, ...], y: tuple[Array, ...]) -> tuple[Any, Array]:
            row_lse, sel_sum, sel_count = acc
            c_b, j_b, cs_b = y
            tile = _tile(xp, plan, r_b, c_b, i_b, j_b, scale)
            row_lse = logaddexp(xp, row_lse, logsumexp(xp, tile.logits - rs_b[:, None], axis=1))
            if tile.selected is not None:
                picked = xp.where(tile.selected, tile.dot, xp.zeros_like(tile.dot))
                sel_sum = sel_sum + xp.sum(picked, axis=1)
                sel_count = sel_count + xp.sum(xp.astype(tile.selected, r.dtype), axis=1)
            col_part = logsumexp(xp, tile.logits - cs_b[None, :], axis=0) if plan.columns else zero
            return (row_lse, sel_sum, sel_count), col_part

        acc, col_parts = scan(
            xp, over_columns, (minus_inf, zero, zero), (c_blocks, j_blocks, cs_blocks)
        )
        return logaddexp(xp, col_lse, col_parts), acc

    start = xp.full(j_blocks.shape, -math.inf, dtype=r.dtype, device=device_of(r))
    col_lse, (row_lse, sel_sum, sel_count) = scan(
        xp, over_rows, start, (r_blocks, i_blocks, rs_blocks)
    )

    def flat(x: Array, k: int) -> Array:
        return xp.reshape(x, (-1,))[:k]

    return (
        flat(row_lse, plan.n),
        flat(col_lse, plan.m),
        flat(sel_sum, plan.n),
        flat(sel_count, plan.n),
    )


def _finite_or_zero(xp: Namespace, lse: Array) -> Array:
    """A log-sum-exp of ``-inf`` (every entry excluded) as 0: its softmax is all zeros, not
    ``exp(-inf - -inf) = NaN``. NaN stays NaN."""
    return xp.where(lse == -math.inf, xp.zeros_like(lse), lse)


def _backward(
    xp: Namespace,
    plan: _Plan,
    inputs: tuple[Array, ...],
    scale: Any,
    outputs: tuple[Array, ...],
    cots: tuple[Array, ...],
) -> tuple[Array, Array, Array]:
    r, c, rs, cs = inputs
    lse_r, lse_c = outputs[0], outputs[1]
    g_r, g_c, g_sel = cots[0], cots[1], cots[2]
    t = plan.chunk
    r_blocks, c_blocks = _blocks(xp, r, t), _blocks(xp, c, t)
    i_blocks, j_blocks = _indices(xp, plan.n, t, r), _indices(xp, plan.m, t, r)
    # the row (column) softmax of the shifted logits: exp(L - shift - lse)
    lr_blocks = _blocks(xp, rs + _finite_or_zero(xp, lse_r), t)
    lc_blocks = _blocks(xp, cs + _finite_or_zero(xp, lse_c), t)
    gr_blocks, gc_blocks, gs_blocks = (
        _blocks(xp, g_r, t),
        _blocks(xp, g_c, t),
        _blocks(xp, g_sel, t),
    )
    zero = xp.zeros((), dtype=r.dtype, device=device_of(r))

    def over_rows(carry: tuple[Array, Array], x: tuple[Array, ...]) -> tuple[Any, Array]:
        dc, ds = carry
        r_b, i_b, lr_b, gr_b, gs_b = x

        def over_columns(acc: tuple[Array, Array], y: tuple[Array, ...]) -> tuple[Any, Array]:
            dr_b, ds_b = acc
            c_b, j_b, lc_b, gc_b = y
            tile = _tile(xp, plan, r_b, c_b, i_b, j_b, scale)
            g = gr_b[:, None] * xp.exp(tile.logits - lr_b[:, None])
            if plan.columns:
                g = g + gc_b[None, :] * xp.exp(tile.logits - lc_b[None, :])
            ds_b = ds_b + xp.sum(g * tile.dot)
            h = scale * g
            if tile.selected is not None:
                h = h + xp.where(tile.selected, gs_b[:, None], xp.zeros_like(h))
            return (dr_b + h @ c_b, ds_b), xp.matrix_transpose(h) @ r_b

        (dr_b, ds_b), dc_parts = scan(
            xp, over_columns, (xp.zeros_like(r_b), zero), (c_blocks, j_blocks, lc_blocks, gc_blocks)
        )
        return (dc + dc_parts, ds + ds_b), dr_b

    start = (xp.zeros_like(c_blocks), zero)
    (dc, ds), dr = scan(xp, over_rows, start, (r_blocks, i_blocks, lr_blocks, gr_blocks, gs_blocks))
    dr = xp.reshape(dr, (-1, r.shape[1]))[: plan.n]
    dc = xp.reshape(dc, (-1, c.shape[1]))[: plan.m]
    return dr, dc, ds


def tiled_sigmoid_rows(
    xp: Namespace,
    r: Array,
    c: Array,
    scale: Any,
    bias: Any,
    *,
    chunk: int,
    offset: Any = 0,
) -> Array:
    """SigLIP's per-row ``Σ_j softplus(-z_ij (scale·S_ij + bias))`` (``z_ij = 1`` for the
    pair ``j = offset + i``, ``-1`` otherwise), in tiles; ``(N,)``.

    The gradient of an entry with respect to its logit ``x`` is ``-z σ(-z x)``; with ``H``
    those times the row cotangent, ``dR = scale·H C``, ``dC = scale·Hᵀ R``,
    ``d scale = Σ H ⊙ S`` and ``d bias = Σ H``. ``scale`` and ``bias``: Python floats or 0-d
    arrays (learnable)."""
    plan = _Plan(r.shape[0], c.shape[0], chunk, offset, None, None, 0.0, None, False)
    hyper = [h for h in (scale, bias) if not isinstance(h, (int, float))]
    learn_scale = not isinstance(scale, (int, float))
    learn_bias = not isinstance(bias, (int, float))

    def unpack(a: tuple[Any, ...]) -> tuple[Any, Any]:
        k = 2
        s = a[k] if learn_scale else scale
        k += learn_scale
        b = a[k] if learn_bias else bias
        return s, b

    def forward(*a: Array) -> tuple[tuple[Array, ...], tuple[Any, ...]]:
        s, b = unpack(a)
        return (_sigmoid_forward(xp, plan, a[0], a[1], s, b),), a

    def backward(res: tuple[Any, ...], cots: tuple[Array, ...]) -> tuple[Array, ...]:
        s, b = unpack(res)
        dr, dc, ds, db = _sigmoid_backward(xp, plan, res[0], res[1], s, b, cots[0])
        return (dr, dc, *((ds,) if learn_scale else ()), *((db,) if learn_bias else ()))

    return custom_gradient(xp, forward, backward)(r, c, *hyper)[0]


def _signed_logits(
    xp: Namespace, plan: _Plan, r_b: Array, c_b: Array, i_b: Array, j_b: Array, s: Any, b: Any
) -> tuple[Array, Array, Array]:
    """The tile's raw similarities, signs ``z`` (0 on the padding) and logits ``s·S + b``."""
    dot = r_b @ xp.matrix_transpose(c_b)
    rows, cols = i_b[:, None], j_b[None, :]
    own = (rows + plan.offset) == cols
    z = xp.where(own, xp.ones_like(dot), -xp.ones_like(dot))
    z = xp.where((rows >= plan.n) | (cols >= plan.m), xp.zeros_like(dot), z)
    return dot, z, s * dot + b


def _sigmoid_forward(xp: Namespace, plan: _Plan, r: Array, c: Array, s: Any, b: Any) -> Array:
    t = plan.chunk
    r_blocks, c_blocks = _blocks(xp, r, t), _blocks(xp, c, t)
    i_blocks, j_blocks = _indices(xp, plan.n, t, r), _indices(xp, plan.m, t, r)
    zero = xp.zeros((t,), dtype=r.dtype, device=device_of(r))

    def over_rows(carry: Any, x: tuple[Array, ...]) -> tuple[Any, Array]:
        r_b, i_b = x

        def over_columns(total: Array, y: tuple[Array, ...]) -> tuple[Array, Array]:
            c_b, j_b = y
            _, z, logits = _signed_logits(xp, plan, r_b, c_b, i_b, j_b, s, b)
            terms = xp.where(z == 0, xp.zeros_like(logits), softplus(xp, -z * logits))
            return total + xp.sum(terms, axis=1), zero

        total, _ = scan(xp, over_columns, zero, (c_blocks, j_blocks))
        return carry, total

    _, rows = scan(xp, over_rows, zero, (r_blocks, i_blocks))
    return xp.reshape(rows, (-1,))[: plan.n]


def _sigmoid_backward(
    xp: Namespace, plan: _Plan, r: Array, c: Array, s: Any, b: Any, g: Array
) -> tuple[Array, Array, Array, Array]:
    t = plan.chunk
    r_blocks, c_blocks = _blocks(xp, r, t), _blocks(xp, c, t)
    i_blocks, j_blocks = _indices(xp, plan.n, t, r), _indices(xp, plan.m, t, r)
    g_blocks = _blocks(xp, g, t)
    zero = xp.zeros((), dtype=r.dtype, device=device_of(r))

    def over_rows(carry: tuple[Array, Array, Array], x: tuple[Array, ...]) -> tuple[Any, Array]:
        dc, ds, db = carry
        r_b, i_b, g_b = x

        def over_columns(acc: tuple[Array, ...], y: tuple[Array, ...]) -> tuple[Any, Array]:
            dr_b, ds_b, db_b = acc
            c_b, j_b = y
            dot, z, logits = _signed_logits(xp, plan, r_b, c_b, i_b, j_b, s, b)
            h = g_b[:, None] * (-z) * sigmoid(xp, -z * logits)  # 0 on the padding (z = 0)
            acc = (dr_b + s * (h @ c_b), ds_b + xp.sum(h * dot), db_b + xp.sum(h))
            return acc, s * (xp.matrix_transpose(h) @ r_b)

        (dr_b, ds_b, db_b), dc_parts = scan(
            xp, over_columns, (xp.zeros_like(r_b), zero, zero), (c_blocks, j_blocks)
        )
        return (dc + dc_parts, ds + ds_b, db + db_b), dr_b

    start = (xp.zeros_like(c_blocks), zero, zero)
    (dc, ds, db), dr = scan(xp, over_rows, start, (r_blocks, i_blocks, g_blocks))
    dr = xp.reshape(dr, (-1, r.shape[1]))[: plan.n]
    dc = xp.reshape(dc, (-1, c.shape[1]))[: plan.m]
    return dr, dc, ds, db
