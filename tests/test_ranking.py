"""Recommendation and ranking losses against by-definition loops (plain Python ``math``), on
every backend; the stop-gradient of the dynamic margin; the identities of the normalised
sampled softmax; errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraylosses as al

from .helpers import call, close


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _nll(logits: list[float], i: int) -> float:
    """``-log softmax(logits)_i`` by the definition, with ``-inf`` entries dropped."""
    finite = [z for z in logits if z != -math.inf]
    top = max(finite)
    return -(logits[i] - top - math.log(math.fsum(math.exp(z - top) for z in finite)))


def _rows(fn, n):
    return np.array([fn(i) for i in range(n)])


@pytest.mark.parametrize("k", [None, 1, 3])
def test_bpr_by_definition(backend, dtype, rng, k):
    pos = rng.normal(size=5)
    neg = rng.normal(size=5) if k is None else rng.normal(size=(5, k))
    negs = neg[:, None] if k is None else neg
    rows = _rows(
        lambda i: (
            math.fsum(_softplus(negs[i, j] - pos[i]) for j in range(negs.shape[1])) / negs.shape[1]
        ),
        5,
    )
    close(call(backend, dtype, al.bpr_loss, pos, neg), rows.mean(), dtype)
    close(call(backend, dtype, al.bpr_loss, pos, neg, reduction="none"), rows, dtype)
    w = rng.uniform(0.5, 2, size=5)
    close(
        call(backend, dtype, al.bpr_loss, pos, neg, sample_weight=w),
        (rows * w).sum() / w.sum(),
        dtype,
    )


def test_bpr_is_finite_for_huge_gaps(backend):
    out = call(
        backend,
        "float64",
        al.bpr_loss,
        np.array([-800.0, 800.0]),
        np.array([800.0, -800.0]),
        reduction="none",
    )
    np.testing.assert_allclose(out, [1600.0, 0.0], atol=1e-300)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 2.0])
def test_dynamic_margin_bpr_by_definition(backend, dtype, rng, alpha):
    pos, neg = rng.normal(size=4), rng.normal(size=(4, 3))

    def row(i):
        terms = []
        for j in range(3):
            gap = pos[i] - neg[i, j]
            terms.append(_softplus(alpha * _sigmoid(gap) - gap))
        return math.fsum(terms) / 3

    close(
        call(backend, dtype, al.dynamic_margin_bpr_loss, pos, neg, alpha=alpha, reduction="none"),
        _rows(row, 4),
        dtype,
    )


def _grads(backend, fn, *arrays):
    """Gradients of ``fn(*arrays)`` (a scalar) w.r.t. every array, float64, as NumPy."""
    if backend.name.startswith("torch"):
        import torch

        leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
        return [g.numpy() for g in torch.autograd.grad(fn(*leaves), leaves)]
    import jax

    values = [backend.asarray(a, "float64") for a in arrays]
    grads = jax.grad(fn, argnums=tuple(range(len(arrays))))(*values)
    return [np.asarray(g) for g in grads]


@pytest.mark.parametrize("alpha", [0.5, 3.0])
def test_dynamic_margin_gradient_is_bpr_with_a_constant_margin(ad_backend, rng, alpha):
    """No gradient through the margin: the gradient equals that of BPR whose negatives are
    shifted by the margin's value, held constant. Same on torch and JAX."""
    pos, neg = rng.normal(size=6), rng.normal(size=(6, 2))
    margin = alpha / (1 + np.exp(-(pos[:, None] - neg)))  # the margin's value, in NumPy
    ours = _grads(ad_backend, lambda p, n: al.dynamic_margin_bpr_loss(p, n, alpha=alpha), pos, neg)
    constant = _grads(
        ad_backend, lambda p, n: al.bpr_loss(p, n + ad_backend.asarray(margin, "float64")), pos, neg
    )
    for a, b in zip(ours, constant, strict=True):
        close(a, b, "float64", rtol=1e-12, atol=1e-15)
    # and it is not the derivative of the value (the margin does depend on the scores)
    plain = _grads(ad_backend, lambda p, n: al.bpr_loss(p, n), pos, neg)
    assert not np.allclose(ours[0], plain[0])


def _sampled_rows(pos, neg, correction_neg, correction_pos, hits):
    def row(i):
        logits = [pos[i] - correction_pos[i]]
        for j in range(neg.shape[1]):
            logits.append(-math.inf if hits[i, j] else neg[i, j] - correction_neg[i, j])
        return _nll(logits, 0)

    return _rows(row, pos.shape[0])


def test_sampled_softmax_by_definition(backend, dtype, rng):
    n, k = 5, 4
    pos, neg = rng.normal(size=n), rng.normal(size=(n, k))
    zeros_nk, zeros_n, no_hits = np.zeros((n, k)), np.zeros(n), np.zeros((n, k), bool)
    plain = _sampled_rows(pos, neg, zeros_nk, zeros_n, no_hits)
    close(call(backend, dtype, al.sampled_softmax_loss, pos, neg), plain.mean(), dtype)
    # logQ on the negatives (shared (K,) and per row (N, K)), and on the positives
    log_q = np.log(rng.uniform(0.01, 0.5, size=k))
    close(
        call(backend, dtype, al.sampled_softmax_loss, pos, neg, log_q=log_q, reduction="none"),
        _sampled_rows(pos, neg, np.broadcast_to(log_q, (n, k)), zeros_n, no_hits),
        dtype,
    )
    log_q_nk, pos_log_q = (
        np.log(rng.uniform(0.01, 0.5, size=(n, k))),
        np.log(rng.uniform(0.01, 0.5, size=n)),
    )
    close(
        call(
            backend,
            dtype,
            al.sampled_softmax_loss,
            pos,
            neg,
            log_q=log_q_nk,
            pos_log_q=pos_log_q,
            reduction="none",
        ),
        _sampled_rows(pos, neg, log_q_nk, pos_log_q, no_hits),
        dtype,
    )
    # uniform sampling of K out of num_items - 1: log Q = log(K / (num_items - 1))
    uniform = np.full((n, k), math.log(k / 99))
    close(
        call(backend, dtype, al.sampled_softmax_loss, pos, neg, num_items=100, reduction="none"),
        _sampled_rows(pos, neg, uniform, zeros_n, no_hits),
        dtype,
    )


def test_sampled_softmax_removes_accidental_hits(backend, dtype, rng):
    n, k = 4, 3
    pos, neg = rng.normal(size=n), rng.normal(size=(n, k))
    pos_ids = np.array([3, 7, 1, 9])
    neg_ids = np.array([[3, 3, 5], [0, 2, 4], [1, 8, 6], [2, 9, 1]])  # hits: (0,0) (0,1) (2,0)
    hits = neg_ids == pos_ids[:, None]
    assert hits.sum() == 4
    expected = _sampled_rows(pos, neg, np.zeros((n, k)), np.zeros(n), hits)
    close(
        call(
            backend,
            dtype,
            al.sampled_softmax_loss,
            pos,
            neg,
            pos_ids=pos_ids,
            neg_ids=neg_ids,
            reduction="none",
        ),
        expected,
        dtype,
    )
    kept = _sampled_rows(pos, neg, np.zeros((n, k)), np.zeros(n), np.zeros((n, k), bool))
    close(
        call(
            backend,
            dtype,
            al.sampled_softmax_loss,
            pos,
            neg,
            remove_accidental_hits=False,
            reduction="none",
        ),
        kept,
        dtype,
    )
    # ids with remove_accidental_hits=False would do nothing: rejected (tests/test_hostile_losses)
    with pytest.raises(ValueError, match="remove_accidental_hits=False they have no effect"):
        call(
            backend,
            dtype,
            al.sampled_softmax_loss,
            pos,
            neg,
            pos_ids=pos_ids,
            neg_ids=neg_ids,
            remove_accidental_hits=False,
        )
    # shared negative ids (K,): the hits are wherever a row's positive id was drawn
    shared = np.array([9, 3, 4])
    expected = _sampled_rows(
        pos, neg, np.zeros((n, k)), np.zeros(n), shared[None, :] == pos_ids[:, None]
    )
    close(
        call(
            backend,
            dtype,
            al.sampled_softmax_loss,
            pos,
            neg,
            pos_ids=pos_ids,
            neg_ids=shared,
            reduction="none",
        ),
        expected,
        dtype,
    )


def _zscore(s, eps):
    values = s.ravel().tolist()
    mean = math.fsum(values) / len(values)
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
    return (s - mean) / (std + eps)


@pytest.mark.parametrize("num_items", [4, 10, 10_000])
def test_normalized_sampled_softmax_by_definition(backend, dtype, rng, num_items):
    s = rng.normal(size=(4, 4)) * 3 + 1
    z = _zscore(s, 1e-6)
    c = math.log((num_items - 1) / 3)
    rows = _rows(lambda i: _nll([z[i, j] + (c if j != i else 0.0) for j in range(4)], i), 4)
    close(
        call(
            backend,
            dtype,
            al.normalized_sampled_softmax_loss,
            s,
            num_items=num_items,
            reduction="none",
        ),
        rows,
        dtype,
    )


def test_normalized_sampled_softmax_with_all_items_in_the_batch_is_in_batch_ce(backend, dtype, rng):
    """``num_items == B``: no correction; plain in-batch cross entropy (against the diagonal)
    on the z-scored matrix, computed here by :func:`arraylosses.cross_entropy`."""
    s = rng.normal(size=(6, 6)) * 2
    z = _zscore(s, 1e-6)
    ce = call(backend, dtype, al.cross_entropy, z, np.arange(6))
    close(call(backend, dtype, al.normalized_sampled_softmax_loss, s, num_items=6), ce, dtype)


def test_normalized_sampled_softmax_hand_computed():
    """B = 2, scores [[3, 1], [1, 3]]: mean 2, std 1, so z = [[1, -1], [-1, 1]]; with
    num_items = 5 each off-diagonal logit gains log((5 - 1) / (2 - 1)) = log 4, so each row's
    loss is -log(e / (e + 4/e)) = log(1 + 4 e^-2)."""
    s = np.array([[3.0, 1.0], [1.0, 3.0]])
    out = al.normalized_sampled_softmax_loss(s, num_items=5, eps=1e-12)
    assert abs(float(out) - math.log(1 + 4 * math.exp(-2))) < 1e-12
    # the correction moves the loss by exactly the hand-computed amount
    plain = al.normalized_sampled_softmax_loss(s, num_items=2, eps=1e-12)
    assert abs(float(plain) - math.log(1 + math.exp(-2))) < 1e-12


def test_csar_by_definition(backend, dtype, rng):
    e = np.log1p(np.exp(rng.normal(size=(5, 3))))
    e[1, 2] = 0.0  # a zero energy: finite thanks to eps
    y = np.array([0, 2, 1, 1, 0])
    eps = 1e-8
    rows = _rows(lambda i: _nll([math.log(v + eps) for v in e[i]], y[i]), 5)
    close(call(backend, dtype, al.csar_loss, e, y, reduction="none"), rows, dtype)
    close(call(backend, dtype, al.csar_loss, e, y), rows.mean(), dtype)


def test_csar_products_become_sums(rng):
    """Energies that are products of factors: the loss is the cross entropy of the summed
    log-factors (eps aside)."""
    f1, f2 = rng.uniform(0.5, 2, size=(4, 3)), rng.uniform(0.5, 2, size=(4, 3))
    y = np.array([0, 1, 2, 0])
    ours = al.csar_loss(f1 * f2, y, eps=1e-300)
    ce = al.cross_entropy(np.log(f1) + np.log(f2), y)
    assert abs(float(ours) - float(ce)) < 1e-13


def _listnet_row(s, r, valid):
    idx = [j for j in range(len(s)) if valid[j]]
    if not idx:
        return 0.0
    top = max(r[j] for j in idx)
    z = math.fsum(math.exp(r[j] - top) for j in idx)
    return math.fsum(
        math.exp(r[j] - top) / z * _nll([s[m] for m in idx], idx.index(j)) for j in idx
    )


def test_listnet_by_definition(backend, dtype, rng):
    s, r = rng.normal(size=(4, 6)), rng.integers(0, 4, size=(4, 6)).astype(float)
    rows = np.array([_listnet_row(s[i], r[i], [True] * 6) for i in range(4)])
    close(call(backend, dtype, al.listnet_loss, s, r, reduction="none"), rows, dtype)
    close(call(backend, dtype, al.listnet_loss, s, r), rows.mean(), dtype)


def test_listnet_with_padding(backend, dtype, rng):
    s, r = rng.normal(size=(3, 5)), rng.integers(0, 4, size=(3, 5)).astype(float)
    where = np.array([[True, True, False, True, False], [True] * 5, [False] * 5])
    rows = np.array([_listnet_row(s[i], r[i], where[i]) for i in range(3)])
    mask = backend.asarray(where)
    args = [backend.asarray(s, dtype), backend.asarray(r, dtype)]
    out = al.listnet_loss(*args, where=mask, reduction="none")
    close(backend.to_numpy(out), rows, dtype)
    # the empty list counts 0 and is left out of the mean
    close(backend.to_numpy(al.listnet_loss(*args, where=mask)), rows[:2].mean(), dtype)
    # padding values do not matter
    s2 = s.copy()
    s2[~where] = 1e3
    out2 = al.listnet_loss(backend.asarray(s2, dtype), args[1], where=mask, reduction="none")
    close(backend.to_numpy(out2), rows, dtype)


def test_stop_gradient_is_a_no_op_without_autodiff(backend, rng):
    """On NumPy (and every backend) the value of the dynamic margin is the same with or without
    gradients: only the derivative changes."""
    pos, neg = rng.normal(size=4), rng.normal(size=(4, 2))
    margin = 1.0 / (1 + np.exp(-(pos[:, None] - neg)))
    ours = call(backend, "float64", al.dynamic_margin_bpr_loss, pos, neg)
    shifted = call(backend, "float64", al.bpr_loss, pos, neg + margin)
    close(ours, shifted, "float64", rtol=1e-13)


def _f(backend, x):
    return backend.asarray(np.asarray(x, dtype=np.float64), "float64")


def test_ranking_errors(backend):
    pos, neg = _f(backend, np.zeros(4)), _f(backend, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"neg_scores must have shape \(4,\) or \(4, K\)"):
        al.bpr_loss(pos, _f(backend, np.zeros((3, 2))))
    with pytest.raises(ValueError, match=r"pos_scores must have 1 dimension"):
        al.bpr_loss(neg, neg)
    with pytest.raises(TypeError, match="neg_scores must be a real floating array"):
        al.bpr_loss(pos, backend.asarray(np.zeros((4, 3), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"alpha must be in \[0.0, inf\)"):
        al.dynamic_margin_bpr_loss(pos, neg, alpha=-1.0)
    with pytest.raises(ValueError, match=r"neg_scores must have shape \(4, K\)"):
        al.sampled_softmax_loss(pos, pos)
    with pytest.raises(ValueError, match="num_items .* and log_q/pos_log_q .* pass one"):
        al.sampled_softmax_loss(pos, neg, num_items=10, log_q=_f(backend, np.zeros(3)))
    with pytest.raises(ValueError, match="num_items must be at least 4"):
        al.sampled_softmax_loss(pos, neg, num_items=3)
    with pytest.raises(TypeError, match="num_items must be an int"):
        al.sampled_softmax_loss(pos, neg, num_items=10.0)
    with pytest.raises(ValueError, match=r"log_q must have shape \(3,\) or \(4, 3\)"):
        al.sampled_softmax_loss(pos, neg, log_q=_f(backend, np.zeros(4)))
    with pytest.raises(ValueError, match=r"pos_log_q must have shape \(4,\)"):
        al.sampled_softmax_loss(pos, neg, pos_log_q=_f(backend, np.zeros(3)))
    ids = backend.asarray(np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match="pos_ids and neg_ids go together"):
        al.sampled_softmax_loss(pos, neg, pos_ids=ids)
    with pytest.raises(TypeError, match="neg_ids must be an integer array"):
        al.sampled_softmax_loss(pos, neg, pos_ids=ids, neg_ids=neg)
    with pytest.raises(ValueError, match=r"neg_ids must have shape \(3,\) or \(4, 3\)"):
        al.sampled_softmax_loss(pos, neg, pos_ids=ids, neg_ids=ids)
    with pytest.raises(TypeError, match="remove_accidental_hits must be a bool"):
        al.sampled_softmax_loss(pos, neg, remove_accidental_hits=1)
    with pytest.raises(ValueError, match=r"scores must be a square \(B, B\) matrix"):
        al.normalized_sampled_softmax_loss(neg, num_items=10)
    with pytest.raises(ValueError, match="num_items must be at least 3"):
        al.normalized_sampled_softmax_loss(_f(backend, np.eye(3)), num_items=2)
    with pytest.raises(ValueError, match=r"eps must be a positive finite float; got 0\.0"):
        al.normalized_sampled_softmax_loss(_f(backend, np.eye(3)), num_items=5, eps=0.0)
    with pytest.raises(ValueError, match="energies must be non-negative"):
        al.csar_loss(_f(backend, [[1.0, -0.5]]), backend.asarray(np.array([0])))
    with pytest.raises(ValueError, match=r"relevance must have scores' shape \(4, 3\)"):
        al.listnet_loss(neg, pos)
    with pytest.raises(TypeError, match="where must be a boolean array"):
        al.listnet_loss(neg, neg, where=neg)
