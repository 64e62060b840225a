"""Regularisers on embeddings and on soft assignments.

* :func:`orthogonal_loss`, :func:`global_orthogonal_regularization`: spread embeddings out;
* :func:`exclusiveness_loss`, :func:`inclusiveness_loss`: for soft assignments of rows to K
  anchors (each row a probability vector), commit each row to few anchors and use all anchors;
* :func:`flops_regularizer`: sparse representations (SPLADE) that activate few dimensions.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ._backend import (
    Array,
    Namespace,
    as_dtype,
    const,
    device_of,
    finalize,
)
from ._ops import normalize, reduce_loss, xlogx
from ._validate import (
    NO_REDUCTION,
    check_axis,
    check_ndim,
    check_option,
    check_sample_weight,
    flag,
    number,
    options,
    prepare,
    sample_weighted,
)
from .typing import Aggregation, OrthogonalMode, Reduction

__all__ = [
    "exclusiveness_loss",
    "flops_regularizer",
    "global_orthogonal_regularization",
    "inclusiveness_loss",
    "orthogonal_loss",
]


def _cosine_matrix(xp: Namespace, x: Array) -> Array:
    unit = normalize(xp, x, axis=1, eps=1e-8)
    return xp.matmul(unit, xp.permute_dims(unit, (1, 0)))


def _off_diagonal(xp: Namespace, m: Array) -> Array:
    n = m.shape[0]
    eye = xp.eye(n, dtype=xp.bool, device=device_of(m))
    return xp.where(eye, xp.zeros_like(m), m)


def orthogonal_loss(vectors: Array, *, mode: OrthogonalMode = "l1") -> Array:
    r"""Mean over ordered pairs :math:`i \ne j` of :math:`|\cos(v_i, v_j)|` (``mode="l1"``) or
    :math:`\cos^2(v_i, v_j)` (``"l2"``): 0 when the rows are mutually orthogonal. By definition
    (docs/spec.md; no peer). The ``l1`` form has a kink at :math:`\cos = 0` (zero gradient there on
    torch, a unit subgradient on JAX).

    Args:
        vectors: ``(N, D)`` floating, ``N >= 2`` rows.
        mode: ``"l1"`` (default: mean absolute cosine) or ``"l2"`` (mean squared cosine).

    Returns:
        A 0-d array in ``vectors``' floating dtype.

    References:
        - No paper: defined by this library (docs/spec.md); no peer implementation.

    Example:
        >>> import numpy as np
        >>> float(orthogonal_loss(np.array([[1.0, 0.0], [1.0, 1.0]])))
        0.7071067811865475
    """
    xp, out_dtype, dtype = prepare("vectors", vectors, reduction=NO_REDUCTION)
    check_ndim("vectors", vectors, 2, "(N, D)")
    check_option("mode", mode, options(OrthogonalMode))
    n = vectors.shape[0]
    if n < 2:
        raise ValueError(f"vectors must hold at least 2 rows; got shape {tuple(vectors.shape)}")
    cos = _off_diagonal(xp, _cosine_matrix(xp, as_dtype(xp, vectors, dtype)))
    terms = xp.abs(cos) if mode == "l1" else cos * cos
    return finalize(xp, xp.sum(terms) / (n * (n - 1)), out_dtype)


def global_orthogonal_regularization(
    *embeddings: Array,
    mean_weight: float = 1.0,
    second_moment_weight: float = 1.0,
    aggregation: Aggregation = "mean",
    return_terms: bool = False,
) -> Any:
    r"""Global orthogonal regularisation (Zhang et al. 2017, "Learning Spread-out Local Feature
    Descriptors"), as sentence-transformers' ``GlobalOrthogonalRegularizationLoss`` (the peer):
    for each embedding column (``anchors``, ``negatives``, ...), over the :math:`N(N-1)` pairs of
    different rows of that column,

    In plain text: ``M1`` = mean cosine, ``M2`` = mean squared cosine of a column, and
    ``L = w1 * agg(M1**2) + w2 * agg(max(0, M2 - 1/D))``. In LaTeX:

    .. math:: M_1 = \overline{\cos}, \quad M_2 = \overline{\cos^2}, \quad
              \mathcal L = w_1\,\mathrm{agg}(M_1^2) + w_2\,\mathrm{agg}(\max(0, M_2 - 1/D))

    with ``aggregation`` ``"mean"`` or ``"sum"`` over the columns. sentence-transformers returns
    the two terms as a dict; here their sum, or ``(mean_term, second_moment_term)`` with
    ``return_terms=True``. A column of fewer than two rows (no pair) contributes 0 (as there).
    ``D`` must be at least 1; the weights are floats ``>= 0``.

    Args:
        *embeddings: one or more ``(N, D)`` floating arrays, the embedding columns
            (``anchors``, ``negatives``, ...; their N may differ, D must agree).
        mean_weight: :math:`w_1 \ge 0`, the weight of the squared-mean term. Default ``1.0``.
        second_moment_weight: :math:`w_2 \ge 0`, the weight of the second-moment term. Default
            ``1.0``.
        aggregation: ``"mean"`` (default) or ``"sum"`` over the columns.
        return_terms: return the two terms separately. Default ``False``.

    Returns:
        A 0-d array (the sum of both terms) in the embeddings' floating
        dtype, or with ``return_terms=True`` the tuple ``(mean_term, second_moment_term)`` of
        0-d arrays.

    References:
        - X. Zhang, F. X. Yu, S. Kumar and S.-F. Chang (2017), "Learning Spread-out Local
          Feature Descriptors", ICCV. arXiv:1708.06320.
        - Peer implementation followed: sentence-transformers
          ``GlobalOrthogonalRegularizationLoss``.

    Example:
        >>> import numpy as np
        >>> float(global_orthogonal_regularization(np.eye(2)))  # orthogonal rows
        0.0
    """
    if not embeddings:
        raise TypeError("global_orthogonal_regularization needs at least one embedding array")
    names = {f"embeddings[{i}]": x for i, x in enumerate(embeddings)}
    rest = {name: x for name, x in names.items() if name != "embeddings[0]"}
    xp, out_dtype, dtype = prepare("embeddings[0]", embeddings[0], reduction=NO_REDUCTION, **rest)
    for name, x in names.items():
        check_ndim(name, x, 2, "(N, D)")
        if x.shape[1] != embeddings[0].shape[1]:
            raise ValueError(
                f"{name} must have the embedding width D={embeddings[0].shape[1]} "
                f"of embeddings[0]; got shape {tuple(x.shape)}"
            )
    check_option("aggregation", aggregation, options(Aggregation))
    mean_weight = number("mean_weight", mean_weight, low=0.0)
    second_moment_weight = number("second_moment_weight", second_moment_weight, low=0.0)
    return_terms = flag("return_terms", return_terms)
    width = embeddings[0].shape[1]
    if width == 0:
        raise ValueError(
            "embeddings must have an embedding width D >= 1 (the second moment "
            "is compared with 1/D); got D = 0"
        )
    means, seconds = [], []
    for x in embeddings:
        n = x.shape[0]
        cos = _off_diagonal(xp, _cosine_matrix(xp, as_dtype(xp, x, dtype)))
        pairs = max(n * (n - 1), 1)
        means.append((xp.sum(cos) / pairs) ** 2)
        second = xp.sum(cos * cos) / pairs - 1.0 / width
        seconds.append(xp.maximum(second, xp.zeros_like(second)))
    mean_term = sum(means[1:], means[0])
    second_term = sum(seconds[1:], seconds[0])
    if aggregation == "mean":
        mean_term, second_term = mean_term / len(embeddings), second_term / len(embeddings)
    mean_term, second_term = mean_weight * mean_term, second_moment_weight * second_term
    if return_terms:
        return finalize(xp, mean_term, out_dtype), finalize(xp, second_term, out_dtype)
    return finalize(xp, mean_term + second_term, out_dtype)


def _entropy(xp: Namespace, p: Array, axis: int) -> Array:
    """:math:`-\\sum p \\log p` along ``axis`` with :math:`0 \\log 0 = 0` (finite gradient).

    :func:`~arraylosses._ops.xlogx` masks ``p == 0``, not ``p > 0``: a NaN is not 0, so it
    stays NaN. A negative entry (not a probability) contributes 0.
    """
    return -xp.sum(xlogx(xp, p), axis=axis)


class _Assignments(NamedTuple):
    """Validated soft assignments, the K anchors on ``axis``."""

    xp: Namespace
    probs: Array  # compute dtype
    axis: int  # non-negative
    out_dtype: Any


def _assignments(
    probs: Array, *, axis: Any, reduction: Any = NO_REDUCTION, sample_weight: Array | None = None
) -> _Assignments:
    """:func:`~arraylosses._validate.prepare`, then the shape checks: an anchor ``axis`` with
    K >= 1, ``sample_weight`` broadcastable to the per-row loss (``probs`` without ``axis``)."""
    xp, out_dtype, dtype = prepare("probs", probs, reduction=reduction, sample_weight=sample_weight)
    if probs.ndim < 1:
        raise ValueError("probs must have an anchor axis; got shape ()")
    axis = check_axis("axis", axis, probs)
    if probs.shape[axis] == 0:
        raise ValueError(
            f"probs must have at least one anchor (K >= 1) on axis {axis}; got "
            f"shape {tuple(probs.shape)}"
        )
    rows = tuple(s for i, s in enumerate(probs.shape) if i != axis)
    check_sample_weight(xp, sample_weight, rows)
    return _Assignments(xp, as_dtype(xp, probs, dtype), axis, out_dtype)


@sample_weighted
def exclusiveness_loss(
    probs: Array,
    *,
    axis: int = -1,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Exclusiveness: the mean row entropy :math:`\frac1N \sum_i H(p_i)`, 0 when every row
    commits to a single anchor. By definition (docs/spec.md). ``reduction="none"`` gives the row
    entropies; a NaN probability makes its row NaN (``0 log 0`` stays 0).

    Args:
        probs: ``(..., K, ...)`` floating probabilities, the K anchors on ``axis``.
        axis: the anchor axis. Default ``-1``.
        sample_weight: optional per-row weights, broadcastable to the per-row loss (``probs``'
            shape without ``axis``). Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In ``probs``' floating dtype, a 0-d array for ``"mean"``/``"sum"``, the row
        entropies (``probs``' shape without ``axis``) for ``reduction="none"``.

    References:
        - No paper: defined by this library (docs/spec.md); no peer implementation.

    Example:
        >>> import numpy as np, math
        >>> float(exclusiveness_loss(np.array([[0.5, 0.5], [1.0, 0.0]]))) == math.log(2) / 2
        True
    """
    xp, p, axis, out_dtype = _assignments(
        probs, axis=axis, reduction=reduction, sample_weight=sample_weight
    )
    entropy = _entropy(xp, p, axis)
    return reduce_loss(
        xp, entropy, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


def inclusiveness_loss(probs: Array, *, axis: int = -1) -> Array:
    r"""Inclusiveness: :math:`\log K - H\big(\frac1N \sum_i p_i\big)`, 0 when the anchors are
    used evenly on average and :math:`\log K` when one anchor takes everything. By definition
    (docs/spec.md). An empty batch (no row) gives NaN, a mean over nothing.

    Args:
        probs: ``(..., K, ...)`` floating probabilities, the K anchors on ``axis``.
        axis: the anchor axis. Default ``-1``.

    Returns:
        A 0-d array in ``probs``' floating dtype, in :math:`[0, \log K]`.

    References:
        - No paper: defined by this library (docs/spec.md); no peer implementation.

    Example:
        >>> import numpy as np
        >>> float(inclusiveness_loss(np.array([[1.0, 0.0], [0.0, 1.0]])))
        0.0
    """
    xp, p, axis, out_dtype = _assignments(probs, axis=axis)
    k = p.shape[axis]
    rows = xp.reshape(xp.moveaxis(p, axis, -1), (-1, k))
    if rows.shape[0] == 0:  # xp.mean would warn on NumPy; the sum keeps the graph
        mean = xp.sum(rows, axis=0) + const(xp, math.nan, rows)
    else:
        mean = xp.sum(rows, axis=0) / rows.shape[0]
    return finalize(xp, math.log(k) - _entropy(xp, mean, 0), out_dtype)


def flops_regularizer(embeddings: Array, *, threshold: float | None = None) -> Array:
    r"""The FLOPS regulariser of sparse representations (Paria et al. 2020), as SPLADE and
    sentence-transformers' sparse ``FlopsLoss`` compute it: the squared mean activation of each
    vocabulary dimension, summed.

    In plain text: ``sum_j (mean_i x_ij)^2``.

    .. math:: \ell = \sum_j \Big(\frac1N \sum_i x_{ij}\Big)^2

    With ``threshold``, rows with at most ``threshold`` non-zero entries are zeroed first; they
    still count in ``N`` (ST). The paper's Eq. 4 averages **absolute** activations
    (neural-cherche and light-splade do too); ST, which we follow, does not take ``|x|``. They
    agree on SPLADE's non-negative ``log(1 + relu)`` activations; pass ``abs(x)`` for signed
    ones. ST applies it to queries and documents separately inside ``SpladeLoss``, each with
    its own weight. An empty batch (no row) gives NaN, a mean over nothing.

    Args:
        embeddings: ``(N, V)`` floating sparse representations.
        threshold: ``None`` (default) or a number ``>= 0``: rows with at most this many
            non-zero entries are zeroed.

    Returns:
        A 0-d array in ``embeddings``' floating dtype.

    References:
        - B. Paria, C.-K. Yeh, I. E. H. Yen, N. Xu, P. Ravikumar and B. Póczos (2020),
          "Minimizing FLOPs to Learn Efficient Sparse Representations". arXiv:2004.05665.
        - T. Formal, C. Lassance, B. Piwowarski and S. Clinchant (2022), "From Distillation to
          Hard Negative Sampling: Making Sparse Neural IR Models More Effective".
          arXiv:2205.04733.
        - Peer implementation followed: sentence-transformers ``FlopsLoss``.

    Example:
        >>> import numpy as np
        >>> float(flops_regularizer(np.array([[1.0, 0.0], [3.0, 2.0]])))  # 2² + 1²
        5.0
    """
    xp, out_dtype, dtype = prepare("embeddings", embeddings, reduction=NO_REDUCTION)
    check_ndim("embeddings", embeddings, 2, "(N, V)")
    if threshold is not None:
        threshold = number("threshold", threshold, low=0.0)
    x = as_dtype(xp, embeddings, dtype)
    if threshold is not None:
        active = xp.sum(xp.astype(x != 0, x.dtype), axis=1)
        x = xp.where((active > threshold)[:, None], x, xp.zeros_like(x))
    n = x.shape[0]
    if n == 0:  # the mean over no row: NaN, tied to the input
        mean = xp.sum(x, axis=0) + const(xp, math.nan, x)
    else:
        mean = xp.sum(x, axis=0) / n
    return finalize(xp, xp.sum(mean * mean), out_dtype)
