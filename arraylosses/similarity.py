"""Similarities and distances between embeddings.

Row-wise (:func:`cosine_similarity`) and all-pairs (:func:`pairwise_cosine_similarity`,
:func:`pairwise_dot`, :func:`pairwise_euclidean_distance`) forms, and :func:`l2_normalize`.
Norms are clamped (``max(‖x‖, eps)``) with a gradient that stays finite at the zero vector.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ._backend import Array, Namespace, as_dtype, const, finalize
from ._ops import clamped_norm, rowwise_cosine, sqrt_at_zero
from ._validate import (
    check_axis,
    check_floating,
    check_ndim,
    check_same_shape,
    flag,
    positive_float,
    prepare,
)

__all__ = [
    "cosine_similarity",
    "l2_normalize",
    "pairwise_cosine_similarity",
    "pairwise_dot",
    "pairwise_euclidean_distance",
]


class _Pairwise(NamedTuple):
    """Validated ``(N, D)`` and ``(M, D)`` embeddings, in the compute dtype."""

    xp: Namespace
    a: Array
    b: Array
    out_dtype: Any


def _pairwise(a: Array, b: Array) -> _Pairwise:
    """:func:`~arraylosses._validate.prepare`, then the shape checks: two matrices of one
    embedding width."""
    xp, out_dtype, dtype = prepare("a", a, reduction=None, b=b)
    check_floating(xp, "b", b)
    check_ndim("a", a, 2, "(N, D)")
    check_ndim("b", b, 2, "(M, D)")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"b must have the embedding width D={a.shape[1]} of a; got shape {tuple(b.shape)}"
        )
    return _Pairwise(xp, as_dtype(xp, a, dtype), as_dtype(xp, b, dtype), out_dtype)


def cosine_similarity(a: Array, b: Array, *, axis: int = -1, eps: float = 1e-8) -> Array:
    r"""Cosine similarity of matching rows of ``a`` and ``b``.

    In plain text: ``cos(a, b) = a . b / (max(|a|, eps) * max(|b|, eps))``.

    .. math:: \cos(a, b) = \frac{a \cdot b}{\max(\lVert a \rVert, \epsilon)\,
              \max(\lVert b \rVert, \epsilon)}

    Same formula as ``torch.nn.functional.cosine_similarity`` (which also broadcasts; here the
    shapes must be equal).

    Args:
        a: ``(..., D, ...)`` floating array.
        b: same shape as ``a``.
        axis: the embedding axis ``D``. Default ``-1``.
        eps: lower clamp of each norm (a Python float > 0; one whose square underflows, below
            ~1e-19 in float32, clamps at the square root of the smallest normal number). Default
            ``1e-8``, as ``torch.nn.functional.cosine_similarity``.

    Returns:
        ``a``'s shape without ``axis``, in ``a``'s dtype.

    References:
        - Peer implementation followed: ``torch.nn.functional.cosine_similarity``.

    Example:
        >>> import numpy as np
        >>> float(cosine_similarity(np.array([1.0, 0.0]), np.array([1.0, 1.0])))
        0.7071067811865475
    """
    xp, out_dtype, dtype = prepare("a", a, reduction=None, b=b)
    check_floating(xp, "b", b)
    check_same_shape("a", a, "b", b)
    axis = check_axis("axis", axis, a)
    eps = positive_float("eps", eps)
    a_c, b_c = as_dtype(xp, a, dtype), as_dtype(xp, b, dtype)
    return finalize(xp, rowwise_cosine(xp, a_c, b_c, axis=axis, eps=eps), out_dtype)


def l2_normalize(x: Array, *, axis: int = -1, eps: float = 1e-12) -> Array:
    r"""``x / max(‖x‖₂, eps)`` along ``axis`` (``torch.nn.functional.normalize`` semantics).

    Args:
        x: ``(...)`` floating array.
        axis: the axis normalised. Default ``-1``.
        eps: lower clamp of the norm (> 0, as in :func:`cosine_similarity`); the zero vector
            stays zero, with a finite gradient. Default ``1e-12``, as torch.

    Returns:
        ``x``'s shape and dtype, unit-norm along ``axis`` (zero rows stay zero).

    References:
        - Peer implementation followed: ``torch.nn.functional.normalize`` (``p=2``).

    Example:
        >>> import numpy as np
        >>> l2_normalize(np.array([3.0, 4.0])).tolist()
        [0.6, 0.8]
    """
    xp, out_dtype, dtype = prepare("x", x, reduction=None)
    axis = check_axis("axis", axis, x)
    eps = positive_float("eps", eps)
    x_c = as_dtype(xp, x, dtype)
    return finalize(xp, x_c / clamped_norm(xp, x_c, axis=axis, eps=eps, keepdims=True), out_dtype)


def pairwise_cosine_similarity(a: Array, b: Array, *, eps: float = 1e-8) -> Array:
    r"""All-pairs cosine similarity: ``(N, D), (M, D) → (N, M)``.

    ``out[i, j] = cos(a_i, b_j)`` with the norms clamped at ``eps`` as in
    :func:`cosine_similarity`; computed as one matrix product of the normalised rows (the
    sentence-transformers ``util.cos_sim`` layout, which clamps at ``1e-12`` instead).

    Args:
        a: ``(N, D)`` floating, the first set of rows.
        b: ``(M, D)`` floating, the second set (same width ``D``, same namespace).
        eps: lower clamp of each norm (a Python float > 0; one whose square underflows, below
            ~1e-19 in float32, clamps at the square root of the smallest normal number). Default
            ``1e-8``, as ``torch.nn.functional.cosine_similarity``.

    Returns:
        ``(N, M)`` in the inputs' floating dtype, ``out[i, j] = cos(a_i, b_j)``.

    References:
        - Peer implementation followed: sentence-transformers ``util.cos_sim``.

    Example:
        >>> import numpy as np
        >>> pairwise_cosine_similarity(np.eye(2), np.array([[1.0, 1.0]])).round(4).tolist()
        [[0.7071], [0.7071]]
    """
    xp, a_c, b_c, out_dtype = _pairwise(a, b)
    eps = positive_float("eps", eps)
    a_n = a_c / clamped_norm(xp, a_c, axis=1, eps=eps, keepdims=True)
    b_n = b_c / clamped_norm(xp, b_c, axis=1, eps=eps, keepdims=True)
    return finalize(xp, xp.matmul(a_n, xp.permute_dims(b_n, (1, 0))), out_dtype)


def pairwise_dot(a: Array, b: Array) -> Array:
    r"""All-pairs dot products: ``(N, D), (M, D) → (N, M)``, ``out[i, j] = a_i · b_j``.

    Args:
        a: ``(N, D)`` floating, the first set of rows.
        b: ``(M, D)`` floating, the second set (same width ``D``, same namespace).

    Returns:
        ``(N, M)`` in the inputs' floating dtype, ``a @ b.T``.

    References:
        - Peer implementation followed: sentence-transformers ``util.dot_score``.

    Example:
        >>> import numpy as np
        >>> pairwise_dot(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0], [1.0, 0.0]])).tolist()
        [[11.0, 1.0]]
    """
    xp, a_c, b_c, out_dtype = _pairwise(a, b)
    return finalize(xp, xp.matmul(a_c, xp.permute_dims(b_c, (1, 0))), out_dtype)


def pairwise_euclidean_distance(a: Array, b: Array, *, squared: bool = False) -> Array:
    r"""All-pairs Euclidean distances: ``(N, D), (M, D) → (N, M)``.

    In plain text: ``d_ij**2 = |a_i|**2 + |b_j|**2 - 2 a_i . b_j``, in LaTeX:

    .. math:: d_{ij}^2 = \lVert a_i \rVert^2 + \lVert b_j \rVert^2 - 2\, a_i \cdot b_j

    computed with one matrix product (as scikit-learn's ``euclidean_distances`` and, for larger
    inputs, ``torch.cdist``), clamped at 0 (by ``maximum``, so a NaN row gives NaN distances).
    The expansion's absolute error in ``d²`` is about
    ``ε_dtype · (‖a_i‖² + ‖b_j‖²)``, so very close points far from the origin lose relative
    accuracy. The square root has a zero gradient (not NaN) at ``d = 0``.

    Args:
        a: ``(N, D)`` floating, the first set of rows.
        b: ``(M, D)`` floating, the second set (same width ``D``, same namespace).
        squared: return ``d²`` instead of ``d``. Default ``False``.

    Returns:
        ``(N, M)`` in the inputs' floating dtype, non-negative.

    References:
        - Peer implementations followed: ``sklearn.metrics.pairwise.euclidean_distances`` and
          ``torch.cdist``.

    Example:
        >>> import numpy as np
        >>> pairwise_euclidean_distance(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]])).tolist()
        [[5.0]]
    """
    xp, a_c, b_c, out_dtype = _pairwise(a, b)
    squared = flag("squared", squared)
    aa = xp.sum(a_c * a_c, axis=1)[:, None]
    bb = xp.sum(b_c * b_c, axis=1)[None, :]
    d2 = aa + bb - 2 * xp.matmul(a_c, xp.permute_dims(b_c, (1, 0)))
    # maximum, not where(d2 > 0, ...): the rounding error's negative values go to 0, NaN stays
    d2 = xp.maximum(d2, const(xp, 0.0, d2))
    if squared:
        return finalize(xp, d2, out_dtype)
    return finalize(xp, sqrt_at_zero(xp, d2), out_dtype)
