"""Cross-checks against sentence-transformers' losses, fed fixed embeddings.

Every loss there has ``compute_loss_from_embeddings(embeddings, labels)``; the model is only
used to embed text, so an empty ``torch.nn.Module`` stands in for it and the comparison is
exact. Values and gradients (with respect to the embeddings) in float64.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import arraylosses as al

from ._base import PeerCheck

LIBRARY = "sentence_transformers"


def _st(loss_name: str, ours: Callable[..., Any], embeddings: tuple[str, ...],
        labels: str | None, **peer_kwargs: Any) -> Callable[..., Any]:
    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import torch
        from sentence_transformers.sentence_transformer import losses

        results = []
        for side in ("ours", "theirs"):
            emb = [torch.tensor(inputs[n], dtype=torch.float64, requires_grad=True)
                   for n in embeddings]
            y = None if labels is None else torch.tensor(inputs[labels])
            if side == "ours":
                out = ours(*emb, y)
            else:
                resolved = {k: v() if callable(v) and k == "distance_metric" else v
                            for k, v in peer_kwargs.items()}
                loss = getattr(losses, loss_name)(torch.nn.Module(), **resolved)
                with warnings.catch_warnings():  # it warns once about soft (non-0/1) labels
                    warnings.filterwarnings("ignore", message=".*expects binary labels.*")
                    out = loss.compute_loss_from_embeddings(emb, y)
            grads = torch.autograd.grad(out, emb)
            results.append([out.detach().numpy(), *(g.numpy() for g in grads)])
        return results[0], results[1]

    return run


def _euclidean_siamese() -> Any:
    from sentence_transformers.sentence_transformer.losses.contrastive import (
        SiameseDistanceMetric,
    )

    return SiameseDistanceMetric.EUCLIDEAN


PAIRWISE_DISTANCE_EPS = ("sentence-transformers' Euclidean distance is torch's pairwise_distance, "
                         "which adds eps=1e-6 to the difference; ours is exact: agreement to "
                         "~1e-6 relative")

CHECKS = (
    PeerCheck("contrastive_loss", "sentence_transformers ContrastiveLoss (cosine, margin 0.5)",
              LIBRARY, _st("ContrastiveLoss",
                           lambda a, b, y: al.contrastive_loss(a, b, y, margin=0.5,
                                                               distance="cosine"),
                           ("a", "b"), "bits")),
    PeerCheck("contrastive_loss", "sentence_transformers ContrastiveLoss (soft labels)", LIBRARY,
              _st("ContrastiveLoss",
                  lambda a, b, y: al.contrastive_loss(a, b, y, margin=0.5, distance="cosine"),
                  ("a", "b"), "soft"),
              rtol=1e-7, deviation="sentence-transformers casts the labels to float32 "
                                   "(labels.float()): soft labels agree to float32 rounding"),
    PeerCheck("contrastive_loss", "sentence_transformers ContrastiveLoss (Euclidean, margin 3)",
              LIBRARY, _st("ContrastiveLoss",
                           lambda a, b, y: al.contrastive_loss(a, b, y, margin=3.0),
                           ("a", "b"), "bits", distance_metric=_euclidean_siamese, margin=3.0),
              rtol=1e-5, atol=1e-5, deviation=PAIRWISE_DISTANCE_EPS),
    PeerCheck("online_contrastive_loss", "sentence_transformers OnlineContrastiveLoss", LIBRARY,
              _st("OnlineContrastiveLoss", al.online_contrastive_loss, ("a", "b"), "bits")),
    PeerCheck("online_contrastive_loss",
              "sentence_transformers OnlineContrastiveLoss (no negatives in the batch)", LIBRARY,
              _st("OnlineContrastiveLoss", al.online_contrastive_loss, ("a", "b"),
                  "all_positive")),
    PeerCheck("online_contrastive_loss",
              "sentence_transformers OnlineContrastiveLoss (Euclidean, margin 3)", LIBRARY,
              _st("OnlineContrastiveLoss",
                  lambda a, b, y: al.online_contrastive_loss(a, b, y, margin=3.0,
                                                             distance="euclidean"),
                  ("a", "b"), "bits", distance_metric=_euclidean_siamese, margin=3.0),
              rtol=1e-5, atol=1e-5, deviation=PAIRWISE_DISTANCE_EPS),
    PeerCheck("triplet_margin_loss", "sentence_transformers TripletLoss (Euclidean, margin 5)",
              LIBRARY, _st("TripletLoss",
                           lambda a, p, n, _: al.triplet_margin_loss(a, p, n, margin=5.0,
                                                                     eps=0.0),
                           ("a", "b", "c"), None),
              deviation="sentence-transformers' Euclidean distance has no eps: ours with "
                        "eps=0.0 (torch's default 1e-6 differs by ~1e-6)"),
    PeerCheck("cosent_loss", "sentence_transformers CoSENTLoss(scale=20)", LIBRARY,
              _st("CoSENTLoss", al.cosent_loss, ("a", "b"), "scores")),
    PeerCheck("cosent_loss", "sentence_transformers CoSENTLoss(scale=20), binary scores", LIBRARY,
              _st("CoSENTLoss", al.cosent_loss, ("a", "b"), "bits")),
    PeerCheck("angle_loss", "sentence_transformers AnglELoss(scale=20)", LIBRARY,
              _st("AnglELoss", al.angle_loss, ("a", "b"), "scores")),
    PeerCheck("angle_loss", "sentence_transformers AnglELoss(scale=20), odd width", LIBRARY,
              _st("AnglELoss", al.angle_loss, ("a_odd", "b_odd"), "scores")),
)


def _mnrl(negatives: str | None, **kw: Any) -> Callable[..., Any]:
    """Our MNRL against sentence-transformers' on the same (anchor, positive, negatives...)
    columns; hard negatives ``(B, K, D)`` become K columns there."""

    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import torch
        from sentence_transformers import util
        from sentence_transformers.sentence_transformer import losses

        similarity = kw.get("similarity", "cosine")
        peer_kw = {k: v for k, v in kw.items() if k != "similarity"}
        results = []
        for side in ("ours", "theirs"):
            q = torch.tensor(inputs["q"], requires_grad=True)
            p = torch.tensor(inputs["p"], requires_grad=True)
            n = None if negatives is None else torch.tensor(inputs[negatives], requires_grad=True)
            leaves = [q, p] + ([] if n is None else [n])
            if side == "ours":
                out = al.multiple_negatives_ranking_loss(q, p, n, **kw)
            else:
                columns = [] if n is None else (
                    [n] if n.ndim == 2 else [n[:, k, :] for k in range(n.shape[1])])
                fct = util.cos_sim if similarity == "cosine" else util.dot_score
                loss = losses.MultipleNegativesRankingLoss(torch.nn.Module(), similarity_fct=fct,
                                                          **peer_kw)
                out = loss.compute_loss_from_embeddings([q, p, *columns], None)
            grads = torch.autograd.grad(out, leaves)
            results.append([out.detach().numpy(), *(g.numpy() for g in grads)])
        return results[0], results[1]

    return run


def _mnrl_checks() -> list[PeerCheck]:
    """Every combination of the options: 8 direction sets x the partition modes each allows x
    4 hardness settings x 3 negative layouts x 2 similarities = 240 checks."""
    import itertools

    extra = ("query_to_query", "doc_to_query", "doc_to_doc")
    direction_sets = [("query_to_doc", *c) for r in range(4) for c in itertools.combinations(
        extra, r)]
    checks = []
    for directions in direction_sets:
        modes = ("joint",) if {"query_to_query", "doc_to_doc"} & set(directions) else (
            "joint", "per_direction")
        for mode, hardness, negatives, similarity in itertools.product(
                modes, (None, "in_batch_negatives", "hard_negatives", "all_negatives"),
                (None, "negatives_1", "negatives_k"), ("cosine", "dot")):
            kw: dict[str, Any] = {"directions": directions, "partition_mode": mode,
                                  "similarity": similarity}
            if similarity == "dot":
                kw["scale"] = 1.0
            if hardness is not None:
                kw.update(hardness_mode=hardness, hardness_strength=0.5)
            checks.append(PeerCheck(
                "multiple_negatives_ranking_loss",
                f"sentence_transformers MultipleNegativesRankingLoss({kw}, "
                f"negatives={negatives})", LIBRARY, _mnrl(negatives, **kw)))

    def symmetric(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import torch
        from sentence_transformers.sentence_transformer import losses

        results = []
        for side in ("ours", "theirs"):
            q = torch.tensor(inputs["q"], requires_grad=True)
            p = torch.tensor(inputs["p"], requires_grad=True)
            n = torch.tensor(inputs["negatives_k"], requires_grad=True)
            if side == "ours":
                out = al.multiple_negatives_symmetric_ranking_loss(q, p, n)
            else:
                with warnings.catch_warnings():  # deprecated in favour of the MNRL preset
                    warnings.simplefilter("ignore", DeprecationWarning)
                    loss = losses.MultipleNegativesSymmetricRankingLoss(torch.nn.Module())
                out = loss.compute_loss_from_embeddings(
                    [q, p, *(n[:, k, :] for k in range(n.shape[1]))], None)
            grads = torch.autograd.grad(out, [q, p, n])
            results.append([out.detach().numpy(), *(g.numpy() for g in grads)])
        return results[0], results[1]

    checks.append(PeerCheck("multiple_negatives_symmetric_ranking_loss",
                            "sentence_transformers MultipleNegativesSymmetricRankingLoss",
                            LIBRARY, symmetric))
    return checks


CHECKS = CHECKS + tuple(_mnrl_checks())


def _matryoshka(negatives: bool, weights: tuple[float, ...] | None) -> Callable[..., Any]:
    """sentence-transformers' MatryoshkaLoss semantics on fixed embeddings: its ``shrink``
    (truncate, L2-normalise) per dim, the inner MNRL per dim, the weighted sum."""

    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import torch
        from sentence_transformers.sentence_transformer import losses
        from sentence_transformers.sentence_transformer.losses.matryoshka import shrink

        dims = (6, 4, 2)
        w = weights or (1.0,) * len(dims)
        results = []
        for side in ("ours", "theirs"):
            q = torch.tensor(inputs["q"], requires_grad=True)
            p = torch.tensor(inputs["p"], requires_grad=True)
            n = torch.tensor(inputs["negatives"], requires_grad=True)
            leaves = [q, p, n] if negatives else [q, p]
            if side == "ours":
                fn = al.matryoshka(al.multiple_negatives_ranking_loss, dims, weights=weights)
                out = fn(q, p, n if negatives else None)
            else:
                inner = losses.MultipleNegativesRankingLoss(torch.nn.Module())
                cols = [q, p, *([n[:, k, :] for k in range(n.shape[1])] if negatives else [])]
                out = sum(wk * inner.compute_loss_from_embeddings([shrink(c, d) for c in cols],
                                                                  None)
                          for d, wk in zip(dims, w, strict=True))
            grads = torch.autograd.grad(out, leaves)
            results.append([out.detach().numpy(), *(g.numpy() for g in grads)])
        return results[0], results[1]

    return run


CHECKS = CHECKS + tuple(
    PeerCheck("matryoshka", f"sentence_transformers MatryoshkaLoss(MNRL, dims=(6, 4, 2), "
                            f"weights={w}), negatives={neg}", LIBRARY, _matryoshka(neg, w),
              rtol=1e-10, atol=1e-12)
    for neg in (False, True) for w in (None, (1.0, 0.5, 0.25)))


def _gor(aggregation: str, mean_weight: float, second_weight: float) -> Callable[..., Any]:
    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import torch
        from sentence_transformers.sentence_transformer import losses

        results = []
        for side in ("ours", "theirs"):
            a = torch.tensor(inputs["a"], requires_grad=True)
            n = torch.tensor(inputs["n"], requires_grad=True)
            if side == "ours":
                m, s = al.global_orthogonal_regularization(
                    a, n, aggregation=aggregation, mean_weight=mean_weight,
                    second_moment_weight=second_weight, return_terms=True)
            else:
                out = losses.GlobalOrthogonalRegularizationLoss(
                    torch.nn.Module(), aggregation=aggregation, mean_weight=mean_weight,
                    second_moment_weight=second_weight).compute_loss_from_embeddings([a, n])
                m, s = out["gor_mean"], out["gor_second_moment"]
            grads = torch.autograd.grad(m + s, [a, n])
            results.append([m.detach().numpy(), s.detach().numpy(), *(g.numpy() for g in grads)])
        return results[0], results[1]

    return run


CHECKS = CHECKS + tuple(
    PeerCheck("global_orthogonal_regularization",
              f"sentence_transformers GlobalOrthogonalRegularizationLoss(aggregation={agg!r}, "
              f"mean_weight={mw}, second_moment_weight={sw})", LIBRARY, _gor(agg, mw, sw))
    for agg in ("mean", "sum") for mw, sw in ((1.0, 1.0), (0.5, 2.0)))
