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
``dC = scale·Gᵀ R`` and ``d scale = Σ G ⊙ S``. Written once against the array API; the four
passes (two per function, forward and backward) are bodies of one walker,
:func:`_walk_tiles`, whose loop and gradient registration are
:func:`arraylosses._backend.scan` and :func:`arraylosses._backend.custom_gradient`.

The walker splits each side into its full ``chunk`` blocks and, when ``chunk`` does not
divide the side, one shorter last block: no tile holds padding, so a tile body has no
padding mask, no clipped indices and no crop (each was a kernel per tile on torch, where the
loop is a Python loop of kernels: ``tests/test_tile_kernels.py`` counts them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from ._backend import (
    Array,
    Namespace,
    const,
    custom_gradient,
    device_of,
    index_dtype,
    logaddexp,
    logsumexp,
    scan,
    sigmoid,
    softplus,
)

__all__ = ["Guide", "IndexRule", "Tiled", "tiled_logsumexp", "tiled_sigmoid_rows"]

#: ``rule(rows, cols) -> bool array``: which entries a rule selects, from the global row
#: indices ``rows`` ``(t, 1)`` (the local row plus ``offset``) and the column indices
#: ``cols`` ``(1, t)``.
IndexRule = Callable[[Array, Array], Array]

#: ``name -> array``: the per-row (or per-column) arrays of one block, or of a whole side.
Arrays = dict[str, Array]


class Tiled(NamedTuple):
    """What :func:`tiled_logsumexp` returns."""

    rows: Array  # (N,) log Σ_j exp(L_ij - row_shift_i)
    columns: Array | None  # (M,) log Σ_i exp(L_ij - col_shift_j), when asked for
    selected: Array | None  # (N,) Σ_j∈select(i) S_ij (raw similarities), when select is given
    n_selected: Array | None  # (N,) |select(i)| (no gradient), when count_selected is set


class Guide(NamedTuple):
    """A value-dependent exclusion (GIST's guided false-negative filter): entry ``(i, j)`` is
    left out of the log-sum-exps where ``rows_i · cols_j > threshold_i``, except where ``keep``
    selects it. The three arrays are constants (no gradient)."""

    rows: Array  # (N, G) the rows' guide embeddings (normalised by the caller)
    cols: Array  # (M, G) the columns' guide embeddings
    threshold: Array  # (N,)
    keep: IndexRule | None = None  # entries the guide never excludes (the positive)


class _Plan(NamedTuple):
    """The static layout of one call: the tile, the masks, the hyperparameters."""

    chunk: int
    exclude: IndexRule | None = None  # entries left out of both log-sum-exps
    penalize: IndexRule | None = None  # entries that get ``strength · stop_gradient(S)`` added
    strength: float = 0.0
    select: IndexRule | None = None  # entries summed into ``selected``
    count_selected: bool = False  # whether ``n_selected`` is wanted
    columns: bool = False  # whether the column log-sum-exp is wanted
    learnable: bool = False  # whether the scale (and SigLIP's bias) get a gradient
    guided: bool = False  # whether a Guide's arrays are among the inputs
    keep: IndexRule | None = None  # the Guide's keep rule


# --- the walker ------------------------------------------------------------------------------


class _Side(NamedTuple):
    """One axis of the matrix (its rows or its columns), as :func:`_walk_tiles` walks it."""

    inputs: Arrays  # (size, ...) arrays that the tile body reads, one block at a time
    acc: Arrays  # (size, ...) accumulators: their start values in, their end values out


#: ``body(rows, row_acc, cols) -> (row_acc, col_parts)``: one tile. ``rows``, ``row_acc``:
#: the row block's inputs and accumulators; ``cols``: the column block's inputs;
#: ``col_parts``: the tile's contribution to the column accumulators (their keys), which
#: ``merge`` folds in once per row block.
Body = Callable[[Arrays, Arrays, Arrays], tuple[Arrays, Arrays]]
Merge = Callable[[Arrays, Arrays], Arrays]


def _walk_tiles(
    xp: Namespace, chunk: int, body: Body, rows: _Side, cols: _Side, merge: Merge
) -> tuple[Arrays, Arrays]:
    """Every ``chunk × chunk`` tile of the matrix, row block by row block, each row block
    across every column block; returns the row and column accumulators at the end.

    A side is walked as its full blocks (one :func:`scan`) and then, when ``chunk`` does not
    divide it, one shorter block (one more call of the body, at its own shape): the tiles
    hold no padding. On JAX under tracing the body is traced at most four times (full or
    short rows × full or short columns), whatever N/chunk is."""

    def across(r: Arrays, ra: Arrays, ca: Arrays) -> tuple[Arrays, Arrays]:
        """One row block across every column block: its accumulators, and ``ca`` merged."""
        parts = []
        for blocked, c in _pieces(xp, cols.inputs, chunk):
            if blocked:
                ra, ys = _scan_named(xp, lambda ra, c: body(r, ra, c), ra, c, list(ca))
                part = {k: _unblock(xp, y) for k, y in ys.items()}
            else:
                ra, part = body(r, ra, c)
            parts.append(part)
        return ra, merge(ca, _join(xp, parts))

    def down(ca: Arrays, x: Arrays) -> tuple[Arrays, Arrays]:
        ra, ca = across(_named(rows.inputs, x), _named(rows.acc, x), ca)
        return ca, ra

    every = {**rows.inputs, **rows.acc}
    assert len(every) == len(rows.inputs) + len(rows.acc), "an input named as an accumulator"
    row_parts = []
    ca = cols.acc
    for blocked, x in _pieces(xp, every, chunk):
        if blocked:
            ca, ys = _scan_named(xp, down, ca, x, list(rows.acc))
            ra = {k: _unblock(xp, y) for k, y in ys.items()}
        else:
            ca, ra = down(ca, x)
        row_parts.append(ra)
    return _join(xp, row_parts), ca


def _scan_named(
    xp: Namespace,
    body: Callable[[Arrays, Arrays], tuple[Arrays, Arrays]],
    carry: Arrays,
    xs: Arrays,
    y_keys: list[str],
) -> tuple[Arrays, Arrays]:
    """:func:`scan` with named arrays: ``body(carry, x) -> (carry, y)``, ``y`` with the keys
    ``y_keys``; returns the final carry and the ``y`` stacked along a new first axis."""

    def step(c: tuple[Array, ...], x: tuple[Array, ...]) -> tuple[Any, Any]:
        new, y = body(_named(carry, c), _named(xs, x))
        return tuple(new[k] for k in carry), tuple(y[k] for k in y_keys)

    c, ys = scan(xp, step, tuple(carry.values()), tuple(xs.values()))
    return _named(carry, c), dict(zip(y_keys, ys, strict=True))


def _pieces(xp: Namespace, arrays: Arrays, chunk: int) -> list[tuple[bool, Arrays]]:
    """``arrays`` (each ``(n, ...)``) as ``(True, blocks)``, their full blocks reshaped to
    ``(n // chunk, chunk, ...)``, and ``(False, rest)``, the last ``n % chunk`` rows, each
    where non-empty. Slices and reshapes only: no copy of the inputs. Every size is a Python
    int of the static shapes (no ``-1`` for a traced program to solve)."""
    n = next(iter(arrays.values())).shape[0]
    full = n // chunk * chunk
    out = []
    if full:
        out.append(
            (
                True,
                {
                    k: xp.reshape(v[:full, ...], (full // chunk, chunk, *v.shape[1:]))
                    for k, v in arrays.items()
                },
            )
        )
    if full < n:
        out.append((False, {k: v[full:, ...] for k, v in arrays.items()}))
    return out


def _named(keys: Arrays, values: Any) -> Arrays:
    """``keys``' names with ``values`` (a tuple in the same order, or a dict to pick from)."""
    if isinstance(values, dict):
        return {k: values[k] for k in keys}
    return dict(zip(keys, values, strict=True))


def _unblock(xp: Namespace, y: Array) -> Array:
    """``(k, chunk, ...)`` stacked block results as ``(k·chunk, ...)``."""
    return xp.reshape(y, (y.shape[0] * y.shape[1], *y.shape[2:]))


def _join(xp: Namespace, parts: list[Arrays]) -> Arrays:
    """The pieces' results, concatenated along the side (no copy for a single piece)."""
    if len(parts) == 1:
        return parts[0]
    return {k: xp.concat([p[k] for p in parts]) for k in parts[0]}


# --- log-sum-exp -----------------------------------------------------------------------------


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
    count_selected: bool = False,
    row_shift: Array | None = None,
    col_shift: Array | None = None,
    guide: Guide | None = None,
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
    picks per row, with their gradient; ``count_selected`` also counts them. ``guide``
    excludes entries by the value of a constant guide similarity (:class:`Guide`).
    """
    learnable = not isinstance(scale, (int, float))
    plan = _Plan(
        chunk=chunk,
        exclude=exclude,
        penalize=penalize if strength > 0 else None,
        strength=strength,
        select=select,
        count_selected=count_selected and select is not None,
        columns=columns,
        learnable=learnable,
        guided=guide is not None,
        keep=None if guide is None else guide.keep,
    )
    n, m = r.shape[0], c.shape[0]
    shifts = (
        xp.zeros((n,), dtype=r.dtype, device=device_of(r)) if row_shift is None else row_shift,
        xp.zeros((m,), dtype=r.dtype, device=device_of(r)) if col_shift is None else col_shift,
    )

    guides = () if guide is None else (guide.rows, guide.cols, guide.threshold)

    def given(arrays: tuple[Array, ...]) -> tuple[_LseInputs, Any]:
        """The inputs by name (the indices built here: a closure, not a residual) and the
        scale, from ``(r, c, row_shift, col_shift[, scale][, guide rows, cols, threshold])``."""
        rest = arrays[4 + learnable :]
        inputs = _LseInputs(
            r=arrays[0],
            c=arrays[1],
            row_shift=arrays[2],
            col_shift=arrays[3],
            rows=_arange(xp, n, r) + offset,
            cols=_arange(xp, m, r),
            guides=rest[: len(guides)],
        )
        return inputs, arrays[4] if learnable else scale

    def forward(*arrays: Array) -> tuple[tuple[Array, ...], tuple[Array, ...]]:
        out = _lse_forward(xp, plan, *given(arrays))
        return tuple(out), (*arrays, *out)  # residuals: the arrays, then the outputs

    def backward(res: tuple[Array, ...], cots: tuple[Array, ...]) -> tuple[Array, ...]:
        inputs, s = given(res[: len(res) - len(_LseOutputs._fields)])
        out = _LseOutputs(*res[len(res) - len(_LseOutputs._fields) :])
        dr, dc, ds = _lse_backward(xp, plan, inputs, s, out, _LseOutputs(*cots))
        grads = (dr, dc, xp.zeros_like(inputs.row_shift), xp.zeros_like(inputs.col_shift))
        constants = tuple(xp.zeros_like(g) for g in inputs.guides)
        return (*grads, ds, *constants) if learnable else (*grads, *constants)

    arrays = (r, c, *shifts, *([scale] if learnable else []), *guides)
    out = _LseOutputs(*custom_gradient(xp, forward, backward)(*arrays))
    return Tiled(
        rows=out.rows,
        columns=out.columns if columns else None,
        selected=out.selected if select is not None else None,
        n_selected=out.n_selected if plan.count_selected else None,
    )


class _LseInputs(NamedTuple):
    r: Array  # (N, D)
    c: Array  # (M, D)
    row_shift: Array  # (N,)
    col_shift: Array  # (M,)
    rows: Array  # (N,) global row indices (local + offset)
    cols: Array  # (M,) column indices
    guides: tuple[Array, ...] = ()  # a Guide's (rows, cols, threshold), or none

    def row_inputs(self) -> Arrays:
        """The per-row arrays a tile reads (beside the log-sum-exp's own)."""
        if not self.guides:
            return {}
        return {"guide": self.guides[0], "threshold": self.guides[2]}

    def col_inputs(self) -> Arrays:
        return {"guide": self.guides[1]} if self.guides else {}


class _LseOutputs(NamedTuple):
    """The forward's results (and, in the backward, their cotangents), in this order."""

    rows: Array  # (N,) row log-sum-exps
    columns: Array  # (M,) column log-sum-exps (zeros when not asked for)
    selected: Array  # (N,) the selected raw similarities' sums (zeros when no select)
    n_selected: Array  # (N,) their counts (zeros when not asked for)


def _arange(xp: Namespace, n: int, like: Array) -> Array:
    return xp.arange(n, dtype=index_dtype(xp, like), device=device_of(like))


class _Tile(NamedTuple):
    dot: Array  # raw similarities R_b C_bᵀ
    logits: Array  # scale·dot (+ penalty); excluded entries -inf
    selected: Array | None  # bool: the entries ``select`` picks


def _tile(xp: Namespace, plan: _Plan, r: Arrays, c: Arrays, scale: Any) -> _Tile:
    dot = r["r"] @ xp.matrix_transpose(c["c"])
    logits = scale * dot
    rows, cols = r["rows"][:, None], c["cols"][None, :]
    if plan.penalize is not None:
        # the penalty's gradient is cut (stop_gradient): the backward uses scale only
        logits = xp.where(plan.penalize(rows, cols), logits + plan.strength * dot, logits)
    if plan.exclude is not None:
        logits = xp.where(plan.exclude(rows, cols), const(xp, -math.inf, logits), logits)
    if plan.guided:
        guided = r["guide"] @ xp.matrix_transpose(c["guide"]) > r["threshold"][:, None]
        if plan.keep is not None:
            guided = guided & ~plan.keep(rows, cols)
        logits = xp.where(guided, const(xp, -math.inf, logits), logits)
    selected = plan.select(rows, cols) if plan.select is not None else None
    return _Tile(dot, logits, selected)


def _lse_forward(xp: Namespace, plan: _Plan, inputs: _LseInputs, scale: Any) -> _LseOutputs:
    r, c = inputs.r, inputs.c
    minus_inf_n = xp.full((r.shape[0],), -math.inf, dtype=r.dtype, device=device_of(r))
    zeros_n = xp.zeros((r.shape[0],), dtype=r.dtype, device=device_of(r))
    zeros_m = xp.zeros((c.shape[0],), dtype=r.dtype, device=device_of(r))
    zero = const(xp, 0.0, r)
    row_acc = {"lse": minus_inf_n}
    if plan.select is not None:
        row_acc["selected"] = zeros_n
    if plan.count_selected:
        row_acc["count"] = zeros_n
    col_acc = {"lse": xp.full((c.shape[0],), -math.inf, dtype=r.dtype, device=device_of(r))}

    def body(r: Arrays, ra: Arrays, c: Arrays) -> tuple[Arrays, Arrays]:
        tile = _tile(xp, plan, r, c, scale)
        new = {
            "lse": logaddexp(
                xp, ra["lse"], logsumexp(xp, tile.logits - r["shift"][:, None], axis=1)
            )
        }
        if tile.selected is not None:
            picked = xp.where(tile.selected, tile.dot, zero)
            new["selected"] = ra["selected"] + xp.sum(picked, axis=1)
        if plan.count_selected:
            assert tile.selected is not None
            new["count"] = ra["count"] + xp.sum(xp.astype(tile.selected, r["r"].dtype), axis=1)
        parts = {}
        if plan.columns:
            parts["lse"] = logsumexp(xp, tile.logits - c["shift"][None, :], axis=0)
        return new, parts

    def merge(ca: Arrays, parts: Arrays) -> Arrays:
        return {"lse": logaddexp(xp, ca["lse"], parts["lse"])} if plan.columns else ca

    ra, ca = _walk_tiles(
        xp,
        plan.chunk,
        body,
        rows=_Side(
            {"r": r, "shift": inputs.row_shift, "rows": inputs.rows, **inputs.row_inputs()},
            row_acc,
        ),
        cols=_Side(
            {"c": c, "shift": inputs.col_shift, "cols": inputs.cols, **inputs.col_inputs()},
            col_acc if plan.columns else {},
        ),
        merge=merge,
    )
    return _LseOutputs(
        rows=ra["lse"],
        columns=ca["lse"] if plan.columns else zeros_m,
        selected=ra.get("selected", zeros_n),
        n_selected=ra.get("count", zeros_n),
    )


def _finite_or_zero(xp: Namespace, lse: Array) -> Array:
    """A log-sum-exp of ``-inf`` (every entry excluded) as 0: its softmax is all zeros, not
    ``exp(-inf - -inf) = NaN``. NaN stays NaN."""
    return xp.where(lse == -math.inf, xp.zeros_like(lse), lse)


def _lse_backward(
    xp: Namespace,
    plan: _Plan,
    inputs: _LseInputs,
    scale: Any,
    out: _LseOutputs,
    cots: _LseOutputs,
) -> tuple[Array, Array, Any]:
    r, c = inputs.r, inputs.c
    rows = {
        "r": r,
        "rows": inputs.rows,
        # the row (column) softmax of the shifted logits: exp(L - shift - lse)
        "lse": inputs.row_shift + _finite_or_zero(xp, out.rows),
        "g": cots.rows,
        "g_selected": cots.selected,
        **inputs.row_inputs(),
    }
    cols = {"c": c, "cols": inputs.cols, **inputs.col_inputs()}
    if plan.columns:
        cols |= {"lse": inputs.col_shift + _finite_or_zero(xp, out.columns), "g": cots.columns}
    row_acc = {"dr": xp.zeros_like(r)}
    if plan.learnable:
        row_acc["ds"] = xp.zeros((r.shape[0],), dtype=r.dtype, device=device_of(r))
    zero = const(xp, 0.0, r)

    def body(r: Arrays, ra: Arrays, c: Arrays) -> tuple[Arrays, Arrays]:
        tile = _tile(xp, plan, r, c, scale)
        g = r["g"][:, None] * xp.exp(tile.logits - r["lse"][:, None])
        if plan.columns:
            g = g + c["g"][None, :] * xp.exp(tile.logits - c["lse"][None, :])
        h = scale * g
        if tile.selected is not None:
            h = h + xp.where(tile.selected, r["g_selected"][:, None], zero)
        new = {"dr": ra["dr"] + h @ c["c"]}
        if plan.learnable:
            new["ds"] = ra["ds"] + xp.sum(g * tile.dot, axis=1)
        return new, {"dc": xp.matrix_transpose(h) @ r["r"]}

    def merge(ca: Arrays, parts: Arrays) -> Arrays:
        return {"dc": ca["dc"] + parts["dc"]}

    ra, ca = _walk_tiles(
        xp,
        plan.chunk,
        body,
        rows=_Side(rows, row_acc),
        cols=_Side(cols, {"dc": xp.zeros_like(c)}),
        merge=merge,
    )
    return ra["dr"], ca["dc"], xp.sum(ra["ds"]) if plan.learnable else None


# --- SigLIP's sigmoid rows -------------------------------------------------------------------


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
    learn_scale = not isinstance(scale, (int, float))
    learn_bias = not isinstance(bias, (int, float))
    plan = _Plan(chunk=chunk, learnable=learn_scale or learn_bias)

    def given(arrays: tuple[Array, ...]) -> _SigmoidInputs:
        """The inputs by name from ``(r, c[, scale][, bias])``; the indices built here."""
        rest = iter(arrays[2:])
        return _SigmoidInputs(
            r=arrays[0],
            c=arrays[1],
            rows=_arange(xp, r.shape[0], r) + offset,
            cols=_arange(xp, c.shape[0], r),
            scale=next(rest) if learn_scale else scale,
            bias=next(rest) if learn_bias else bias,
        )

    def forward(*arrays: Array) -> tuple[tuple[Array, ...], tuple[Array, ...]]:
        return (_sigmoid_forward(xp, plan, given(arrays)),), arrays  # residuals: the arrays

    def backward(res: tuple[Array, ...], cots: tuple[Array, ...]) -> tuple[Array, ...]:
        dr, dc, ds, db = _sigmoid_backward(xp, plan, given(res), cots[0])
        return (dr, dc, *((ds,) if learn_scale else ()), *((db,) if learn_bias else ()))

    learnable = [h for h, learn in ((scale, learn_scale), (bias, learn_bias)) if learn]
    return custom_gradient(xp, forward, backward)(r, c, *learnable)[0]


class _SigmoidInputs(NamedTuple):
    r: Array  # (N, D)
    c: Array  # (M, D)
    rows: Array  # (N,) global row indices (local + offset)
    cols: Array  # (M,) column indices
    scale: Any
    bias: Any


def _signed_logits(
    xp: Namespace, r: Arrays, c: Arrays, hyper: _SigmoidInputs
) -> tuple[Array, Array, Array]:
    """The tile's raw similarities, its positive pairs (bool) and ``-z x``: the logits
    ``x = scale·S + bias``, negated at the positive pairs."""
    dot = r["r"] @ xp.matrix_transpose(c["c"])
    logits = hyper.scale * dot + hyper.bias
    own = r["rows"][:, None] == c["cols"][None, :]
    return dot, own, xp.where(own, -logits, logits)


def _sigmoid_forward(xp: Namespace, plan: _Plan, res: _SigmoidInputs) -> Array:
    def body(r: Arrays, ra: Arrays, c: Arrays) -> tuple[Arrays, Arrays]:
        _, _, signed = _signed_logits(xp, r, c, res)
        return {"total": ra["total"] + xp.sum(softplus(xp, signed), axis=1)}, {}

    zeros = xp.zeros((res.r.shape[0],), dtype=res.r.dtype, device=device_of(res.r))
    ra, _ = _walk_tiles(
        xp,
        plan.chunk,
        body,
        rows=_Side({"r": res.r, "rows": res.rows}, {"total": zeros}),
        cols=_Side({"c": res.c, "cols": res.cols}, {}),
        merge=lambda ca, parts: ca,
    )
    return ra["total"]


def _sigmoid_backward(
    xp: Namespace, plan: _Plan, res: _SigmoidInputs, g: Array
) -> tuple[Array, Array, Array | None, Array | None]:
    s = res.scale

    def body(r: Arrays, ra: Arrays, c: Arrays) -> tuple[Arrays, Arrays]:
        dot, own, signed = _signed_logits(xp, r, c, res)
        # d softplus(-z x) / dx = -z σ(-z x): -σ at the positive pairs, σ elsewhere
        p = sigmoid(xp, signed)
        h = r["g"][:, None] * xp.where(own, -p, p)
        new = {"dr": ra["dr"] + s * (h @ c["c"])}
        if plan.learnable:
            new |= {"ds": ra["ds"] + xp.sum(h * dot, axis=1), "db": ra["db"] + xp.sum(h, axis=1)}
        return new, {"dc": s * (xp.matrix_transpose(h) @ r["r"])}

    row_acc = {"dr": xp.zeros_like(res.r)}
    if plan.learnable:
        zeros = xp.zeros((res.r.shape[0],), dtype=res.r.dtype, device=device_of(res.r))
        row_acc |= {"ds": zeros, "db": zeros}
    ra, ca = _walk_tiles(
        xp,
        plan.chunk,
        body,
        rows=_Side({"r": res.r, "rows": res.rows, "g": g}, row_acc),
        cols=_Side({"c": res.c, "cols": res.cols}, {"dc": xp.zeros_like(res.c)}),
        merge=lambda ca, parts: {"dc": ca["dc"] + parts["dc"]},
    )
    if not plan.learnable:
        return ra["dr"], ca["dc"], None, None
    return ra["dr"], ca["dc"], xp.sum(ra["ds"]), xp.sum(ra["db"])
