"""Embedding losses over pairs and triplets: contrastive (Hadsell et al.), online contrastive,
triplet margin, cosine embedding, CoSENT and AnglE.

Embeddings are ``(..., D)`` arrays with the embedding on the last axis; labels and per-sample
losses have the batch shape ``(...)``. Conventions as everywhere (prediction first,
hyperparameters keyword-only, ``sample_weight``/``reduction`` where a per-sample loss exists).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .._backend import (
    Array,
    Namespace,
    as_dtype,
    const,
    finalize,
    logsumexp,
    stop_gradient,
    suffix_logsumexp,
)
from .._ops import (
    euclidean_norm,
    normalize,
    p_norm,
    reduce_loss,
    rowwise_cosine,
)
from .._validate import (
    NO_REDUCTION,
    check_floating,
    check_option,
    check_same_shape,
    check_sample_weight,
    check_values,
    flag,
    hyperparameter,
    number,
    options,
    prepare,
    renamed,
    sample_weighted,
)
from ..typing import Distance, Reduction

__all__ = [
    "angle_loss",
    "contrastive_loss",
    "cosent_loss",
    "cosine_embedding_loss",
    "online_contrastive_loss",
    "triplet_margin_loss",
]

DISTANCES: tuple[str, ...] = options(Distance)


class _Embeddings(NamedTuple):
    xp: Namespace
    embeddings: list[Array]  # cast to the compute dtype, in the order given
    label: Any  # cast to the compute dtype; None without a label
    out_dtype: Any


def _embeddings(
    names: dict[str, Array],
    *,
    label_name: str | None = None,
    label: Array | None = None,
    sample_weight: Array | None = None,
    reduction: Any,
    hyper: dict[str, Any] | None = None,
) -> _Embeddings:
    """Validate embeddings of one shape ``(..., D)`` and a label of the batch shape."""
    (first_name, first), *rest = names.items()
    others = dict(rest)
    if label_name is not None:
        others[label_name] = label
    xp, out_dtype, dtype = prepare(
        first_name,
        first,
        reduction=reduction,
        hyper=hyper,
        **others,
        sample_weight=sample_weight,
    )
    if first.ndim < 1:
        raise ValueError(f"{first_name} must have an embedding axis (..., D); got shape ()")
    for name, x in rest:
        check_same_shape(first_name, first, name, x)
        check_floating(xp, name, x)
    batch = tuple(first.shape[:-1])
    y = None
    if label is not None:
        if not xp.isdtype(label.dtype, ("real floating", "integral", "bool")):
            raise TypeError(f"{label_name} must be real or boolean; got dtype {label.dtype}")
        if tuple(label.shape) != batch:
            raise ValueError(
                f"{label_name} must have the batch shape {batch} of {first_name}; "
                f"got {tuple(label.shape)}"
            )
        y = as_dtype(xp, label, dtype)
    check_sample_weight(xp, sample_weight, batch)
    return _Embeddings(xp, [as_dtype(xp, x, dtype) for x in names.values()], y, out_dtype)


def _distance(xp: Namespace, a: Array, b: Array, *, distance: Distance) -> Array:
    if distance == "euclidean":
        return euclidean_norm(xp, a - b)
    return 1 - rowwise_cosine(xp, a, b, axis=-1, eps=1e-8)


@sample_weighted
def contrastive_loss(
    a: Array,
    b: Array,
    label: Array,
    *,
    margin: Any = 1.0,
    distance: Distance = "euclidean",
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Contrastive loss of Hadsell, Chopra & LeCun (2006), ``label = 1`` for a similar pair:

    In plain text: ``l = y * d**2 / 2 + (1 - y) * max(0, m - d)**2 / 2``.

    .. math:: \ell = \tfrac12\,y\,d^2 + \tfrac12\,(1-y)\,\max(0, m - d)^2

    with :math:`d = \lVert a - b \rVert_2` (``distance="euclidean"``) or :math:`1 - \cos(a, b)`
    (``"cosine"``). Soft labels in [0, 1] weight the two terms, as sentence-transformers does.
    Peer: sentence-transformers ``ContrastiveLoss`` (cosine distance, ``margin=0.5``, mean;
    its Euclidean distance is torch's ``pairwise_distance``, which adds ``1e-6`` to the
    difference: we do not). pytorch-metric-learning's ``ContrastiveLoss`` is another loss
    (unsquared hinge terms with two margins).

    NaN in an embedding or a label gives NaN for that pair; an empty batch gives NaN for
    ``"mean"``.

    Args:
        a: ``(..., D)`` floating embeddings, the first of each pair.
        b: ``(..., D)`` floating, ``a``'s shape, the second of each pair.
        label: ``a.shape[:-1]``, 1 similar / 0 dissimilar (or bool; soft labels in [0, 1] weight
            the two terms).
        margin: :math:`m \ge 0`, a float or a 0-d array. Default ``1.0``, a unit margin for the
            Euclidean distance (sentence-transformers uses 0.5 with the cosine distance).
        distance: ``"euclidean"`` (default, the paper's) or ``"cosine"``.
        sample_weight: optional per-pair weights, broadcastable to ``a.shape[:-1]``. Default
            ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one loss
        per pair (``a.shape[:-1]``) for ``reduction="none"``.

    References:
        - R. Hadsell, S. Chopra and Y. LeCun (2006), "Dimensionality Reduction by Learning an
          Invariant Mapping", CVPR. DOI 10.1109/CVPR.2006.100.
        - Peer implementation followed: sentence-transformers ``ContrastiveLoss``.

    Example:
        >>> import numpy as np
        >>> a, b = np.array([[0.0, 0.0], [0.0, 0.0]]), np.array([[3.0, 4.0], [0.3, 0.4]])
        >>> contrastive_loss(a, b, np.array([1, 0]), reduction="none").tolist()
        [12.5, 0.125]
    """
    xp, (ea, eb), y, out_dtype = _embeddings(
        {"a": a, "b": b},
        label_name="label",
        label=label,
        sample_weight=sample_weight,
        reduction=reduction,
        hyper={"margin": margin},
    )
    check_option("distance", distance, DISTANCES)
    m = hyperparameter(xp, "margin", margin, ea, low=0.0)
    d = _distance(xp, ea, eb, distance=distance)
    hinge = xp.maximum(m - d, xp.zeros_like(d))
    loss = 0.5 * (y * d * d + (1 - y) * hinge * hinge)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def online_contrastive_loss(
    a: Array,
    b: Array,
    label: Array,
    *,
    margin: Any = 0.5,
    distance: Distance = "cosine",
    sample_weight: Array | None = None,
    reduction: Reduction = "sum",
) -> Array:
    r"""Online contrastive loss (sentence-transformers ``OnlineContrastiveLoss``, the peer):
    only hard pairs count, and their losses are **summed** (the default ``reduction="sum"``).

    Hard positives (:math:`y = 1`) are farther than the closest negative,
    :math:`d > \min_{neg} d`; hard negatives (:math:`y = 0`) are closer than the farthest
    positive, :math:`d < \max_{pos} d`. When the batch has no negative (positive), the mean
    positive (negative) distance is the threshold instead, as in sentence-transformers 6.2.
    A hard positive adds :math:`d^2`, a hard negative :math:`\max(0, m - d)^2` (no ½, unlike
    :func:`contrastive_loss`). The thresholds are taken under ``stop_gradient`` (they are
    selections, as the peer's boolean indexing). ``reduction="none"`` gives the per-pair loss
    (0 for pairs that are not hard); ``"mean"`` divides the sum by the number of pairs.
    Labels other than 0 and 1 match neither set and are ignored. ``margin >= 0``.

    A pair whose hardness is unknown gives NaN: a NaN label, a NaN distance of a labelled
    pair, and every pair compared with a NaN threshold (all negatives when a positive's
    distance is NaN, and the other way round). An empty batch gives NaN for ``"mean"``, 0 for
    ``"sum"``.

    Args:
        a: ``(..., D)`` floating embeddings, the first of each pair.
        b: ``(..., D)`` floating, ``a``'s shape, the second of each pair.
        label: ``a.shape[:-1]``, 1 similar / 0 dissimilar (or bool); other values are ignored.
        margin: :math:`m \ge 0`, a float or a 0-d array. Default ``0.5``, as sentence-transformers.
        distance: ``"cosine"`` (default, as sentence-transformers) or ``"euclidean"``.
        sample_weight: optional per-pair weights, broadcastable to ``a.shape[:-1]``. Default
            ``None``.
        reduction: ``"sum"`` (default, as the peer), ``"mean"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one loss
        per pair (``a.shape[:-1]``) for ``reduction="none"``.

    References:
        - R. Hadsell, S. Chopra and Y. LeCun (2006), "Dimensionality Reduction by Learning an
          Invariant Mapping", CVPR. DOI 10.1109/CVPR.2006.100. (the loss of each pair).
        - Peer implementation followed: sentence-transformers ``OnlineContrastiveLoss``.

    Example:
        >>> import numpy as np
        >>> a = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
        >>> b = np.array([[0.0, 1.0], [1.0, 0.1], [1.0, 1.0]])
        >>> round(float(online_contrastive_loss(a, b, np.array([1, 0, 0]))), 6)  # all three hard
        1.287955
    """
    xp, (ea, eb), y, out_dtype = _embeddings(
        {"a": a, "b": b},
        label_name="label",
        label=label,
        sample_weight=sample_weight,
        reduction=reduction,
        hyper={"margin": margin},
    )
    check_option("distance", distance, DISTANCES)
    m = hyperparameter(xp, "margin", margin, ea, low=0.0)
    d = _distance(xp, ea, eb, distance=distance)
    pos, neg = y == 1, y == 0
    dd = stop_gradient(xp, d)
    zero = xp.zeros_like(dd)
    n_pos = xp.sum(xp.astype(pos, dd.dtype))
    n_neg = xp.sum(xp.astype(neg, dd.dtype))
    mean_pos = xp.sum(xp.where(pos, dd, zero)) / xp.where(n_pos > 0, n_pos, xp.ones_like(n_pos))
    mean_neg = xp.sum(xp.where(neg, dd, zero)) / xp.where(n_neg > 0, n_neg, xp.ones_like(n_neg))
    # flattened with a ∓inf sentinel: max/min of an empty batch raise on every backend
    inf = const(xp, math.inf, dd)
    flat, fpos, fneg = (xp.reshape(v, (-1,)) for v in (dd, pos, neg))
    max_pos = xp.max(xp.concat([xp.where(fpos, flat, -inf), xp.reshape(-inf, (1,))]))
    min_neg = xp.min(xp.concat([xp.where(fneg, flat, inf), xp.reshape(inf, (1,))]))
    max_pos = xp.where(n_pos > 0, max_pos, mean_neg)
    min_neg = xp.where(n_neg > 0, min_neg, mean_pos)
    hard_pos = pos & (dd > min_neg)
    hard_neg = neg & (dd < max_pos)
    hinge = xp.maximum(m - d, zero)
    loss = xp.where(hard_pos, d * d, zero) + xp.where(hard_neg, hinge * hinge, zero)
    # comparisons with NaN are False, which would call such a pair "not hard" (loss 0)
    unknown = (
        xp.isnan(y)
        | ((pos | neg) & xp.isnan(dd))
        | (pos & xp.isnan(min_neg))
        | (neg & xp.isnan(max_pos))
    )
    loss = xp.where(unknown, const(xp, math.nan, loss), loss)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def triplet_margin_loss(
    anchor: Array,
    positive: Array,
    negative: Array,
    *,
    margin: Any = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    distance: Distance = "euclidean",
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Triplet margin loss, :math:`\ell = \max(d(a, p) - d(a, n) + m, 0)`.

    ``distance="euclidean"`` follows ``torch.nn.functional.triplet_margin_loss`` exactly (the
    peer): :math:`d(x, y) = \lVert x - y + \epsilon \rVert_p` (torch adds ``eps`` to the
    difference), and ``swap=True`` uses :math:`\min(d(a, n), d(p, n))` (Balntas et al. 2016).
    ``p = inf`` is :math:`\max |x - y + \epsilon|`, as torch. ``"cosine"``:
    :math:`d = 1 - \cos`; ``p`` and ``eps`` apply to ``"euclidean"`` only, and other values
    than their defaults raise a ValueError with ``"cosine"``. ``margin > 0`` (as torch).
    Other peers differ by design: optax's
    ``triplet_margin_loss`` puts ``eps`` inside the norm, :math:`(\sum |x-y|^p + \epsilon)^{1/p}`;
    sentence-transformers' ``TripletLoss`` uses the exact norm and ``margin=5``.
    Schroff et al. (2015), FaceNet.

    Args:
        anchor: ``(..., D)`` floating embeddings.
        positive: ``anchor``'s shape, floating.
        negative: ``anchor``'s shape, floating.
        margin: :math:`m > 0`, a float or a 0-d array. Default ``1.0``, as torch.
        p: the norm's order (``inf`` allowed), ``"euclidean"`` only. Default ``2.0``, as torch.
        eps: added to the difference before the norm, ``"euclidean"`` only. Default ``1e-6``, as
            torch.
        swap: use :math:`\min(d(a, n), d(p, n))` as the negative distance. Default ``False``.
        distance: ``"euclidean"`` (default, as torch) or ``"cosine"``.
        sample_weight: optional per-triplet weights, broadcastable to ``anchor.shape[:-1]``.
            Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one loss
        per triplet (``anchor.shape[:-1]``) for ``reduction="none"``.

    References:
        - F. Schroff, D. Kalenichenko and J. Philbin (2015), "FaceNet: A Unified Embedding for Face
          Recognition and Clustering", CVPR. arXiv:1503.03832.
        - ``swap``: V. Balntas, E. Riba, D. Ponsa and K. Mikolajczyk (2016), "Learning local feature
          descriptors with triplets and shallow convolutional neural networks", BMVC.
          DOI 10.5244/C.30.119.
        - Peer implementation followed: ``torch.nn.functional.triplet_margin_loss``.

    .. rubric:: Paper settings

    - FaceNet (Schroff et al. 2015, arXiv:1503.03832) sets the margin to 0.2 (Section 3.3) and
      constrains the embeddings to the unit hypersphere, :math:`\lVert f(x) \rVert_2 = 1`, with
      the squared Euclidean distance in the loss (Section 3.1); our default is ``margin=1.0`` (as
      torch) with the unsquared distance and no normalisation: pass L2-normalised embeddings
      and ``margin=0.2`` for the paper's margin.

    Example:
        >>> import numpy as np
        >>> a, p, n = np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]), np.array([[1.0, 0.0]])
        >>> float(triplet_margin_loss(a, p, n, eps=0.0))
        5.0
    """
    xp, (ea, ep, en), _, out_dtype = _embeddings(
        {"anchor": anchor, "positive": positive, "negative": negative},
        sample_weight=sample_weight,
        reduction=reduction,
        hyper={"margin": margin},
    )
    check_option("distance", distance, DISTANCES)
    m = hyperparameter(xp, "margin", margin, ea, low=0.0, low_inclusive=False)
    eps = number("eps", eps, low=0.0)
    p = number("p", p, low=0.0, low_inclusive=False, allow_inf=True)
    swap = flag("swap", swap)
    if distance == "cosine" and (p != 2.0 or eps != 1e-6):
        raise ValueError(
            f"p and eps apply to distance='euclidean' only; got p={p}, eps={eps} "
            "with distance='cosine'"
        )
    if distance == "euclidean":

        def dist(x: Array, z: Array) -> Array:
            return p_norm(xp, x - z + eps, p)
    else:

        def dist(x: Array, z: Array) -> Array:
            return _distance(xp, x, z, distance="cosine")

    d_ap, d_an = dist(ea, ep), dist(ea, en)
    if swap:
        d_an = xp.minimum(d_an, dist(ep, en))
    loss = xp.maximum(d_ap - d_an + m, xp.zeros_like(d_ap))
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def cosine_embedding_loss(
    a: Array,
    b: Array,
    target: Array,
    *,
    margin: Any = 0.0,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Cosine embedding loss (torch semantics, the peer
    ``torch.nn.functional.cosine_embedding_loss``):

    In plain text: ``l = 1 - cos(a, b)`` for ``y = 1``, ``max(0, cos(a, b) - m)`` for ``y = -1``.

    .. math:: \ell = \begin{cases} 1 - \cos(a, b) & y = 1 \\ \max(0, \cos(a, b) - m) & y = -1
              \end{cases}

    The cosine clamps each norm at ``1e-8`` (torch adds ``1e-12`` to each squared norm:
    identical unless a vector is almost zero). ``margin`` in ``[-1, 1]`` (torch's documented
    range). A NaN target gives NaN for its pair (other values than ±1 raise, eagerly).

    Args:
        a: ``(..., D)`` floating embeddings, the first of each pair.
        b: ``(..., D)`` floating, ``a``'s shape, the second of each pair.
        target: ``a.shape[:-1]``, 1 (similar) or -1 (dissimilar).
        margin: :math:`m \in [-1, 1]`, a float or a 0-d array. Default ``0.0``, as torch.
        sample_weight: optional per-pair weights, broadcastable to ``a.shape[:-1]``. Default
            ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one loss
        per pair (``a.shape[:-1]``) for ``reduction="none"``.

    References:
        - No paper. Peer implementation followed: ``torch.nn.functional.cosine_embedding_loss``.

    Example:
        >>> import numpy as np
        >>> a, b = np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 1.0]])
        >>> cosine_embedding_loss(a, b, np.array([1, -1]), reduction="none").round(6).tolist()
        [0.292893, 0.707107]
    """
    xp, (ea, eb), y, out_dtype = _embeddings(
        {"a": a, "b": b},
        label_name="target",
        label=target,
        sample_weight=sample_weight,
        reduction=reduction,
        hyper={"margin": margin},
    )
    m = hyperparameter(xp, "margin", margin, ea, low=-1.0, high=1.0)
    check_values(
        xp, (y == 1) | (y == -1) | xp.isnan(y), "target must hold 1 (similar) or -1 (dissimilar)"
    )
    cos = rowwise_cosine(xp, ea, eb, axis=-1, eps=1e-8)
    loss = xp.where(y == 1, 1 - cos, xp.maximum(cos - m, xp.zeros_like(cos)))
    loss = xp.where(xp.isnan(y), y, loss)  # a NaN target is neither 1 nor -1
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


def _ranked_logsumexp_loss(xp: Namespace, scaled: Array, target: Array) -> Array:
    r""":math:`\log(1 + \sum_{i,j:\ t_i > t_j} e^{c_j - c_i})` in :math:`O(N \log N)`.

    Sort by the label ``t``; for each j, the items with a strictly greater label form a suffix
    of the sorted order (found by ``searchsorted``), and :math:`\log \sum_i e^{-c_i}` over
    that suffix is a suffix log-sum-exp (``_backend.suffix_logsumexp``, the backends' native
    scan), so every term :math:`c_j + \log \sum_i e^{-c_i}` is formed in log space. Scores are
    sorted in their own dtype (float64 or integer gold similarities are not rounded to float32
    ties; booleans as 0/1);
    a NaN score makes the order undefined, so the loss is NaN. An empty batch gives ``log 1 = 0``.
    """
    t = as_dtype(xp, target, scaled.dtype) if xp.isdtype(target.dtype, "bool") else target
    order = xp.argsort(t, stable=True)
    t_sorted = xp.take(t, order, axis=0)
    c = xp.take(scaled, order, axis=0)
    start = xp.searchsorted(t_sorted, t_sorted, side="right")
    # a NaN makes the loss NaN (below); the scan runs on NaN-free values because NumPy's
    # logaddexp warns on NaN
    undefined = xp.any(xp.isnan(t)) | xp.any(xp.isnan(c))
    c = xp.where(xp.isnan(c), xp.zeros_like(c), c)
    one = (1,)
    log_above = xp.concat([suffix_logsumexp(xp, -c), xp.reshape(const(xp, -math.inf, c), one)])
    terms = xp.concat([xp.reshape(const(xp, 0.0, c), one), c + xp.take(log_above, start, axis=0)])
    loss = logsumexp(xp, terms, axis=0)
    return xp.where(undefined, const(xp, math.nan, loss), loss)


def _cosent_inputs(
    a: Array, b: Array, target: Array, scale: Any
) -> tuple[Namespace, Array, Array, Any, Any]:
    xp, (ea, eb), _, out_dtype = _embeddings(
        {"a": a, "b": b},
        label_name="target",
        label=target,
        reduction=NO_REDUCTION,
        hyper={"scale": scale},
    )
    if ea.ndim != 2:
        raise ValueError(f"a must have shape (N, D); got {tuple(a.shape)}")
    k = hyperparameter(xp, "scale", scale, ea, low=0.0, low_inclusive=False)
    return xp, ea, eb, k, out_dtype


@renamed(scores="target")
def cosent_loss(a: Array, b: Array, target: Array, *, scale: Any = 20.0) -> Array:
    r"""CoSENT (Huang et al. 2024): for pairs ``(a_i, b_i)`` with gold similarity ``target``,

    In plain text: ``l = log(1 + sum over pairs (i, j) with t_i > t_j of
    exp(scale * (cos_j - cos_i)))``.

    .. math:: \ell = \log\Big(1 + \sum_{i,j:\ t_i > t_j} e^{\lambda(\cos_j - \cos_i)}\Big)

    with :math:`\lambda` = ``scale`` and :math:`\cos_i = \cos(a_i, b_i)`. Computed in
    :math:`O(N \log N)` (sort, ``searchsorted``, suffix log-sum-exp), never the
    :math:`N \times N` matrix. A single value for the batch: the pairs are coupled in one
    log-sum-exp, so there is no per-sample loss, ``sample_weight`` or ``reduction``. Peer:
    sentence-transformers ``CoSENTLoss`` (``scale=20``; the same algorithm since 6.x). Every
    term stays in log space, so float32 keeps float64's accuracy at any ``scale > 0`` (100,
    1000). A NaN in an embedding or a target gives NaN; an empty batch gives 0 (as the peer).

    Args:
        a: ``(N, D)`` floating embeddings, the first of each pair.
        b: ``(N, D)`` floating, the second of each pair.
        target: ``(N,)`` gold similarities (any real or boolean values; only their order counts).
        scale: :math:`\lambda > 0`, a float or a 0-d array. Default ``20.0``, as
            sentence-transformers.

    Returns:
        A 0-d array in the embeddings' floating dtype (one value for the batch).

    References:
        - J. Su (2022), CoSENT blog post (in Chinese): https://kexue.fm/archives/8847
        - X. Huang, H. Peng, D. Zou, Z. Liu, J. Li, K. Liu, J. Wu, J. Su and P. S. Yu (2024),
          "CoSENT: Consistent Sentence Embedding via Similarity Ranking", IEEE/ACM Transactions on
          Audio, Speech and Language Processing 32, 2800-2813.
        - Peer implementation followed: sentence-transformers ``CoSENTLoss``.

    Example:
        >>> import numpy as np, math
        >>> a, b = np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
        >>> # the pair with the higher gold score already has the higher cosine
        >>> float(cosent_loss(a, b, np.array([1.0, 0.0]), scale=1.0)) == math.log1p(math.exp(-1))
        True
    """
    xp, ea, eb, k, out_dtype = _cosent_inputs(a, b, target, scale)
    cos = rowwise_cosine(xp, ea, eb, axis=-1, eps=1e-8)
    return finalize(xp, _ranked_logsumexp_loss(xp, k * cos, target), out_dtype)


@renamed(scores="target")
def angle_loss(a: Array, b: Array, target: Array, *, scale: Any = 20.0) -> Array:
    r"""AnglE (Li & Li 2023): :func:`cosent_loss` with the angle similarity in place of the
    cosine. With :math:`\hat a, \hat b` L2-normalised (clamped at ``1e-12``, as
    ``torch.nn.functional.normalize``) and split into halves :math:`(u, v)` (a zero column is
    appended when ``D`` is odd),

    In plain text: ``sim(a, b) = |a_hat . b_hat + sum(v_a * u_b - u_a * v_b)|``.

    .. math:: \mathrm{sim}(a, b) = \big|\hat a \cdot \hat b + \sum (v_a u_b - u_a v_b)\big|

    which is sentence-transformers' ``pairwise_angle_sim`` (the real form of AnglE's
    complex-division angle). Peer: sentence-transformers ``AnglELoss`` (``scale=20``). Large
    scales, NaN and the empty batch as :func:`cosent_loss`.

    Args:
        a: ``(N, D)`` floating embeddings, the first of each pair.
        b: ``(N, D)`` floating, the second of each pair.
        target: ``(N,)`` gold similarities (any real or boolean values; only their order counts).
        scale: :math:`\lambda > 0`, a float or a 0-d array. Default ``20.0``, as
            sentence-transformers.

    Returns:
        A 0-d array in the embeddings' floating dtype (one value for the batch).

    References:
        - X. Li and J. Li (2023), "AnglE-optimized Text Embeddings". arXiv:2309.12871.
        - J. Su (2022), CoSENT blog post (in Chinese): https://kexue.fm/archives/8847
        - Peer implementation followed: sentence-transformers ``AnglELoss``.

    Example:
        >>> import numpy as np, math
        >>> a, b = np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
        >>> # cosine 1 vs 0, but both pairs have angle similarity 1: one tie, log(1 + e^0)
        >>> float(angle_loss(a, b, np.array([1.0, 0.0]), scale=1.0)) == math.log(2)
        True
    """
    xp, ea, eb, k, out_dtype = _cosent_inputs(a, b, target, scale)
    if ea.shape[1] % 2:
        ea = xp.concat([ea, xp.zeros_like(ea[:, :1])], axis=1)
        eb = xp.concat([eb, xp.zeros_like(eb[:, :1])], axis=1)
    na = normalize(xp, ea, axis=1, eps=1e-12)
    nb = normalize(xp, eb, axis=1, eps=1e-12)
    half = ea.shape[1] // 2
    cos = xp.sum(na * nb, axis=1)
    sin = xp.sum(na[:, half:] * nb[:, :half] - na[:, :half] * nb[:, half:], axis=1)
    sim = xp.abs(cos + sin)
    return finalize(xp, _ranked_logsumexp_loss(xp, k * sim, target), out_dtype)
