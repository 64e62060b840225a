"""Multiple negatives ranking loss (sentence-transformers 6.x), all of it, and its symmetric
preset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .._backend import (
    Array,
    Namespace,
    as_dtype,
    device_of,
    index_dtype,
    logsumexp,
    nll_at,
    stop_gradient,
    take_along_axis,
)
from .._ops import reduce_loss
from .._validate import (
    check_ndim,
    check_option,
    check_sample_weight,
    hyperparameter,
    number,
    options,
    prepare,
    sample_weighted,
    unused,
)
from ..typing import Direction, HardnessMode, PartitionMode, Reduction, Similarity
from ._chunked import check_chunk_size, chunk_for, mnrl_rows_chunked
from ._common import (
    Offset,
    check_similarity,
    hardness_rule,
    own_documents,
    scores,
    sharded_rows,
)

__all__ = ["multiple_negatives_ranking_loss", "multiple_negatives_symmetric_ranking_loss"]

DIRECTIONS: tuple[str, ...] = options(Direction)
PARTITION_MODES: tuple[str, ...] = options(PartitionMode)
HARDNESS: tuple[str, ...] = options(HardnessMode)


class Preset(NamedTuple):
    """The options a preset of :func:`multiple_negatives_ranking_loss` fixes."""

    directions: tuple[Direction, ...]
    partition_mode: PartitionMode


SYMMETRIC = Preset(directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction")
""":func:`multiple_negatives_symmetric_ranking_loss`'s options, read by that loss (at each
call) and by :func:`arraylosses.matryoshka`'s fast path."""


def _check_directions(directions: Any) -> tuple[Direction, ...]:
    if isinstance(directions, str) or not isinstance(directions, (tuple, list)) or not directions:
        raise TypeError(f"directions must be a non-empty tuple of {DIRECTIONS}; got {directions!r}")
    for d in directions:
        check_option("directions entry", d, DIRECTIONS)
    if "query_to_doc" not in directions:
        raise ValueError("directions must include 'query_to_doc' (it holds the positives)")
    if len(set(directions)) != len(directions):
        raise ValueError(f"directions must not repeat an entry; got {directions!r}")
    return tuple(directions)


@sample_weighted
def multiple_negatives_ranking_loss(
    anchors: Array,
    positives: Array,
    negatives: Array | None = None,
    *,
    scale: Any = 20.0,
    similarity: Similarity = "cosine",
    directions: tuple[Direction, ...] = ("query_to_doc",),
    partition_mode: PartitionMode = "joint",
    hardness_mode: HardnessMode | None = None,
    hardness_strength: float = 0.0,
    offset: Offset = 0,
    all_anchors: Array | None = None,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Multiple negatives ranking loss, sentence-transformers 6.x ``MultipleNegativesRankingLoss``
    (the peer) with all its options. For anchor (query) :math:`q_i` and its positive
    :math:`d_i`, with :math:`\lambda` = ``scale`` and :math:`s` the similarity,

    In plain text: ``l_i = -scale * s(q_i, d_i) + log Z_i``.

    .. math:: \ell_i = -\lambda s(q_i, d_i) + \log Z_i

    The documents are ``[positives; negatives[:, 0]; ...; negatives[:, K-1]]``: every positive
    and hard negative in the batch is a candidate for every anchor. :math:`Z_i` sums
    :math:`e^{\lambda s}` over the ``directions``:

    * ``query_to_doc``: :math:`q_i` against every document (always included);
    * ``query_to_query``: :math:`q_i` against every other query;
    * ``doc_to_query``: :math:`d_i` against every query;
    * ``doc_to_doc``: :math:`d_i` against every document except its own positive and negatives.

    ``partition_mode="joint"``: one log-sum-exp over all of them; ``"per_direction"``: the mean
    of one log-sum-exp per direction (only for directions that hold the positive, as the peer
    requires). ``hardness_mode`` adds
    :math:`\alpha\,\mathrm{stop\_gradient}(s(q_i, d))` (``hardness_strength`` :math:`\alpha`, not
    scaled by :math:`\lambda`) to the query-to-document logits of ``"in_batch_negatives"``
    (other anchors' documents), ``"hard_negatives"`` (the anchor's own negatives) or
    ``"all_negatives"`` (every document but the positive).

    Several devices (sentence-transformers' ``gather_across_devices``; README.md, "Scaling
    out"): pass ``positives`` (and ``negatives``) gathered from every device and the global
    index ``offset`` of this device's first anchor (an int, or a 0-d integer array under
    ``shard_map``); anchor ``i`` pairs with positive ``offset + i``. The directions that score
    against every query (``query_to_query``, ``doc_to_query``) also need ``all_anchors``, the
    anchors gathered the same way.

    An argument the chosen options would ignore is a ValueError: ``hardness_strength > 0``
    without a ``hardness_mode`` (the peer ignores it), ``all_anchors`` without a direction
    that scores queries. A ``hardness_mode`` with ``hardness_strength=0`` adds nothing.
    ``offset`` is an int, a NumPy integer or a 0-d integer array of the inputs' library. An
    empty batch (B = 0) gives NaN for ``"mean"``, 0 for ``"sum"``, an empty ``"none"``.

    ``chunk_size`` (an int): the similarity matrix is walked in ``chunk_size × chunk_size``
    tiles with a running log-sum-exp, and the backward pass recomputes each tile: memory O((N +
    M)·D + chunk_size²) instead of O(N·M), with the dense path's value and gradients
    (README.md, "Large batches"). ``None`` (the default): the dense matrix.

    Args:
        anchors: ``(B, D)`` floating anchor (query) embeddings, this device's.
        positives: ``(W, D)`` floating, ``W >= B`` (every device's positives; ``W = B`` on one
            device).
        negatives: optional hard negatives, floating: ``(W, D)`` or ``(W, K, D)``. Default ``None``.
        scale: :math:`\lambda > 0`, a float or a 0-d array. Default ``20.0``, as
            sentence-transformers (a temperature of 0.05).
        similarity: ``"cosine"`` (default) or ``"dot"``.
        directions: the partition's directions, a tuple of ``"query_to_doc"`` (always included),
            ``"query_to_query"``, ``"doc_to_query"``, ``"doc_to_doc"``. Default
            ``("query_to_doc",)``, the classic MNRL.
        partition_mode: ``"joint"`` (default, one log-sum-exp) or ``"per_direction"``.
        hardness_mode: ``None`` (default), ``"in_batch_negatives"``, ``"hard_negatives"`` or
            ``"all_negatives"``: which logits get the hardness term.
        hardness_strength: :math:`\alpha \ge 0`. Default ``0.0``.
        offset: global index of this device's first anchor, an int, a NumPy integer or a 0-d
            integer array. Default ``0`` (one device).
        all_anchors: optional ``(W, D)`` anchors gathered from every device (``query_to_query`` and
            ``doc_to_query`` over several devices). Default ``None``.
        chunk_size: tile size of the chunked (memory-bounded) path, an int ``>= 1``. Default
            ``None``: the dense similarity matrix (see above).
        sample_weight: optional ``(B,)`` per-anchor weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(B,)``
        for ``reduction="none"``.

    References:
        - M. Henderson, R. Al-Rfou, B. Strope, Y.-H. Sung, L. Lukács, R. Guo, S. Kumar,
          B. Miklos and R. Kurzweil (2017), "Efficient Natural Language Response Suggestion for
          Smart Reply". arXiv:1705.00652.
        - ``chunk_size``: Z. Cheng et al. (2024), "Breaking the Memory Barrier: Near Infinite Batch
          Size Scaling for Contrastive Loss" (Inf-CL). arXiv:2410.17243.
        - Peer implementation followed: sentence-transformers ``MultipleNegativesRankingLoss``.

    .. rubric:: Paper settings

    - Henderson et al. (2017, arXiv:1705.00652) score a message-response pair by the dot
      product of the two encodings (Abstract); our default is ``similarity="cosine"`` with
      ``scale=20.0`` (sentence-transformers'): ``similarity="dot", scale=1.0`` gives the
      paper's score.

    Example:
        >>> import numpy as np, math
        >>> e = np.eye(2)
        >>> math.isclose(multiple_negatives_ranking_loss(e, e, scale=1.0), math.log1p(1 / math.e))
        True
    """
    m = prepare_mnrl(
        anchors,
        positives,
        negatives,
        scale=scale,
        similarity=similarity,
        directions=directions,
        partition_mode=partition_mode,
        hardness_mode=hardness_mode,
        hardness_strength=hardness_strength,
        offset=offset,
        all_anchors=all_anchors,
        sample_weight=sample_weight,
        reduction=reduction,
    )
    xp = m.xp
    chunk = chunk_for(check_chunk_size(chunk_size), m.options.b)
    if chunk is not None:
        loss = mnrl_rows_chunked(
            xp, m.embeddings, chosen=m.options, cosine=similarity == "cosine", chunk=chunk
        )
    else:

        def similarity_of(x: str, y: str) -> Array:
            return scores(xp, m.embeddings[x], m.embeddings[y], similarity=similarity)

        loss = mnrl_rows(
            xp, similarity_of=similarity_of, like=m.embeddings["query"], chosen=m.options
        )
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=m.out_dtype
    )


class Options(NamedTuple):
    """MNRL's checked options, as :func:`mnrl_rows` takes them."""

    b: int  # this device's anchors
    w: int  # every device's anchors (= b on one device)
    offset: Offset  # the global index of this device's first anchor
    lam: Any  # the scale: a float or a 0-d array
    directions: tuple[Direction, ...]
    partition_mode: PartitionMode
    hardness_mode: HardnessMode | None
    hardness_strength: float


class Prepared(NamedTuple):
    xp: Namespace
    # "query" (B, D), "all_queries" (W, D), "docs" (n_docs, D), "local_docs" (B, D)
    embeddings: dict[str, Array]
    options: Options
    out_dtype: Any


def prepare_mnrl(
    anchors: Array,
    positives: Array,
    negatives: Array | None,
    *,
    scale: Any,
    similarity: Any,
    directions: Any,
    partition_mode: Any,
    hardness_mode: Any,
    hardness_strength: Any,
    offset: Any,
    all_anchors: Array | None,
    sample_weight: Array | None,
    reduction: Any,
) -> Prepared:
    """Validate MNRL's arguments (shared with :func:`arraylosses.matryoshka`)."""
    xp, out_dtype, dtype = prepare(
        "anchors",
        anchors,
        reduction=reduction,
        hyper={"scale": scale, "offset": offset},
        positives=positives,
        negatives=negatives,
        all_anchors=all_anchors,
        sample_weight=sample_weight,
    )
    check_similarity(similarity)
    check_option("partition_mode", partition_mode, PARTITION_MODES)
    directions = _check_directions(directions)
    if partition_mode == "per_direction" and {"query_to_query", "doc_to_doc"} & set(directions):
        raise ValueError(
            "partition_mode='per_direction' needs every direction to hold the "
            "positive; query_to_query and doc_to_doc do not (their per-direction "
            "term would be negative): use partition_mode='joint'"
        )
    if hardness_mode is not None:
        check_option("hardness_mode", hardness_mode, HARDNESS)
    hardness_strength = number("hardness_strength", hardness_strength, low=0.0)
    unused(
        "hardness_strength",
        hardness_strength,
        unless=hardness_mode is not None,
        because=f"with a hardness_mode (one of {', '.join(repr(h) for h in HARDNESS)})",
        idle=0.0,
    )
    check_ndim("anchors", anchors, 2, "(B, D)")
    check_ndim("positives", positives, 2, "(W, D)")
    b, width = anchors.shape
    w = positives.shape[0]
    if positives.shape[1] != width:
        raise ValueError(
            f"positives must have the embedding width D={width} of anchors; got "
            f"shape {tuple(positives.shape)}"
        )
    q = as_dtype(xp, anchors, dtype)
    pos = as_dtype(xp, positives, dtype)
    shards = sharded_rows(
        xp,
        dtype,
        first=("anchors", anchors, q),
        second=("positives", positives, pos),
        all_first=all_anchors,
        offset=offset,
        back="the query_to_query and doc_to_query directions",
        back_used="query_to_query" in directions or "doc_to_query" in directions,
    )
    offset = shards.offset
    docs = [pos]
    if negatives is not None:
        if negatives.ndim == 2:
            negatives = negatives[:, None, :]
        if negatives.ndim != 3 or negatives.shape[0] != w or negatives.shape[2] != width:
            raise ValueError(
                f"negatives must have shape ({w}, D={width}) or ({w}, K, "
                f"D={width}); got {tuple(negatives.shape)}"
            )
        neg = as_dtype(xp, negatives, dtype)
        docs += [neg[:, k, :] for k in range(neg.shape[1])]
    check_sample_weight(xp, sample_weight, (b,))
    lam = hyperparameter(xp, "scale", scale, docs[0], low=0.0, low_inclusive=False)
    embeddings = {
        "query": q,
        "all_queries": shards.every_a,
        "docs": xp.concat(docs, axis=0),
        "local_docs": shards.local_b,
    }
    chosen = Options(
        b=b,
        w=w,
        offset=offset,
        lam=lam,
        directions=directions,
        partition_mode=partition_mode,
        hardness_mode=hardness_mode,
        hardness_strength=hardness_strength,
    )
    return Prepared(xp, embeddings, chosen, out_dtype)


def mnrl_rows(
    xp: Namespace,
    *,
    similarity_of: Callable[[str, str], Array],
    like: Array,
    chosen: Options,
) -> Array:
    """The per-anchor MNRL from the similarity matrices of ``"query"`` (B local anchors),
    ``"all_queries"`` (every device's anchors, W rows), ``"docs"`` (every positive, then every
    negative column: n_docs rows) and ``"local_docs"`` (this device's positives). Shared by
    the loss and by :func:`arraylosses.matryoshka`, which supplies the similarities of
    truncated embeddings from partial dot products, every dim at once: the matrices may carry
    leading axes (``(K, B, n_docs)``), and the result then has them too (``(K, B)``), all
    dims' softmaxes in one pass each way."""
    b, w, offset, lam = chosen.b, chosen.w, chosen.offset, chosen.lam
    hardness_mode, hardness_strength = chosen.hardness_mode, chosen.hardness_strength
    q2d = similarity_of("query", "docs")
    n_docs = q2d.shape[-1]
    dev = device_of(like)
    idx = index_dtype(xp, like)
    rows = xp.arange(b, dtype=idx, device=dev)[:, None]
    cols = xp.arange(n_docs, dtype=idx, device=dev)[None, :]
    own_doc = own_documents(rows + offset, cols, w=w)  # (B, n_docs)
    minus_inf = -float("inf")

    sims = {"query_to_doc": lam * q2d}
    if hardness_mode is not None and hardness_strength > 0:
        penalised = hardness_rule(hardness_mode, w=w)(rows + offset, cols)
        penalty = hardness_strength * stop_gradient(xp, q2d)
        sims["query_to_doc"] = sims["query_to_doc"] + xp.where(
            penalised, penalty, xp.zeros_like(penalty)
        )
    if "query_to_query" in chosen.directions:
        qq = lam * similarity_of("query", "all_queries")
        sims["query_to_query"] = xp.where(
            cols[:, :w] == rows + offset, xp.full_like(qq, minus_inf), qq
        )
    if "doc_to_query" in chosen.directions:
        sims["doc_to_query"] = lam * similarity_of("local_docs", "all_queries")
    if "doc_to_doc" in chosen.directions:
        dd = lam * similarity_of("local_docs", "docs")
        sims["doc_to_doc"] = xp.where(own_doc, xp.full_like(dd, minus_inf), dd)
    ordered = [sims[d] for d in DIRECTIONS if d in sims]
    # the positive's column, offset + i, for every leading index (Matryoshka's dims)
    positive_col = xp.broadcast_to((rows + offset)[:, 0], tuple(q2d.shape[:-1]))
    if chosen.partition_mode == "joint":  # query_to_doc first: the positive is column offset + i
        logits = ordered[0] if len(ordered) == 1 else xp.concat(ordered, axis=-1)
        return nll_at(xp, logits, positive_col, axis=-1)
    # mean_d logsumexp(s_d) - s⁺ as mean_d logsumexp(s_d - s⁺): logsumexp and s⁺ are both of
    # the size of the logits, and their difference keeps ulp(1e4) ~ 1e-3 in float32 at scale
    # 1e4; shifted by the positive, each logsumexp is of the size of the loss
    positive = take_along_axis(xp, sims["query_to_doc"], positive_col[..., None], axis=-1)
    return sum(logsumexp(xp, s - positive, axis=-1) for s in ordered) / len(ordered)


@sample_weighted
def multiple_negatives_symmetric_ranking_loss(
    anchors: Array,
    positives: Array,
    negatives: Array | None = None,
    *,
    scale: Any = 20.0,
    similarity: Similarity = "cosine",
    offset: Offset = 0,
    all_anchors: Array | None = None,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r""":func:`multiple_negatives_ranking_loss` with ``directions=("query_to_doc",
    "doc_to_query")`` and ``partition_mode="per_direction"``: the mean of the query→document and
    document→query log-partition terms (Günther et al. 2023, Jina Embeddings 2). Peer:
    sentence-transformers ``MultipleNegativesSymmetricRankingLoss``.

    Several devices: ``positives`` (and ``negatives``) and ``all_anchors`` gathered from every
    device, ``offset`` the global index of this device's first anchor; this device's anchors
    are scored against every document and its positives against every anchor.

    ``chunk_size`` (an int): the similarity matrix is walked in ``chunk_size × chunk_size``
    tiles with a running log-sum-exp, and the backward pass recomputes each tile: memory O((N +
    M)·D + chunk_size²) instead of O(N·M), with the dense path's value and gradients
    (README.md, "Large batches"). ``None`` (the default): the dense matrix.

    Args:
        anchors: ``(B, D)`` floating anchor (query) embeddings, this device's.
        positives: ``(W, D)`` floating, ``W >= B`` (every device's positives; ``W = B`` on one
            device).
        negatives: optional hard negatives, floating: ``(W, D)`` or ``(W, K, D)``. Default ``None``.
        scale: :math:`\lambda > 0`, a float or a 0-d array. Default ``20.0``, as
            sentence-transformers (a temperature of 0.05).
        similarity: ``"cosine"`` (default) or ``"dot"``.
        offset: global index of this device's first anchor, an int, a NumPy integer or a 0-d
            integer array. Default ``0`` (one device).
        all_anchors: optional ``(W, D)`` anchors gathered from every device. Default ``None``.
        chunk_size: tile size of the chunked (memory-bounded) path, an int ``>= 1``. Default
            ``None``: the dense similarity matrix.
        sample_weight: optional ``(B,)`` per-anchor weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(B,)``
        for ``reduction="none"``.

    References:
        - M. Henderson, R. Al-Rfou, B. Strope, Y.-H. Sung, L. Lukács, R. Guo, S. Kumar,
          B. Miklos and R. Kurzweil (2017), "Efficient Natural Language Response Suggestion for
          Smart Reply". arXiv:1705.00652.
        - M. Günther, J. Ong, I. Mohr et al. (2023), "Jina Embeddings 2: 8192-Token
          General-Purpose Text Embeddings for Long Documents". arXiv:2310.19923.
        - ``chunk_size``: Z. Cheng et al. (2024), "Breaking the Memory Barrier: Near Infinite Batch
          Size Scaling for Contrastive Loss" (Inf-CL). arXiv:2410.17243.
        - Peer implementation followed: sentence-transformers
          ``MultipleNegativesSymmetricRankingLoss``.

    .. rubric:: Paper settings

    - Henderson et al. (2017, arXiv:1705.00652) score a message-response pair by the dot
      product of the two encodings (Abstract); our default is ``similarity="cosine"`` with
      ``scale=20.0`` (sentence-transformers'): ``similarity="dot", scale=1.0`` gives the
      paper's score.

    Example:
        >>> import numpy as np, math
        >>> e = np.eye(2)
        >>> math.isclose(multiple_negatives_symmetric_ranking_loss(e, e, scale=1.0),
        ...              math.log1p(1 / math.e))
        True
    """
    return multiple_negatives_ranking_loss(
        anchors,
        positives,
        negatives,
        scale=scale,
        similarity=similarity,
        directions=SYMMETRIC.directions,
        partition_mode=SYMMETRIC.partition_mode,
        offset=offset,
        all_anchors=all_anchors,
        chunk_size=chunk_size,
        sample_weight=sample_weight,
        reduction=reduction,
    )
