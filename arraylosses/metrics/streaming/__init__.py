"""Streaming forms of every metric in :mod:`arraylosses.metrics`: bounded state, exact merge.

Each function here takes the metric's hyperparameters and returns a
:class:`StreamingMetric`, an immutable object with four pure functions::

    from arraylosses.metrics import streaming

    metric = streaming.r2_score()                  # hyperparameters only
    state = metric.init(np)                        # or an array: its library, device, dtype
    for pred, target in batches:
        state = metric.update(state, pred, target)  # mask=, sample_weight= where the metric has it
    state = metric.merge(state, other_state)       # another stream, another device
    value = metric.compute(state)

The state is a NamedTuple of fixed-shape arrays (a JAX pytree; fine under ``torch.compile``),
so ``jax.jit(metric.update)`` compiles once; ``mask`` (a ``(N,)`` boolean) lets a short last
batch be padded to the same shape. ``compute`` after any split of the data into batches equals
the one-shot metric on the concatenated data, to rounding (tests/test_streaming.py). ``merge``
is associative and commutative: exactly for the integer counts, to rounding for floating sums.
Sums are kept in the state's floating dtype (``init(..., dtype=)``; default: ``like``'s
floating dtype, else the namespace's default): pass ``dtype=float64`` for streams of many
millions of rows where the backend has it.

Differences from the one-shot metrics: results have the state's dtype; a stream with fewer
than 2 rows gives NaN for ``r2_score`` (the one-shot raises); ``roc_auc`` is the binned AUC
(``thresholds=`` required, with :meth:`error_bound`), since the exact AUC needs every score;
retrieval metrics (and ``gauc``) take batches of complete queries (users), one per row.
``spearman_corrcoef`` and ``kendall_tau`` have no streaming form: ranks need every value seen
so far, and no bounded state gives the exact statistic (an approximate, binned rank
correlation could come later under its own name).

Distributed: :mod:`arraylosses.metrics.streaming.distributed` merges the states of all ranks
with one collective (torch.distributed, or ``jax.lax.psum`` / ``all_gather`` inside
``shard_map``).
"""

from ._core import MeanState, StreamingMetric
from .calibration import CalibrationState, brier_score, calibration_error
from .classification import (
    ConfusionState,
    ROCState,
    accuracy,
    log_loss,
    mean_cosine_similarity,
    precision_recall_f1,
    roc_auc,
    top_k_accuracy,
)
from .confusion import (
    ConfusionMatrixState,
    balanced_accuracy,
    cohen_kappa,
    confusion_matrix,
    matthews_corrcoef,
)
from .ranking_curves import (
    BinnedCurveState,
    average_precision,
    precision_recall_curve,
    roc_curve,
)
from .regression import (
    CorrelationState,
    ExplainedVarianceState,
    R2State,
    WeightedPercentageState,
    concordance_corrcoef,
    explained_variance_score,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_log_error,
    pearson_corrcoef,
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
)

__all__ = [
    "BinnedCurveState",
    "CalibrationState",
    "ConfusionMatrixState",
    "ConfusionState",
    "CorrelationState",
    "ExplainedVarianceState",
    "MeanState",
    "R2State",
    "ROCState",
    "StreamingMetric",
    "WeightedPercentageState",
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
    "roc_auc",
    "roc_curve",
    "root_mean_squared_error",
    "root_mean_squared_log_error",
    "symmetric_mean_absolute_percentage_error",
    "top_k_accuracy",
    "weighted_mean_absolute_percentage_error",
]
