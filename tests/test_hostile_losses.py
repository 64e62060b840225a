"""Hostile inputs for the regression, classification and ranking losses (issue #12): what
the registry's hostile sweep (``conformance/hostile.py``, run by ``tests/test_hostile.py``
over every parameter set of every case) cannot say.

The sweep checks NaN in every input and the per-sample weight (NaN out, eager and under
``jax.jit``), the empty batch (NaN for ``"mean"``, weighted or not, 0 for ``"sum"``, an empty
array for ``"none"``), zero and constant inputs, scaled logits in half precision and boolean
targets. Here: the numerics of particular losses (NaN off the label, probabilities of exactly 0
or 1, logits of ±1e4, constant score matrices, fully padded lists, zero energies), the
validation of hyperparameters (TypeError for the wrong type, ValueError for NaN, inf or out of
range) and of arguments that the chosen mode ignores. Expected values come from the policy
("NaN", "0", "finite") or from plain ``math``/NumPy float64 definitions written here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import arraylosses as al

from .helpers import close

N, C, K = 4, 3, 5


def _np(backend, x) -> np.ndarray:
    return np.asarray(backend.to_numpy(x), dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# NaN in, NaN out: what the registry's sweep (tests/test_hostile.py) cannot say


def test_nan_label_reaches_the_loss_instead_of_the_label_check(backend):
    # the eager label checks (hinge signs, non-negative energies and rates) let NaN through
    s = backend.asarray(np.array([0.5, 2.0]), "float64")
    y = backend.asarray(np.array([np.nan, 1.0]), "float64")
    for fn in (al.hinge_loss, al.squared_hinge_loss):
        out = _np(backend, fn(s, y, reduction="none"))
        assert np.isnan(out[0]) and out[1] == 0.0
    out = _np(backend, al.margin_ranking_loss(s, s, y, reduction="none"))
    assert np.isnan(out[0]) and out[1] == 0.0
    energies = backend.asarray(np.array([[np.nan, 1.0], [1.0, 1.0]]), "float64")
    out = _np(backend, al.csar_loss(energies, backend.asarray(np.array([1, 0])), reduction="none"))
    assert np.isnan(out[0]) and out[1] == pytest.approx(math.log(2))
    rates = backend.asarray(np.array([np.nan, 1.0]), "float64")
    out = _np(backend, al.poisson_nll_loss(rates, s, log_input=False, reduction="none"))
    assert np.isnan(out[0]) and np.isfinite(out[1])


def test_nll_loss_nan_off_the_label_still_propagates(backend):
    # the label's entry alone is read, but the row holds NaN: its loss is NaN
    log_p = backend.asarray(np.log(np.array([[0.25, 0.75], [0.5, 0.5]])), "float64")
    log_p_nan = backend.asarray(np.array([[np.nan, math.log(0.75)], [-math.log(2)] * 2]), "float64")
    y = backend.asarray(np.array([1, 0]))
    close(
        _np(backend, al.nll_loss(log_p, y, reduction="none")),
        [-math.log(0.75), math.log(2)],
        "float64",
    )
    out = _np(backend, al.nll_loss(log_p_nan, y, reduction="none"))
    assert np.isnan(out[0]) and out[1] == pytest.approx(math.log(2))
    # rows left out by ignore_index are not input: their NaN does not reach the mean
    y_ignored = backend.asarray(np.array([-1, 0]))
    assert _np(backend, al.nll_loss(log_p_nan, y_ignored, ignore_index=-1)) == pytest.approx(
        math.log(2)
    )


def test_logsumexp_rows_with_nan_and_huge_logits_do_not_overflow(backend):
    # the generic logsumexp shifted a NaN row by 0, so exp(1e4) overflowed (a NumPy warning)
    z = backend.asarray(np.array([[np.nan, 1e4, 0.0], [1e4, 0.0, -1e4]]), "float64")
    out = _np(backend, al.cross_entropy(z, backend.asarray(np.array([1, 0])), reduction="none"))
    assert np.isnan(out[0]) and out[1] == 0.0


# ---------------------------------------------------------------------------------------------
# The empty batch (and NaN in every input of every parameter set, eager and under jax.jit, and
# in the per-sample weight): the registry's hostile sweep, tests/test_hostile.py


def test_all_ignored_or_all_padded_non_empty_batch_stays_zero(ad_backend):
    # documented: nothing to average in a non-empty batch is 0 (with a zero gradient), not NaN
    be = ad_backend
    logits = np.random.default_rng(4).normal(size=(3, 4))

    def ce(z):
        return al.cross_entropy(z, be.asarray(np.full(3, -100)), ignore_index=-100)

    def listnet(s):
        return al.listnet_loss(s, s * 2, where=be.asarray(np.zeros((3, 4), bool)))

    def zero_weights(p):
        return al.mse_loss(p, p * 0 + 1, sample_weight=be.asarray(np.zeros(4), "float64"))

    for fn in (ce, listnet, zero_weights):
        value, grad = _value_and_grad(be, fn, logits)
        assert value == 0.0, fn.__name__
        np.testing.assert_array_equal(grad, 0.0)


# ---------------------------------------------------------------------------------------------
# Finite values and gradients at the edges


def _value_and_grad(be, fn: Callable, *xs: np.ndarray, dtype: str = "float64") -> tuple[float, Any]:
    """``fn(*xs)`` (a scalar) and its gradients, on torch or JAX; gradients as float64 NumPy
    (one array for one input, else a list)."""
    if be.name.startswith("torch"):
        ts = [t.requires_grad_(True) for t in be.convert(xs, dtype=dtype)[0]]
        out = fn(*ts)
        out.backward()
        grads = [np.asarray(be.to_numpy(t.grad), np.float64) for t in ts]
        value = float(be.to_numpy(out))
    else:
        import jax

        def f(*a):
            return fn(*a).astype("float32") if dtype in ("float16", "bfloat16") else fn(*a)

        value, g = jax.value_and_grad(f, argnums=tuple(range(len(xs))))(
            *be.convert(xs, dtype=dtype)[0]
        )
        grads = [
            np.asarray(gg.astype("float32") if dtype == "bfloat16" else gg, np.float64) for gg in g
        ]
        value = float(value)
    return value, grads[0] if len(grads) == 1 else grads


def _bce_by_definition(p: float, t: float, eps: float = 1e-7) -> float:
    q = min(max(p, eps), 1 - eps)
    one_minus = min(max(1 - p, eps), 1 - eps)
    return -(t * math.log(q) + (1 - t) * math.log(one_minus))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_probabilities_exactly_zero_and_one(backend, dtype):
    p = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1e-30]])
    t = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    expected = [
        [_bce_by_definition(pi, ti) for pi, ti in zip(pr, tr, strict=True)]
        for pr, tr in zip(p, t, strict=True)
    ]
    got = _np(
        backend,
        al.binary_cross_entropy(
            backend.asarray(p, dtype), backend.asarray(t, dtype), reduction="none"
        ),
    )
    # float32 used to clip at fl(1 - 1e-7) = 1 - 1.19e-7: 15.94 instead of -log(1e-7) = 16.12
    close(got, expected, dtype)


def test_bce_saturated_half_precision(backend):
    p, t = np.array([1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0])
    expected = [_bce_by_definition(*pt) for pt in zip(p, t, strict=True)]
    for dtype in (d for d in ("float16", "bfloat16") if d in backend.dtypes):
        got = _np(
            backend,
            al.binary_cross_entropy(
                backend.asarray(p, dtype), backend.asarray(t, dtype), reduction="none"
            ),
        )
        close(got, expected, dtype)


def test_gradients_at_probabilities_zero_and_one(ad_backend):
    be = ad_backend
    p = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1e-30]])
    t = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    value, (gp, gt) = _value_and_grad(be, al.binary_cross_entropy, p, t)
    assert np.isfinite(value) and np.isfinite(gp).all() and np.isfinite(gt).all()
    assert gp[0, 0] == 0.0 and gp[0, 1] == 0.0  # beyond the clip (Keras): no gradient

    logits = np.array([[0.0, 2.0, -1.0], [1.0, 1.0, 0.0]])
    probs = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    log_sm = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    kl_rows = [
        sum(q * (math.log(q) - lq) for q, lq in zip(qr, lr, strict=True) if q > 0)
        for qr, lr in zip(probs, log_sm, strict=True)
    ]
    for fn in (al.kl_divergence, al.cross_entropy, al.softmax_focal_loss, al.poly1_cross_entropy):
        value, (gz, gq) = _value_and_grad(be, fn, logits, probs)
        assert np.isfinite(value) and np.isfinite(gz).all() and np.isfinite(gq).all(), fn
    value, _ = _value_and_grad(be, al.kl_divergence, logits, probs)
    assert value == pytest.approx(np.mean(kl_rows), rel=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_focal_losses_with_saturated_probabilities(ad_backend, gamma, dtype):
    # p = 1 exactly for the label: (1-p)^γ at 0 must have a finite gradient for every γ
    be = ad_backend
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    bits = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    labels = be.asarray(np.array([0, 1]))

    def softmax_focal(x):
        return al.softmax_focal_loss(x, labels, gamma=gamma, reduction="sum")

    def sigmoid_focal(x):
        return al.sigmoid_focal_loss(x, be.asarray(bits, dtype), gamma=gamma, reduction="sum")

    value, grad = _value_and_grad(be, softmax_focal, z, dtype=dtype)
    assert value == 0.0 and np.isfinite(grad).all()
    value, grad = _value_and_grad(be, sigmoid_focal, z, dtype=dtype)
    # the ±1e4 elements are classified with p_t = 1 (loss 0); the z = 0 ones (t = 1 in row 0,
    # t = 0 in row 1) give α_t (1/2)^γ log 2, with α_t = 0.25 and 0.75
    expected = (0.25 + 0.75) * 0.5**gamma * math.log(2)
    close(value, expected, dtype)
    assert np.isfinite(grad).all()


def _log_softmax(z: list[float]) -> list[float]:
    top = max(z)
    lse = top + math.log(math.fsum(math.exp(v - top) for v in z))
    return [v - lse for v in z]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_logits_of_1e4(ad_backend, dtype):
    be = ad_backend
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    labels = be.asarray(np.array([0, 0]))
    ones = np.ones((2, 3))
    expected = {
        "cross_entropy": 2e4,  # row 1: -log softmax = 1e4 - (-1e4)
        "poly1": 2e4 + 1.0,  # + ε(1 - p_y), p_y = 0
        "focal": 2e4,
        "bce_logits": 1e4 + 1e4 + 2 * math.log(2),  # softplus(-z) summed
        "bpr": (2e4 + 1e4) / 2,  # row 1: softplus(1e4 - (-1e4)), softplus(0 + 1e4); mean K
        "sampled_softmax": 2e4,
    }
    fns = {
        "cross_entropy": lambda x: al.cross_entropy(x, labels, reduction="sum"),
        "poly1": lambda x: al.poly1_cross_entropy(x, labels, reduction="sum"),
        "focal": lambda x: al.softmax_focal_loss(x, labels, gamma=0.0, reduction="sum"),
        "bce_logits": lambda x: al.binary_cross_entropy_with_logits(
            x, be.asarray(ones, dtype), reduction="sum"
        ),
        "bpr": lambda x: al.bpr_loss(x[:, 0], x[:, 1:], reduction="sum"),
        "sampled_softmax": lambda x: al.sampled_softmax_loss(x[:, 0], x[:, 1:], reduction="sum"),
    }
    for name, fn in fns.items():
        value, grad = _value_and_grad(be, fn, z, dtype=dtype)
        close(value, expected[name], dtype)
        assert np.isfinite(grad).all(), name


def test_constant_score_matrix_normalized_sampled_softmax(ad_backend, dtype):
    # std = 0: z = 0 everywhere, so every row is log(1 + (B-1)·(num_items-1)/(B-1)) = log(n)
    be = ad_backend
    for value in (0.0, 0.7):
        s = np.full((3, 3), value)
        loss, grad = _value_and_grad(
            be, lambda x: al.normalized_sampled_softmax_loss(x, num_items=10), s, dtype=dtype
        )
        close(loss, math.log(10), dtype)
        assert np.isfinite(grad).all()


def test_csar_zero_energies(ad_backend, dtype):
    # all energies 0: logits log(eps) are equal, the softmax is uniform, the loss log C
    be = ad_backend
    loss, grad = _value_and_grad(
        be, lambda e: al.csar_loss(e, be.asarray(np.array([0, 2]))), np.zeros((2, 3)), dtype=dtype
    )
    close(loss, math.log(3), dtype)
    assert np.isfinite(grad).all()


def test_listnet_fully_padded_lists(ad_backend):
    be = ad_backend
    rng = np.random.default_rng(5)
    s, r = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    where = np.array([[True, True, False, True], [False] * 4, [True, False, False, False]])

    def by_definition(i):
        keep = where[i]
        p = np.exp(r[i][keep]) / np.exp(r[i][keep]).sum()
        return -float((p * (s[i][keep] - np.log(np.exp(s[i][keep]).sum()))).sum())

    rows = _np(
        be,
        al.listnet_loss(
            be.asarray(s, "float64"),
            be.asarray(r, "float64"),
            where=be.asarray(where),
            reduction="none",
        ),
    )
    close(rows, [by_definition(0), 0.0, by_definition(2)], "float64")
    loss, (gs, gr) = _value_and_grad(
        be, lambda a, b: al.listnet_loss(a, b, where=be.asarray(where)), s, r
    )
    close(loss, (by_definition(0) + by_definition(2)) / 2, "float64")  # padded list left out
    assert np.isfinite(gs).all() and np.isfinite(gr).all()
    np.testing.assert_array_equal(gs[1], 0.0)
    np.testing.assert_array_equal(gs[~where], 0.0)


# the losses with a ``where`` mask of padded lists; the second input is a distribution (its
# padding may be -inf too) or graded labels (padding 0)
_MASKED_LISTS = {
    "listnet_loss": (al.listnet_loss, True),
    "distill_kl_div_loss": (al.distill_kl_div_loss, True),
    "list_mle_loss": (al.list_mle_loss, False),
    "lambda_loss": (al.lambda_loss, False),
    "pairwise_hinge_loss": (al.pairwise_hinge_loss, False),
    "pairwise_logistic_loss": (al.pairwise_logistic_loss, False),
    "approx_ndcg_loss": (al.approx_ndcg_loss, False),
}


@pytest.mark.parametrize("name", list(_MASKED_LISTS))
def test_minus_inf_padding_is_inert_even_in_a_list_of_padding_only(ad_backend, name):
    """Padding scored -inf (the usual way to pad logits) under the ``where`` mask, one list all
    padding (issue #36: ``listnet_loss`` gave NaN gradients there, its value finite): the value
    and the gradients equal those with the padding scored 0, and are finite."""
    be = ad_backend
    fn, distribution = _MASKED_LISTS[name]
    where = np.array([[True, True, False, False], [False] * 4, [True, True, True, False]])
    s = np.array([[1.0, 2.0, 0.0, 0.0], [0.0] * 4, [0.5, -1.0, 0.3, 0.0]])
    r = np.array([[1.0, 0.0, 0.0, 0.0], [0.0] * 4, [0.0, 2.0, 1.0, 0.0]])
    inf_s = np.where(where, s, -np.inf)
    inf_r = np.where(where, r, -np.inf) if distribution else r

    def loss(target):
        return lambda a: fn(a, be.asarray(target, "float64"), where=be.asarray(where))

    value, grad = _value_and_grad(be, loss(inf_r), inf_s)
    expected, expected_grad = _value_and_grad(be, loss(r), s)
    assert math.isfinite(value)
    close(value, expected, "float64")
    assert np.isfinite(grad).all(), (name, grad)
    close(grad, expected_grad, "float64")


def test_lists_of_length_zero(backend):
    # logsumexp over an empty axis is -inf (NumPy's max of nothing used to raise): loss 0
    e = backend.asarray(np.ones((3, 0)), "float64")
    assert _np(backend, al.listnet_loss(e, e)) == 0.0
    assert _np(backend, al.listnet_loss(e, e, where=backend.asarray(np.ones((3, 0), bool)))) == 0


# ---------------------------------------------------------------------------------------------
# Boolean targets


@pytest.mark.parametrize(
    "fn",
    [
        al.binary_cross_entropy,
        al.binary_cross_entropy_with_logits,
        al.sigmoid_focal_loss,
        al.hinge_loss,
        al.squared_hinge_loss,
    ],
    ids=lambda f: f.__name__,
)
def test_boolean_targets_equal_zero_one_targets(backend, dtype, fn):
    rng = np.random.default_rng(6)
    x = rng.uniform(0.05, 0.95, size=(4, 3))
    bits = rng.uniform(size=(4, 3)) > 0.5
    got = _np(backend, fn(backend.asarray(x, dtype), backend.asarray(bits), reduction="none"))
    ref = _np(
        backend,
        fn(
            backend.asarray(x, dtype),
            backend.asarray(bits.astype(np.float64), dtype),
            reduction="none",
        ),
    )
    np.testing.assert_array_equal(got, ref)


def test_margin_ranking_reads_zero_and_false_as_minus_one(backend, dtype):
    x1, x2 = np.array([1.0, 1.0, 0.2]), np.array([0.5, 0.5, 0.4])
    # y = +1, -1, -1 by definition: max(0, -y (x1 - x2) + 0.1)
    expected = [0.0, 0.6, 0.0]
    for y in (np.array([1.0, -1.0, -1.0]), np.array([1, 0, 0]), np.array([True, False, False])):
        got = _np(
            backend,
            al.margin_ranking_loss(
                backend.asarray(x1, dtype),
                backend.asarray(x2, dtype),
                backend.asarray(y, dtype if y.dtype.kind == "f" else None),
                margin=0.1,
                reduction="none",
            ),
        )
        close(got, expected, dtype)
    with pytest.raises(ValueError, match=r"target must hold labels in \{-1, 1\} or \{0, 1\}"):
        al.margin_ranking_loss(
            backend.asarray(x1, dtype),
            backend.asarray(x2, dtype),
            backend.asarray(np.array([2.0, 1.0, 1.0]), dtype),
        )


# ---------------------------------------------------------------------------------------------
# Hyperparameters and arguments


def _x(backend, shape=(4, 3)):
    return backend.asarray(np.random.default_rng(7).uniform(0.1, 0.9, size=shape), "float64")


def _calls(backend) -> dict[str, Callable[[Any], Any]]:
    x, sq = _x(backend), _x(backend, (4, 4))
    y, bits = backend.asarray(np.array([0, 1, 2, 0])), _x(backend) > 0.5
    pos, neg = _x(backend, (4,)), _x(backend, (4, K))
    return {
        "delta": lambda v: al.huber_loss(x, x, delta=v),
        "beta": lambda v: al.smooth_l1_loss(x, x, beta=v),
        "quantile": lambda v: al.quantile_loss(x, x, quantile=v),
        "eps/poisson": lambda v: al.poisson_nll_loss(x, x, log_input=False, eps=v),
        "eps/gaussian": lambda v: al.gaussian_nll_loss(x, x, x, eps=v),
        "eps/cosine": lambda v: al.cosine_distance_loss(x, x, eps=v),
        "label_smoothing": lambda v: al.cross_entropy(x, y, label_smoothing=v),
        "epsilon": lambda v: al.poly1_cross_entropy(x, y, epsilon=v),
        "gamma/softmax": lambda v: al.softmax_focal_loss(x, y, gamma=v),
        "alpha/softmax": lambda v: al.softmax_focal_loss(x, y, alpha=v),
        "gamma/sigmoid": lambda v: al.sigmoid_focal_loss(x, bits, gamma=v),
        "alpha/sigmoid": lambda v: al.sigmoid_focal_loss(x, bits, alpha=v),
        "eps/bce": lambda v: al.binary_cross_entropy(x, bits, eps=v),
        "pos_weight": lambda v: al.binary_cross_entropy_with_logits(x, bits, pos_weight=v),
        "margin": lambda v: al.margin_ranking_loss(x, x, bits, margin=v),
        "alpha/bpr": lambda v: al.dynamic_margin_bpr_loss(pos, neg, alpha=v),
        "eps/nssm": lambda v: al.normalized_sampled_softmax_loss(sq, num_items=10, eps=v),
        "eps/csar": lambda v: al.csar_loss(x, y, eps=v),
    }


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_hyperparameters_are_value_errors(backend, value):
    for name, call in _calls(backend).items():
        with pytest.raises(ValueError, match=name.split("/")[0]):
            call(value)


@pytest.mark.parametrize("value", [True, "0.5", [0.5]])
def test_wrongly_typed_hyperparameters_are_type_errors(backend, value):
    for name, call in _calls(backend).items():
        with pytest.raises(TypeError, match=name.split("/")[0]):
            call(value)


def test_numpy_scalars_are_numbers(backend):
    for name, call in _calls(backend).items():
        for value in (np.float32(0.25), np.float64(0.25)):
            assert np.isfinite(_np(backend, call(value))), name
    x, y = _x(backend), backend.asarray(np.array([0, 1, 2, 0]))
    pos, neg = _x(backend, (4,)), _x(backend, (4, K))
    for value in (np.int64(0), np.int32(2)):  # integers where floats are expected are numbers
        assert np.isfinite(_np(backend, al.softmax_focal_loss(x, y, gamma=value)))
    assert np.isfinite(_np(backend, al.sampled_softmax_loss(pos, neg, num_items=np.int64(50))))
    assert np.isfinite(
        _np(backend, al.normalized_sampled_softmax_loss(_x(backend, (4, 4)), num_items=np.int32(9)))
    )
    assert np.isfinite(_np(backend, al.cross_entropy(x, y, ignore_index=np.int64(-1))))


def test_out_of_range_and_wrong_type_hyperparameters(backend):
    x, y = _x(backend), backend.asarray(np.array([0, 1, 2, 0]))
    pos, neg = _x(backend, (4,)), _x(backend, (4, K))
    with pytest.raises(ValueError, match=r"gamma must be in \[0.0, inf\)"):
        al.sigmoid_focal_loss(x, x, gamma=-0.5)
    with pytest.raises(ValueError, match=r"pos_weight must be in \[0.0, inf\)"):
        al.binary_cross_entropy_with_logits(x, x, pos_weight=-1.0)
    with pytest.raises(TypeError, match="num_items must be an int; got float"):
        al.sampled_softmax_loss(pos, neg, num_items=50.0)
    with pytest.raises(TypeError, match="num_items must be an int; got bool"):
        al.normalized_sampled_softmax_loss(_x(backend, (4, 4)), num_items=True)
    with pytest.raises(TypeError, match="ignore_index must be an int; got bool"):
        al.cross_entropy(x, y, ignore_index=True)
    with pytest.raises(TypeError, match="label_smoothing must be a float; got"):
        al.cross_entropy(x, y, label_smoothing=backend.asarray(np.array(0.1), "float64"))
    with pytest.raises(TypeError, match="remove_accidental_hits must be a bool; got int"):
        al.sampled_softmax_loss(pos, neg, remove_accidental_hits=0)
    with pytest.raises(TypeError, match="log_input must be a bool; got int"):
        al.poisson_nll_loss(x, x, log_input=1)
    with pytest.raises(TypeError, match="class_weight must be a real"):
        al.cross_entropy(x, y, class_weight=backend.asarray(np.ones(3, bool)))
    # a Python pos_weight is a number like any other (it used to fail inside check_weight)
    got = _np(backend, al.binary_cross_entropy_with_logits(x, x, pos_weight=2.0))
    ref = _np(
        backend,
        al.binary_cross_entropy_with_logits(
            x, x, pos_weight=backend.asarray(np.full(3, 2.0), "float64")
        ),
    )
    close(got, ref, "float64")


def test_arguments_the_mode_ignores_are_rejected(backend):
    x = _x(backend)
    pos, neg = _x(backend, (4,)), _x(backend, (4, K))
    ids, neg_ids = backend.asarray(np.arange(4)), backend.asarray(np.arange(K))
    with pytest.raises(
        ValueError, match=r"eps=1e-06 has no effect here: it is used with rates \(log_input=False\)"
    ):
        al.poisson_nll_loss(x, x, eps=1e-6)
    with pytest.raises(ValueError, match="remove_accidental_hits=False they have no effect"):
        al.sampled_softmax_loss(
            pos, neg, pos_ids=ids, neg_ids=neg_ids, remove_accidental_hits=False
        )
    with pytest.raises(ValueError, match="remove_accidental_hits=True needs pos_ids and neg_ids"):
        al.sampled_softmax_loss(pos, neg, remove_accidental_hits=True)
    no_negatives = backend.asarray(np.ones((4, 0)), "float64")
    with pytest.raises(ValueError, match=r"num_items .* \(K = 0\)"):
        al.sampled_softmax_loss(pos, no_negatives, num_items=10)
    # the same calls without the idle argument are fine
    assert np.isfinite(_np(backend, al.poisson_nll_loss(x, x)))
    assert _np(backend, al.sampled_softmax_loss(pos, no_negatives)) == 0.0  # softmax of one


def test_pairwise_losses_need_a_negative(backend):
    pos, none = _x(backend, (4,)), backend.asarray(np.ones((4, 0)), "float64")
    for fn in (al.bpr_loss, al.dynamic_margin_bpr_loss):
        with pytest.raises(ValueError, match=r"at least one negative per row; got shape \(4, 0\)"):
            fn(pos, none)


def test_negative_rates_raise(backend):
    x = _x(backend)
    with pytest.raises(ValueError, match="non-negative rates"):
        al.poisson_nll_loss(-x, x, log_input=False)
