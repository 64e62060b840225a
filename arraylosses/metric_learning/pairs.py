"""Pair losses: each anchor (a row of ``embeddings``) is scored against every other row with
its label (positives) and with another label (negatives).

Several devices: ``all_embeddings`` ``(W, D)`` and ``all_labels`` ``(W,)`` hold every
device's rows, this device's N rows at ``offset`` (an int, a NumPy integer or a 0-d integer
array: ``jax.lax.axis_index(...) * N`` inside ``shard_map``); anchor ``i`` is scored against
the W rows except its own, ``offset + i``. ``f(x[a:b], y[a:b], all_embeddings=x,
all_labels=y, offset=a, reduction="none")`` equals ``f(x, y, reduction="none")[a:b]``. This is
not PML's ``ref_emb``, which drops no self pair.
"""

from __future__ import annotations

import math
from typing import Any

from .._backend import Array, Namespace, logaddexp, softplus, stop_gradient
from .._ops import normalize as unit_rows
from .._ops import reduce_loss, sqrt_at_zero
from .._validate import flag, hyperparameter, number, sample_weighted
from ..contrastive._common import Offset
from ..typing import Reduction
from ._common import cosines, log1p_sum, masked_logsumexp, pair_inputs, seen

__all__ = [
    "circle_loss",
    "generalized_lifted_structure_loss",
    "lifted_structure_loss",
    "multi_similarity_loss",
]


def _real(xp: Namespace, name: str, value: Any, like: Array, **bounds: Any) -> Any:
    return hyperparameter(xp, name, value, like, **bounds)


def _positive(xp: Namespace, name: str, value: Any, like: Array) -> Any:
    return hyperparameter(xp, name, value, like, low=0.0, low_inclusive=False)


@sample_weighted
def circle_loss(
    embeddings: Array,
    labels: Array,
    *,
    margin: Any = 0.4,
    gamma: Any = 80.0,
    all_embeddings: Array | None = None,
    all_labels: Array | None = None,
    offset: Offset = 0,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Circle loss with pair-wise labels (Sun et al. 2020). With :math:`s_{ij}` the cosine of
    anchor i and row j, :math:`P(i)` the other rows with its label and :math:`N(i)` the rows
    with another, the weights :math:`\alpha_p = [1 + m - s]_+` and :math:`\alpha_n = [s +
    m]_+` (under stop-gradient, as the authors' code and PML), :math:`\Delta_p = 1 - m` and
    :math:`\Delta_n = m`:

    In plain text: ``l_i = softplus(LSE_(j in P(i)) (-γ α_p (s_ij - Δ_p)) + LSE_(j in N(i))
    (γ α_n (s_ij - Δ_n)))``, and 0 where P(i) or N(i) is empty.

    .. math:: \ell_i = \log\Big(1 + \sum_{j \in P(i)} e^{-\gamma \alpha_p (s_{ij} - \Delta_p)}
              \sum_{k \in N(i)} e^{\gamma \alpha_n (s_{ik} - \Delta_n)}\Big)

    An anchor with no positive or no negative is not valid: its loss is 0 and ``"mean"``
    (``Σ w_i l_i / Σ_{valid} w_i``) leaves it out, as PML's ``AvgNonZeroReducer`` and Keras'
    masked mean do; 0 when no anchor is valid, NaN for an empty batch. Peers:
    pytorch-metric-learning ``CircleLoss(m=m, gamma=γ)`` (values and gradients); Keras 3
    ``keras.losses.circle`` on unit rows (values; it does not stop the gradient through the
    weights, and with ``ref_embeddings`` it removes entry ``(i, i)``, right only at offset 0).

    Args:
        embeddings: ``(N, D)`` floating embeddings (this device's anchors).
        labels: ``(N,)`` integer class labels.
        margin: :math:`m \ge 0`, a float or a 0-d array. Default ``0.4`` (PML, Keras; the
            paper's fine-grained retrieval setting).
        gamma: :math:`\gamma > 0`, a float or a 0-d array. Default ``80.0`` (PML, Keras).
        all_embeddings: optional ``(W, D)`` embeddings gathered from every device (this
            device's at ``offset``). Default ``None``: the batch.
        all_labels: ``(W,)`` labels of ``all_embeddings`` (given with it). Default ``None``.
        offset: global index of this device's first row, an int, a NumPy integer or a 0-d
            integer array, in ``[0, W - N]``. Default ``0``.
        sample_weight: optional ``(N,)`` per-anchor weights. Default ``None``.
        reduction: ``"mean"`` (default, over the valid anchors), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - Y. Sun, C. Cheng, Y. Zhang, C. Zhang, L. Zheng, Z. Wang and Y. Wei (2020), "Circle
          Loss: A Unified Perspective of Pair Similarity Optimization", CVPR.
          arXiv:2002.10857.
        - Peer implementations followed: pytorch-metric-learning ``CircleLoss``, Keras 3
          ``keras.losses.Circle``.

    Example:
        >>> import numpy as np, math
        >>> x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        >>> # anchors 0, 1: positive s = 1 (α_p = m, term -γ m²), negative s = 0 (α_n = m,
        >>> # term -γ m²); anchor 2 has no positive
        >>> got = circle_loss(x, np.array([0, 0, 1]), margin=0.5, gamma=1.0, reduction="none")
        >>> np.allclose(got, [math.log1p(math.exp(-0.5)), math.log1p(math.exp(-0.5)), 0.0])
        True
    """
    pr = pair_inputs(
        embeddings,
        labels,
        all_embeddings=all_embeddings,
        all_labels=all_labels,
        offset=offset,
        hyper={"margin": margin, "gamma": gamma},
        sample_weight=sample_weight,
        reduction=reduction,
    )
    xp = pr.xp
    m = _real(xp, "margin", margin, pr.x, low=0.0)
    g = _positive(xp, "gamma", gamma, pr.x)
    s = cosines(xp, pr.x, pr.refs)
    sd = stop_gradient(xp, s)
    zero = xp.zeros_like(s)
    alpha_p = xp.maximum(1 + m - sd, zero)
    alpha_n = xp.maximum(sd + m, zero)
    lse_p = masked_logsumexp(xp, -g * alpha_p * (s - (1 - m)), pr.positive, empty=0.0)
    lse_n = masked_logsumexp(xp, g * alpha_n * (s - m), pr.negative, empty=0.0)
    valid = xp.any(pr.positive, axis=1) & xp.any(pr.negative, axis=1)
    loss = softplus(xp, lse_p + lse_n)
    loss = xp.where(valid, loss, xp.zeros_like(loss)) + seen(xp, s)
    return reduce_loss(
        xp,
        loss,
        reduction=reduction,
        sample_weight=sample_weight,
        out_dtype=pr.out_dtype,
        norm=xp.astype(valid, loss.dtype),
    )


@sample_weighted
def multi_similarity_loss(
    embeddings: Array,
    labels: Array,
    *,
    alpha: Any = 2.0,
    beta: Any = 50.0,
    base: Any = 0.5,
    mining_margin: float | None = None,
    all_embeddings: Array | None = None,
    all_labels: Array | None = None,
    offset: Offset = 0,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Multi-Similarity loss (Wang et al. 2019). With :math:`s_{ij}` the cosine of anchor i
    and row j, :math:`P(i)` the other rows with its label, :math:`N(i)` the rows with another
    and :math:`\lambda` = ``base``:

    In plain text: ``l_i = (1/α) log(1 + Σ_(j in P'(i)) exp(-α(s_ij - λ)))
    + (1/β) log(1 + Σ_(j in N'(i)) exp(β(s_ij - λ)))``.

    .. math:: \ell_i = \frac{1}{\alpha} \log\Big(1 + \sum_{j \in P'(i)}
              e^{-\alpha (s_{ij} - \lambda)}\Big) + \frac{1}{\beta} \log\Big(1 +
              \sum_{j \in N'(i)} e^{\beta (s_{ij} - \lambda)}\Big)

    Without mining, :math:`P' = P` and :math:`N' = N`. With ``mining_margin`` :math:`\epsilon`
    (the paper's pair mining, PML's ``MultiSimilarityMiner``): :math:`P'(i) = \{j \in P(i) :
    s_{ij} - \epsilon < \max_{k \in N(i)} s_{ik}\}` and :math:`N'(i) = \{j \in N(i) : s_{ij} +
    \epsilon > \min_{k \in P(i)} s_{ik}\}` (strict, under stop-gradient; an empty
    :math:`N(i)` empties :math:`P'(i)` and the reverse). An anchor with only one kind of pair
    pays that term (the authors' code skips it). ``"mean"`` averages over all N anchors.
    Peer: pytorch-metric-learning ``MultiSimilarityLoss(alpha, beta, base)``, with mining
    ``loss(x, y, MultiSimilarityMiner(epsilon=ε)(x, y))``. PML returns 0 whenever every pair
    list has at most one entry (a mined batch left with one positive and one negative pair);
    we compute the loss.

    Args:
        embeddings: ``(N, D)`` floating embeddings (this device's anchors).
        labels: ``(N,)`` integer class labels.
        alpha: :math:`\alpha > 0`, a float or a 0-d array. Default ``2.0`` (PML, the paper).
        beta: :math:`\beta > 0`, a float or a 0-d array. Default ``50.0`` (PML; the authors'
            config uses 40).
        base: :math:`\lambda`, a float or a 0-d array. Default ``0.5`` (PML, the paper).
        mining_margin: :math:`\epsilon \ge 0`, a Python float, or ``None`` (default) for no
            mining (PML's loss alone; the authors' code mines with 0.1).
        all_embeddings: optional ``(W, D)`` embeddings gathered from every device (this
            device's at ``offset``). Default ``None``: the batch.
        all_labels: ``(W,)`` labels of ``all_embeddings`` (given with it). Default ``None``.
        offset: global index of this device's first row, an int, a NumPy integer or a 0-d
            integer array, in ``[0, W - N]``. Default ``0``.
        sample_weight: optional ``(N,)`` per-anchor weights. Default ``None``.
        reduction: ``"mean"`` (default, PML's ``MeanReducer``), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - X. Wang, X. Han, W. Huang, D. Dong and M. R. Scott (2019), "Multi-Similarity Loss
          with General Pair Weighting for Deep Metric Learning", CVPR. arXiv:1904.06627.
        - Peer implementation followed: pytorch-metric-learning ``MultiSimilarityLoss`` and
          ``MultiSimilarityMiner``.

    Example:
        >>> import numpy as np, math
        >>> x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        >>> got = multi_similarity_loss(x, np.array([0, 0, 1]), alpha=1.0, beta=1.0,
        ...                             base=0.0, reduction="none")
        >>> # anchors 0, 1: positive s = 1, negative s = 0; anchor 2: two negatives s = 0
        >>> np.allclose(got, [math.log1p(math.exp(-1)) + math.log(2)] * 2 + [math.log(3)])
        True
    """
    pr = pair_inputs(
        embeddings,
        labels,
        all_embeddings=all_embeddings,
        all_labels=all_labels,
        offset=offset,
        hyper={"alpha": alpha, "beta": beta, "base": base},
        sample_weight=sample_weight,
        reduction=reduction,
    )
    xp = pr.xp
    a = _positive(xp, "alpha", alpha, pr.x)
    b = _positive(xp, "beta", beta, pr.x)
    lam = _real(xp, "base", base, pr.x)
    s = cosines(xp, pr.x, pr.refs)
    positive, negative = pr.positive, pr.negative
    if mining_margin is not None:
        eps = number("mining_margin", mining_margin, low=0.0, expected="a Python float or None")
        if s.shape[1] > 0:
            sd = stop_gradient(xp, s)
            hardest_negative = xp.max(xp.where(negative, sd, xp.full_like(sd, -math.inf)), axis=1)
            easiest_positive = xp.min(xp.where(positive, sd, xp.full_like(sd, math.inf)), axis=1)
            positive = positive & (sd - eps < hardest_negative[:, None])
            negative = negative & (sd + eps > easiest_positive[:, None])
    pos = log1p_sum(xp, -a * (s - lam), positive, axis=1) / a
    neg = log1p_sum(xp, b * (s - lam), negative, axis=1) / b
    loss = pos + neg + seen(xp, s)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=pr.out_dtype
    )


def _distances(xp: Namespace, x: Array, refs: Array, *, normalized: bool) -> Array:
    """``(N, W)`` Euclidean distances (between unit rows when ``normalized``), from squared
    distances clamped at 0 behind a ``!= 0`` square-root guard: a duplicate row (distance 0)
    has a finite gradient, and NaN stays NaN."""
    if normalized:
        x, refs = unit_rows(xp, x), unit_rows(xp, refs)
    sq = (
        xp.sum(x * x, axis=1)[:, None]
        + xp.sum(refs * refs, axis=1)[None, :]
        - 2 * (x @ xp.permute_dims(refs, (1, 0)))
    )
    return sqrt_at_zero(xp, xp.maximum(sq, xp.zeros_like(sq)))


@sample_weighted
def lifted_structure_loss(
    embeddings: Array,
    labels: Array,
    *,
    neg_margin: Any = 1.0,
    pos_margin: Any = 0.0,
    normalize: bool = True,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Lifted structured loss (Oh Song et al. 2016). With :math:`D_{ij}` the Euclidean
    distance (between L2-normalised rows when ``normalize``), for each ordered positive pair
    :math:`(i, j)`:

    In plain text: ``J_ij = log(Σ_(k in N(i)) exp(m_n - D_ik) + Σ_(l in N(j)) exp(m_n - D_jl))
    + D_ij - m_p`` and ``l_i = ½ Σ_(j in P(i)) relu(J_ij)²``.

    .. math:: J_{ij} = \log\Big(\sum_{k \in N(i)} e^{m_n - D_{ik}} + \sum_{l \in N(j)}
              e^{m_n - D_{jl}}\Big) + D_{ij} - m_p, \quad
              \ell_i = \tfrac12 \sum_{j \in P(i)} [J_{ij}]_+^2

    ``"mean"`` is :math:`\sum_i w_i \ell_i / \sum_i w_i |P(i)|`: with unit weights the paper's
    :math:`\frac{1}{2|P|} \sum_{(i,j)} [J_{ij}]_+^2` over unordered pairs (PML's mean over
    ordered positive pairs, halved). A batch without positive pairs gives 0; without
    negatives, :math:`\log \sum \emptyset = -\infty` and 0. No multi-device form:
    :math:`J_{ij}` needs the negatives of the gathered positive j. Peer:
    pytorch-metric-learning ``LiftedStructureLoss(neg_margin, pos_margin,
    distance=LpDistance(normalize_embeddings=normalize))`` (PML normalises by default: the
    paper's raw embeddings are ``normalize=False``).

    Args:
        embeddings: ``(N, D)`` floating embeddings.
        labels: ``(N,)`` integer class labels.
        neg_margin: :math:`m_n`, a float or a 0-d array. Default ``1.0`` (the paper, PML).
        pos_margin: :math:`m_p`, a float or a 0-d array. Default ``0.0`` (PML).
        normalize: whether the rows are L2-normalised first. Default ``True`` (PML).
        sample_weight: optional ``(N,)`` per-anchor weights. Default ``None``.
        reduction: ``"mean"`` (default, see above), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - H. Oh Song, Y. Xiang, S. Jegelka and S. Savarese (2016), "Deep Metric Learning via
          Lifted Structured Feature Embedding", CVPR. arXiv:1511.06452.
        - Peer implementation followed: pytorch-metric-learning ``LiftedStructureLoss``.

    Example:
        >>> import numpy as np, math
        >>> x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        >>> # pair (0, 1): D = 0; both see the negative at D = sqrt(2)
        >>> j = math.log(2 * math.exp(1 - math.sqrt(2)))
        >>> math.isclose(lifted_structure_loss(x, np.array([0, 0, 1])), j * j / 2)
        True
    """
    pr = pair_inputs(
        embeddings,
        labels,
        all_embeddings=None,
        all_labels=None,
        offset=0,
        hyper={"neg_margin": neg_margin, "pos_margin": pos_margin},
        sample_weight=sample_weight,
        reduction=reduction,
    )
    xp = pr.xp
    m_n = _real(xp, "neg_margin", neg_margin, pr.x)
    m_p = _real(xp, "pos_margin", pos_margin, pr.x)
    dist = _distances(xp, pr.x, pr.refs, normalized=flag("normalize", normalize))
    has_negative = xp.any(pr.negative, axis=1)
    lse = masked_logsumexp(xp, m_n - dist, pr.negative, empty=0.0)  # 0: a safe stand-in
    j = logaddexp(xp, lse[:, None], lse[None, :]) + dist - m_p
    kept = pr.positive & has_negative[:, None]  # a positive shares its anchor's negatives
    hinge = xp.maximum(j, xp.zeros_like(j))
    terms = xp.where(kept, hinge * hinge, xp.zeros_like(j))
    loss = xp.sum(terms, axis=1) / 2 + seen(xp, dist)
    count = xp.sum(xp.astype(pr.positive, loss.dtype), axis=1)
    return reduce_loss(
        xp,
        loss,
        reduction=reduction,
        sample_weight=sample_weight,
        out_dtype=pr.out_dtype,
        norm=count,
    )


@sample_weighted
def generalized_lifted_structure_loss(
    embeddings: Array,
    labels: Array,
    *,
    neg_margin: Any = 1.0,
    pos_margin: Any = 0.0,
    normalize: bool = True,
    all_embeddings: Array | None = None,
    all_labels: Array | None = None,
    offset: Offset = 0,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Generalised lifted structure loss (Hermans, Beyer & Leibe 2017). With :math:`D_{ij}`
    the Euclidean distance (between L2-normalised rows when ``normalize``):

    In plain text: ``l_i = relu(LSE_(j in P(i)) (D_ij - m_p) + LSE_(k in N(i)) (m_n - D_ik))``,
    a log-sum-exp over an empty set counting 0.

    .. math:: \ell_i = \Big[\log \sum_{j \in P(i)} e^{D_{ij} - m_p} + \log \sum_{k \in N(i)}
              e^{m_n - D_{ik}}\Big]_+

    A log-sum-exp over an empty set counts 0 (PML's convention; mathematically it is
    :math:`-\infty`), so an anchor alone in its class still pays its negative term.
    ``"mean"`` averages over all N anchors. Peer: pytorch-metric-learning
    ``GeneralizedLiftedStructureLoss(neg_margin, pos_margin,
    distance=LpDistance(normalize_embeddings=normalize))``.

    Args:
        embeddings: ``(N, D)`` floating embeddings (this device's anchors).
        labels: ``(N,)`` integer class labels.
        neg_margin: :math:`m_n`, a float or a 0-d array. Default ``1.0`` (PML).
        pos_margin: :math:`m_p`, a float or a 0-d array. Default ``0.0`` (PML).
        normalize: whether the rows are L2-normalised first. Default ``True`` (PML).
        all_embeddings: optional ``(W, D)`` embeddings gathered from every device (this
            device's at ``offset``). Default ``None``: the batch.
        all_labels: ``(W,)`` labels of ``all_embeddings`` (given with it). Default ``None``.
        offset: global index of this device's first row, an int, a NumPy integer or a 0-d
            integer array, in ``[0, W - N]``. Default ``0``.
        sample_weight: optional ``(N,)`` per-anchor weights. Default ``None``.
        reduction: ``"mean"`` (default, PML's ``MeanReducer``), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - A. Hermans, L. Beyer and B. Leibe (2017), "In Defense of the Triplet Loss for
          Person Re-Identification". arXiv:1703.07737.
        - Peer implementation followed: pytorch-metric-learning
          ``GeneralizedLiftedStructureLoss``.

    Example:
        >>> import numpy as np, math
        >>> x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        >>> got = generalized_lifted_structure_loss(x, np.array([0, 0, 1]), reduction="none")
        >>> # anchors 0, 1: D_pos = 0, D_neg = sqrt(2); anchor 2: no positive (counts 0)
        >>> want = [0.0 + 1 - math.sqrt(2) + math.log(1)] * 2
        >>> want = [max(0.0, w) for w in want] + [max(0.0, math.log(2) + 1 - math.sqrt(2))]
        >>> np.allclose(got, want)
        True
    """
    pr = pair_inputs(
        embeddings,
        labels,
        all_embeddings=all_embeddings,
        all_labels=all_labels,
        offset=offset,
        hyper={"neg_margin": neg_margin, "pos_margin": pos_margin},
        sample_weight=sample_weight,
        reduction=reduction,
    )
    xp = pr.xp
    m_n = _real(xp, "neg_margin", neg_margin, pr.x)
    m_p = _real(xp, "pos_margin", pos_margin, pr.x)
    dist = _distances(xp, pr.x, pr.refs, normalized=flag("normalize", normalize))
    lse_p = masked_logsumexp(xp, dist - m_p, pr.positive, empty=0.0)
    lse_n = masked_logsumexp(xp, m_n - dist, pr.negative, empty=0.0)
    total = lse_p + lse_n
    loss = xp.maximum(total, xp.zeros_like(total)) + seen(xp, dist)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=pr.out_dtype
    )
