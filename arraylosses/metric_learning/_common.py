"""What the metric-learning losses share: the label and proxy checks, cosine logits against
proxies, the margin-softmax cross entropy, masked log-sum-exps and the pair masks of one
device's anchors among every device's candidates (``offset``, ``all_embeddings``)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .._backend import (
    Array,
    Namespace,
    as_dtype,
    device_of,
    index_dtype,
    isdtype,
    logsumexp,
    nll_at,
    take_along_axis,
)
from .._ops import normalize
from .._validate import check_labels, check_ndim, check_sample_weight, prepare
from ..contrastive._common import check_offset, check_same_width, diagonal_targets, gathered

__all__ = [
    "Pairs",
    "Proxied",
    "check_int_labels",
    "cosines",
    "log1p_sum",
    "margin_cross_entropy",
    "masked_logsumexp",
    "pair_inputs",
    "proxy_cosines",
    "proxy_inputs",
    "seen",
    "target_column",
]


def check_int_labels(xp: Namespace, name: str, labels: Array, n: int) -> None:
    """``labels`` is an ``(n,)`` integer array: a bool or floating array is a TypeError, any
    other shape (``(n, 1)`` included) a ValueError."""
    if not isdtype(xp, labels.dtype, "integral"):
        raise TypeError(
            f"{name} must be an integer array of class labels; got dtype {labels.dtype}"
        )
    if tuple(labels.shape) != (n,):
        raise ValueError(f"{name} must have shape ({n},); got {tuple(labels.shape)}")


class Proxied(NamedTuple):
    """A proxy loss's checked inputs."""

    xp: Namespace
    out_dtype: Any
    x: Array  # (N, D) embeddings in the compute dtype
    labels: Array  # (N,) in the namespace's index dtype
    proxies: Array  # (C, D) or (C, K, D) in the compute dtype


def proxy_inputs(
    embeddings: Array,
    labels: Array,
    proxies: Array,
    *,
    sub_centers: bool,
    hyper: dict[str, Any],
    sample_weight: Array | None,
    reduction: Any,
) -> Proxied:
    """The shared start of the proxy losses: one namespace, ``(N, D)`` embeddings, ``(N,)``
    integer labels in ``[0, C)`` (checked when the values can be read), ``(C, D)`` proxies
    (``(C, K, D)`` with ``sub_centers``) of width D cast to the compute dtype."""
    xp, out_dtype, dtype = prepare(
        "embeddings",
        embeddings,
        reduction=reduction,
        hyper=hyper,
        labels=labels,
        proxies=proxies,
        sample_weight=sample_weight,
    )
    check_ndim("embeddings", embeddings, 2, "(N, D)")
    n = embeddings.shape[0]
    check_int_labels(xp, "labels", labels, n)
    if sub_centers:
        check_ndim("proxies", proxies, 3, "(C, K, D): K sub-centres per class")
    else:
        check_ndim("proxies", proxies, 2, "(C, D): one proxy per class")
    check_same_width(("embeddings", embeddings), ("proxies", proxies))
    if not isdtype(xp, proxies.dtype, "real floating"):
        raise TypeError(f"proxies must be a real floating array; got dtype {proxies.dtype}")
    check_labels(xp, "labels", labels, num_classes=proxies.shape[0])
    check_sample_weight(xp, sample_weight, (n,))
    x = as_dtype(xp, embeddings, dtype)
    return Proxied(
        xp,
        out_dtype,
        x,
        as_dtype(xp, labels, index_dtype(xp, x)),
        as_dtype(xp, proxies, dtype),
    )


def proxy_cosines(xp: Namespace, x: Array, proxies: Array) -> Array:
    """``(N, C)`` cosines of the rows of ``x`` with the proxies; for ``(C, K, D)`` sub-centres
    the largest of each class's K cosines, its gradient going to the first maximal sub-centre
    (argmax, not ``max``, which JAX splits between ties)."""
    xn = normalize(xp, x)
    if proxies.ndim == 2:
        return xn @ xp.permute_dims(normalize(xp, proxies), (1, 0))
    c, k, d = proxies.shape
    flat = normalize(xp, xp.reshape(proxies, (c * k, d)))  # row c·K + k, PML's column order
    cos = xp.reshape(xn @ xp.permute_dims(flat, (1, 0)), (x.shape[0], c, k))
    if k == 1:
        return cos[..., 0]
    best = xp.astype(xp.argmax(cos, axis=2, keepdims=True), index_dtype(xp, cos))
    return take_along_axis(xp, cos, best, axis=2)[..., 0]


def target_column(xp: Namespace, m: Array, labels: Array) -> Array:
    """``m[i, labels[i]]`` for each row ``i``."""
    return take_along_axis(xp, m, labels[:, None], axis=1)[:, 0]


def margin_cross_entropy(xp: Namespace, logits: Array, target: Array, labels: Array) -> Array:
    """``-log softmax(z_i)[y_i]`` where ``z_i`` is row ``i`` of ``logits`` with its label's
    entry replaced by ``target[i]``."""
    cols = xp.arange(logits.shape[1], dtype=labels.dtype, device=device_of(logits))
    own = cols[None, :] == labels[:, None]
    z = xp.where(own, target[:, None], logits)
    return nll_at(xp, z, labels, axis=1)


def masked_logsumexp(xp: Namespace, x: Array, mask: Array, *, empty: float) -> Array:
    """``log Σ_{j: mask_ij} e^{x_ij}`` along axis 1, ``empty`` for a row without entries, with
    finite gradients everywhere: the entries left out pass no gradient (``where``), and a row
    without entries is computed on zeros and then replaced (a log-sum-exp of ``-inf`` only
    has a NaN gradient)."""
    has = xp.any(mask, axis=1)
    safe = xp.where(mask, x, xp.full_like(x, -math.inf))
    safe = xp.where(has[:, None], safe, xp.zeros_like(x))
    out = logsumexp(xp, safe, axis=1)
    return xp.where(has, out, xp.full_like(out, empty))


def log1p_sum(xp: Namespace, x: Array, mask: Array, *, axis: int) -> Array:
    """``log(1 + Σ_{mask} e^x)`` along ``axis`` (0 where nothing is kept): a log-sum-exp with a
    0 appended, so every slice holds a finite entry (value and gradient finite)."""
    kept = xp.where(mask, x, xp.full_like(x, -math.inf))
    shape = list(x.shape)
    shape[axis] = 1
    zero = xp.zeros(tuple(shape), dtype=x.dtype, device=device_of(x))
    return logsumexp(xp, xp.concat([kept, zero], axis=axis), axis=axis)


class Pairs(NamedTuple):
    """A pair loss's checked inputs: this device's anchors against every candidate."""

    xp: Namespace
    out_dtype: Any
    x: Array  # (N, D) this device's anchors, compute dtype
    refs: Array  # (W, D) the candidates (every device's rows, or x itself)
    positive: Array  # (N, W) bool: same label, not the anchor's own row
    negative: Array  # (N, W) bool: another label


def pair_inputs(
    embeddings: Array,
    labels: Array,
    *,
    all_embeddings: Array | None,
    all_labels: Array | None,
    offset: Any,
    hyper: dict[str, Any],
    sample_weight: Array | None,
    reduction: Any,
) -> Pairs:
    """The shared start of the pair losses, with the sharded rule: ``all_embeddings`` ``(W,
    D)`` and ``all_labels`` ``(W,)`` hold every device's rows, this device's N rows at
    ``offset``; anchor ``i`` is scored against the W rows except its own, ``offset + i``."""
    xp, out_dtype, dtype = prepare(
        "embeddings",
        embeddings,
        reduction=reduction,
        hyper=hyper,
        labels=labels,
        all_embeddings=all_embeddings,
        all_labels=all_labels,
        sample_weight=sample_weight,
    )
    check_ndim("embeddings", embeddings, 2, "(N, D)")
    n = embeddings.shape[0]
    check_int_labels(xp, "labels", labels, n)
    if (all_embeddings is None) != (all_labels is None):
        given, missing = (
            ("all_embeddings", "all_labels")
            if all_labels is None
            else ("all_labels", "all_embeddings")
        )
        raise ValueError(
            f"{missing} is missing: {given} (gathered from every device) needs {missing}, "
            f"gathered the same way"
        )
    x = as_dtype(xp, embeddings, dtype)
    refs = gathered(
        xp,
        dtype,
        name="all_embeddings",
        every=all_embeddings,
        local=("embeddings", embeddings),
        default=x,
    )
    w = refs.shape[0]
    ref_labels = labels
    if all_labels is not None:
        check_int_labels(xp, "all_labels", all_labels, w)
        ref_labels = all_labels
    offset = check_offset(xp, offset, n=n, m=w)
    check_sample_weight(xp, sample_weight, (n,))
    own = diagonal_targets(xp, x, n=n, offset=offset)
    cols = xp.arange(w, dtype=own.dtype, device=device_of(x))
    itself = cols[None, :] == own[:, None]
    same = labels[:, None] == ref_labels[None, :]
    return Pairs(xp, out_dtype, x, refs, same & ~itself, ~same)


def cosines(xp: Namespace, x: Array, refs: Array) -> Array:
    """``(N, W)`` cosines (norms clamped at 1e-8)."""
    return normalize(xp, x) @ xp.permute_dims(normalize(xp, refs), (1, 0))


def seen(xp: Namespace, scores: Array) -> Array:
    """``0·Σ_j scores_ij``: added to a row's loss so that a NaN it saw shows even where masks
    (built by comparisons, which NaN fails) or an empty set give 0."""
    return 0 * xp.sum(scores, axis=1)
