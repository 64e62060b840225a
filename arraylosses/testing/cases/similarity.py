"""Registry cases of :mod:`arraylosses.similarity`."""

from __future__ import annotations

from typing import Any

import numpy as np

import arraylosses as al

from .. import inputs
from .._peer import pair, peer
from ._case import Case, Params, Ref

__all__ = ["CASES"]

_AXIS0 = "the batch is not the leading axis (axis=0 is the embedding axis)"


def _tokens(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Token embeddings of 3 queries (4 tokens) and 4 documents (3 tokens), width 4, with
    masks: masked query tokens, documents with masked tokens. (The empty document's -1e9
    sentinel is tested in tests/test_retrieval_wave3.py: beside it, float16 and finite
    differences of ``Σ out·c`` see only its rounding.)"""
    q_mask = np.ones((3, 4), dtype=bool)
    q_mask[1, 3] = q_mask[2, 2:] = False
    d_mask = np.ones((4, 3), dtype=bool)
    d_mask[0, 2] = False
    d_mask[3, :2] = False
    return {
        "q": rng.normal(size=(3, 4, 4)),
        "d": rng.normal(size=(4, 3, 4)),
        "d_rows": rng.normal(size=(3, 3, 4)),
        "q_mask": q_mask,
        "d_mask": d_mask,
        "d_rows_mask": d_mask[1:],
        # each query against its own 2 candidates (distillation scores)
        "q_kd": rng.normal(size=(3, 1, 4, 4)),
        "d_kd": rng.normal(size=(3, 2, 3, 4)),
    }


_MASKED = ("q", "d", "q_mask", "d_mask")
_MASKED_ROWS = ("q", "d_rows", "q_mask", "d_rows_mask")


def _ours_masked(fn: Any) -> Any:
    def call(q: Any, d: Any, q_mask: Any, d_mask: Any) -> Any:
        return fn(q, d, query_mask=q_mask, document_mask=d_mask, length_normalize=True)

    return call


def _st_maxsim(name: str) -> Any:
    """sentence-transformers ``util.<name>`` with masks and ``length_normalize=True``."""

    def call(q: Any, d: Any, q_mask: Any, d_mask: Any) -> Any:
        from sentence_transformers import util

        return getattr(util, name)(q, d, q_mask, d_mask, length_normalize=True)

    return call


def _pylate(name: str) -> Any:
    """PyLate ``scores.<name>`` without masks (``colbert_kd_scores`` takes ``(N, Lq, D)``
    queries: the case passes them as ``(N, 1, Lq, D)``, our broadcast form)."""

    def call(q: Any, d: Any) -> Any:
        import pylate.scores

        if name == "colbert_kd_scores":
            q = q[:, 0]
        return getattr(pylate.scores, name)(q, d)

    return call


TITLE = "Similarity"  # its docs section
MODULE = "arraylosses.similarity"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    Case(
        fn=al.cosine_similarity,
        kind="function",
        inputs=inputs.embeddings,
        args=("a", "b"),
        params=(Params(), Params(args=("a_t", "b_t"), axis=0, unswept=_AXIS0)),
        grad=("a", "b", "a_t", "b_t"),
        peers=("torch",),
    ),
    Case(
        fn=al.pairwise_cosine_similarity,
        kind="function",
        inputs=inputs.embeddings,
        args=("a", "c"),
        grad=("a", "c"),
        peers=("torch",),
    ),
    Case(
        fn=al.pairwise_dot,
        kind="function",
        inputs=inputs.embeddings,
        args=("a", "c"),
        grad=("a", "c"),
        peers=("torch",),
    ),
    Case(
        fn=al.pairwise_euclidean_distance,
        kind="function",
        inputs=inputs.embeddings,
        args=("a", "c"),
        params=(Params(), Params(squared=True)),
        grad=("a", "c"),
        peers=("torch", "scikit-learn"),
    ),
    Case(
        fn=al.l2_normalize,
        kind="function",
        inputs=inputs.embeddings,
        args=("a",),
        params=(Params(), Params(axis=0, unswept=_AXIS0)),
        grad=("a",),
        peers=("torch",),
    ),
    # late interaction (wave 3): maxsim, pairwise_maxsim
    Case(
        fn=al.maxsim,
        kind="function",
        inputs=lambda rng: _tokens(rng),
        args=("q", "d_rows"),
        params=(
            Params(),
            Params(
                query_mask=Ref("q_mask"), document_mask=Ref("d_rows_mask"), length_normalize=True
            ),
            Params(args=("q_kd", "d_kd")),
        ),
        grad=("q", "d_rows", "q_kd", "d_kd"),
        checks=(
            peer(
                "pylate scores.colbert_kd_scores(q[:, None], d) (float64, no masks)",
                "pylate.scores",
                pair(al.maxsim, _pylate("colbert_kd_scores"), "q_kd", "d_kd"),
                rtol=1e-10,
            ),
            peer(
                "sentence_transformers util.maxsim_pairwise(q, d, q_mask, d_mask, "
                "length_normalize=True)",
                "sentence_transformers",
                pair(_ours_masked(al.maxsim), _st_maxsim("maxsim_pairwise"), *_MASKED_ROWS),
                rtol=1e-5,
                atol=1e-6,
                deviation="sentence-transformers returns float32 whatever the input dtype",
            ),
        ),
    ),
    Case(
        fn=al.pairwise_maxsim,
        kind="function",
        inputs=lambda rng: _tokens(rng),
        args=("q", "d"),
        params=(
            Params(),
            Params(query_mask=Ref("q_mask"), document_mask=Ref("d_mask"), length_normalize=True),
        ),
        grad=("q", "d"),
        checks=(
            peer(
                "pylate scores.colbert_scores(q, d) (float64, no masks)",
                "pylate.scores",
                pair(al.pairwise_maxsim, _pylate("colbert_scores"), "q", "d"),
                rtol=1e-10,
            ),
            peer(
                "sentence_transformers util.maxsim(q, d, q_mask, d_mask, length_normalize=True)",
                "sentence_transformers",
                pair(_ours_masked(al.pairwise_maxsim), _st_maxsim("maxsim"), *_MASKED),
                rtol=1e-5,
                atol=1e-6,
                deviation="sentence-transformers returns float32 whatever the input dtype",
            ),
        ),
    ),
)
