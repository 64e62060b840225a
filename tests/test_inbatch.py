"""In-batch contrastive losses against by-definition loops, on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraylosses as al
from arraylosses.testing import finite_difference_gradient

from . import reference as ref
from .helpers import call, close


def _nll(logits, target):
    return -ref.log_softmax_row(logits)[target]


def _sim(x, y, kind="cosine"):
    return ref.cosine(x, y) if kind == "cosine" else float(np.dot(x, y))


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
@pytest.mark.parametrize("offset", [0, 2])
def test_info_nce_in_batch_by_definition(backend, dtype, rng, similarity, offset):
    q, p = rng.normal(size=(4, 5)), rng.normal(size=(7, 5))
    tau = 0.3
    rows = [
        _nll([_sim(q[i], p[j], similarity) / tau for j in range(7)], offset + i) for i in range(4)
    ]
    close(
        call(
            backend,
            dtype,
            al.info_nce,
            q,
            p,
            temperature=tau,
            similarity=similarity,
            offset=offset,
            reduction="none",
        ),
        rows,
        dtype,
    )


def test_info_nce_symmetric_by_definition(backend, dtype, rng):
    q, p = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    fwd = [_nll([ref.cosine(q[i], p[j]) / 0.1 for j in range(4)], i) for i in range(4)]
    bwd = [_nll([ref.cosine(p[i], q[j]) / 0.1 for j in range(4)], i) for i in range(4)]
    close(
        call(backend, dtype, al.info_nce, q, p, symmetric=True, reduction="none"),
        (np.array(fwd) + np.array(bwd)) / 2,
        dtype,
    )


@pytest.mark.parametrize("mode", ["unpaired", "paired"])
def test_info_nce_explicit_negatives_by_definition(backend, dtype, rng, mode):
    q, p = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    negs = rng.normal(size=(6, 5)) if mode == "unpaired" else rng.normal(size=(4, 3, 5))
    rows = []
    for i in range(4):
        own = negs if mode == "unpaired" else negs[i]
        logits = [ref.cosine(q[i], p[i]) / 0.1] + [ref.cosine(q[i], n) / 0.1 for n in own]
        rows.append(_nll(logits, 0))
    close(
        call(backend, dtype, al.info_nce, q, p, negs, negative_mode=mode, reduction="none"),
        rows,
        dtype,
    )


def test_clip_by_definition(backend, dtype, rng):
    x, y = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    t = 1 / 0.07
    rows = [
        (
            _nll([t * ref.cosine(x[i], y[j]) for j in range(5)], i)
            + _nll([t * ref.cosine(x[j], y[i]) for j in range(5)], i)
        )
        / 2
        for i in range(5)
    ]
    close(call(backend, dtype, al.clip_loss, x, y, reduction="none"), rows, dtype)


def test_siglip_by_definition(backend, dtype, rng):
    x, y = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    t, b = 10.0, -10.0
    rows = [
        -math.fsum(
            math.log(ref.sigmoid((1 if i == j else -1) * (t * ref.cosine(x[i], y[j]) + b)))
            for j in range(5)
        )
        for i in range(5)
    ]
    close(call(backend, dtype, al.siglip_loss, x, y, reduction="none"), rows, dtype)
    close(call(backend, dtype, al.siglip_loss, x, y), np.sum(rows) / 5, dtype)


def test_nt_xent_by_definition(backend, dtype, rng):
    z1, z2 = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    z = np.concatenate([z1, z2])
    tau = 0.5
    views = []
    for a in range(8):
        others = [b for b in range(8) if b != a]
        logits = [ref.cosine(z[a], z[b]) / tau for b in others]
        views.append(_nll(logits, others.index((a + 4) % 8)))
    close(
        call(backend, dtype, al.nt_xent_loss, z1, z2, reduction="none"),
        (np.array(views[:4]) + np.array(views[4:])) / 2,
        dtype,
    )
    close(call(backend, dtype, al.nt_xent_loss, z1, z2), np.mean(views), dtype)


@pytest.mark.parametrize("views", [1, 2])
def test_supcon_by_definition(backend, dtype, rng, views):
    n = 6
    labels = np.array([0, 1, 0, 1, 1, 7])  # sample 5 has no positive when views == 1
    f = rng.normal(size=(n, views, 4)) if views > 1 else rng.normal(size=(n, 4))
    flat = f.transpose(1, 0, 2).reshape(-1, 4) if views > 1 else f
    lab = np.concatenate([labels] * views)
    tau, tau_b = 0.2, 0.1
    anchor_losses = []
    for a in range(len(flat)):
        others = [b for b in range(len(flat)) if b != a]
        logits = [ref.cosine(flat[a], flat[b]) / tau for b in others]
        lp = ref.log_softmax_row(logits)
        pos = [k for k, b in enumerate(others) if lab[b] == lab[a]]
        if pos:
            anchor_losses.append(-(tau / tau_b) * np.mean([lp[k] for k in pos]))
    got = call(backend, dtype, al.supcon_loss, f, labels, temperature=tau, base_temperature=tau_b)
    close(got, np.mean(anchor_losses), dtype)


def test_learnable_temperature_receives_its_gradient(ad_backend, rng):
    q, p = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    xp = ad_backend.xp
    qa, pa = ad_backend.asarray(q, "float64"), ad_backend.asarray(p, "float64")

    def value(tau):
        return float(ad_backend.to_numpy(al.info_nce(qa, pa, temperature=tau)))

    h = 1e-6
    expected = (value(0.3 + h) - value(0.3 - h)) / (2 * h)
    if ad_backend.name.startswith("torch"):
        import torch

        t = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(al.info_nce(qa, pa, temperature=t), t)
    else:
        import jax

        g = jax.grad(lambda t: al.info_nce(qa, pa, temperature=t))(xp.asarray(0.3))
    close(float(ad_backend.to_numpy(g)), expected, "float64", rtol=1e-6)


def test_errors(backend):
    x = backend.asarray(np.ones((4, 3)), "float64")
    with pytest.raises(ValueError, match=r"offset must be in \[0, 0\]"):
        al.info_nce(x, x, offset=1)
    with pytest.raises(
        ValueError,
        match=r"the symmetric direction \(symmetric=True\) with gathered positives \(4 rows "
        r"for 2 rows of query\) needs all_query",
    ):
        al.info_nce(x[:2, ...], x, symmetric=True)
    with pytest.raises(ValueError, match=r"all_query must have as many rows as positives \(4\)"):
        al.info_nce(x[:2, ...], x, symmetric=True, all_query=x[:3, ...])
    with pytest.raises(
        ValueError, match="all_query has no effect here: it is used by the symmetric direction"
    ):
        al.info_nce(x, x, all_query=x)
    with pytest.raises(TypeError, match="offset must be an int or a 0-d integer array"):
        al.info_nce(x, x, offset=backend.asarray(np.zeros(2, dtype=np.int64)))
    with pytest.raises(ValueError, match=r"negatives must have 3 dimension\(s\)"):
        al.info_nce(x, x, x, negative_mode="paired")
    with pytest.raises(ValueError, match=r"temperature must be in \(0.0, inf\); got -0.1"):
        al.nt_xent_loss(x, x, temperature=-0.1)
    with pytest.raises(ValueError, match="similarity must be one of 'cosine', 'dot'"):
        al.info_nce(x, x, similarity="l2")
    with pytest.raises(ValueError, match=r"text_emb must have at least image_emb's 4 rows"):
        al.clip_loss(x, x[:2, ...])
    with pytest.raises(ValueError, match=r"labels must have shape \(4,\); got \(3,\)"):
        al.supcon_loss(x, backend.asarray(np.array([0, 1, 0])))
    with pytest.raises(TypeError, match="labels must be integer class labels"):
        al.supcon_loss(x, backend.asarray(np.ones(4), "float64"))


def _entropy_adaptive_reference(q, p, t_min=0.02, t_max=0.2):
    n = len(q)
    cos = np.array([[ref.cosine(a, b) for b in p] for a in q])
    entropies = []
    for row in cos:
        lp = ref.log_softmax_row(row / t_max)
        entropies.append(-math.fsum(math.exp(v) * v for v in lp))
    h = np.mean(entropies) / math.log(n)
    o = np.mean([abs(ref.cosine(p[i], p[j])) for i in range(n) for j in range(n) if i != j])
    tau = t_min + (t_max - t_min) * (h + o) / 2
    return [_nll(cos[i] / tau, i) for i in range(n)], tau


def test_entropy_adaptive_by_definition(backend, dtype, rng):
    q, p = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    rows, tau = _entropy_adaptive_reference(q, p)
    close(call(backend, dtype, al.entropy_adaptive_info_nce, q, p, reduction="none"), rows, dtype)
    loss, t = al.entropy_adaptive_info_nce(
        backend.asarray(q, dtype), backend.asarray(p, dtype), return_temperature=True
    )
    close(backend.to_numpy(t), tau, dtype)
    close(backend.to_numpy(loss), np.mean(rows), dtype)


def test_entropy_adaptive_gradient_holds_the_temperature_fixed(ad_backend, rng):
    q, p = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    _, tau = _entropy_adaptive_reference(q, p)
    if ad_backend.name.startswith("torch"):
        import torch

        qa = torch.tensor(q, requires_grad=True)
        (g,) = torch.autograd.grad(al.entropy_adaptive_info_nce(qa, torch.tensor(p)), qa)
        g = g.numpy()
    else:
        import jax

        g = np.asarray(
            jax.grad(lambda x: al.entropy_adaptive_info_nce(x, ad_backend.asarray(p, "float64")))(
                ad_backend.asarray(q, "float64")
            )
        )

    def frozen(x):  # the same loss at the fixed temperature: InfoNCE, by its own reference
        return np.mean([_nll([ref.cosine(x[i], b) / tau for b in p], i) for i in range(4)])

    fd = finite_difference_gradient(lambda values: frozen(values[0]), [q])[0]
    close(g, fd, "float64", rtol=1e-6, atol=1e-8)


def test_entropy_adaptive_errors(backend):
    x = backend.asarray(np.ones((4, 3)), "float64")
    with pytest.raises(ValueError, match="needs at least 2 rows"):
        al.entropy_adaptive_info_nce(x[:1, ...], x[:1, ...])
    with pytest.raises(
        ValueError,
        match=r"min_temperature \(0.5\) must not exceed "
        r"max_temperature \(0.2\)",
    ):
        al.entropy_adaptive_info_nce(x, x, min_temperature=0.5)
