"""Registry cases of :mod:`arraylosses.regularizers`."""

from __future__ import annotations

import arraylosses as al

from .. import inputs
from .._peer import pair, peer
from ._case import Adapter, Case, Hostile, Params, Ref

__all__ = ["CASES"]

_AXIS0 = "the batch is not the leading axis (the anchors are on axis 0)"


TITLE = "Regularisers"  # its docs section
MODULE = "arraylosses.regularizers"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    Case(
        fn=al.orthogonal_loss,
        hostile=Hostile(empty=ValueError),  # needs two rows (documented)
        adapter=Adapter(per_batch=()),
        inputs=inputs.regularizers,
        args=("a",),
        params=(Params(), Params(mode="l2"), Params(args=("n",), mode="l2")),
        grad=("a", "n"),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
    Case(
        fn=al.global_orthogonal_regularization,
        # mean over the N(N-1) pairs of every column; no pair gives 0, as sentence-transformers
        hostile=Hostile(batch=("a", "n"), empty="zero"),
        adapter=Adapter(per_batch=()),
        inputs=inputs.regularizers,
        args=("a", "n"),
        params=(
            Params(),
            Params(aggregation="sum", mean_weight=0.5),
            Params(return_terms=True),
            Params(args=("a",), second_moment_weight=2.0),
        ),
        grad=("a", "n"),
        peers=("sentence-transformers",),
    ),
    Case(
        fn=al.exclusiveness_loss,
        inputs=inputs.regularizers,
        args=("probs",),
        params=(
            Params(),
            Params(reduction="none"),
            Params(sample_weight=Ref("weight")),
            Params(args=("probs_t",), axis=0, reduction="sum", unswept=_AXIS0),
        ),
        grad=("probs", "probs_t"),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
    Case(
        fn=al.inclusiveness_loss,
        hostile=Hostile(empty="nan"),  # the mean usage of each anchor over no row
        adapter=Adapter(per_batch=()),
        inputs=inputs.regularizers,
        args=("probs",),
        params=(Params(), Params(args=("probs_t",), axis=0, unswept=_AXIS0)),
        grad=("probs", "probs_t"),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
)


def _st_flops(x, threshold=None):
    from sentence_transformers.sparse_encoder.losses import FlopsLoss

    return FlopsLoss(None, threshold=threshold).compute_loss_from_embeddings(x)


CASES += (
    Case(
        fn=al.flops_regularizer,
        hostile=Hostile(empty="nan"),  # the mean activation over no row
        adapter=Adapter(per_batch=()),
        inputs=inputs.sparse,
        args=("sparse",),
        params=(Params(), Params(threshold=4), Params(threshold=2)),
        grad=("sparse",),
        checks=(
            peer(
                "sentence_transformers sparse FlopsLoss(model, threshold) for None, 4 and 2",
                "sentence_transformers",
                pair(
                    lambda x: tuple(al.flops_regularizer(x, threshold=t) for t in (None, 4, 2)),
                    lambda x: tuple(_st_flops(x, t) for t in (None, 4, 2)),
                    "sparse",
                ),
                rtol=1e-10,
            ),
        ),
    ),
)
