"""Decoupled contrastive learning (Yeh et al. 2022): NT-Xent with the positive pair left out of
the denominator (:func:`dcl_loss`), and its von Mises-Fisher weighted form (:func:`dclw_loss`).

Same inputs, multi-device form (``offset``, ``all_z1``) and ``chunk_size`` engine as
:func:`~arraylosses.nt_xent_loss`. Hostile input: an empty batch gives NaN for ``"mean"``, 0
for ``"sum"`` and an empty array for ``"none"``; a batch of one (``W = 1``: no negative) is a
ValueError naming ``z1``; NaN in an embedding gives NaN in every row (every row sees every
other as a negative).
"""

from __future__ import annotations

import math
from typing import Any

from .._backend import (
    Array,
    Namespace,
    const,
    device_of,
    logsumexp,
    softmax,
    stop_gradient,
    take_along_axis,
)
from .._ops import normalize, reduce_loss
from .._validate import hyperparameter, sample_weighted
from ..typing import Reduction
from ._chunked import check_chunk_size, chunk_for, dcl_rows
from ._common import Offset, diagonal_targets, scores
from .inbatch import _Sharded, _sharded_pair, _temperature

__all__ = ["dcl_loss", "dclw_loss"]


def _dcl(
    z1: Array,
    z2: Array,
    *,
    temperature: Any,
    sigma: Any,
    offset: Any,
    all_z1: Array | None,
    chunk_size: Any,
    sample_weight: Array | None,
    reduction: Any,
) -> Array:
    """Both losses: ``sigma`` ``None`` is DCL, a value DCLW."""
    hyper = {"temperature": temperature}
    if sigma is not None:
        hyper["sigma"] = sigma
    sh = _sharded_pair(
        first=("z1", z1),
        second=("z2", z2),
        all_first=all_z1,
        offset=offset,
        hyper=hyper,
        sample_weight=sample_weight,
        reduction=reduction,
    )
    xp = sh.xp
    n, w = sh.local_a.shape[0], sh.every_b.shape[0]
    tau = _temperature(xp, temperature, sh.local_a)
    sig = None
    if sigma is not None:
        sig = hyperparameter(xp, "sigma", sigma, sh.local_a, low=0.0, low_inclusive=False)
    chunk = chunk_for(check_chunk_size(chunk_size), n)
    if n > 0 and w < 2:
        raise ValueError(
            "z1 must hold at least two samples across devices (W >= 2): with one sample "
            f"there is no negative (lightly's DCLLoss returns -inf); got W = {w}"
        )
    if n == 0:  # the empty batch: reduce_loss's rule
        loss = xp.sum(sh.local_a, axis=1)
    else:
        weight = None if sig is None else _vmf_weights(xp, sh, sig)
        local = xp.concat([sh.local_a, sh.local_b], axis=0)
        every = xp.concat([sh.every_a, sh.every_b], axis=0)
        if chunk is not None:
            per_view = dcl_rows(
                xp,
                local,
                every,
                n=n,
                w=w,
                scale=1 / tau,
                offset=sh.offset,
                chunk=chunk,
                weight=weight,
            )
        else:
            per_view = _dense_rows(
                xp, local, every, n=n, w=w, tau=tau, offset=sh.offset, weight=weight
            )
        loss = (per_view[:n] + per_view[n:]) / 2
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=sh.out_dtype
    )


def _vmf_weights(xp: Namespace, sh: _Sharded, sigma: Any) -> Array:
    """DCLW's ``w_i = 2 - N·softmax_i(ẑ1_i·ẑ2_i / σ)`` over the N local rows, for both views
    ``(2N,)``, without gradient (lightly's ``negative_mises_fisher_weights``)."""
    n = sh.local_a.shape[0]
    a, b = normalize(xp, sh.local_a), normalize(xp, sh.local_b)
    sims = xp.sum(a * b, axis=1) / sigma
    weight = stop_gradient(xp, 2 - n * softmax(xp, sims, axis=0))
    return xp.concat([weight, weight])


def _dense_rows(
    xp: Namespace,
    local: Array,
    every: Array,
    *,
    n: int,
    w: int,
    tau: Any,
    offset: Offset,
    weight: Array | None,
) -> Array:
    """Per view ``lse_{b ∉ {k, p(k)}} L_kb - weight·L_k⁺`` over the ``(2N, 2W)`` logits. The
    log-sum-exp is of ``L - sg(L⁺)``, of the size of the loss rather than of the logits."""
    logits = scores(xp, local, every, similarity="cosine") / tau
    own = diagonal_targets(xp, logits, n=n, offset=offset)  # global row of local sample
    self_index = xp.concat([own, own + w])  # (2N,): view 1 rows, then view 2 rows
    partner = xp.concat([own + w, own])
    positive = xp.squeeze(take_along_axis(xp, logits, partner[:, None], axis=1), axis=1)
    shift = stop_gradient(xp, positive)
    cols = xp.arange(2 * w, dtype=self_index.dtype, device=device_of(logits))
    itself = cols[None, :] == self_index[:, None]
    dropped = itself | (cols[None, :] == partner[:, None])
    negatives = xp.where(dropped, const(xp, -math.inf, logits), logits - shift[:, None])
    if weight is not None:
        positive = weight * positive
    return logsumexp(xp, negatives, axis=1) - (positive - shift)


@sample_weighted
def dcl_loss(
    z1: Array,
    z2: Array,
    *,
    temperature: Any = 0.1,
    offset: Offset = 0,
    all_z1: Array | None = None,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Decoupled contrastive learning (DCL, Yeh et al. 2022, Eq. 6): NT-Xent over the views
    :math:`z = [z_1; z_2]` with the positive pair left out of the denominator. With
    :math:`s_{ab} = \cos(z_a, z_b)/\tau` and :math:`p(a)` the other view of sample ``a``:

    In plain text: ``l_a = -s[a, p(a)] + log(sum_(b != a, b != p(a)) exp(s[a, b]))``, and the
    per-sample loss of pair i is the mean of its two views' losses.

    .. math:: \ell_a = -s_{a,p(a)} + \log \sum_{b \ne a,\, b \ne p(a)} e^{s_{ab}},
              \qquad \ell_i = \tfrac12 (\ell_i^{(1)} + \ell_i^{(2)})

    Unlike NT-Xent the loss can be negative. ``"mean"`` is lightly's ``DCLLoss`` (the peer):
    ``0.5·(mean l¹ + mean l²)``.

    Several devices (lightly's ``gather_distributed=True``), exactly as ``nt_xent_loss``:
    ``z2`` and ``all_z1`` hold both views of every device's W samples, ``z1`` this device's N
    first views and ``offset`` the global index of its first sample; this device's 2N views
    are scored against all 2W views. ``chunk_size``: the similarity matrix walked in tiles
    (memory O((N + W)·D + chunk²)), with the dense path's value and gradients.

    Peer quirks: lightly returns ``-inf`` for a batch of one (no negative): here ``W = 1`` is a
    ValueError naming ``z1`` (an empty batch follows the empty-batch rule). lightly normalises
    with eps ``1e-12``, we with ``1e-8``: they differ only for rows of norm below ``1e-8``.

    Args:
        z1: ``(N, D)`` floating, the first view of each sample (this device's).
        z2: ``(N, D)`` floating, the second views (or ``(W, D)``, every device's).
        temperature: :math:`\tau > 0`, a float or a 0-d array (learnable). Default ``0.1``
            (lightly's).
        offset: global index of this device's first row, an int, a NumPy integer or a 0-d
            integer array. Default ``0`` (one device).
        all_z1: optional ``(W, D)`` first views gathered from every device. Default ``None``.
        chunk_size: tile size of the chunked (memory-bounded) path, an int ``>= 1``. Default
            ``None``: the dense similarity matrix.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None``.
        reduction: ``"mean"`` (default, lightly's), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - C.-H. Yeh, C.-Y. Hong, Y.-C. Hsu, T.-L. Liu, Y. Chen and Y. LeCun (2022), "Decoupled
          Contrastive Learning", ECCV. arXiv:2110.06848.
        - Peer implementation followed: lightly ``DCLLoss``.

    Example:
        >>> import numpy as np, math
        >>> z = np.eye(3)
        >>> # each view: positive cos 1, four negatives of cos 0
        >>> math.isclose(dcl_loss(z, z, temperature=1.0), -1 + math.log(4))
        True
    """
    return _dcl(
        z1,
        z2,
        temperature=temperature,
        sigma=None,
        offset=offset,
        all_z1=all_z1,
        chunk_size=chunk_size,
        sample_weight=sample_weight,
        reduction=reduction,
    )


@sample_weighted
def dclw_loss(
    z1: Array,
    z2: Array,
    *,
    temperature: Any = 0.1,
    sigma: Any = 0.5,
    offset: Offset = 0,
    all_z1: Array | None = None,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Weighted decoupled contrastive learning (DCLW, Yeh et al. 2022): :func:`dcl_loss` with
    the positive term of both views of sample ``i`` multiplied by the negative von Mises-Fisher
    weight

    In plain text: ``w_i = 2 - N * softmax_i(cos(z1_i, z2_i) / sigma)`` over the N local
    samples, without gradient, and ``l_a = -w_i * s[a, p(a)] + log(sum_(b != a, p(a))
    exp(s[a, b]))``.

    .. math:: w_i = 2 - N\, \mathrm{softmax}_i\!\left(\frac{\cos(z_{1,i}, z_{2,i})}{\sigma}
              \right), \qquad \ell_a = -w_i\, s_{a,p(a)} + \log \sum_{b \ne a,\, b \ne p(a)}
              e^{s_{ab}}

    The weights average to 1; pairs that are already close get less weight. As in lightly
    (``DCLWLoss``, the peer), the weights come from this device's N samples also when the
    negatives are gathered from every device (the paper's expectation is over "the batch").
    Everything else (multi-device form, ``chunk_size``, the batch of one) as :func:`dcl_loss`.

    Args:
        z1: ``(N, D)`` floating, the first view of each sample (this device's).
        z2: ``(N, D)`` floating, the second views (or ``(W, D)``, every device's).
        temperature: :math:`\tau > 0`, a float or a 0-d array (learnable). Default ``0.1``.
        sigma: :math:`\sigma > 0`, the weights' temperature, a float or a 0-d array (no
            gradient flows through the weights). Default ``0.5`` (lightly and the paper).
        offset: global index of this device's first row, an int, a NumPy integer or a 0-d
            integer array. Default ``0`` (one device).
        all_z1: optional ``(W, D)`` first views gathered from every device. Default ``None``.
        chunk_size: tile size of the chunked (memory-bounded) path, an int ``>= 1``. Default
            ``None``: the dense similarity matrix.
        sample_weight: optional ``(N,)`` per-sample weights. Default ``None``.
        reduction: ``"mean"`` (default, lightly's), ``"sum"`` or ``"none"``.

    Returns:
        In the embeddings' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - C.-H. Yeh, C.-Y. Hong, Y.-C. Hsu, T.-L. Liu, Y. Chen and Y. LeCun (2022), "Decoupled
          Contrastive Learning", ECCV. arXiv:2110.06848.
        - Peer implementation followed: lightly ``DCLWLoss``.

    Example:
        >>> import numpy as np, math
        >>> z = np.eye(3)
        >>> # equal positive cosines: every weight is 2 - 3/3 = 1, so DCLW equals DCL
        >>> math.isclose(dclw_loss(z, z, temperature=1.0), -1 + math.log(4))
        True
    """
    return _dcl(
        z1,
        z2,
        temperature=temperature,
        sigma=sigma,
        offset=offset,
        all_z1=all_z1,
        chunk_size=chunk_size,
        sample_weight=sample_weight,
        reduction=reduction,
    )
