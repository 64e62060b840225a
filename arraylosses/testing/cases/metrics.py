"""Registry cases of :mod:`arraylosses.metrics`: regression, classification, retrieval and
similarity metrics."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from arraylosses import metrics
from arraylosses.metrics.retrieval import retrieval_metrics

from .. import inputs
from ._case import Case, Hostile, Params, Ref
from ._classification_metric_peers import CALIBRATION_CHECKS, CONFUSION_CHECKS, CURVE_CHECKS

__all__ = ["CASES"]

REGRESSION_METRIC_PARAMS: tuple[Params, ...] = (
    Params(),
    Params(multioutput="raw_values"),
    Params(sample_weight=Ref("weight")),
    Params(multioutput=Ref("output_weights")),
    Params(args=("pred_1d", "target_1d")),
)
VARIANCE_METRIC_PARAMS: tuple[Params, ...] = (
    *REGRESSION_METRIC_PARAMS,
    Params(multioutput="variance_weighted", sample_weight=Ref("weight")),
)
"""r2_score and explained_variance_score also weight the outputs by their variance."""

RETRIEVAL_PARAMS: tuple[Params, ...] = (
    Params(k=3),
    Params(),
    Params(k=5, empty_target_action="pos"),
    Params(k=4, empty_target_action="skip"),
    Params(k=4, empty_target_action="skip", reduction="none"),
    Params(args=("scores_tied", "relevance"), k=3, reduction="none"),
    Params(args=("scores_signed", "relevance"), k=2),
)


MAP_DENOMINATOR_PARAMS: tuple[Params, ...] = (
    Params(k=3, map_denominator="min_k_relevant"),
    Params(k=4, map_denominator="relevant", reduction="none"),
    Params(
        args=("scores_tied", "relevance"), map_denominator="relevant", empty_target_action="skip"
    ),
)
"""map_at_k's other denominators: min(k, R) and R (trec_eval's map_cut)."""

RETRIEVAL_IDS_PARAMS: tuple[Params, ...] = (
    Params(qrel_grades=Ref("qrel_grades")),
    Params(qrel_grades=Ref("qrel_grades"), k=3, map_denominator="relevant", reduction="none"),
    Params(qrel_grades=Ref("qrel_grades"), k=4, gain="exponential", reduction="none"),
    Params(
        args=("top_ids", "qrel_ids"),
        qrel_grades=Ref("qrel_grades"),
        invalid=Ref("invalid"),
        reduction="none",
    ),
    Params(
        args=("top_ids", "qrel_ids"),
        qrel_grades=Ref("qrel_grades"),
        metrics=("ndcg", "map", "mrr"),
        map_denominator="min_k_relevant",
        empty_target_action="skip",
    ),
)
"""retrieval_metrics on full rankings and on a top-5 with empty slots. Every set passes
floating graded qrels: with integer (or boolean) inputs only, the result has the namespace's
default floating dtype (float32 on torch), which the float64 comparisons (and the hostile
``boolean`` kind, 0/1 grades passed as bool) would not expect; binary qrels and the default
grades are tested in tests/test_retrieval_qrels.py."""


@functools.wraps(retrieval_metrics)  # its signature: the keywords the registry may pass
def _retrieval_metrics_parts(ranked_ids: Any, qrel_ids: Any, **kwargs: Any) -> tuple[Any, ...]:
    """retrieval_metrics' values as a tuple (the registry compares result parts)."""
    return tuple(retrieval_metrics(ranked_ids, qrel_ids, **kwargs).values())


def _regression_metric(
    fn: Callable[..., Any], *, params: tuple[Params, ...], hostile: Hostile | None = None
) -> Case:
    return Case(
        fn=fn,
        kind="metric",
        inputs=inputs.metric,
        args=("pred", "target"),
        params=params,
        grad=("pred",),
        peers=("scikit-learn",),
        hostile=hostile or Hostile(),
    )


def _retrieval_metric(fn: Callable[..., Any], *, extra: tuple[Params, ...] = ()) -> Case:
    """A metric over a score matrix and binary (or graded) relevance: :data:`RETRIEVAL_PARAMS`,
    then ``extra``."""
    return Case(
        fn=fn,
        kind="metric",
        inputs=inputs.retrieval,
        args=("scores", "relevance"),
        params=(*RETRIEVAL_PARAMS, *extra),
        no_grad="piecewise constant in the scores",
        peers=("torchmetrics", "pytrec_eval"),
    )


TITLE = "Metrics"  # its docs section
MODULE = "arraylosses.metrics"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    # arraylosses.metrics.regression
    _regression_metric(metrics.mean_squared_error, params=REGRESSION_METRIC_PARAMS),
    _regression_metric(metrics.root_mean_squared_error, params=REGRESSION_METRIC_PARAMS),
    _regression_metric(metrics.mean_absolute_error, params=REGRESSION_METRIC_PARAMS),
    _regression_metric(metrics.mean_absolute_percentage_error, params=REGRESSION_METRIC_PARAMS),
    _regression_metric(
        metrics.r2_score,
        params=VARIANCE_METRIC_PARAMS,
        hostile=Hostile(empty=ValueError),  # needs two samples (documented)
    ),
    _regression_metric(metrics.explained_variance_score, params=VARIANCE_METRIC_PARAMS),
    # arraylosses.metrics.classification
    Case(
        fn=metrics.accuracy,
        kind="metric",
        inputs=inputs.class_metrics,
        args=("scores", "labels"),
        params=(
            Params(),
            Params(args=("pred_labels", "labels")),
            Params(sample_weight=Ref("weight")),
        ),
        no_grad="piecewise constant",
        peers=("scikit-learn",),
    ),
    Case(
        fn=metrics.top_k_accuracy,
        kind="metric",
        inputs=inputs.class_metrics,
        args=("scores", "labels"),
        params=(
            Params(k=1),
            Params(k=2),
            Params(k=3, sample_weight=Ref("weight")),
            Params(args=("scores_tied", "labels"), k=2),
        ),
        no_grad="piecewise constant",
        peers=("scikit-learn",),
    ),
    Case(
        fn=metrics.precision_recall_f1,
        kind="metric",
        inputs=inputs.class_metrics,
        args=("scores", "labels"),
        params=(
            Params(num_classes=4),
            Params(num_classes=4, average="macro"),
            Params(num_classes=4, average="weighted", sample_weight=Ref("weight")),
            Params(args=("pred_labels", "labels"), num_classes=5, average="macro"),
        ),
        no_grad="piecewise constant",
        peers=("scikit-learn",),
    ),
    Case(
        fn=metrics.log_loss,
        kind="metric",
        inputs=inputs.class_metrics,
        args=("probs", "labels"),
        params=(Params(), Params(args=("probs_1d", "binary")), Params(sample_weight=Ref("weight"))),
        grad=("probs", "probs_1d"),
        peers=("scikit-learn",),
    ),
    Case(
        fn=metrics.roc_auc,
        kind="metric",
        inputs=inputs.class_metrics,
        args=("scores_1d", "binary"),
        params=(Params(), Params(args=("scores_1d_tied", "binary"))),
        no_grad="piecewise constant",
        peers=("scikit-learn",),
    ),
    # arraylosses.metrics.retrieval
    _retrieval_metric(metrics.recall_at_k),
    _retrieval_metric(metrics.precision_at_k),
    _retrieval_metric(metrics.hit_rate_at_k),
    _retrieval_metric(metrics.mrr),
    _retrieval_metric(
        metrics.ndcg_at_k,
        extra=(
            Params(args=("scores", "graded"), k=4),
            Params(args=("scores_tied", "graded"), gain="exponential"),
        ),
    ),
    _retrieval_metric(metrics.map_at_k, extra=MAP_DENOMINATOR_PARAMS),
    Case(
        fn=_retrieval_metrics_parts,
        kind="metric",
        public=retrieval_metrics,
        inputs=inputs.retrieval_ids,
        args=("ranked_ids", "qrel_ids"),
        params=RETRIEVAL_IDS_PARAMS,
        no_grad="piecewise constant (integer ids)",
        peers=("pytrec_eval",),
    ),
    # arraylosses.metrics.similarity
    Case(
        fn=metrics.mean_cosine_similarity,
        kind="metric",
        inputs=inputs.rowwise,
        args=("pred", "target"),
        params=(Params(), Params(sample_weight=Ref("weight"))),
        grad=("pred", "target"),
        peers=("torchmetrics",),
    ),
)

# ---------------------------------------------------------------------------------------------
# wave 3, metrics 1-3: ranking curves (arraylosses.metrics.ranking_curves). The exact curves'
# length depends on the data (eager only), so their records run the binned forms, which every
# transform traces; the exact forms are the sklearn peer checks and
# tests/test_metrics_classification_wave3.py.

_CURVE_EMPTY = (
    "empty",
    "an empty batch gives the documented curve, not NaN everywhere: precision 1 and the "
    "thresholds (tests/test_metrics_classification_wave3.py)",
)

CURVE_CASES: tuple[Case, ...] = (
    Case(
        fn=metrics.average_precision,
        kind="metric",
        inputs=inputs.class_metrics,
        args=("scores_1d", "binary"),
        params=(
            Params(),
            Params(args=("scores_1d_tied", "binary"), sample_weight=Ref("weight")),
            Params(args=("probs_1d", "binary"), thresholds=7, sample_weight=Ref("weight")),
        ),
        no_grad="piecewise constant in the scores",
        checks=CURVE_CHECKS["average_precision"],
    ),
    *(
        Case(
            fn=fn,
            kind="metric",
            inputs=inputs.class_metrics,
            args=("probs_1d", "binary"),
            params=(
                Params(thresholds=5),
                Params(
                    args=("scores_1d_tied", "binary"),
                    thresholds=(-1.0, -0.3, 0.0, 0.4, 1.5),
                    sample_weight=Ref("weight"),
                ),
            ),
            no_grad="piecewise constant in the scores",
            checks=CURVE_CHECKS[fn.__name__],
            hostile=Hostile(skip=(_CURVE_EMPTY,)),
        )
        for fn in (metrics.precision_recall_curve, metrics.roc_curve)
    ),
)

# ---------------------------------------------------------------------------------------------
# wave 3, metrics 4-5: calibration (arraylosses.metrics.calibration)

CALIBRATION_CASES: tuple[Case, ...] = (
    Case(
        fn=metrics.calibration_error,
        kind="metric",
        inputs=inputs.class_metrics,
        args=("probs", "labels"),
        params=(
            Params(),
            Params(args=("probs_1d", "binary"), n_bins=10, norm="l2"),
            Params(n_bins=5, norm="max"),
        ),
        grad=("probs", "probs_1d"),
        checks=CALIBRATION_CHECKS["calibration_error"],
    ),
    Case(
        fn=metrics.brier_score,
        kind="metric",
        inputs=inputs.class_metrics,
        args=("probs", "labels"),
        params=(
            Params(),
            Params(args=("probs_1d", "binary"), sample_weight=Ref("weight")),
            Params(scale_by_half=True, sample_weight=Ref("weight")),
        ),
        grad=("probs", "probs_1d"),
        checks=CALIBRATION_CHECKS["brier_score"],
    ),
)

# ---------------------------------------------------------------------------------------------
# wave 3, metrics 6-9: the confusion matrix and its metrics (arraylosses.metrics.confusion)


def _confusion_case(fn: Any, params: tuple[Params, ...], **kw: Any) -> Case:
    return Case(
        fn=fn,
        kind="metric",
        inputs=inputs.class_metrics,
        args=("scores", "labels"),
        params=params,
        no_grad="piecewise constant",
        checks=CONFUSION_CHECKS[fn.__name__],
        **kw,
    )


_WEIGHTED = Params(num_classes=4, sample_weight=Ref("weight"))
# label predictions give the namespace's default floating dtype: unweighted (a float32 weight
# would round the float64 result of NumPy's default dtype beyond its float64 tolerance)
_LABELS = Params(args=("pred_labels", "labels"), num_classes=4)

CONFUSION_CASES: tuple[Case, ...] = (
    _confusion_case(
        metrics.confusion_matrix,
        (
            Params(num_classes=4),
            _WEIGHTED.with_(normalize="true"),
            _LABELS.with_(normalize="pred"),
        ),
        # a count table of nothing: zeros (docs/spec.md), normalised or not
        hostile=Hostile(empty="zero"),
    ),
    _confusion_case(metrics.matthews_corrcoef, (_WEIGHTED, _LABELS)),
    _confusion_case(
        metrics.cohen_kappa,
        (
            Params(num_classes=4),
            _WEIGHTED.with_(weights="linear"),
            _LABELS.with_(weights="quadratic"),
        ),
    ),
    _confusion_case(
        metrics.balanced_accuracy,
        (_LABELS, _WEIGHTED.with_(adjusted=True)),
    ),
)

CASES = (*CASES, *CURVE_CASES, *CALIBRATION_CASES, *CONFUSION_CASES)
