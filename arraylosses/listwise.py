"""Learning-to-rank and ranking-distillation losses over lists of scores (wave 3).

Re-exported through :mod:`arraylosses.ranking` (and at top level); this module only keeps
``ranking.py`` readable.

* :func:`margin_mse_loss`, :func:`distill_kl_div_loss`: distil a teacher's margins or score
  distribution into a student's scores;
* :func:`list_mle_loss`: the Plackett-Luce likelihood of the label order (ListMLE);
* :func:`pairwise_hinge_loss`, :func:`pairwise_logistic_loss`: over every pair of a list with
  different labels, optionally with rax's lambda weights;
* :func:`lambda_loss`: the LambdaLoss framework (RankNet, NDCG-Loss1/2/2++, LambdaRank);
* :func:`approx_ndcg_loss`: minus NDCG with sigmoid-smoothed ranks.

Padded lists: ``where`` (boolean, the scores' shape) marks the valid items. The masked entries
may hold anything (NaN, ±inf): they are replaced by constants before any arithmetic, so they
change neither the value nor the gradients (0 there). A list without a valid item has loss 0
and is left out of ``"mean"``.

Losses normalised by a count of units (the pairwise losses, :func:`lambda_loss`): ``"none"``
gives each list's **sum** over its pairs, ``"sum"`` is ``Σ w·l`` and ``"mean"`` is
``Σ w·l / Σ w·n`` with ``n`` the list's number of pairs, which is the peers' mean over every
pair of the batch. It is therefore not the mean of ``"none"``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from ._backend import (
    Array,
    Namespace,
    as_dtype,
    const,
    device_of,
    log_sigmoid,
    log_softmax,
    logaddexp,
    sigmoid,
    softplus,
    stop_gradient,
    take_along_axis,
)
from ._ops import reduce_loss
from ._validate import (
    as_array,
    check_floating,
    check_kind,
    check_option,
    check_real,
    check_sample_weight,
    hyperparameter,
    integer,
    positive_float,
    prepare,
    sample_weighted,
    unused,
)
from .typing import Reduction

__all__ = [
    "approx_ndcg_loss",
    "distill_kl_div_loss",
    "lambda_loss",
    "list_mle_loss",
    "margin_mse_loss",
    "pairwise_hinge_loss",
    "pairwise_logistic_loss",
]

LambdaWeight = Literal["labeldiff", "dcg", "dcg2"]
WeightingScheme = Literal["ndcg_loss1", "ndcg_loss2", "lambdarank", "ndcg_loss2pp"]
_LAMBDAWEIGHTS = ("labeldiff", "dcg", "dcg2")
_SCHEMES = ("ndcg_loss1", "ndcg_loss2", "lambdarank", "ndcg_loss2pp")
_LN2 = math.log(2.0)


# ---------------------------------------------------------------------------------------------
# Shared pieces


def _check_where(xp: Namespace, where: Array | None, shape: tuple[int, ...]) -> None:
    if where is None:
        return
    check_kind(xp, "where", where, ("bool",), must=f"be a boolean array of scores' shape {shape}")
    if tuple(where.shape) != shape:
        raise ValueError(
            f"where must be a boolean array of scores' shape {shape}; got shape "
            f"{tuple(where.shape)}"
        )


def _lists(
    scores: Array,
    labels: Array,
    *,
    where: Array | None,
    sample_weight: Array | None,
    reduction: Any,
    hyper: dict[str, Any] | None = None,
) -> tuple[Namespace, Any, Array, Array, Array, Array | None]:
    """The listwise inputs validated: ``(xp, out_dtype, s, y, valid, where)`` with the
    masked entries of the scores ``s`` and labels ``y`` (compute dtype) replaced by 0, the
    labels under stop_gradient, and ``valid`` the boolean mask (all True without ``where``)."""
    xp, out_dtype, dtype = prepare(
        "scores",
        scores,
        reduction=reduction,
        hyper=hyper,
        labels=labels,
        where=where,
        sample_weight=sample_weight,
    )
    check_real(xp, "labels", labels)
    shape = tuple(scores.shape)
    if scores.ndim < 1:
        raise ValueError("scores must have shape (..., L): one list of L items per row; got 0-d")
    if tuple(labels.shape) != shape:
        raise ValueError(
            f"labels must have scores' shape {shape} (..., L); got {tuple(labels.shape)}"
        )
    _check_where(xp, where, shape)
    check_sample_weight(xp, sample_weight, shape[:-1])
    s = as_dtype(xp, scores, dtype)
    y = stop_gradient(xp, as_dtype(xp, labels, dtype))
    if where is None:
        valid = xp.ones(shape, dtype=xp.bool, device=device_of(s))
        return xp, out_dtype, s, y, valid, None
    zeros = xp.zeros_like(s)
    return xp, out_dtype, xp.where(where, s, zeros), xp.where(where, y, zeros), where, where


def _order(xp: Namespace, key: Array, valid: Array) -> Array:
    """The indices that sort each list by ``key`` descending, the valid items first, ties in
    input order (two stable sorts). ``key`` holds no NaN at masked entries."""
    first = xp.argsort(key, axis=-1, descending=True, stable=True)
    masked = take_along_axis(xp, xp.astype(~valid, key.dtype), first, axis=-1)
    second = xp.argsort(masked, axis=-1, stable=True)
    return take_along_axis(xp, first, second, axis=-1)


def _ranks(xp: Namespace, key: Array, valid: Array) -> Array:
    """The 1-based rank of each item by ``key`` (descending, ties in input order, masked items
    after the valid ones), as ``key``'s dtype (no gradient)."""
    order = _order(xp, key, valid)
    return xp.astype(xp.argsort(order, axis=-1), key.dtype) + 1


def _pairs(x: Array) -> Array:
    """``x_i - x_j`` over the last axis: ``(..., L, L)``."""
    return x[..., :, None] - x[..., None, :]


def _both(valid: Array) -> Array:
    return valid[..., :, None] & valid[..., None, :]


def _discount(xp: Namespace, ranks: Array) -> Array:
    """``1 / log2(1 + r)``."""
    return _LN2 / xp.log1p(ranks)


def _reduce_counted(
    xp: Namespace,
    pair_losses: Array,
    kept: Array,
    *,
    reduction: str,
    sample_weight: Array | None,
    out_dtype: Any,
) -> Array:
    """Each list's sum over its kept pairs, reduced with the mean over kept pairs."""
    zeros = xp.zeros_like(pair_losses)
    loss = xp.sum(xp.sum(xp.where(kept, pair_losses, zeros), axis=-1), axis=-1)
    count = xp.sum(xp.sum(xp.astype(kept, loss.dtype), axis=-1), axis=-1)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype, norm=count
    )


def _safe_logaddexp(xp: Namespace, a: Array, b: Array) -> Array:
    """``logaddexp(a, b)`` with a zero (not NaN) gradient where both are ``-inf``."""
    both = (a == -math.inf) & (b == -math.inf)
    zeros = xp.zeros_like(a)
    out = logaddexp(xp, xp.where(both, zeros, a), xp.where(both, zeros, b))
    return xp.where(both, a, out)


def _suffix_logsumexp(xp: Namespace, x: Array) -> Array:
    """``out[..., i] = log Σ_{j >= i} e^{x_j}`` along the last axis (a Hillis-Steele scan of
    ``logaddexp``: ``ceil(log2 L)`` rounds, nothing over- or underflows). ``-inf`` entries are
    allowed; a suffix of ``-inf`` only gives ``-inf`` with a zero gradient."""
    n = x.shape[-1]
    step = 1
    while step < n:
        head = _safe_logaddexp(xp, x[..., : n - step], x[..., step:])
        x = xp.concat([head, x[..., n - step :]], axis=-1)
        step *= 2
    return x


# ---------------------------------------------------------------------------------------------
# Distillation


@sample_weighted
def margin_mse_loss(
    pos_scores: Array,
    neg_scores: Array,
    teacher_margins: Array,
    *,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Margin-MSE distillation (Hofstätter et al. 2020): the student's margins between the
    positive and each negative regress onto the teacher's.

    In plain text: ``l_n = mean_k ((s_pos[n] - s_neg[n, k]) - m[n, k])^2``, ``m`` under
    stop_gradient.

    .. math:: \ell_n = \frac1K \sum_k \big((s^+_n - s^-_{nk}) - m_{nk}\big)^2

    ``"mean"`` is the mean over every (query, negative) pair, as the paper and
    sentence-transformers' ``MarginMSELoss`` (MSE over the ``(N, K)`` margins). The teacher
    margins are constants (no gradient reaches them, as ST's ``labels.detach()``). Any student
    score works: dot products, cosines, or :func:`arraylosses.maxsim` scores (ST's
    ``MultiVectorMarginMSELoss``). With teacher **scores** ``t`` ``(N, 1 + K)``, pass
    ``t[:, :1] - t[:, 1:]``: ST guesses the meaning of its labels from their shape (a
    ``(N, 2)`` array is read as scores when K = 1); we take margins only, of ``neg_scores``'
    shape, and any other shape is a ValueError.

    Args:
        pos_scores: ``(N,)`` floating scores of each query's positive.
        neg_scores: ``(N,)`` or ``(N, K)`` floating scores of the negatives, ``K >= 1``.
        teacher_margins: the teacher's ``s⁺ - s⁻``, exactly ``neg_scores``' shape.
        sample_weight: optional ``(N,)`` per-query weights. Default ``None``.
        reduction: ``"mean"`` (default, the peer's), ``"sum"`` or ``"none"``.

    Returns:
        In the scores' floating dtype, a 0-d array for ``"mean"``/``"sum"``, ``(N,)`` for
        ``reduction="none"``.

    References:
        - S. Hofstätter, S. Althammer, M. Schröder, M. Sertkan and A. Hanbury (2020),
          "Improving Efficient Neural Ranking Models with Cross-Architecture Knowledge
          Distillation". arXiv:2010.02666.
        - Peer implementation followed: sentence-transformers ``MarginMSELoss``.

    Example:
        >>> import numpy as np
        >>> float(margin_mse_loss(np.array([3.0]), np.array([1.0]), np.array([1.5])))
        0.25
    """
    xp, out_dtype, dtype = prepare(
        "pos_scores",
        pos_scores,
        reduction=reduction,
        neg_scores=neg_scores,
        teacher_margins=teacher_margins,
        sample_weight=sample_weight,
    )
    check_floating(xp, "neg_scores", neg_scores)
    check_floating(xp, "teacher_margins", teacher_margins)
    if pos_scores.ndim != 1:
        raise ValueError(f"pos_scores must have shape (N,); got {tuple(pos_scores.shape)}")
    n = pos_scores.shape[0]
    if neg_scores.ndim not in (1, 2) or neg_scores.shape[0] != n:
        raise ValueError(
            f"neg_scores must have shape ({n},) or ({n}, K) for pos_scores of shape ({n},); "
            f"got {tuple(neg_scores.shape)}"
        )
    if tuple(teacher_margins.shape) != tuple(neg_scores.shape):
        raise ValueError(
            f"teacher_margins must have neg_scores' shape {tuple(neg_scores.shape)} (the "
            f"teacher's s⁺ - s⁻ per negative; for teacher scores (N, 1 + K) pass "
            f"t[:, :1] - t[:, 1:]); got {tuple(teacher_margins.shape)}"
        )
    check_sample_weight(xp, sample_weight, (n,))
    pos = as_dtype(xp, pos_scores, dtype)
    neg = as_dtype(xp, neg_scores, dtype)
    m = stop_gradient(xp, as_dtype(xp, teacher_margins, dtype))
    if neg.ndim == 1:
        neg, m = neg[:, None], m[:, None]
    k = neg.shape[1]
    if k == 0 and n > 0:
        raise ValueError(f"neg_scores must hold at least one negative per row; got shape ({n}, 0)")
    r = (pos[:, None] - neg) - m
    loss = xp.sum(r * r, axis=1)
    loss = loss / k if k else loss
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def distill_kl_div_loss(
    scores: Array,
    teacher_scores: Array,
    *,
    temperature: Any = 1.0,
    student_temperature: Any = None,
    teacher_temperature: Any = None,
    where: Array | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""KL divergence from the teacher's score distribution over each row's candidates to
    the student's (Lin et al. 2020), scaled by the student temperature squared (Hinton et al.):

    In plain text: ``p = softmax(t / tau_t)``,
    ``l = tau_s^2 * sum_c p_c (log p_c - log_softmax(s / tau_s)_c)``, with ``0 log 0 = 0``.

    .. math:: p = \mathrm{softmax}(t/\tau_t), \quad
              \ell = \tau_s^2 \sum_c p_c \big(\log p_c - \log\mathrm{softmax}(s/\tau_s)_c\big)

    ``τ_s = student_temperature`` and ``τ_t = teacher_temperature``, each ``temperature``
    where not given (sentence-transformers' ``DistillKLDivLoss``, which scales by
    ``student_temperature²`` only). The teacher scores are constants; a temperature given as
    a 0-d array gets its gradient through both softmaxes. A teacher score of ``-inf`` has
    probability 0 and contributes 0. ``where`` marks the valid candidates of padded rows:
    the others leave both softmaxes; a row without a valid candidate has loss 0 and is left
    out of ``"mean"``. ``"mean"`` is ``torch.nn.KLDivLoss(reduction="batchmean")``, ST's.
    ST raises for fewer than two candidates; one candidate gives 0 here. ST raises on NaN
    teacher scores; they give NaN here. PyLate's ``Distillation`` is a different loss
    (min-max normalised scores, no temperature).

    Args:
        scores: ``(..., C)`` floating student scores of each row's C candidates.
        teacher_scores: ``(..., C)`` teacher scores (constants), ``scores``' shape.
        temperature: ``τ > 0``, a float or a 0-d array. Default ``1.0`` (ST's).
        student_temperature: ``τ_s``, a float ``> 0`` or a 0-d array; ``None`` (default):
            ``temperature``.
        teacher_temperature: ``τ_t``, likewise; ``None`` (default): ``temperature``.
        where: optional boolean mask, ``scores``' shape: the valid candidates. Default ``None``.
        sample_weight: optional per-row weights, ``scores.shape[:-1]``. Default ``None``.
        reduction: ``"mean"`` (default, the peer's), ``"sum"`` or ``"none"``.

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one loss per
        row (``scores.shape[:-1]``) for ``reduction="none"``.

    References:
        - S.-C. Lin, J.-H. Yang and J. Lin (2020), "Distilling Dense Representations for
          Ranking using Tightly-Coupled Teachers". arXiv:2010.11386.
        - G. Hinton, O. Vinyals and J. Dean (2015), "Distilling the Knowledge in a Neural
          Network". arXiv:1503.02531.
        - Peer implementation followed: sentence-transformers ``DistillKLDivLoss``.

    Example:
        >>> import numpy as np
        >>> float(distill_kl_div_loss(np.array([[1.0, 2.0]]), np.array([[1.0, 2.0]])))
        0.0
    """
    hyper = {
        "temperature": temperature,
        "student_temperature": student_temperature,
        "teacher_temperature": teacher_temperature,
    }
    xp, out_dtype, dtype = prepare(
        "scores",
        scores,
        reduction=reduction,
        hyper=hyper,
        teacher_scores=teacher_scores,
        where=where,
        sample_weight=sample_weight,
    )
    check_floating(xp, "teacher_scores", teacher_scores)
    shape = tuple(scores.shape)
    if scores.ndim < 1:
        raise ValueError("scores must have shape (..., C): C candidates per row; got 0-d")
    if tuple(teacher_scores.shape) != shape:
        raise ValueError(
            f"teacher_scores must have scores' shape {shape}; got {tuple(teacher_scores.shape)}"
        )
    _check_where(xp, where, shape)
    check_sample_weight(xp, sample_weight, shape[:-1])
    unused(
        "temperature",
        temperature,
        unless=student_temperature is None or teacher_temperature is None,
        because="where student_temperature or teacher_temperature is None",
        idle=1.0,
    )
    s = as_dtype(xp, scores, dtype)
    t = stop_gradient(xp, as_dtype(xp, teacher_scores, dtype))
    tau = {
        name: hyperparameter(xp, name, value, s, low=0.0, low_inclusive=False)
        for name, value in hyper.items()
        if value is not None
    }
    tau_s = as_array(xp, tau.get("student_temperature", tau["temperature"]), s)
    tau_t = as_array(xp, tau.get("teacher_temperature", tau["temperature"]), s)
    has_items = keep = None
    if where is not None:
        zeros = xp.zeros_like(s)
        s, t = xp.where(where, s, zeros), xp.where(where, t, zeros)
    s, t = s / tau_s, t / tau_t
    if where is not None:
        # masked entries leave both softmaxes (set to -inf after the temperature: -inf/τ has
        # an infinite τ-derivative); a row without a valid entry is computed on zeros (finite
        # everywhere) and its loss set to 0
        has_items = xp.any(where, axis=-1)
        filler = xp.where(has_items[..., None], const(xp, -math.inf, s), const(xp, 0.0, s))
        keep = where
        s, t = xp.where(where, s, filler), xp.where(where, t, filler)
    log_p = log_softmax(xp, t, axis=-1)
    log_q = log_softmax(xp, s, axis=-1)
    p = xp.exp(log_p)
    positive = p != 0  # NaN is not 0: a NaN teacher score stays NaN
    if keep is not None:
        positive = positive & keep
    zeros = xp.zeros_like(p)
    # both logs made safe where p = 0 (or the entry is masked): 0·(-inf) would give NaN
    # gradients through p (a learnable teacher temperature) and through log q
    gap = xp.where(positive, log_p, zeros) - xp.where(positive, log_q, zeros)
    terms = xp.where(positive, p * gap, zeros)
    loss = xp.sum(terms, axis=-1) * (tau_s * tau_s)
    norm = None
    if has_items is not None:
        loss = xp.where(has_items, loss, xp.zeros_like(loss))
        norm = xp.astype(has_items, loss.dtype)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype, norm=norm
    )


# ---------------------------------------------------------------------------------------------
# Listwise and pairwise losses


@sample_weighted
def list_mle_loss(
    scores: Array,
    labels: Array,
    *,
    where: Array | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""ListMLE (Xia et al. 2008): the negative Plackett-Luce log-likelihood of the order of
    each list's items by their labels.

    In plain text: sort the valid items by label, descending (ties in input order), then
    ``l = -sum_i [s_(i) - log sum_{j >= i} exp(s_(j))]``.

    .. math:: \ell = -\sum_{i=1}^{n} \Big[s_{(i)} - \log \sum_{j \ge i} e^{s_{(j)}}\Big]

    The sort is stable (rax without ``key``). ``where`` marks the valid items of padded lists;
    a list without one has loss 0 and is left out of ``"mean"`` (rax). Peers: rax
    ``listmle_loss`` (which adds ``finfo.tiny`` inside its cumulative log-sum-exp:
    negligible) and sentence-transformers' cross-encoder ``ListMLELoss(respect_input_order=False)``
    on variable-length lists (float32, torch's unstable sort). ST's default
    ``respect_input_order=True`` ignores the labels and takes the input order as the
    target: pass ``labels = -arange(L)`` for it.

    Args:
        scores: ``(..., L)`` floating scores, one list of L items per row.
        labels: ``(..., L)`` real relevance labels (constants), ``scores``' shape.
        where: optional boolean mask, ``scores``' shape: the valid items. Default ``None``.
        sample_weight: optional per-list weights, ``scores.shape[:-1]``. Default ``None``.
        reduction: ``"mean"`` (default, the peers'), ``"sum"`` or ``"none"``.

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one loss per
        list (``scores.shape[:-1]``) for ``reduction="none"``.

    References:
        - F. Xia, T.-Y. Liu, J. Wang, W. Zhang and H. Li (2008), "Listwise Approach to
          Learning to Rank: Theory and Algorithm", ICML. DOI 10.1145/1390156.1390306.
        - Peer implementations followed: rax ``listmle_loss``, sentence-transformers
          ``ListMLELoss``.

    Example:
        >>> import numpy as np, math
        >>> out = list_mle_loss(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]))
        >>> abs(float(out) - math.log(2)) < 1e-15
        True
    """
    xp, out_dtype, s, y, valid, where = _lists(
        scores, labels, where=where, sample_weight=sample_weight, reduction=reduction
    )
    order = _order(xp, y, valid)
    s_sorted = take_along_axis(xp, s, order, axis=-1)
    valid_sorted = take_along_axis(xp, valid, order, axis=-1)
    lse = _suffix_logsumexp(xp, xp.where(valid_sorted, s_sorted, const(xp, -math.inf, s)))
    zeros = xp.zeros_like(s)
    terms = xp.where(valid_sorted, s_sorted - xp.where(valid_sorted, lse, zeros), zeros)
    loss = -xp.sum(terms, axis=-1)
    norm = None if where is None else xp.astype(xp.any(where, axis=-1), loss.dtype)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype, norm=norm
    )


def _lambdaweights(
    xp: Namespace, kind: str, s: Array, y: Array, valid: Array, both: Array
) -> Array:
    """rax's lambda weights (``normalize=False``, ``topn=None``), under stop_gradient."""
    s, y = stop_gradient(xp, s), stop_gradient(xp, y)
    if kind == "labeldiff":
        return xp.abs(_pairs(y))
    length = s.shape[-1]
    ranks = _ranks(xp, s, valid)
    gains = xp.abs(_pairs(2.0**y - 1.0))
    if kind == "dcg":
        discounts = xp.abs(_pairs(_discount(xp, ranks)))
    else:  # dcg2
        apart = xp.abs(_pairs(ranks))
        nonzero = apart != 0
        safe = xp.where(nonzero, apart, xp.ones_like(apart))
        step = xp.abs(_discount(xp, safe) - _discount(xp, safe + 1))
        discounts = xp.where(nonzero, step, xp.zeros_like(step))
    return xp.where(both, gains * discounts, xp.zeros_like(gains)) * length


def _pairwise(
    name: str,
    scores: Array,
    labels: Array,
    *,
    lambdaweight: Any,
    where: Array | None,
    sample_weight: Array | None,
    reduction: Any,
) -> Array:
    xp, out_dtype, s, y, valid, _ = _lists(
        scores, labels, where=where, sample_weight=sample_weight, reduction=reduction
    )
    if lambdaweight is not None:
        check_option("lambdaweight", lambdaweight, _LAMBDAWEIGHTS)
    both = _both(valid)
    kept = both & (_pairs(y) > 0)
    d = _pairs(s)
    if name == "hinge":
        pair_losses = xp.maximum(1.0 - d, const(xp, 0.0, d))
    else:
        pair_losses = softplus(xp, -d)
    if lambdaweight is not None:
        pair_losses = pair_losses * _lambdaweights(xp, lambdaweight, s, y, valid, both)
    return _reduce_counted(
        xp,
        pair_losses,
        kept,
        reduction=reduction,
        sample_weight=sample_weight,
        out_dtype=out_dtype,
    )


_PAIRWISE_DOC = r"""

    Over the pairs ``(i, j)`` of valid items with ``y_i > y_j``, each pair loss times the
    lambda weight ``λ_ij`` (computed from integer ranks and the labels: no gradient):

    * ``None``: 1;
    * ``"labeldiff"``: ``|y_i - y_j|``;
    * ``"dcg"``: ``L·|g_i - g_j|·|disc(r_i) - disc(r_j)|`` (LambdaRank's ΔDCG);
    * ``"dcg2"``: ``L·|g_i - g_j|·|disc(|r_i - r_j|) - disc(|r_i - r_j| + 1)|`` (LambdaLoss's
      NDCG-Loss2 weight);

    with ``g = 2^y - 1``, ``disc(r) = 1/log2(1 + r)``, ``r`` the 1-based rank of the item's
    score among its list's valid items (descending, ties in input order). ``L`` is the
    **padded** list length ``scores.shape[-1]``, rax's constant ("scale up the lambdaweights
    by the constant list size"), kept for parity: the weights' scale therefore depends on the
    padding width. Peer: rax (``labeldiff_lambdaweight``, ``dcg_lambdaweight``,
    ``dcg2_lambdaweight`` at their defaults).

    The reduction is over pairs: ``"none"`` gives each list's **sum** over its pairs,
    ``"sum"`` ``Σ w·l``, ``"mean"`` ``Σ w·l / Σ w·n`` (``n`` the list's pair count), which is
    rax's ``reduce_fn=jnp.mean`` (the mean over every valid pair of the batch), and not the
    mean of ``"none"``. No valid pair anywhere: 0, with zero gradients. ``where`` marks the
    valid items of padded lists; masked entries (NaN, ±inf) are inert, where rax's pair
    losses give NaN gradients (they compute every pair before masking).

    Args:
        scores: ``(..., L)`` floating scores, one list of L items per row.
        labels: ``(..., L)`` real relevance labels (constants), ``scores``' shape.
        lambdaweight: ``None`` (default), ``"labeldiff"``, ``"dcg"`` or ``"dcg2"``.
        where: optional boolean mask, ``scores``' shape: the valid items. Default ``None``.
        sample_weight: optional per-list weights, ``scores.shape[:-1]`` (each pair carries its
            list's weight). Default ``None``.
        reduction: ``"mean"`` (default, rax's ``jnp.mean``), ``"sum"`` or ``"none"``.

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one sum per
        list (``scores.shape[:-1]``) for ``reduction="none"``.
"""


@sample_weighted
def pairwise_hinge_loss(
    scores: Array,
    labels: Array,
    *,
    lambdaweight: LambdaWeight | None = None,
    where: Array | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    return _pairwise(
        "hinge",
        scores,
        labels,
        lambdaweight=lambdaweight,
        where=where,
        sample_weight=sample_weight,
        reduction=reduction,
    )


pairwise_hinge_loss.__doc__ = (
    r"""Pairwise hinge loss: ``max(0, 1 - (s_i - s_j))`` for each pair with ``y_i > y_j``.

    In plain text: ``l = sum_{y_i > y_j} lambda_ij * max(0, 1 - (s_i - s_j))``.

    .. math:: \ell = \sum_{y_i > y_j} \lambda_{ij} \max\big(0, 1 - (s_i - s_j)\big)
"""
    + _PAIRWISE_DOC
    + r"""
    References:
        - T. Joachims (2002), "Optimizing Search Engines using Clickthrough Data", KDD
          (RankSVM). DOI 10.1145/775047.775067.
        - C. Burges, R. Ragno and Q. Le (2006), "Learning to Rank with Nonsmooth Cost
          Functions", NeurIPS (dcg). X. Wang, C. Li, N. Golbandi, M. Bendersky and M. Najork
          (2018), "The LambdaLoss Framework for Ranking Metric Optimization", CIKM (dcg2).
        - Peer implementation followed: rax ``pairwise_hinge_loss``.

    Example:
        >>> import numpy as np
        >>> float(pairwise_hinge_loss(np.array([[0.5, 0.0]]), np.array([[1.0, 0.0]])))
        0.5
    """
)


@sample_weighted
def pairwise_logistic_loss(
    scores: Array,
    labels: Array,
    *,
    lambdaweight: LambdaWeight | None = None,
    where: Array | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    return _pairwise(
        "logistic",
        scores,
        labels,
        lambdaweight=lambdaweight,
        where=where,
        sample_weight=sample_weight,
        reduction=reduction,
    )


pairwise_logistic_loss.__doc__ = (
    r"""Pairwise logistic loss (RankNet with σ = 1): ``softplus(-(s_i - s_j))`` for each
    pair with ``y_i > y_j``.

    In plain text: ``l = sum_{y_i > y_j} lambda_ij * log(1 + exp(-(s_i - s_j)))``.

    .. math:: \ell = \sum_{y_i > y_j} \lambda_{ij} \log\big(1 + e^{-(s_i - s_j)}\big)

    ``lambda_loss(weighting_scheme=None)`` is this loss divided by ``ln 2`` (with
    ``k=None``, ``sigma=1``).
"""
    + _PAIRWISE_DOC
    + r"""
    References:
        - C. Burges, T. Shaked, E. Renshaw, A. Lazier, M. Deeds, N. Hamilton and G. Hullender
          (2005), "Learning to Rank using Gradient Descent", ICML (RankNet).
          DOI 10.1145/1102351.1102363.
        - C. Burges, R. Ragno and Q. Le (2006), "Learning to Rank with Nonsmooth Cost
          Functions", NeurIPS (dcg). X. Wang, C. Li, N. Golbandi, M. Bendersky and M. Najork
          (2018), "The LambdaLoss Framework for Ranking Metric Optimization", CIKM (dcg2).
        - Peer implementation followed: rax ``pairwise_logistic_loss``.

    Example:
        >>> import numpy as np, math
        >>> out = pairwise_logistic_loss(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]))
        >>> abs(float(out) - math.log(2)) < 1e-15
        True
    """
)


@sample_weighted
def lambda_loss(
    scores: Array,
    labels: Array,
    *,
    weighting_scheme: WeightingScheme | None = "ndcg_loss2pp",
    mu: float = 10.0,
    k: int | None = None,
    sigma: Any = 1.0,
    eps: float = 1e-10,
    reduction_log: Literal["binary", "natural"] = "binary",
    where: Array | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""The LambdaLoss framework (Wang et al. 2018), as sentence-transformers implements it
    (from allRank): a weighted RankNet loss over the pairs of each list ordered by score.

    In plain text: ``l = -sum_{kept p, q} w_pq * log sigmoid(sigma * (s_p - s_q))``, divided
    by ``ln 2`` for ``reduction_log="binary"``.

    .. math:: \ell = -\sum_{(p, q)\ \mathrm{kept}} w_{pq}
              \log \sigma\big(\sigma_0 \cdot \mathrm{clip}(s_p - s_q, -10^8, 10^8)\big)

    Per list, the valid items are ordered by score, descending (ties in input order); ``p`` is
    an item's 1-based position, ``D_p = log2(1 + p)``, the gain
    ``G_p = (2^{max(y_p, 0)} - 1) / maxDCG`` with
    ``maxDCG = max(eps, Σ_{p ≤ k} (2^{max(y*_p, 0)} - 1) / D_p)`` over the labels sorted
    descending. The weights ``w_pq`` (no gradient):

    * ``None``: 1 (RankNet; ST's ``RankNetLoss``);
    * ``"ndcg_loss1"``: ``G_p / D_p``;
    * ``"ndcg_loss2"``: ``δ_{|p-q|}·|G_p - G_q|``, ``δ_d = |1/log2(1+d) - 1/log2(2+d)|``,
      ``δ_0 = 0``;
    * ``"lambdarank"``: ``|1/D_p - 1/D_q|·|G_p - G_q|``;
    * ``"ndcg_loss2pp"`` (default): ``mu·ndcg_loss2 + lambdarank``.

    Kept pairs: both valid, ``y_p > y_q`` (for ``"ndcg_loss1"`` every pair of valid items,
    ``p = q`` and reversed pairs included, as ST), and ``p ≤ k`` or ``q ≤ k`` (LambdaLoss'
    Eq. 18; ``k=None`` or ``k ≥ L``: no cutoff). The reduction is over kept pairs:
    ``"none"`` gives each list's **sum**, ``"mean"`` ``Σ w·l / Σ w·n`` with ``n`` the list's
    kept pairs (ST's mean over every kept pair of the batch; not the mean of ``"none"``);
    no kept pair anywhere gives 0. ST casts the scores to float32, sets NaN score
    differences to 0 (we propagate NaN) and sorts with torch's unstable sort.
    ``pairwise_logistic_loss(sigma·s, y) / ln 2`` equals ``weighting_scheme=None``.

    Args:
        scores: ``(..., L)`` floating scores, one list of L items per row.
        labels: ``(..., L)`` real relevance labels (constants), ``scores``' shape.
        weighting_scheme: ``"ndcg_loss2pp"`` (default), ``"ndcg_loss2"``, ``"lambdarank"``,
            ``"ndcg_loss1"`` or ``None`` (RankNet).
        mu: the weight of NDCG-Loss2 in ``"ndcg_loss2pp"`` (read by it only). Default ``10.0``.
        k: the NDCG cutoff, an int ``>= 1``, or ``None`` (default: none).
        sigma: the score scale, a float ``> 0`` or a 0-d array. Default ``1.0``.
        eps: the floor of maxDCG. Default ``1e-10``.
        reduction_log: ``"binary"`` (default: log base 2, ST's) or ``"natural"``.
        where: optional boolean mask, ``scores``' shape: the valid items. Default ``None``.
        sample_weight: optional per-list weights, ``scores.shape[:-1]``. Default ``None``.
        reduction: ``"mean"`` (default, ST's), ``"sum"`` or ``"none"``.

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one sum per
        list (``scores.shape[:-1]``) for ``reduction="none"``.

    References:
        - X. Wang, C. Li, N. Golbandi, M. Bendersky and M. Najork (2018), "The LambdaLoss
          Framework for Ranking Metric Optimization", CIKM. DOI 10.1145/3269206.3271784.
        - Peer implementation followed: sentence-transformers ``LambdaLoss``, ``RankNetLoss``.

    Example:
        >>> import numpy as np
        >>> out = lambda_loss(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), weighting_scheme=None)
        >>> float(out)  # -log2(sigmoid(0))
        1.0
    """
    xp, out_dtype, s, y, valid, _ = _lists(
        scores,
        labels,
        where=where,
        sample_weight=sample_weight,
        reduction=reduction,
        hyper={"sigma": sigma},
    )
    if weighting_scheme is not None:
        check_option("weighting_scheme", weighting_scheme, _SCHEMES)
    check_option("reduction_log", reduction_log, ("binary", "natural"))
    unused(
        "mu",
        mu,
        unless=weighting_scheme == "ndcg_loss2pp",
        because='by weighting_scheme="ndcg_loss2pp"',
        idle=10.0,
    )
    mu = positive_float("mu", mu) if weighting_scheme == "ndcg_loss2pp" else 0.0
    eps = positive_float("eps", eps)
    if k is not None:
        k = integer("k", k, low=1)
    sig = hyperparameter(xp, "sigma", sigma, s, low=0.0, low_inclusive=False)
    length = s.shape[-1]
    order = _order(xp, s, valid)
    s_p = take_along_axis(xp, s, order, axis=-1)
    y_p = take_along_axis(xp, y, order, axis=-1)
    valid_p = take_along_axis(xp, valid, order, axis=-1)
    both = _both(valid_p)
    kept = both if weighting_scheme == "ndcg_loss1" else both & (_pairs(y_p) > 0)
    if k is not None and k < length:
        top = xp.arange(length, device=device_of(s)) < k
        kept = kept & (top[:, None] | top[None, :])
    if weighting_scheme is None:
        weights = None
    else:
        positions = xp.arange(1, length + 1, dtype=s.dtype, device=device_of(s))
        log_disc = xp.log2(1.0 + positions)  # D_p
        zero = const(xp, 0.0, s)
        ideal_order = _order(xp, y, valid)
        ideal = take_along_axis(xp, y, ideal_order, axis=-1)
        ideal_valid = take_along_axis(xp, valid, ideal_order, axis=-1)
        ideal_gain = xp.where(
            ideal_valid, 2.0 ** xp.maximum(ideal, zero) - 1.0, xp.zeros_like(ideal)
        )
        top_k = ideal_gain / log_disc
        if k is not None and k < length:
            top_k = top_k[..., :k]
        max_dcg = xp.maximum(xp.sum(top_k, axis=-1), const(xp, eps, s))
        gain = xp.where(valid_p, 2.0 ** xp.maximum(y_p, zero) - 1.0, xp.zeros_like(y_p))
        gain = gain / max_dcg[..., None]
        gain_diff = xp.abs(_pairs(gain))
        if weighting_scheme == "ndcg_loss1":
            weights = (gain / log_disc)[..., :, None] * xp.ones_like(gain_diff)
        else:
            apart = xp.abs(positions[:, None] - positions[None, :])
            nonzero = apart != 0
            safe = xp.where(nonzero, apart, xp.ones_like(apart))
            delta = xp.abs(1.0 / xp.log2(1.0 + safe) - 1.0 / xp.log2(2.0 + safe))
            delta = xp.where(nonzero, delta, xp.zeros_like(delta))
            loss2 = delta * gain_diff
            rank = xp.abs(_pairs(1.0 / log_disc)) * gain_diff
            weights = {"ndcg_loss2": loss2, "lambdarank": rank}.get(
                weighting_scheme, mu * loss2 + rank
            )
        weights = stop_gradient(xp, weights)
    diff = xp.clip(_pairs(s_p), -1e8, 1e8)
    pair_losses = -log_sigmoid(xp, sig * diff)
    if weights is not None:
        pair_losses = pair_losses * weights
    if reduction_log == "binary":
        pair_losses = pair_losses / _LN2
    return _reduce_counted(
        xp,
        pair_losses,
        kept,
        reduction=reduction,
        sample_weight=sample_weight,
        out_dtype=out_dtype,
    )


@sample_weighted
def approx_ndcg_loss(
    scores: Array,
    labels: Array,
    *,
    temperature: Any = 1.0,
    gain: Literal["exponential", "linear"] = "exponential",
    where: Array | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""ApproxNDCG (Qin et al. 2010): minus NDCG with each rank replaced by a sum of sigmoids.

    In plain text: ``r_i = 1 + sum_{j != i} sigmoid((s_j - s_i) / temperature)``,
    ``DCG = sum_i gain(y_i) / log2(1 + r_i)``, ``l = -DCG / IDCG``.

    .. math:: \hat r_i = 1 + \sum_{j \ne i} \sigma\Big(\frac{s_j - s_i}{T}\Big), \quad
              \ell = -\frac{1}{\mathrm{IDCG}} \sum_i \frac{\mathrm{gain}(y_i)}{\log_2(1 + \hat r_i)}

    over the valid items; ``IDCG`` is the exact ideal DCG of the valid items, and an IDCG of 0
    is read as 1 (a list without a relevant item gives 0 and still counts in ``"mean"``, as
    rax). A list without a valid item gives 0 and is left out of ``"mean"``. ``gain``:
    ``"exponential"`` ``2^y - 1`` (rax, Qin et al.) or ``"linear"`` ``y``. The scores of valid
    items must be finite (rax reads ``-inf`` as unretrieved). No ``topn``: rax's approximate
    cutoff counts padding inside the top n. Peer: rax
    ``approx_t12n(ndcg_metric, temperature=T)``.

    Args:
        scores: ``(..., L)`` floating scores, one list of L items per row.
        labels: ``(..., L)`` real relevance labels (constants), ``scores``' shape.
        temperature: ``T > 0`` of the sigmoids, a float or a 0-d array. Default ``1.0``.
        gain: ``"exponential"`` (default) or ``"linear"``.
        where: optional boolean mask, ``scores``' shape: the valid items. Default ``None``.
        sample_weight: optional per-list weights, ``scores.shape[:-1]``. Default ``None``.
        reduction: ``"mean"`` (default, rax's), ``"sum"`` or ``"none"``.

    Returns:
        In ``scores``' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one loss per
        list (``scores.shape[:-1]``) for ``reduction="none"``.

    References:
        - T. Qin, T.-Y. Liu and H. Li (2010), "A General Approximation Framework for Direct
          Optimization of Information Retrieval Measures", Information Retrieval 13(4).
          DOI 10.1007/s10791-009-9124-x.
        - Peer implementation followed: rax ``approx_t12n(ndcg_metric)``.

    Example:
        >>> import numpy as np
        >>> out = approx_ndcg_loss(np.array([[0.0]]), np.array([[1.0]]))
        >>> float(out)  # a list of one relevant item: NDCG 1
        -1.0
    """
    xp, out_dtype, s, y, valid, where = _lists(
        scores,
        labels,
        where=where,
        sample_weight=sample_weight,
        reduction=reduction,
        hyper={"temperature": temperature},
    )
    check_option("gain", gain, ("exponential", "linear"))
    tau = hyperparameter(xp, "temperature", temperature, s, low=0.0, low_inclusive=False)
    length = s.shape[-1]
    g = 2.0**y - 1.0 if gain == "exponential" else y
    g = xp.where(valid, g, xp.zeros_like(g))
    others = _both(valid) & ~xp.eye(length, dtype=xp.bool, device=device_of(s))
    steps = sigmoid(xp, -_pairs(s) / tau)  # σ((s_j - s_i) / T) at [i, j]
    ranks = 1.0 + xp.sum(xp.where(others, steps, xp.zeros_like(steps)), axis=-1)
    dcg = xp.sum(g * _discount(xp, ranks), axis=-1)
    ideal = take_along_axis(xp, g, _order(xp, g, valid), axis=-1)
    positions = xp.arange(1, length + 1, dtype=s.dtype, device=device_of(s))
    idcg = xp.sum(ideal * _discount(xp, positions), axis=-1)
    idcg = xp.where(idcg == 0, xp.ones_like(idcg), idcg)
    loss = -dcg / idcg
    norm = None
    if where is not None:
        has_items = xp.any(where, axis=-1)
        loss = xp.where(has_items, loss, xp.zeros_like(loss))
        norm = xp.astype(has_items, loss.dtype)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype, norm=norm
    )
