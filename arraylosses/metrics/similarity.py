"""Similarity metrics."""

from __future__ import annotations

from typing import Any

from .._backend import Array, Namespace, as_dtype
from .._ops import reduce_loss, rowwise_cosine
from .._validate import (
    NO_REDUCTION,
    check_axis,
    check_real,
    check_same_shape,
    check_sample_weight,
    positive_float,
    prepare,
    sample_weighted,
)

__all__ = ["mean_cosine_similarity"]


@sample_weighted
def mean_cosine_similarity(
    pred: Array,
    target: Array,
    *,
    axis: int = -1,
    eps: float = 1e-8,
    sample_weight: Array | None = None,
) -> Array:
    r"""Mean over rows of :math:`\cos(p_i, t_i)`, the norms clamped at ``eps``.

    Peer: ``torchmetrics.CosineSimilarity(reduction="mean")`` (its default ``"sum"`` adds the
    rows instead). ``sample_weight`` gives a weighted mean over rows. A NaN row gives NaN; an empty
    batch gives NaN (no warning).

    Args:
        pred: ``(..., D)`` floating embeddings (``D`` on ``axis``).
        target: ``pred``'s shape, real.
        axis: the embedding axis. Default ``-1``.
        eps: the floor of each norm, :math:`\epsilon > 0`. Default ``1e-8``, as
            ``torch.nn.functional.cosine_similarity``.
        sample_weight: optional per-row weights, broadcastable to ``pred``'s shape without ``axis``.
            Default ``None``.

    Returns:
        A 0-d array of ``pred``'s floating dtype, in [-1, 1].

    References:
        - No paper: the mean cosine similarity. Peer implementation followed: torchmetrics
          ``CosineSimilarity(reduction="mean")``.

    Example:
        >>> import numpy as np
        >>> float(mean_cosine_similarity(np.array([[1.0, 0.0], [0.0, 1.0]]), np.eye(2)))
        1.0
    """
    xp, cos, out_dtype = cosine_rows(pred, target, axis=axis, eps=eps, sample_weight=sample_weight)
    return reduce_loss(xp, cos, reduction="mean", sample_weight=sample_weight, out_dtype=out_dtype)


def cosine_rows(
    pred: Array, target: Array, *, axis: Any, eps: Any, sample_weight: Array | None
) -> tuple[Namespace, Array, Any]:
    """Validate, then ``(xp, per-row cosine, result dtype)`` of :func:`mean_cosine_similarity`
    (the rows: every index but ``axis``)."""
    xp, out_dtype, dtype = prepare(
        "pred", pred, reduction=NO_REDUCTION, target=target, sample_weight=sample_weight
    )
    check_real(xp, "target", target)
    check_same_shape("pred", pred, "target", target)
    axis = check_axis("axis", axis, pred)
    eps = positive_float("eps", eps)
    check_sample_weight(xp, sample_weight, tuple(s for i, s in enumerate(pred.shape) if i != axis))
    p, t = as_dtype(xp, pred, dtype), as_dtype(xp, target, dtype)
    return xp, rowwise_cosine(xp, p, t, axis=axis, eps=eps), out_dtype
