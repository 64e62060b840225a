"""Regularisers against by-definition loops, on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraylosses as al

from . import reference as ref
from .helpers import call, close


@pytest.mark.parametrize("mode", ["l1", "l2"])
def test_orthogonal_by_definition(backend, dtype, rng, mode):
    v = rng.normal(size=(5, 3))
    terms = [ref.cosine(v[i], v[j]) for i in range(5) for j in range(5) if i != j]
    expected = np.mean([abs(t) if mode == "l1" else t * t for t in terms])
    close(call(backend, dtype, al.orthogonal_loss, v, mode=mode), expected, dtype)


def _gor_column(x):
    n, d = x.shape
    cos = [ref.cosine(x[i], x[j]) for i in range(n) for j in range(n) if i != j]
    pairs = max(n * (n - 1), 1)
    return (math.fsum(cos) / pairs) ** 2, max(0.0, math.fsum(c * c for c in cos) / pairs - 1 / d)


@pytest.mark.parametrize("aggregation", ["mean", "sum"])
def test_global_orthogonal_by_definition(backend, dtype, rng, aggregation):
    a, n = rng.normal(size=(6, 3)) + 1.0, rng.normal(size=(4, 3)) + 0.5
    parts = [_gor_column(a), _gor_column(n)]
    agg = np.mean if aggregation == "mean" else np.sum
    expected = 0.5 * agg([m for m, _ in parts]) + 2.0 * agg([s for _, s in parts])
    close(
        call(
            backend,
            dtype,
            al.global_orthogonal_regularization,
            a,
            n,
            aggregation=aggregation,
            mean_weight=0.5,
            second_moment_weight=2.0,
        ),
        expected,
        dtype,
    )


def test_assignment_regularizers_by_definition(backend, dtype, rng):
    p = rng.dirichlet(np.ones(4), size=6)
    p[0] = [1.0, 0.0, 0.0, 0.0]  # 0 log 0 = 0
    rows = [-math.fsum(x * math.log(x) for x in row if x > 0) for row in p]
    close(call(backend, dtype, al.exclusiveness_loss, p, reduction="none"), rows, dtype)
    close(call(backend, dtype, al.exclusiveness_loss, p), np.mean(rows), dtype)
    mean = p.mean(axis=0)
    close(
        call(backend, dtype, al.inclusiveness_loss, p),
        math.log(4) + math.fsum(x * math.log(x) for x in mean if x > 0),
        dtype,
    )
    close(
        call(backend, dtype, al.inclusiveness_loss, p.T.copy(), axis=0),
        math.log(4) + math.fsum(x * math.log(x) for x in mean if x > 0),
        dtype,
    )


def test_extremes(backend):
    one_hot = np.eye(3)
    close(call(backend, "float64", al.exclusiveness_loss, one_hot), 0.0, "float64")
    close(call(backend, "float64", al.inclusiveness_loss, one_hot), 0.0, "float64")
    collapsed = np.tile([1.0, 0.0, 0.0], (4, 1))
    close(call(backend, "float64", al.inclusiveness_loss, collapsed), math.log(3), "float64")


def test_errors(backend):
    x = backend.asarray(np.ones((1, 3)), "float64")
    with pytest.raises(ValueError, match="vectors must hold at least 2 rows"):
        al.orthogonal_loss(x)
    with pytest.raises(ValueError, match="mode must be one of 'l1', 'l2'"):
        al.orthogonal_loss(backend.asarray(np.eye(2), "float64"), mode="l3")
    with pytest.raises(ValueError, match=r"embeddings\[1\] must have the embedding width D=3"):
        al.global_orthogonal_regularization(x, backend.asarray(np.ones((2, 2)), "float64"))
    with pytest.raises(ValueError, match="aggregation must be one of 'mean', 'sum'"):
        al.global_orthogonal_regularization(x, aggregation="max")
    with pytest.raises(TypeError, match="needs at least one embedding array"):
        al.global_orthogonal_regularization()
