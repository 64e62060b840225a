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

from .._backend import Array, Namespace
from .._ops import reduce_loss, sqrt_at_zero
from .._validate import hyperparameter, is_array, number, sample_weighted
from ..typing import Reduction
from ._common import margin_cross_entropy, proxy_cosines, proxy_inputs, target_column

__all__ = ["arcface_loss"]


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
