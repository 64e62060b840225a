"""The in-batch contrastive loss of late-interaction (ColBERT) models: MNRL over MaxSim scores
(sentence-transformers' ``MultiVectorMultipleNegativesRankingLoss``, PyLate's
``losses.Contrastive`` without its normalisation)."""

from __future__ import annotations

from typing import Any

from .._backend import Array, nll_at
from .._late_interaction import (
    Tokens,
    check_tokens,
    chunked_pairwise_scores,
    pairwise_late_interaction,
)
from .._ops import reduce_loss
from .._validate import check_sample_weight, flag, hyperparameter, prepare, sample_weighted
from ..typing import Reduction
from ._chunked import check_chunk_size, chunk_for
from ._common import Offset, check_offset, diagonal_targets

__all__ = ["maxsim_ranking_loss"]


@sample_weighted
def maxsim_ranking_loss(
    queries: Array,
    documents: Array,
    negatives: Array | None = None,
    *,
    query_mask: Array | None = None,
    document_mask: Array | None = None,
    negative_mask: Array | None = None,
    scale: Any = 1.0,
    length_normalize: bool = False,
    offset: Offset = 0,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""In-batch softmax cross entropy over late-interaction (ColBERT MaxSim) scores: each
    query against every document and every negative of the batch, its own document the target.

    In plain text: ``l_i = −log softmax_c(scale · maxsim(q_i, c))[offset + i]``, over the
    candidates ``c`` = every document, then every negative.

    .. math:: \ell_i = -\log \frac{e^{\lambda\,\mathrm{MaxSim}(q_i, d_{o+i})}}
              {\sum_{c} e^{\lambda\,\mathrm{MaxSim}(q_i, c)}}

    MaxSim as :func:`arraylosses.pairwise_maxsim`: boolean masks (masked document tokens leave
    the max, masked query tokens the sum), all-zero token vectors as padding where a side has
    no mask, ``length_normalize`` (MeanMaxSim). A candidate with no valid token scores
    ``−1e9·scale`` and so drops out; if it is a query's own document, that loss is about
    ``1e9·scale``, finite, with finite gradients.

    Several devices (sentence-transformers' and PyLate's gathering): ``documents`` and
    ``negatives`` (and their masks) gathered from every device, ``queries`` this device's,
    ``offset`` the global index of its first query. ``chunk_size`` (an int): the MaxSim scores
    are computed ``chunk_size`` candidates at a time, the backward pass recomputing each chunk's
    token similarities (memory O(B·chunk_size·Lq·Ld) for them instead of O(B·C·Lq·Ld)), with
    the dense path's values and gradients.

    Quirks: PyLate ``losses.Contrastive`` L2-normalises the token embeddings inside the loss
    and divides by a temperature; we do neither (pass normalised embeddings and
    ``scale = 1/temperature``). PyLate masks by multiplying by 0 (see
    :func:`arraylosses.maxsim`); we follow sentence-transformers, which scores in float32.

    Args:
        queries: ``(B, Lq, D)`` floating query token embeddings, this device's.
        documents: ``(W, Ld, D)`` floating, ``W >= offset + B``: every device's positives.
        negatives: optional ``(W, Ln, D)`` or ``(W, K, Ln, D)`` floating hard negatives.
            Default ``None``.
        query_mask: optional boolean ``(B, Lq)``. Default ``None`` (the non-zero vectors).
        document_mask: optional boolean ``(W, Ld)``. Default ``None``.
        negative_mask: optional boolean ``(W, Ln)`` or ``(W, K, Ln)``. Default ``None``.
        scale: :math:`\lambda > 0`, a float or a 0-d array. Default ``1.0``, as
            sentence-transformers and PyLate.
        length_normalize: divide each score by the number of valid query tokens. Default
            ``False``.
        offset: global index of this device's first query (an int, a NumPy integer or a 0-d
            integer array). Default ``0``.
        chunk_size: candidates scored at a time (memory-bounded path), an int ``>= 1``.
            Default ``None`` (all at once).
        sample_weight: optional ``(B,)`` per-query weights. Default ``None``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in the queries' floating dtype, 0-d for ``"mean"``/``"sum"``, ``(B,)`` for
        ``"none"``.

    References:
        - O. Khattab, M. Zaharia (2020), "ColBERT: Efficient and Effective Passage Search via
          Contextualized Late Interaction over BERT". arXiv:2004.12832.
        - Peer implementation followed: sentence-transformers
          ``MultiVectorMultipleNegativesRankingLoss``.

    Example:
        >>> import numpy as np, math
        >>> q = np.eye(2)[:, None, :]  # two queries of one token
        >>> v = maxsim_ranking_loss(q, q)
        >>> math.isclose(v, math.log1p(math.exp(-1.0)))
        True
    """
    xp, out_dtype, dtype = prepare(
        "queries",
        queries,
        reduction=reduction,
        hyper={"scale": scale, "offset": offset},
        documents=documents,
        negatives=negatives,
        query_mask=query_mask,
        document_mask=document_mask,
        negative_mask=negative_mask,
        sample_weight=sample_weight,
    )
    q = check_tokens(
        xp, dtype, "queries", queries, "query_mask", query_mask, ndim=3, what="(B, Lq, D)"
    )
    d = check_tokens(
        xp, dtype, "documents", documents, "document_mask", document_mask, ndim=3, what="(W, Ld, D)"
    )
    b, w = queries.shape[0], documents.shape[0]
    width = queries.shape[-1]
    if documents.shape[-1] != width:
        raise ValueError(
            f"documents must have the embedding width D={width} of queries; got shape "
            f"{tuple(documents.shape)}"
        )
    candidates = [d]
    if negatives is not None:
        if negatives.ndim == 3:
            negatives = negatives[:, None, ...]
            if negative_mask is not None and negative_mask.ndim == 2:
                negative_mask = negative_mask[:, None, :]
        n = check_tokens(
            xp,
            dtype,
            "negatives",
            negatives,
            "negative_mask",
            negative_mask,
            ndim=4,
            what="(W, Ln, D) or (W, K, Ln, D)",
        )
        if negatives.shape[0] != w or negatives.shape[-1] != width:
            raise ValueError(
                f"negatives must have shape ({w}, Ln, D={width}) or ({w}, K, Ln, D={width}); "
                f"got {tuple(negatives.shape)}"
            )
        candidates += [Tokens(n.x[:, k, ...], n.mask[:, k, ...]) for k in range(negatives.shape[1])]
    elif negative_mask is not None:
        raise ValueError(
            "negative_mask has no effect here: it is used with negatives; leave it out"
        )
    if w < b:
        raise ValueError(
            f"documents must have at least queries' {b} rows (one per query, or every "
            f"device's); got shape {tuple(documents.shape)}"
        )
    offset = check_offset(xp, offset, n=b, m=w)
    check_sample_weight(xp, sample_weight, (b,))
    lam = hyperparameter(xp, "scale", scale, q.x, low=0.0, low_inclusive=False)
    normalize_length = flag("length_normalize", length_normalize)
    chunk = chunk_for(check_chunk_size(chunk_size), b, w)
    if chunk is None:
        blocks = [
            pairwise_late_interaction(xp, q, c, length_normalize=normalize_length)
            for c in candidates
        ]
    else:
        blocks = [
            chunked_pairwise_scores(xp, q, c, length_normalize=normalize_length, chunk=chunk)
            for c in candidates
        ]
    scores = blocks[0] if len(blocks) == 1 else xp.concat(blocks, axis=1)
    loss = nll_at(xp, lam * scores, diagonal_targets(xp, q.x, n=b, offset=offset), axis=-1)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )
