"""Registry cases of the streaming metrics (:mod:`arraylosses.metrics.streaming`) and of the
chunked top-k search (:mod:`arraylosses.metrics.search`).

A streaming case runs :func:`streamed`: the rows are cut into three equal batches, the last
padded and masked (static shapes under ``jax.jit``), each batch streamed into its own state,
the states merged in a fixed, non-sequential order, and the result returned with every field
of the merged state. So the conformance matrix checks, on every backend, that the states are
equal (to NumPy float64), that ``init``/``update``/``merge``/``compute`` trace under
``jax.jit`` and ``jax.vmap`` and compile under ``torch.compile``. That ``compute`` equals the
one-shot metric on the concatenated data, the merge laws and the mask are
``tests/test_streaming.py``'s.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from arraylosses import metrics
from arraylosses._backend import device_of, index_dtype, namespace
from arraylosses.metrics import streaming

from .. import inputs
from ._case import Case, Hostile, Params, Ref
from .metrics import _correlation_inputs, _gauc_inputs, _log_domain

__all__ = ["CASES", "batch_states", "streamed"]

_NOTES = (
    "a streaming form: its value equals the one-shot metric's (tests/test_streaming.py), "
    "whose peers the matrix checks on the one-shot row"
)


def batch_states(
    metric: Any, preds: Any, target: Any, *, sample_weight: Any = None
) -> tuple[list[Any], Any]:
    """The rows cut into three equal batches, the last padded and masked (an empty input: three
    empty batches), each streamed into its own state: ``([s0, s1, s2], like)``, ``like`` the
    array whose library, device and dtype ``metric.init`` takes."""
    xp = namespace(preds=preds, target=target, sample_weight=sample_weight)
    n = preds.shape[0]
    size = max(1, math.ceil(n / 3))
    like = preds if xp.isdtype(preds.dtype, "real floating") else sample_weight
    states = []
    for part in range(3):
        rows = np.arange(part * size, (part + 1) * size) if n else np.arange(0)
        index = xp.asarray(np.minimum(rows, n - 1), dtype=index_dtype(xp, preds))
        index = xp.asarray(index, device=device_of(preds))
        mask = xp.asarray(rows < n, device=device_of(preds))
        kw = (
            {}
            if sample_weight is None
            else {"sample_weight": xp.take(sample_weight, index, axis=0)}
        )
        batch = (xp.take(preds, index, axis=0), xp.take(target, index, axis=0))
        states.append(metric.update(metric.init(like), *batch, mask=mask, **kw))
    return states, like


def streamed(factory: Callable[..., Any]) -> Callable[..., tuple[Any, ...]]:
    """``fn(preds, target, *, sample_weight=None, **hyperparameters)``: stream the rows in three
    masked batches (:func:`batch_states`), merge them in a fixed, non-sequential order, and
    return ``(*compute(state), *state)``, cast to the inputs' floating dtype."""

    def run(preds: Any, target: Any, *, sample_weight: Any = None, **hyper: Any) -> tuple:
        metric = factory(**hyper)
        xp = namespace(preds=preds, target=target, sample_weight=sample_weight)
        (s0, s1, s2), like = batch_states(metric, preds, target, sample_weight=sample_weight)
        merged = metric.merge(s2, metric.merge(s0, s1))
        out = metric.compute(merged)
        # in the inputs' dtype, as the matrix compares (the state itself keeps integer counts
        # and sums of at least float32: tests/test_streaming.py checks its dtypes)
        values = (*(out if isinstance(out, tuple) else (out,)), *merged)
        return tuple(xp.astype(v, like.dtype) for v in values)

    run.__name__ = run.__qualname__ = factory.__name__
    # the keywords it takes are the factory's: the registry and the hostile sweep read them
    parameter = inspect.Parameter
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            parameter("preds", parameter.POSITIONAL_OR_KEYWORD),
            parameter("target", parameter.POSITIONAL_OR_KEYWORD),
            parameter("sample_weight", parameter.KEYWORD_ONLY, default=None),
            *inspect.signature(factory).parameters.values(),
        ]
    )
    return run


def _case(name: str, builder: Any, args: tuple[str, str], params: tuple[Params, ...]) -> Case:
    factory = getattr(streaming, name)
    return Case(
        fn=streamed(factory),
        public=factory,
        name=f"metrics.streaming.{name}",
        inputs=builder,
        args=args,
        params=params,
        no_grad="a state of sums and counts: metrics, not losses (no gradient is defined)",
        notes=_NOTES,
        kind="streaming",
        # the call returns (*compute(state), *state): precision, recall and F1, or one value
        hostile=Hostile(state_from=3 if name == "precision_recall_f1" else 1),
    )


_REGRESSION = (
    Params(num_outputs=3),
    Params(num_outputs=3, multioutput="raw_values", sample_weight=Ref("weight")),
    Params(args=("pred_1d", "target_1d")),
    Params(num_outputs=3, multioutput=(0.2, 0.5, 0.3), sample_weight=Ref("weight")),
)
_VARIANCE = (
    *_REGRESSION,
    Params(num_outputs=3, multioutput="variance_weighted", sample_weight=Ref("weight")),
)
_RETRIEVAL = (
    Params(k=3),
    Params(k=4, empty_target_action="skip"),
    Params(k=5, empty_target_action="pos"),
    Params(),
)


def _search_parts(
    queries: Any, corpus: Any, *, k: int, similarity: Any = "dot", chunk_size: Any = None
) -> tuple[Any, ...]:
    """:func:`arraylosses.metrics.top_k_search` as a tuple (scores, ids, invalid)."""
    xp = namespace(queries=queries)
    found = metrics.top_k_search(queries, corpus, k=k, similarity=similarity, chunk_size=chunk_size)
    return _in_dtype(xp, found, queries.dtype)


def _in_dtype(xp: Any, values: Any, dtype: Any) -> tuple[Any, ...]:
    """The outputs (scores, integer ids, invalid flags) in the inputs' dtype, as the matrix
    compares them (tests/test_search.py checks their own dtypes)."""
    return tuple(xp.astype(v, dtype) for v in values)


def _stepwise_parts(queries: Any, corpus: Any, *, k: int) -> tuple[Any, ...]:
    """``top_k_init``, then ``top_k_update`` over two score chunks, and ``top_k_merge`` of two
    halves of the corpus, as a tuple (scores, ids, invalid)."""
    xp = namespace(queries=queries, corpus=corpus)
    half = corpus.shape[0] // 2
    scores = queries @ xp.matrix_transpose(corpus)
    first = metrics.top_k_update(metrics.top_k_init(queries, k=k), scores[:, :half], offset=0)
    second = metrics.top_k_update(metrics.top_k_init(queries, k=k), scores[:, half:], offset=half)
    return _in_dtype(xp, metrics.top_k_merge(second, first), queries.dtype)


def _search_case(public: Callable[..., Any], fn: Callable[..., Any], params: Any) -> Case:
    return Case(
        fn=fn,
        public=public,
        inputs=inputs.search,
        args=("queries", "corpus"),
        params=params,
        no_grad="a selection: integer ids and the selected scores",
        notes="checked against a stable argsort of the dense scores (tests/test_search.py)",
        kind="function",
        # a selection, not a value: a NaN score ranks as -inf and flags its query in `invalid`
        # (retrieval_metrics then gives that query NaN metrics: tests/test_search.py); the
        # empty batch is zero queries, whose result is empty
        hostile=Hostile(
            batch=("queries",),
            empty="array",
            skip=(("nan", "a NaN score flags its query in `invalid` (tests/test_search.py)"),),
        ),
    )


TITLE = "Streaming metrics"  # its docs section
MODULE = "arraylosses.metrics.streaming"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    *(
        _case(name, inputs.metric, ("pred", "target"), _REGRESSION)
        for name in (
            "mean_squared_error",
            "root_mean_squared_error",
            "mean_absolute_error",
            "mean_absolute_percentage_error",
        )
    ),
    *(
        _case(name, inputs.metric, ("pred", "target"), _VARIANCE)
        for name in ("r2_score", "explained_variance_score")
    ),
    _case(
        "accuracy",
        inputs.class_metrics,
        ("scores", "labels"),
        (
            Params(),
            Params(sample_weight=Ref("weight")),
            Params(args=("pred_labels", "labels"), sample_weight=Ref("weight")),
        ),
    ),
    _case("top_k_accuracy", inputs.class_metrics, ("scores", "labels"), (Params(k=2),)),
    _case(
        "log_loss",
        inputs.class_metrics,
        ("probs", "labels"),
        (Params(), Params(args=("probs_1d", "binary"), sample_weight=Ref("weight"))),
    ),
    _case(
        "precision_recall_f1",
        inputs.class_metrics,
        ("scores", "labels"),
        (
            Params(num_classes=4),
            Params(num_classes=4, average="weighted", sample_weight=Ref("weight")),
            Params(num_classes=4, average="macro"),
        ),
    ),
    _case(
        "roc_auc",
        inputs.class_metrics,
        ("scores_1d", "binary"),
        (
            Params(thresholds=(-1.0, -0.3, 0.0, 0.4, 1.5)),
            Params(args=("probs_1d", "binary"), thresholds=7),
        ),
    ),
    _case(
        "mean_cosine_similarity",
        inputs.rowwise,
        ("pred", "target"),
        (Params(), Params(sample_weight=Ref("weight"))),
    ),
    *(
        _case(name, inputs.retrieval, ("scores", "relevance"), _RETRIEVAL)
        for name in ("recall_at_k", "precision_at_k", "hit_rate_at_k", "mrr")
    ),
    _case(
        "ndcg_at_k",
        inputs.retrieval,
        ("scores", "relevance"),
        (
            *_RETRIEVAL,
            Params(args=("scores", "graded"), k=4, gain="exponential"),
            Params(args=("scores", "graded"), k=4, gain="exponential", empty_target_action="skip"),
        ),
    ),
    _case(
        "map_at_k",
        inputs.retrieval,
        ("scores", "relevance"),
        (*_RETRIEVAL, Params(k=3, map_denominator="relevant")),
    ),
    _search_case(
        metrics.top_k_search,
        _search_parts,
        (Params(k=3), Params(k=4, chunk_size=5), Params(k=2, similarity="cosine", chunk_size=3)),
    ),
    *(
        _search_case(public, _stepwise_parts, (Params(k=3),))
        for public in (metrics.top_k_init, metrics.top_k_update, metrics.top_k_merge)
    ),
)


# ---------------------------------------------------------------------------------------------
# wave 3, metrics 1-3: the binned ranking curves (arraylosses.metrics.streaming.ranking_curves)


def _wave3_case(
    name: str,
    builder: Any,
    args: tuple[str, str],
    params: tuple[Params, ...],
    *,
    parts: int = 1,
    empty: Any = "auto",
    skip: tuple[tuple[str, str], ...] = (),
) -> Case:
    """:func:`_case` for a metric whose ``compute`` returns ``parts`` arrays."""
    case = _case(name, builder, args, params)
    return dataclasses.replace(case, hostile=Hostile(state_from=parts, empty=empty, skip=skip))


_CURVE_PARAMS = (
    Params(args=("probs_1d", "binary"), thresholds=5),
    Params(thresholds=(-1.0, -0.3, 0.0, 0.4, 1.5), sample_weight=Ref("weight")),
)
_CURVE_EMPTY = (
    "empty",
    "an empty stream computes to the documented curve (precision 1, the thresholds), "
    "not NaN everywhere: tests/test_metrics_classification_wave3.py",
)

WAVE3_CURVE_CASES: tuple[Case, ...] = (
    _wave3_case("average_precision", inputs.class_metrics, ("scores_1d", "binary"), _CURVE_PARAMS),
    *(
        _wave3_case(
            name,
            inputs.class_metrics,
            ("scores_1d", "binary"),
            _CURVE_PARAMS,
            parts=3,
            skip=(_CURVE_EMPTY,),
        )
        for name in ("precision_recall_curve", "roc_curve")
    ),
)

# wave 3, metrics 4-5: calibration (arraylosses.metrics.streaming.calibration)

WAVE3_CALIBRATION_CASES: tuple[Case, ...] = (
    _wave3_case(
        "calibration_error",
        inputs.class_metrics,
        ("probs", "labels"),
        (Params(n_bins=5), Params(args=("probs_1d", "binary"), n_bins=10, norm="l2")),
    ),
    _wave3_case(
        "brier_score",
        inputs.class_metrics,
        ("probs", "labels"),
        (Params(), Params(args=("probs_1d", "binary"), sample_weight=Ref("weight"))),
    ),
)

# wave 3, metrics 6-9: the confusion-matrix state (arraylosses.metrics.streaming.confusion)

_CONFUSION_WEIGHTED = Params(num_classes=4, sample_weight=Ref("weight"))

WAVE3_CONFUSION_CASES: tuple[Case, ...] = (
    _wave3_case(
        "confusion_matrix",
        inputs.class_metrics,
        ("scores", "labels"),
        (Params(num_classes=4), _CONFUSION_WEIGHTED.with_(normalize="true")),
        empty="zero",
    ),
    _wave3_case(
        "matthews_corrcoef", inputs.class_metrics, ("scores", "labels"), (_CONFUSION_WEIGHTED,)
    ),
    _wave3_case(
        "cohen_kappa",
        inputs.class_metrics,
        ("scores", "labels"),
        (Params(num_classes=4), _CONFUSION_WEIGHTED.with_(weights="quadratic")),
    ),
    _wave3_case(
        "balanced_accuracy",
        inputs.class_metrics,
        ("pred_labels", "labels"),
        (_CONFUSION_WEIGHTED.with_(adjusted=True),),
    ),
)

CASES = (*CASES, *WAVE3_CURVE_CASES, *WAVE3_CALIBRATION_CASES, *WAVE3_CONFUSION_CASES)


# ---------------------------------------------------------------------------------------------
# Wave 3, metrics 10-20: the streaming forms (Spearman and Kendall have none)

_WAVE3_REGRESSION = (
    Params(num_outputs=3),
    Params(num_outputs=3, multioutput="raw_values", sample_weight=Ref("weight")),
    Params(args=("pred_1d", "target_1d")),
)
_WAVE3_CORRELATION = (
    Params(num_outputs=3),
    Params(args=("pred_tied", "target_tied"), num_outputs=3, multioutput="raw_values"),
    Params(args=("pred_1d", "target_1d")),
)

WAVE3_CASES: tuple[Case, ...] = (
    *(
        _case(name, _log_domain, ("pred", "target"), _WAVE3_REGRESSION)
        for name in ("mean_squared_log_error", "root_mean_squared_log_error")
    ),
    *(
        _case(name, inputs.metric, ("pred", "target"), _WAVE3_REGRESSION)
        for name in (
            "symmetric_mean_absolute_percentage_error",
            "weighted_mean_absolute_percentage_error",
        )
    ),
    dataclasses.replace(
        _case("pearson_corrcoef", _correlation_inputs, ("pred", "target"), _WAVE3_CORRELATION),
        hostile=Hostile(
            state_from=1,
            skip=(("constant", "a constant prediction has no correlation: NaN by definition"),),
        ),
    ),
    _case("concordance_corrcoef", _correlation_inputs, ("pred", "target"), _WAVE3_CORRELATION),
    _case(
        "r_precision",
        inputs.retrieval,
        ("scores", "relevance"),
        (Params(), Params(empty_target_action="skip")),
    ),
    _case(
        "dcg_at_k",
        inputs.retrieval,
        ("scores", "graded"),
        (Params(k=3), Params(args=("scores_tied", "graded"), gain="exponential")),
    ),
    _case(
        "gauc",
        _gauc_inputs,
        ("scores", "target"),
        (Params(), Params(weighting="clicks"), Params(weighting="uniform")),
    ),
)

CASES = (*CASES, *WAVE3_CASES)
