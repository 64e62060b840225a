"""``map_at_k(map_denominator=...)`` against by-definition loops: the summed precisions at the
relevant ranks within the top k, divided by the hits, min(k, R), or R."""

from __future__ import annotations

import numpy as np
import pytest

from arraylosses import metrics

from .helpers import call, close


def _ap(scores, rel, k, denominator):
    order = sorted(range(len(scores)), key=lambda j: (-scores[j], j))
    ranked = [rel[j] > 0 for j in order][:k]
    precisions = [sum(ranked[: i + 1]) / (i + 1) for i, h in enumerate(ranked) if h]
    total = sum(r > 0 for r in rel)
    den = {"hits": len(precisions), "min_k_relevant": min(k, total), "relevant": total}[denominator]
    return sum(precisions) / den if den else 0.0


def _data(rng, ties):
    s = rng.normal(size=(7, 10))
    if ties:
        s = np.round(s)
    rel = (rng.uniform(size=(7, 10)) < 0.35).astype(np.int64)
    rel[0] = 0
    rel[1] = 1  # every candidate relevant: R = M > k
    rel[2, -1] = 1  # a relevant candidate, maybe beyond the top k
    return s, rel


@pytest.mark.parametrize("denominator", ["hits", "min_k_relevant", "relevant"])
@pytest.mark.parametrize("k", [1, 3, 10])
@pytest.mark.parametrize("ties", [False, True])
def test_by_definition(backend, dtype, rng, denominator, k, ties):
    s, rel = _data(rng, ties)
    expected = [_ap(si, ri, k, denominator) for si, ri in zip(s, rel)]
    got = call(
        backend, dtype, metrics.map_at_k, s, rel, k=k, map_denominator=denominator, reduction="none"
    )
    close(got, expected, dtype)
    close(
        call(backend, dtype, metrics.map_at_k, s, rel, k=k, map_denominator=denominator),
        np.mean(expected),
        dtype,
    )


def test_default_is_hits(backend, rng):
    s, rel = _data(rng, False)
    expected = [_ap(si, ri, 3, "hits") for si, ri in zip(s, rel)]
    close(
        call(backend, "float64", metrics.map_at_k, s, rel, k=3, reduction="none"),
        expected,
        "float64",
    )


def test_hand_example(backend):
    # ranks 1 and 3 relevant in the top 3, R = 3: sum of precisions 1 + 2/3
    s, rel = np.array([[0.9, 0.8, 0.7, 0.1]]), np.array([[1, 0, 1, 1]])
    for denominator, value in (("hits", 5 / 6), ("min_k_relevant", 5 / 9), ("relevant", 5 / 9)):
        close(
            call(backend, "float64", metrics.map_at_k, s, rel, k=3, map_denominator=denominator),
            value,
            "float64",
        )
    close(
        call(backend, "float64", metrics.map_at_k, s, rel, k=2, map_denominator="min_k_relevant"),
        1 / 2,
        "float64",
    )
    close(
        call(backend, "float64", metrics.map_at_k, s, rel, k=2, map_denominator="relevant"),
        1 / 3,
        "float64",
    )


def test_nan_query(backend, rng):
    s, rel = _data(rng, False)
    s[3, 4] = np.nan
    for denominator in ("min_k_relevant", "relevant"):
        got = call(
            backend,
            "float64",
            metrics.map_at_k,
            s,
            rel,
            k=3,
            map_denominator=denominator,
            reduction="none",
        )
        assert np.isnan(got).tolist() == [i == 3 for i in range(7)]


def test_error_names_denominator(backend):
    s = backend.asarray(np.zeros((2, 3)), "float64")
    rel = backend.asarray(np.array([[1, 0, 0], [0, 1, 0]]))
    with pytest.raises(ValueError, match="map_denominator must be one of .*'relevant'.*; got 'R'"):
        metrics.map_at_k(s, rel, map_denominator="R")


def test_denominator_is_now_map_denominator():
    """One name for the MAP denominator: map_at_k's (both forms) is retrieval_metrics'."""
    from arraylosses.metrics import streaming

    s, rel = np.zeros((1, 3)), np.array([[1, 0, 0]])
    with pytest.raises(TypeError, match=r"denominator=.*map_denominator="):
        metrics.map_at_k(s, rel, denominator="relevant")
    with pytest.raises(TypeError, match=r"denominator=.*map_denominator="):
        streaming.map_at_k(denominator="relevant")
