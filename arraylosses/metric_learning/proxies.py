"""Proxy losses: each class has a learned proxy (a row of ``proxies``, an array the caller
owns: a ``Parameter``, a JAX leaf), and each embedding is scored against every proxy by
cosine. ArcFace, CosFace and sub-centre ArcFace put a margin on the target class's logit;
the normalised softmax has none; Proxy Anchor pulls each class's proxy towards the batch's
samples of that class (a batch-level loss).

Layout against pytorch-metric-learning (PML): PML stores its weight ``W`` as ``(D, C)`` for
ArcFace, CosFace, NormalizedSoftmax and SubCenterArcFace (columns ``c·K + k`` for sub-centres)
and its ``proxies`` as ``(C, D)`` for ProxyAnchor; ours are always one row per class,
``(C, D)`` or ``(C, K, D)``: ``W_pml = proxies.T`` (``proxies.reshape(C*K, D).T``).
"""

from __future__ import annotations

import math
from typing import Any

from .._backend import Array, Namespace, device_of, finalize, nll_at
from .._ops import divide_or_nan, reduce_loss, sqrt_at_zero
from .._validate import NO_REDUCTION, hyperparameter, is_array, number, sample_weighted
from ..typing import Reduction
from ._common import (
    log1p_sum,
    margin_cross_entropy,
    proxy_cosines,
    proxy_inputs,
    target_column,
)

__all__ = [
    "arcface_loss",
    "cosface_loss",
    "normalized_softmax_loss",
    "proxy_anchor_loss",
    "sub_center_arcface_loss",
]


def _margin(xp: Namespace, margin: Any, like: Array, *, below_pi: bool) -> Any:
    """A margin ``>= 0`` (``< π`` for the angular margin) as a float, or a 0-d array."""
    if not is_array(margin):
        number(
            "margin",
            margin,
            low=0.0,
            high=math.pi if below_pi else None,
            high_inclusive=False,
            expected="a float or a 0-d array",
        )
    return hyperparameter(xp, "margin", margin, like, low=0.0)


def _scale(xp: Namespace, scale: Any, like: Array) -> Any:
    return hyperparameter(xp, "scale", scale, like, low=0.0, low_inclusive=False)


def _cos_sin(xp: Namespace, m: Any) -> tuple[Any, Any]:
    if is_array(m):
        return xp.cos(m), xp.sin(m)
    return math.cos(m), math.sin(m)


def _arcface_target(xp: Namespace, c: Array, m: Any) -> Array:
    """``cos(θ + m)`` with ``θ = arccos c`` where ``θ <= π - m`` (``c >= -cos m``), else
    ``c - m·sin m`` (the authors' and PML's fallback that keeps the logit decreasing in θ).

    ``cos(θ + m) = c·cos m - sqrt(1 - c²)·sin m``, without ``arccos`` (whose gradient is
    infinite at ``|c| = 1``: PML's NaN gradients for an embedding parallel to its proxy).
    ``sqrt`` gets ``max(1 - c², 0)`` behind a ``!= 0`` guard: at ``|c| = 1`` the gradient is
    the subgradient 0 (the cosine's own gradient is 0 there), and NaN stays NaN."""
    cos_m, sin_m = _cos_sin(xp, m)
    sin_theta = sqrt_at_zero(xp, xp.maximum(1 - c * c, xp.zeros_like(c)))
    return xp.where(c >= -cos_m, c * cos_m - sin_theta * sin_m, c - m * sin_m)


def _arcface(
    name: str,
    embeddings: Array,
    labels: Array,
    proxies: Array,
    *,
    scale: Any,
    margin: Any,
    sample_weight: Array | None,
    reduction: Reduction,
) -> Array:
    pr = proxy_inputs(
        embeddings,
        labels,
        proxies,
        sub_centers=name == "sub_center_arcface_loss",
        hyper={"scale": scale, "margin": margin},
        sample_weight=sample_weight,
        reduction=reduction,
    )
    xp = pr.xp
    s = _scale(xp, scale, pr.x)
    m = _margin(xp, margin, pr.x, below_pi=True)
    cos = proxy_cosines(xp, pr.x, pr.proxies)
    target = _arcface_target(xp, target_column(xp, cos, pr.labels), m)
    loss = margin_cross_entropy(xp, s * cos, s * target, pr.labels)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=pr.out_dtype
    )


@sample_weighted
def arcface_loss(
    embeddings: Array,
    labels: Array,
    proxies: Array,
    *,
    scale: Any = 64.0,
    margin: Any = 0.5,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""ArcFace, the additive angular margin loss (Deng et al. 2019): with
    :math:`c_{ij} = \cos(x_i, w_j)`, :math:`\theta_i = \arccos c_{i y_i}` and the margin
    :math:`m` in **radians**, the target logit is :math:`t_i = \cos(\theta_i + m)` where
    :math:`\theta_i \le \pi - m`, else :math:`c_{i y_i} - m \sin m`, and

    In plain text: ``l_i = -log softmax(z_i)[y_i]`` with ``z_ij = s·c_ij`` for ``j != y_i`` and
    ``z_i,y_i = s·t_i``, ``t_i = cos(theta_i + m)`` (or ``c - m·sin m`` past ``pi - m``).

    .. math:: \ell_i = -\log \frac{e^{s t_i}}{e^{s t_i} + \sum_{j \ne y_i} e^{s c_{ij}}}

    The fallback branch past :math:`\pi - m` is the authors' and PML's (it keeps the logit
    monotonic in :math:`\theta`). :math:`\cos(\theta + m)` is computed as
    :math:`c \cos m - \sqrt{1 - c^2} \sin m`, so the gradient stays finite at :math:`|c| = 1`,
    an embedding parallel to its proxy (PML's ``arccos`` gives NaN there).

    Peer: pytorch-metric-learning ``ArcFaceLoss(num_classes=C, embedding_size=D,
    margin=math.degrees(m), scale=s)`` with ``W = proxies.T``. **PML's margin is in degrees**,
    and its default 28.6° is 0.49916 rad, not the paper's 0.5 (ours). InsightFace's ``ArcFace``
    skips rows labelled -1 (partial FC); there is no ignore label here.

    Args:
        embeddings: ``(N, D)`` floating embeddings.
        labels: ``(N,)`` integer class labels in ``[0, C)`` (checked when the values can be
            read; under ``jax.jit`` an out-of-range label gives an unspecified row loss).
        proxies: ``(C, D)`` floating class proxies (one row per class; the caller owns them:
            a ``Parameter``, a JAX leaf), cast to the embeddings' compute dtype.
        scale: :math:`s > 0`, a float or a 0-d array. Default ``64.0`` (the paper, InsightFace,
            PML).
        margin: :math:`m` in radians, ``0 <= m < π``, a float or a 0-d array. Default ``0.5``
            (the paper, InsightFace).
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, PML's ``MeanReducer``), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - J. Deng, J. Guo, N. Xue and S. Zafeiriou (2019), "ArcFace: Additive Angular Margin
          Loss for Deep Face Recognition", CVPR. arXiv:1801.07698.
        - Peer implementation followed: pytorch-metric-learning ``ArcFaceLoss`` (margin in
          degrees).

    Example:
        >>> import numpy as np, math
        >>> x, w = np.array([[1.0, 0.0]]), np.eye(2)
        >>> # target cos 1 -> cos(0.5); the other class cos 0
        >>> t = math.cos(0.5)
        >>> want = -math.log(math.exp(t) / (math.exp(t) + 1.0))
        >>> math.isclose(arcface_loss(x, np.array([0]), w, scale=1.0), want)
        True
    """
    return _arcface(
        "arcface_loss",
        embeddings,
        labels,
        proxies,
        scale=scale,
        margin=margin,
        sample_weight=sample_weight,
        reduction=reduction,
    )


@sample_weighted
def cosface_loss(
    embeddings: Array,
    labels: Array,
    proxies: Array,
    *,
    scale: Any = 64.0,
    margin: Any = 0.35,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""CosFace, the large margin cosine loss (Wang et al. 2018): the margin :math:`m` is
    subtracted from the target class's cosine :math:`c_{ij} = \cos(x_i, w_j)`,

    In plain text: ``l_i = -log softmax(z_i)[y_i]`` with ``z_ij = s·(c_ij - m·[j = y_i])``.

    .. math:: \ell_i = -\log \frac{e^{s (c_{i y_i} - m)}}
              {e^{s (c_{i y_i} - m)} + \sum_{j \ne y_i} e^{s c_{ij}}}

    At ``margin=0`` it equals :func:`arcface_loss` at ``margin=0`` and
    :func:`normalized_softmax_loss` at ``temperature=1/scale``. Peer: pytorch-metric-learning
    ``CosFaceLoss(num_classes=C, embedding_size=D, margin=m, scale=s)`` with
    ``W = proxies.T``. InsightFace's ``CosFace`` defaults to ``m = 0.40``.

    Args:
        embeddings: ``(N, D)`` floating embeddings.
        labels: ``(N,)`` integer class labels in ``[0, C)`` (checked when the values can be
            read; under ``jax.jit`` an out-of-range label gives an unspecified row loss).
        proxies: ``(C, D)`` floating class proxies (one row per class; the caller owns them),
            cast to the embeddings' compute dtype.
        scale: :math:`s > 0`, a float or a 0-d array. Default ``64.0`` (the paper, PML).
        margin: :math:`m \ge 0`, a float or a 0-d array. Default ``0.35`` (the paper, PML).
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, PML's ``MeanReducer``), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - H. Wang, Y. Wang, Z. Zhou, X. Ji, D. Gong, J. Zhou, Z. Li and W. Liu (2018),
          "CosFace: Large Margin Cosine Loss for Deep Face Recognition", CVPR.
          arXiv:1801.09414.
        - Peer implementation followed: pytorch-metric-learning ``CosFaceLoss``.

    Example:
        >>> import numpy as np, math
        >>> x, w = np.array([[1.0, 0.0]]), np.eye(2)
        >>> # target cos 1 - 0.5; the other class cos 0
        >>> want = -math.log(math.exp(0.5) / (math.exp(0.5) + 1.0))
        >>> math.isclose(cosface_loss(x, np.array([0]), w, scale=1.0, margin=0.5), want)
        True
    """
    pr = proxy_inputs(
        embeddings,
        labels,
        proxies,
        sub_centers=False,
        hyper={"scale": scale, "margin": margin},
        sample_weight=sample_weight,
        reduction=reduction,
    )
    xp = pr.xp
    s = _scale(xp, scale, pr.x)
    m = _margin(xp, margin, pr.x, below_pi=False)
    cos = proxy_cosines(xp, pr.x, pr.proxies)
    target = target_column(xp, cos, pr.labels) - m
    loss = margin_cross_entropy(xp, s * cos, s * target, pr.labels)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=pr.out_dtype
    )


@sample_weighted
def sub_center_arcface_loss(
    embeddings: Array,
    labels: Array,
    proxies: Array,
    *,
    scale: Any = 64.0,
    margin: Any = 0.5,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Sub-centre ArcFace (Deng et al. 2020): K sub-centres per class, ``proxies`` of shape
    ``(C, K, D)``; each class's cosine is the largest of its K,
    :math:`c_{ij} = \max_k \cos(x_i, w_{jk})`, and then :func:`arcface_loss` applies.

    In plain text: ``c_ij = max_k cos(x_i, w_jk)``, then ArcFace's
    ``l_i = -log softmax(z_i)[y_i]`` (target logit ``s·cos(theta + m)``, margin in radians).

    .. math:: \ell_i = -\log \frac{e^{s t_i}}{e^{s t_i} + \sum_{j \ne y_i} e^{s c_{ij}}},
              \quad c_{ij} = \max_k \cos(x_i, w_{jk})

    A tie in the max does not change the value; the gradient goes to the **first** maximal
    sub-centre on every backend. With K = 1 it is :func:`arcface_loss` on
    ``proxies[:, 0, :]``. Peer: pytorch-metric-learning ``SubCenterArcFaceLoss(num_classes=C,
    embedding_size=D, sub_centers=K, margin=math.degrees(m), scale=s)`` with
    ``W = proxies.reshape(C*K, D).T`` (PML's margin is in degrees). PML's ``get_outliers``
    (dropping samples far from the dominant sub-centre) is a training utility, not part of the
    loss.

    Args:
        embeddings: ``(N, D)`` floating embeddings.
        labels: ``(N,)`` integer class labels in ``[0, C)`` (checked when the values can be
            read; under ``jax.jit`` an out-of-range label gives an unspecified row loss).
        proxies: ``(C, K, D)`` floating sub-centres, K per class (the caller owns them), cast
            to the embeddings' compute dtype.
        scale: :math:`s > 0`, a float or a 0-d array. Default ``64.0`` (the paper, PML).
        margin: :math:`m` in radians, ``0 <= m < π``, a float or a 0-d array. Default ``0.5``
            (the paper).
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, PML's ``MeanReducer``), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - J. Deng, J. Guo, T. Liu, M. Gong and S. Zafeiriou (2020), "Sub-center ArcFace:
          Boosting Face Recognition by Large-Scale Noisy Web Faces", ECCV.
        - Peer implementation followed: pytorch-metric-learning ``SubCenterArcFaceLoss``.

    Example:
        >>> import numpy as np, math
        >>> x = np.array([[1.0, 0.0]])
        >>> w = np.array([[[0.0, 1.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, -1.0]]])
        >>> # class 0: best sub-centre cos 1; class 1: best cos 0
        >>> t = math.cos(0.5)
        >>> want = -math.log(math.exp(t) / (math.exp(t) + 1.0))
        >>> math.isclose(sub_center_arcface_loss(x, np.array([0]), w, scale=1.0), want)
        True
    """
    return _arcface(
        "sub_center_arcface_loss",
        embeddings,
        labels,
        proxies,
        scale=scale,
        margin=margin,
        sample_weight=sample_weight,
        reduction=reduction,
    )


@sample_weighted
def normalized_softmax_loss(
    embeddings: Array,
    labels: Array,
    proxies: Array,
    *,
    temperature: Any = 0.05,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Normalised softmax (NormFace; Zhai & Wu 2019): softmax cross entropy over the cosines
    :math:`c_{ij} = \cos(x_i, w_j)` divided by a temperature :math:`T`,

    In plain text: ``l_i = -log softmax(c_i / T)[y_i]``.

    .. math:: \ell_i = -\log \frac{e^{c_{i y_i} / T}}{\sum_j e^{c_{ij} / T}}

    Peer: pytorch-metric-learning ``NormalizedSoftmaxLoss(num_classes=C, embedding_size=D,
    temperature=T)`` with ``W = proxies.T`` (its default ``DotProductSimilarity``
    L2-normalises the embeddings, so its logits are these cosines). PML's
    ``ProxyNCALoss(softmax_scale=s)`` equals ``temperature=1/(2s)`` (it takes the squared
    distance between unit rows, ``2 - 2c``, with a softmax over every proxy), except that PML
    drops rows whose probability underflows to exactly 0.

    Args:
        embeddings: ``(N, D)`` floating embeddings.
        labels: ``(N,)`` integer class labels in ``[0, C)`` (checked when the values can be
            read; under ``jax.jit`` an out-of-range label gives an unspecified row loss).
        proxies: ``(C, D)`` floating class proxies (one row per class; the caller owns them),
            cast to the embeddings' compute dtype.
        temperature: :math:`T > 0`, a float or a 0-d array. Default ``0.05`` (PML, Zhai & Wu).
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, PML's ``MeanReducer``), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - F. Wang, X. Xiang, J. Cheng and A. L. Yuille (2017), "NormFace: L2 Hypersphere
          Embedding for Face Verification", ACM MM. arXiv:1704.06369.
        - A. Zhai and H.-Y. Wu (2019), "Classification is a Strong Baseline for Deep Metric
          Learning", BMVC. arXiv:1811.12649.
        - Peer implementation followed: pytorch-metric-learning ``NormalizedSoftmaxLoss``.

    Example:
        >>> import numpy as np, math
        >>> x, w = np.array([[1.0, 0.0]]), np.eye(2)
        >>> want = -math.log(math.exp(1.0) / (math.exp(1.0) + 1.0))
        >>> math.isclose(normalized_softmax_loss(x, np.array([0]), w, temperature=1.0), want)
        True
    """
    pr = proxy_inputs(
        embeddings,
        labels,
        proxies,
        sub_centers=False,
        hyper={"temperature": temperature},
        sample_weight=sample_weight,
        reduction=reduction,
    )
    xp = pr.xp
    tau = hyperparameter(xp, "temperature", temperature, pr.x, low=0.0, low_inclusive=False)
    cos = proxy_cosines(xp, pr.x, pr.proxies)
    loss = nll_at(xp, cos / tau, pr.labels, axis=1)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=pr.out_dtype
    )


def proxy_anchor_loss(
    embeddings: Array,
    labels: Array,
    proxies: Array,
    *,
    margin: Any = 0.1,
    alpha: Any = 32.0,
) -> Array:
    r"""Proxy Anchor (Kim et al. 2020), a **batch-level** loss: each proxy is an anchor,
    pulled towards the batch's samples of its class and pushed from the others. With
    :math:`s_{ic} = \cos(x_i, p_c)`, :math:`P^+` the classes present in the batch and C the
    number of proxies,

    In plain text: ``L = (1/|P+|) Σ_(c in P+) log(1 + Σ_(i: y_i = c) exp(-α(s_ic - δ)))
    + (1/C) Σ_c log(1 + Σ_(i: y_i != c) exp(α(s_ic + δ)))``.

    .. math:: L = \frac{1}{|P^+|} \sum_{c \in P^+} \log\Big(1 + \sum_{i: y_i = c}
              e^{-\alpha (s_{ic} - \delta)}\Big) + \frac{1}{C} \sum_c \log\Big(1 +
              \sum_{i: y_i \ne c} e^{\alpha (s_{ic} + \delta)}\Big)

    A proxy whose class is absent from the batch is left out of the positive average and
    kept in the negative one. :math:`|P^+|` is counted from fixed-shape arrays, so the loss
    runs under ``jax.jit`` with traced labels. No ``reduction`` and no ``sample_weight``: the
    loss is not a sum of per-sample terms. An empty batch gives NaN (``0/0``; PML returns 0).
    Peer: pytorch-metric-learning ``ProxyAnchorLoss(num_classes=C, embedding_size=D,
    margin=δ, alpha=α)`` with its ``proxies`` (``(C, D)`` as ours).

    Args:
        embeddings: ``(N, D)`` floating embeddings.
        labels: ``(N,)`` integer class labels in ``[0, C)`` (checked when the values can be
            read; under ``jax.jit`` an out-of-range label gives an unspecified loss).
        proxies: ``(C, D)`` floating class proxies (one row per class; the caller owns them),
            cast to the embeddings' compute dtype.
        margin: :math:`\delta \ge 0`, a float or a 0-d array. Default ``0.1`` (paper, PML).
        alpha: :math:`\alpha > 0`, a float or a 0-d array. Default ``32.0`` (paper, PML).

    Returns:
        A 0-d array in the embeddings' floating dtype.

    References:
        - S. Kim, D. Kim, M. Cho and S. Kwak (2020), "Proxy Anchor Loss for Deep Metric
          Learning", CVPR. arXiv:2003.13911.
        - Peer implementation followed: pytorch-metric-learning ``ProxyAnchorLoss``.

    Example:
        >>> import numpy as np, math
        >>> x, p = np.array([[1.0, 0.0]]), np.eye(2)
        >>> # class 0: s = 1 (positive); class 1: s = 0 (negative)
        >>> want = math.log1p(math.exp(-1.0)) + (0.0 + math.log1p(1.0)) / 2
        >>> got = proxy_anchor_loss(x, np.array([0]), p, margin=0.0, alpha=1.0)
        >>> math.isclose(got, want)
        True
    """
    pr = proxy_inputs(
        embeddings,
        labels,
        proxies,
        sub_centers=False,
        hyper={"margin": margin, "alpha": alpha},
        sample_weight=None,
        reduction=NO_REDUCTION,
    )
    xp = pr.xp
    delta = _margin(xp, margin, pr.x, below_pi=False)
    a = hyperparameter(xp, "alpha", alpha, pr.x, low=0.0, low_inclusive=False)
    cos = proxy_cosines(xp, pr.x, pr.proxies)
    c = pr.proxies.shape[0]
    cols = xp.arange(c, dtype=pr.labels.dtype, device=device_of(cos))
    own = cols[None, :] == pr.labels[:, None]  # (N, C)
    pos = log1p_sum(xp, -a * (cos - delta), own, axis=0)  # (C,): 0 for an absent class
    neg = log1p_sum(xp, a * (cos + delta), ~own, axis=0)
    present = xp.sum(xp.astype(xp.any(own, axis=0), cos.dtype))
    loss = divide_or_nan(xp, xp.sum(pos), present) + xp.sum(neg) / c
    return finalize(xp, loss, pr.out_dtype)
