"""Registry cases of :mod:`arraylosses.metrics`: regression, classification, retrieval and
similarity metrics."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from arraylosses import metrics
from arraylosses.metrics.retrieval import retrieval_metrics

from .. import inputs
from .._peer import PeerCheck, Run, peer
from ..inputs import Arrays
from ._case import Case, Hostile, Params, Ref

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
# Wave 3, metrics 10-20: correlations, logarithmic and percentage errors, R-precision, DCG,
# GAUC. Each record carries its peer calls (``checks=``).

WAVE3_REGRESSION_PARAMS: tuple[Params, ...] = (
    Params(),
    Params(multioutput="raw_values", sample_weight=Ref("weight")),
    Params(args=("pred_1d", "target_1d")),
)
"""The wave-3 regression metrics: the uniform mean, per output with weights, one output (the
output-weights path is combine_outputs', run by the older metrics and the peer checks)."""


def _log_domain(rng: np.random.Generator) -> Arrays:
    """:func:`inputs.metric` moved into ``log1p``'s domain: ``exp(x) - 0.5``, in (-0.5, inf),
    values in (-1, 0) included (sklearn allows them)."""
    arrays = inputs.metric(rng)
    for name in ("pred", "target", "pred_1d", "target_1d"):
        arrays[name] = np.exp(arrays[name]) - 0.5
    return arrays


def _sklearn_regression(
    ours: Callable[..., Any],
    name: str,
    *,
    multioutput: str = "uniform_average",
    weighted: bool = False,
    one_d: bool = False,
) -> Run:
    """Ours and ``sklearn.metrics.<name>(target, pred, ...)`` on the record's NumPy inputs;
    ``multioutput="weights"`` passes the builder's ``output_weights``."""

    def run(arrays: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import sklearn.metrics as skm

        suffix = "_1d" if one_d else ""
        p, t = arrays["pred" + suffix], arrays["target" + suffix]
        mo: Any = arrays["output_weights"] if multioutput == "weights" else multioutput
        w = arrays["weight"] if weighted else None
        theirs = getattr(skm, name)(t, p, sample_weight=w, multioutput=mo)
        return [np.asarray(ours(p, t, sample_weight=w, multioutput=mo))], [np.asarray(theirs)]

    return run


def _sklearn_regression_checks(ours: Callable[..., Any], name: str) -> tuple[PeerCheck, ...]:
    """The sklearn calls of a regression metric: uniform, raw values weighted, output weights,
    and one output."""
    modes = (
        ("uniform_average", False, False),
        ("raw_values", True, False),
        ("weights", True, False),
        ("raw_values", False, True),
    )
    return tuple(
        peer(
            f"sklearn.metrics.{name}(target, pred, multioutput={mo!r}"
            f"{', sample_weight=w' if weighted else ''}){' on (N,)' if one_d else ''}",
            "sklearn",
            _sklearn_regression(ours, name, multioutput=mo, weighted=weighted, one_d=one_d),
            rtol=1e-12,
        )
        for mo, weighted, one_d in modes
    )


_REPEATS = np.array([1, 2, 3, 1, 2, 3, 1, 2])
"""Integer weights for a peer without ``sample_weight``: weight ``r`` is the row repeated
``r`` times."""


def _torchmetrics_regression(
    ours: Callable[..., Any], *, column: int | None = None, weighted: bool = False
) -> Run:
    """Ours and ``torchmetrics.functional.regression.<ours' name>(pred, target)`` (float64):
    on the ``(N,)`` inputs, or one ``column`` of the ``(N, K)`` ones against ours'
    ``raw_values``; ``weighted``: integer weights against the rows repeated."""

    def run(arrays: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import torch
        import torchmetrics.functional.regression as tmr

        theirs = getattr(tmr, ours.__name__)
        if column is None:
            p, t = arrays["pred_1d"], arrays["target_1d"]
            value = ours(p, t, sample_weight=_REPEATS if weighted else None)
        else:
            p, t = arrays["pred"][:, column], arrays["target"][:, column]
            value = ours(arrays["pred"], arrays["target"], multioutput="raw_values")[column]
        if weighted:
            p, t = np.repeat(p, _REPEATS), np.repeat(t, _REPEATS)
        expected = theirs(torch.from_numpy(p), torch.from_numpy(t)).numpy()
        return [np.asarray(value)], [expected]

    return run


def _torchmetrics_regression_checks(ours: Callable[..., Any]) -> tuple[PeerCheck, ...]:
    """The torchmetrics calls of SMAPE and WMAPE: ``(N,)``, each output of ``(N, K)`` (ours per
    output: torchmetrics pools a 2-D input), and integer weights as repeated rows."""
    name = f"torchmetrics.functional.regression.{ours.__name__}(pred, target)"
    return (
        peer(name, "torchmetrics", _torchmetrics_regression(ours)),
        *(
            peer(
                f"{name} on output {k} (ours: raw_values)",
                "torchmetrics",
                _torchmetrics_regression(ours, column=k),
            )
            for k in range(3)
        ),
        peer(
            f"{name} on the rows repeated w times (ours: sample_weight=w)",
            "torchmetrics",
            _torchmetrics_regression(ours, weighted=True),
        ),
    )


WAVE3_CASES: tuple[Case, ...] = (
    Case(
        fn=metrics.mean_squared_log_error,
        kind="metric",
        inputs=_log_domain,
        args=("pred", "target"),
        params=WAVE3_REGRESSION_PARAMS,
        grad=("pred",),
        checks=_sklearn_regression_checks(metrics.mean_squared_log_error, "mean_squared_log_error"),
    ),
    Case(
        fn=metrics.root_mean_squared_log_error,
        kind="metric",
        inputs=_log_domain,
        args=("pred", "target"),
        params=WAVE3_REGRESSION_PARAMS,
        grad=("pred",),
        checks=_sklearn_regression_checks(
            metrics.root_mean_squared_log_error, "root_mean_squared_log_error"
        ),
    ),
    *(
        Case(
            fn=fn,
            kind="metric",
            inputs=inputs.metric,
            args=("pred", "target"),
            params=WAVE3_REGRESSION_PARAMS,
            grad=("pred",),
            checks=_torchmetrics_regression_checks(fn),
        )
        for fn in (
            metrics.symmetric_mean_absolute_percentage_error,
            metrics.weighted_mean_absolute_percentage_error,
        )
    ),
)

CASES = (*CASES, *WAVE3_CASES)
