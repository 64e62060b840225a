"""arraylosses' embedding losses as sentence-transformers loss modules.

Importing this module imports torch (importing :mod:`arraylosses` does not);
sentence-transformers is imported when a model is run or one of its objects is named.
Install from a clone with the extra: ``pip install ".[sentence-transformers]"``.

Each class follows sentence-transformers' own loss contract: an ``nn.Module`` built from
``model`` and the hyperparameters, ``forward(sentence_features, labels)`` embedding every
input column with the model (one embedding per column, as sentence-transformers' losses do)
and returning the loss, ``compute_loss_from_embeddings(embeddings, labels)``,
``get_config_dict()`` and ``citation``; so they work with ``SentenceTransformerTrainer`` and
model cards::

    from arraylosses.sentence_transformers import MultipleNegativesRankingLoss, MatryoshkaLoss

    loss = MultipleNegativesRankingLoss(model, scale=20.0, chunk_size=1024)
    loss = MatryoshkaLoss(model, loss, matryoshka_dims=[768, 512, 256, 128, 64])

The named classes mirror sentence-transformers' losses of the same name (same defaults, same
columns and labels): :class:`MultipleNegativesRankingLoss` (every option of 6.x: ``directions``,
``partition_mode``, ``hardness_mode``, ``hardness_strength``),
:class:`MultipleNegativesSymmetricRankingLoss`, :class:`CoSENTLoss`, :class:`AnglELoss`,
:class:`ContrastiveLoss`, :class:`OnlineContrastiveLoss`, :class:`TripletLoss` and
:class:`MatryoshkaLoss` (around any of them); the in-batch ones take ``chunk_size`` (the tiled,
recompute-in-backward path: memory O(N·chunk) instead of O(N²), same value and gradients).
:class:`ArrayLoss` turns any other arraylosses function (``info_nce``, ``clip_loss``,
``siglip_loss``, ``nt_xent_loss``, ``supcon_loss``, ...) into a loss module: the columns'
embeddings are its positional arguments, followed by the labels when it takes them.

Similarity and distance are named by string (``"cosine"``, ``"dot"``; ``"euclidean"``,
``"cosine"``); sentence-transformers' own ``similarity_fct`` / ``distance_metric`` values for
these are accepted too.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn

import arraylosses as _al

__all__ = [
    "AnglELoss",
    "ArrayLoss",
    "CoSENTLoss",
    "ContrastiveLoss",
    "MatryoshkaLoss",
    "MultipleNegativesRankingLoss",
    "MultipleNegativesSymmetricRankingLoss",
    "OnlineContrastiveLoss",
    "TripletLoss",
]


def _embed(model: nn.Module | None, sentence_features: Iterable[dict[str, Any]]) -> list[Any]:
    """One ``sentence_embedding`` per column, as sentence-transformers' losses compute them
    (its ``embed_columns`` where this version has it)."""
    if model is None:
        raise ValueError(
            "this loss has no model to embed the inputs with: build it with the "
            "SentenceTransformer as model, or call compute_loss_from_embeddings"
        )
    try:
        from sentence_transformers.base.losses.merged_forward import embed_columns
    except ImportError:  # older sentence-transformers: one forward per column
        return [model(f)["sentence_embedding"] for f in sentence_features]
    return embed_columns(model, sentence_features)


def _similarity(value: Any) -> str:
    if isinstance(value, str):
        return value
    from sentence_transformers import util

    names = {util.cos_sim: "cosine", util.dot_score: "dot"}
    if value in names:
        return names[value]
    raise ValueError(
        f"similarity must be 'cosine' or 'dot' (or util.cos_sim/dot_score); got {value!r}"
    )


def _distance(value: Any, kind: str) -> str:
    if isinstance(value, str):
        return value
    # their "members" are lambdas, i.e. plain functions on the Enum class: compare identities
    from sentence_transformers.sentence_transformer.losses import contrastive, triplet

    known = {
        contrastive.SiameseDistanceMetric.EUCLIDEAN: "euclidean",
        contrastive.SiameseDistanceMetric.COSINE_DISTANCE: "cosine",
        triplet.TripletDistanceMetric.EUCLIDEAN: "euclidean",
        triplet.TripletDistanceMetric.COSINE: "cosine",
    }
    for fn, name in known.items():
        if value is fn:
            return name
    raise ValueError(
        f"distance_metric must be 'euclidean' or 'cosine' (or {kind}.EUCLIDEAN / its cosine "
        f"distance); got {value!r}"
    )


class ArrayLoss(nn.Module):
    """Any arraylosses function as a sentence-transformers loss: ``loss_fn(*embeddings,
    [labels,] **hyperparameters)``, the embeddings of the input columns in order, then the
    labels when ``loss_fn`` has a positional parameter left for them (``labels="auto"``;
    ``True`` or ``False`` to say so).

    Subclasses override :meth:`arguments` (how columns and labels become the function's
    arguments); :class:`MatryoshkaLoss` wraps any of them through it.
    """

    loss_fn: Callable[..., Any]

    def __init__(
        self,
        model: nn.Module | None,
        loss_fn: Callable[..., Any] | None = None,
        *,
        labels: bool | str = "auto",
        **hyperparameters: Any,
    ) -> None:
        super().__init__()
        self.model = model
        if loss_fn is not None:
            self.loss_fn = loss_fn
        if not callable(getattr(self, "loss_fn", None)):
            raise TypeError("loss_fn must be an arraylosses function")
        self.labels = labels
        self.hyperparameters = hyperparameters

    def arguments(self, embeddings: list[Any], labels: Any) -> tuple[tuple, dict[str, Any]]:
        """``(positional, keyword)`` arguments of ``loss_fn`` for these columns and labels."""
        args = list(embeddings)
        take = self.labels
        if take == "auto":
            positional = [
                p
                for p in inspect.signature(self.loss_fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            take = labels is not None and len(positional) > len(args)
        if take:
            args.append(labels)
        return tuple(args), dict(self.hyperparameters)

    def compute_loss_from_embeddings(self, embeddings: list[Any], labels: Any = None) -> Any:
        args, kwargs = self.arguments(list(embeddings), labels)
        return self.loss_fn(*args, **kwargs)

    def forward(self, sentence_features: Iterable[dict[str, Any]], labels: Any = None) -> Any:
        return self.compute_loss_from_embeddings(_embed(self.model, sentence_features), labels)

    def get_config_dict(self) -> dict[str, Any]:
        return {"loss_fn": f"arraylosses.{self.loss_fn.__name__}", **self.hyperparameters}

    @property
    def citation(self) -> str | None:
        return None


class MultipleNegativesRankingLoss(ArrayLoss):
    """sentence-transformers' ``MultipleNegativesRankingLoss`` on
    :func:`arraylosses.multiple_negatives_ranking_loss`: columns (anchor, positive,
    negative_1, ..., negative_n), no labels; same defaults and options, plus ``chunk_size``.
    ``gather_across_devices`` is not taken (pass ``offset``/``all_anchors`` to the function
    yourself)."""

    loss_fn: Callable[..., Any] = staticmethod(_al.multiple_negatives_ranking_loss)

    def __init__(
        self,
        model: nn.Module | None,
        scale: float = 20.0,
        similarity_fct: Any = "cosine",
        directions: tuple[str, ...] = ("query_to_doc",),
        partition_mode: str = "joint",
        hardness_mode: str | None = None,
        hardness_strength: float = 0.0,
        chunk_size: int | None = None,
    ) -> None:
        super().__init__(
            model,
            scale=scale,
            similarity=_similarity(similarity_fct),
            directions=tuple(directions),
            partition_mode=partition_mode,
            hardness_mode=hardness_mode,
            hardness_strength=hardness_strength,
            chunk_size=chunk_size,
        )

    def arguments(self, embeddings: list[Any], labels: Any) -> tuple[tuple, dict[str, Any]]:
        anchors, positives, *negatives = embeddings
        args: tuple[Any, ...] = (anchors, positives)
        if negatives:
            args += (torch.stack(negatives, dim=1),)  # (B, K, D): column k is negatives[:, k]
        return args, dict(self.hyperparameters)

    def get_config_dict(self) -> dict[str, Any]:
        return dict(self.hyperparameters)

    @property
    def citation(self) -> str:
        return (
            "@misc{oord2019representationlearningcontrastivepredictive,\n"
            "  title={Representation Learning with Contrastive Predictive Coding},\n"
            "  author={Aaron van den Oord and Yazhe Li and Oriol Vinyals},\n"
            "  year={2019}, eprint={1807.03748}, archivePrefix={arXiv},\n}"
        )


class MultipleNegativesSymmetricRankingLoss(MultipleNegativesRankingLoss):
    """sentence-transformers' ``MultipleNegativesSymmetricRankingLoss`` on
    :func:`arraylosses.multiple_negatives_symmetric_ranking_loss`."""

    loss_fn: Callable[..., Any] = staticmethod(_al.multiple_negatives_symmetric_ranking_loss)

    def __init__(
        self,
        model: nn.Module | None,
        scale: float = 20.0,
        similarity_fct: Any = "cosine",
        chunk_size: int | None = None,
    ) -> None:
        ArrayLoss.__init__(
            self,
            model,
            scale=scale,
            similarity=_similarity(similarity_fct),
            chunk_size=chunk_size,
        )


class CoSENTLoss(ArrayLoss):
    """sentence-transformers' ``CoSENTLoss`` on :func:`arraylosses.cosent_loss`: columns
    (sentence_A, sentence_B), float similarity labels."""

    loss_fn: Callable[..., Any] = staticmethod(_al.cosent_loss)

    def __init__(self, model: nn.Module | None, scale: float = 20.0) -> None:
        super().__init__(model, scale=scale)

    def arguments(self, embeddings: list[Any], labels: Any) -> tuple[tuple, dict[str, Any]]:
        if labels is None:
            raise ValueError(f"{type(self).__name__} requires labels")
        return (embeddings[0], embeddings[1], labels.reshape(-1)), dict(self.hyperparameters)


class AnglELoss(CoSENTLoss):
    """sentence-transformers' ``AnglELoss`` on :func:`arraylosses.angle_loss`: pairs with
    float labels, or (anchor, positive, negative_1, ...) n-tuples, turned into pairs as
    sentence-transformers does (label, or 1, for the positive; 1 - label for each negative)."""

    loss_fn: Callable[..., Any] = staticmethod(_al.angle_loss)

    def arguments(self, embeddings: list[Any], labels: Any) -> tuple[tuple, dict[str, Any]]:
        if len(embeddings) > 2:
            anchor = embeddings[0]
            n = len(embeddings) - 1
            if labels is None:
                labels = torch.ones(anchor.shape[0], device=anchor.device, dtype=anchor.dtype)
            labels = labels.reshape(-1)
            pairs = [anchor.repeat(n, 1), torch.cat(embeddings[1:], dim=0)]
            combined = torch.cat([labels, (1 - labels).repeat(n - 1)], dim=0)
            return super().arguments(pairs, combined)
        return super().arguments(embeddings, labels)


class ContrastiveLoss(ArrayLoss):
    """sentence-transformers' ``ContrastiveLoss`` on :func:`arraylosses.contrastive_loss`:
    columns (anchor, other), labels 1 (similar) or 0; cosine distance and margin 0.5 by
    default, as sentence-transformers."""

    loss_fn: Callable[..., Any] = staticmethod(_al.contrastive_loss)

    def __init__(
        self,
        model: nn.Module | None,
        distance_metric: Any = "cosine",
        margin: float = 0.5,
        size_average: bool = True,
    ) -> None:
        super().__init__(
            model,
            distance=_distance(distance_metric, "SiameseDistanceMetric"),
            margin=margin,
            reduction="mean" if size_average else "sum",
        )

    def arguments(self, embeddings: list[Any], labels: Any) -> tuple[tuple, dict[str, Any]]:
        return (embeddings[0], embeddings[1], labels.reshape(-1)), dict(self.hyperparameters)


class OnlineContrastiveLoss(ContrastiveLoss):
    """sentence-transformers' ``OnlineContrastiveLoss`` on
    :func:`arraylosses.online_contrastive_loss` (hard pairs only; summed)."""

    loss_fn: Callable[..., Any] = staticmethod(_al.online_contrastive_loss)

    def __init__(
        self, model: nn.Module | None, distance_metric: Any = "cosine", margin: float = 0.5
    ) -> None:
        ArrayLoss.__init__(
            self,
            model,
            distance=_distance(distance_metric, "SiameseDistanceMetric"),
            margin=margin,
        )


class TripletLoss(ArrayLoss):
    """sentence-transformers' ``TripletLoss`` on :func:`arraylosses.triplet_margin_loss`:
    columns (anchor, positive, negative), Euclidean distance and margin 5 by default, as
    sentence-transformers; ``eps=0`` (its distance is the plain norm, not torch's
    ``triplet_margin_loss``'s ``‖a - b + eps‖``)."""

    loss_fn: Callable[..., Any] = staticmethod(_al.triplet_margin_loss)

    def __init__(
        self,
        model: nn.Module | None,
        distance_metric: Any = "euclidean",
        triplet_margin: float = 5.0,
    ) -> None:
        distance = _distance(distance_metric, "TripletDistanceMetric")
        extra: dict[str, Any] = {"eps": 0.0} if distance == "euclidean" else {}
        super().__init__(model, distance=distance, margin=triplet_margin, **extra)


class MatryoshkaLoss(nn.Module):
    """sentence-transformers' ``MatryoshkaLoss`` on :func:`arraylosses.matryoshka`, around any
    loss of this module: every embedding column truncated to each of ``matryoshka_dims``,
    L2-normalised and scored, weighted by ``matryoshka_weights`` (default 1) and summed; the
    model runs once. ``n_dims_per_step > 0`` samples that many dims per step, as
    sentence-transformers. MNRL keeps :func:`~arraylosses.matryoshka`'s one-pass fast path
    (unless ``chunk_size`` is set)."""

    def __init__(
        self,
        model: nn.Module | None,
        loss: ArrayLoss,
        matryoshka_dims: Sequence[int],
        matryoshka_weights: Sequence[float] | None = None,
        n_dims_per_step: int = -1,
    ) -> None:
        super().__init__()
        if not isinstance(loss, ArrayLoss):
            raise TypeError(
                "loss must be a loss of arraylosses.sentence_transformers; got "
                f"{type(loss).__name__} (use sentence-transformers' own MatryoshkaLoss for it)"
            )
        self.model = model
        self.loss = loss
        self.matryoshka_dims = list(matryoshka_dims)
        self.matryoshka_weights = (
            [1.0] * len(self.matryoshka_dims)
            if matryoshka_weights is None
            else list(matryoshka_weights)
        )
        self.n_dims_per_step = n_dims_per_step

    def compute_loss_from_embeddings(self, embeddings: list[Any], labels: Any = None) -> Any:
        pairs = list(zip(self.matryoshka_dims, self.matryoshka_weights, strict=True))
        if 0 < self.n_dims_per_step < len(pairs):
            pairs = random.sample(pairs, self.n_dims_per_step)
        dims, weights = zip(*pairs, strict=True)
        fn = _al.matryoshka(self.loss.loss_fn, list(dims), dim_weights=list(weights))
        args, kwargs = self.loss.arguments(list(embeddings), labels)
        return fn(*args, **kwargs)

    def forward(self, sentence_features: Iterable[dict[str, Any]], labels: Any = None) -> Any:
        return self.compute_loss_from_embeddings(_embed(self.model, sentence_features), labels)

    def get_config_dict(self) -> dict[str, Any]:
        return {
            "loss": type(self.loss).__name__,
            "matryoshka_dims": self.matryoshka_dims,
            "matryoshka_weights": self.matryoshka_weights,
            "n_dims_per_step": self.n_dims_per_step,
        }

    @property
    def citation(self) -> str:
        return (
            "@misc{kusupati2024matryoshka,\n"
            "  title={Matryoshka Representation Learning},\n"
            "  author={Aditya Kusupati and others},\n"
            "  year={2024}, eprint={2205.13147}, archivePrefix={arXiv},\n}"
        )
