"""Late-interaction (ColBERT MaxSim) scores, written once: :func:`arraylosses.maxsim`,
:func:`arraylosses.pairwise_maxsim` and :func:`arraylosses.maxsim_ranking_loss` read it.

``score(q, d) = Σ_{i valid} max_{j valid} q_i · d_j``. Masked document tokens leave the max
(``where`` to ``-inf``, never a product with 0: PyLate's product lets a padding token win the max
when every real similarity is negative); masked query tokens leave the sum. A document with no
valid token scores ``EMPTY_DOCUMENT_SCORE`` (sentence-transformers' sentinel), before the
optional division by the number of valid query tokens. Every ``-inf`` is replaced by a ``where``
before it reaches a sum, so the gradients stay finite (zero at the sentinel).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ._backend import Array, Namespace, as_dtype, const, custom_gradient, device_of
from ._validate import check_kind, check_min_ndim, check_ndim

__all__ = [
    "EMPTY_DOCUMENT_SCORE",
    "Tokens",
    "check_broadcast",
    "check_tokens",
    "chunked_pairwise_scores",
    "late_interaction",
    "pairwise_late_interaction",
]

EMPTY_DOCUMENT_SCORE = -1e9
"""The score of a document without a valid token (sentence-transformers' ``-1e9``): it ranks
below every real document and stays finite through a scale and a square."""


class Tokens(NamedTuple):
    """One side's token embeddings in the compute dtype and its boolean token mask."""

    x: Array  # (..., L, D)
    mask: Array  # (..., L) bool


def check_tokens(
    xp: Namespace,
    dtype: Any,
    name: str,
    x: Array,
    mask_name: str,
    mask: Array | None,
    *,
    ndim: int | None = None,
    what: str = "(..., L, D)",
) -> Tokens:
    """``x`` (floating, at least ``(L, D)``, exactly ``ndim`` axes when given) and its mask
    (boolean, ``x``'s shape without ``D``); without a mask, the all-zero token vectors are
    padding (sentence-transformers' ``_zero_row_mask``). NaN is not zero: a NaN token counts."""
    check_kind(xp, name, x, ("real floating",), must="be a real floating array")
    if ndim is None:
        check_min_ndim(name, x, 2, what)
    else:
        check_ndim(name, x, ndim, what)
    x = as_dtype(xp, x, dtype)
    if mask is None:
        return Tokens(x, xp.any(x != 0, axis=-1))
    check_kind(xp, mask_name, mask, ("bool",), must="be a boolean array")
    if tuple(mask.shape) != tuple(x.shape[:-1]):
        raise ValueError(
            f"{mask_name} must have the shape of {name} without its last axis, "
            f"{tuple(x.shape[:-1])}; got {tuple(mask.shape)}"
        )
    return Tokens(x, mask)


def late_interaction(xp: Namespace, q: Tokens, d: Tokens, *, length_normalize: bool) -> Array:
    """Row-wise MaxSim of ``q.x`` ``(..., Lq, D)`` and ``d.x`` ``(..., Ld, D)`` (batch dims
    broadcast as in ``matmul``): the scores, of the broadcast batch shape."""
    sims = xp.matmul(q.x, xp.matrix_transpose(d.x))  # (..., Lq, Ld)
    d_valid = d.mask[..., None, :]
    has_token = xp.any(d.mask, axis=-1)  # (...,) of the documents' batch dims
    if d.x.shape[-2] == 0:  # no document token at all: max over an empty axis is an error
        best = xp.zeros(sims.shape[:-1], dtype=sims.dtype, device=device_of(sims))
    else:
        best = xp.max(xp.where(d_valid, sims, const(xp, -math.inf, sims)), axis=-1)
        # an empty document's -inf leaves here, before any sum (its sentinel comes below)
        best = xp.where(has_token[..., None], best, xp.zeros_like(best))
    total = xp.sum(xp.where(q.mask, best, xp.zeros_like(best)), axis=-1)
    scores = xp.where(has_token, total, const(xp, EMPTY_DOCUMENT_SCORE, total))
    if length_normalize:
        count = xp.sum(xp.astype(q.mask, scores.dtype), axis=-1)
        scores = scores / xp.maximum(count, const(xp, 1.0, count))
    return scores


def pairwise_late_interaction(
    xp: Namespace, q: Tokens, d: Tokens, *, length_normalize: bool
) -> Array:
    """All-pairs MaxSim: ``q.x`` ``(Q, Lq, D)``, ``d.x`` ``(M, Ld, D)`` → ``(Q, M)``."""
    return late_interaction(
        xp,
        Tokens(q.x[:, None, ...], q.mask[:, None, ...]),
        Tokens(d.x[None, ...], d.mask[None, ...]),
        length_normalize=length_normalize,
    )


def check_broadcast(queries: Array, documents: Array) -> None:
    """The batch dims (all but the last two axes) of ``queries`` and ``documents`` broadcast."""
    a, b = tuple(queries.shape[:-2]), tuple(documents.shape[:-2])
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y and 1 not in (x, y):
            raise ValueError(
                f"the batch dims of queries {a} and documents {b} must broadcast (as in matmul)"
            )


def chunked_pairwise_scores(
    xp: Namespace, q: Tokens, d: Tokens, *, length_normalize: bool, chunk: int
) -> Array:
    """:func:`pairwise_late_interaction` ``(Q, M)`` computed ``chunk`` documents at a time with
    a custom gradient that recomputes each chunk's token similarities: memory
    O((Q·Lq + M·Ld)·D + Q·chunk·Lq·Ld) instead of O(Q·M·Lq·Ld) (autograd keeps every token
    similarity). The gradient of each score goes to its maximising document tokens (shared
    between tied maxima, as ``amax``), with the dense path's values and gradients."""
    dtype = q.x.dtype
    q_valid = xp.astype(q.mask, dtype)
    d_valid = xp.astype(d.mask, dtype)
    m = d.x.shape[0]
    bounds = [(s, min(s + chunk, m)) for s in range(0, m, chunk)]

    def tokens(x: Array, valid: Array) -> Tokens:
        return Tokens(x, valid != 0)

    def forward(qx: Array, dx: Array, qv: Array, dv: Array) -> Any:
        qt = tokens(qx, qv)
        parts = [
            pairwise_late_interaction(
                xp, qt, tokens(dx[s:e, ...], dv[s:e, ...]), length_normalize=length_normalize
            )
            for s, e in bounds
        ]
        scores = parts[0] if len(parts) == 1 else xp.concat(parts, axis=1)
        return (scores,), (qx, dx, qv, dv)

    def backward(res: tuple[Array, ...], cots: tuple[Array, ...]) -> tuple[Array, ...]:
        qx, dx, qv, dv = res
        g = cots[0]  # (Q, M)
        qmask = qv != 0
        if length_normalize:
            count = xp.sum(qv, axis=-1)
            g = g / xp.maximum(count, const(xp, 1.0, count))[:, None]
        dq = xp.zeros_like(qx)
        dd = []
        for s, e in bounds:
            dc, vc = dx[s:e, ...], dv[s:e, ...] != 0
            sims = xp.matmul(qx[:, None, ...], xp.matrix_transpose(dc)[None, ...])  # (Q,c,Lq,Ld)
            if dc.shape[-2] == 0:
                dd.append(xp.zeros_like(dc))
                continue
            valid = vc[None, :, None, :]
            masked = xp.where(valid, sims, const(xp, -math.inf, sims))
            best = xp.max(masked, axis=-1, keepdims=True)
            hit = xp.astype(valid & (masked == best), dtype)
            hit = hit / xp.maximum(xp.sum(hit, axis=-1, keepdims=True), const(xp, 1.0, sims))
            # a NaN maximum (a NaN token): NaN at every valid token, as the dense max's 0/0
            nan_best = xp.isnan(best)
            hit = xp.where(valid & nan_best, best, hit)
            has = xp.any(vc, axis=-1)  # (c,)
            weight = g[:, s:e] * xp.astype(has, dtype)[None, :]  # the sentinel has no gradient
            p = hit * weight[:, :, None, None] * xp.astype(qmask, dtype)[:, None, :, None]
            # exactly 0 at masked (query or document) tokens, as the dense path's where: a NaN
            # cotangent (a NaN document's row) gives no 0·NaN there; at valid tokens 0·NaN
            # stays NaN, as the dense max's backward (its mask times the cotangent)
            p = xp.where(valid & qmask[:, None, :, None], p, xp.zeros_like(p))
            dq = dq + xp.sum(xp.matmul(p, dc[None, ...]), axis=1)
            dd.append(xp.sum(xp.matmul(xp.matrix_transpose(p), qx[:, None, ...]), axis=0))
        ddx = dd[0] if len(dd) == 1 else xp.concat(dd, axis=0)
        return dq, ddx, xp.zeros_like(qv), xp.zeros_like(dv)

    return custom_gradient(xp, forward, backward)(q.x, d.x, q_valid, d_valid)[0]
