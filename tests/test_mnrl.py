"""Multiple negatives ranking loss: by-definition loops, the sharded (offset) form, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraylosses as al
from arraylosses.testing import finite_difference_gradient

from . import reference as ref
from .helpers import call, close


def _lse(values):
    values = [v for v in values if v != -math.inf]
    m = max(values)
    return m + math.log(math.fsum(math.exp(v - m) for v in values))


def _reference(q, p, negs, directions, partition, scale=20.0):
    """Every term written out: docs = positives then each negative column."""
    b = len(q)
    docs = [p[j] for j in range(b)] + [negs[j, k] for k in range(negs.shape[1]) for j in range(b)]
    owner = [j for j in range(b)] + [j for _ in range(negs.shape[1]) for j in range(b)]
    rows = []
    for i in range(b):
        terms = {"query_to_doc": [scale * ref.cosine(q[i], d) for d in docs]}
        if "query_to_query" in directions:
            terms["query_to_query"] = [
                scale * ref.cosine(q[i], q[j]) if j != i else -math.inf for j in range(b)
            ]
        if "doc_to_query" in directions:
            terms["doc_to_query"] = [scale * ref.cosine(p[i], q[j]) for j in range(b)]
        if "doc_to_doc" in directions:
            terms["doc_to_doc"] = [
                scale * ref.cosine(p[i], d) if owner[c] != i else -math.inf
                for c, d in enumerate(docs)
            ]
        positive = scale * ref.cosine(q[i], p[i])
        if partition == "joint":
            log_z = _lse([t for ts in terms.values() for t in ts])
        else:
            log_z = np.mean([_lse(ts) for ts in terms.values()])
        rows.append(log_z - positive)
    return rows


@pytest.mark.parametrize(
    ("directions", "partition"),
    [
        (("query_to_doc",), "joint"),
        (("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"), "joint"),
        (("query_to_doc", "doc_to_query"), "per_direction"),
    ],
)
def test_by_definition(backend, dtype, rng, directions, partition):
    q, p, n = rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2, 4))
    expected = _reference(q, p, n, directions, partition)
    got = call(
        backend,
        dtype,
        al.multiple_negatives_ranking_loss,
        q,
        p,
        n,
        directions=directions,
        partition_mode=partition,
        reduction="none",
    )
    close(got, expected, dtype)


def test_symmetric_preset(backend, dtype, rng):
    q, p, n = rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2, 4))
    close(
        call(backend, dtype, al.multiple_negatives_symmetric_ranking_loss, q, p, n),
        np.mean(_reference(q, p, n, ("query_to_doc", "doc_to_query"), "per_direction")),
        dtype,
    )


@pytest.mark.parametrize("directions", [("query_to_doc",), ("query_to_doc", "doc_to_doc")])
def test_sharded_rows_equal_the_global_batch(backend, rng, directions):
    """A device holding anchors [offset, offset + B) and the gathered candidates computes
    exactly those rows of the single-device loss."""
    q, p, n = rng.normal(size=(8, 4)), rng.normal(size=(8, 4)), rng.normal(size=(8, 2, 4))
    whole = call(
        backend,
        "float64",
        al.multiple_negatives_ranking_loss,
        q,
        p,
        n,
        directions=directions,
        reduction="none",
    )
    for offset in (0, 3, 5):
        part = call(
            backend,
            "float64",
            al.multiple_negatives_ranking_loss,
            q[offset : offset + 3],
            p,
            n,
            directions=directions,
            offset=offset,
            reduction="none",
        )
        close(part, whole[offset : offset + 3], "float64", rtol=1e-12)


def test_hardness_penalty_is_not_differentiated(ad_backend, rng):
    """With the penalty detached, the gradient equals that of the loss whose penalty logits
    are added as constants."""
    q, p, n = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 1, 3))
    kw = {"hardness_mode": "all_negatives", "hardness_strength": 0.7}
    if ad_backend.name.startswith("torch"):
        import torch

        qa = torch.tensor(q, requires_grad=True)
        (g,) = torch.autograd.grad(
            al.multiple_negatives_ranking_loss(qa, torch.tensor(p), torch.tensor(n), **kw), qa
        )
        g = g.numpy()
    else:
        import jax

        g = np.asarray(
            jax.grad(
                lambda x: al.multiple_negatives_ranking_loss(
                    x, ad_backend.asarray(p, "float64"), ad_backend.asarray(n, "float64"), **kw
                )
            )(ad_backend.asarray(q, "float64"))
        )
    # finite differences of the loss with the penalty frozen at its value at q
    docs = np.concatenate([p, n[:, 0]])
    unit = lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)  # noqa: E731
    frozen = 0.7 * unit(q) @ unit(docs).T
    frozen[np.arange(4), np.arange(4)] = 0.0  # the own positive is not penalised

    def value(x):
        logits = 20.0 * unit(x) @ unit(docs).T + frozen
        m = logits.max(1, keepdims=True)
        lse = (m + np.log(np.exp(logits - m).sum(1, keepdims=True)))[:, 0]
        return float(np.mean(lse - logits[np.arange(4), np.arange(4)]))

    fd = finite_difference_gradient(lambda values: value(values[0]), [q])[0]
    close(g, fd, "float64", rtol=1e-6, atol=1e-8)


def test_errors(backend):
    x = backend.asarray(np.ones((4, 3)), "float64")
    with pytest.raises(ValueError, match="directions must include 'query_to_doc'"):
        al.multiple_negatives_ranking_loss(x, x, directions=("doc_to_doc",))
    with pytest.raises(ValueError, match="partition_mode='per_direction' needs every direction"):
        al.multiple_negatives_ranking_loss(
            x, x, directions=("query_to_doc", "query_to_query"), partition_mode="per_direction"
        )
    with pytest.raises(ValueError, match="hardness_mode must be one of"):
        al.multiple_negatives_ranking_loss(x, x, hardness_mode="hardest")
    with pytest.raises(ValueError, match=r"negatives must have shape \(4, D=3\) or \(4, K, D=3\)"):
        al.multiple_negatives_ranking_loss(x, x, x[:2, ...])
    with pytest.raises(
        ValueError,
        match=r"the query_to_query and doc_to_query directions with gathered positives "
        r"\(4 rows for 2 rows of anchors\) needs all_anchors",
    ):
        al.multiple_negatives_ranking_loss(
            x[:2, ...], x, directions=("query_to_doc", "doc_to_query")
        )
    with pytest.raises(
        ValueError,
        match=r"all_anchors must have as many rows as positives "
        r"\(4\)",
    ):
        al.multiple_negatives_ranking_loss(
            x[:2, ...], x, all_anchors=x[:3, ...], directions=("query_to_doc", "doc_to_query")
        )
    with pytest.raises(
        ValueError,
        match=r"all_anchors \(anchors gathered from every device\) "
        r"must have shape \(W >= 4, D=3\)",
    ):
        al.multiple_negatives_ranking_loss(
            x, x, all_anchors=x[:, :2], directions=("query_to_doc", "query_to_query")
        )
    with pytest.raises(ValueError, match=r"scale must be in \(0.0, inf\)"):
        al.multiple_negatives_ranking_loss(x, x, scale=0.0)
    with pytest.raises(TypeError, match="directions must be a non-empty tuple"):
        al.multiple_negatives_ranking_loss(x, x, directions="query_to_doc")
