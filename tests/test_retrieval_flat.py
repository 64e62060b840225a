"""The flat ragged form (``indexes=``) of the retrieval metrics against by-definition loops
over each query's items (ties by the item's position in the input)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from arraylosses import metrics

from .helpers import call, close

NAMES = ["recall_at_k", "precision_at_k", "hit_rate_at_k", "mrr", "ndcg_at_k", "map_at_k"]


def _definition(name, ranked, rel, k, n):
    """One query's value: ``ranked`` its relevances by descending score, ``rel`` all of them,
    ``n`` its number of items (precision with k=None divides by it)."""
    depth = n if k is None else k
    top = ranked[:depth]
    hits = [r > 0 for r in top]
    total = sum(r > 0 for r in rel)
    if name == "recall_at_k":
        return sum(hits) / total
    if name == "precision_at_k":
        return sum(hits) / depth
    if name == "hit_rate_at_k":
        return float(any(hits))
    if name == "mrr":
        return next((1 / (i + 1) for i, h in enumerate(hits) if h), 0.0)
    if name == "ndcg_at_k":
        dcg = math.fsum(v / math.log2(i + 2) for i, v in enumerate(top))
        ideal = sorted(rel, reverse=True)[:depth]
        return dcg / math.fsum(v / math.log2(i + 2) for i, v in enumerate(ideal))
    precisions = [sum(hits[: i + 1]) / (i + 1) for i, h in enumerate(hits) if h]
    return sum(precisions) / len(precisions) if precisions else 0.0


def _oracle(name, s, rel, ids, k, empty=0.0):
    """Per query, in ascending id order."""
    out = []
    for q in sorted(set(ids.tolist())):
        items = [i for i in range(len(ids)) if ids[i] == q]  # input order: the tie-break
        order = sorted(items, key=lambda i: (-s[i], items.index(i)))
        ranked = [rel[i] for i in order]
        group = [rel[i] for i in items]
        if any(math.isnan(s[i]) or math.isnan(rel[i]) for i in items):
            out.append(math.nan)
        elif not any(r > 0 for r in group):
            out.append(empty)
        else:
            out.append(_definition(name, ranked, group, k, len(items)))
    return out


def _flat(rng, ties=False, graded=False):
    """Ragged groups: non-contiguous, unsorted ids, a group of size 1, a group without a
    relevant item."""
    sizes = {12: 5, 3: 1, 40: 7, 7: 3, -2: 4}
    ids = np.concatenate([np.full(n, q) for q, n in sizes.items()])
    rng.shuffle(ids)
    n = len(ids)
    s = rng.normal(size=n)
    if ties:
        s = np.round(s)
    rel = (rng.uniform(size=n) < 0.4).astype(np.int64)
    rel[ids == 3] = 1
    rel[ids == 7] = 0  # no relevant item
    first12 = np.flatnonzero(ids == 12)[0]
    rel[first12] = 1
    if graded:
        rel = rel * rng.integers(1, 4, size=n)
    return s, rel, ids


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("k", [1, 3, 6, 10, None])
@pytest.mark.parametrize("ties", [False, True])
def test_flat_by_definition(backend, dtype, rng, name, k, ties):
    s, rel, ids = _flat(rng, ties, graded=name == "ndcg_at_k")
    fn = getattr(metrics, name)
    expected = _oracle(name, s, rel, ids, k)
    got = call(backend, dtype, fn, s, rel, k=k, indexes=ids, reduction="none")
    close(got, expected, dtype)
    close(call(backend, dtype, fn, s, rel, k=k, indexes=ids), np.mean(expected), dtype)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("ties", [False, True])
def test_flat_equals_dense_on_equal_groups(backend, rng, name, ties):
    # 4 queries of 6 items, shuffled together; the dense row of a query holds its items in
    # their shuffled order (the tie-break), the rows in ascending id order
    ids = np.repeat(np.array([30, 10, 20, 0]), 6)[rng.permutation(24)]
    s = rng.normal(size=24)
    if ties:
        s = np.round(s)
    rel = (rng.uniform(size=24) < 0.4).astype(np.int64)
    rel[[np.flatnonzero(ids == q)[0] for q in (0, 10, 20, 30)]] = 1
    rows = [np.flatnonzero(ids == q) for q in (0, 10, 20, 30)]
    fn = getattr(metrics, name)
    dense = call(
        backend,
        "float64",
        fn,
        np.stack([s[r] for r in rows]),
        np.stack([rel[r] for r in rows]),
        k=4,
        reduction="none",
    )
    got = call(backend, "float64", fn, s, rel, k=4, indexes=ids, reduction="none")
    close(got, dense, "float64")


@pytest.mark.parametrize("name", NAMES)
def test_nan_in_one_group(backend, rng, name):
    s, rel, ids = _flat(rng)
    s[np.flatnonzero(ids == 40)[2]] = np.nan
    got = call(
        backend, "float64", getattr(metrics, name), s, rel, k=3, indexes=ids, reduction="none"
    )
    queries = sorted(set(ids.tolist()))
    for q, v in zip(queries, got):
        assert np.isnan(v) == (q == 40), (q, v)
    assert np.isnan(call(backend, "float64", getattr(metrics, name), s, rel, k=3, indexes=ids))


def test_nan_relevance_in_one_group(backend, rng):
    s, rel, ids = _flat(rng)
    rel = rel.astype(np.float64)
    rel[np.flatnonzero(ids == 12)[1]] = np.nan
    got = call(backend, "float64", metrics.recall_at_k, s, rel, k=3, indexes=ids, reduction="none")
    close(got, _oracle("recall_at_k", s, rel, ids, 3), "float64")
    assert np.isnan(got).tolist() == [False, False, False, True, False]


def test_padding_ranks_after_a_real_minus_inf(backend):
    # query 0 has 2 items, query 1 has 4: query 0's padding is -inf, ranked after its real -inf
    s = np.array([-np.inf, 0.5, 0.1, 0.2, 0.3, -np.inf])
    rel = np.array([1, 0, 0, 0, 0, 1])
    ids = np.array([0, 0, 1, 1, 1, 1])
    got = call(backend, "float64", metrics.mrr, s, rel, indexes=ids, reduction="none")
    close(got, [0.5, 0.25], "float64")
    got = call(
        backend, "float64", metrics.precision_at_k, s, rel, k=3, indexes=ids, reduction="none"
    )
    close(got, [1 / 3, 0.0], "float64")


def test_k_larger_than_every_group(backend, dtype):
    s = np.array([0.3, 0.9, 0.5])
    rel = np.array([1, 0, 1])
    ids = np.array([5, 5, 9])
    got = call(backend, dtype, metrics.precision_at_k, s, rel, k=4, indexes=ids, reduction="none")
    close(got, [0.25, 0.25], dtype)
    got = call(
        backend,
        dtype,
        metrics.map_at_k,
        s,
        rel,
        k=4,
        indexes=ids,
        reduction="none",
        map_denominator="min_k_relevant",
    )
    close(got, [0.5, 1.0], dtype)


def test_empty_input(backend):
    s, rel, ids = np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    for name in NAMES:
        fn = getattr(metrics, name)
        assert np.isnan(call(backend, "float64", fn, s, rel, k=3, indexes=ids))
        assert call(backend, "float64", fn, s, rel, indexes=ids, reduction="none").shape == (0,)


def test_skip_and_pos(backend, rng):
    s, rel, ids = _flat(rng)
    expected = _oracle("mrr", s, rel, ids, 2, empty=1.0)
    close(
        call(
            backend,
            "float64",
            metrics.mrr,
            s,
            rel,
            k=2,
            indexes=ids,
            empty_target_action="pos",
            reduction="none",
        ),
        expected,
        "float64",
    )
    kept = [v for q, v in zip(sorted(set(ids.tolist())), expected) if q != 7]
    close(
        call(backend, "float64", metrics.mrr, s, rel, k=2, indexes=ids, empty_target_action="skip"),
        np.mean(kept),
        "float64",
    )


def test_errors(backend):
    s = backend.asarray(np.array([0.1, 0.2, 0.3]), "float64")
    rel = backend.asarray(np.array([1, 0, 1]))
    ids = backend.asarray(np.array([0, 0, 1]))
    with pytest.raises(ValueError, match=r"scores must have shape \(N,\) with indexes="):
        metrics.mrr(backend.asarray(np.zeros((1, 3)), "float64"), rel[None, :], indexes=ids)
    with pytest.raises(
        ValueError, match=r"indexes must have the shape of scores \(3,\); got \(2,\)"
    ):
        metrics.mrr(s, rel, indexes=ids[:2])
    with pytest.raises(TypeError, match="indexes must be an integer array; got dtype"):
        metrics.mrr(s, rel, indexes=s)
    with pytest.raises(ValueError, match=r"k must be at least 1"):
        metrics.recall_at_k(s, rel, k=0, indexes=ids)
    with pytest.raises(ValueError, match=r"relevance must have the shape of scores"):
        metrics.recall_at_k(s, rel[:2], indexes=ids)
    with pytest.raises(ValueError, match=r"a query has no relevant candidate"):
        metrics.recall_at_k(
            s, backend.asarray(np.array([1, 0, 0])), indexes=ids, empty_target_action="error"
        )


def test_not_under_jit():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    s, rel, ids = jnp.array([0.1, 0.2, 0.3]), jnp.array([1, 0, 1]), jnp.array([0, 0, 1])
    with pytest.raises(ValueError, match="indexes= .* runs eagerly only"):
        jax.jit(lambda a, b, c: metrics.mrr(a, b, indexes=c))(s, rel, ids)


@pytest.mark.parametrize("k", [2, None])
def test_negative_grades_ignore_other_groups_padding(backend, k):
    """A query's nDCG with a negative grade: its ideal ordering holds its own items only, so
    adding a longer query beside it (whose length pads this one) changes nothing. By hand,
    ranking [-1, 1] (scores 0.9 > 0.2): DCG = -1 + 1/log2(3), ideal [1, -1] gives
    1 - 1/log2(3); nDCG = (1/log2(3) - 1) / (1 - 1/log2(3)) = -1."""
    alone = call(
        backend,
        "float64",
        metrics.ndcg_at_k,
        np.array([0.2, 0.9, 0.5]),
        np.array([1.0, -1.0, 1.0]),
        k=k,
        indexes=np.array([0, 0, 1]),
        reduction="none",
    )
    beside = call(
        backend,
        "float64",
        metrics.ndcg_at_k,
        np.array([0.2, 0.9, 0.5, 0.1, 0.2, 0.3, 0.4]),
        np.array([1.0, -1.0, 1.0, 0.0, 0.0, 0.0, 1.0]),
        k=k,
        indexes=np.array([0, 0, 1, 1, 1, 1, 1]),
        reduction="none",
    )
    close(alone[0], -1.0, "float64")
    close(beside[0], -1.0, "float64")
