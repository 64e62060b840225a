"""Metrics: same conventions as the losses (prediction first), 0-d results by default."""

from .regression import (
    explained_variance_score,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    r2_score,
    root_mean_squared_error,
)
from .similarity import mean_cosine_similarity

__all__ = [
    "explained_variance_score",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_cosine_similarity",
    "mean_squared_error",
    "r2_score",
    "root_mean_squared_error",
]
