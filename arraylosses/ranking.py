"""Recommendation and ranking losses.

Scores are model outputs (a user-item dot product, a cross-encoder logit...); larger means
more relevant. Per-sample losses are one value per user/query row; ``sample_weight`` and
``reduction`` as everywhere.

* :func:`bpr_loss`, :func:`dynamic_margin_bpr_loss`: pairwise, one positive against sampled
  negatives;
* :func:`sampled_softmax_loss`, :func:`normalized_sampled_softmax_loss`: softmax over the
  positive and sampled (or in-batch) negatives, corrected for the sampling;
* :func:`csar_loss`: cross entropy over products of non-negative energies;
* :func:`listnet_loss`: listwise, top-one ListNet;
* from :mod:`arraylosses.listwise`: :func:`margin_mse_loss`, :func:`distill_kl_div_loss`
  (distillation), :func:`list_mle_loss`, :func:`pairwise_hinge_loss`,
  :func:`pairwise_logistic_loss`, :func:`lambda_loss`, :func:`approx_ndcg_loss` (learning to
  rank).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ._backend import (
    Array,
    Namespace,
    as_dtype,
    const,
    device_of,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softplus,
    stop_gradient,
)
from ._ops import reduce_loss, sqrt_at_zero
from ._validate import (
    bounded_integer,
    check_floating,
    check_kind,
    check_ndim,
    check_sample_weight,
    check_values,
    flag,
    hyperparameter,
    positive_float,
    prepare,
    sample_weighted,
)
from .classification import cross_entropy
from .listwise import (
    approx_ndcg_loss,
    distill_kl_div_loss,
    lambda_loss,
    list_mle_loss,
    margin_mse_loss,
    pairwise_hinge_loss,
    pairwise_logistic_loss,
)
from .typing import Reduction

__all__ = [
    "approx_ndcg_loss",
    "bpr_loss",
    "csar_loss",
    "distill_kl_div_loss",
    "dynamic_margin_bpr_loss",
    "lambda_loss",
    "list_mle_loss",
    "listnet_loss",
    "margin_mse_loss",
    "normalized_sampled_softmax_loss",
    "pairwise_hinge_loss",
    "pairwise_logistic_loss",
    "sampled_softmax_loss",
]


class _PosNeg(NamedTuple):
    """Validated positive and negative scores, in the compute dtype."""

    xp: Namespace
    pos: Array  # (N,)
    neg: Array  # (N, K)
    out_dtype: Any


def _pos_neg(
    pos_scores: Array,
    neg_scores: Array,
    *,
    sample_weight: Array | None,
    reduction: Any,
    paired_only: bool = False,
    hyper: dict[str, Any] | None = None,
    **arrays: Array | None,
) -> _PosNeg:
    """:func:`~arraylosses._validate.prepare`, then the shape checks: ``(N,)`` positives
    against ``(N, K)`` negatives (or ``(N,)``, one per row, unless ``paired_only``),
    ``sample_weight`` broadcastable to ``(N,)``. ``arrays`` only join the namespace check."""
    xp, out_dtype, dtype = prepare(
        "pos_scores",
        pos_scores,
        reduction=reduction,
        hyper=hyper,
        neg_scores=neg_scores,
        sample_weight=sample_weight,
        **arrays,
    )
    check_floating(xp, "neg_scores", neg_scores)
    check_ndim("pos_scores", pos_scores, 1, "(N,)")
    n = pos_scores.shape[0]
    allowed = (2,) if paired_only else (1, 2)
    if neg_scores.ndim not in allowed or neg_scores.shape[0] != n:
        shapes = f"({n}, K)" if paired_only else f"({n},) or ({n}, K)"
        raise ValueError(
            f"neg_scores must have shape {shapes} for pos_scores of shape ({n},); "
            f"got {tuple(neg_scores.shape)}"
        )
    check_sample_weight(xp, sample_weight, (n,))
    neg = as_dtype(xp, neg_scores, dtype)
    if neg.ndim == 1:
        neg = neg[:, None]
    return _PosNeg(xp, as_dtype(xp, pos_scores, dtype), neg, out_dtype)


def _mean_over_negatives(xp: Namespace, pair_losses: Array) -> Array:
    """Each row's mean over its K pairs; ``K = 0`` is a ValueError (no pair to average) unless
    the batch is empty too. ``sum / K``: ``xp.mean`` warns on NumPy for an empty batch."""
    n, k = pair_losses.shape
    if k == 0 and n > 0:
        raise ValueError(f"neg_scores must hold at least one negative per row; got shape ({n}, 0)")
    total = xp.sum(pair_losses, axis=1)
    return total / k if k else total


@sample_weighted
def bpr_loss(
    pos_scores: Array,
    neg_scores: Array,
    *,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Bayesian personalised ranking (Rendle et al. 2009):

    In plain text: ``l_n = mean_k softplus(s_neg[n, k] - s_pos[n])``.

    .. math:: \ell_n = \frac1K \sum_k -\log \sigma(s^+_n - s^-_{nk})
              = \frac1K \sum_k \mathrm{softplus}(s^-_{nk} - s^+_n)

    (softplus, not ``log(sigmoid)``: finite for any score gap). With ``K`` negatives per row
    the per-sample loss is their mean, so ``"mean"`` is the mean over all N·K pairs (RecBole's
    ``BPRLoss`` without its ``gamma``). Equal to ``binary_cross_entropy_with_logits(s⁺ - s⁻, 1)``
    (torch, optax) and to rax's ``pairwise_logistic_loss`` on the list ``[s⁺, s⁻…]``: both are
    cross-checks.

    Args:
        pos_scores: ``(N,)`` floating scores of each row's positive item.
        neg_scores: ``(N,)`` or ``(N, K)`` floating scores of the negatives, ``K >= 1`` (a row
            without negatives has no pair to average: ValueError).
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the scores' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - S. Rendle, C. Freudenthaler, Z. Gantner and L. Schmidt-Thieme (2009), "BPR: Bayesian
          Personalized Ranking from Implicit Feedback", UAI. arXiv:1205.2618.
        - Peer implementation followed: RecBole ``BPRLoss`` (without its ``gamma``).

    Example:
        >>> import numpy as np, math
        >>> float(bpr_loss(np.array([2.0]), np.array([1.0]))) == math.log(1 + math.exp(-1))
        True
    """
    xp, pos, neg, out_dtype = _pos_neg(
        pos_scores, neg_scores, sample_weight=sample_weight, reduction=reduction
    )
    loss = _mean_over_negatives(xp, softplus(xp, neg - pos[:, None]))
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def dynamic_margin_bpr_loss(
    pos_scores: Array,
    neg_scores: Array,
    *,
    alpha: Any = 1.0,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""BPR with a margin that grows with the current score gap :math:`d = s^+ - s^-`:

    In plain text: ``m = stop_gradient(alpha * sigmoid(d))``, ``l = softplus(m - d)``.

    .. math:: m = \mathrm{stop\_gradient}\big(\alpha\,\sigma(d)\big), \quad
              \ell = \mathrm{softplus}\big(-(d - m)\big)

    Pairs already ranked correctly must clear a larger margin (up to ``alpha``). No gradient
    flows through :math:`m` (nor into ``alpha``): the gradient is that of :func:`bpr_loss`
    evaluated at :math:`d - m` with :math:`m` a constant. Averaged over K as :func:`bpr_loss`;
    ``alpha=0`` is :func:`bpr_loss`. Defined in docs/spec.md (no peer).

    Args:
        pos_scores: ``(N,)`` floating scores of each row's positive item.
        neg_scores: ``(N,)`` or ``(N, K)`` floating scores of the negatives, ``K >= 1`` (a row
            without negatives has no pair to average: ValueError).
        alpha: the largest margin, a float ``>= 0`` or a 0-d array (no gradient flows into it).
            Default ``1.0``; ``0`` gives :func:`bpr_loss`.
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the scores' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - The loss without margin: S. Rendle, C. Freudenthaler, Z. Gantner and
          L. Schmidt-Thieme (2009), "BPR: Bayesian Personalized Ranking from Implicit Feedback",
          UAI. arXiv:1205.2618.
        - The margin: no paper: defined by this library (docs/spec.md); no peer implementation.

    Example:
        >>> import numpy as np, math
        >>> m = 1.0 / (1 + math.exp(-1.0))  # alpha * sigmoid(2 - 1)
        >>> out = dynamic_margin_bpr_loss(np.array([2.0]), np.array([1.0]))
        >>> abs(float(out) - math.log(1 + math.exp(-(1.0 - m)))) < 1e-15
        True
    """
    xp, pos, neg, out_dtype = _pos_neg(
        pos_scores,
        neg_scores,
        sample_weight=sample_weight,
        reduction=reduction,
        hyper={"alpha": alpha},
    )
    a = hyperparameter(xp, "alpha", alpha, pos, low=0.0)
    gap = pos[:, None] - neg
    margin = stop_gradient(xp, a * sigmoid(xp, gap))
    loss = _mean_over_negatives(xp, softplus(xp, margin - gap))
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


def _num_items(num_items: Any, smallest: int) -> int:
    """The catalogue size: an int of at least ``smallest``, the candidates scored here."""
    return bounded_integer("num_items", num_items, low=smallest, bound="the candidates scored here")


def _integer_ids(xp: Namespace, name: str, ids: Array, shapes: tuple[tuple[int, ...], ...]) -> None:
    check_kind(xp, name, ids, ("integral",), must="be an integer array of item ids")
    if tuple(ids.shape) not in shapes:
        raise ValueError(
            f"{name} must have shape {' or '.join(map(str, shapes))}; got {tuple(ids.shape)}"
        )


@sample_weighted
def sampled_softmax_loss(
    pos_scores: Array,
    neg_scores: Array,
    *,
    log_q: Array | None = None,
    pos_log_q: Array | None = None,
    num_items: int | None = None,
    pos_ids: Array | None = None,
    neg_ids: Array | None = None,
    remove_accidental_hits: bool | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Softmax cross entropy of each row's positive against K sampled negatives, corrected
    for the sampling (Bengio & Senécal 2008; Jean et al. 2015; Yi et al. 2019):

    In plain text: ``l_n = -s'_pos + log(exp(s'_pos) + sum_k exp(s'_neg[k]))`` with
    ``s' = s - log Q``.

    .. math:: \ell_n = -s'^{+}_n + \log\Big(e^{s'^{+}_n} + \sum_k e^{s'^{-}_{nk}}\Big),
              \quad s'^{-}_{nk} = s^-_{nk} - \log Q_{nk}, \quad s'^{+}_n = s^+_n - \log Q^+_n

    The correction, one of:

    * ``log_q`` (broadcastable to ``neg_scores``: ``(K,)`` or ``(N, K)``): the logQ correction
      of the negatives. ``pos_log_q`` ``(N,)`` corrects the positives too. With both, this is
      TensorFlow's ``sampled_softmax_loss(subtract_log_q=True)`` (``Q`` the expected count of
      the item in the sample) and Yi et al.'s in-batch correction (``Q`` the item's sampling
      frequency); KerasRS' ``SamplingProbabilityCorrection`` adds ``1e-6`` inside the log, we
      do not.
    * ``num_items``: the K negatives were drawn uniformly from the ``num_items - 1`` other
      items, so each stands for :math:`(\mathrm{num\_items}-1)/K` of them:
      :math:`\log Q_{nk} = \log(K / (\mathrm{num\_items}-1))`, the positive uncorrected. The
      partition sum is then an unbiased estimate of the full softmax's.
    * neither: no correction (plain sampled softmax).

    Accidental hits: with ``pos_ids`` ``(N,)`` and ``neg_ids`` ``(K,)`` or ``(N, K)`` (integer
    item ids), a sampled negative that is the row's own positive item is dropped from the
    partition sum (its logit becomes :math:`-\infty`, as TensorFlow's
    ``compute_accidental_hits`` / KerasRS' ``RemoveAccidentalHits``). The ids serve only that:
    ``remove_accidental_hits`` (default ``None``: remove them when ids are given) set to
    ``False`` with ids, or to ``True`` without them, would leave an argument without effect,
    and is a ValueError.

    Args:
        pos_scores: ``(N,)`` floating scores of each row's positive item.
        neg_scores: ``(N, K)`` floating scores of the K sampled negatives.
        log_q: optional log sampling probabilities (or expected counts) of the negatives,
            broadcastable to ``neg_scores`` (``(K,)`` or ``(N, K)``). Default ``None``.
        pos_log_q: optional ``(N,)`` log sampling probabilities of the positives (with ``log_q``).
            Default ``None``.
        num_items: the catalogue size, for the uniform-sampling correction (exclusive with
            ``log_q``). Default ``None``.
        pos_ids: optional ``(N,)`` integer item ids of the positives, for removing accidental hits.
        neg_ids: optional ``(K,)`` or ``(N, K)`` integer item ids of the negatives.
        remove_accidental_hits: ``None`` (default: remove them when ids are given); ``True`` or
            ``False`` must agree with whether ids are given.
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In the scores' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - Y. Bengio and J.-S. Senécal (2008), "Adaptive Importance Sampling to Accelerate Training
          of a Neural Probabilistic Language Model", IEEE Transactions on Neural Networks 19(4).
          DOI 10.1109/TNN.2007.912312.
        - S. Jean, K. Cho, R. Memisevic and Y. Bengio (2015), "On Using Very Large Target
          Vocabulary for Neural Machine Translation", ACL. arXiv:1412.2007.
        - X. Yi, J. Yang, L. Hong, D. Z. Cheng, L. Heldt, A. Kumthekar, Z. Zhao, L. Wei and E. Chi
          (2019), "Sampling-Bias-Corrected Neural Modeling for Large Corpus Item Recommendations",
          RecSys. DOI 10.1145/3298689.3346996.
        - Peer implementations followed: TensorFlow ``tf.nn.sampled_softmax_loss`` and KerasRS
          ``SamplingProbabilityCorrection`` / ``RemoveAccidentalHits``.

    Example:
        >>> import numpy as np, math
        >>> pos, neg = np.array([1.0]), np.array([[0.0, 0.0]])
        >>> expected = -1.0 + math.log(math.e + 2 * 4.5)  # (10 - 1) / 2 = 4.5 items per draw
        >>> abs(float(sampled_softmax_loss(pos, neg, num_items=10)) - expected) < 1e-15
        True
    """
    xp, pos, neg, out_dtype = _pos_neg(
        pos_scores,
        neg_scores,
        sample_weight=sample_weight,
        reduction=reduction,
        paired_only=True,
        log_q=log_q,
        pos_log_q=pos_log_q,
        pos_ids=pos_ids,
        neg_ids=neg_ids,
    )
    if remove_accidental_hits is not None:
        remove_accidental_hits = flag("remove_accidental_hits", remove_accidental_hits)
    n, k = neg.shape
    if num_items is not None:
        if log_q is not None or pos_log_q is not None:
            raise ValueError(
                "num_items (uniform sampling) and log_q/pos_log_q (given sampling "
                "probabilities) are two corrections: pass one"
            )
        num_items = _num_items(num_items, k + 1)
        if k == 0:
            raise ValueError(
                "num_items corrects the sampled negatives; neg_scores has none "
                "(K = 0), so it would have no effect: leave it out"
            )
        neg = neg + math.log((num_items - 1) / k)
    if log_q is not None:
        check_floating(xp, "log_q", log_q)
        if tuple(log_q.shape) not in ((k,), (n, k)):
            raise ValueError(
                f"log_q must have shape ({k},) or ({n}, {k}) (one per negative); "
                f"got {tuple(log_q.shape)}"
            )
        neg = neg - as_dtype(xp, log_q, neg.dtype)
    if pos_log_q is not None:
        check_floating(xp, "pos_log_q", pos_log_q)
        if tuple(pos_log_q.shape) != (n,):
            raise ValueError(f"pos_log_q must have shape ({n},); got {tuple(pos_log_q.shape)}")
        pos = pos - as_dtype(xp, pos_log_q, pos.dtype)
    if (pos_ids is None) != (neg_ids is None):
        raise ValueError(
            "pos_ids and neg_ids go together (accidental hits are negatives whose "
            "id is the row's positive id); got only "
            f"{'pos_ids' if neg_ids is None else 'neg_ids'}"
        )
    if remove_accidental_hits is False and pos_ids is not None:
        raise ValueError(
            "pos_ids and neg_ids serve only to remove accidental hits; with "
            "remove_accidental_hits=False they have no effect: leave them out"
        )
    if remove_accidental_hits is True and pos_ids is None:
        raise ValueError(
            "remove_accidental_hits=True needs pos_ids and neg_ids (the hits are "
            "found by id); without them it has no effect"
        )
    if pos_ids is not None and neg_ids is not None:
        _integer_ids(xp, "pos_ids", pos_ids, ((n,),))
        _integer_ids(xp, "neg_ids", neg_ids, ((k,), (n, k)))
        hits = neg_ids == pos_ids[:, None]
        neg = xp.where(hits, xp.full_like(neg, -float("inf")), neg)
    logits = xp.concat([pos[:, None], neg], axis=1)
    loss = logsumexp(xp, logits, axis=1) - pos
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def normalized_sampled_softmax_loss(
    scores: Array,
    *,
    num_items: int,
    eps: float = 1e-6,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""In-batch sampled softmax on z-scored scores, corrected for uniform sampling. For the
    ``(B, B)`` matrix ``scores`` (row i: user i against every item of the batch, its positive
    on the diagonal),

    In plain text: z-score the matrix, ``s' = (s - mean(s)) / (std(s) + eps)``, add
    ``log((num_items - 1) / (B - 1))`` off the diagonal, and take the cross entropy of each row
    with its diagonal entry as the label.

    .. math:: s' = \frac{s - \mathrm{mean}(s)}{\mathrm{std}(s) + \epsilon}, \quad
              s''_{ij} = s'_{ij} + [i \ne j]\,\log\frac{\mathrm{num\_items} - 1}{B - 1}, \quad
              \ell_i = -\log \mathrm{softmax}(s''_{i,:})_i

    mean and (population, ``ddof=0``) standard deviation over the whole matrix, with gradients
    flowing through both (a constant matrix, std 0, has a finite gradient: the std's is taken
    as 0 there). The B - 1 in-batch negatives stand for the ``num_items - 1`` other
    items (the correction of :func:`sampled_softmax_loss` with ``num_items``). There is no
    temperature: the z-scoring fixes the logits' scale. ``num_items == B`` is plain in-batch
    cross entropy on the z-scored matrix. Defined in docs/spec.md (no peer).

    Args:
        scores: ``(B, B)`` floating, ``B >= 2`` (or ``B = 0``, the empty batch): row i is
            user i against every item of the batch, its positive on the diagonal.
        num_items: the catalogue size, an int ``>= B``.
        eps: added to the standard deviation, :math:`\epsilon > 0`. Default ``1e-6``.
        sample_weight: optional ``(B,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(B,)`` for
        ``reduction="none"``.

    References:
        - No paper: defined by this library (docs/spec.md); no peer implementation.
        - The uniform-sampling correction as :func:`sampled_softmax_loss` (Yi et al. 2019,
          DOI 10.1145/3298689.3346996).

    Example:
        >>> import numpy as np, math
        >>> s = np.array([[1.0, -1.0], [-1.0, 1.0]])  # already z-scored: mean 0, std 1
        >>> expected = -1.0 + math.log(math.e + math.exp(-1.0) * 9)  # log((10 - 1) / 1)
        >>> abs(float(normalized_sampled_softmax_loss(s, num_items=10)) - expected) < 1e-5
        True
    """
    xp, out_dtype, dtype = prepare(
        "scores", scores, reduction=reduction, sample_weight=sample_weight
    )
    check_ndim("scores", scores, 2, "(B, B)")
    b = scores.shape[0]
    if scores.shape[1] != b or b == 1:
        raise ValueError(
            f"scores must be a square (B, B) matrix with B >= 2 (positives on the "
            f"diagonal) or B = 0; got shape {tuple(scores.shape)}"
        )
    num_items = _num_items(num_items, max(b, 2))
    eps = positive_float("eps", eps)
    check_sample_weight(xp, sample_weight, (b,))
    s = as_dtype(xp, scores, dtype)
    if b == 0:  # the empty batch: no rows (xp.mean of nothing would warn on NumPy)
        loss = xp.sum(s, axis=1)
        return reduce_loss(
            xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
        )
    centred = s - xp.mean(s)
    var = xp.mean(centred * centred)
    # std = sqrt(var) with a zero gradient at var = 0 (a constant matrix, e.g. zero-initialised
    # embeddings), where sqrt's is infinite and JAX's std gives NaN; NaN var stays NaN
    std = sqrt_at_zero(xp, var)
    z = centred / (std + eps)
    correction = math.log((num_items - 1) / (b - 1))
    eye = xp.eye(b, dtype=xp.bool, device=device_of(z))
    logits = xp.where(eye, z, z + correction)
    diagonal = xp.sum(xp.where(eye, z, xp.zeros_like(z)), axis=1)
    loss = logsumexp(xp, logits, axis=1) - diagonal
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def csar_loss(
    energies: Array,
    target: Array,
    *,
    eps: float = 1e-8,
    axis: int = -1,
    class_weight: Array | None = None,
    ignore_index: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Cross entropy over non-negative energies (CSAR): the logits are
    :math:`\log(e + \epsilon)`, so

    In plain text: ``l = -log((e_y + eps) / sum_c (e_c + eps))``.

    .. math:: \ell = -\log \frac{e_y + \epsilon}{\sum_c (e_c + \epsilon)}

    and a model whose energy is a product of factors (each a ``softplus`` output) has logits
    that are the sum of the factors' logs. Then :func:`arraylosses.cross_entropy` with
    ``target`` (class indices or probabilities), ``class_weight``, ``ignore_index``,
    ``sample_weight`` and ``reduction``. Negative energies raise (checked eagerly; under
    ``jit`` they give NaN); NaN energies propagate.
    Defined in docs/spec.md (no peer).

    Args:
        energies: ``(N, C)`` floating, ``>= 0`` (classes on ``axis``).
        target: class indices (integer, ``(N,)``) or probabilities (floating, ``(N, C)``).
        eps: added to every energy before the log, :math:`\epsilon > 0`. Default ``1e-8``.
        axis: the class axis. Default ``-1``.
        class_weight: optional ``(C,)`` per-class weights, as :func:`arraylosses.cross_entropy`.
        ignore_index: a class index whose rows are skipped, as :func:`arraylosses.cross_entropy`.
            Default ``None``.
        sample_weight: optional ``(N,)`` per-row weights. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In ``energies``' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)``
        for ``reduction="none"``.

    References:
        - No paper: defined by this library (docs/spec.md); no peer implementation.

    Example:
        >>> import numpy as np
        >>> round(float(csar_loss(np.array([[3.0, 1.0]]), np.array([0]))), 6)  # -log(3/4)
        0.287682
    """
    # target, class_weight, sample_weight and the reduction are checked by cross_entropy
    xp, out_dtype, dtype = prepare(
        "energies",
        energies,
        reduction=reduction,
        target=target,
        class_weight=class_weight,
        sample_weight=sample_weight,
    )
    eps = positive_float("eps", eps)
    # NaN passes: it propagates, as any NaN input
    check_values(
        xp,
        ~(energies < 0),
        "energies must be non-negative (softplus or exp outputs); got a negative value",
    )
    logits = xp.log(as_dtype(xp, energies, dtype) + eps)  # eps would vanish in float16
    loss = cross_entropy(
        logits,
        target,
        axis=axis,
        class_weight=class_weight,
        ignore_index=ignore_index,
        sample_weight=sample_weight,
        reduction=reduction,
    )
    return as_dtype(xp, loss, out_dtype)


@sample_weighted
def listnet_loss(
    scores: Array,
    relevance: Array,
    *,
    where: Array | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Top-one ListNet (Cao et al. 2007): the cross entropy between the list's relevance
    distribution and its score distribution,

    In plain text: ``l = -sum_i softmax(r)_i * log_softmax(s)_i``.

    .. math:: \ell = -\sum_i \mathrm{softmax}(r)_i \log \mathrm{softmax}(s)_i

    over the last axis (one list per row). ``where`` (boolean, ``scores``' shape) marks the
    valid items of padded lists: the others take no part in either softmax. A list without any
    valid item has loss 0 and is left out of ``"mean"``. Peers: sentence-transformers'
    cross-encoder ``ListNetLoss`` (``CrossEntropyLoss(logits, labels.softmax(dim=1))``) and rax
    ``softmax_loss(scores, softmax(relevance))`` (rax's own ``softmax_loss`` takes the labels
    as the target distribution as they are, not their softmax).

    Args:
        scores: ``(..., L)`` floating scores, one list of L items per row.
        relevance: ``(..., L)`` real relevance labels, ``scores``' shape.
        where: optional boolean mask, ``scores``' shape: the valid items of padded lists. Default
            ``None`` (all valid).
        sample_weight: optional per-list weights, ``scores.shape[:-1]``. Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one loss
        per list (``scores.shape[:-1]``) for ``reduction="none"``.

    References:
        - Z. Cao, T. Qin, T.-Y. Liu, M.-F. Tsai and H. Li (2007), "Learning to Rank: From Pairwise
          Approach to Listwise Approach", ICML. DOI 10.1145/1273496.1273513.
        - Peer implementations followed: sentence-transformers ``ListNetLoss`` and rax
          ``softmax_loss``.

    Example:
        >>> import numpy as np
        >>> round(float(listnet_loss(np.zeros((1, 4)), np.arange(4.0)[None])), 12)  # log 4
        1.386294361120
    """
    xp, out_dtype, dtype = prepare(
        "scores",
        scores,
        reduction=reduction,
        relevance=relevance,
        where=where,
        sample_weight=sample_weight,
    )
    check_floating(xp, "relevance", relevance)
    if scores.ndim < 1 or tuple(relevance.shape) != tuple(scores.shape):
        raise ValueError(
            f"relevance must have scores' shape {tuple(scores.shape)} (..., L); got "
            f"{tuple(relevance.shape)}"
        )
    if where is not None:
        check_kind(
            xp,
            "where",
            where,
            ("bool",),
            must=f"be a boolean array of scores' shape {tuple(scores.shape)}",
        )
        if tuple(where.shape) != tuple(scores.shape):
            raise ValueError(
                f"where must be a boolean array of scores' shape {tuple(scores.shape)}; "
                f"got shape {tuple(where.shape)}"
            )
    check_sample_weight(xp, sample_weight, tuple(scores.shape[:-1]))
    s, r = as_dtype(xp, scores, dtype), as_dtype(xp, relevance, dtype)
    if where is None:
        loss = -xp.sum(softmax(xp, r, axis=-1) * log_softmax(xp, s, axis=-1), axis=-1)
        return reduce_loss(
            xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
        )
    zeros = xp.zeros_like(s)
    valid = xp.any(where, axis=-1, keepdims=True)
    # masked items -inf (out of both softmaxes); a list with no valid item all 0 instead, not
    # its own padding (which may be -inf: a softmax of -infs has NaN gradients even where the
    # loss is then zeroed), and its loss zeroed: no NaN anywhere, value or gradient
    filler = xp.where(valid, const(xp, -math.inf, s), const(xp, 0.0, s))
    keep = where | ~valid
    p = softmax(xp, xp.where(where, r, filler), axis=-1)
    log_q = log_softmax(xp, xp.where(where, s, filler), axis=-1)
    loss = -xp.sum(xp.where(keep, p * xp.where(keep, log_q, zeros), zeros), axis=-1)
    has_items = valid[..., 0]
    loss = xp.where(has_items, loss, xp.zeros_like(loss))
    return reduce_loss(
        xp,
        loss,
        reduction=reduction,
        sample_weight=sample_weight,
        out_dtype=out_dtype,
        norm=xp.astype(has_items, loss.dtype),
    )
