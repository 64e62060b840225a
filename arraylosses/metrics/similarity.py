"""Similarity metrics."""

from __future__ import annotations

from .._backend import Array
from .._ops import reduce_loss, rowwise_cosine
from .._validate import sample_weighted
from ..regression import _prepare_rows

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
        pred: ``(..., D)`` floating (``D`` on ``axis``); target: same shape.

    Example:
        >>> import numpy as np
        >>> float(mean_cosine_similarity(np.array([[1.0, 0.0], [0.0, 1.0]]), np.eye(2)))
        1.0
    """
    xp, p, t, axis, eps, out_dtype = _prepare_rows(pred, target, axis, eps, sample_weight, "mean")
    cos = rowwise_cosine(xp, p, t, axis=axis, eps=eps)
    return reduce_loss(xp, cos, reduction="mean", sample_weight=sample_weight, out_dtype=out_dtype)
