"""Similarities against by-definition loops, on every backend and dtype."""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraylosses as al
from arraylosses.testing import value_and_grads

from . import reference as ref
from .helpers import call, close


@pytest.mark.parametrize("axis", [-1, 0])
def test_cosine_similarity_by_definition(backend, dtype, rng, axis):
    a, b = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    close(
        call(backend, dtype, al.cosine_similarity, a, b, axis=axis),
        ref.rows(ref.cosine, a, b, axis=axis),
        dtype,
    )


def test_cosine_similarity_golden(backend, dtype):
    a = np.array([[1.0, 0.0], [1.0, 1.0], [3.0, 4.0]])
    b = np.array([[0.0, 5.0], [2.0, 2.0], [-3.0, -4.0]])
    close(call(backend, dtype, al.cosine_similarity, a, b), [0.0, 1.0, -1.0], dtype)


def test_pairwise_cosine_by_definition(backend, dtype, rng):
    a, b = rng.normal(size=(4, 6)), rng.normal(size=(7, 6))
    close(
        call(backend, dtype, al.pairwise_cosine_similarity, a, b),
        ref.pairs(ref.cosine, a, b),
        dtype,
    )


def test_pairwise_dot_by_definition(backend, dtype, rng):
    a, b = rng.normal(size=(4, 6)), rng.normal(size=(7, 6))
    expected = ref.pairs(lambda x, y: math.fsum(x * y), a, b)
    close(call(backend, dtype, al.pairwise_dot, a, b), expected, dtype)


@pytest.mark.parametrize("squared", [False, True])
def test_pairwise_euclidean_by_definition(backend, dtype, rng, squared):
    a, b = rng.normal(size=(4, 6)), rng.normal(size=(7, 6))
    expected = ref.pairs(ref.euclidean, a, b)
    got = call(backend, dtype, al.pairwise_euclidean_distance, a, b, squared=squared)
    close(got, expected**2 if squared else expected, dtype)


def test_pairwise_euclidean_of_identical_points_is_zero(backend):
    a = np.array([[1.0, 2.0], [3.0, -1.0]])
    got = call(backend, "float64", al.pairwise_euclidean_distance, a, a)
    assert np.all(np.diag(got) == 0.0)
    close(got[0, 1], math.sqrt(4 + 9), "float64")


@pytest.mark.parametrize("axis", [-1, 0])
def test_l2_normalize_by_definition(backend, dtype, rng, axis):
    x = rng.normal(size=(4, 6))
    moved = np.moveaxis(x, axis, -1)
    expected = np.stack([row / ref.norm(row) for row in moved.reshape(-1, moved.shape[-1])])
    expected = np.moveaxis(expected.reshape(moved.shape), -1, axis)
    close(call(backend, dtype, al.l2_normalize, x, axis=axis), expected, dtype)


def test_zero_vectors_stay_finite(backend):
    z = np.zeros((2, 3))
    assert np.all(call(backend, "float64", al.l2_normalize, z) == 0)
    assert np.all(call(backend, "float64", al.cosine_similarity, z, np.ones((2, 3))) == 0)
    assert np.all(call(backend, "float64", al.pairwise_cosine_similarity, z, np.ones((2, 3))) == 0)


def test_zero_vector_gradients_are_finite(ad_backend):
    """norm(0) has a NaN gradient on JAX; the clamped norm must not (double-where)."""
    for fn, args in (
        (al.l2_normalize, (np.zeros((2, 3)),)),
        (al.cosine_similarity, (np.zeros((2, 3)), np.ones((2, 3)))),
        (al.pairwise_euclidean_distance, (np.ones((2, 3)), np.ones((2, 3)))),
    ):
        arrays = [ad_backend.asarray(a, "float64") for a in args]
        grads = value_and_grads(fn, ad_backend, arrays, wrt=[0]).grads
        assert np.all(np.isfinite(grads[0])), (fn.__name__, grads)
