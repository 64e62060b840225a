"""In-batch contrastive losses: InfoNCE (fixed or entropy-adaptive temperature), CLIP, SigLIP,
NT-Xent (SimCLR) and SupCon.

Every row of the batch is scored against every candidate with ``similarity`` (``"cosine"``:
the dot product of L2-normalised rows, each norm clamped at ``1e-8``; ``"dot"``: the raw dot
product), then a softmax (or sigmoid) cross entropy is taken per row. ``temperature`` /
``logit_scale`` / ``logit_bias`` accept a Python float or a 0-d array (learnable: the
gradient flows into it). Per-sample losses are one value per anchor row; ``sample_weight`` and
``reduction`` as everywhere.

Hostile input, on every backend: an empty batch gives NaN for ``"mean"`` (weighted too), 0 for
``"sum"`` and an empty array for ``"none"``; NaN in an embedding gives NaN in every row whose
scores see it; ``offset`` is an int, a NumPy integer or a 0-d integer array of the inputs'
library (a bool or a float is a TypeError).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .._backend import (
    Array,
    Namespace,
    as_dtype,
    const,
    device_of,
    finalize,
    index_dtype,
    log_sigmoid,
    log_softmax,
    nll_at,
    stop_gradient,
)
from .._ops import normalize, reduce_loss
from .._validate import (
    check_ndim,
    check_option,
    check_sample_weight,
    flag,
    hyperparameter,
    is_array,
    number,
    options,
    prepare,
    renamed,
    sample_weighted,
    unused,
)
from ..typing import NegativeMode, Reduction, Similarity
from ._chunked import (
    check_chunk_size,
    chunk_for,
    cross_entropy_rows,
    nt_xent_rows,
    sigmoid_rows,
    supcon_rows,
)
from ._common import (
    Offset,
    check_rows,
    check_same_width,
    check_similarity,
    diagonal_targets,
    floating,
    offset_int,
    scores,
    sharded_rows,
)

__all__ = [
    "clip_loss",
    "entropy_adaptive_info_nce",
    "info_nce",
    "nt_xent_loss",
    "siglip_loss",
    "supcon_loss",
]

NEGATIVE_MODES: tuple[str, ...] = options(NegativeMode)


def _ce_rows(xp: Namespace, logits: Array, target: Array) -> Array:
    """Per-row softmax cross entropy against class indices (no one-hot)."""
    return nll_at(xp, logits, target, axis=1)


def _temperature(xp: Namespace, temperature: Any, like: Array, *, name: str = "temperature") -> Any:
    return hyperparameter(xp, name, temperature, like, low=0.0, low_inclusive=False)


@renamed(weight="sample_weight", positive="positives")
def info_nce(
    query: Array,
    positives: Array,
    negatives: Array | None = None,
    *,
    temperature: Any = 0.1,
    negative_mode: NegativeMode = "unpaired",
    similarity: Similarity = "cosine",
    symmetric: bool = False,
    offset: Offset = 0,
    all_query: Array | None = None,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""InfoNCE (van den Oord et al. 2018; the ``info-nce-pytorch`` package's ``InfoNCE``):

    In plain text: ``l_i = -log(e(p_i) / (e(p_i) + sum_n e(n)))`` with
    ``e(x) = exp(s(q_i, x) / tau)``.

    .. math:: \ell_i = -\log \frac{e^{s(q_i, p_i)/\tau}}{e^{s(q_i, p_i)/\tau}
              + \sum_{n} e^{s(q_i, n)/\tau}}

    * ``negatives=None``: in-batch negatives, the other rows' positives. ``symmetric=True``
      averages this with the positive→query direction.
    * Several devices (``README.md``, "Scaling out"): ``positives`` may hold more rows than
      ``query`` (every device's positives, gathered): query row ``i`` then pairs with positive
      row ``offset + i`` and every other positive row is a negative. ``offset`` is the global
      index of this device's first row (an int, or a 0-d integer array under ``shard_map``).
      With ``symmetric=True`` the positive→query direction scores this device's positives
      (rows ``offset + i``) against ``all_query``, the queries gathered the same way.
    * ``negative_mode="unpaired"``: ``negatives`` ``(M, D)`` shared by all queries;
      ``"paired"``: ``(N, K, D)``, each query its own K. The positive is not compared with the
      other rows' positives in these modes (as ``info-nce-pytorch``). No negatives (M = 0 or
      K = 0) leave the positive alone in the softmax: the loss is 0.
    * An argument the chosen mode does not use is a ValueError, not ignored: ``offset`` (other
      than 0), ``symmetric`` and ``all_query`` with explicit negatives,
      ``negative_mode="paired"`` without them. ``offset`` is an int, a NumPy integer or a 0-d
      integer array of the inputs' library.
    * An empty batch (N = 0) gives NaN for ``"mean"``, 0 for ``"sum"`` and an empty array
      for ``"none"``; NaN in an embedding gives NaN in every row whose logits see it.

    With in-batch negatives (``negatives=None``), ``chunk_size`` (an int): the similarity
    matrix is walked in ``chunk_size × chunk_size`` tiles with a running log-sum-exp, and the
    backward pass recomputes each tile: memory O((N + M)·D + chunk_size²) instead of O(N·M),
    with the dense path's value and gradients (README.md, "Large batches"). ``None`` (the
    default): the dense matrix.

    Args:
        query: ``(N, D)`` floating query embeddings.
        positives: ``(N, D)`` floating, each query's positive (in-batch: ``(M >= N, D)``, every
            device's positives, gathered).
        negatives: optional explicit negatives, floating: ``(M, D)`` (``"unpaired"``) or
            ``(N, K, D)`` (``"paired"``). Default ``None``: in-batch negatives.
        temperature: :math:`\tau > 0`, a float or a 0-d array (learnable). Default ``0.1``, as
            ``info-nce-pytorch``.
        negative_mode: ``"unpaired"`` (default) or ``"paired"``, the layout of ``negatives``.
        similarity: ``"cosine"`` (default) or ``"dot"``.
        symmetric: also average in the positive-to-query direction (in-batch only). Default
            ``False``.
        offset: global index of this device's first row, an int, a NumPy integer or a 0-d
            integer array. Default ``0`` (one device).
        all_query: optional ``(M, D)`` queries gathered from every device (``symmetric=True`` over
            several devices). Default ``None``.
        chunk_size: tile size of the chunked (memory-bounded) path, an int ``>= 1``. Default
            ``None``: the dense similarity matrix (see above).
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - A. van den Oord, Y. Li and O. Vinyals (2018), "Representation Learning with Contrastive
          Predictive Coding". arXiv:1807.03748.
        - ``chunk_size``: Z. Cheng et al. (2024), "Breaking the Memory Barrier: Near Infinite Batch
          Size Scaling for Contrastive Loss" (Inf-CL). arXiv:2410.17243.
        - Peer implementation followed: the ``info-nce-pytorch`` package's ``InfoNCE``.

    .. rubric:: Paper settings

    - van den Oord et al. (2018, arXiv:1807.03748) score with the log-bilinear model
      :math:`f_k = \exp(z_{t+k}^\top W_k c_t)` (Section 2.2, Eq. 3): an unnormalised dot
      product and no temperature. Our default is ``similarity="cosine"`` with
      ``temperature=0.1`` (``info-nce-pytorch``'s): ``similarity="dot", temperature=1.0`` with
      ``query`` set to :math:`W_k c_t` gives the paper's score.

    Example:
        >>> import numpy as np, math
        >>> q = p = np.eye(2)
        >>> round(float(info_nce(q, p, temperature=1.0)), 6) == round(
        ...     -math.log(math.e / (math.e + 1)), 6)
        True
    """
    xp, out_dtype, dtype = prepare(
        "query",
        query,
        reduction=reduction,
        hyper={"temperature": temperature, "offset": offset},
        positives=positives,
        negatives=negatives,
        all_query=all_query,
        sample_weight=sample_weight,
    )
    check_similarity(similarity)
    check_option("negative_mode", negative_mode, NEGATIVE_MODES)
    symmetric = flag("symmetric", symmetric)
    chunk_size = check_chunk_size(chunk_size)
    check_rows(query=query, positives=positives)
    check_same_width(("query", query), ("positives", positives))
    check_sample_weight(xp, sample_weight, (query.shape[0],))
    q = as_dtype(xp, query, dtype)
    p = floating(xp, dtype, "positives", positives)
    tau = _temperature(xp, temperature, q)
    explicit, in_batch = negatives is not None, "with in-batch negatives (negatives=None)"
    unused(
        "negative_mode",
        negative_mode,
        unless=explicit,
        because="with explicit negatives (with negatives=None the other rows' positives "
        "are the negatives)",
        idle="unpaired",
    )
    unused("all_query", all_query, unless=not explicit, because=in_batch)
    unused("symmetric", symmetric, unless=not explicit, because=in_batch, idle=False)
    unused(
        "chunk_size",
        chunk_size,
        unless=not explicit,
        because=f"{in_batch}, whose N×M matrix it tiles",
    )
    unused(
        "offset",
        offset if is_array(offset) else offset_int(offset),
        unless=not explicit,
        because=f"{in_batch}, where positives may hold every device's rows",
        idle=0,
    )
    if not explicit:
        loss = _info_nce_in_batch(
            xp,
            q,
            p,
            tau=tau,
            similarity=similarity,
            symmetric=symmetric,
            offset=offset,
            all_query=all_query,
            chunk_size=chunk_size,
        )
    else:
        loss = _info_nce_with_negatives(
            xp,
            q,
            p,
            floating(xp, dtype, "negatives", negatives),
            tau=tau,
            similarity=similarity,
            negative_mode=negative_mode,
        )
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


def _info_nce_in_batch(
    xp: Namespace,
    q: Array,
    p: Array,
    *,
    tau: Any,
    similarity: Similarity,
    symmetric: bool,
    offset: Any,
    all_query: Array | None,
    chunk_size: int | None,
) -> Array:
    """Per-query InfoNCE with the other rows' positives as negatives: ``q`` ``(N, D)`` pairs
    with row ``offset + i`` of ``p`` ``(M >= N, D)`` (every device's positives when M > N);
    ``symmetric`` averages the positive→query direction, against ``all_query`` when ``p`` is
    gathered. ``q`` and ``p`` are checked and cast; ``all_query`` is the argument as given."""
    n, m = q.shape[0], p.shape[0]
    shards = sharded_rows(
        xp,
        q.dtype,
        first=("query", q, q),
        second=("positives", p, p),
        all_first=all_query,
        offset=offset,
        back="the symmetric direction (symmetric=True)",
        back_used=symmetric,
    )
    offset = shards.offset
    back = None  # the positive→query direction: (this device's positives, every query)
    if symmetric:
        back = (p, q) if all_query is None else (shards.local_b, shards.every_a)
    chunk = chunk_for(chunk_size, n, m)
    if chunk is not None:
        return cross_entropy_rows(
            xp,
            q,
            p,
            scale=1 / tau,
            offset=offset,
            chunk=chunk,
            cosine=similarity == "cosine",
            back=back,
        )
    logits = scores(xp, q, p, similarity=similarity) / tau
    target = diagonal_targets(xp, logits, n=n, offset=offset)
    loss = _ce_rows(xp, logits, target)
    if back is None:
        return loss
    if back[1] is q:
        back_logits = xp.permute_dims(logits, (1, 0))
    else:
        back_logits = scores(xp, back[0], back[1], similarity=similarity) / tau
    return (loss + _ce_rows(xp, back_logits, target)) / 2


def _info_nce_with_negatives(
    xp: Namespace,
    q: Array,
    p: Array,
    neg: Array,
    *,
    tau: Any,
    similarity: Similarity,
    negative_mode: NegativeMode,
) -> Array:
    """Per-query InfoNCE against explicit negatives ``neg``: ``(M, D)`` shared
    (``"unpaired"``) or ``(N, K, D)`` per query (``"paired"``); the positive ``p`` is
    ``(N, D)``, row i for query i. Arrays checked and cast."""
    n = q.shape[0]
    if tuple(p.shape) != tuple(q.shape):
        raise ValueError(
            f"positives must have query's shape {tuple(q.shape)} when "
            f"negatives are given; got {tuple(p.shape)}"
        )
    if negative_mode == "unpaired":
        check_ndim("negatives", neg, 2, "(M, D) with negative_mode='unpaired'")
    else:
        check_ndim("negatives", neg, 3, "(N, K, D) with negative_mode='paired'")
        if neg.shape[0] != n:
            raise ValueError(
                f"negatives must have {n} rows (one per query) with "
                f"negative_mode='paired'; got shape {tuple(neg.shape)}"
            )
    check_same_width(("query", q), ("negatives", neg))
    if similarity == "cosine":
        q, p, neg = normalize(xp, q), normalize(xp, p), normalize(xp, neg)
    pos_logit = xp.sum(q * p, axis=1)[:, None]
    if negative_mode == "unpaired":
        neg_logits = xp.matmul(q, xp.permute_dims(neg, (1, 0)))
    else:
        neg_logits = xp.sum(q[:, None, :] * neg, axis=-1)
    logits = xp.concat([pos_logit, neg_logits], axis=1) / tau
    return -log_softmax(xp, logits, axis=1)[:, 0]


class _Pair(NamedTuple):
    xp: Namespace
    out_dtype: Any
    a: Array  # the first argument, (N, D), cast to the compute dtype
    b: Array  # the second, (N, D)


def _paired_batch(
    *,
    first: tuple[str, Array],
    second: tuple[str, Array],
    sample_weight: Array | None,
    reduction: Any,
) -> _Pair:
    """Validate two ``(N, D)`` embedding arrays of one shape (row i of each is a pair)."""
    (name_a, a), (name_b, b) = first, second
    xp, out_dtype, dtype = prepare(
        name_a, a, reduction=reduction, **{name_b: b}, sample_weight=sample_weight
    )
    check_rows(**{name_a: a, name_b: b})
    if tuple(b.shape) != tuple(a.shape):
        raise ValueError(
            f"{name_b} must have {name_a}'s shape {tuple(a.shape)}; got {tuple(b.shape)}"
        )
    b_c = floating(xp, dtype, name_b, b)
    check_sample_weight(xp, sample_weight, (a.shape[0],))
    return _Pair(xp, out_dtype, as_dtype(xp, a, dtype), b_c)


class _Sharded(NamedTuple):
    xp: Namespace
    out_dtype: Any
    local_a: Array  # this device's rows of the first argument, (N, D)
    every_a: Array  # the first argument gathered from every device, (W, D)
    local_b: Array  # this device's rows of the second argument, (N, D)
    every_b: Array  # the second argument, (W, D): gathered or this device's own
    offset: Offset


def _sharded_pair(
    *,
    first: tuple[str, Array],
    second: tuple[str, Array],
    all_first: Array | None,
    offset: Any,
    hyper: dict[str, Any],
    sample_weight: Array | None,
    reduction: Any,
    symmetric: bool = True,
) -> _Sharded:
    """Validate a pair loss whose second argument may hold every device's rows (W >= N, this
    device's at ``offset``). A symmetric loss also scores this device's second-side rows
    against every first-side row: ``all_<first>`` when the second side is gathered. ``hyper``:
    the loss's hyperparameters, which may be arrays of the inputs' library."""
    (name_a, a), (name_b, b) = first, second
    name_all = f"all_{name_a}"
    xp, out_dtype, dtype = prepare(
        name_a,
        a,
        reduction=reduction,
        hyper={**hyper, "offset": offset},
        **{name_b: b, name_all: all_first},
        sample_weight=sample_weight,
    )
    check_rows(**{name_a: a, name_b: b})
    check_same_width((name_a, a), (name_b, b))
    a_c, b_c = as_dtype(xp, a, dtype), floating(xp, dtype, name_b, b)
    shards = sharded_rows(
        xp,
        dtype,
        first=(name_a, a, a_c),
        second=(name_b, b, b_c),
        all_first=all_first,
        offset=offset,
        back="the symmetric direction",
        back_used=symmetric,
    )
    check_sample_weight(xp, sample_weight, (a.shape[0],))
    return _Sharded(xp, out_dtype, a_c, shards.every_a, shards.local_b, b_c, shards.offset)


@sample_weighted
def clip_loss(
    image_emb: Array,
    text_emb: Array,
    *,
    logit_scale: Any = 1 / 0.07,
    offset: Offset = 0,
    all_image_emb: Array | None = None,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""CLIP's symmetric contrastive loss (Radford et al. 2021): with
    :math:`L_{ij} = t\cos(x_i, y_j)`,

    In plain text: ``l_i = (CE(L[i, :], i) + CE(L[:, i], i)) / 2`` with ``L = t * cos``.

    .. math:: \ell_i = \tfrac12\big(\mathrm{CE}(L_{i,:}, i) + \mathrm{CE}(L_{:,i}, i)\big)

    ``logit_scale`` :math:`t` is the multiplier (pass ``exp(log_scale)`` for a learnable one;
    open_clip clamps it at 100 in its training loop, not in the loss). Same as open_clip's
    ``ClipLoss`` (by definition: open_clip is not a dependency here).

    Several devices (open_clip's ``gather_features`` with ``local_loss=True``; README.md,
    "Scaling out"): ``image_emb`` holds this device's N images, ``text_emb`` every device's W
    texts (gathered with gradients), ``all_image_emb`` every device's images and ``offset``
    the global index of this device's first row. This device's images are scored against
    every text and its texts (``text_emb[offset:offset + N]``) against every image; each
    per-sample loss is then the global one. An empty batch: NaN mean, 0 sum, empty "none".

    ``chunk_size`` (an int): the similarity matrix is walked in ``chunk_size × chunk_size``
    tiles with a running log-sum-exp, and the backward pass recomputes each tile: memory O((N +
    M)·D + chunk_size²) instead of O(N·M), with the dense path's value and gradients
    (README.md, "Large batches"). ``None`` (the default): the dense matrix.

    Args:
        image_emb: ``(N, D)`` floating image embeddings (this device's).
        text_emb: ``(N, D)`` floating text embeddings (or ``(W >= N, D)``, every device's).
        logit_scale: the multiplier :math:`t > 0`, a float or a 0-d array. Default ``1 / 0.07``,
            CLIP's initial value.
        offset: global index of this device's first row, an int, a NumPy integer or a 0-d
            integer array. Default ``0`` (one device).
        all_image_emb: optional ``(W, D)`` images gathered from every device. Default ``None``.
        chunk_size: tile size of the chunked (memory-bounded) path, an int ``>= 1``. Default
            ``None``: the dense similarity matrix (see above).
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - A. Radford, J. W. Kim, C. Hallacy et al. (2021), "Learning Transferable Visual Models From
          Natural Language Supervision" (CLIP), ICML. arXiv:2103.00020.
        - ``chunk_size``: Z. Cheng et al. (2024), "Breaking the Memory Barrier: Near Infinite Batch
          Size Scaling for Contrastive Loss" (Inf-CL). arXiv:2410.17243.
        - Peer implementation followed: open_clip ``ClipLoss``.

    .. rubric:: Paper settings

    - Radford et al. (2021, arXiv:2103.00020) learn the temperature as a log-parameterised
      multiplicative scalar (Section 2.3), initialised to the equivalent of 0.07 and clipped so
      that the logits are not scaled by more than 100 (Section 2.5). Our default is that initial
      value held fixed, ``logit_scale=1 / 0.07``: pass ``logit_scale=exp(s)`` with ``s`` a
      learnable 0-d array initialised to :math:`\log(1/0.07)` and clamped to
      :math:`[0, \log 100]` after each step (as open_clip's training loop does) for the paper's
      learned scale.

    Example:
        >>> import numpy as np, math
        >>> e = np.eye(2)
        >>> math.isclose(clip_loss(e, e, logit_scale=1.0), math.log1p(1 / math.e))
        True
    """
    sh = _sharded_pair(
        first=("image_emb", image_emb),
        second=("text_emb", text_emb),
        all_first=all_image_emb,
        offset=offset,
        hyper={"logit_scale": logit_scale},
        sample_weight=sample_weight,
        reduction=reduction,
    )
    xp = sh.xp
    t = hyperparameter(xp, "logit_scale", logit_scale, sh.local_a, low=0.0, low_inclusive=False)
    chunk = chunk_for(check_chunk_size(chunk_size), sh.local_a.shape[0])
    if chunk is not None:
        loss = cross_entropy_rows(
            xp,
            sh.local_a,
            sh.every_b,
            scale=t,
            offset=sh.offset,
            chunk=chunk,
            cosine=True,
            back=(sh.local_b, sh.every_a),
        )
    else:
        target = diagonal_targets(xp, sh.local_a, n=sh.local_a.shape[0], offset=sh.offset)
        image_to_text = _ce_rows(
            xp, t * scores(xp, sh.local_a, sh.every_b, similarity="cosine"), target
        )
        text_to_image = _ce_rows(
            xp, t * scores(xp, sh.local_b, sh.every_a, similarity="cosine"), target
        )
        loss = (image_to_text + text_to_image) / 2
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=sh.out_dtype
    )


@sample_weighted
def siglip_loss(
    image_emb: Array,
    text_emb: Array,
    *,
    logit_scale: Any = 10.0,
    logit_bias: Any = -10.0,
    offset: Offset = 0,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""SigLIP's pairwise sigmoid loss (Zhai et al. 2023):

    In plain text: ``l_i = -sum_j log(sigmoid(z_ij * (t * cos(x_i, y_j) + b)))`` with
    ``z_ii = 1`` and ``z_ij = -1`` for ``i != j``.

    .. math:: \ell_i = -\sum_j \log \sigma\big(z_{ij}\,(t \cos(x_i, y_j) + b)\big),
              \quad z_{ii} = 1,\ z_{ij} = -1\ (i \ne j)

    so the mean over rows is :math:`-\frac1N \sum_{i,j}` (open_clip's ``SigLipLoss``: a sum over
    the :math:`N^2` pairs divided by N). ``logit_scale`` :math:`t` is the multiplier (open_clip
    learns its log, initialised at :math:`\log 10`), ``logit_bias`` :math:`b` is added.

    Several devices: every pair is counted once (image rows against all texts), so only the
    texts need gathering, as in open_clip's ``SigLipLoss`` (which passes text chunks between
    neighbours): ``text_emb`` may hold every device's W texts, ``offset`` the global index of
    this device's first row. An empty batch: NaN mean, 0 sum, empty "none".

    ``chunk_size`` (an int): the similarity matrix is walked in ``chunk_size × chunk_size``
    tiles with a running sum of the sigmoid terms, and the backward pass recomputes each tile:
    memory O((N + M)·D + chunk_size²) instead of O(N·M), with the dense path's value and
    gradients (README.md, "Large batches"). ``None`` (the default): the dense matrix.

    Args:
        image_emb: ``(N, D)`` floating image embeddings (this device's).
        text_emb: ``(N, D)`` floating text embeddings (or ``(W >= N, D)``, every device's).
        logit_scale: the multiplier :math:`t > 0`, a float or a 0-d array. Default ``10.0``,
            SigLIP's initial value (:math:`\log t = \log 10`).
        logit_bias: the bias :math:`b`, a float or a 0-d array. Default ``-10.0``, SigLIP's initial
            value.
        offset: global index of this device's first row, an int, a NumPy integer or a 0-d
            integer array. Default ``0`` (one device).
        chunk_size: tile size of the chunked (memory-bounded) path, an int ``>= 1``. Default
            ``None``: the dense similarity matrix (see above).
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - X. Zhai, B. Mustafa, A. Kolesnikov and L. Beyer (2023), "Sigmoid Loss for Language Image
          Pre-Training" (SigLIP), ICCV. arXiv:2303.15343.
        - ``chunk_size``: Z. Cheng et al. (2024), "Breaking the Memory Barrier: Near Infinite Batch
          Size Scaling for Contrastive Loss" (Inf-CL). arXiv:2410.17243.
        - Peer implementation followed: open_clip ``SigLipLoss``.

    .. rubric:: Paper settings

    - Zhai et al. (2023, arXiv:2303.15343) learn both :math:`t = \exp(t')` and :math:`b`,
      initialised to :math:`t' = \log 10` and :math:`b = -10` (Section 3.2, Algorithm 1). Our
      defaults are those initial values held fixed: pass ``logit_scale=exp(t_prime)`` and
      ``logit_bias=b``, with ``t_prime`` and ``b`` learnable 0-d arrays initialised to
      :math:`\log 10` and :math:`-10`, for the paper's learned scale and bias.

    Example:
        >>> import numpy as np, math
        >>> e = np.eye(2)
        >>> sig = lambda x: 1 / (1 + math.exp(-x))
        >>> expected = -(math.log(sig(0.0)) + math.log(sig(10.0)))  # t=10, b=-10, cos 1 and 0
        >>> abs(float(siglip_loss(e, e)) - expected) < 1e-12
        True
    """
    sh = _sharded_pair(
        first=("image_emb", image_emb),
        second=("text_emb", text_emb),
        all_first=None,
        offset=offset,
        hyper={"logit_scale": logit_scale, "logit_bias": logit_bias},
        sample_weight=sample_weight,
        reduction=reduction,
        symmetric=False,
    )
    xp, img, every_txt, offset, out_dtype = sh.xp, sh.local_a, sh.every_b, sh.offset, sh.out_dtype
    n = img.shape[0]
    t = hyperparameter(xp, "logit_scale", logit_scale, img, low=0.0, low_inclusive=False)
    b = hyperparameter(xp, "logit_bias", logit_bias, img)
    chunk = chunk_for(check_chunk_size(chunk_size), n)
    if chunk is not None:
        loss = sigmoid_rows(xp, img, every_txt, scale=t, bias=b, offset=offset, chunk=chunk)
    else:
        logits = t * scores(xp, img, every_txt, similarity="cosine") + b
        cols = xp.arange(every_txt.shape[0], dtype=index_dtype(xp, img), device=device_of(img))
        own = cols[None, :] == diagonal_targets(xp, img, n=n, offset=offset)[:, None]
        signs = 2 * xp.astype(own, logits.dtype) - 1
        loss = -xp.sum(log_sigmoid(xp, signs * logits), axis=1)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def nt_xent_loss(
    z1: Array,
    z2: Array,
    *,
    temperature: Any = 0.5,
    offset: Offset = 0,
    all_z1: Array | None = None,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""NT-Xent, SimCLR's loss (Chen et al. 2020), over the :math:`2N` views
    :math:`z = [z_1; z_2]` with :math:`s_{ab} = \cos(z_a, z_b)/\tau`:

    In plain text: ``l_a = -log(exp(s[a, p(a)]) / sum_(b != a) exp(s[a, b]))``.

    .. math:: \ell_a = -\log \frac{e^{s_{a,p(a)}}}{\sum_{b \ne a} e^{s_{ab}}}

    with :math:`p(a)` the other view of the same sample. The per-sample loss of pair i is the
    mean of its two views' losses (so ``"mean"`` is the mean over the 2N views). Peers:
    pytorch-metric-learning ``NTXentLoss`` and ``optax.losses.ntxent`` with the pair labels
    (their default temperature is 0.07; lightly's ``NTXentLoss`` and SimCLR's CIFAR-10 recipe
    use 0.5, ours; SimCLR's ImageNet default is 0.1, see "Paper settings").

    Several devices (lightly's ``gather_distributed``): ``z2`` and ``all_z1`` hold both views
    of every device's W samples, ``z1`` this device's N first views, ``offset`` the global
    index of its first sample; this device's 2N views are scored against all 2W views. An
    empty batch: NaN mean, 0 sum, empty "none".

    ``chunk_size`` (an int): the similarity matrix is walked in ``chunk_size × chunk_size``
    tiles with a running log-sum-exp, and the backward pass recomputes each tile: memory O((N +
    M)·D + chunk_size²) instead of O(N·M), with the dense path's value and gradients
    (README.md, "Large batches"). ``None`` (the default): the dense matrix.

    Args:
        z1: ``(N, D)`` floating, the first view of each sample (this device's).
        z2: ``(N, D)`` floating, the second views (or ``(W, D)``, every device's).
        temperature: :math:`\tau > 0`, a float or a 0-d array. Default ``0.5``, lightly's and
            SimCLR's CIFAR-10 value (its ImageNet default is ``0.1``).
        offset: global index of this device's first row, an int, a NumPy integer or a 0-d
            integer array. Default ``0`` (one device).
        all_z1: optional ``(W, D)`` first views gathered from every device. Default ``None``.
        chunk_size: tile size of the chunked (memory-bounded) path, an int ``>= 1``. Default
            ``None``: the dense similarity matrix (see above).
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - T. Chen, S. Kornblith, M. Norouzi and G. Hinton (2020), "A Simple Framework for
          Contrastive Learning of Visual Representations" (SimCLR), ICML. arXiv:2002.05709.
        - ``chunk_size``: Z. Cheng et al. (2024), "Breaking the Memory Barrier: Near Infinite Batch
          Size Scaling for Contrastive Loss" (Inf-CL). arXiv:2410.17243.
        - Peer implementations followed: pytorch-metric-learning ``NTXentLoss``,
          ``optax.losses.ntxent``.

    .. rubric:: Paper settings

    - Chen et al. (2020, arXiv:2002.05709): the authors' ImageNet pretraining command, which
      reflects the default hyperparameters of the paper (google-research/simclr, README), uses
      a temperature of 0.1 (batch size 4096, 100 epochs); their CIFAR-10 command uses 0.5. Our
      default ``temperature=0.5`` (lightly's) is the CIFAR-10 value: ``temperature=0.1`` gives
      the paper's ImageNet default.

    Example:
        >>> import numpy as np, math
        >>> z = np.eye(2)
        >>> # each view: positive cos 1, negatives cos 0 and 0
        >>> math.isclose(nt_xent_loss(z, z, temperature=1.0), math.log1p(2 / math.e))
        True
    """
    sh = _sharded_pair(
        first=("z1", z1),
        second=("z2", z2),
        all_first=all_z1,
        offset=offset,
        hyper={"temperature": temperature},
        sample_weight=sample_weight,
        reduction=reduction,
    )
    xp = sh.xp
    n, w = sh.local_a.shape[0], sh.every_b.shape[0]
    tau = _temperature(xp, temperature, sh.local_a)
    local = xp.concat([sh.local_a, sh.local_b], axis=0)
    every = xp.concat([sh.every_a, sh.every_b], axis=0)
    chunk = chunk_for(check_chunk_size(chunk_size), n)
    if chunk is not None:
        per_view = nt_xent_rows(
            xp, local, every, n=n, w=w, scale=1 / tau, offset=sh.offset, chunk=chunk
        )
    else:
        logits = scores(xp, local, every, similarity="cosine") / tau
        own = diagonal_targets(xp, logits, n=n, offset=sh.offset)  # global row of local sample
        self_index = xp.concat([own, own + w])  # (2N,): view 1 rows, then view 2 rows
        partner = xp.concat([own + w, own])
        cols = xp.arange(2 * w, dtype=self_index.dtype, device=device_of(logits))
        logits = xp.where(
            cols[None, :] == self_index[:, None], xp.full_like(logits, -float("inf")), logits
        )
        per_view = _ce_rows(xp, logits, partner)
    loss = (per_view[:n] + per_view[n:]) / 2
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=sh.out_dtype
    )


@sample_weighted
def supcon_loss(
    features: Array,
    labels: Array,
    *,
    temperature: Any = 0.07,
    base_temperature: Any = 0.07,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Supervised contrastive loss (Khosla et al. 2020), :math:`\mathcal L^{sup}_{out}`: over
    all anchors :math:`a` (every view of every sample), with :math:`P(a)` the other views with
    the same label and :math:`s_{ab} = \cos/\tau`,

    In plain text: ``l_a = -(tau / tau_b) * mean_(p in P(a)) log_softmax(s[a, b != a])[p]``.

    .. math:: \ell_a = -\frac{\tau}{\tau_b}\,\frac{1}{|P(a)|} \sum_{p \in P(a)}
              \log \frac{e^{s_{ap}}}{\sum_{b \ne a} e^{s_{ab}}}

    Anchors without positives are left out of the mean (the paper's code divides by zero
    there). ``features`` is ``(N, D)`` or ``(N, V, D)`` (V views). The per-sample loss of
    sample i is the mean of its V anchors' losses (an anchor without positives counts 0, or
    NaN when its row of scores holds NaN), and ``"mean"`` is the mean over the anchors that
    have positives (0 when none has; NaN for an empty batch). Peer: pytorch-metric-learning
    ``SupConLoss`` (``temperature=0.1``, no base temperature: equal to ours with
    ``base_temperature=temperature``).

    ``chunk_size`` (an int): the similarity matrix is walked in ``chunk_size × chunk_size``
    tiles with a running log-sum-exp, and the backward pass recomputes each tile: memory O((N +
    M)·D + chunk_size²) instead of O(N·M), with the dense path's value and gradients
    (README.md, "Large batches"). ``None`` (the default): the dense matrix.

    Args:
        features: ``(N, D)`` or ``(N, V, D)`` floating embeddings (V views per sample).
        labels: ``(N,)`` integer class labels.
        temperature: :math:`\tau > 0`, a float or a 0-d array. Default ``0.07``, the default of
            ``SupConLoss`` in the authors' PyTorch code (HobbitLong/SupContrast); the paper's runs
            used ``0.1`` (see "Paper settings").
        base_temperature: :math:`\tau_b > 0`, a float or a 0-d array. Default ``0.07``, as that
            ``SupConLoss`` (the loss is scaled by :math:`\tau / \tau_b`).
        chunk_size: tile size of the chunked (memory-bounded) path, an int ``>= 1``. Default
            ``None``: the dense similarity matrix (see above).
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - P. Khosla, P. Teterwak, C. Wang, A. Sarna, Y. Tian, P. Isola, A. Maschinot, C. Liu and
          D. Krishnan (2020), "Supervised Contrastive Learning", NeurIPS. arXiv:2004.11362.
        - ``chunk_size``: Z. Cheng et al. (2024), "Breaking the Memory Barrier: Near Infinite Batch
          Size Scaling for Contrastive Loss" (Inf-CL). arXiv:2410.17243.
        - Peer implementation followed: pytorch-metric-learning ``SupConLoss``.

    .. rubric:: Paper settings

    - Khosla et al. (2020, arXiv:2004.11362) train with :math:`\tau = 0.1`: the authors'
      TensorFlow code, whose scripts hold "the values we used for the papers"
      (google-research/google-research ``supcon/README.md``), sets ``--temperature=0.1`` for
      ImageNet and CIFAR-10 (``supcon/scripts/supcon_*.sh``), and their PyTorch code
      (HobbitLong/SupContrast) is run with ``--temp 0.1`` in its README. Eq. 2
      (:math:`\mathcal L^{sup}_{out}`) has no :math:`\tau / \tau_b` factor
      (:math:`\tau_b = \tau`), while the TensorFlow code multiplies the loss by :math:`\tau`
      (``scale_by_temperature=True`` in ``supcon/scripts/configs.sh``), i.e.
      :math:`\tau_b = 1`. Our default is ``temperature=0.07, base_temperature=0.07`` (the
      PyTorch ``SupConLoss`` defaults): ``temperature=0.1, base_temperature=0.1`` gives Eq. 2 at
      the paper's temperature, ``temperature=0.1, base_temperature=1.0`` the TensorFlow code's
      scaled loss.

    Example:
        >>> import numpy as np, math
        >>> f = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        >>> # anchors 0 and 1 each have one positive (cos 1) and one negative (cos 0)
        >>> math.isclose(supcon_loss(f, np.array([0, 0, 1]), temperature=1.0,
        ...                          base_temperature=1.0), math.log1p(1 / math.e))
        True
    """
    xp, out_dtype, dtype = prepare(
        "features",
        features,
        reduction=reduction,
        hyper={"temperature": temperature, "base_temperature": base_temperature},
        labels=labels,
        sample_weight=sample_weight,
    )
    if features.ndim not in (2, 3):
        raise ValueError(
            f"features must have shape (N, D) or (N, V, D); got {tuple(features.shape)}"
        )
    n = features.shape[0]
    if tuple(labels.shape) != (n,):
        raise ValueError(f"labels must have shape ({n},); got {tuple(labels.shape)}")
    if not xp.isdtype(labels.dtype, ("integral", "bool")):
        raise TypeError(f"labels must be integer class labels; got dtype {labels.dtype}")
    check_sample_weight(xp, sample_weight, (n,))
    f = as_dtype(xp, features, dtype)
    views = 1 if f.ndim == 2 else f.shape[1]
    if f.ndim == 3:  # view-major, as the paper's code: [view 0 of all; view 1 of all; ...]
        f = xp.reshape(xp.permute_dims(f, (1, 0, 2)), (n * views, f.shape[2]))
    tau = _temperature(xp, temperature, f)
    tau_b = _temperature(xp, base_temperature, f, name="base_temperature")
    lab = xp.concat([labels] * views) if views > 1 else labels
    chunk = chunk_for(check_chunk_size(chunk_size), n)
    if chunk is not None:
        mean_pos, count, lse = supcon_rows(xp, f, lab, scale=1 / tau, chunk=chunk)
        # an anchor without positives counts 0, or NaN when its row of scores holds NaN (its
        # log-sum-exp is NaN then; -inf when the anchor is alone)
        seen = xp.where(lse == -float("inf"), xp.zeros_like(lse), lse)
    else:
        logits = scores(xp, f, f, similarity="cosine") / tau
        m = n * views
        self_mask = xp.eye(m, dtype=xp.bool, device=device_of(logits))
        logits = xp.where(self_mask, xp.full_like(logits, -float("inf")), logits)
        log_prob = log_softmax(xp, logits, axis=1)
        positives = (lab[:, None] == lab[None, :]) & ~self_mask
        count = xp.sum(xp.astype(positives, log_prob.dtype), axis=1)
        safe_log_prob = xp.where(positives, log_prob, xp.zeros_like(log_prob))
        mean_pos = xp.sum(safe_log_prob, axis=1) / xp.where(count > 0, count, xp.ones_like(count))
        # 0 where the anchor has no positive: 0·(its row of scores) there, so that NaN shows
        seen = xp.sum(xp.where(self_mask, xp.zeros_like(logits), logits), axis=1)
    has = count > 0
    anchor_loss = -(tau / tau_b) * mean_pos + xp.where(has, xp.zeros_like(seen), 0 * seen)
    # per sample: the mean of its V anchors' losses; the mean's normaliser counts only the
    # anchors with positives, so "mean" is the mean over those anchors
    per_sample = xp.sum(xp.reshape(anchor_loss, (views, n)), axis=0) / views
    with_positives = xp.sum(xp.reshape(xp.astype(has, per_sample.dtype), (views, n)), axis=0)
    return reduce_loss(
        xp,
        per_sample,
        reduction=reduction,
        sample_weight=sample_weight,
        out_dtype=out_dtype,
        norm=with_positives / views,
    )


@renamed(weight="sample_weight", positive="positives")
def entropy_adaptive_info_nce(
    query: Array,
    positives: Array,
    *,
    min_temperature: float = 0.02,
    max_temperature: float = 0.2,
    return_temperature: bool = False,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Any:
    r"""InfoNCE with in-batch negatives whose temperature is set by the batch itself, under
    ``stop_gradient`` (a loss of this library; no peer implements it):

    In plain text: ``h`` = mean row entropy of ``softmax(cos(q_i, P) / tau_max)`` over
    ``log N``, ``o`` = mean ``|cos(p_i, p_j)|`` over ``i != j``, and
    ``tau = tau_min + (tau_max - tau_min) * (h + o) / 2``.

    .. math:: h = \frac{1}{N \log N} \sum_i H\big(\mathrm{softmax}(\cos(q_i, P)/\tau_{max})\big),
              \quad o = \frac{1}{N(N-1)} \sum_{i \ne j} |\cos(p_i, p_j)|,
              \quad \tau = \tau_{min} + (\tau_{max} - \tau_{min})\,\frac{h + o}{2}

    then :math:`\ell_i = -\log \mathrm{softmax}(\cos(q_i, P)/\tau)_i`. Uncertain (high
    entropy) or entangled (similar positives) batches get a soft temperature, confident and
    spread-out ones a sharp one; no gradient flows through :math:`\tau`. With
    ``return_temperature=True`` the result is ``(loss, tau)``, ``tau`` a 0-d array.

    Args:
        query: ``(N, D)`` floating, ``N >= 2`` (N = 1 is a ValueError; an empty batch, N = 0,
            gives NaN for ``"mean"``, 0 for ``"sum"``, an empty ``"none"``, and a NaN ``tau``:
            there is no batch to set it).
        positives: ``(N, D)`` floating, each query's positive.
        min_temperature: :math:`\tau_{min} > 0`, the sharpest temperature. Default ``0.02``.
        max_temperature: :math:`\tau_{max} \ge \tau_{min}`, the softest temperature. Default
            ``0.2``.
        return_temperature: also return the temperature. Default ``False``.
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss as :func:`info_nce` (a 0-d array, or ``(N,)`` for
        ``reduction="none"``); with ``return_temperature=True`` the tuple ``(loss, tau)``,
        ``tau`` a 0-d array.

    References:
        - No paper: defined by this library (docs/spec.md); no peer implementation.
        - A. van den Oord, Y. Li and O. Vinyals (2018), "Representation Learning with Contrastive
          Predictive Coding". arXiv:1807.03748. (the loss at fixed temperature).

    Example:
        >>> import numpy as np
        >>> loss, tau = entropy_adaptive_info_nce(np.eye(3), np.eye(3), return_temperature=True)
        >>> bool(0.02 <= float(tau) <= 0.2)
        True
    """
    xp, out_dtype, q, p = _paired_batch(
        first=("query", query),
        second=("positives", positives),
        sample_weight=sample_weight,
        reduction=reduction,
    )
    n = query.shape[0]
    if n == 1:
        raise ValueError(
            f"entropy_adaptive_info_nce needs at least 2 rows (the entropy is "
            f"normalised by log N); got {n}"
        )
    min_temperature = number("min_temperature", min_temperature, low=0.0, low_inclusive=False)
    max_temperature = number("max_temperature", max_temperature, low=0.0, low_inclusive=False)
    return_temperature = flag("return_temperature", return_temperature)
    if not min_temperature <= max_temperature:
        raise ValueError(
            f"min_temperature ({min_temperature}) must not exceed max_temperature "
            f"({max_temperature})"
        )
    cos = scores(xp, q, p, similarity="cosine")
    if n == 0:  # nothing sets the temperature: NaN (an empty batch's mean is NaN too)
        tau = const(xp, float("nan"), cos)
        loss = _ce_rows(xp, cos, diagonal_targets(xp, cos, n=n, offset=0))
        result = reduce_loss(
            xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
        )
        return (result, finalize(xp, tau, out_dtype)) if return_temperature else result
    fixed = stop_gradient(xp, cos)
    log_p = log_softmax(xp, fixed / max_temperature, axis=1)
    entropy = -xp.sum(xp.exp(log_p) * log_p, axis=1)
    h = xp.mean(entropy) / math.log(n)
    pp = stop_gradient(xp, scores(xp, p, p, similarity="cosine"))
    off_diagonal = ~xp.eye(n, dtype=xp.bool, device=device_of(pp))
    o = xp.sum(xp.where(off_diagonal, xp.abs(pp), xp.zeros_like(pp))) / (n * (n - 1))
    tau = min_temperature + (max_temperature - min_temperature) * (h + o) / 2
    loss = _ce_rows(xp, cos / tau, diagonal_targets(xp, cos, n=n, offset=0))
    result = reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )
    if return_temperature:
        return result, finalize(xp, tau, out_dtype)
    return result
