"""The shared numerics of ``arraylosses._ops``, by definition, on every backend.

Each stable form is checked against the plain formula away from its edge, at its edge (0, an
empty batch, weights summing to 0) against the value the formula's limit gives, with NaN kept,
and with finite gradients at the edge on the differentiating backends.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from arraylosses import _ops as ops
from arraylosses.testing import value_and_grads

from .conftest import DIFFERENTIABLE, use_backend
from .helpers import close

NAN = math.nan


def _on(backend, *arrays, dtype="float64"):
    return backend.convert([np.asarray(a, dtype=np.float64) for a in arrays], dtype=dtype)[0]


def _np(backend, x):
    return np.asarray(backend.to_numpy(x), dtype=np.float64)


def test_xlogx(backend, dtype):
    p = np.array([0.0, 0.25, 1.0, 3.0, -1.0, NAN])
    (x,) = _on(backend, p, dtype=dtype)
    got = _np(backend, ops.xlogx(backend.xp, x))
    expected = [0.0, 0.25 * math.log(0.25), 0.0, 3 * math.log(3), 0.0, NAN]
    close(got, expected, dtype)


def test_safe_power_and_p_norm(backend, dtype):
    xp = backend.xp
    (x,) = _on(backend, np.array([0.0, 4.0, NAN]), dtype=dtype)
    close(_np(backend, ops.safe_power(xp, x, 0.5)), [0.0, 2.0, NAN], dtype)
    rows = np.array([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1e-15, 2e-15, 0.0], [NAN, 1.0, 0.0]])
    (d,) = _on(backend, rows, dtype=dtype)
    for p in (0.5, 1.0, 2.0, 3.0, 50.0, math.inf):
        expected = [_p_norm_by_logs(r, p) for r in rows]
        close(_np(backend, ops.p_norm(xp, d, p)), expected, dtype, atol=0)


def _p_norm_by_logs(row, p):
    """(Σ|v|^p)^(1/p) as exp(log-sum-exp(p·log|v|) / p), in Python floats: no underflow of
    |v|^p (1e-15 ** 50), and a different formulation from the scaled one under test."""
    if any(math.isnan(v) for v in row):
        return NAN
    logs = [math.log(abs(v)) for v in row if v != 0]
    if not logs:
        return 0.0
    if p == math.inf:
        return math.exp(max(logs))
    top = max(p * lv for lv in logs)
    return math.exp((top + math.log(math.fsum(math.exp(p * lv - top) for lv in logs))) / p)


def test_divisions_and_means(backend, dtype):
    xp = backend.xp
    num, den = _on(backend, [1.0, 2.0, NAN, 3.0], [2.0, 0.0, 1.0, NAN], dtype=dtype)
    close(_np(backend, ops.safe_divide(xp, num, den)), [0.5, 0.0, NAN, NAN], dtype)
    close(_np(backend, ops.divide_or_nan(xp, num, den)), [0.5, NAN, NAN, NAN], dtype)
    x, w = _on(backend, [[1.0, 2.0], [3.0, 6.0]], [[1.0], [3.0]], dtype=dtype)
    close(_np(backend, ops.mean_or_nan(xp, x, None)), 3.0, dtype)
    close(_np(backend, ops.mean_or_nan(xp, x, None, axis=0)), [2.0, 4.0], dtype)
    close(_np(backend, ops.mean_or_nan(xp, x, w, axis=0)), [2.5, 5.0], dtype)
    close(_np(backend, ops.mean_or_nan(xp, x, w)), (1 + 2 + 9 + 18) / 8, dtype)
    (zero,) = _on(backend, [[0.0], [0.0]], dtype=dtype)
    assert np.isnan(_np(backend, ops.mean_or_nan(xp, x, zero, axis=0))).all()
    (empty,) = _on(backend, np.zeros((0, 2)), dtype=dtype)
    assert np.isnan(_np(backend, ops.mean_or_nan(xp, empty, None)))
    assert np.isnan(_np(backend, ops.mean_or_nan(xp, empty, None, axis=0))).all()


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@pytest.mark.parametrize(
    ("label", "f", "at"),
    [
        ("xlogx", lambda xp, x: xp.sum(ops.xlogx(xp, x)), [0.0, 0.5]),
        ("safe_power", lambda xp, x: xp.sum(ops.safe_power(xp, x, 0.5)), [0.0, 0.5]),
        ("p_norm 0.5", lambda xp, x: xp.sum(ops.p_norm(xp, x, 0.5)), [[0.0, 0.0], [0.0, 1.0]]),
        ("p_norm 3", lambda xp, x: xp.sum(ops.p_norm(xp, x, 3.0)), [[0.0, 0.0], [0.0, 1.0]]),
        ("euclidean", lambda xp, x: xp.sum(ops.euclidean_norm(xp, x)), [[0.0, 0.0], [3.0, 4.0]]),
        ("normalize", lambda xp, x: xp.sum(ops.normalize(xp, x)), [[0.0, 0.0], [3.0, 4.0]]),
        ("sqrt_at_zero", lambda xp, x: xp.sum(ops.sqrt_at_zero(xp, x)), [0.0, 4.0]),
        ("safe_divide", lambda xp, x: xp.sum(ops.safe_divide(xp, x, x)), [0.0, 2.0]),
    ],
)
def test_gradients_finite_at_the_edge(name, label, f, at):
    backend = use_backend(name)
    with backend.context():
        (x,) = _on(backend, at)
        r = value_and_grads(lambda x: f(backend.xp, x), backend, [x], wrt=[0])
    assert np.isfinite(r.values[0]).all(), label
    assert np.isfinite(r.grads[0]).all(), (label, r.grads[0])
