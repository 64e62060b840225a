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
    "Array",
    "Direction",
    "Distance",
    "HardnessMode",
    "NegativeMode",
    "PartitionMode",
    "Reduction",
    "Similarity",
]

Array = Any
"""An array of any supported library; the result has the first array's library and device."""

Reduction = Literal["mean", "sum", "none"]
"""How per-sample losses are reduced: weighted mean, weighted sum, or none (per-sample)."""

# ---------------------------------------------------------------------------------------------
# Options of the classification, regression, ranking and metric functions


# ---------------------------------------------------------------------------------------------
# Options of the contrastive (pair and in-batch) losses

Similarity = Literal["cosine", "dot"]
"""How in-batch losses score two embeddings: cosine (L2-normalised rows, each norm clamped at
``1e-8``) or the raw dot product."""

Distance = Literal["euclidean", "cosine"]
"""The distance of the pair and triplet losses: Euclidean, or ``1 - cos``."""

NegativeMode = Literal["unpaired", "paired"]
"""``info_nce``'s explicit negatives: ``(M, D)`` shared by every query, or ``(N, K, D)`` per
query."""

Direction = Literal["query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"]
"""An entry of MNRL's ``directions``: which similarities enter the partition function."""

PartitionMode = Literal["joint", "per_direction"]
"""MNRL: one log-sum-exp over every direction, or the mean of one per direction."""

HardnessMode = Literal["in_batch_negatives", "hard_negatives", "all_negatives"]
"""MNRL: which query-to-document logits get the hardness term."""
