"""Regression losses against their by-definition references, on every backend and dtype."""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraylosses as al

from . import reference as ref
from .helpers import call, close


def _data(rng, shape=(5, 3)):
    target = rng.normal(size=shape)
    return target + rng.normal(scale=1.5, size=shape), target


ELEMENTWISE = [
    (al.mse_loss, {}, ref.squared),
    (al.l1_loss, {}, ref.absolute),
    (al.mae_loss, {}, ref.absolute),
    (al.huber_loss, {}, ref.huber(1.0)),
    (al.huber_loss, {"delta": 0.3}, ref.huber(0.3)),
    (al.smooth_l1_loss, {}, ref.smooth_l1(1.0)),
    (al.smooth_l1_loss, {"beta": 2.0}, ref.smooth_l1(2.0)),
    (al.smooth_l1_loss, {"beta": 0.0}, ref.absolute),
    (al.log_cosh_loss, {}, ref.log_cosh),
    (al.quantile_loss, {}, ref.pinball(0.5)),
    (al.quantile_loss, {"quantile": 0.1}, ref.pinball(0.1)),
    (al.quantile_loss, {"quantile": 1.0}, ref.pinball(1.0)),
]


@pytest.mark.parametrize(
    ("fn", "params", "definition"),
    ELEMENTWISE,
    ids=[f"{f.__name__}-{p}" for f, p, _ in ELEMENTWISE],
)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_elementwise_losses_by_definition(backend, dtype, rng, fn, params, definition, reduction):
    pred, target = _data(rng)
    expected = ref.reduce(ref.elementwise(definition, pred, target), reduction)
    close(call(backend, dtype, fn, pred, target, reduction=reduction, **params), expected, dtype)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weights_by_definition(backend, dtype, rng, reduction):
    pred, target = _data(rng)
    for weight in (
        rng.uniform(0.1, 2.0, size=(5, 3)),
        rng.uniform(0.1, 2.0, size=(5, 1)),
        rng.uniform(0.1, 2.0, size=(3,)),
    ):
        expected = ref.reduce(ref.elementwise(ref.huber(1.0), pred, target), reduction, weight)
        got = call(
            backend, dtype, al.huber_loss, pred, target, sample_weight=weight, reduction=reduction
        )
        close(got, expected, dtype)


def test_weights_summing_to_zero_give_zero_not_nan(backend, dtype):
    got = call(backend, dtype, al.mse_loss, np.ones(3), np.zeros(3), sample_weight=np.zeros(3))
    assert got == 0.0


def test_golden_values(backend, dtype):
    # hand-computed: residuals (-2, 0.5, 3)
    p, t = np.array([0.0, 1.0, 5.0]), np.array([2.0, 0.5, 2.0])
    close(call(backend, dtype, al.mse_loss, p, t), (4 + 0.25 + 9) / 3, dtype)
    close(call(backend, dtype, al.l1_loss, p, t), (2 + 0.5 + 3) / 3, dtype)
    # Huber δ=1: 1·(2-½), ½·0.25, 1·(3-½)
    close(call(backend, dtype, al.huber_loss, p, t, reduction="none"), [1.5, 0.125, 2.5], dtype)
    # smooth L1 β=2: 2-1 is linear at |r|=2 (not < β), ½·0.25/2, 3-1
    close(
        call(backend, dtype, al.smooth_l1_loss, p, t, beta=2.0, reduction="none"),
        [1.0, 0.0625, 2.0],
        dtype,
    )
    # pinball q=0.25, r = t-p = (2, -0.5, -3): 0.5, 0.375, 2.25
    close(
        call(backend, dtype, al.quantile_loss, p, t, quantile=0.25, reduction="none"),
        [0.5, 0.375, 2.25],
        dtype,
    )
    close(
        call(backend, dtype, al.log_cosh_loss, p, t, reduction="none"),
        [math.log(math.cosh(2.0)), math.log(math.cosh(0.5)), math.log(math.cosh(3.0))],
        dtype,
    )


def test_log_cosh_does_not_overflow(backend):
    # cosh(1e4) overflows every float type; log cosh r = |r| - log 2 + O(e^-2|r|)
    got = call(
        backend, "float32", al.log_cosh_loss, np.array([1e4, -1e4]), np.zeros(2), reduction="none"
    )
    close(got, [1e4 - math.log(2)] * 2, "float32")


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_by_definition(backend, dtype, rng, log_input, full):
    counts = rng.integers(0, 7, size=(4, 3))
    pred = rng.normal(size=(4, 3)) if log_input else rng.uniform(0.1, 4.0, size=(4, 3))
    definition = ref.poisson_nll(log_input, full)
    expected = ref.reduce(ref.elementwise(definition, pred, counts), "none")
    for target in (counts.astype(np.float64), counts):  # integer counts are accepted too
        got = call(
            backend,
            dtype,
            al.poisson_nll_loss,
            pred,
            target,
            log_input=log_input,
            full=full,
            reduction="none",
        )
        close(got, expected, dtype)


def test_poisson_golden(backend, dtype):
    # log-rate 0 (rate 1), count 2: e^0 - 2·0 = 1; full adds 2 log 2 - 2 + ½ log(4π)
    close(call(backend, dtype, al.poisson_nll_loss, np.array([0.0]), np.array([2.0])), 1.0, dtype)
    stirling = 2 * math.log(2) - 2 + 0.5 * math.log(4 * math.pi)
    close(
        call(backend, dtype, al.poisson_nll_loss, np.array([0.0]), np.array([2.0]), full=True),
        1.0 + stirling,
        dtype,
    )


@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_by_definition(backend, dtype, rng, var_shape, full):
    pred, target = _data(rng, (4, 3))
    var = rng.uniform(0.2, 2.0, size=var_shape)
    var_full = np.broadcast_to(var[:, None] if var_shape == (4,) else var, (4, 3))
    expected = np.array(
        [
            [ref.gaussian_nll(pred[i, j], target[i, j], var_full[i, j], full) for j in range(3)]
            for i in range(4)
        ]
    )
    got = call(backend, dtype, al.gaussian_nll_loss, pred, target, var, full=full, reduction="none")
    close(got, expected, dtype)


def test_gaussian_nll_clamps_small_variance(backend):
    got = call(
        backend,
        "float64",
        al.gaussian_nll_loss,
        np.array([1.0]),
        np.array([0.0]),
        np.array([1e-9]),
        eps=1e-3,
    )
    close(got, ref.gaussian_nll(1.0, 0.0, 1e-3), "float64")


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_cosine_distance_by_definition(backend, dtype, rng, axis):
    pred, target = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    expected = 1 - ref.rows(ref.cosine, pred, target, axis=axis)
    got = call(backend, dtype, al.cosine_distance_loss, pred, target, axis=axis, reduction="none")
    close(got, expected, dtype)
    close(
        call(backend, dtype, al.cosine_distance_loss, pred, target, axis=axis),
        expected.mean(),
        dtype,
    )


def test_cosine_distance_zero_vector_is_finite(backend):
    # cos with a zero vector is 0 (its norm is clamped at eps), so the distance is 1
    got = call(backend, "float64", al.cosine_distance_loss, np.zeros((1, 3)), np.ones((1, 3)))
    close(got, 1.0, "float64")


@pytest.mark.parametrize("fn", [al.mse_loss, al.huber_loss, al.log_cosh_loss])
def test_nan_propagates(backend, fn):
    with np.errstate(invalid="ignore"):  # NumPy's logaddexp warns about the NaN it returns
        got = call(backend, "float64", fn, np.array([np.nan, 1.0]), np.zeros(2), reduction="none")
        assert np.isnan(got[0]) and np.isfinite(got[1])
        assert np.isnan(call(backend, "float64", fn, np.array([np.nan, 1.0]), np.zeros(2)))


def test_empty_batch(backend):
    empty = np.zeros((0, 3))
    assert call(backend, "float64", al.mse_loss, empty, empty, reduction="sum") == 0.0
    assert call(backend, "float64", al.mse_loss, empty, empty, reduction="none").shape == (0, 3)


@pytest.mark.parametrize(
    "fn",
    [al.mse_loss, al.huber_loss, al.smooth_l1_loss, al.log_cosh_loss, al.l1_loss, al.quantile_loss],
)
def test_half_precision_near_overflow_is_finite(backend, fn):
    if "float16" not in backend.dtypes:
        pytest.skip(f"{backend.name} has no float16")
    # (6e4)² overflows float16 (max 65504); computed in float32 and summed there, the mean
    # (3.6e9) still overflows on the cast back, so check the per-element losses of moderate size
    big = np.array([250.0, -250.0, 0.5])
    got = call(backend, "float16", fn, big, np.zeros(3), reduction="none")
    expected = ref.elementwise(
        {
            al.mse_loss: ref.squared,
            al.huber_loss: ref.huber(1.0),
            al.smooth_l1_loss: ref.smooth_l1(1.0),
            al.log_cosh_loss: ref.log_cosh,
            al.l1_loss: ref.absolute,
            al.quantile_loss: ref.pinball(0.5),
        }[fn],
        big,
        np.zeros(3),
    )
    assert np.all(np.isfinite(got))
    close(got, expected, "float16")
