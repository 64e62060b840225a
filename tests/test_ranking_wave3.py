"""Wave 3 ranking, distillation, FLOPS and linear-head cross entropy: what the registry
cannot express. Padded lists (NaN/±inf padding is inert: same value, same gradients, zero
there), empty lists and batches without a pair, constant teachers, learnable temperatures,
chunked equals dense for ``linear_cross_entropy`` (and its memory under ``jax.jit``), and the
bad inputs of docs/spec.md."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import arraylosses as al

RNG = np.random.default_rng(11)
SCORES = RNG.normal(size=(3, 5))
LABELS = np.array([[3.0, 1.0, 0.0, 2.0, 1.0], [1.0, 0.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0]])
WHERE = np.array([[True, True, False, True, False], [True, True, True, False, False], [False] * 5])

LIST_LOSSES = [
    ("list_mle", lambda s, y, **k: al.list_mle_loss(s, y, **k)),
    ("hinge", lambda s, y, **k: al.pairwise_hinge_loss(s, y, **k)),
    ("logistic_dcg", lambda s, y, **k: al.pairwise_logistic_loss(s, y, lambdaweight="dcg", **k)),
    ("hinge_dcg2", lambda s, y, **k: al.pairwise_hinge_loss(s, y, lambdaweight="dcg2", **k)),
    (
        "logistic_labeldiff",
        lambda s, y, **k: al.pairwise_logistic_loss(s, y, lambdaweight="labeldiff", **k),
    ),
    ("lambda", lambda s, y, **k: al.lambda_loss(s, y, **k)),
    (
        "lambda_ndcg1_k",
        lambda s, y, **k: al.lambda_loss(s, y, weighting_scheme="ndcg_loss1", k=2, **k),
    ),
    ("approx_ndcg", lambda s, y, **k: al.approx_ndcg_loss(s, y, **k)),
    ("distill", lambda s, y, **k: al.distill_kl_div_loss(s, y, **k)),
]


def _value_and_grad(fn, scores, labels, **kwargs):
    s = torch.tensor(scores, requires_grad=True)
    out = fn(s, torch.tensor(labels), where=torch.tensor(WHERE), **kwargs)
    (grad,) = torch.autograd.grad(out.sum(), s)
    return out.detach().numpy(), grad.numpy()


@pytest.mark.parametrize("fill", [math.nan, -math.inf, math.inf, 1e30])
@pytest.mark.parametrize(("name", "fn"), LIST_LOSSES, ids=[n for n, _ in LIST_LOSSES])
def test_padding_is_inert(name, fn, fill):
    clean_value, clean_grad = _value_and_grad(fn, SCORES, LABELS, reduction="none")
    dirty = np.where(WHERE, SCORES, fill)
    dirty_labels = np.where(WHERE, LABELS, fill) if name == "distill" else LABELS
    value, grad = _value_and_grad(fn, dirty, dirty_labels, reduction="none")
    np.testing.assert_allclose(value, clean_value, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(grad, clean_grad, rtol=1e-13, atol=1e-14)
    assert np.all(grad[~WHERE] == 0)
    assert value[2] == 0  # the list without a valid item


@pytest.mark.parametrize(("name", "fn"), LIST_LOSSES, ids=[n for n, _ in LIST_LOSSES])
def test_padding_is_inert_under_jit(name, fn):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    with jax.enable_x64(True):
        dirty = jnp.asarray(np.where(WHERE, SCORES, -np.inf))
        clean = jnp.asarray(SCORES)
        y, w = jnp.asarray(LABELS), jnp.asarray(WHERE)

        def total(s):
            return fn(s, y, where=w)

        g = jax.jit(jax.grad(total))
        np.testing.assert_allclose(
            np.asarray(jax.jit(total)(dirty)), np.asarray(total(clean)), rtol=1e-13
        )
        np.testing.assert_allclose(np.asarray(g(dirty)), np.asarray(g(clean)), atol=1e-14)


@pytest.mark.parametrize(
    "fn",
    [al.pairwise_hinge_loss, al.pairwise_logistic_loss, al.lambda_loss],
    ids=lambda f: f.__name__,
)
def test_no_pair_in_the_batch_gives_zero_with_zero_gradients(fn):
    s = torch.tensor(SCORES, requires_grad=True)
    out = fn(s, torch.ones(3, 5, dtype=torch.float64))
    (grad,) = torch.autograd.grad(out, s)
    assert float(out) == 0.0 and torch.all(grad == 0)
    empty = fn(s[:0], torch.ones(0, 5, dtype=torch.float64))
    assert math.isnan(float(empty))  # an empty batch: NaN (SPEC)


def test_count_normalised_mean_is_over_pairs_with_list_weights():
    y = np.array([[2.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # 3 pairs, 2 pairs
    s = RNG.normal(size=(2, 3))
    w = np.array([0.5, 3.0])
    none = al.pairwise_logistic_loss(s, y, reduction="none")
    mean = al.pairwise_logistic_loss(s, y, sample_weight=w)
    np.testing.assert_allclose(mean, (w * none).sum() / (3 * 0.5 + 2 * 3.0), rtol=1e-14)
    assert al.pairwise_logistic_loss(s, y, sample_weight=w, reduction="sum") == pytest.approx(
        (w * none).sum(), rel=1e-14
    )


def test_ranknet_is_pairwise_logistic_in_bits():
    s, y = SCORES, np.where(WHERE, LABELS, 0.0)
    for sigma in (1.0, 0.6):
        ranknet = al.lambda_loss(s, y, weighting_scheme=None, sigma=sigma)
        logistic = al.pairwise_logistic_loss(sigma * s, y)
        np.testing.assert_allclose(ranknet, logistic / math.log(2), rtol=1e-13)


def test_ties_keep_the_input_order():
    # equal labels: the first item counts as ranked higher (ListMLE sorts stably)
    s = np.array([[0.3, -0.2, 0.9]])
    y = np.array([[1.0, 1.0, 0.0]])
    expected = -(0.3 - np.log(np.exp(s).sum())) - (-0.2 - np.log(np.exp(s[0, 1:]).sum()))
    np.testing.assert_allclose(al.list_mle_loss(s, y), expected, rtol=1e-14)


def test_teachers_get_no_gradient():
    t = torch.tensor(RNG.normal(size=(4, 3)), requires_grad=True)
    s = torch.tensor(RNG.normal(size=(4, 3)), requires_grad=True)
    for out in (
        al.distill_kl_div_loss(s, t, temperature=0.5),
        al.margin_mse_loss(s[:, 0], s[:, 1:], t[:, 1:]),
    ):
        grads = torch.autograd.grad(out, (s, t), allow_unused=True)
        assert grads[1] is None or torch.all(grads[1] == 0)
        assert torch.any(grads[0] != 0)


def test_distill_temperature_gradient_matches_the_formula():
    s0, t0 = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4)) * 2
    t0[0, 1] = -np.inf  # probability 0: contributes 0
    tau = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    s = torch.tensor(s0, requires_grad=True)
    ours = al.distill_kl_div_loss(s, torch.tensor(t0), temperature=tau)
    p = torch.softmax(torch.tensor(t0) / tau, -1)
    logp = torch.where(p > 0, torch.log_softmax(torch.tensor(t0) / tau, -1), 0.0)
    kl = torch.where(p > 0, p * (logp - torch.log_softmax(s / tau, -1)), 0.0)
    theirs = kl.sum(-1).mean() * tau**2
    np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-13)
    for a, b in zip(
        torch.autograd.grad(ours, (s, tau)), torch.autograd.grad(theirs, (s, tau)), strict=True
    ):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)


def test_nan_scores_and_teachers_propagate():
    s = SCORES.copy()
    s[0, 0] = np.nan
    assert np.isnan(al.distill_kl_div_loss(s, LABELS))
    assert np.isnan(al.distill_kl_div_loss(SCORES, np.where(s == s, LABELS, np.nan)))
    assert np.isnan(al.lambda_loss(s, LABELS))  # ST sets NaN differences to 0; we do not
    assert np.isnan(al.approx_ndcg_loss(s, LABELS))
    assert np.isnan(al.list_mle_loss(s, LABELS))


def test_approx_ndcg_no_relevant_list_counts_in_the_mean():
    y = LABELS.copy()
    y[1] = 0.0
    none = al.approx_ndcg_loss(SCORES, y, reduction="none")
    assert none[1] == 0
    np.testing.assert_allclose(al.approx_ndcg_loss(SCORES, y), none.mean(), rtol=1e-14)


def test_one_candidate_gives_zero():
    assert float(al.distill_kl_div_loss(SCORES[:, :1], LABELS[:, :1])) == 0.0


def test_flops_zeroes_sparse_rows_and_keeps_them_in_n():
    x = np.array([[1.0, 2.0, 0.0], [0.5, 0.0, 0.0], [0.0, 0.0, 0.0]])
    kept = x.copy()
    kept[1] = 0.0
    np.testing.assert_allclose(
        al.flops_regularizer(x, threshold=1), ((kept.sum(0) / 3) ** 2).sum(), rtol=1e-15
    )
    np.testing.assert_allclose(al.flops_regularizer(x), ((x.mean(0)) ** 2).sum(), rtol=1e-15)


# --- linear_cross_entropy --------------------------------------------------------------------


def _head(n=7, d=5, c=23):
    rng = np.random.default_rng(5)
    return (
        torch.tensor(rng.normal(size=(n, d)), requires_grad=True),
        torch.tensor(rng.normal(size=(c, d)), requires_grad=True),
        torch.tensor(rng.normal(size=c), requires_grad=True),
        torch.tensor(rng.integers(0, c, size=n)),
    )


@pytest.mark.parametrize("chunk_size", [1, 4, 7, 23, 100])
def test_linear_cross_entropy_chunked_equals_dense(chunk_size):
    h, w, b, t = _head()
    cw = torch.rand(23, dtype=torch.float64) + 0.5
    kw = {"linear_bias": b, "class_weight": cw, "label_smoothing": 0.15, "reduction": "none"}
    dense = al.linear_cross_entropy(h, w, t, **kw)
    chunked = al.linear_cross_entropy(h, w, t, chunk_size=chunk_size, **kw)
    torch.testing.assert_close(chunked, dense, rtol=1e-13, atol=1e-14)
    for a, b_ in zip(
        torch.autograd.grad(dense.sum(), (h, w, b)),
        torch.autograd.grad(chunked.sum(), (h, w, b)),
        strict=True,
    ):
        torch.testing.assert_close(a, b_, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("chunk_size", [None, 4])
def test_linear_cross_entropy_all_ignored_is_zero_with_zero_gradient(chunk_size):
    h, w, _, t = _head()
    out = al.linear_cross_entropy(
        h, w, torch.full_like(t, -100), ignore_index=-100, chunk_size=chunk_size
    )
    grads = torch.autograd.grad(out, (h, w))
    assert float(out) == 0.0 and all(torch.all(g == 0) for g in grads)


def test_linear_cross_entropy_nan_hidden_gives_nan():
    h, w, _, t = _head()
    h = h.detach().clone()
    h[0, 0] = math.nan
    for chunk in (None, 4):
        out = al.linear_cross_entropy(h, w, t, reduction="none", chunk_size=chunk)
        assert torch.isnan(out[0]) and not torch.isnan(out[1:]).any()


def test_linear_cross_entropy_memory_under_jit():
    """value_and_grad at N=256, C=8192, chunk 512: XLA's temporaries stay under a quarter of
    one (N, C) float64 array (the dense path's are several of them)."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    n, c, d = 256, 8192, 16
    with jax.enable_x64(True):
        rng = np.random.default_rng(0)
        h = jnp.asarray(rng.normal(size=(n, d)))
        w = jnp.asarray(rng.normal(size=(c, d)) * 0.1)
        t = jnp.asarray(rng.integers(0, c, size=n))

        def loss(hh, ww, chunk):
            return al.linear_cross_entropy(hh, ww, t, chunk_size=chunk)

        bound = n * c * 8 / 4
        chunked = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)), static_argnums=2)
        temp = chunked.lower(h, w, 512).compile().memory_analysis().temp_size_in_bytes
        assert temp < bound, (temp, bound)
        dense = chunked.lower(h, w, None).compile().memory_analysis().temp_size_in_bytes
        assert dense > bound
        v1, g1 = chunked(h, w, 512)
        v2, g2 = chunked(h, w, None)
        np.testing.assert_allclose(np.asarray(v1), np.asarray(v2), rtol=1e-12)
        np.testing.assert_allclose(np.asarray(g1[1]), np.asarray(g2[1]), rtol=1e-10, atol=1e-14)


# --- bad inputs ------------------------------------------------------------------------------


def test_bad_inputs_raise():
    pos, neg = np.zeros(4), np.zeros((4, 2))
    with pytest.raises(ValueError, match="teacher_margins"):
        al.margin_mse_loss(pos, neg, np.zeros((4, 3)))  # teacher scores (N, K + 1)
    with pytest.raises(ValueError, match="at least one negative"):
        al.margin_mse_loss(pos, np.zeros((4, 0)), np.zeros((4, 0)))
    with pytest.raises(ValueError, match="temperature"):
        al.distill_kl_div_loss(SCORES, LABELS, temperature=0.0)
    with pytest.raises(ValueError, match="teacher_scores"):
        al.distill_kl_div_loss(SCORES, LABELS[:, :4])
    with pytest.raises(ValueError, match="labels"):
        al.list_mle_loss(SCORES, LABELS[:, :4])
    with pytest.raises(ValueError, match="lambdaweight"):
        al.pairwise_hinge_loss(SCORES, LABELS, lambdaweight="ndcg")
    with pytest.raises(ValueError, match="weighting_scheme"):
        al.lambda_loss(SCORES, LABELS, weighting_scheme="ndcg_loss3")
    with pytest.raises(ValueError, match="mu"):
        al.lambda_loss(SCORES, LABELS, weighting_scheme="lambdarank", mu=3.0)
    with pytest.raises(ValueError, match="gain"):
        al.approx_ndcg_loss(SCORES, LABELS, gain="cubic")
    with pytest.raises(ValueError, match="temperature"):
        al.approx_ndcg_loss(SCORES, LABELS, temperature=-1.0)
    with pytest.raises(ValueError, match="where"):
        al.approx_ndcg_loss(SCORES, LABELS, where=WHERE[:, :4])
    with pytest.raises(ValueError, match="embeddings"):
        al.flops_regularizer(np.zeros(5))
    h, w, _, t = _head()
    with pytest.raises(ValueError, match="linear_weight"):
        al.linear_cross_entropy(h, w[:, :4], t)
    with pytest.raises(ValueError, match="chunk_size"):
        al.linear_cross_entropy(h, w, t, chunk_size=0)
    with pytest.raises(TypeError, match="class indices"):
        al.linear_cross_entropy(h, w, torch.zeros(7, 23, dtype=torch.float64))


def _avals(jaxpr):
    """Every array value of a jaxpr and of the jaxprs nested in its equations (scan and
    while bodies, pjit, custom_vjp), as ``(primitive, shape)``."""
    for eqn in jaxpr.eqns:
        for var in (*eqn.invars, *eqn.outvars):
            aval = getattr(var, "aval", None)
            if hasattr(aval, "shape"):
                yield eqn.primitive.name, tuple(aval.shape)
        for value in eqn.params.values():
            for sub in value if isinstance(value, (tuple, list)) else (value,):
                inner = getattr(sub, "jaxpr", sub)  # ClosedJaxpr -> Jaxpr
                if hasattr(inner, "eqns"):
                    yield from _avals(inner)


def test_linear_cross_entropy_jaxpr_holds_no_logits_array():
    """Under ``jax.jit(jax.value_and_grad(...))`` (forward and backward, with bias, class
    weights and smoothing) the chunked path's jaxpr has no array of N·C or more elements: no
    ``(N, C)`` logits or gradient, and no stack of the chunks' logits from the scan either
    (``(C/chunk, N, chunk)`` has N·C elements). The dense path's has them (the check sees it)."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    n, c, d, chunk = 12, 35, 3, 5
    rng = np.random.default_rng(1)
    h = jnp.asarray(rng.normal(size=(n, d)), dtype=jnp.float32)
    w = jnp.asarray(rng.normal(size=(c, d)), dtype=jnp.float32)
    b = jnp.asarray(rng.normal(size=c), dtype=jnp.float32)
    cw = jnp.asarray(rng.uniform(0.5, 1.5, size=c), dtype=jnp.float32)
    t = jnp.asarray(rng.integers(0, c, size=n))

    def largest(chunk_size):
        def loss(hh, ww, bb):
            return al.linear_cross_entropy(
                hh,
                ww,
                t,
                linear_bias=bb,
                class_weight=cw,
                label_smoothing=0.1,
                chunk_size=chunk_size,
            )

        step = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)))
        jaxpr = jax.make_jaxpr(step)(h, w, b)
        sizes = [(int(np.prod(shape)), prim, shape) for prim, shape in _avals(jaxpr.jaxpr)]
        assert any(prim == "scan" for _, prim, _ in sizes) or chunk_size is None
        return max(sizes)

    size, prim, shape = largest(chunk)
    assert size < n * c, f"{prim} holds {shape}: N·C = {n * c} elements or more"
    assert largest(None)[0] >= n * c  # the dense path materialises the logits
