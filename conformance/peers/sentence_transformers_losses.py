"""Cross-checks against sentence-transformers' losses, fed fixed embeddings.

Every loss there has ``compute_loss_from_embeddings(embeddings, labels)``; the model is only
used to embed text, so an empty ``torch.nn.Module`` stands in for it and the comparison is
exact. Values and gradients (with respect to the embeddings) in float64.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import arraylosses as al

from ._base import PeerCheck, Run, pair

LIBRARY = "sentence_transformers"


def _st(
    loss_name: str,
    ours: Callable[..., Any],
    embeddings: tuple[str, ...],
    labels: str | None,
    **peer_kwargs: Any,
) -> Run:
    """Ours as ``ours(*embeddings, labels)`` against ``compute_loss_from_embeddings``;
    gradients with respect to the embeddings."""
    n = len(embeddings)

    def split(arrays: tuple[Any, ...]) -> tuple[list[Any], Any]:
        return list(arrays[:n]), arrays[n] if labels is not None else None

    def theirs(*arrays: Any) -> Any:
        import torch
        from sentence_transformers.sentence_transformer import losses

        emb, y = split(arrays)
        resolved = {
            k: v() if callable(v) and k == "distance_metric" else v for k, v in peer_kwargs.items()
        }
        loss = getattr(losses, loss_name)(torch.nn.Module(), **resolved)
        with warnings.catch_warnings():  # it warns once about soft (non-0/1) labels
            warnings.filterwarnings("ignore", message=".*expects binary labels.*")
            return loss.compute_loss_from_embeddings(emb, y)

    def ours_(*arrays: Any) -> Any:
        emb, y = split(arrays)
        return ours(*emb, y)

    return pair(ours_, theirs, *embeddings, *([labels] if labels else []), grad=embeddings)


def _euclidean_siamese() -> Any:
    from sentence_transformers.sentence_transformer.losses.contrastive import (
        SiameseDistanceMetric,
    )

    return SiameseDistanceMetric.EUCLIDEAN


PAIRWISE_DISTANCE_EPS = (
    "sentence-transformers' Euclidean distance is torch's pairwise_distance, "
    "which adds eps=1e-6 to the difference; ours is exact: agreement to "
    "~1e-6 relative"
)

CHECKS = (
    PeerCheck(
        "contrastive_loss",
        "sentence_transformers ContrastiveLoss (cosine, margin 0.5)",
        LIBRARY,
        _st(
            "ContrastiveLoss",
            lambda a, b, y: al.contrastive_loss(a, b, y, margin=0.5, distance="cosine"),
            ("a", "b"),
            "bits",
        ),
    ),
    PeerCheck(
        "contrastive_loss",
        "sentence_transformers ContrastiveLoss (soft labels)",
        LIBRARY,
        _st(
            "ContrastiveLoss",
            lambda a, b, y: al.contrastive_loss(a, b, y, margin=0.5, distance="cosine"),
            ("a", "b"),
            "soft",
        ),
        rtol=1e-7,
        deviation="sentence-transformers casts the labels to float32 "
        "(labels.float()): soft labels agree to float32 rounding",
    ),
    PeerCheck(
        "contrastive_loss",
        "sentence_transformers ContrastiveLoss (Euclidean, margin 3)",
        LIBRARY,
        _st(
            "ContrastiveLoss",
            lambda a, b, y: al.contrastive_loss(a, b, y, margin=3.0),
            ("a", "b"),
            "bits",
            distance_metric=_euclidean_siamese,
            margin=3.0,
        ),
        rtol=1e-5,
        atol=1e-5,
        deviation=PAIRWISE_DISTANCE_EPS,
    ),
    PeerCheck(
        "online_contrastive_loss",
        "sentence_transformers OnlineContrastiveLoss",
        LIBRARY,
        _st("OnlineContrastiveLoss", al.online_contrastive_loss, ("a", "b"), "bits"),
    ),
    PeerCheck(
        "online_contrastive_loss",
        "sentence_transformers OnlineContrastiveLoss (no negatives in the batch)",
        LIBRARY,
        _st("OnlineContrastiveLoss", al.online_contrastive_loss, ("a", "b"), "all_positive"),
    ),
    PeerCheck(
        "online_contrastive_loss",
        "sentence_transformers OnlineContrastiveLoss (Euclidean, margin 3)",
        LIBRARY,
        _st(
            "OnlineContrastiveLoss",
            lambda a, b, y: al.online_contrastive_loss(a, b, y, margin=3.0, distance="euclidean"),
            ("a", "b"),
            "bits",
            distance_metric=_euclidean_siamese,
            margin=3.0,
        ),
        rtol=1e-5,
        atol=1e-5,
        deviation=PAIRWISE_DISTANCE_EPS,
    ),
    PeerCheck(
        "triplet_margin_loss",
        "sentence_transformers TripletLoss (Euclidean, margin 5)",
        LIBRARY,
        _st(
            "TripletLoss",
            lambda a, p, n, _: al.triplet_margin_loss(a, p, n, margin=5.0, eps=0.0),
            ("a", "b", "c"),
            None,
        ),
        deviation="sentence-transformers' Euclidean distance has no eps: ours with "
        "eps=0.0 (torch's default 1e-6 differs by ~1e-6)",
    ),
    PeerCheck(
        "cosent_loss",
        "sentence_transformers CoSENTLoss(scale=20)",
        LIBRARY,
        _st("CoSENTLoss", al.cosent_loss, ("a", "b"), "scores"),
    ),
    PeerCheck(
        "cosent_loss",
        "sentence_transformers CoSENTLoss(scale=20), binary scores",
        LIBRARY,
        _st("CoSENTLoss", al.cosent_loss, ("a", "b"), "bits"),
    ),
    PeerCheck(
        "angle_loss",
        "sentence_transformers AnglELoss(scale=20)",
        LIBRARY,
        _st("AnglELoss", al.angle_loss, ("a", "b"), "scores"),
    ),
    PeerCheck(
        "angle_loss",
        "sentence_transformers AnglELoss(scale=20), odd width",
        LIBRARY,
        _st("AnglELoss", al.angle_loss, ("a_odd", "b_odd"), "scores"),
    ),
)


def _columns(n: Any) -> list[Any]:
    """Hard negatives as sentence-transformers' columns: ``(B, D)`` is one, ``(B, K, D)`` K."""
    return [n] if n.ndim == 2 else [n[:, k, :] for k in range(n.shape[1])]


def _mnrl(negatives: str | None, **kw: Any) -> Run:
    """Our MNRL against sentence-transformers' on the same (anchor, positive, negatives...)
    columns; hard negatives ``(B, K, D)`` become K columns there."""
    similarity = kw.get("similarity", "cosine")
    peer_kw = {k: v for k, v in kw.items() if k != "similarity"}

    def ours(q: Any, p: Any, n: Any = None) -> Any:
        return al.multiple_negatives_ranking_loss(q, p, n, **kw)

    def theirs(q: Any, p: Any, n: Any = None) -> Any:
        import torch
        from sentence_transformers import util
        from sentence_transformers.sentence_transformer import losses

        fct = util.cos_sim if similarity == "cosine" else util.dot_score
        loss = losses.MultipleNegativesRankingLoss(torch.nn.Module(), similarity_fct=fct, **peer_kw)
        return loss.compute_loss_from_embeddings([q, p, *([] if n is None else _columns(n))], None)

    return pair(ours, theirs, "q", "p", *([negatives] if negatives else []))


def _mnrl_checks() -> list[PeerCheck]:
    """Every combination of the options: 8 direction sets x the partition modes each allows x
    4 hardness settings x 3 negative layouts x 2 similarities = 240 checks."""
    import itertools

    extra = ("query_to_query", "doc_to_query", "doc_to_doc")
    direction_sets = [
        ("query_to_doc", *c) for r in range(4) for c in itertools.combinations(extra, r)
    ]
    checks = []
    for directions in direction_sets:
        modes = (
            ("joint",)
            if {"query_to_query", "doc_to_doc"} & set(directions)
            else ("joint", "per_direction")
        )
        for mode, hardness, negatives, similarity in itertools.product(
            modes,
            (None, "in_batch_negatives", "hard_negatives", "all_negatives"),
            (None, "negatives_1", "negatives_k"),
            ("cosine", "dot"),
        ):
            kw: dict[str, Any] = {
                "directions": directions,
                "partition_mode": mode,
                "similarity": similarity,
            }
            if similarity == "dot":
                kw["scale"] = 1.0
            if hardness is not None:
                kw.update(hardness_mode=hardness, hardness_strength=0.5)
            checks.append(
                PeerCheck(
                    "multiple_negatives_ranking_loss",
                    f"sentence_transformers MultipleNegativesRankingLoss({kw}, "
                    f"negatives={negatives})",
                    LIBRARY,
                    _mnrl(negatives, **kw),
                )
            )

    def symmetric(q: Any, p: Any, n: Any) -> Any:
        import torch
        from sentence_transformers.sentence_transformer import losses

        with warnings.catch_warnings():  # deprecated in favour of the MNRL preset
            warnings.simplefilter("ignore", DeprecationWarning)
            loss = losses.MultipleNegativesSymmetricRankingLoss(torch.nn.Module())
        return loss.compute_loss_from_embeddings([q, p, *_columns(n)], None)

    checks.append(
        PeerCheck(
            "multiple_negatives_symmetric_ranking_loss",
            "sentence_transformers MultipleNegativesSymmetricRankingLoss",
            LIBRARY,
            pair(al.multiple_negatives_symmetric_ranking_loss, symmetric, "q", "p", "negatives_k"),
        )
    )
    return checks


CHECKS = CHECKS + tuple(_mnrl_checks())


def _matryoshka(negatives: bool, weights: tuple[float, ...] | None) -> Run:
    """sentence-transformers' MatryoshkaLoss semantics on fixed embeddings: its ``shrink``
    (truncate, L2-normalise) per dim, the inner MNRL per dim, the weighted sum."""
    dims = (6, 4, 2)

    def ours(q: Any, p: Any, n: Any = None) -> Any:
        return al.matryoshka(al.multiple_negatives_ranking_loss, dims, dim_weights=weights)(q, p, n)

    def theirs(q: Any, p: Any, n: Any = None) -> Any:
        import torch
        from sentence_transformers.sentence_transformer import losses
        from sentence_transformers.sentence_transformer.losses.matryoshka import shrink

        inner = losses.MultipleNegativesRankingLoss(torch.nn.Module())
        cols = [q, p, *([] if n is None else _columns(n))]
        return sum(
            wk * inner.compute_loss_from_embeddings([shrink(c, d) for c in cols], None)
            for d, wk in zip(dims, weights or (1.0,) * len(dims), strict=True)
        )

    return pair(ours, theirs, "q", "p", *(["negatives"] if negatives else []))


CHECKS = CHECKS + tuple(
    PeerCheck(
        "matryoshka",
        f"sentence_transformers MatryoshkaLoss(MNRL, dims=(6, 4, 2), "
        f"dim_weights={w}), negatives={neg}",
        LIBRARY,
        _matryoshka(neg, w),
        rtol=1e-10,
        atol=1e-12,
    )
    for neg in (False, True)
    for w in (None, (1.0, 0.5, 0.25))
)


def _gor(aggregation: str, mean_weight: float, second_weight: float) -> Run:
    """Both terms (mean, second moment) and the gradients of their weighted sum."""
    kw = {
        "aggregation": aggregation,
        "mean_weight": mean_weight,
        "second_moment_weight": second_weight,
    }

    def ours(a: Any, n: Any) -> Any:
        return al.global_orthogonal_regularization(a, n, return_terms=True, **kw)

    def theirs(a: Any, n: Any) -> Any:
        import torch
        from sentence_transformers.sentence_transformer import losses

        loss = losses.GlobalOrthogonalRegularizationLoss(torch.nn.Module(), **kw)
        out = loss.compute_loss_from_embeddings([a, n])
        return out["gor_mean"], out["gor_second_moment"]

    return pair(ours, theirs, "a", "n")


CHECKS = CHECKS + tuple(
    PeerCheck(
        "global_orthogonal_regularization",
        f"sentence_transformers GlobalOrthogonalRegularizationLoss(aggregation={agg!r}, "
        f"mean_weight={mw}, second_moment_weight={sw})",
        LIBRARY,
        _gor(agg, mw, sw),
    )
    for agg in ("mean", "sum")
    for mw, sw in ((1.0, 1.0), (0.5, 2.0))
)
