"""The metric-learning losses (arraylosses.metric_learning) beyond their registry records: the
peer on several seeds and settings, the hostile inputs of the spec, the identities between
losses, the gathered (multi-device) form and the bad-input rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraylosses as al
from arraylosses.testing import jax_context

from .helpers import call, close

torch = pytest.importorskip("torch")


def _t(x):
    x = np.asarray(x)
    if x.dtype.kind == "f":
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)
    return torch.tensor(x)


def _grads(out, *tensors):
    return [g.detach().numpy() for g in torch.autograd.grad(out, tensors)]


def _assert_same(ours, theirs, rtol=1e-12, atol=1e-12):
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(
            np.asarray(a.detach() if hasattr(a, "detach") else a),
            np.asarray(b.detach() if hasattr(b, "detach") else b),
            rtol=rtol,
            atol=atol,
        )


def _unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-8)


def _np_ce(z, y):
    z = z - z.max(axis=1, keepdims=True)
    return np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]


def _np_arcface(x, y, w, s, m, sub=False):
    c = _unit(x) @ _unit(w.reshape(-1, w.shape[-1])).T
    if sub:
        c = c.reshape(len(x), w.shape[0], w.shape[1]).max(axis=2)
    ct = c[np.arange(len(y)), y]
    theta = np.arccos(np.clip(ct, -1, 1))
    t = np.where(theta <= np.pi - m, np.cos(theta + m), ct - m * np.sin(m))
    z = s * c
    z[np.arange(len(y)), y] = s * t
    return _np_ce(z, y)


def _data(seed, n=8, d=5, c=4):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, size=n)
    return rng.normal(size=(n, d)), y, rng.normal(size=(c, d))


# ---------------------------------------------------------------------------------------------
# arcface_loss


def _pml_arcface(x, y, w, *, s, m, sub_centers=0):
    from pytorch_metric_learning.losses import ArcFaceLoss, SubCenterArcFaceLoss

    c, d = w.shape[0], w.shape[-1]
    if sub_centers:
        loss = SubCenterArcFaceLoss(
            num_classes=c,
            embedding_size=d,
            sub_centers=sub_centers,
            margin=math.degrees(m),
            scale=s,
        )
    else:
        loss = ArcFaceLoss(num_classes=c, embedding_size=d, margin=math.degrees(m), scale=s)
    return torch.func.functional_call(loss, {"W": w.reshape(-1, d).T}, (x, y))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_arcface_matches_pml_values_and_gradients(seed):
    pytest.importorskip("pytorch_metric_learning")
    x, y, w = _data(seed)
    m = 0.5
    if seed == 2:  # 4 rows past π − m: the fallback branch
        for i in range(4):
            x[i] = -_unit(w[y[i]]) + 0.1 * x[i] / np.linalg.norm(x[i])
        c = np.sum(_unit(x) * _unit(w[y]), axis=1)
        assert np.sum(c < -math.cos(m)) >= 4
    for s in (64.0, 10.0):
        tx, ty, tw = _t(x), _t(y), _t(w)
        ours = al.arcface_loss(tx, ty, tw, scale=s, margin=m)
        theirs = _pml_arcface(tx, ty, tw, s=s, m=m)
        _assert_same([ours, *_grads(ours, tx, tw)], [theirs, *_grads(theirs, tx, tw)], rtol=1e-10)


def test_arcface_learnable_scale_and_margin_against_torch_by_definition():
    x, y, w = _data(3)
    tx, ty, tw = _t(x), _t(y), _t(w)
    s, m = _t(np.asarray(12.0)), _t(np.asarray(0.4))
    ours = al.arcface_loss(tx, ty, tw, scale=s, margin=m)
    c = torch.nn.functional.normalize(tx, dim=1) @ torch.nn.functional.normalize(tw, dim=1).T
    ct = c[torch.arange(len(y)), ty]
    theta = torch.acos(ct)
    t = torch.where(theta <= math.pi - m, torch.cos(theta + m), ct - m * torch.sin(m))
    z = torch.where(torch.nn.functional.one_hot(ty, 4).bool(), (s * t)[:, None], s * c)
    want = torch.nn.functional.cross_entropy(z, ty)
    _assert_same([ours, *_grads(ours, s, m, tx)], [want, *_grads(want, s, m, tx)], rtol=1e-10)


def test_arcface_jax_learnable_under_jit_with_traced_labels():
    jax = pytest.importorskip("jax")
    x, y, w = _data(4)
    with jax_context("float64"):
        import jax.numpy as jnp

        def f(x, y, w, s, m):
            return al.arcface_loss(x, y, w, scale=s, margin=m)

        args = (jnp.asarray(x), jnp.asarray(y), jnp.asarray(w), jnp.asarray(12.0), jnp.asarray(0.4))
        got = jax.jit(jax.value_and_grad(f, argnums=(0, 2, 3, 4)))(*args)
        want = jax.value_and_grad(f, argnums=(0, 2, 3, 4))(*args)
        np.testing.assert_allclose(got[0], _np_arcface(x, y, w, 12.0, 0.4).mean(), rtol=1e-12)
        for a, b in zip(got[1], want[1], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
            assert np.all(np.isfinite(a))


def test_arcface_reductions_against_numpy(backend, dtype):
    x, y, w = _data(5)
    wt = np.random.default_rng(0).uniform(0.5, 2, size=len(y))
    rows = _np_arcface(x, y, w, 16.0, 0.3)
    kw = {"scale": 16.0, "margin": 0.3}
    close(call(backend, dtype, al.arcface_loss, x, y, w, reduction="none", **kw), rows, dtype)
    close(
        call(backend, dtype, al.arcface_loss, x, y, w, sample_weight=wt, reduction="sum", **kw),
        (wt * rows).sum(),
        dtype,
    )
    close(
        call(backend, dtype, al.arcface_loss, x, y, w, sample_weight=wt, **kw),
        (wt * rows).sum() / wt.sum(),
        dtype,
    )


@pytest.mark.parametrize("fn", ["arcface_loss", "sub_center_arcface_loss"])
def test_arcface_parallel_antiparallel_and_zero_rows_are_finite(fn):
    jax = pytest.importorskip("jax")
    w = np.random.default_rng(6).normal(size=(3, 4))
    x = np.stack([2.0 * w[0], -3.0 * w[1], np.zeros(4), w[0] + w[2]])  # c = 1, c = -1, zero
    y = np.array([0, 1, 2, 2])
    loss = getattr(al, fn)
    wk = w[:, None, :] if fn == "sub_center_arcface_loss" else w
    want = _np_arcface(x, y, w, 64.0, 0.5).mean()
    tx, tw = _t(x), _t(wk)
    out = loss(tx, _t(y), tw)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12)
    for g in _grads(out, tx, tw):
        assert np.all(np.isfinite(g))
    with jax_context("float64"):
        import jax.numpy as jnp

        val, grads = jax.jit(jax.value_and_grad(lambda a, b: loss(a, jnp.asarray(y), b), (0, 1)))(
            jnp.asarray(x), jnp.asarray(wk)
        )
        np.testing.assert_allclose(val, want, rtol=1e-12)
        assert all(np.all(np.isfinite(np.asarray(g))) for g in grads)


def test_arcface_bad_input():
    x, y, w = _data(7)
    with pytest.raises(ValueError, match="proxies must have the embedding width D=5"):
        al.arcface_loss(x, y, w[:, :3])
    with pytest.raises(ValueError, match=r"labels must have shape \(8,\); got \(8, 1\)"):
        al.arcface_loss(x, y[:, None], w)
    with pytest.raises(ValueError, match="margin must be in"):
        al.arcface_loss(x, y, w, margin=-0.1)
    with pytest.raises(ValueError, match="margin must be in"):
        al.arcface_loss(x, y, w, margin=math.pi)
    with pytest.raises(ValueError, match="scale must be in"):
        al.arcface_loss(x, y, w, scale=0.0)
    with pytest.raises(ValueError, match=r"labels holds class indices outside \[0, 4\)"):
        al.arcface_loss(x, np.where(y == 0, 4, y), w)
    with pytest.raises(TypeError, match="labels must be an integer array"):
        al.arcface_loss(x, y.astype(float), w)
    with pytest.raises(TypeError, match="labels must be an integer array"):
        al.arcface_loss(x, y > 1, w)
