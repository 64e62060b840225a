"""Metrics: same conventions as the losses (prediction first), 0-d results by default."""

from . import streaming
from .calibration import brier_score, calibration_error
from .classification import accuracy, log_loss, precision_recall_f1, roc_auc, top_k_accuracy
from .confusion import balanced_accuracy, cohen_kappa, confusion_matrix, matthews_corrcoef
from .correlation import (
    concordance_corrcoef,
    kendall_tau,
    pearson_corrcoef,
    spearman_corrcoef,
)
from .ranking_curves import average_precision, precision_recall_curve, roc_curve
from .regression import (
    explained_variance_score,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_log_error,
    r2_score,
    root_mean_squared_error,
    root_mean_squared_log_error,
    symmetric_mean_absolute_percentage_error,
    weighted_mean_absolute_percentage_error,
)
from .retrieval import (
    dcg_at_k,
    gauc,
    hit_rate_at_k,
    map_at_k,
    mrr,
    ndcg_at_k,
    precision_at_k,
    r_precision,
    recall_at_k,
    retrieval_metrics,
)
from .search import TopK, top_k_init, top_k_merge, top_k_search, top_k_update
from .similarity import mean_cosine_similarity

__all__ = [
    "TopK",
    "accuracy",
    "average_precision",
    "balanced_accuracy",
    "brier_score",
    "calibration_error",
    "cohen_kappa",
    "concordance_corrcoef",
    "confusion_matrix",
    "dcg_at_k",
    "explained_variance_score",
    "gauc",
    "hit_rate_at_k",
    "kendall_tau",
    "log_loss",
    "map_at_k",
    "matthews_corrcoef",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_cosine_similarity",
    "mean_squared_error",
    "mean_squared_log_error",
    "mrr",
    "ndcg_at_k",
    "pearson_corrcoef",
    "precision_at_k",
    "precision_recall_curve",
    "precision_recall_f1",
    "r2_score",
    "r_precision",
    "recall_at_k",
    "retrieval_metrics",
    "roc_auc",
    "roc_curve",
    "root_mean_squared_error",
    "root_mean_squared_log_error",
    "spearman_corrcoef",
    "streaming",
    "symmetric_mean_absolute_percentage_error",
    "top_k_accuracy",
    "top_k_init",
    "top_k_merge",
    "top_k_search",
    "top_k_update",
    "weighted_mean_absolute_percentage_error",
]
