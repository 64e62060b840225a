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


# ---------------------------------------------------------------------------------------------
# cosface_loss, sub_center_arcface_loss, normalized_softmax_loss


def _pml_w(cls, w, x, y, **kw):
    c, d = w.shape[0], w.shape[-1]
    loss = cls(num_classes=c, embedding_size=d, **kw)
    return torch.func.functional_call(loss, {"W": w.reshape(-1, d).T}, (x, y))


def _jax_value_and_grads(fn, *arrays, argnums=(0, 2)):
    jax = pytest.importorskip("jax")
    with jax_context("float64"):
        import jax.numpy as jnp

        args = [jnp.asarray(a) for a in arrays]
        v, g = jax.jit(jax.value_and_grad(fn, argnums=argnums))(*args)
        return [np.asarray(v), *(np.asarray(a) for a in g)]


@pytest.mark.parametrize("seed", [0, 1])
def test_cosface_matches_pml(seed):
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    x, y, w = _data(10 + seed)
    tx, ty, tw = _t(x), _t(y), _t(w)
    ours = al.cosface_loss(tx, ty, tw, scale=30.0, margin=0.35)
    theirs = _pml_w(losses.CosFaceLoss, tw, tx, ty, margin=0.35, scale=30.0)
    want = [theirs, *_grads(theirs, tx, tw)]
    _assert_same([ours, *_grads(ours, tx, tw)], want)
    if seed == 0:
        got = _jax_value_and_grads(
            lambda a, b, c: al.cosface_loss(a, b, c, scale=30.0, margin=0.35), x, y, w
        )
        _assert_same(got, want, rtol=1e-10)


def test_zero_margin_cosface_is_arcface_is_normalized_softmax(backend):
    x, y, w = _data(12)
    a = call(backend, "float64", al.cosface_loss, x, y, w, scale=20.0, margin=0.0)
    b = call(backend, "float64", al.arcface_loss, x, y, w, scale=20.0, margin=0.0)
    c = call(backend, "float64", al.normalized_softmax_loss, x, y, w, temperature=1 / 20)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(a, c, rtol=1e-12)


def test_cosface_bad_input():
    x, y, w = _data(13)
    with pytest.raises(ValueError, match="margin must be a float or a 0-d array"):
        al.cosface_loss(x, y, w, margin=np.asarray([0.3]))
    with pytest.raises(ValueError, match=r"proxies must have 2 dimension\(s\) \(\(C, D\)"):
        al.cosface_loss(x, y, w[None])
    with pytest.raises(ValueError, match="margin must be in"):
        al.cosface_loss(x, y, w, margin=-0.1)


@pytest.mark.parametrize(("k", "seed"), [(3, 0), (2, 1)])
def test_sub_center_arcface_matches_pml(k, seed):
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    rng = np.random.default_rng(20 + seed)
    x, y, w = rng.normal(size=(8, 5)), rng.integers(0, 4, size=8), rng.normal(size=(4, k, 5))
    tx, ty, tw = _t(x), _t(y), _t(w)
    ours = al.sub_center_arcface_loss(tx, ty, tw, scale=20.0, margin=0.4)
    theirs = _pml_w(
        losses.SubCenterArcFaceLoss,
        tw,
        tx,
        ty,
        sub_centers=k,
        margin=math.degrees(0.4),
        scale=20.0,
    )
    want = [theirs, *_grads(theirs, tx, tw)]
    _assert_same([ours, *_grads(ours, tx, tw)], want, rtol=1e-10)
    if seed == 0:
        got = _jax_value_and_grads(
            lambda a, b, c: al.sub_center_arcface_loss(a, b, c, scale=20.0, margin=0.4), x, y, w
        )
        _assert_same(got, want, rtol=1e-10)


def test_sub_center_with_one_center_is_arcface(backend):
    x, y, w = _data(14)
    a = call(backend, "float64", al.sub_center_arcface_loss, x, y, w[:, None, :], reduction="none")
    b = call(backend, "float64", al.arcface_loss, x, y, w, reduction="none")
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_sub_center_tie_sends_the_gradient_to_the_first_center():
    x, y, w = _data(15)
    w3 = np.stack([w, w, w], axis=1)  # three identical sub-centres per class
    tx, tw = _t(x), _t(w3)
    out = al.sub_center_arcface_loss(tx, _t(y), tw, scale=10.0)
    (g,) = _grads(out, tw)
    assert np.any(g[:, 0] != 0) and np.all(g[:, 1:] == 0)
    got = _jax_value_and_grads(
        lambda a, b, c: al.sub_center_arcface_loss(a, b, c, scale=10.0), x, y, w3
    )
    np.testing.assert_allclose(got[2], g, rtol=1e-10, atol=1e-14)
    assert np.all(got[2][:, 1:] == 0)


def test_sub_center_bad_input():
    x, y, w = _data(16)
    with pytest.raises(ValueError, match=r"proxies must have 3 dimension\(s\) \(\(C, K, D\)"):
        al.sub_center_arcface_loss(x, y, w)
    with pytest.raises(ValueError, match="proxies must have the embedding width D=5"):
        al.sub_center_arcface_loss(x, y, np.ones((4, 2, 3)))


@pytest.mark.parametrize("seed", [0, 1])
def test_normalized_softmax_matches_pml(seed):
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    x, y, w = _data(30 + seed)
    tx, ty, tw = _t(x), _t(y), _t(w)
    ours = al.normalized_softmax_loss(tx, ty, tw, temperature=0.1)
    theirs = _pml_w(losses.NormalizedSoftmaxLoss, tw, tx, ty, temperature=0.1)
    want = [theirs, *_grads(theirs, tx, tw)]
    _assert_same([ours, *_grads(ours, tx, tw)], want)
    if seed == 0:
        got = _jax_value_and_grads(
            lambda a, b, c: al.normalized_softmax_loss(a, b, c, temperature=0.1), x, y, w
        )
        _assert_same(got, want, rtol=1e-10)


@pytest.mark.parametrize("s", [1.0, 4.5])
def test_pml_proxy_nca_is_normalized_softmax(s):
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    x, y, w = _data(33)
    tx, ty, tw = _t(x), _t(y), _t(w)
    ours = al.normalized_softmax_loss(tx, ty, tw, temperature=1 / (2 * s))
    nca = losses.ProxyNCALoss(num_classes=4, embedding_size=5, softmax_scale=s)
    theirs = torch.func.functional_call(nca, {"proxies": tw}, (tx, ty))
    _assert_same([ours, *_grads(ours, tx, tw)], [theirs, *_grads(theirs, tx, tw)], rtol=1e-10)


def test_normalized_softmax_learnable_temperature_against_torch():
    x, y, w = _data(34)
    tx, ty, tw, tau = _t(x), _t(y), _t(w), _t(np.asarray(0.2))
    ours = al.normalized_softmax_loss(tx, ty, tw, temperature=tau)
    c = torch.nn.functional.normalize(tx, dim=1) @ torch.nn.functional.normalize(tw, dim=1).T
    want = torch.nn.functional.cross_entropy(c / tau, ty)
    _assert_same([ours, *_grads(ours, tau, tx, tw)], [want, *_grads(want, tau, tx, tw)])


def test_normalized_softmax_bad_input():
    x, y, w = _data(35)
    with pytest.raises(ValueError, match="temperature must be in"):
        al.normalized_softmax_loss(x, y, w, temperature=0.0)
    with pytest.raises(ValueError, match="reduction must be one of"):
        al.normalized_softmax_loss(x, y, w, reduction="batchmean")


# ---------------------------------------------------------------------------------------------
# proxy_anchor_loss


def _pml_proxy_anchor(x, y, p, **kw):
    from pytorch_metric_learning.losses import ProxyAnchorLoss

    loss = ProxyAnchorLoss(num_classes=p.shape[0], embedding_size=p.shape[1], **kw)
    return torch.func.functional_call(loss, {"proxies": p}, (x, y))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_proxy_anchor_matches_pml(seed):
    pytest.importorskip("pytorch_metric_learning")
    x, y, w = _data(40 + seed, c=5)
    if seed > 0:  # classes absent from the batch
        y = np.where(y >= 3, 0, y)
    tx, ty, tw = _t(x), _t(y), _t(w)
    ours = al.proxy_anchor_loss(tx, ty, tw, margin=0.2, alpha=16.0)
    theirs = _pml_proxy_anchor(tx, ty, tw, margin=0.2, alpha=16.0)
    want = [theirs, *_grads(theirs, tx, tw)]
    _assert_same([ours, *_grads(ours, tx, tw)], want)
    if seed == 1:  # jit with traced labels: |P+| from fixed-shape arrays
        got = _jax_value_and_grads(
            lambda a, b, c: al.proxy_anchor_loss(a, b, c, margin=0.2, alpha=16.0), x, y, w
        )
        _assert_same(got, want, rtol=1e-10)


def test_proxy_anchor_batch_of_one_and_empty():
    pytest.importorskip("pytorch_metric_learning")
    x, y, w = _data(43)
    tx, ty, tw = _t(x[:1]), _t(y[:1]), _t(w)
    out = al.proxy_anchor_loss(tx, ty, tw)
    _assert_same([out], [_pml_proxy_anchor(tx, ty, tw)])
    assert all(np.all(np.isfinite(g)) for g in _grads(out, tx, tw))
    empty = al.proxy_anchor_loss(np.zeros((0, 5)), np.zeros(0, dtype=np.int64), w)
    assert np.isnan(empty)


def test_proxy_anchor_bad_input():
    x, y, w = _data(44)
    with pytest.raises(ValueError, match="proxies must have the embedding width D=5"):
        al.proxy_anchor_loss(x, y, w[:, :4])
    with pytest.raises(TypeError, match="reduction"):
        al.proxy_anchor_loss(x, y, w, reduction="mean")
    with pytest.raises(TypeError, match="sample_weight"):
        al.proxy_anchor_loss(x, y, w, sample_weight=np.ones(8))
    with pytest.raises(ValueError, match="alpha must be in"):
        al.proxy_anchor_loss(x, y, w, alpha=0.0)
