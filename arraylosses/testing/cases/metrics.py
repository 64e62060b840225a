"""Registry cases of :mod:`arraylosses.metrics`: regression, classification, retrieval and
similarity metrics."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from arraylosses import metrics
from arraylosses.metrics.retrieval import retrieval_metrics

from ...typing import Gain
from .. import inputs
from .._peer import PeerCheck, Run, jax_pair, peer
from ..inputs import Arrays
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


def _correlation_inputs(rng: np.random.Generator) -> Arrays:
    """:func:`inputs.metric` and a copy rounded to halves, with ties in both columns."""
    arrays = inputs.metric(rng)
    arrays["pred_tied"] = np.round(arrays["pred"] * 2) / 2
    arrays["target_tied"] = np.round(arrays["target"] * 2) / 2
    return arrays


def _per_column(
    ours: Callable[..., Any],
    theirs: Callable[[np.ndarray, np.ndarray], Any],
    pred: str,
    target: str,
    **kwargs: Any,
) -> Run:
    """Ours (``raw_values`` for ``(N, K)``) against ``theirs(pred, target)`` on each column."""

    def run(arrays: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        p, t = arrays[pred], arrays[target]
        if p.ndim == 1:
            return [np.asarray(ours(p, t, **kwargs))], [np.asarray(theirs(p, t))]
        got = ours(p, t, multioutput="raw_values", **kwargs)
        expected = [theirs(p[:, k], t[:, k]) for k in range(p.shape[1])]
        return [np.asarray(got)], [np.asarray(expected, dtype=np.float64)]

    return run


def _scipy_pearson(p: np.ndarray, t: np.ndarray) -> Any:
    from scipy.stats import pearsonr

    return pearsonr(p, t).statistic


def _scipy_spearman(p: np.ndarray, t: np.ndarray) -> Any:
    from scipy.stats import spearmanr

    return spearmanr(p, t).statistic


def _scipy_kendall(variant: str) -> Callable[[np.ndarray, np.ndarray], Any]:
    def theirs(p: np.ndarray, t: np.ndarray) -> Any:
        from scipy.stats import kendalltau

        return kendalltau(p, t, variant=variant).statistic

    return theirs


def _torchmetrics_pearson(p: np.ndarray, t: np.ndarray) -> Any:
    import torch
    from torchmetrics.functional import pearson_corrcoef

    return pearson_corrcoef(torch.from_numpy(p), torch.from_numpy(t)).numpy()


def _keras_concordance(p: np.ndarray, t: np.ndarray) -> Any:
    import keras

    return np.asarray(keras.metrics.concordance_correlation(t, p), dtype=np.float64)


def _on_pairs(names: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple((f" on {p}, {t}", p, t) for p, t in names)


_CORRELATION_DATA = _on_pairs(
    (("pred", "target"), ("pred_1d", "target_1d"), ("pred_tied", "target_tied"))
)
_CORRELATION_PARAMS: tuple[Params, ...] = (
    Params(),
    Params(args=("pred_tied", "target_tied"), multioutput="raw_values"),
    Params(args=("pred_1d", "target_1d")),
)
_CONSTANT_IS_NAN = (
    ("constant", "a constant prediction has no correlation: NaN by definition (scipy: NaN)"),
)


def _correlation_case(fn: Callable[..., Any], **fields: Any) -> Case:
    return Case(
        fn=fn,
        kind="metric",
        inputs=_correlation_inputs,
        args=("pred", "target"),
        params=fields.pop("params", _CORRELATION_PARAMS),
        **fields,
    )


def _torchmetrics_r_precision(arrays: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
    """Ours per query against torchmetrics ``retrieval_r_precision`` on each row (positive,
    tie-free scores; an empty query 0 in both)."""
    import torch
    from torchmetrics.functional.retrieval import retrieval_r_precision

    s, rel = arrays["scores"], arrays["relevance"]
    ours = metrics.r_precision(s, rel, reduction="none")
    theirs = [
        float(retrieval_r_precision(torch.from_numpy(s[i]), torch.from_numpy(rel[i] > 0)))
        for i in range(s.shape[0])
    ]
    return [np.asarray(ours)], [np.asarray(theirs)]


def _trec_eval_r_precision(arrays: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
    """Ours per query against trec_eval's ``Rprec`` (pytrec_eval), tie-free scores; a query
    whose judged documents are all irrelevant reads 0 there, ours ``"neg"``."""
    import pytrec_eval

    s, rel = arrays["scores"], arrays["relevance"]
    qrels = {
        f"q{i}": {f"d{j}": int(rel[i, j]) for j in range(s.shape[1])} for i in range(s.shape[0])
    }
    run = {f"q{i}": {f"d{j}": float(s[i, j]) for j in range(s.shape[1])} for i in range(s.shape[0])}
    result = pytrec_eval.RelevanceEvaluator(qrels, {"Rprec"}).evaluate(run)
    ours = np.asarray(metrics.r_precision(s, rel, reduction="none"))
    return [ours], [np.asarray([result[f"q{i}"]["Rprec"] for i in range(len(s))])]


def _sklearn_dcg(k: int | None, scores: str) -> Run:
    def run(arrays: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        from sklearn.metrics import dcg_score

        s, rel = arrays[scores], arrays["graded"]
        ours = metrics.dcg_at_k(s, rel, k=k)
        return [np.asarray(ours)], [np.asarray(dcg_score(rel, s, k=k))]

    return run


def _rax_dcg(k: int | None, gain: str) -> Callable[..., Any]:
    def theirs(s: Any, rel: Any) -> Any:
        import rax

        kwargs: dict[str, Any] = {} if gain == "exponential" else {"gain_fn": lambda r: r}
        return rax.dcg_metric(s, rel, topn=k, **kwargs)

    return theirs


def _gauc_inputs(rng: np.random.Generator) -> Arrays:
    """6 users of 5 rows: tie-free and tied scores, 0/1 clicks; user 2 never clicks and
    user 4 clicks everything (both left out)."""
    scores = rng.uniform(size=(6, 5))
    target = (rng.uniform(size=(6, 5)) < 0.45).astype(np.int64)
    target[0, :2] = [1, 0]
    target[2] = 0
    target[4] = 1
    return {"scores": scores, "scores_tied": np.round(scores * 3) / 3, "target": target}


_RAX_DCG: tuple[tuple[int | None, Gain], ...] = (
    (None, "linear"),
    (3, "linear"),
    (5, "exponential"),
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
    # correlations (arraylosses.metrics.correlation)
    _correlation_case(
        metrics.pearson_corrcoef,
        grad=("pred",),
        hostile=Hostile(skip=_CONSTANT_IS_NAN),
        checks=(
            *(
                peer(
                    f"scipy.stats.pearsonr(pred, target).statistic{where}",
                    "scipy",
                    _per_column(metrics.pearson_corrcoef, _scipy_pearson, p, t),
                )
                for where, p, t in _CORRELATION_DATA
            ),
            peer(
                "torchmetrics.functional.pearson_corrcoef(pred, target) on (N, K)",
                "torchmetrics",
                _per_column(metrics.pearson_corrcoef, _torchmetrics_pearson, "pred", "target"),
            ),
        ),
    ),
    _correlation_case(
        metrics.spearman_corrcoef,
        no_grad="piecewise constant (ranks)",
        hostile=Hostile(skip=_CONSTANT_IS_NAN),
        checks=tuple(
            peer(
                f"scipy.stats.spearmanr(pred, target).statistic{where}",
                "scipy",
                _per_column(metrics.spearman_corrcoef, _scipy_spearman, p, t),
            )
            for where, p, t in _CORRELATION_DATA
        ),
    ),
    _correlation_case(
        metrics.kendall_tau,
        params=(*_CORRELATION_PARAMS[:2], Params(args=("pred_1d", "target_1d"), variant="c")),
        no_grad="piecewise constant (pair signs)",
        hostile=Hostile(skip=_CONSTANT_IS_NAN),
        checks=tuple(
            peer(
                f"scipy.stats.kendalltau(pred, target, variant={v!r}).statistic{where}",
                "scipy",
                _per_column(metrics.kendall_tau, _scipy_kendall(v), p, t, variant=v),
            )
            for v in ("b", "c")
            for where, p, t in _CORRELATION_DATA
        ),
    ),
    _correlation_case(
        metrics.concordance_corrcoef,
        grad=("pred",),
        checks=tuple(
            peer(
                f"keras.metrics.concordance_correlation(target, pred){where} (float32)",
                "keras",
                _per_column(metrics.concordance_corrcoef, _keras_concordance, p, t),
                rtol=1e-5,
                atol=1e-6,
                deviation="Keras computes in float32 here (JAX without x64) and adds "
                "epsilon 1e-7 to the denominator",
            )
            for where, p, t in _CORRELATION_DATA
        ),
    ),
    # arraylosses.metrics.retrieval
    Case(
        fn=metrics.r_precision,
        kind="metric",
        inputs=inputs.retrieval,
        args=("scores", "relevance"),
        params=(
            Params(),
            Params(empty_target_action="skip", reduction="none"),
            Params(args=("scores_tied", "relevance"), empty_target_action="pos"),
        ),
        no_grad="piecewise constant in the scores",
        checks=(
            peer(
                "torchmetrics.functional.retrieval.retrieval_r_precision(s_q, rel_q > 0) per query",
                "torchmetrics",
                _torchmetrics_r_precision,
                rtol=1e-6,
                deviation="torchmetrics computes in float32",
            ),
            peer("pytrec_eval Rprec", "pytrec_eval", _trec_eval_r_precision),
        ),
    ),
    Case(
        fn=metrics.dcg_at_k,
        kind="metric",
        inputs=inputs.retrieval,
        args=("scores", "graded"),
        params=(
            Params(k=3),
            Params(reduction="none"),
            Params(args=("scores_tied", "graded"), gain="exponential", k=5),
        ),
        no_grad="piecewise constant in the scores",
        checks=(
            *(
                peer(
                    f"sklearn.metrics.dcg_score(relevance, scores, k={k}) (tie-free scores)",
                    "sklearn",
                    _sklearn_dcg(k, "scores"),
                )
                for k in (None, 3)
            ),
            *(
                peer(
                    f"rax.dcg_metric(scores, relevance, topn={k}"
                    f"{', gain_fn=lambda r: r' if gain == 'linear' else ''}) (tied scores)",
                    "rax",
                    jax_pair(
                        functools.partial(metrics.dcg_at_k, k=k, gain=gain),
                        _rax_dcg(k, gain),
                        "scores_tied",
                        "graded",
                        grad=(),
                    ),
                    rtol=1e-12,
                )
                for k, gain in _RAX_DCG
            ),
        ),
    ),
    Case(
        fn=metrics.gauc,
        kind="metric",
        inputs=_gauc_inputs,
        args=("scores", "target"),
        params=(
            Params(),
            Params(weighting="clicks"),
            Params(args=("scores_tied", "target"), weighting="uniform"),
        ),
        no_grad="piecewise constant in the scores",
        notes="no peer library: RecBole's GAUC formula (metric_info, average ranks) is the "
        "by-definition reference, with the DIN paper's and DIN's code's weightings",
        reference="gauc",
    ),
)

CASES = (*CASES, *WAVE3_CASES)
