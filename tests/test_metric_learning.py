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


# ---------------------------------------------------------------------------------------------
# the pair losses: circle_loss, multi_similarity_loss, lifted and generalised lifted structure

GATHERED = [
    ("circle_loss", {}),
    ("multi_similarity_loss", {}),
    ("multi_similarity_loss", {"mining_margin": 0.3}),
    ("generalized_lifted_structure_loss", {"normalize": False, "neg_margin": 3.0}),
]


def _batch(seed=50, n=10, d=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), np.array([0, 1, 0, 2, 1, 0, 3, 1, 2, 0])[:n]


@pytest.mark.parametrize(("fn", "kw"), GATHERED, ids=[f"{f}-{k}" for f, k in GATHERED])
def test_gathered_form_is_a_slice_of_the_full_batch(backend, fn, kw):
    x, y = _batch()
    loss = getattr(al, fn)
    full = call(backend, "float64", loss, x, y, reduction="none", **kw)
    for a, b in ((0, 4), (3, 7), (6, 10)):
        part = call(
            backend,
            "float64",
            loss,
            x[a:b],
            y[a:b],
            all_embeddings=x,
            all_labels=y,
            offset=a,
            reduction="none",
            **kw,
        )
        np.testing.assert_allclose(part, full[a:b], rtol=1e-12, atol=1e-14)


def test_gathered_form_under_jit_with_a_traced_offset():
    jax = pytest.importorskip("jax")
    x, y = _batch()
    with jax_context("float64"):
        import jax.numpy as jnp

        for fn, kw in GATHERED:
            loss = getattr(al, fn)
            full = np.asarray(loss(jnp.asarray(x), jnp.asarray(y), reduction="none", **kw))

            @jax.jit
            def part(offset, loss=loss, kw=kw):
                xs = jax.lax.dynamic_slice_in_dim(jnp.asarray(x), offset, 4)
                ys = jax.lax.dynamic_slice_in_dim(jnp.asarray(y), offset, 4)
                return loss(
                    xs,
                    ys,
                    all_embeddings=jnp.asarray(x),
                    all_labels=jnp.asarray(y),
                    offset=offset,
                    reduction="none",
                    **kw,
                )

            np.testing.assert_allclose(part(jnp.asarray(3)), full[3:7], rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_circle_matches_pml(seed):
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    x, y = _batch(60 + seed)
    tx, ty = _t(x), _t(y)
    ours = al.circle_loss(tx, ty, margin=0.3, gamma=4.0)
    theirs = losses.CircleLoss(m=0.3, gamma=4.0)(tx, ty)
    want = [theirs, *_grads(theirs, tx)]
    _assert_same([ours, *_grads(ours, tx)], want)
    if seed == 0:
        got = _jax_value_and_grads(
            lambda a, b: al.circle_loss(a, b, margin=0.3, gamma=4.0), x, y, argnums=(0,)
        )
        _assert_same(got, want, rtol=1e-10)


def test_circle_singleton_anchor_is_left_out_of_the_mean(backend):
    x, y = _batch(61)  # label 3 is a singleton (row 6)
    none = call(backend, "float64", al.circle_loss, x, y, reduction="none")
    assert none[6] == 0 and np.all(none[np.arange(10) != 6] > 0)
    w = np.linspace(0.5, 2.0, 10)
    valid = np.arange(10) != 6
    np.testing.assert_allclose(
        call(backend, "float64", al.circle_loss, x, y), none[valid].mean(), rtol=1e-12
    )
    np.testing.assert_allclose(
        call(backend, "float64", al.circle_loss, x, y, sample_weight=w),
        (w * none)[valid].sum() / w[valid].sum(),
        rtol=1e-12,
    )


@pytest.mark.parametrize("fn", ["circle_loss", "lifted_structure_loss"])
def test_all_labels_distinct_or_one_label(fn):
    """No positive pair, or no negative: 0 with exactly-zero gradients. (The generalised lifted
    loss is not 0 there: an empty log-sum-exp counts 0, PML's convention.)"""
    x, _ = _batch(62)
    loss = getattr(al, fn)
    for y in (np.arange(10), np.zeros(10, dtype=np.int64)):
        tx = _t(x)
        out = loss(tx, _t(y))
        (g,) = _grads(out, tx)
        assert float(out) == 0 and np.all(g == 0), (fn, y)


@pytest.mark.parametrize(
    "fn",
    [
        "circle_loss",
        "multi_similarity_loss",
        "lifted_structure_loss",
        "generalized_lifted_structure_loss",
    ],
)
def test_zero_and_duplicate_rows_are_finite_and_nan_shows(fn):
    x, y = _batch(63)
    x[1] = 0.0
    x[2] = x[0]  # a duplicate positive (distance 0)
    loss = getattr(al, fn)
    kw = {"mining_margin": 0.1} if fn == "multi_similarity_loss" else {}
    tx = _t(x)
    out = loss(tx, _t(y), **kw)
    (g,) = _grads(out, tx)
    assert np.isfinite(float(out)) and np.all(np.isfinite(g))
    x[4, 0] = np.nan
    rows = loss(x, y, reduction="none", **kw)
    assert np.all(np.isnan(rows)), rows  # every anchor sees every row
    assert np.isnan(loss(np.zeros((0, 4)), np.zeros(0, dtype=np.int64), **kw))


def test_multi_similarity_matches_pml_with_mining():
    pytest.importorskip("pytorch_metric_learning")
    from pytorch_metric_learning import losses, miners

    x, y = _batch(64)
    for eps in (0.1, 0.3):
        tx, ty = _t(x), _t(y)
        ours = al.multi_similarity_loss(tx, ty, beta=10.0, mining_margin=eps)
        loss = losses.MultiSimilarityLoss(alpha=2.0, beta=10.0, base=0.5)
        theirs = loss(tx, ty, miners.MultiSimilarityMiner(epsilon=eps)(tx, ty))
        want = [theirs, *_grads(theirs, tx)]
        _assert_same([ours, *_grads(ours, tx)], want)
        got = _jax_value_and_grads(
            lambda a, b, e=eps: al.multi_similarity_loss(a, b, beta=10.0, mining_margin=e),
            x,
            y,
            argnums=(0,),
        )
        _assert_same(got, want, rtol=1e-10)


def test_multi_similarity_all_distinct_labels():
    x, _ = _batch(65)
    y = np.arange(10)
    s = _unit(x) @ _unit(x).T
    want = [np.log1p(np.exp(50 * (np.delete(s[i], i) - 0.5)).sum()) / 50 for i in range(10)]
    np.testing.assert_allclose(al.multi_similarity_loss(x, y, reduction="none"), want, rtol=1e-12)
    tx = _t(x)
    out = al.multi_similarity_loss(tx, _t(y), mining_margin=0.1)  # nothing mined: 0
    (g,) = _grads(out, tx)
    assert float(out) == 0 and np.all(np.isfinite(g))


def _np_lifted(x, y, m_n=1.0, m_p=0.0):
    u = _unit(x)
    dist = np.sqrt(np.maximum(((u[:, None] - u[None]) ** 2).sum(-1), 0))
    n = len(y)
    neg = y[:, None] != y[None]
    lse = [np.log(np.exp(m_n - dist[i][neg[i]]).sum()) for i in range(n)]
    rows, counts = np.zeros(n), np.zeros(n)
    for i in range(n):
        for j in range(n):
            if i != j and y[i] == y[j]:
                jij = np.logaddexp(lse[i], lse[j]) + dist[i, j] - m_p
                rows[i] += max(jij, 0.0) ** 2 / 2
                counts[i] += 1
    return rows, counts


def test_lifted_reductions_by_definition(backend):
    x, y = _batch(66)  # row 6 has no positive
    rows, counts = _np_lifted(x, y)
    w = np.linspace(0.5, 2.0, 10)
    got = call(backend, "float64", al.lifted_structure_loss, x, y, reduction="none")
    np.testing.assert_allclose(got, rows, rtol=1e-10, atol=1e-14)
    assert got[6] == 0 and counts[6] == 0
    np.testing.assert_allclose(
        call(backend, "float64", al.lifted_structure_loss, x, y),
        rows.sum() / counts.sum(),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        call(backend, "float64", al.lifted_structure_loss, x, y, sample_weight=w),
        (w * rows).sum() / (w * counts).sum(),
        rtol=1e-10,
    )


def test_generalized_lifted_singleton_anchor_pays_its_negatives():
    pytest.importorskip("pytorch_metric_learning")
    from pytorch_metric_learning import distances, losses

    x, y = _batch(67)
    rows = al.generalized_lifted_structure_loss(
        x, y, normalize=False, neg_margin=3.0, reduction="none"
    )
    d = np.sqrt(((x[6] - x) ** 2).sum(-1))
    np.testing.assert_allclose(rows[6], max(0.0, np.log(np.exp(3.0 - np.delete(d, 6)).sum())))
    loss = losses.GeneralizedLiftedStructureLoss(
        neg_margin=3.0,
        pos_margin=0.0,
        distance=distances.LpDistance(normalize_embeddings=False),
    )
    np.testing.assert_allclose(rows.mean(), float(loss(_t(x), _t(y))), rtol=1e-12)


def test_pair_losses_bad_input():
    x, y = _batch(68)
    f = al.circle_loss
    with pytest.raises(ValueError, match="all_labels is missing"):
        f(x[:4], y[:4], all_embeddings=x)
    with pytest.raises(ValueError, match="all_embeddings is missing"):
        f(x[:4], y[:4], all_labels=y)
    with pytest.raises(ValueError, match=r"offset must be in \[0, 0\]"):
        f(x, y, offset=2)
    with pytest.raises(ValueError, match=r"offset must be in \[0, 6\]"):
        f(x[:4], y[:4], all_embeddings=x, all_labels=y, offset=7)
    with pytest.raises(TypeError, match="offset must be an int"):
        f(x[:4], y[:4], all_embeddings=x, all_labels=y, offset=1.0)
    with pytest.raises(ValueError, match="gamma must be in"):
        f(x, y, gamma=-1.0)
    with pytest.raises(TypeError, match="labels must be an integer array"):
        al.multi_similarity_loss(x, y.astype(float))
    with pytest.raises(ValueError, match="mining_margin must be in"):
        al.multi_similarity_loss(x, y, mining_margin=-0.1)
    with pytest.raises(ValueError, match=r"embeddings must have 2 dimension\(s\)"):
        al.lifted_structure_loss(x[None], y)
    with pytest.raises(ValueError, match=r"labels must have shape \(10,\)"):
        al.lifted_structure_loss(x, y[:9])
    with pytest.raises(ValueError, match="all_embeddings"):
        al.generalized_lifted_structure_loss(x[:4], y[:4], all_embeddings=x[:, :3], all_labels=y)
