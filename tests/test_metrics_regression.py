"""Regression metrics against by-definition loops (sklearn's definitions), every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

from arraylosses import metrics

from . import reference as ref
from .helpers import call, close


def _data(rng, shape=(9, 3)):
    target = rng.normal(size=shape) + 2.0
    return target + rng.normal(scale=0.7, size=shape), target


def _sqrt_mse_col(p, t, w):
    return math.sqrt(ref.mse_col(p, t, w))


def _r2_col(p, t, w):
    return ref.fraction_explained(*ref.r2_parts(p, t, w))


def _ev_col(p, t, w):
    return ref.fraction_explained(*ref.explained_variance_parts(p, t, w))


PER_OUTPUT = [
    (metrics.mean_squared_error, ref.mse_col),
    (metrics.root_mean_squared_error, _sqrt_mse_col),
    (metrics.mean_absolute_error, ref.mae_col),
    (metrics.mean_absolute_percentage_error, ref.mape_col),
    (metrics.r2_score, _r2_col),
    (metrics.explained_variance_score, _ev_col),
]
IDS = [f.__name__ for f, _ in PER_OUTPUT]


@pytest.mark.parametrize(("fn", "column"), PER_OUTPUT, ids=IDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_metrics_by_definition(backend, dtype, rng, fn, column, weighted):
    pred, target = _data(rng)
    weight = rng.uniform(0.2, 2.0, size=9) if weighted else None
    scores = ref.columns(column, pred, target, weight)
    kw = {"sample_weight": weight} if weighted else {}
    close(call(backend, dtype, fn, pred, target, multioutput="raw_values", **kw), scores, dtype)
    close(call(backend, dtype, fn, pred, target, **kw), scores.mean(), dtype)
    output_weights = np.array([0.5, 0.2, 0.3])
    close(
        call(backend, dtype, fn, pred, target, multioutput=output_weights, **kw),
        (scores * output_weights).sum() / output_weights.sum(),
        dtype,
    )
    # 1-D inputs are one output; raw_values has shape (1,) as in scikit-learn
    one = call(backend, dtype, fn, pred[:, 0], target[:, 0], multioutput="raw_values", **kw)
    assert one.shape == (1,)
    close(one, scores[:1], dtype)


@pytest.mark.parametrize("fn", [metrics.r2_score, metrics.explained_variance_score])
def test_variance_weighted(backend, dtype, rng, fn):
    pred, target = _data(rng)
    target[:, 1] *= 3.0  # outputs with different variances
    parts = ref.r2_parts if fn is metrics.r2_score else ref.explained_variance_parts
    per = [parts(pred[:, k], target[:, k], None) for k in range(3)]
    scores = np.array([ref.fraction_explained(n, d) for n, d in per])
    dens = np.array([d for _, d in per])
    close(
        call(backend, dtype, fn, pred, target, multioutput="variance_weighted"),
        (scores * dens).sum() / dens.sum(),
        dtype,
    )


def test_golden_values(backend, dtype):
    # hand-computed: residuals t-p = (0.5, -0.5, 0, -1); mean(t) = 2.875
    t, p = np.array([3.0, -0.5, 2.0, 7.0]), np.array([2.5, 0.0, 2.0, 8.0])
    close(call(backend, dtype, metrics.mean_squared_error, p, t), 1.5 / 4, dtype)
    close(call(backend, dtype, metrics.root_mean_squared_error, p, t), math.sqrt(1.5 / 4), dtype)
    close(call(backend, dtype, metrics.mean_absolute_error, p, t), 2.0 / 4, dtype)
    ss_tot = sum((x - 2.875) ** 2 for x in t)  # 29.1875
    close(call(backend, dtype, metrics.r2_score, p, t), 1 - 1.5 / ss_tot, dtype)
    # residual mean -0.25: Var = (0.75² + 0.25² + 0.25² + 0.75²)/4 = 0.3125; Var t = 29.1875/4
    close(
        call(backend, dtype, metrics.explained_variance_score, p, t),
        1 - 0.3125 / (ss_tot / 4),
        dtype,
    )
    close(
        call(backend, dtype, metrics.mean_absolute_percentage_error, p, t),
        (0.5 / 3 + 0.5 / 0.5 + 0 + 1 / 7) / 4,
        dtype,
    )


@pytest.mark.parametrize("fn", [metrics.r2_score, metrics.explained_variance_score])
def test_constant_target_force_finite(backend, fn):
    t = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]])
    p = np.array([[1.0, 2.5], [1.0, 2.0], [1.0, 1.0]])  # output 0 perfect, output 1 not
    got = call(backend, "float64", fn, p, t, multioutput="raw_values")
    np.testing.assert_array_equal(got, [1.0, 0.0])
    # all outputs constant: variance weighting falls back to the uniform mean
    close(call(backend, "float64", fn, p, t, multioutput="variance_weighted"), 0.5, "float64")


def test_force_finite_false_gives_minus_inf(backend):
    if backend.name == "numpy" or backend.name.startswith("array_api_strict"):
        ctx = np.errstate(divide="ignore", invalid="ignore")
    else:
        ctx = np.errstate()
    with ctx:
        got = call(
            backend,
            "float64",
            metrics.r2_score,
            np.array([1.0, 2.0]),
            np.array([1.0, 1.0]),
            force_finite=False,
        )
    assert got == -np.inf


def test_mape_zero_target_is_huge_not_infinite(backend):
    got = call(
        backend, "float64", metrics.mean_absolute_percentage_error, np.array([1.0]), np.array([0.0])
    )
    close(got, 1.0 / np.finfo(np.float64).eps, "float64")


def test_integer_targets_do_not_set_the_dtype(backend):
    got = metrics.mean_squared_error(
        backend.asarray(np.array([1.0, 2.0]), "float32"), backend.asarray(np.array([1, 4]))
    )
    assert got.dtype == backend.xp.float32
    close(backend.to_numpy(got), 2.0, "float32")
