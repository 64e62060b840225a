"""Self-supervised objectives: the non-contrastive two-view losses (VICReg, Barlow Twins) and
the embedding-distribution terms of SSL papers (KoLeo, alignment, uniformity), grouped as
lightly groups them.

The two-view losses take ``(z1, z2)``, two ``(N, D)`` views of the same N samples; the
distribution terms take ``(embeddings)``. :func:`vicreg_loss`, :func:`barlow_twins_loss` and
:func:`uniformity_loss` are batch-level (a statistic of the whole batch, not a sum of
per-sample terms): they return a 0-d array and have neither ``reduction`` nor
``sample_weight``. :func:`koleo_loss` and :func:`alignment_loss` are per-sample losses with
``reduction`` and ``sample_weight`` as everywhere.

Several devices: pass the arrays gathered from every device (an all-gather with gradients) to
get the global batch's loss.

Hostile input: a batch too small for the statistic (N < 2 for the batch-level losses, N = 1
for KoLeo) is a ValueError naming the argument, where the peers return ``-inf``, NaN or a
meaningless number, or assert; NaN in an input gives NaN; constant columns, zero rows and
duplicate rows keep finite values and gradients.
"""

from __future__ import annotations

import math
from typing import Any

from ._backend import Array, Namespace, as_dtype, const, device_of, finalize, stop_gradient
from ._backend import logsumexp as _logsumexp
from ._ops import euclidean_norm, reduce_loss, safe_power
from ._ops import normalize as _unit
from ._validate import (
    NO_REDUCTION,
    check_ndim,
    check_same_shape,
    check_sample_weight,
    flag,
    hyperparameter,
    number,
    positive_float,
    prepare,
    sample_weighted,
)
from .typing import Reduction

__all__ = [
    "alignment_loss",
    "barlow_twins_loss",
    "koleo_loss",
    "uniformity_loss",
    "vicreg_loss",
]


def _two_views(
    z1: Array, z2: Array, *, loss: str, hyper: dict[str, Any]
) -> tuple[Namespace, Any, Array, Array]:
    """The batch-level two-view checks: ``(N, D)`` views of one shape, ``N >= 2``, ``D >= 1``;
    returns ``(xp, out_dtype, z1, z2)`` in the compute dtype."""
    xp, out_dtype, dtype = prepare("z1", z1, reduction=NO_REDUCTION, z2=z2, hyper=hyper)
    check_ndim("z1", z1, 2, "(N, D)")
    check_ndim("z2", z2, 2, "(N, D)")
    check_same_shape("z1", z1, "z2", z2)
    n, d = z1.shape
    if n < 2:
        raise ValueError(
            f"z1 must hold at least 2 samples (N >= 2): {loss} takes batch statistics; got N = {n}"
        )
    if d < 1:
        raise ValueError(f"z1 must have an embedding width D >= 1; got shape {tuple(z1.shape)}")
    if not xp.isdtype(z2.dtype, "real floating"):
        raise TypeError(f"z2 must be a real floating array; got dtype {z2.dtype}")
    return xp, out_dtype, as_dtype(xp, z1, dtype), as_dtype(xp, z2, dtype)


def _eye(xp: Namespace, d: int, like: Array) -> Array:
    """``(D, D)`` boolean identity (no float eye: a mask, not a value)."""
    i = xp.arange(d, device=device_of(like))
    return i[:, None] == i[None, :]


def _weight(xp: Namespace, name: str, value: Any, like: Array) -> Any:
    return hyperparameter(xp, name, value, like, low=0.0)


def vicreg_loss(
    z1: Array,
    z2: Array,
    *,
    invariance_weight: Any = 25.0,
    variance_weight: Any = 25.0,
    covariance_weight: Any = 1.0,
    eps: float = 1e-4,
    return_terms: bool = False,
) -> Any:
    r"""VICReg (Bardes, Ponce & LeCun 2022): invariance, variance and covariance terms of two
    views. Batch-level: one value for the batch.

    In plain text: ``I = mean((z1 - z2)**2)`` over all N·D entries;
    ``v(z) = mean_d relu(1 - sqrt(Var(z_d) + eps))`` with the unbiased column variance and
    ``V = (v(z1) + v(z2)) / 2``; ``c(z) = (1/D) sum_(d != e) Cov(z)_de**2`` with the unbiased
    covariance and ``C = c(z1) + c(z2)``; ``L = lam * I + mu * V + nu * C``.

    .. math:: \mathcal L = \lambda\, \overline{(z_1 - z_2)^2}
              + \frac{\mu}{2} \sum_{z \in \{z_1, z_2\}} \frac1D \sum_d
              \mathrm{relu}\big(1 - \sqrt{\mathrm{Var}(z_{\cdot d}) + \epsilon}\big)
              + \nu \sum_{z \in \{z_1, z_2\}} \frac1D \sum_{d \ne e} \mathrm{Cov}(z)_{de}^2

    Peers, which agree: lightly ``VICRegLoss(lambda_param, mu_param, nu_param, eps)`` and
    pytorch-metric-learning ``VICRegLoss(invariance_lambda, variance_mu, covariance_v, eps)``
    (``ref_emb=z2``), and the authors' code. A constant column (variance 0) keeps a finite
    value and finite gradients (``eps``).

    Peer quirks: lightly asserts for N = 1 and pytorch-metric-learning returns NaN; here
    N < 2 is a ValueError naming ``z1``. lightly also takes ``(N, ..., D)`` (VICRegL); here
    ``(N, D)`` only. Several devices: passing the gathered arrays gives the global batch's
    loss; lightly's and the official ``gather_distributed`` compute the invariance on the
    local batch and the other two terms on the gathered one (equal in expectation with equal
    shards, not bit-identical).

    Args:
        z1: ``(N, D)`` floating, the first view's embeddings, ``N >= 2``.
        z2: ``(N, D)`` floating, the second view's.
        invariance_weight: :math:`\lambda \ge 0`, a float or a 0-d array. Default ``25.0``.
        variance_weight: :math:`\mu \ge 0`, a float or a 0-d array. Default ``25.0``.
        covariance_weight: :math:`\nu \ge 0`, a float or a 0-d array. Default ``1.0``.
        eps: :math:`\epsilon > 0` inside the standard deviation's square root, a Python
            float. Default ``1e-4``.
        return_terms: return the weighted terms separately. Default ``False``.

    Returns:
        A 0-d array in the embeddings' floating dtype, or with ``return_terms=True`` the
        tuple ``(λ·I, μ·V, ν·C)`` of 0-d arrays.

    References:
        - A. Bardes, J. Ponce and Y. LeCun (2022), "VICReg: Variance-Invariance-Covariance
          Regularization for Self-Supervised Learning", ICLR. arXiv:2105.04906.
        - Peer implementations followed: lightly ``VICRegLoss``, pytorch-metric-learning
          ``VICRegLoss``.

    Example:
        >>> import numpy as np
        >>> z = np.array([[1.0, 1.0], [-1.0, -1.0]])  # equal views, std sqrt(2) > 1
        >>> float(vicreg_loss(z, z))  # only the covariance: 2 views * (2 * 2**2) / 2
        8.0
    """
    weights = {
        "invariance_weight": invariance_weight,
        "variance_weight": variance_weight,
        "covariance_weight": covariance_weight,
    }
    xp, out_dtype, a, b = _two_views(z1, z2, loss="vicreg_loss", hyper=weights)
    lam, mu, nu = (_weight(xp, name, value, a) for name, value in weights.items())
    eps = positive_float("eps", eps)
    return_terms = flag("return_terms", return_terms)
    n, d = a.shape
    eye = _eye(xp, d, a)
    zero = const(xp, 0.0, a)

    def variance(z: Array) -> Array:
        std = xp.sqrt(xp.var(z, axis=0, correction=1) + eps)
        return xp.sum(xp.maximum(1 - std, zero)) / d

    def covariance(z: Array) -> Array:
        centred = z - xp.mean(z, axis=0, keepdims=True)
        cov = xp.matmul(xp.matrix_transpose(centred), centred) / (n - 1)
        off = xp.where(eye, zero, cov)
        return xp.sum(off * off) / d

    diff = a - b
    terms = (
        lam * (xp.sum(diff * diff) / (n * d)),
        mu * ((variance(a) + variance(b)) / 2),
        nu * (covariance(a) + covariance(b)),
    )
    if return_terms:
        return tuple(finalize(xp, term, out_dtype) for term in terms)
    return finalize(xp, terms[0] + terms[1] + terms[2], out_dtype)


def barlow_twins_loss(
    z1: Array,
    z2: Array,
    *,
    redundancy_weight: Any = 5e-3,
    eps: float = 1e-5,
    return_terms: bool = False,
) -> Any:
    r"""Barlow Twins (Zbontar et al. 2021): the cross-correlation matrix of two standardised
    views driven to the identity. Batch-level: one value for the batch.

    In plain text: each column standardised with the biased batch variance,
    ``zh = (z - mean) / sqrt(Var_biased + eps)`` (``BatchNorm1d(affine=False)`` in training);
    ``C = zh1.T @ zh2 / N``; ``L = sum_d (1 - C_dd)**2 + lam * sum_(d != e) C_de**2``.

    .. math:: \hat z = \frac{z - \bar z}{\sqrt{\mathrm{Var}_{\mathrm{biased}}(z) + \epsilon}},
              \quad C = \tfrac1N \hat z_1^\top \hat z_2, \quad
              \mathcal L = \sum_d (1 - C_{dd})^2 + \lambda \sum_{d \ne e} C_{de}^2

    Peer: lightly ``BarlowTwinsLoss(lambda_param=λ)`` (``F.batch_norm``: biased variance,
    eps ``1e-5``). A constant column standardises to 0 (``eps`` keeps it finite): finite
    value and gradients.

    Peer quirks, and the rule here:

    - The paper's Algorithm 1 standardises with ``z.std(0)`` (unbiased, no eps); the official
      code and lightly use batch norm. We follow the code.
    - Several devices: lightly's ``gather_distributed`` standardises each device's batch with
      its own statistics and averages the per-device correlation matrices (lightly#1977);
      the official code uses SyncBatchNorm (global statistics) and sums ``C`` over devices
      after dividing by the global batch size. The two give different numbers. Passing the
      gathered arrays here gives the official code's global-batch loss.
    - lightly raises inside ``batch_norm`` for N = 1; here N < 2 is a ValueError naming
      ``z1``.

    Args:
        z1: ``(N, D)`` floating, the first view's embeddings, ``N >= 2``.
        z2: ``(N, D)`` floating, the second view's.
        redundancy_weight: :math:`\lambda \ge 0`, the off-diagonal weight, a float or a 0-d
            array. Default ``5e-3`` (the paper and lightly; the official code uses
            ``0.0051``).
        eps: :math:`\epsilon > 0` added to the variance, a Python float. Default ``1e-5``
            (``BatchNorm1d``'s, as in the official code).
        return_terms: return the two terms separately. Default ``False``.

    Returns:
        A 0-d array in the embeddings' floating dtype, or with ``return_terms=True`` the
        tuple ``(Σ (1 - C_dd)², λ·Σ_{d≠e} C_de²)`` of 0-d arrays.

    References:
        - J. Zbontar, L. Jing, I. Misra, Y. LeCun and S. Deny (2021), "Barlow Twins:
          Self-Supervised Learning via Redundancy Reduction", ICML. arXiv:2103.03230.
        - Peer implementation followed: lightly ``BarlowTwinsLoss``.

    Example:
        >>> import numpy as np
        >>> z = np.array([[1.0, 1.0], [-1.0, -1.0]])  # equal, perfectly correlated columns
        >>> round(float(barlow_twins_loss(z, z, eps=1e-12)), 6)  # C is all ones: λ·2
        0.01
    """
    xp, out_dtype, a, b = _two_views(
        z1, z2, loss="barlow_twins_loss", hyper={"redundancy_weight": redundancy_weight}
    )
    lam = _weight(xp, "redundancy_weight", redundancy_weight, a)
    eps = positive_float("eps", eps)
    return_terms = flag("return_terms", return_terms)
    n, d = a.shape

    def standardise(z: Array) -> Array:
        centred = z - xp.mean(z, axis=0, keepdims=True)
        return centred / xp.sqrt(xp.mean(centred * centred, axis=0, keepdims=True) + eps)

    # the D x D passes set the time at large D (issue #34: D = 2048 against N = 256), so the
    # 1/N scales one (N, D) factor and the diagonal C_dd = mean_n zh1_nd zh2_nd is an (N, D)
    # sum; the (D, D) matrix sees one mask, one square and one sum
    ha, hb = standardise(a), standardise(b)
    c = xp.matmul(xp.matrix_transpose(ha), hb / n)
    diagonal = xp.sum(ha * hb, axis=0) / n
    on = xp.sum((1 - diagonal) ** 2)
    masked = xp.where(_eye(xp, d, a), const(xp, 0.0, c), c)
    off = lam * xp.sum(masked * masked)
    if return_terms:
        return finalize(xp, on, out_dtype), finalize(xp, off, out_dtype)
    return finalize(xp, on + off, out_dtype)


@sample_weighted
def koleo_loss(
    embeddings: Array,
    *,
    eps: float = 1e-8,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""The Kozachenko-Leonenko entropy regulariser (Sablayrolles et al. 2019), as in DINOv2:
    minus the log distance of each L2-normalised row to its nearest other row.

    In plain text: ``xh = x / max(|x|, eps)``; ``nn(i) = argmax_(j != i) xh_i . xh_j`` (the
    first index on ties; an index, so no gradient); ``d_i = |xh_i - xh_nn(i) + eps|`` (torch's
    ``pairwise_distance`` adds ``eps`` to every coordinate of the difference);
    ``l_i = -log(d_i + eps)``.

    .. math:: \ell_i = -\log\big(\lVert \hat x_i - \hat x_{\mathrm{nn}(i)} + \epsilon
              \mathbf 1 \rVert_2 + \epsilon\big), \quad \mathrm{nn}(i) =
              \operatorname{argmax}_{j \ne i} \hat x_i^\top \hat x_j

    The one ``eps`` serves all three places, as in both peers. DINOv2 weights the term by
    0.1 in its config; that weight is the caller's. The gradient flows through both rows of
    each pair (the neighbour's too), as in the peers.

    Peer: lightly ``KoLeoLoss()`` (p = 2; its distance order ``p`` is not offered here);
    DINOv2's ``KoLeoLoss`` is the same formula. Peer quirks: DINOv2 fills the similarity
    diagonal with -1 and lightly with -2, so DINOv2 can pick the row itself when every other
    cosine is exactly -1; here the row itself is always left out. For N = 1 lightly returns
    ``-log(eps·sqrt(D) + eps)`` (the row is its own neighbour: 17.18 at D = 6); here N = 1
    is a ValueError naming ``embeddings`` (N = 0 follows the empty-batch rule). A row that
    duplicates another's direction has ``d = eps·sqrt(D)``, a large but finite loss with
    finite gradients; a zero row stays finite.

    Args:
        embeddings: ``(N, D)`` floating, ``N != 1``.
        eps: :math:`\epsilon > 0`, the normalisation clamp, distance offset and log offset, a
            Python float. Default ``1e-8`` (DINOv2's and lightly's).
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers'), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)`` for
        ``reduction="none"``.

    References:
        - A. Sablayrolles, M. Douze, C. Schmid and H. Jégou (2019), "Spreading vectors for
          similarity search", ICLR. arXiv:1806.03198.
        - M. Oquab et al. (2024), "DINOv2: Learning Robust Visual Features without
          Supervision", TMLR. arXiv:2304.07193.
        - Peer implementation followed: lightly ``KoLeoLoss``.

    Example:
        >>> import numpy as np, math
        >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])  # each row's neighbour at distance sqrt(2)
        >>> math.isclose(koleo_loss(x), -math.log(math.sqrt(2)), rel_tol=1e-7)
        True
    """
    xp, out_dtype, dtype = prepare(
        "embeddings", embeddings, reduction=reduction, sample_weight=sample_weight
    )
    check_ndim("embeddings", embeddings, 2, "(N, D)")
    eps = positive_float("eps", eps)
    n = embeddings.shape[0]
    check_sample_weight(xp, sample_weight, (n,))
    if n == 1:
        raise ValueError(
            "embeddings must hold at least 2 rows (or none): a row's nearest neighbour is "
            "another row (lightly's KoLeoLoss takes the row itself); got N = 1"
        )
    x = as_dtype(xp, embeddings, dtype)
    if n == 0:  # the empty batch: reduce_loss's rule
        loss = xp.sum(x, axis=1)
    else:
        unit = _unit(xp, x, eps=eps)
        sims = xp.matmul(unit, xp.matrix_transpose(unit))
        itself = _eye(xp, n, unit)
        others = xp.where(itself, const(xp, -math.inf, sims), stop_gradient(xp, sims))
        nearest = xp.argmax(others, axis=1)
        d = euclidean_norm(xp, unit - xp.take(unit, nearest, axis=0) + eps)
        # 0·Σ_j s_ij: a NaN row makes every row NaN, whichever index argmax gives for NaN
        loss = -xp.log(d + eps) + 0 * xp.sum(sims, axis=1)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def alignment_loss(
    z1: Array,
    z2: Array,
    *,
    alpha: float = 2.0,
    normalize: bool = True,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Alignment (Wang & Isola 2020): the distance between the two views of each sample,
    raised to ``alpha``.

    In plain text: ``l_i = |zh1_i - zh2_i| ** alpha``, with ``zh`` the L2-normalised rows
    (``normalize=True``) or the rows as given.

    .. math:: \ell_i = \lVert \hat z_{1,i} - \hat z_{2,i} \rVert_2^{\alpha}

    At ``zh1_i = zh2_i`` the value is 0 and the gradient 0 for every ``alpha > 0`` (the
    subgradient 0 where ``alpha <= 1``): computed as ``(|·|²)^(alpha/2)`` behind a ``!= 0``
    guard, so NaN stays NaN.

    Peer: the authors' ``align_loss(x, y, alpha) = (x - y).norm(p=2, dim=1).pow(alpha).mean()``
    on ``F.normalize``\ d inputs (``normalize=False``: on the raw inputs). lightly's
    ``HypersphereLoss(t, lam, alpha)`` is ``alignment_loss(z1, z2, alpha=alpha) +
    lam·(uniformity_loss(z1, t=t) + uniformity_loss(z2, t=t))/2``.

    Args:
        z1: ``(N, D)`` floating, the first view's embeddings.
        z2: ``(N, D)`` floating, the second view's.
        alpha: :math:`\alpha > 0`, the exponent, a Python float. Default ``2.0`` (the paper's
            and the authors' code).
        normalize: L2-normalise the rows first. Default ``True``.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None``.
        reduction: ``"mean"`` (default, the authors'), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)`` for
        ``reduction="none"``.

    References:
        - T. Wang and P. Isola (2020), "Understanding Contrastive Representation Learning
          through Alignment and Uniformity on the Hypersphere", ICML. arXiv:2005.10242.
        - Peer implementation followed: the authors' ``align_loss``
          (github.com/SsnL/align_uniform).

    Example:
        >>> import numpy as np
        >>> z1, z2 = np.array([[1.0, 0.0]]), np.array([[0.0, 3.0]])
        >>> round(float(alignment_loss(z1, z2)), 12)  # unit rows at right angles: sqrt(2)**2
        2.0
    """
    xp, out_dtype, dtype = prepare(
        "z1", z1, reduction=reduction, z2=z2, sample_weight=sample_weight
    )
    check_ndim("z1", z1, 2, "(N, D)")
    check_ndim("z2", z2, 2, "(N, D)")
    check_same_shape("z1", z1, "z2", z2)
    if not xp.isdtype(z2.dtype, "real floating"):
        raise TypeError(f"z2 must be a real floating array; got dtype {z2.dtype}")
    alpha = number("alpha", alpha, low=0.0, low_inclusive=False, expected="a Python float")
    normalize = flag("normalize", normalize)
    check_sample_weight(xp, sample_weight, (z1.shape[0],))
    a, b = as_dtype(xp, z1, dtype), as_dtype(xp, z2, dtype)
    if normalize:
        a, b = _unit(xp, a), _unit(xp, b)
    diff = a - b
    sq = xp.sum(diff * diff, axis=1)
    loss = sq if alpha == 2.0 else safe_power(xp, sq, alpha / 2)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


def uniformity_loss(embeddings: Array, *, t: float = 2.0, normalize: bool = True) -> Array:
    r"""Uniformity (Wang & Isola 2020): the log of the mean Gaussian potential over the pairs
    of rows. Batch-level: one value for the batch.

    In plain text: ``L = log( (2 / (N(N-1))) * sum_(i<j) exp(-t * |xh_i - xh_j|**2) )``,
    with ``xh`` the L2-normalised rows (``normalize=True``) or the rows as given; computed as
    a log-sum-exp minus ``log(N(N-1)/2)``.

    .. math:: \mathcal L = \log \frac{2}{N(N-1)} \sum_{i<j}
              e^{-t \lVert \hat x_i - \hat x_j \rVert_2^2}

    The squared distances come from the Gram matrix, ``|x_i|² + |x_j|² - 2 x_i·x_j`` clamped
    at 0 (no ``sqrt``: duplicate rows keep finite gradients), in O(N²) memory rather than the
    O(N²·D) of the pairwise differences.

    Peer: the authors' ``uniform_loss(x, t) =
    torch.pdist(x, p=2).pow(2).mul(-t).exp().mean().log()`` on ``F.normalize``\ d inputs
    (``normalize=False``: on the raw inputs). Peer quirk: lightly's ``HypersphereLoss``
    (alignment plus ``lam`` times the mean uniformity of both views) defaults to ``t = 1.0``,
    not the paper's 2, and is not exported from ``lightly.loss`` (import it from
    ``lightly.loss.hypersphere_loss``). N < 2 (no pair) is a ValueError naming
    ``embeddings``.

    Args:
        embeddings: ``(N, D)`` floating, ``N >= 2``.
        t: :math:`t > 0`, the potential's scale, a Python float. Default ``2.0`` (the paper's
            and the authors' code).
        normalize: L2-normalise the rows first. Default ``True``.

    Returns:
        A 0-d array in the embeddings' floating dtype.

    References:
        - T. Wang and P. Isola (2020), "Understanding Contrastive Representation Learning
          through Alignment and Uniformity on the Hypersphere", ICML. arXiv:2005.10242.
        - Peer implementation followed: the authors' ``uniform_loss``
          (github.com/SsnL/align_uniform).

    Example:
        >>> import numpy as np, math
        >>> x = np.array([[1.0, 0.0], [-1.0, 0.0]])  # one pair at squared distance 4
        >>> math.isclose(uniformity_loss(x), -8.0)
        True
    """
    xp, out_dtype, dtype = prepare("embeddings", embeddings, reduction=NO_REDUCTION)
    check_ndim("embeddings", embeddings, 2, "(N, D)")
    t = number("t", t, low=0.0, low_inclusive=False, expected="a Python float")
    normalize = flag("normalize", normalize)
    n = embeddings.shape[0]
    if n < 2:
        raise ValueError(
            f"embeddings must hold at least 2 rows (N >= 2): uniformity is a mean over the "
            f"pairs of rows; got N = {n}"
        )
    x = as_dtype(xp, embeddings, dtype)
    if normalize:
        x = _unit(xp, x)
    norms = xp.sum(x * x, axis=1)
    gram = xp.matmul(x, xp.matrix_transpose(x))
    sq = xp.maximum(norms[:, None] + norms[None, :] - 2 * gram, const(xp, 0.0, gram))
    i = xp.arange(n, device=device_of(x))
    upper = i[:, None] < i[None, :]
    logits = xp.where(upper, -t * sq, const(xp, -math.inf, sq))
    lse = _logsumexp(xp, xp.reshape(logits, (n * n,)), axis=0)
    return finalize(xp, lse - math.log(n * (n - 1) / 2), out_dtype)
