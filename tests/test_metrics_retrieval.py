"""Retrieval metrics against by-definition loops (ties broken by candidate index)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from arraylosses import metrics

from .helpers import call, close


def _ranking(scores):
    """Candidate indices by descending score, ties by ascending index."""
    return sorted(range(len(scores)), key=lambda j: (-scores[j], j))


def _per_query(fn, scores, relevance, empty):
    out = []
    for s, rel in zip(scores, relevance):
        ranked = [rel[j] for j in _ranking(s)]
        out.append(fn(ranked, rel) if any(r > 0 for r in rel) else empty)
    return out


DEFINITIONS = {
    "recall_at_k": lambda k: (
        lambda ranked, rel: sum(r > 0 for r in ranked[:k]) / sum(r > 0 for r in rel)
    ),
    "precision_at_k": lambda k: lambda ranked, rel: sum(r > 0 for r in ranked[:k]) / k,
    "hit_rate_at_k": lambda k: lambda ranked, rel: float(any(r > 0 for r in ranked[:k])),
    "mrr": lambda k: (
        lambda ranked, rel: next((1 / (i + 1) for i, r in enumerate(ranked[:k]) if r > 0), 0.0)
    ),
    "map_at_k": lambda k: (
        lambda ranked, rel: (
            np.mean(
                [
                    sum(r > 0 for r in ranked[: i + 1]) / (i + 1)
                    for i, r in enumerate(ranked[:k])
                    if r > 0
                ]
            )
            if any(r > 0 for r in ranked[:k])
            else 0.0
        )
    ),
}


def _dcg(values, k, exponential=False):
    return math.fsum(
        ((2.0**v - 1) if exponential else v) / math.log2(i + 2) for i, v in enumerate(values[:k])
    )


def _data(rng, ties=False):
    s = rng.normal(size=(6, 9))
    if ties:
        s = np.round(s)
    rel = (rng.uniform(size=(6, 9)) < 0.3).astype(np.int64)
    rel[2] = 0
    rel[0, 0] = 1
    return s, rel


@pytest.mark.parametrize("name", list(DEFINITIONS))
@pytest.mark.parametrize("k", [1, 4, 9])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(("action", "empty"), [("neg", 0.0), ("pos", 1.0)])
def test_by_definition(backend, dtype, rng, name, k, ties, action, empty):
    s, rel = _data(rng, ties)
    per_query = _per_query(DEFINITIONS[name](k), s, rel, empty)
    fn = getattr(metrics, name)
    close(
        call(backend, dtype, fn, s, rel, k=k, empty_target_action=action, reduction="none"),
        per_query,
        dtype,
    )
    close(
        call(backend, dtype, fn, s, rel, k=k, empty_target_action=action), np.mean(per_query), dtype
    )


@pytest.mark.parametrize("k", [1, 4, 9])
@pytest.mark.parametrize("gain", ["linear", "exponential"])
def test_ndcg_by_definition(backend, dtype, rng, k, gain):
    s, rel = _data(rng, ties=True)
    graded = rel * rng.integers(1, 4, size=rel.shape)
    exp = gain == "exponential"

    def ndcg(ranked, r):
        return _dcg(ranked, k, exp) / _dcg(sorted(r, reverse=True), k, exp)

    per_query = _per_query(ndcg, s, graded, 0.0)
    close(
        call(backend, dtype, metrics.ndcg_at_k, s, graded, k=k, gain=gain, reduction="none"),
        per_query,
        dtype,
    )


def test_skip_leaves_empty_queries_out(backend, rng):
    s, rel = _data(rng)
    per_query = _per_query(DEFINITIONS["recall_at_k"](3), s, rel, None)
    kept = [v for v in per_query if v is not None]
    close(
        call(backend, "float64", metrics.recall_at_k, s, rel, k=3, empty_target_action="skip"),
        np.mean(kept),
        "float64",
    )
    none = call(
        backend,
        "float64",
        metrics.recall_at_k,
        s,
        rel,
        k=3,
        empty_target_action="skip",
        reduction="none",
    )
    assert np.isnan(none[2]) and np.all(np.isfinite(np.delete(none, 2)))


def test_negative_scores_still_count(backend):
    # torchmetrics would drop this relevant candidate (score <= 0); we rank it
    s, rel = np.array([[-0.2, -0.5, -0.9]]), np.array([[0, 1, 0]])
    close(call(backend, "float64", metrics.mrr, s, rel), 0.5, "float64")
    close(call(backend, "float64", metrics.recall_at_k, s, rel, k=2), 1.0, "float64")


def test_errors(backend):
    s = backend.asarray(np.zeros((2, 3)), "float64")
    rel = backend.asarray(np.array([[1, 0, 0], [0, 0, 0]]))
    with pytest.raises(
        ValueError,
        match=r"k must be in \[1, 3\] \(the number of candidates\); "
        r"got 4",
    ):
        metrics.recall_at_k(s, rel, k=4)
    with pytest.raises(ValueError, match="empty_target_action must be one of .*; got 'zero'"):
        metrics.mrr(s, rel, empty_target_action="zero")
    with pytest.raises(ValueError, match=r"a query has no relevant candidate"):
        metrics.ndcg_at_k(s, rel, empty_target_action="error")
    with pytest.raises(
        ValueError,
        match=r"relevance must have the shape of scores \(2, 3\); "
        r"got \(3,\)",
    ):
        metrics.map_at_k(s, rel[0, ...])
    with pytest.raises(ValueError, match="gain must be one of 'linear', 'exponential'"):
        metrics.ndcg_at_k(s, rel, gain="exp")
    with pytest.raises(TypeError, match="scores must be a real floating array"):
        metrics.hit_rate_at_k(rel, rel)
