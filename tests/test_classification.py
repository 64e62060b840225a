"""Classification losses against by-definition references, on every backend and dtype."""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraylosses as al

from . import reference as ref
from .helpers import call, close


def _problem(rng, n=6, c=4):
    logits = rng.normal(scale=2.0, size=(n, c))
    labels = rng.integers(0, c, size=n)
    probs = rng.dirichlet(np.ones(c), size=n)
    return logits, labels, probs


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
@pytest.mark.parametrize("weighted_classes", [False, True])
def test_cross_entropy_indices_by_definition(
    backend, dtype, rng, reduction, smoothing, weighted_classes
):
    logits, labels, _ = _problem(rng)
    labels[[0, 3]] = -100
    cw = rng.uniform(0.5, 2.0, size=4) if weighted_classes else None
    w = rng.uniform(0.5, 2.0, size=6)
    expected = ref.cross_entropy_rows(
        logits,
        labels,
        smoothing=smoothing,
        class_weight=cw,
        ignore=-100,
        reduction=reduction,
        weight=w,
    )
    got = call(
        backend,
        dtype,
        al.cross_entropy,
        logits,
        labels,
        label_smoothing=smoothing,
        class_weight=cw,
        ignore_index=-100,
        sample_weight=w,
        reduction=reduction,
    )
    close(got, expected, dtype)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probabilities_by_definition(backend, dtype, rng, reduction):
    logits, _, probs = _problem(rng)
    cw = rng.uniform(0.5, 2.0, size=4)
    expected = ref.cross_entropy_rows(
        logits, probs, smoothing=0.1, class_weight=cw, reduction=reduction
    )
    got = call(
        backend,
        dtype,
        al.cross_entropy,
        logits,
        probs,
        label_smoothing=0.1,
        class_weight=cw,
        reduction=reduction,
    )
    close(got, expected, dtype)


def test_cross_entropy_class_axis(backend, dtype, rng):
    logits = rng.normal(size=(3, 4, 2))  # torch's (N, C, d) layout
    labels = rng.integers(0, 4, size=(3, 2))
    moved = np.moveaxis(logits, 1, -1).reshape(-1, 4)
    expected = ref.cross_entropy_rows(moved, labels.reshape(-1), reduction="none").reshape(3, 2)
    close(
        call(backend, dtype, al.cross_entropy, logits, labels, axis=1, reduction="none"),
        expected,
        dtype,
    )


def test_cross_entropy_golden(backend, dtype):
    # softmax([0, log 3]) = (1/4, 3/4)
    z = np.array([[0.0, math.log(3.0)], [0.0, math.log(3.0)]])
    close(
        call(backend, dtype, al.cross_entropy, z, np.array([1, 0]), reduction="none"),
        [math.log(4 / 3), math.log(4)],
        dtype,
    )
    # smoothing 0.2 over 2 classes: q = (0.1, 0.9) for label 1
    close(
        call(backend, dtype, al.cross_entropy, z[:1], np.array([1]), label_smoothing=0.2),
        -(0.1 * math.log(0.25) + 0.9 * math.log(0.75)),
        dtype,
    )


def test_every_row_ignored_gives_zero_and_zero_gradient(backend):
    logits, _, _ = _problem(np.random.default_rng(0))
    got = call(backend, "float64", al.cross_entropy, logits, np.full(6, -100), ignore_index=-100)
    assert got == 0.0


def test_extreme_logits_are_exact(backend):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    got = call(backend, "float32", al.cross_entropy, z, np.array([0, 0]), reduction="none")
    close(got, [0.0, 2e4], "float32")
    got = call(
        backend,
        "float32",
        al.binary_cross_entropy_with_logits,
        z,
        np.ones_like(z),
        reduction="none",
    )
    close(got, [[0.0, 1e4, math.log(2)], [1e4, 0.0, math.log(2)]], "float32")


def test_half_precision_logits(backend):
    if "float16" not in backend.dtypes:
        pytest.skip(f"{backend.name} has no float16")
    # logits near float16's max (65504): exp would overflow in float16, not in float32
    logits = np.array([[60000.0, 59900.0], [1.0, 2.0]])
    rounded = logits.astype(np.float16).astype(np.float64)
    expected = [ref.cross_entropy_rows(rounded, np.array([1, 1]), reduction="none")]
    got = call(backend, "float16", al.cross_entropy, logits, np.array([1, 1]), reduction="none")
    assert np.all(np.isfinite(got))
    close(got, expected[0], "float16")


def test_nll_loss_by_definition(backend, dtype, rng):
    logits, labels, _ = _problem(rng)
    labels[2] = -1
    cw = rng.uniform(0.5, 2.0, size=4)
    log_probs = np.array([ref.log_softmax_row(r) for r in logits])
    for reduction in ("mean", "sum", "none"):
        expected = ref.cross_entropy_rows(
            logits, labels, class_weight=cw, ignore=-1, reduction=reduction
        )
        got = call(
            backend,
            dtype,
            al.nll_loss,
            log_probs,
            labels,
            class_weight=cw,
            ignore_index=-1,
            reduction=reduction,
        )
        close(got, expected, dtype)


@pytest.mark.parametrize("epsilon", [1.0, 2.0])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_poly1_by_definition(backend, dtype, rng, epsilon, smoothing):
    logits, labels, probs = _problem(rng)
    for target in (labels, probs):
        rows = []
        for z, t in zip(logits, target):
            lp = ref.log_softmax_row(z)
            q = np.eye(4)[int(t)] if np.ndim(t) == 0 else np.asarray(t)
            q = (1 - smoothing) * q + smoothing / 4
            ce = -math.fsum(qk * lk for qk, lk in zip(q, lp))
            pt = math.fsum(qk * math.exp(lk) for qk, lk in zip(q, lp))
            rows.append(ce + epsilon * (1 - pt))
        got = call(
            backend,
            dtype,
            al.poly1_cross_entropy,
            logits,
            target,
            epsilon=epsilon,
            label_smoothing=smoothing,
            reduction="none",
        )
        close(got, rows, dtype)


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 2.5])
def test_softmax_focal_by_definition(backend, dtype, rng, gamma):
    logits, labels, probs = _problem(rng)
    alpha = rng.uniform(0.2, 1.0, size=4)
    rows = []
    for z, y in zip(logits, labels):
        lp = ref.log_softmax_row(z)
        rows.append(-alpha[y] * (1 - math.exp(lp[y])) ** gamma * lp[y])
    got = call(
        backend,
        dtype,
        al.softmax_focal_loss,
        logits,
        labels,
        gamma=gamma,
        alpha=alpha,
        reduction="none",
    )
    close(got, rows, dtype)
    soft = [
        -math.fsum(
            q * 0.25 * (1 - math.exp(lk)) ** gamma * lk for q, lk in zip(t, ref.log_softmax_row(z))
        )
        for z, t in zip(logits, probs)
    ]
    close(
        call(
            backend,
            dtype,
            al.softmax_focal_loss,
            logits,
            probs,
            gamma=gamma,
            alpha=0.25,
            reduction="none",
        ),
        soft,
        dtype,
    )


def test_kl_divergence_by_definition(backend, dtype, rng):
    logits, _, probs = _problem(rng)
    probs[0] = [0.0, 0.5, 0.5, 0.0]  # 0·log 0 = 0
    rows = [
        math.fsum(t * (math.log(t) - lp) for t, lp in zip(ts, ref.log_softmax_row(z)) if t > 0)
        for z, ts in zip(logits, probs)
    ]
    close(call(backend, dtype, al.kl_divergence, logits, probs, reduction="none"), rows, dtype)
    close(call(backend, dtype, al.kl_divergence, logits, probs), np.mean(rows), dtype)


def _binary(rng, shape=(5, 3)):
    return rng.normal(scale=2.0, size=shape), rng.uniform(size=shape), rng.integers(0, 2, shape)


def test_binary_cross_entropy_by_definition(backend, dtype, rng):
    _, soft, bits = _binary(rng)
    p = rng.uniform(0.02, 0.98, size=(5, 3))
    for t in (soft, bits):
        expected = ref.elementwise(
            lambda a, b: -(b * math.log(a) + (1 - b) * math.log(1 - a)), p, t
        )
        close(
            call(backend, dtype, al.binary_cross_entropy, p, t, reduction="none"), expected, dtype
        )
    # saturated probabilities are clipped at eps: at most -log(1e-7) per element (Keras)
    got = call(
        backend,
        "float64",
        al.binary_cross_entropy,
        np.array([0.0, 1.0]),
        np.array([1.0, 0.0]),
        reduction="none",
    )
    close(got, [-math.log(1e-7)] * 2, "float64")


def test_bce_with_logits_by_definition(backend, dtype, rng):
    z, soft, _ = _binary(rng)
    pw = rng.uniform(0.5, 3.0, size=3)
    expected = np.array(
        [
            [
                (1 - t) * zz + (1 + (pw[j] - 1) * t) * ref.softplus(-zz)
                for j, (zz, t) in enumerate(zip(zr, tr))
            ]
            for zr, tr in zip(z, soft)
        ]
    )
    close(
        call(
            backend,
            dtype,
            al.binary_cross_entropy_with_logits,
            z,
            soft,
            pos_weight=pw,
            reduction="none",
        ),
        expected,
        dtype,
    )
    plain = ref.elementwise(
        lambda a, b: -(b * math.log(ref.sigmoid(a)) + (1 - b) * math.log(1 - ref.sigmoid(a))),
        z,
        soft,
    )
    close(call(backend, dtype, al.binary_cross_entropy_with_logits, z, soft), plain.mean(), dtype)


@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_sigmoid_focal_by_definition(backend, dtype, rng, alpha, gamma):
    z, soft, bits = _binary(rng)
    for t in (bits, soft):

        def focal(a, b):
            p = ref.sigmoid(a)
            ce = -(b * math.log(p) + (1 - b) * math.log(1 - p))
            pt = p * b + (1 - p) * (1 - b)
            at = 1.0 if alpha is None else alpha * b + (1 - alpha) * (1 - b)
            return at * (1 - pt) ** gamma * ce

        got = call(
            backend, dtype, al.sigmoid_focal_loss, z, t, alpha=alpha, gamma=gamma, reduction="none"
        )
        close(got, ref.elementwise(focal, z, t), dtype)


def test_hinge_by_definition(backend, dtype, rng):
    s = rng.normal(scale=2.0, size=(5, 3))
    bits = rng.integers(0, 2, size=(5, 3))
    for t in (bits, 2 * bits - 1):
        y = 2 * bits - 1
        h = np.maximum(0, 1 - y * s)
        close(call(backend, dtype, al.hinge_loss, s, t, reduction="none"), h, dtype)
        close(call(backend, dtype, al.squared_hinge_loss, s, t, reduction="none"), h**2, dtype)


def test_margin_ranking_by_definition(backend, dtype, rng):
    x1, x2 = rng.normal(size=8), rng.normal(size=8)
    y = rng.choice([-1, 1], size=8)
    for m in (0.0, 0.5):
        expected = [max(0.0, -yy * (a - b) + m) for a, b, yy in zip(x1, x2, y)]
        close(
            call(backend, dtype, al.margin_ranking_loss, x1, x2, y, margin=m, reduction="none"),
            expected,
            dtype,
        )


def test_integer_label_cross_entropy_builds_no_one_hot():
    """The traced program holds no (N, C) comparison (what a one-hot encoding needs)."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    z, y = jnp.zeros((8, 5)), jnp.zeros(8, dtype=jnp.int32)

    def comparisons(fn):
        jaxpr = jax.make_jaxpr(fn)(z)
        return [
            tuple(v.aval.shape)
            for eqn in jaxpr.jaxpr.eqns
            if eqn.primitive.name == "eq"
            for v in eqn.outvars
        ]

    assert (8, 5) not in comparisons(lambda z: al.cross_entropy(z, y))
    # the check can fail: a hand-made one-hot target shows up as an (N, C) comparison
    one_hot = lambda z: al.cross_entropy(z, (y[:, None] == jnp.arange(5)).astype(z.dtype))  # noqa: E731
    assert (8, 5) in comparisons(one_hot)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_extreme_and_half_precision_gradients_are_finite_and_right(ad_backend, dtype):
    """Gradients at logits of ±1e4 (float16: ±6e4) are finite and equal softmax - one_hot."""
    if dtype not in ad_backend.dtypes:
        pytest.skip(f"{ad_backend.name} has no {dtype}")
    big = 6e4 if dtype == "float16" else 1e4
    z = np.array([[big, -big, 0.0], [-big, big, 0.0], [0.5, -0.5, 0.0]])
    y = np.array([0, 0, 2])
    grads = {}
    for fn, target in (
        (al.cross_entropy, y),
        (al.softmax_focal_loss, y),
        (al.poly1_cross_entropy, y),
        (al.binary_cross_entropy_with_logits, np.eye(3)[y]),
        (al.sigmoid_focal_loss, np.eye(3)[y]),
    ):
        grads[fn.__name__] = _grad(ad_backend, fn, z, target, dtype)
        assert np.all(np.isfinite(grads[fn.__name__])), (fn.__name__, grads[fn.__name__])
    rounded = z.astype(dtype).astype(np.float64)
    p = np.exp(rounded - rounded.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    close(grads["cross_entropy"], (p - np.eye(3)[y]) / 3, dtype)


def _grad(backend, fn, z, target, dtype):
    zt = backend.asarray(z, dtype)
    t = backend.asarray(target) if target.dtype.kind == "i" else backend.asarray(target, dtype)
    if backend.name.startswith("torch"):
        import torch

        zt = zt.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(fn(zt, t), zt)
        return backend.to_numpy(g).astype(np.float64)
    import jax

    return backend.to_numpy(jax.grad(lambda v: fn(v, t))(zt)).astype(np.float64)


# --- infinite logits in the sigmoid cross entropy (audit row O03) ----------------------------

_INF = math.inf
# (logit, target, the loss by definition): 0 where the infinite logit predicts the label, +inf
# where it contradicts it (a soft label included); -t·log σ(z) - (1-t)·log(1-σ(z)) in the limit
_INF_CASES = [(-_INF, 0.0, 0.0), (_INF, 1.0, 0.0), (-_INF, 1.0, _INF), (_INF, 0.0, _INF),
              (-_INF, 0.5, _INF), (_INF, 0.5, _INF), (0.3, 1.0, None)]  # fmt: skip


@pytest.mark.parametrize("fn", ["binary_cross_entropy_with_logits", "sigmoid_focal_loss"])
def test_sigmoid_losses_at_infinite_logits(backend, dtype, fn):
    z = np.array([c[0] for c in _INF_CASES])
    t = np.array([c[1] for c in _INF_CASES])
    got = call(backend, dtype, getattr(al, fn), z, t, reduction="none")
    expected = np.array([np.nan if c[2] is None else c[2] for c in _INF_CASES])
    finite_z = np.isfinite(z)
    assert np.array_equal(got[~finite_z], expected[~finite_z]), got  # exact: 0 and +inf
    assert np.isfinite(got[finite_z]).all()
    nan_t = call(
        backend, dtype, getattr(al, fn), z[:2], np.array([np.nan, np.nan]), reduction="none"
    )
    assert np.isnan(nan_t).all(), nan_t  # NaN in, NaN out at an infinite logit too


@pytest.mark.parametrize("fn", ["binary_cross_entropy_with_logits", "sigmoid_focal_loss"])
def test_sigmoid_losses_gradient_zero_where_an_infinite_logit_is_right(ad_backend, fn):
    from arraylosses.testing import value_and_grads

    z, t = np.array([0.3, -_INF, _INF]), np.array([1.0, 0.0, 1.0])
    with ad_backend.context("float64"):
        arrays = [ad_backend.asarray(z, "float64"), ad_backend.asarray(t, "float64")]
        out = value_and_grads(
            lambda a, b: getattr(al, fn)(a, b, reduction="sum"), ad_backend, arrays, wrt=[0]
        )
    (g,) = out.grads
    assert np.isfinite(out.values[0]).all() and np.isfinite(g).all(), (out.values, g)
    assert g[1] == 0 and g[2] == 0 and g[0] != 0, g
