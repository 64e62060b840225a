"""Types for annotating code that calls arraylosses.

``Array`` is any array of a supported library (NumPy, CuPy, PyTorch, JAX, array-api-strict):
arraylosses accepts whatever the `array API standard <https://data-apis.org/array-api/>`_
calls an array, so the alias is ``Any`` to a type checker and documents intent to a reader.
Option strings are ``Literal`` types, so a type checker catches ``reduction="avg"`` before
the ``ValueError`` at run time does. Each option's allowed values are read from these types
by the argument checks, so the annotation and the check cannot disagree.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = [
    "Aggregation",
    "Array",
    "Average",
    "CalibrationNorm",
    "ConfusionNormalize",
    "Direction",
    "Distance",
    "EmptyTargetAction",
    "Gain",
    "GaucWeighting",
    "HardnessMode",
    "KappaWeights",
    "KendallVariant",
    "MapDenominator",
    "MiningDistance",
    "MultiOutput",
    "NegativeMode",
    "OrthogonalMode",
    "PartitionMode",
    "Reduction",
    "RetrievalMetric",
    "RetrievalReduction",
    "Similarity",
    "VarianceMultiOutput",
]

Array = Any
"""An array of any supported library; the result has the first array's library and device."""

Reduction = Literal["mean", "sum", "none"]
"""How per-sample losses are reduced: weighted mean, weighted sum, or none (per-sample)."""

# ---------------------------------------------------------------------------------------------
# Options of the classification, regression, ranking and metric functions

MultiOutput = Literal["uniform_average", "raw_values"]
"""How a regression metric combines its per-output scores (or an array of output weights):
their mean, or the ``(K,)`` scores themselves."""

VarianceMultiOutput = Literal["uniform_average", "raw_values", "variance_weighted"]
""":data:`MultiOutput`, plus the mean weighted by each output's target variance (``r2_score``,
``explained_variance_score``)."""

Average = Literal["micro", "macro", "weighted"]
"""How ``precision_recall_f1`` averages over classes: global counts, the mean over classes, or
the mean weighted by each class's support."""

CalibrationNorm = Literal["l1", "l2", "max"]
"""How ``calibration_error`` combines its per-bin gaps: the ECE (weighted mean), the RMS
calibration error (weighted root mean square) or the MCE (the largest gap)."""

ConfusionNormalize = Literal["true", "pred", "all"]
"""How ``confusion_matrix`` normalises its counts (or ``None``, counts): over each true class
(row), each predicted class (column), or the total."""

KappaWeights = Literal["linear", "quadratic"]
"""``cohen_kappa``'s disagreement weights (or ``None``, 0/1): ``|i - j|`` or ``(i - j)²``."""

EmptyTargetAction = Literal["neg", "pos", "skip", "error"]
"""What a retrieval metric gives a query without a relevant candidate: 0, 1, nothing (left out
of the mean) or an error."""

RetrievalReduction = Literal["mean", "none"]
"""How retrieval metrics reduce over queries: the mean, or none (per query)."""

MapDenominator = Literal["hits", "min_k_relevant", "relevant"]
"""What ``map_at_k`` divides a query's summed precisions by: the number of relevant candidates
in the top k (torchmetrics, the default), ``min(k, R)``, or ``R``, the query's number of
relevant candidates (trec_eval's ``map_cut``)."""

RetrievalMetric = Literal["recall", "precision", "hit_rate", "mrr", "ndcg", "map"]
"""The metrics ``retrieval_metrics`` computes, by their keys in its result."""

Gain = Literal["linear", "exponential"]
"""The gain of a relevance grade in ``ndcg_at_k``: ``x`` or ``2^x - 1``."""

OrthogonalMode = Literal["l1", "l2"]
"""The penalty of ``orthogonal_loss`` on each pair's cosine: ``|cos|`` or ``cos²``."""

Aggregation = Literal["mean", "sum"]
"""How ``global_orthogonal_regularization`` combines its embedding columns."""


# ---------------------------------------------------------------------------------------------
# Options of the contrastive (pair and in-batch) losses

Similarity = Literal["cosine", "dot"]
"""How in-batch losses score two embeddings: cosine (L2-normalised rows, each norm clamped at
``1e-8``) or the raw dot product."""

Distance = Literal["euclidean", "cosine"]
"""The distance of the pair and triplet losses: Euclidean, or ``1 - cos``."""

MiningDistance = Literal["euclidean", "squared_euclidean", "cosine"]
"""The distance of the batch triplet-mining losses (sentence-transformers'
``BatchHardTripletLossDistanceFunction``): Euclidean, squared Euclidean, or
``max(0, 1 - cos)``."""

NegativeMode = Literal["unpaired", "paired"]
"""``info_nce``'s explicit negatives: ``(M, D)`` shared by every query, or ``(N, K, D)`` per
query."""

Direction = Literal["query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"]
"""An entry of MNRL's ``directions``: which similarities enter the partition function."""

PartitionMode = Literal["joint", "per_direction"]
"""MNRL: one log-sum-exp over every direction, or the mean of one per direction."""

HardnessMode = Literal["in_batch_negatives", "hard_negatives", "all_negatives"]
"""MNRL: which query-to-document logits get the hardness term."""

# ---------------------------------------------------------------------------------------------
# Wave 3, metrics 10-20 (correlations, GAUC)

KendallVariant = Literal["b", "c"]
"""Which Kendall tau ``kendall_tau`` computes: tau-b (tie-corrected, scipy's default) or tau-c
(Stuart's)."""

GaucWeighting = Literal["impressions", "clicks", "uniform"]
"""How ``gauc`` weights each user's AUC: by its rows (the DIN paper's formula), its positives
(RecBole's ``GAUC``) or equally (DIN's released code, torchrec's uAUC)."""
