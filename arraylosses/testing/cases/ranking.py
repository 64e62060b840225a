"""Registry cases of :mod:`arraylosses.ranking` (recommendation and ranking losses)."""

from __future__ import annotations

import arraylosses as al

from .. import inputs
from ._case import Adapter, Case, Hostile, Params, Ref

__all__ = ["CASES"]


TITLE = "Recommendation and ranking losses"  # its docs section
MODULE = "arraylosses.ranking"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    Case(
        fn=al.bpr_loss,
        hostile=Hostile(scale=(("pos", 1e4), ("neg_k", 1e4))),
        inputs=inputs.ranking,
        args=("pos", "neg_k"),
        params=(
            Params(),
            Params(args=("pos", "neg_1")),
            Params(reduction="none"),
            Params(sample_weight=Ref("weight"), reduction="sum"),
        ),
        grad=("pos", "neg_1", "neg_k"),
        peers=("torch", "rax"),
    ),
    Case(
        fn=al.dynamic_margin_bpr_loss,
        adapter=Adapter(
            not_learnable={
                "alpha": "dynamic_margin_bpr_loss holds alpha under stop_gradient by design: "
                "it would never move"
            }
        ),
        hostile=Hostile(scale=(("pos", 1e4), ("neg_k", 1e4))),
        inputs=inputs.ranking,
        args=("pos", "neg_k"),
        params=(
            Params(finite_differences=False),
            Params(args=("pos", "neg_1"), alpha=0.3, finite_differences=False),
            Params(alpha=Ref("alpha"), reduction="none", finite_differences=False),
            Params(sample_weight=Ref("weight"), finite_differences=False),
        ),
        grad=("pos", "neg_1", "neg_k"),
        notes="defined in docs/spec.md (no peer); checked by definition. Its margin is under "
        "stop_gradient, so finite differences of the value are not its gradient: "
        "tests/test_ranking.py checks that its gradient is BPR's with a constant margin",
    ),
    Case(
        fn=al.sampled_softmax_loss,
        hostile=Hostile(scale=(("pos", 1e4), ("neg_k", 1e4))),
        adapter=Adapter(per_batch=("log_q", "pos_log_q", "pos_ids", "neg_ids", "sample_weight")),
        inputs=inputs.ranking,
        args=("pos", "neg_k"),
        params=(
            Params(),
            Params(log_q=Ref("log_q")),
            Params(log_q=Ref("log_q_nk"), pos_log_q=Ref("pos_log_q"), reduction="none"),
            Params(num_items=50, sample_weight=Ref("weight")),
            Params(
                pos_ids=Ref("pos_ids"),
                neg_ids=Ref("neg_ids"),
                log_q=Ref("log_q"),
                unswept="the first negative is an accidental hit, removed (documented): "
                "its NaN does not count",
            ),
            Params(
                pos_ids=Ref("pos_ids"),
                neg_ids=Ref("shared_neg_ids"),
                num_items=9,
                reduction="sum",
            ),
        ),
        grad=("pos", "neg_k"),
        notes="peers TensorFlow sampled_softmax_loss / KerasRS (not installed: TensorFlow); "
        "by definition",
    ),
    Case(
        fn=al.normalized_sampled_softmax_loss,
        hostile=Hostile(batch=(("square", (0, 1)), "square_weight")),
        inputs=inputs.ranking,
        args=("square",),
        params=(
            Params(num_items=5),
            Params(num_items=1000),
            Params(num_items=40, reduction="none"),
            Params(num_items=40, sample_weight=Ref("square_weight"), eps=1e-3),
        ),
        grad=("square",),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
    Case(
        fn=al.csar_loss,
        adapter=Adapter(index_target=True),
        inputs=inputs.ranking,
        args=("energies", "labels"),
        params=(
            Params(),
            Params(reduction="none", eps=1e-3),
            Params(args=("energies", "label_probs")),
            Params(sample_weight=Ref("weight"), ignore_index=2),
        ),
        grad=("energies", "label_probs"),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
    Case(
        fn=al.listnet_loss,
        hostile=Hostile(scale=(("list_scores", 1e4),)),
        adapter=Adapter(per_batch=("where", "sample_weight")),
        inputs=inputs.ranking,
        args=("list_scores", "relevance"),
        params=(
            Params(),
            Params(reduction="none"),
            Params(where=Ref("where")),
            Params(where=Ref("where"), sample_weight=Ref("list_weight"), reduction="none"),
            Params(sample_weight=Ref("list_weight")),
        ),
        grad=("list_scores", "relevance"),
        peers=("rax",),
    ),
)
