"""``retrieval_metrics``: ranked ids judged by qrels, against the dense metrics (the ranked ids
being the full ranking of a score matrix) and against by-definition loops over ids."""

from __future__ import annotations

import math

import numpy as np
import pytest

from arraylosses import metrics
from arraylosses.metrics.retrieval import retrieval_metrics

from .helpers import close

KEYS = ["recall", "precision", "hit_rate", "mrr", "ndcg", "map"]
DENSE = {
    "recall": metrics.recall_at_k,
    "precision": metrics.precision_at_k,
    "hit_rate": metrics.hit_rate_at_k,
    "mrr": metrics.mrr,
    "ndcg": metrics.ndcg_at_k,
    "map": metrics.map_at_k,
}


def _np(backend, out):
    return {n: np.asarray(backend.to_numpy(v), dtype=np.float64) for n, v in out.items()}


def _as_ids(scores, rel):
    """The full ranking of each row (descending, ties by index) and the qrels: the relevant
    candidates' indices (padded with -1, shuffled) and their grades."""
    q, m = scores.shape
    ranked = np.stack([sorted(range(m), key=lambda j: (-s[j], j)) for s in scores])
    width = max(1, int((rel > 0).sum(axis=1).max()))
    ids = np.full((q, width), -1)
    grades = np.zeros((q, width))
    rng = np.random.default_rng(0)
    for i in range(q):
        where = rng.permutation(np.flatnonzero(rel[i] > 0))
        ids[i, : where.size] = where
        grades[i, : where.size] = rel[i, where]
    return ranked, ids, grades


def _dense_data(rng, ties, graded):
    s = rng.normal(size=(6, 9))
    if ties:
        s = np.round(s)
    rel = (rng.uniform(size=(6, 9)) < 0.35).astype(np.int64)
    rel[2] = 0
    rel[0, 0] = 1
    if graded:
        rel = rel * rng.integers(1, 4, size=rel.shape)
    return s, rel


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("graded", [False, True])
@pytest.mark.parametrize("k", [1, 4, 9])
@pytest.mark.parametrize("map_denominator", ["hits", "relevant"])
def test_equals_dense(backend, rng, ties, graded, k, map_denominator):
    s, rel = _dense_data(rng, ties, graded)
    ranked, ids, grades = _as_ids(s, rel)
    with backend.context("float64"):
        got = _np(
            backend,
            retrieval_metrics(
                backend.asarray(ranked),
                backend.asarray(ids),
                qrel_grades=backend.asarray(grades, "float64"),
                k=k,
                map_denominator=map_denominator,
                gain="exponential" if graded else "linear",
                reduction="none",
            ),
        )
        sb, rb = backend.asarray(s, "float64"), backend.asarray(rel)
        for key in KEYS:
            extra = {}
            if key == "map":
                extra = {"map_denominator": map_denominator}
            if key == "ndcg":
                extra = {"gain": "exponential" if graded else "linear"}
            dense = backend.to_numpy(DENSE[key](sb, rb, k=k, reduction="none", **extra))
            close(got[key], dense, "float64", rtol=1e-12, atol=1e-12)


def _judge(ranked, ids, grades):
    table = {int(i): float(g) for i, g in zip(ids, grades) if i >= 0}
    return [max(table.get(int(d), 0.0), 0.0) if d >= 0 else 0.0 for d in ranked]


def _by_definition(ranked, ids, grades, k):
    """Every metric of one query from its ranked ids and qrels, by plain loops."""
    rel = _judge(ranked, ids, grades)[:k]
    all_rel = sorted((max(g, 0.0) for i, g in zip(ids, grades) if i >= 0), reverse=True)
    total = sum(g > 0 for g in all_rel)
    if total == 0:
        return dict.fromkeys(KEYS, 0.0)
    hits = [g > 0 for g in rel]
    precisions = [sum(hits[: i + 1]) / (i + 1) for i, h in enumerate(hits) if h]
    ideal = (all_rel + [0.0] * k)[:k]
    dcg = math.fsum(g / math.log2(i + 2) for i, g in enumerate(rel))
    idcg = math.fsum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return {
        "recall": sum(hits) / total,
        "precision": sum(hits) / k,
        "hit_rate": float(any(hits)),
        "mrr": next((1 / (i + 1) for i, h in enumerate(hits) if h), 0.0),
        "ndcg": dcg / idcg,
        "map": sum(precisions) / total,
    }


def _search_like(rng):
    """A top-5 search over 30 documents: some empty slots (-1), qrels padded with -1, graded,
    some relevant documents never retrieved, a grade-0 qrel, a query without qrels."""
    ranked = np.stack([rng.permutation(30)[:5] for _ in range(5)])
    ranked[1, 3:] = -1
    ranked[4, 1:] = -1
    ids = np.full((5, 4), -1)
    grades = np.zeros((5, 4))
    ids[0, :3] = [ranked[0, 2], 29 if 29 not in ranked[0] else 28, ranked[0, 0]]
    grades[0, :3] = [2, 3, 1]
    ids[1, :2] = [ranked[1, 1], ranked[1, 2]]
    grades[1, :2] = [1, 0]  # judged non-relevant
    ids[2] = [ranked[2, 4], ranked[2, 3], ranked[2, 2], ranked[2, 1]]
    grades[2] = [1, 2, 1, 1]
    # query 3: no qrels at all
    ids[4, :1] = [ranked[4, 0]]
    grades[4, :1] = [1]
    return ranked, ids, grades


@pytest.mark.parametrize("k", [1, 3, 5])
def test_by_definition(backend, dtype, rng, k):
    ranked, ids, grades = _search_like(rng)
    expected = [_by_definition(r, i, g, k) for r, i, g in zip(ranked, ids, grades)]
    with backend.context(dtype):
        out = retrieval_metrics(
            backend.asarray(ranked),
            backend.asarray(ids),
            qrel_grades=backend.asarray(grades, dtype),
            k=k,
            map_denominator="relevant",
            reduction="none",
        )
        for v in out.values():
            assert str(v.dtype).endswith(dtype)
        got = _np(backend, out)
    for key in KEYS:
        close(got[key], [e[key] for e in expected], dtype)


def test_binary_default_grades_and_mean(backend, rng):
    ranked, ids, grades = _search_like(rng)
    binary = np.where((ids >= 0) & (grades > 0), 1.0, 0.0)
    expected = [_by_definition(r, i, g, 4) for r, i, g in zip(ranked, ids, binary)]
    # qrels without grades: every real id relevant (query 1's grade-0 qrel becomes relevant)
    ids_relevant = np.where(binary > 0, ids, -1)
    with backend.context("float64"):
        out = retrieval_metrics(
            backend.asarray(ranked),
            backend.asarray(ids_relevant),
            k=4,
            map_denominator="relevant",
        )
        # integer inputs only: the namespace's default floating dtype (float32 on torch)
        dtype = "float32" if backend.name.startswith("torch") else "float64"
        assert all(str(v.dtype).endswith(dtype) for v in out.values())
        out = _np(backend, out)
    for key in KEYS:
        close(out[key], np.mean([e[key] for e in expected]), dtype)


def test_invalid_and_nan_grades(backend, rng):
    ranked, ids, grades = _search_like(rng)
    grades[2, 1] = np.nan
    invalid = np.array([False, True, False, False, False])
    with backend.context("float64"):
        out = _np(
            backend,
            retrieval_metrics(
                backend.asarray(ranked),
                backend.asarray(ids),
                qrel_grades=backend.asarray(grades, "float64"),
                invalid=backend.asarray(invalid),
                reduction="none",
                empty_target_action="pos",
            ),
        )
        mean = _np(
            backend,
            retrieval_metrics(
                backend.asarray(ranked),
                backend.asarray(ids),
                qrel_grades=backend.asarray(grades, "float64"),
                invalid=backend.asarray(invalid),
            ),
        )
    for key in KEYS:
        assert np.isnan(out[key]).tolist() == [False, True, True, False, False], key
        assert out[key][3] == 1.0  # no relevant qrel: "pos"
        assert np.isnan(mean[key])


def test_select_and_skip(backend, rng):
    ranked, ids, grades = _search_like(rng)
    expected = [_by_definition(r, i, g, 5) for r, i, g in zip(ranked, ids, grades)]
    with backend.context("float64"):
        out = _np(
            backend,
            retrieval_metrics(
                backend.asarray(ranked),
                backend.asarray(ids),
                qrel_grades=backend.asarray(grades, "float64"),
                metrics=["ndcg", "mrr"],
                empty_target_action="skip",
            ),
        )
    assert list(out) == ["ndcg", "mrr"]
    for key in out:
        close(out[key], np.mean([e[key] for i, e in enumerate(expected) if i != 3]), "float64")


def test_empty_batch(backend):
    with backend.context("float64"):
        out = retrieval_metrics(
            backend.asarray(np.zeros((0, 3), dtype=np.int64)),
            backend.asarray(np.zeros((0, 2), dtype=np.int64)),
        )
        none = retrieval_metrics(
            backend.asarray(np.zeros((0, 3), dtype=np.int64)),
            backend.asarray(np.zeros((0, 0), dtype=np.int64)),
            reduction="none",
        )
    assert all(np.isnan(v) for v in _np(backend, out).values())
    assert all(v.shape == (0,) for v in _np(backend, none).values())


def test_errors(backend):
    ranked = backend.asarray(np.array([[3, 1, -1], [2, 0, 5]]))
    qrels = backend.asarray(np.array([[1, -1], [5, 2]]))
    rm = retrieval_metrics
    with pytest.raises(TypeError, match="ranked_ids must be an integer array"):
        rm(backend.asarray(np.zeros((2, 3)), "float64"), qrels)
    with pytest.raises(TypeError, match="qrel_ids must be an integer array"):
        rm(ranked, backend.asarray(np.zeros((2, 2)), "float64"))
    with pytest.raises(ValueError, match=r"ranked_ids must have shape \(Q, K\); got \(3,\)"):
        rm(ranked[0, ...], qrels)
    with pytest.raises(ValueError, match=r"qrel_ids must have shape \(Q, R\) with Q = 2"):
        rm(ranked, qrels[:1, ...])
    with pytest.raises(ValueError, match=r"k must be in \[1, 3\] \(the ranked ids\); got 4"):
        rm(ranked, qrels, k=4)
    with pytest.raises(ValueError, match=r"qrel_grades must have the shape of qrel_ids"):
        rm(ranked, qrels, qrel_grades=backend.asarray(np.ones((2, 3)), "float64"))
    with pytest.raises(ValueError, match=r"invalid must have shape \(2,\)"):
        rm(ranked, qrels, invalid=backend.asarray(np.array([True])))
    with pytest.raises(TypeError, match="invalid must be a boolean array"):
        rm(ranked, qrels, invalid=backend.asarray(np.array([1, 0])))
    with pytest.raises(ValueError, match="metrics must be one of .*; got 'ap'"):
        rm(ranked, qrels, metrics=["map", "ap"])
    with pytest.raises(ValueError, match="metrics must name at least one metric"):
        rm(ranked, qrels, metrics=[])
    with pytest.raises(ValueError, match="map_denominator must be one of"):
        rm(ranked, qrels, map_denominator="R")
    with pytest.raises(ValueError, match="gain must be one of"):
        rm(ranked, qrels, gain="exp")
    with pytest.raises(ValueError, match="qrel_ids must not repeat an id within a query"):
        rm(ranked, backend.asarray(np.array([[1, 1], [5, -1]])))
    with pytest.raises(ValueError, match="ranked_ids must not repeat an id within a query"):
        rm(backend.asarray(np.array([[5, 5, 1], [2, -1, -1]])), qrels)
    with pytest.raises(ValueError, match="a query has no relevant candidate"):
        rm(ranked, backend.asarray(np.array([[1, -1], [-1, -1]])), empty_target_action="error")
    # padding ids repeat freely; a placeholder -1 never matches a qrel -1
    with backend.context("float64"):
        out = _np(
            backend,
            rm(
                ranked,
                backend.asarray(np.array([[-1, -1], [-1, 5]])),
                reduction="none",
                metrics=["hit_rate"],
            ),
        )
    close(out["hit_rate"], [0.0, 1.0], "float64")
