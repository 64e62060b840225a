"""Registry cases of :mod:`arraylosses.classification`."""

from __future__ import annotations

import arraylosses as al

from .. import inputs
from ._case import MONOTONE, REDUCTION_PARAMS, Adapter, Case, Hostile, Params, Ref

__all__ = ["CASES"]


TITLE = "Classification losses"  # its docs section
MODULE = "arraylosses.classification"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    Case(
        fn=al.cross_entropy,
        traits=("softmax",),
        hostile=Hostile(scale=(("logits", 1e4),)),
        adapter=Adapter(index_target=True),
        inputs=inputs.classes,
        args=("logits", "labels"),
        params=(
            Params(),
            Params(reduction="none"),
            Params(reduction="sum"),
            Params(label_smoothing=0.1),
            Params(class_weight=Ref("class_weight")),
            Params(sample_weight=Ref("weight")),
            Params(
                args=("logits", "labels_ignored"),
                ignore_index=-100,
                class_weight=Ref("class_weight"),
                label_smoothing=0.2,
            ),
            Params(args=("logits", "labels_ignored"), ignore_index=-100, reduction="none"),
            Params(
                args=("logits", "labels_all_ignored"),
                ignore_index=-100,
                unswept="every label is ignored: a NaN in an ignored row does not count "
                "(documented)",
            ),
            Params(args=("logits", "probs")),
            Params(args=("logits", "probs"), label_smoothing=0.1, class_weight=Ref("class_weight")),
            Params(args=("logits_ncd", "labels_nd"), axis=1),
        ),
        grad=("logits", "logits_ncd", "probs"),
        peers=("torch", "optax"),
    ),
    Case(
        fn=al.nll_loss,
        hostile=Hostile(scale=(("log_probs", 1e3),)),
        adapter=Adapter(index_target=True),
        inputs=inputs.classes,
        args=("log_probs", "labels"),
        params=(
            Params(),
            Params(reduction="none"),
            Params(reduction="sum"),
            Params(class_weight=Ref("class_weight")),
            Params(sample_weight=Ref("weight")),
            Params(args=("log_probs", "labels_ignored"), ignore_index=-100, reduction="none"),
            Params(
                args=("log_probs", "labels_all_ignored"),
                ignore_index=-100,
                unswept="every label is ignored: a NaN in an ignored row does not count "
                "(documented)",
            ),
            Params(args=("log_probs", "probs")),
        ),
        grad=("log_probs", "probs"),
        peers=("torch",),
    ),
    Case(
        fn=al.poly1_cross_entropy,
        traits=("softmax",),
        hostile=Hostile(scale=(("logits", 1e4),)),
        adapter=Adapter(index_target=True, not_learnable={"epsilon": MONOTONE}),
        inputs=inputs.classes,
        args=("logits", "labels"),
        params=(
            Params(),
            Params(reduction="none"),
            Params(label_smoothing=0.1),
            Params(epsilon=Ref("scalar")),
            Params(args=("logits", "probs"), epsilon=2.0),
            Params(sample_weight=Ref("weight")),
        ),
        grad=("logits", "probs", "scalar"),
        peers=("optax",),
    ),
    Case(
        fn=al.softmax_focal_loss,
        traits=("softmax",),
        hostile=Hostile(scale=(("logits", 1e4),)),
        adapter=Adapter(index_target=True, not_learnable={"alpha": MONOTONE}),
        inputs=inputs.classes,
        args=("logits", "labels"),
        params=(
            Params(),
            Params(gamma=0.0),
            Params(gamma=1.5, reduction="none"),
            Params(alpha=Ref("class_weight")),
            Params(alpha=0.25, args=("logits", "probs")),
            Params(sample_weight=Ref("weight"), alpha=Ref("scalar")),
        ),
        grad=("logits", "scalar"),
        notes="no peer has the multi-class softmax focal loss with class indices; checked by "
        "definition (tests/test_classification.py)",
    ),
    Case(
        fn=al.kl_divergence,
        hostile=Hostile(scale=(("logits", 1e4),)),
        inputs=inputs.classes,
        args=("logits", "probs"),
        params=(
            Params(),
            Params(reduction="none"),
            Params(args=("logits", "probs_with_zero")),
            Params(sample_weight=Ref("weight"), reduction="sum"),
        ),
        grad=("logits", "probs"),
        peers=("torch", "optax"),
    ),
    Case(
        fn=al.binary_cross_entropy,
        inputs=inputs.binary,
        args=("probs", "targets"),
        params=(
            *REDUCTION_PARAMS,
            Params(args=("probs", "soft_targets")),
            Params(args=("probs", "bits")),
            Params(eps=1e-3),
        ),
        grad=("probs", "soft_targets"),
        peers=("torch",),
    ),
    Case(
        fn=al.binary_cross_entropy_with_logits,
        traits=("binary",),
        hostile=Hostile(scale=(("logits", 1e4),)),
        inputs=inputs.binary,
        args=("logits", "targets"),
        params=(
            *REDUCTION_PARAMS,
            Params(pos_weight=Ref("pos_weight")),
            Params(args=("logits", "soft_targets"), pos_weight=Ref("pos_weight"), reduction="none"),
            Params(args=("logits", "bits")),
        ),
        grad=("logits", "soft_targets", "pos_weight"),
        peers=("torch", "optax"),
    ),
    Case(
        fn=al.sigmoid_focal_loss,
        adapter=Adapter(not_learnable={"alpha": MONOTONE}),
        traits=("binary",),
        hostile=Hostile(scale=(("logits", 1e4),)),
        inputs=inputs.binary,
        args=("logits", "targets"),
        params=(
            Params(),
            Params(reduction="none"),
            Params(alpha=None),
            Params(gamma=0.0),
            Params(alpha=Ref("scalar")),
            Params(args=("logits", "soft_targets"), gamma=1.5),
            Params(sample_weight=Ref("weight")),
        ),
        grad=("logits", "scalar"),
        peers=("optax",),
    ),
    Case(
        fn=al.hinge_loss,
        traits=("binary",),
        inputs=inputs.binary,
        args=("scores", "signs"),
        params=(
            Params(),
            Params(reduction="none"),
            Params(args=("scores", "bits")),
            Params(sample_weight=Ref("weight")),
        ),
        grad=("scores",),
        peers=("keras",),
    ),
    Case(
        fn=al.squared_hinge_loss,
        traits=("binary",),
        inputs=inputs.binary,
        args=("scores", "signs"),
        params=(
            Params(),
            Params(reduction="none"),
            Params(args=("scores", "bits")),
            Params(sample_weight=Ref("weight")),
        ),
        grad=("scores",),
        peers=("keras",),
    ),
    Case(
        fn=al.margin_ranking_loss,
        adapter=Adapter(not_learnable={"margin": MONOTONE}),
        inputs=inputs.ranking_pairs,
        args=("x1", "x2", "rank_signs"),
        params=(Params(), Params(margin=0.5, reduction="none"), Params(margin=Ref("margin"))),
        grad=("x1", "x2", "margin"),
        peers=("torch",),
    ),
)
