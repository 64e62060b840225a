"""Registry cases of :mod:`arraylosses.classification`."""

from __future__ import annotations

import arraylosses as al

from .. import inputs
from .._peer import pair, peer
from ._case import MONOTONE, REDUCTION_PARAMS, Adapter, Case, Hostile, Params, Ref

__all__ = ["CASES"]


TITLE = "Classification losses"  # its docs section
MODULE = "arraylosses.classification"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    Case(
        fn=al.cross_entropy,
        traits=("softmax",),
        hostile=Hostile(
            scale=(("logits", 1e4),),
            minus_inf=(
                ("logits", "off_target", "labels"),
                ("logits", "off_target", "labels_ignored"),
                ("logits", "no_mass", "probs"),
            ),
        ),
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
        # log-probabilities from a log_softmax: a class masked to -inf has log-probability -inf
        hostile=Hostile(
            scale=(("log_probs", 1e3),),
            minus_inf=(
                ("log_probs", "off_target", "labels"),
                ("log_probs", "off_target", "labels_ignored"),
                ("log_probs", "no_mass", "probs"),
            ),
        ),
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
        hostile=Hostile(
            scale=(("logits", 1e4),),
            minus_inf=(("logits", "off_target", "labels"), ("logits", "no_mass", "probs")),
        ),
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
        hostile=Hostile(
            scale=(("logits", 1e4),),
            minus_inf=(("logits", "off_target", "labels"), ("logits", "no_mass", "probs")),
        ),
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
        hostile=Hostile(scale=(("logits", 1e4),), minus_inf=(("logits", "no_mass", "probs"),)),
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


def _torch_linear_ce(options: dict, chunk_size: int | None):
    """Ours (at ``chunk_size``) and torch ``F.linear_cross_entropy`` (its reference path,
    ``options=None``) with ``options`` spelled ours; both take (hidden, weight, bias, target,
    class_weight) and use the bias / class weights as ``options`` say."""
    bias, weighted = options.get("bias", False), options.get("class_weight", False)
    rest = {k: v for k, v in options.items() if k not in ("bias", "class_weight")}

    def ours(h, w, b, t, cw):
        return al.linear_cross_entropy(
            h,
            w,
            t,
            linear_bias=b if bias else None,
            class_weight=cw if weighted else None,
            chunk_size=chunk_size,
            **rest,
        )

    def theirs(h, w, b, t, cw):
        import torch.nn.functional as F

        ignore = rest.get("ignore_index")
        return F.linear_cross_entropy(
            h,
            w,
            t,
            linear_bias=b if bias else None,
            weight=cw if weighted else None,
            ignore_index=-100 if ignore is None else ignore,
            label_smoothing=rest.get("label_smoothing", 0.0),
            reduction=rest.get("reduction", "mean"),
        )

    return ours, theirs


_LINEAR_CE_OPTIONS: tuple[dict, ...] = (
    {"bias": True},
    {"bias": True, "label_smoothing": 0.2},
    {"class_weight": True, "label_smoothing": 0.1},
    {"ignore_index": 5, "class_weight": True},
    {"reduction": "sum", "bias": True},
    {"reduction": "none", "ignore_index": 5, "label_smoothing": 0.3},
)

CASES += (
    Case(
        fn=al.linear_cross_entropy,
        hostile=Hostile(
            skip=(
                (
                    "minus_inf",
                    "softmax-based, but its logits (hidden @ head.T + bias) are computed inside, "
                    "in tiles: no input is a logit a mask could set to -inf",
                ),
            )
        ),
        adapter=Adapter(index_target=True, per_batch=("sample_weight",)),
        inputs=inputs.linear_head,
        args=("hidden", "head", "head_target"),
        params=(
            Params(linear_bias=Ref("head_bias"), chunk_size=4),
            Params(
                class_weight=Ref("head_class_weight"),
                ignore_index=5,
                label_smoothing=0.1,
                reduction="none",
            ),
            Params(
                linear_bias=Ref("head_bias"),
                class_weight=Ref("head_class_weight"),
                ignore_index=5,
                label_smoothing=0.2,
                chunk_size=4,
                sample_weight=Ref("weight"),
            ),
        ),
        grad=("hidden", "head", "head_bias"),
        checks=tuple(
            peer(
                f"torch F.linear_cross_entropy({options}), ours at chunk_size={chunk}",
                "torch",
                pair(
                    *_torch_linear_ce(options, chunk),
                    "hidden",
                    "head",
                    "head_bias",
                    "head_target",
                    "head_class_weight",
                    grad=("hidden", "head", "head_bias"),
                ),
                rtol=1e-10,
            )
            for options in _LINEAR_CE_OPTIONS
            for chunk in (None, 4)
        ),
    ),
)
