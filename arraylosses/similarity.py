"""Similarities and distances between embeddings.

Row-wise (:func:`cosine_similarity`) and all-pairs (:func:`pairwise_cosine_similarity`,
:func:`pairwise_dot`, :func:`pairwise_euclidean_distance`) forms, and :func:`l2_normalize`;
late-interaction (ColBERT MaxSim) scores of token embeddings, row-wise (:func:`maxsim`) and
all-pairs (:func:`pairwise_maxsim`).
Norms are clamped (``max(‖x‖, eps)``) with a gradient that stays finite at the zero vector.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ._backend import Array, Namespace, as_dtype, const, finalize
from ._late_interaction import (
    Tokens,
    check_broadcast,
    check_tokens,
    late_interaction,
    pairwise_late_interaction,
)
from ._ops import normalize, rowwise_cosine, sqrt_at_zero
from ._validate import (
    NO_REDUCTION,
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
    "maxsim",
    "pairwise_cosine_similarity",
    "pairwise_dot",
    "pairwise_euclidean_distance",
    "pairwise_maxsim",
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
    xp, out_dtype, dtype = prepare("a", a, reduction=NO_REDUCTION, b=b)
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
    xp, out_dtype, dtype = prepare("a", a, reduction=NO_REDUCTION, b=b)
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
    xp, out_dtype, dtype = prepare("x", x, reduction=NO_REDUCTION)
    axis = check_axis("axis", axis, x)
    eps = positive_float("eps", eps)
    x_c = as_dtype(xp, x, dtype)
    return finalize(xp, normalize(xp, x_c, axis=axis, eps=eps), out_dtype)


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
    a_n = normalize(xp, a_c, axis=1, eps=eps)
    b_n = normalize(xp, b_c, axis=1, eps=eps)
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


# ---------------------------------------------------------------------------------------------
# Late interaction (ColBERT MaxSim)


def _maxsim_arguments(
    queries: Array,
    documents: Array,
    query_mask: Array | None,
    document_mask: Array | None,
    length_normalize: Any,
    *,
    ndim: int | None,
) -> tuple[Namespace, Tokens, Tokens, bool, Any]:
    """The checked sides of a MaxSim call (``ndim``: the exact rank, ``None`` for ``>= 2``)."""
    xp, out_dtype, dtype = prepare(
        "queries",
        queries,
        reduction=NO_REDUCTION,
        documents=documents,
        query_mask=query_mask,
        document_mask=document_mask,
    )
    what = "(Q, Lq, D)" if ndim else "(..., Lq, D)"
    q = check_tokens(xp, dtype, "queries", queries, "query_mask", query_mask, ndim=ndim, what=what)
    what = "(M, Ld, D)" if ndim else "(..., Ld, D)"
    d = check_tokens(
        xp, dtype, "documents", documents, "document_mask", document_mask, ndim=ndim, what=what
    )
    if documents.shape[-1] != queries.shape[-1]:
        raise ValueError(
            f"documents must have the embedding width D={queries.shape[-1]} of queries; got "
            f"shape {tuple(documents.shape)}"
        )
    return xp, q, d, flag("length_normalize", length_normalize), out_dtype


def maxsim(
    queries: Array,
    documents: Array,
    *,
    query_mask: Array | None = None,
    document_mask: Array | None = None,
    length_normalize: bool = False,
) -> Array:
    r"""Row-wise late-interaction (ColBERT MaxSim) score of matching query and document rows.

    In plain text: ``score(q, d) = sum over valid query tokens i of max over valid document
    tokens j of q_i . d_j``.

    .. math:: \mathrm{score}(q, d) = \sum_{i \in V_q} \max_{j \in V_d} q_i \cdot d_j

    The batch dims of ``queries`` and ``documents`` broadcast as in ``matmul``:
    ``maxsim(q[:, None], docs)`` with ``q`` ``(N, Lq, D)`` and ``docs`` ``(N, K, Ld, D)`` gives
    the ``(N, K)`` scores of each query's own candidates. Masks are boolean: a masked document
    token leaves the **max**, a masked query token leaves the **sum**. Without a mask, a token
    whose vector is all zeros is padding (on either side, as sentence-transformers). A document
    with no valid token scores ``-1e9`` (sentence-transformers' sentinel, before the
    normalisation), with zero gradient: it ranks below every real document and stays finite.
    ``length_normalize=True`` divides by the number of valid query tokens, at least 1 (MeanMaxSim).

    Peers: sentence-transformers ``util.maxsim_pairwise`` (float32 always) and PyLate
    ``scores.colbert_scores_pairwise`` / ``colbert_kd_scores`` (the input dtype; no masks in our
    float64 checks). PyLate masks by multiplying by 0, so a padded document token wins the max
    whenever every real similarity is negative, and its empty document scores 0; we follow
    sentence-transformers (the token leaves the max). We return the inputs' dtype (float16 and
    bfloat16 are computed in float32 and cast back, where the sentinel becomes ``-inf`` in
    float16). A tie between document tokens shares the max's gradient on torch (``amax``).

    Args:
        queries: ``(..., Lq, D)`` floating query token embeddings.
        documents: ``(..., Ld, D)`` floating document token embeddings (same ``D``; batch dims
            broadcastable with the queries').
        query_mask: optional boolean ``(..., Lq)``, ``True`` for a real token. Default ``None``
            (the non-zero token vectors).
        document_mask: optional boolean ``(..., Ld)``. Default ``None`` (the non-zero vectors).
        length_normalize: divide by the number of valid query tokens. Default ``False``.

    Returns:
        The broadcast batch shape, in the queries' floating dtype.

    References:
        - O. Khattab, M. Zaharia (2020), "ColBERT: Efficient and Effective Passage Search via
          Contextualized Late Interaction over BERT". arXiv:2004.12832.
        - Peer implementation followed: sentence-transformers ``util.maxsim_pairwise``.

    Example:
        >>> import numpy as np
        >>> q = np.array([[[1.0, 0.0], [0.0, 1.0]]])
        >>> d = np.array([[[2.0, 0.0], [0.0, -1.0]]])
        >>> maxsim(q, d).tolist()
        [2.0]
    """
    xp, q, d, normalize_length, out_dtype = _maxsim_arguments(
        queries, documents, query_mask, document_mask, length_normalize, ndim=None
    )
    check_broadcast(queries, documents)
    return finalize(xp, late_interaction(xp, q, d, length_normalize=normalize_length), out_dtype)


def pairwise_maxsim(
    queries: Array,
    documents: Array,
    *,
    query_mask: Array | None = None,
    document_mask: Array | None = None,
    length_normalize: bool = False,
) -> Array:
    r"""All-pairs late-interaction (ColBERT MaxSim) scores: ``(Q, Lq, D), (M, Ld, D) → (Q, M)``.

    ``out[i, j] = maxsim(queries[i], documents[j])``, with the masks, the zero-vector padding,
    the ``-1e9`` empty-document sentinel and ``length_normalize`` of :func:`maxsim`.

    In plain text: ``out[a, b] = sum over valid tokens i of q_a of max over valid tokens j of
    d_b of q_ai . d_bj``.

    .. math:: \mathrm{out}_{ab} = \sum_{i \in V_{q_a}} \max_{j \in V_{d_b}} q_{ai} \cdot d_{bj}

    Peers: sentence-transformers ``util.maxsim`` (float32 always) and PyLate
    ``scores.colbert_scores`` (the input dtype; it masks by multiplying by 0, see
    :func:`maxsim`; we follow sentence-transformers).

    Args:
        queries: ``(Q, Lq, D)`` floating query token embeddings.
        documents: ``(M, Ld, D)`` floating document token embeddings (same ``D``).
        query_mask: optional boolean ``(Q, Lq)``. Default ``None`` (the non-zero vectors).
        document_mask: optional boolean ``(M, Ld)``. Default ``None`` (the non-zero vectors).
        length_normalize: divide by the number of valid query tokens. Default ``False``.

    Returns:
        ``(Q, M)`` in the queries' floating dtype.

    References:
        - O. Khattab, M. Zaharia (2020), "ColBERT: Efficient and Effective Passage Search via
          Contextualized Late Interaction over BERT". arXiv:2004.12832.
        - Peer implementation followed: sentence-transformers ``util.maxsim``.

    Example:
        >>> import numpy as np
        >>> q = np.array([[[1.0, 0.0], [0.0, 1.0]]])
        >>> d = np.array([[[2.0, 0.0]], [[0.0, 3.0]]])
        >>> pairwise_maxsim(q, d).tolist()
        [[2.0, 3.0]]
    """
    xp, q, d, normalize_length, out_dtype = _maxsim_arguments(
        queries, documents, query_mask, document_mask, length_normalize, ndim=3
    )
    return finalize(
        xp, pairwise_late_interaction(xp, q, d, length_normalize=normalize_length), out_dtype
    )
