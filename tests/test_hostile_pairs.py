"""Hostile input for the pair/triplet losses, similarities, regularisers and
mean_cosine_similarity (issue #12): NaN propagates, empty batches follow the reduction rule,
gradients stay finite at zero vectors and identical rows, float32 and half precision stay
within tolerance of float64 at large CoSENT/AnglE scales, triplet p matches torch, boolean
labels work everywhere, hyperparameters are validated.

Every expected value comes from a float64 NumPy/math definition, by hand, or the policy.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest

import arraylosses as al
from arraylosses.metrics import mean_cosine_similarity
from arraylosses.testing import generic_kernels

from . import reference as ref
from .helpers import call, close

# ---------------------------------------------------------------------------------------------
# references (float64 NumPy, by definition)


def _cos(a, b):
    na = np.maximum(np.linalg.norm(a, axis=-1), 1e-8)
    nb = np.maximum(np.linalg.norm(b, axis=-1), 1e-8)
    return np.sum(a * b, axis=-1) / (na * nb)


def _angle(a, b):
    return np.array([ref.angle_similarity(x, y) for x, y in zip(a, b)])


def _rounded(backend, x, dtype):
    """``x`` as the backend holds it in ``dtype``, back in float64 (the reference's input)."""
    return np.asarray(backend.to_numpy(backend.asarray(x, dtype)), dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# CoSENT / AnglE at large scales


def test_cosent_issue_example_at_scale_100(backend, dtype):
    # cosines (0.5, 0.9, -1), gold [2, 1, 0]: the one discordant pair (0.9 above 0.5) gives
    # e^{100·0.4}; the concordant pairs e^{-150}, e^{-190}. Old float32: 0.0.
    cos = np.array([0.5, 0.9, -1.0])
    a = np.stack([np.ones(3), np.zeros(3)], axis=1)
    b = np.stack([cos, np.sqrt(1 - cos**2)], axis=1)
    expected = 40.0 + math.log1p(math.exp(-40.0) + math.exp(-190.0) + math.exp(-230.0))
    got = call(backend, dtype, al.cosent_loss, a, b, np.array([2.0, 1.0, 0.0]), scale=100.0)
    close(got, expected, dtype)


@pytest.mark.parametrize("scale", [1.0, 20.0, 50.0, 100.0, 1000.0])
@pytest.mark.parametrize("fn", [al.cosent_loss, al.angle_loss], ids=lambda f: f.__name__)
def test_cosent_angle_low_precision_match_float64(backend, fn, scale):
    rng = np.random.default_rng(int(scale))
    a, b = rng.normal(size=(33, 5)), rng.normal(size=(33, 5))
    sim = _cos if fn is al.cosent_loss else _angle
    # gold scores that mostly agree with the similarities (a trained model): the lowest
    # similarities sit in the lowest score groups, outside every suffix of higher scores,
    # which is where a single shifted exp-cumsum underflowed in float32
    s64 = sim(a, b)
    scores = np.floor((s64 - s64.min()) / np.ptp(s64) * 4.999) + (rng.uniform(size=33) < 0.2)
    for dtype in backend.dtypes:
        if dtype == "float64":
            continue
        expected = ref.cosent_terms(
            sim(_rounded(backend, a, dtype), _rounded(backend, b, dtype)), scores, scale
        )
        assert expected > 1.0  # a real loss, not only the log 1 floor
        got = call(backend, dtype, fn, a, b, scores.astype(np.int64), scale=scale)
        close(got, expected, dtype)


@pytest.mark.parametrize("scale", [20.0, 1000.0])
def test_cosent_generic_scan_matches_native(ad_backend, scale):
    """The array-API suffix scan (generic_kernels()) against torch's logcumsumexp /
    JAX's cumlogsumexp: values and gradients, in float32 against the float64 reference."""
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(37, 4)), rng.normal(size=(37, 4))
    scores = rng.integers(0, 6, size=37).astype(np.float64)
    results = []
    for kernels in (contextlib.nullcontext, generic_kernels):
        with kernels():
            results.append(
                _value_and_grads(
                    ad_backend, al.cosent_loss, (a, b, scores), (0, 1), "float32", scale=scale
                )
            )
    expected = ref.cosent_terms(
        _cos(_rounded(ad_backend, a, "float32"), _rounded(ad_backend, b, "float32")), scores, scale
    )
    for value, grads in results:
        close(value, expected, "float32")
        for g, g_native in zip(grads, results[0][1], strict=True):
            assert np.all(np.isfinite(g))
            np.testing.assert_allclose(g, g_native, rtol=1e-3, atol=1e-4 * np.abs(g).max())


def test_cosent_empty_batch_and_nan(backend):
    empty = np.zeros((0, 3))
    for fn in (al.cosent_loss, al.angle_loss):
        # log(1 + empty sum) = 0, as sentence-transformers (the docstring says so)
        assert call(backend, "float64", fn, empty, empty, np.zeros(0)) == 0.0
        a, b, s = np.ones((4, 3)), np.eye(4, 3), np.array([0.1, 0.2, 0.3, 0.4])
        bad_score = s.copy()
        bad_score[2] = np.nan
        assert np.isnan(call(backend, "float64", fn, a, b, bad_score))
        bad_emb = a.copy()
        bad_emb[0, 1] = np.nan
        assert np.isnan(call(backend, "float64", fn, bad_emb, b, s))
        # the NaN row has the lowest score: it is in no suffix, only a c_j term
        assert np.isnan(call(backend, "float64", fn, bad_emb, b, s[::-1].copy()))


# ---------------------------------------------------------------------------------------------
# triplet p-norms against torch


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf, 0.5])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_p_matches_torch(backend, dtype, p, swap):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(11)
    a, pos, neg = (rng.normal(size=(9, 5)) for _ in range(3))
    expected = F.triplet_margin_loss(
        *(torch.tensor(_rounded(backend, x, dtype)) for x in (a, pos, neg)),
        p=p,
        swap=swap,
        reduction="none",
    ).numpy()
    got = call(
        backend, dtype, al.triplet_margin_loss, a, pos, neg, p=p, swap=swap, reduction="none"
    )
    close(got, expected, dtype)


def test_triplet_p_inf_by_hand(backend, dtype):
    a, pos, neg = np.array([[0.0, 0.0]]), np.array([[3.0, -4.0]]), np.array([[1.0, 0.5]])
    # max |a - p| = 4, max |a - n| = 1: 4 - 1 + 1
    close(
        call(backend, dtype, al.triplet_margin_loss, a, pos, neg, p=math.inf, eps=0.0), 4.0, dtype
    )


@pytest.mark.parametrize("p", [20.0, 50.0, 100.0])
def test_triplet_large_p_no_overflow(backend, dtype, p):
    # |x|^p overflows float32 at 6^50 and underflows at 1e-3^20; the norm is finite
    for v in (6.0, 1e-3):
        x = np.array([[v, v / 2, v / 3]])
        norm = v * math.fsum((1.0, 0.5**p, (1 / 3) ** p)) ** (1 / p)
        got = call(
            backend, dtype, al.triplet_margin_loss, x, np.zeros((1, 3)), x, p=p, eps=0.0, margin=1.0
        )
        close(got, norm + 1.0, dtype)  # d(a, n) = 0


# ---------------------------------------------------------------------------------------------
# NaN propagation


def _nan_at(x, index):
    x = np.array(x, dtype=np.float64)
    x[index] = np.nan
    return x


def test_pairwise_euclidean_nan_row(backend, dtype):
    rng = np.random.default_rng(2)
    a, b = _nan_at(rng.normal(size=(3, 4)), (1, 2)), rng.normal(size=(2, 4))
    for squared in (False, True):
        got = call(backend, dtype, al.pairwise_euclidean_distance, a, b, squared=squared)
        assert np.all(np.isnan(got[1])) and np.all(np.isfinite(got[[0, 2]]))
        got = call(backend, dtype, al.pairwise_euclidean_distance, b, a, squared=squared)
        assert np.all(np.isnan(got[:, 1])) and np.all(np.isfinite(got[:, [0, 2]]))


PAIR_LOSSES = [
    (al.contrastive_loss, {}),
    (al.contrastive_loss, {"distance": "cosine"}),
    (al.triplet_margin_loss, {}),
    (al.triplet_margin_loss, {"p": 1.0}),
    (al.triplet_margin_loss, {"p": 1.5}),
    (al.triplet_margin_loss, {"p": math.inf, "swap": True}),
    (al.triplet_margin_loss, {"distance": "cosine"}),
    (al.cosine_embedding_loss, {}),
]


def _pair_args(fn, n=4):
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    if fn is al.triplet_margin_loss:
        return [a, b, rng.normal(size=(n, 3))]
    if fn is al.cosine_embedding_loss:
        return [a, b, np.resize([1.0, -1.0], n)]
    return [a, b, np.resize([1.0, 0.0], n)]


@pytest.mark.parametrize(
    ("fn", "params"), PAIR_LOSSES, ids=[f"{f.__name__}-{p}" for f, p in PAIR_LOSSES]
)
@pytest.mark.parametrize("where", [0, 1, 2])
def test_pair_losses_propagate_nan(backend, fn, params, where):
    args = _pair_args(fn)
    args[where] = _nan_at(args[where], (2, 0) if args[where].ndim == 2 else 2)
    rows = call(backend, "float64", fn, *args, reduction="none", **params)
    assert np.isnan(rows[2]) and np.all(np.isfinite(rows[[0, 1, 3]]))
    for reduction in ("mean", "sum"):
        assert np.isnan(call(backend, "float64", fn, *args, reduction=reduction, **params))


@pytest.mark.parametrize("distance", ["cosine", "euclidean"])
def test_online_contrastive_nan(backend, distance):
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    label = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    kw = {"distance": distance, "reduction": "none"}
    # a NaN label: that pair is NaN, the rest are decided as before
    rows = call(backend, "float64", al.online_contrastive_loss, a, b, _nan_at(label, 3), **kw)
    assert np.isnan(rows[3]) and np.all(np.isfinite(np.delete(rows, 3)))
    # a NaN positive distance: max_pos is NaN, so every negative is unknown, positives are not
    rows = call(backend, "float64", al.online_contrastive_loss, _nan_at(a, (0, 1)), b, label, **kw)
    assert np.all(np.isnan(rows[[0, 1, 3, 5]])) and np.all(np.isfinite(rows[[2, 4]]))
    for reduction in ("mean", "sum"):
        assert np.isnan(
            call(
                backend,
                "float64",
                al.online_contrastive_loss,
                _nan_at(a, (1, 0)),
                b,
                label,
                distance=distance,
                reduction=reduction,
            )
        )


def test_nan_weight_propagates(backend):
    for fn, params in [*PAIR_LOSSES[:3], (al.online_contrastive_loss, {})]:
        args = (
            _pair_args(fn)
            if fn is not al.online_contrastive_loss
            else _pair_args(al.contrastive_loss)
        )
        w = _nan_at(np.ones(4), 1)
        for reduction in ("mean", "sum"):
            assert np.isnan(
                call(backend, "float64", fn, *args, sample_weight=w, reduction=reduction, **params)
            ), fn.__name__
    p = _nan_at(np.full((3, 2), 0.5), (0, 0))
    assert np.isnan(
        call(
            backend,
            "float64",
            al.exclusiveness_loss,
            np.full((3, 2), 0.5),
            sample_weight=_nan_at(np.ones(3), 0),
        )
    )
    assert np.isnan(call(backend, "float64", al.exclusiveness_loss, p))


def test_similarities_and_regularizers_propagate_nan(backend, dtype):
    rng = np.random.default_rng(5)
    x, y = _nan_at(rng.normal(size=(4, 3)), (1, 1)), rng.normal(size=(4, 3))
    cos = call(backend, dtype, al.cosine_similarity, x, y)
    assert np.isnan(cos[1]) and np.all(np.isfinite(np.delete(cos, 1)))
    assert np.all(np.isnan(call(backend, dtype, al.l2_normalize, x)[1]))
    assert np.all(np.isnan(call(backend, dtype, al.pairwise_cosine_similarity, x, y)[1]))
    assert np.isnan(call(backend, dtype, mean_cosine_similarity, x, y))
    assert np.isnan(call(backend, dtype, al.orthogonal_loss, x))
    assert np.isnan(call(backend, dtype, al.global_orthogonal_regularization, y, x))
    probs = _nan_at(np.full((3, 4), 0.25), (2, 1))
    rows = call(backend, dtype, al.exclusiveness_loss, probs, reduction="none")
    assert np.isnan(rows[2]) and np.all(np.isfinite(rows[:2]))
    assert np.isnan(call(backend, dtype, al.inclusiveness_loss, probs))


def test_entropy_zero_probabilities_stay_exact(backend, dtype):
    # 0 log 0 = 0: one-hot rows have entropy 0, a (½, ½, 0) row log 2
    p = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    close(
        call(backend, dtype, al.exclusiveness_loss, p, reduction="none"), [0.0, math.log(2)], dtype
    )


# ---------------------------------------------------------------------------------------------
# empty batch


EMPTY = [
    (al.contrastive_loss, {}),
    (al.contrastive_loss, {"distance": "cosine"}),
    (al.online_contrastive_loss, {}),
    (al.online_contrastive_loss, {"distance": "euclidean"}),
    (al.triplet_margin_loss, {}),
    (al.triplet_margin_loss, {"p": math.inf}),
    (al.triplet_margin_loss, {"p": 1.5}),
    (al.cosine_embedding_loss, {}),
]


@pytest.mark.parametrize(("fn", "params"), EMPTY, ids=[f"{f.__name__}-{p}" for f, p in EMPTY])
@pytest.mark.parametrize("weighted", [False, True])
def test_pair_losses_empty_batch(backend, fn, params, weighted):
    args = [
        np.zeros((0, 3)),
        np.zeros((0, 3)),
        np.zeros((0, 3)) if fn is al.triplet_margin_loss else np.zeros(0),
    ]
    if weighted:
        params = {**params, "sample_weight": np.zeros(0)}
    assert np.isnan(call(backend, "float64", fn, *args, reduction="mean", **params))
    assert call(backend, "float64", fn, *args, reduction="sum", **params) == 0.0
    assert call(backend, "float64", fn, *args, reduction="none", **params).shape == (0,)


def test_other_functions_empty_batch(backend):
    e = np.zeros((0, 3))
    assert np.isnan(call(backend, "float64", mean_cosine_similarity, e, e))
    assert np.isnan(call(backend, "float64", al.exclusiveness_loss, e))
    assert call(backend, "float64", al.exclusiveness_loss, e, reduction="sum") == 0.0
    assert np.isnan(call(backend, "float64", al.inclusiveness_loss, e))
    # no pair of rows: 0, as sentence-transformers (documented)
    assert call(backend, "float64", al.global_orthogonal_regularization, e) == 0.0
    assert call(backend, "float64", al.cosine_similarity, e, e).shape == (0,)
    assert call(backend, "float64", al.pairwise_euclidean_distance, e, np.ones((2, 3))).shape == (
        0,
        2,
    )


# ---------------------------------------------------------------------------------------------
# gradients: zero vectors, identical rows, zero coordinates


def _value_and_grads(backend, fn, args, wrt, dtype, **kw):
    """(value, [gradient of Σ fn(...) w.r.t. args[i] for i in wrt]) on torch or under
    jax.jit(jax.value_and_grad); float64 NumPy out."""
    conv, _ = backend.convert(args, dtype=dtype)
    if backend.name.startswith("torch"):
        import torch

        leaves = [conv[i].detach().clone().requires_grad_(True) for i in wrt]
        full = list(conv)
        for i, leaf in zip(wrt, leaves, strict=True):
            full[i] = leaf
        out = torch.sum(fn(*full, **kw))
        grads = torch.autograd.grad(out, leaves)
        return float(out.detach()), [backend.to_numpy(g).astype(np.float64) for g in grads]
    import jax
    import jax.numpy as jnp

    def objective(*values):
        full = list(conv)
        for i, v in zip(wrt, values, strict=True):
            full[i] = v
        return jnp.sum(fn(*full, **kw))

    value, grads = jax.jit(jax.value_and_grad(objective, argnums=tuple(range(len(wrt)))))(
        *[conv[i] for i in wrt]
    )
    return float(value), [np.asarray(g, dtype=np.float64) for g in grads]


rng0 = np.random.default_rng(6)
R = rng0.normal(size=(3, 4))
Z = np.zeros((3, 4))
ONES = np.ones((3, 4))
LAB = np.array([1, 0, 1])
SCORES = np.array([0.2, 0.5, 0.9])
GRADIENT_CASES = [
    ("contrastive identical", al.contrastive_loss, (ONES, ONES.copy(), LAB), {}),
    ("contrastive cosine zero", al.contrastive_loss, (Z, R, LAB), {"distance": "cosine"}),
    (
        "contrastive cosine both zero",
        al.contrastive_loss,
        (Z, Z.copy(), LAB),
        {"distance": "cosine"},
    ),
    (
        "online identical",
        al.online_contrastive_loss,
        (ONES, ONES.copy(), LAB),
        {"distance": "euclidean"},
    ),
    ("online cosine zero", al.online_contrastive_loss, (Z, R, LAB), {}),
    ("triplet identical eps 0", al.triplet_margin_loss, (ONES, ONES.copy(), R), {"eps": 0.0}),
    (
        "triplet identical p 1.5",
        al.triplet_margin_loss,
        (ONES, ONES.copy(), R),
        {"eps": 0.0, "p": 1.5},
    ),
    (
        "triplet zero coordinates p 0.5",
        al.triplet_margin_loss,
        (R, R * np.array([1.0, 1.0, 0.0, 0.0]), -R),
        {"eps": 0.0, "p": 0.5},
    ),
    (
        "triplet identical p inf",
        al.triplet_margin_loss,
        (ONES, ONES.copy(), R),
        {"eps": 0.0, "p": math.inf},
    ),
    ("triplet cosine zero", al.triplet_margin_loss, (Z, R, R[::-1].copy()), {"distance": "cosine"}),
    ("cosine embedding zero", al.cosine_embedding_loss, (Z, R, np.array([1, -1, 1])), {}),
    ("cosent zero", al.cosent_loss, (Z, R, SCORES), {}),
    ("cosent both zero", al.cosent_loss, (Z, Z.copy(), SCORES), {}),
    ("cosent constant scale 1000", al.cosent_loss, (ONES, ONES.copy(), SCORES), {"scale": 1000.0}),
    ("angle zero odd width", al.angle_loss, (Z[:, :3], R[:, :3], SCORES), {}),
    ("cosine_similarity zero", al.cosine_similarity, (Z, R), {}),
    ("cosine_similarity zero tiny eps", al.cosine_similarity, (Z, R * 1e-3), {"eps": 1e-200}),
    ("l2_normalize zero tiny eps", al.l2_normalize, (Z,), {"eps": 1e-30}),
    ("pairwise cosine zero", al.pairwise_cosine_similarity, (Z, R), {}),
    ("pairwise euclidean identical", al.pairwise_euclidean_distance, (R, R.copy()), {}),
    ("mean_cosine_similarity zero", mean_cosine_similarity, (Z, R), {}),
    ("orthogonal zero row", al.orthogonal_loss, (np.vstack([Z, R]),), {}),
    ("gor zero row", al.global_orthogonal_regularization, (np.vstack([Z, R]),), {}),
    ("exclusiveness one-hot", al.exclusiveness_loss, (np.eye(3),), {}),
    ("inclusiveness one-hot", al.inclusiveness_loss, (np.eye(3),), {}),
]


@pytest.mark.parametrize(
    ("name", "fn", "args", "kw"), GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES]
)
def test_finite_gradients(ad_backend, dtype, name, fn, args, kw):
    wrt = [i for i, x in enumerate(args) if x.dtype.kind == "f" and x.ndim == 2]
    value, grads = _value_and_grads(ad_backend, fn, args, wrt, dtype, **kw)
    assert math.isfinite(value), name
    for g in grads:
        assert np.all(np.isfinite(g)), (name, g)


def test_pairwise_euclidean_self_distance_gradient(ad_backend, dtype):
    # the same array on both sides: the diagonal is 0, with a finite gradient
    def self_distance(x):
        return al.pairwise_euclidean_distance(x, x)

    value, (g,) = _value_and_grads(ad_backend, self_distance, (R,), (0,), dtype)
    assert math.isfinite(value) and np.all(np.isfinite(g))


def test_tiny_eps_keeps_zero_vectors_finite(backend):
    # eps² underflows (1e-60 in float32, 1e-400 in float64): the clamp stays positive
    z, r = np.zeros((2, 3)), np.ones((2, 3))
    for dtype in ("float32", "float64"):
        assert np.all(call(backend, dtype, al.l2_normalize, z, eps=1e-200) == 0)
        assert np.all(call(backend, dtype, al.cosine_similarity, z, r, eps=1e-200) == 0)


# ---------------------------------------------------------------------------------------------
# boolean labels


@pytest.mark.parametrize(
    "fn",
    [al.contrastive_loss, al.online_contrastive_loss, al.cosent_loss, al.angle_loss],
    ids=lambda f: f.__name__,
)
def test_boolean_labels_equal_0_1(backend, fn):
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    bits = np.array([True, False, True, True, False, False])
    as_bool = call(backend, "float32", fn, a, b, bits)
    as_int = call(backend, "float32", fn, a, b, bits.astype(np.int64))
    np.testing.assert_array_equal(as_bool, as_int)
    # and the by-definition value of the 0/1 labels, for the plain contrastive loss
    if fn is al.contrastive_loss:
        a32, b32 = (_rounded(backend, x, "float32") for x in (a, b))
        d = np.linalg.norm(a32 - b32, axis=1)
        expected = np.mean(0.5 * np.where(bits, d * d, np.maximum(1.0 - d, 0.0) ** 2))
        close(as_bool, expected, "float32")


# ---------------------------------------------------------------------------------------------
# hyperparameter validation


X = np.ones((3, 4))
BAD_HYPERPARAMETERS = [
    (al.contrastive_loss, "label", {"margin": math.nan}, ValueError),
    (al.contrastive_loss, "label", {"margin": -0.5}, ValueError),
    (al.contrastive_loss, "label", {"margin": "1"}, TypeError),
    (al.online_contrastive_loss, "label", {"margin": math.inf}, ValueError),
    (al.online_contrastive_loss, "label", {"margin": -1.0}, ValueError),
    (al.triplet_margin_loss, "triplet", {"margin": 0.0}, ValueError),
    (al.triplet_margin_loss, "triplet", {"p": 0.0}, ValueError),
    (al.triplet_margin_loss, "triplet", {"p": math.nan}, ValueError),
    (al.triplet_margin_loss, "triplet", {"p": True}, TypeError),
    (al.triplet_margin_loss, "triplet", {"p": "2"}, TypeError),
    (al.triplet_margin_loss, "triplet", {"eps": -1e-6}, ValueError),
    (al.triplet_margin_loss, "triplet", {"eps": math.inf}, ValueError),
    (al.triplet_margin_loss, "triplet", {"eps": None}, TypeError),
    (al.triplet_margin_loss, "triplet", {"swap": 1}, TypeError),
    (al.triplet_margin_loss, "triplet", {"distance": "cosine", "p": 3.0}, ValueError),
    (al.triplet_margin_loss, "triplet", {"distance": "cosine", "eps": 0.0}, ValueError),
    (al.cosine_embedding_loss, "target", {"margin": 1.5}, ValueError),
    (al.cosine_embedding_loss, "target", {"margin": math.nan}, ValueError),
    (al.cosent_loss, "scores", {"scale": math.inf}, ValueError),
    (al.cosent_loss, "scores", {"scale": math.nan}, ValueError),
    (al.angle_loss, "scores", {"scale": -1.0}, ValueError),
    (al.angle_loss, "scores", {"scale": True}, TypeError),
    (al.pairwise_euclidean_distance, "pair", {"squared": 1}, TypeError),
    (al.cosine_similarity, "pair", {"eps": math.nan}, ValueError),
    (al.l2_normalize, "one", {"eps": math.inf}, ValueError),
    (al.pairwise_cosine_similarity, "pair", {"eps": "x"}, TypeError),
    (al.global_orthogonal_regularization, "one", {"mean_weight": math.nan}, ValueError),
    (al.global_orthogonal_regularization, "one", {"second_moment_weight": -1.0}, ValueError),
    (al.global_orthogonal_regularization, "one", {"mean_weight": True}, TypeError),
    (al.global_orthogonal_regularization, "one", {"return_terms": 1}, TypeError),
]


@pytest.mark.parametrize(
    ("fn", "kind", "kw", "error"),
    BAD_HYPERPARAMETERS,
    ids=[f"{f.__name__}-{kw}" for f, _, kw, _ in BAD_HYPERPARAMETERS],
)
def test_bad_hyperparameters(backend, fn, kind, kw, error):
    x = backend.asarray(X, "float64")
    labels = {
        "label": np.array([1, 0, 1]),
        "target": np.array([1, -1, 1]),
        "scores": np.array([0.1, 0.2, 0.3]),
    }
    args = {"triplet": (x, x, x), "pair": (x, x), "one": (x,)}.get(kind)
    if args is None:
        args = (x, x, backend.asarray(labels[kind]))
    name = next(iter(kw)) if "distance" not in kw else "p and eps"
    with pytest.raises(error, match=name):
        fn(*args, **kw)


def test_numpy_scalars_are_numbers(backend):
    x = backend.asarray(X, "float64")
    lab = backend.asarray(np.array([1, 0, 1]))
    for margin in (np.float32(0.5), np.int64(1)):
        al.contrastive_loss(x, x, lab, margin=margin)
        al.triplet_margin_loss(x, x, x, margin=margin, p=np.float64(3.0), eps=np.float32(0.0))
    al.cosent_loss(x, x, backend.asarray(np.array([0.1, 0.2, 0.3])), scale=np.float32(30.0))
    al.global_orthogonal_regularization(x, mean_weight=np.int64(2))


def test_degenerate_widths_raise_named_errors(backend):
    with pytest.raises(ValueError, match="D >= 1"):
        al.global_orthogonal_regularization(backend.asarray(np.ones((3, 0)), "float64"))
    for fn in (al.exclusiveness_loss, al.inclusiveness_loss):
        with pytest.raises(ValueError, match="at least one anchor"):
            fn(backend.asarray(np.ones((3, 0)), "float64"))
