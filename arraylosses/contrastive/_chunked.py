"""The per-row in-batch losses with ``chunk_size``: the similarity matrix walked in tiles.

Each function takes the arrays its loss has already checked and cast, and returns the same
per-row losses as the loss's dense path, from :func:`arraylosses._tiled.tiled_logsumexp`
(or :func:`~arraylosses._tiled.tiled_sigmoid_rows`): memory O((N + M)·D + chunk²).

A softmax cross entropy row is ``lse_j(L_ij) - L_i⁺``. It is computed as
``lse_j(L_ij - c_i) - (L_i⁺ - c_i)`` with the constant shift ``c_i = sg(L_i⁺)`` (``sg``:
stop_gradient; ``L_i⁺`` from a row-wise product): the log-sum-exp is then of the size of the
loss rather than of the logits, as in the dense path's ``log_softmax`` (``ulp(1e4) ~ 1e-3`` in
float32 at a large scale). The ``L_i⁺`` subtracted is the tiles' own entry (``select`` picks
it), not the row-wise product: the two round differently, and only the tiles' entry cancels
the positive's term inside the log-sum-exp (a float32 loss of 5e-3 was off by 8e-6 with the
row-wise one).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .._backend import Array, Namespace, device_of, index_dtype, logaddexp, stop_gradient
from .._ops import normalize
from .._tiled import IndexRule, Tiled, tiled_logsumexp, tiled_sigmoid_rows
from .._validate import integer
from ._common import Offset, hardness_rule, local_rows, own_documents

__all__ = [
    "check_chunk_size",
    "chunk_for",
    "cross_entropy_rows",
    "dcl_rows",
    "mnrl_rows_chunked",
    "nt_xent_rows",
    "sigmoid_rows",
    "supcon_rows",
]


def check_chunk_size(chunk_size: Any) -> int | None:
    """``None`` (the dense path) or a tile size: an int (a NumPy integer too) ``>= 1``."""
    if chunk_size is None:
        return None
    value = integer("chunk_size", chunk_size)
    if value < 1:
        raise ValueError(f"chunk_size must be None or an int >= 1; got {value}")
    return value


def chunk_for(chunk_size: int | None, *sizes: int) -> int | None:
    """The tile size to use: ``None`` (dense) when there is no chunk size or when a side of
    the matrix is empty (an empty batch takes the dense path's empty-batch rule)."""
    return None if chunk_size is None or 0 in sizes else chunk_size


def _shift(xp: Namespace, a: Array, b: Array, scale: Any) -> Array:
    """``sg(scale · ⟨a_i, b_i⟩)``: the positives' logits, as the tiles' constant row shift."""
    return stop_gradient(xp, scale * xp.sum(a * b, axis=1))


def _at(target: Callable[[Array], Array]) -> IndexRule:
    """The rule that picks, in row ``i``, the column ``target(i)``: the positive."""
    return lambda i, j: j == target(i)


def _diagonal(i: Array) -> Array:
    return i


def _cross_entropy(t: Tiled, scale: Any, shift: Array) -> Array:
    """``lse(L - c) - (L⁺ - c)`` per row, ``L⁺ = scale · S⁺`` from the tiles' ``selected``."""
    assert t.selected is not None
    return t.rows - (scale * t.selected - shift)


def cross_entropy_rows(
    xp: Namespace,
    a: Array,
    every_b: Array,
    *,
    scale: Any,
    offset: Offset,
    chunk: int,
    cosine: bool,
    back: tuple[Array, Array] | None = None,
) -> Array:
    """Per-row ``CE(scale·s(a_i, every_b), offset + i)``; with ``back = (local_b, every_a)``
    the mean with ``CE(scale·s(local_b_i, every_a), offset + i)``, the other direction
    (InfoNCE's symmetric form, CLIP). On one device (``back == (every_b, a)``) both directions
    are the rows and the columns of one matrix, walked once."""
    one_pass = back is not None and back[0] is every_b and back[1] is a
    if cosine:
        a, every_b = normalize(xp, a), normalize(xp, every_b)
        if back is not None and not one_pass:
            back = (normalize(xp, back[0]), normalize(xp, back[1]))
    n = a.shape[0]
    shift = _shift(xp, a, local_rows(xp, every_b, offset=offset, n=n), scale)
    if one_pass:  # offset is 0: column j's positive is entry (j, j), as row j's
        t = tiled_logsumexp(
            xp,
            a,
            every_b,
            scale,
            chunk=chunk,
            columns=True,
            select=_at(_diagonal),
            row_shift=shift,
            col_shift=shift,
        )
        assert t.columns is not None
        return _cross_entropy(t._replace(rows=(t.rows + t.columns) / 2), scale, shift)

    def direction(rows: Array, cols: Array, shift: Array) -> Array:
        t = tiled_logsumexp(
            xp,
            rows,
            cols,
            scale,
            chunk=chunk,
            offset=offset,
            select=_at(_diagonal),
            row_shift=shift,
        )
        return _cross_entropy(t, scale, shift)

    forward = direction(a, every_b, shift)
    if back is None:
        return forward
    local_b, every_a = back
    shift_b = _shift(xp, local_b, local_rows(xp, every_a, offset=offset, n=n), scale)
    return (forward + direction(local_b, every_a, shift_b)) / 2


def sigmoid_rows(
    xp: Namespace,
    img: Array,
    every_txt: Array,
    *,
    scale: Any,
    bias: Any,
    offset: Offset,
    chunk: int,
) -> Array:
    """SigLIP's per-image ``Σ_j softplus(-z_ij (scale·cos + bias))``."""
    return tiled_sigmoid_rows(
        xp, normalize(xp, img), normalize(xp, every_txt), scale, bias, chunk=chunk, offset=offset
    )


def nt_xent_rows(
    xp: Namespace,
    local: Array,
    every: Array,
    *,
    n: int,
    w: int,
    scale: Any,
    offset: Offset,
    chunk: int,
) -> Array:
    """NT-Xent per view: ``local`` = this device's ``[z1; z2]`` (2N rows), ``every`` = every
    device's (2W rows); view ``k`` leaves out itself and has the other view of its sample as
    the positive."""
    local, every = normalize(xp, local), normalize(xp, every)

    def own(k: Array) -> Array:  # the global column of local view k
        return xp.where(k < n, k + offset, k - n + offset + w)

    def partner(k: Array) -> Array:
        return xp.where(k < n, own(k) + w, own(k) - w)

    views = xp.arange(2 * n, dtype=index_dtype(xp, local), device=device_of(local))
    shift = _shift(xp, local, xp.take(every, partner(views), axis=0), scale)

    def itself(k: Array, j: Array) -> Array:
        return j == own(k)

    t = tiled_logsumexp(
        xp,
        local,
        every,
        scale,
        chunk=chunk,
        exclude=itself,
        select=_at(partner),
        row_shift=shift,
    )
    return _cross_entropy(t, scale, shift)


def dcl_rows(
    xp: Namespace,
    local: Array,
    every: Array,
    *,
    n: int,
    w: int,
    scale: Any,
    offset: Offset,
    chunk: int,
    weight: Array | None,
) -> Array:
    """DCL per view (:func:`nt_xent_rows`' layout): ``lse_{b ∉ {k, p(k)}} L_kb - weight·L_k⁺``,
    the positive left out of the log-sum-exp (decoupled) and its logit multiplied by
    ``weight`` ``(2N,)`` (DCLW; ``None``: 1)."""
    local, every = normalize(xp, local), normalize(xp, every)

    def own(k: Array) -> Array:  # the global column of local view k
        return xp.where(k < n, k + offset, k - n + offset + w)

    def partner(k: Array) -> Array:
        return xp.where(k < n, own(k) + w, own(k) - w)

    views = xp.arange(2 * n, dtype=index_dtype(xp, local), device=device_of(local))
    shift = _shift(xp, local, xp.take(every, partner(views), axis=0), scale)

    def itself_or_partner(k: Array, j: Array) -> Array:
        return (j == own(k)) | (j == partner(k))

    t = tiled_logsumexp(
        xp,
        local,
        every,
        scale,
        chunk=chunk,
        exclude=itself_or_partner,
        select=_at(partner),
        row_shift=shift,
    )
    assert t.selected is not None
    positive = scale * t.selected
    if weight is not None:
        positive = weight * positive
    return t.rows - (positive - shift)


def supcon_rows(
    xp: Namespace, f: Array, labels: Array, *, scale: Any, chunk: int
) -> tuple[Array, Array, Array]:
    """SupCon's ``(mean over positives of log p, number of positives, lse)`` per anchor, for
    the anchors ``f`` (views flattened) and their ``labels``: the log-sum-exp leaves out the
    anchor itself; the positives are the other anchors with its label."""
    f = normalize(xp, f)

    def itself(i: Array, j: Array) -> Array:
        return i == j

    def same_label(i: Array, j: Array) -> Array:
        left = xp.take(labels, i[:, 0], axis=0)[:, None]
        right = xp.take(labels, j[0, :], axis=0)[None, :]
        return (left == right) & (i != j)

    t = tiled_logsumexp(
        xp, f, f, scale, chunk=chunk, exclude=itself, select=same_label, count_selected=True
    )
    assert t.selected is not None and t.n_selected is not None
    has = t.n_selected > 0
    # an anchor with positives has a finite log-sum-exp; one alone (-inf) has no positives
    lse = xp.where(t.rows == -math.inf, xp.zeros_like(t.rows), t.rows)
    ones = xp.ones_like(t.n_selected)
    mean_pos = (scale * t.selected - t.n_selected * lse) / xp.where(has, t.n_selected, ones)
    return mean_pos, t.n_selected, t.rows


def mnrl_rows_chunked(
    xp: Namespace,
    embeddings: dict[str, Array],
    *,
    chosen: Any,
    cosine: bool,
    chunk: int,
) -> Array:
    """MNRL's per-anchor loss (:func:`arraylosses.contrastive.mnrl.mnrl_rows`'s), one tiled
    log-sum-exp per direction: ``"joint"`` adds them (``logaddexp``), ``"per_direction"``
    averages them."""
    e = {k: normalize(xp, v) for k, v in embeddings.items()} if cosine else dict(embeddings)
    w, lam = chosen.w, chosen.lam
    shift = _shift(xp, e["query"], e["local_docs"], lam)

    def own_doc(i: Array, j: Array) -> Array:
        return own_documents(i, j, w=w)

    def lse(rows: str, cols: str, **rules: Any) -> Array:
        return tiled_logsumexp(
            xp, e[rows], e[cols], lam, chunk=chunk, offset=chosen.offset, row_shift=shift, **rules
        ).rows

    # query_to_doc holds the positive (column offset + i): its entry comes from those tiles
    q2d = tiled_logsumexp(
        xp,
        e["query"],
        e["docs"],
        lam,
        chunk=chunk,
        offset=chosen.offset,
        row_shift=shift,
        penalize=hardness_rule(chosen.hardness_mode, w=w),
        strength=chosen.hardness_strength,
        select=_at(_diagonal),
    )
    assert q2d.selected is not None
    segments = {
        "query_to_doc": lambda: q2d.rows,
        "query_to_query": lambda: lse("query", "all_queries", exclude=lambda i, j: i == j),
        "doc_to_query": lambda: lse("local_docs", "all_queries"),
        "doc_to_doc": lambda: lse("local_docs", "docs", exclude=own_doc),
    }
    parts = [segments[d]() for d in segments if d in chosen.directions]
    if chosen.partition_mode == "joint":
        total = parts[0]
        for part in parts[1:]:
            total = logaddexp(xp, total, part)
    else:
        total = sum(parts[1:], parts[0]) / len(parts)
    return total - (lam * q2d.selected - shift)
