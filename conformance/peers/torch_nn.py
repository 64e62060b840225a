"""Cross-checks against ``torch.nn.functional`` (and ``torch.cdist``): values and gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import arraylosses as al

from ._base import PeerCheck, pair


def _elementwise(
    name: str, ours: Callable[..., Any], theirs: Callable[..., Any], label: str, **params: Any
) -> list[PeerCheck]:
    out = []
    for reduction in ("mean", "sum", "none"):
        out.append(
            PeerCheck(
                name,
                f"torch.nn.functional.{label}(reduction={reduction!r})",
                "torch",
                pair(
                    lambda p, t, r=reduction: ours(p, t, reduction=r, **params),
                    lambda p, t, r=reduction: theirs(p, t, reduction=r, **params),
                    "pred",
                    "target",
                ),
            )
        )
    return out


def _checks() -> list[PeerCheck]:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return [
            PeerCheck(n, "torch.nn.functional", "torch", lambda inputs: ([], []))
            for n in ("mse_loss",)
        ]
    import torch
    import torch.nn.functional as F

    checks = [
        *_elementwise("mse_loss", al.mse_loss, F.mse_loss, "mse_loss"),
        *_elementwise("l1_loss", al.l1_loss, F.l1_loss, "l1_loss"),
        *_elementwise("mae_loss", al.mae_loss, F.l1_loss, "l1_loss"),
        *_elementwise("huber_loss", al.huber_loss, F.huber_loss, "huber_loss"),
        *_elementwise(
            "huber_loss", al.huber_loss, F.huber_loss, "huber_loss(delta=0.5)", delta=0.5
        ),
        *_elementwise("smooth_l1_loss", al.smooth_l1_loss, F.smooth_l1_loss, "smooth_l1_loss"),
        *_elementwise(
            "smooth_l1_loss",
            al.smooth_l1_loss,
            F.smooth_l1_loss,
            "smooth_l1_loss(beta=0.5)",
            beta=0.5,
        ),
        *_elementwise(
            "smooth_l1_loss",
            al.smooth_l1_loss,
            F.smooth_l1_loss,
            "smooth_l1_loss(beta=0)",
            beta=0.0,
        ),
    ]
    for log_input in (True, False):
        for full in (False, True):
            pred = "pred" if log_input else "rate"
            for reduction in ("mean", "none"):
                kw = {"log_input": log_input, "full": full, "reduction": reduction}
                checks.append(
                    PeerCheck(
                        "poisson_nll_loss",
                        f"torch.nn.functional.poisson_nll_loss({kw})",
                        "torch",
                        pair(
                            lambda p, t, kw=kw: al.poisson_nll_loss(p, t, **kw),
                            lambda p, t, kw=kw: F.poisson_nll_loss(p, t, **kw),
                            pred,
                            "target",
                            grad=(pred,),
                        ),
                    )
                )
    for var in ("var", "var_row", "var_col", "var_tiny"):
        for full in (False, True):
            kw = {"full": full, "reduction": "none" if var == "var_row" else "mean"}
            checks.append(
                PeerCheck(
                    "gaussian_nll_loss",
                    f"torch.nn.functional.gaussian_nll_loss(var={var}, {kw})",
                    "torch",
                    pair(
                        lambda p, t, v, kw=kw: al.gaussian_nll_loss(p, t, v, **kw),
                        lambda p, t, v, kw=kw: F.gaussian_nll_loss(p, t, v, **kw),
                        "pred",
                        "target",
                        var,
                    ),
                )
            )
    checks += [
        PeerCheck(
            "cosine_similarity",
            "torch.nn.functional.cosine_similarity(dim=-1)",
            "torch",
            pair(al.cosine_similarity, lambda a, b: F.cosine_similarity(a, b, dim=-1), "a", "b"),
        ),
        PeerCheck(
            "cosine_similarity",
            "torch.nn.functional.cosine_similarity(dim=0)",
            "torch",
            pair(
                lambda a, b: al.cosine_similarity(a, b, axis=0),
                lambda a, b: F.cosine_similarity(a, b, dim=0),
                "a",
                "b",
            ),
        ),
        PeerCheck(
            "pairwise_cosine_similarity",
            "torch.nn.functional.cosine_similarity(a[:, None], b[None], dim=-1)",
            "torch",
            pair(
                al.pairwise_cosine_similarity,
                lambda a, b: F.cosine_similarity(a[:, None], b[None], dim=-1),
                "a",
                "c",
            ),
        ),
        PeerCheck(
            "pairwise_dot",
            "a @ b.T",
            "torch",
            pair(al.pairwise_dot, lambda a, b: a @ b.T, "a", "c"),
        ),
        PeerCheck(
            "pairwise_euclidean_distance",
            "torch.cdist(a, b, compute_mode='donot_use_mm_for_euclid_dist')",
            "torch",
            pair(
                al.pairwise_euclidean_distance,
                lambda a, b: torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"),
                "a",
                "c",
            ),
            rtol=1e-10,
            atol=1e-12,
            deviation="we expand |a|²+|b|²-2a·b (one matmul); torch's exact mode "
            "subtracts coordinates: agreement to ~1e-14 relative on these inputs",
        ),
        PeerCheck(
            "l2_normalize",
            "torch.nn.functional.normalize(dim=-1)",
            "torch",
            pair(al.l2_normalize, lambda x: F.normalize(x, dim=-1), "a"),
        ),
    ]
    return checks


CHECKS = tuple(_checks())


def _classification() -> list[PeerCheck]:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return []
    import torch.nn.functional as F

    import arraylosses as al

    checks = []
    for reduction in ("mean", "sum", "none"):
        for ls in (0.0, 0.2):
            for cw in (False, True):
                for ignore in (False, True):
                    labels = "labels_ignored" if ignore else "labels"
                    kw: dict[str, Any] = {"reduction": reduction, "label_smoothing": ls}
                    if ignore:
                        kw["ignore_index"] = -100

                    def ours(z, y, w=None, kw=kw):
                        return al.cross_entropy(z, y, class_weight=w, **kw)

                    def theirs(z, y, w=None, kw=kw):
                        return F.cross_entropy(z, y, weight=w, **kw)

                    names = ("logits", labels, "class_weight") if cw else ("logits", labels)
                    checks.append(
                        PeerCheck(
                            "cross_entropy",
                            f"torch.nn.functional.cross_entropy({kw}, weight={cw})",
                            "torch",
                            pair(ours, theirs, *names, grad=("logits",)),
                        )
                    )
        checks.append(
            PeerCheck(
                "cross_entropy",
                f"torch.nn.functional.cross_entropy(probabilities, smoothing 0.1, "
                f"weight, reduction={reduction!r})",
                "torch",
                pair(
                    lambda z, q, w, r=reduction: al.cross_entropy(
                        z, q, class_weight=w, label_smoothing=0.1, reduction=r
                    ),
                    lambda z, q, w, r=reduction: F.cross_entropy(
                        z, q, weight=w, label_smoothing=0.1, reduction=r
                    ),
                    "logits",
                    "probs",
                    "class_weight",
                    grad=("logits", "probs"),
                ),
            )
        )
        checks.append(
            PeerCheck(
                "nll_loss",
                f"torch.nn.functional.nll_loss(weight, ignore_index=-100, reduction={reduction!r})",
                "torch",
                pair(
                    lambda lp, y, w, r=reduction: al.nll_loss(
                        lp, y, class_weight=w, ignore_index=-100, reduction=r
                    ),
                    lambda lp, y, w, r=reduction: F.nll_loss(
                        lp, y, weight=w, ignore_index=-100, reduction=r
                    ),
                    "log_probs",
                    "labels_ignored",
                    "class_weight",
                    grad=("log_probs",),
                ),
            )
        )
        checks.append(
            PeerCheck(
                "binary_cross_entropy",
                f"torch.nn.functional.binary_cross_entropy(reduction={reduction!r})",
                "torch",
                pair(
                    lambda p, t, r=reduction: al.binary_cross_entropy(p, t, reduction=r),
                    lambda p, t, r=reduction: F.binary_cross_entropy(p, t, reduction=r),
                    "probs",
                    "soft_targets",
                ),
                deviation="torch clamps each log at -100, we clip p to [1e-7, 1-1e-7] (Keras): "
                "identical for these p in [0.05, 0.95]; for saturated p torch's loss "
                "reaches 100, ours 16.1",
            )
        )
        checks.append(
            PeerCheck(
                "binary_cross_entropy_with_logits",
                f"torch.nn.functional.binary_cross_entropy_with_logits(pos_weight, "
                f"reduction={reduction!r})",
                "torch",
                pair(
                    lambda z, t, pw, r=reduction: al.binary_cross_entropy_with_logits(
                        z, t, pos_weight=pw, reduction=r
                    ),
                    lambda z, t, pw, r=reduction: F.binary_cross_entropy_with_logits(
                        z, t, pos_weight=pw, reduction=r
                    ),
                    "logits",
                    "soft_targets",
                    "pos_weight",
                    grad=("logits", "soft_targets"),
                ),
            )
        )
        checks.append(
            PeerCheck(
                "margin_ranking_loss",
                f"torch.nn.functional.margin_ranking_loss(margin=0.5, reduction={reduction!r})",
                "torch",
                pair(
                    lambda a, b, y, r=reduction: al.margin_ranking_loss(
                        a, b, y, margin=0.5, reduction=r
                    ),
                    lambda a, b, y, r=reduction: F.margin_ranking_loss(
                        a, b, y, margin=0.5, reduction=r
                    ),
                    "x1",
                    "x2",
                    "rank_signs",
                    grad=("x1", "x2"),
                ),
            )
        )
    checks += [
        PeerCheck(
            "cross_entropy",
            "torch.nn.functional.cross_entropy((N, C, d) layout)",
            "torch",
            pair(
                lambda z, y: al.cross_entropy(z, y, axis=1),
                F.cross_entropy,
                "logits_ncd",
                "labels_nd",
                grad=("logits_ncd",),
            ),
        ),
        PeerCheck(
            "kl_divergence",
            "torch.nn.functional.kl_div(log_softmax(z), t, reduction='batchmean')",
            "torch",
            pair(
                al.kl_divergence,
                lambda z, t: F.kl_div(F.log_softmax(z, dim=-1), t, reduction="batchmean"),
                "logits",
                "probs_with_zero",
                grad=("logits",),
            ),
        ),
    ]
    return checks


CHECKS = CHECKS + tuple(_classification())


def _embedding() -> list[PeerCheck]:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return []
    import torch.nn.functional as F

    import arraylosses as al

    checks = []
    for reduction in ("mean", "none"):
        for kw in ({}, {"swap": True}, {"p": 1.5}, {"margin": 3.0, "eps": 1e-3}):
            args = {**kw, "reduction": reduction}
            checks.append(
                PeerCheck(
                    "triplet_margin_loss",
                    f"torch.nn.functional.triplet_margin_loss({args})",
                    "torch",
                    pair(
                        lambda a, p, n, args=args: al.triplet_margin_loss(a, p, n, **args),
                        lambda a, p, n, args=args: F.triplet_margin_loss(a, p, n, **args),
                        "a",
                        "b",
                        "c",
                    ),
                )
            )
        for margin in (0.0, 0.2):
            checks.append(
                PeerCheck(
                    "cosine_embedding_loss",
                    f"torch.nn.functional.cosine_embedding_loss(margin={margin}, "
                    f"reduction={reduction!r})",
                    "torch",
                    pair(
                        lambda a, b, y, m=margin, r=reduction: al.cosine_embedding_loss(
                            a, b, y, margin=m, reduction=r
                        ),
                        lambda a, b, y, m=margin, r=reduction: F.cosine_embedding_loss(
                            a, b, y, margin=m, reduction=r
                        ),
                        "a",
                        "b",
                        "signs",
                    ),
                    rtol=1e-10,
                    atol=1e-12,
                    deviation="torch adds 1e-12 to each squared norm, we clamp each norm at 1e-8: "
                    "~1e-15 relative here",
                )
            )
    return checks


CHECKS = CHECKS + tuple(_embedding())


def _ranking() -> list[PeerCheck]:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return []
    import torch
    import torch.nn.functional as F

    def bce_of_gap(pos: Any, neg: Any, reduction: str) -> Any:
        gap = pos[:, None] - (neg if neg.ndim == 2 else neg[:, None])
        per_pair = F.binary_cross_entropy_with_logits(gap, torch.ones_like(gap), reduction="none")
        per_row = per_pair.mean(dim=1)
        return {"mean": per_row.mean(), "sum": per_row.sum(), "none": per_row}[reduction]

    return [
        PeerCheck(
            "bpr_loss",
            f"torch.nn.functional.binary_cross_entropy_with_logits(s⁺ - s⁻, 1), {reduction}",
            "torch",
            pair(
                lambda p, n, r=reduction: al.bpr_loss(p, n, reduction=r),
                lambda p, n, r=reduction: bce_of_gap(p, n, r),
                "pos",
                negatives,
            ),
        )
        for reduction in ("mean", "none")
        for negatives in ("neg_1", "neg_k")
    ]


CHECKS = CHECKS + tuple(_ranking())
