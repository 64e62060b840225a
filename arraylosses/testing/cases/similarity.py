"""Registry cases of :mod:`arraylosses.similarity`."""

from __future__ import annotations

import arraylosses as al

from .. import inputs
from ._case import Case, Params

__all__ = ["CASES"]

_AXIS0 = "the batch is not the leading axis (axis=0 is the embedding axis)"


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
)
