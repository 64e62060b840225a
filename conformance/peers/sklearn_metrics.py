"""Cross-checks against scikit-learn (argument order ``(y_true, y_pred)``), on NumPy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import arraylosses as al
from arraylosses import metrics

from ._base import PeerCheck

MULTIOUTPUT = ("uniform_average", "raw_values", "weights")


def _metric(
    ours: Callable[..., Any],
    theirs_name: str,
    multioutput: str,
    weighted: bool,
    one_d: bool = False,
    constant: bool = False,
    force_finite: bool | None = None,
) -> Callable[[dict[str, np.ndarray]], tuple[list[Any], list[Any]]]:
    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import sklearn.metrics as skm

        theirs = getattr(skm, theirs_name)
        p, t = (
            (inputs["pred_1d"], inputs["target_1d"])
            if one_d
            else (inputs["pred"], inputs["target"])
        )
        if constant:  # one output constant: sklearn's force_finite rule decides it
            t = t.copy()
            t[:, 1] = 1.5
        mo: Any = inputs["output_weights"] if multioutput == "weights" else multioutput
        kw: dict[str, Any] = {"multioutput": mo}
        if force_finite is not None:
            kw["force_finite"] = force_finite
        w = inputs["weight"] if weighted else None
        with np.errstate(divide="ignore", invalid="ignore"):  # force_finite=False: x/0, 0·inf
            return (
                [np.asarray(ours(p, t, sample_weight=w, **kw))],
                [np.asarray(theirs(t, p, sample_weight=w, **kw))],
            )

    return run


def _checks() -> list[PeerCheck]:
    out = []
    plain = [
        ("mean_squared_error", metrics.mean_squared_error),
        ("root_mean_squared_error", metrics.root_mean_squared_error),
        ("mean_absolute_error", metrics.mean_absolute_error),
        ("mean_absolute_percentage_error", metrics.mean_absolute_percentage_error),
    ]
    variance = [
        ("r2_score", metrics.r2_score),
        ("explained_variance_score", metrics.explained_variance_score),
    ]
    for name, fn in plain + variance:
        modes = MULTIOUTPUT + (("variance_weighted",) if (name, fn) in variance else ())
        for mode in modes:
            for weighted in (False, True):
                out.append(
                    PeerCheck(
                        f"metrics.{name}",
                        f"sklearn.metrics.{name}(multioutput={mode!r}, weighted={weighted})",
                        "sklearn",
                        _metric(fn, name, mode, weighted),
                        rtol=1e-10,
                    )
                )
        out.append(
            PeerCheck(
                f"metrics.{name}",
                f"sklearn.metrics.{name}(1-D)",
                "sklearn",
                _metric(fn, name, "raw_values", True, one_d=True),
                rtol=1e-10,
            )
        )
    for name, fn in variance:
        for mode in ("raw_values", "variance_weighted"):
            for ff in (True, False):
                out.append(
                    PeerCheck(
                        f"metrics.{name}",
                        f"sklearn.metrics.{name}(constant output, {mode}, force_finite={ff})",
                        "sklearn",
                        _metric(fn, name, mode, False, constant=True, force_finite=ff),
                        rtol=1e-10,
                    )
                )

    def pinball(q: float, weighted: bool) -> Callable[..., Any]:
        def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
            from sklearn.metrics import mean_pinball_loss

            p, t, w = inputs["pred"], inputs["target"], inputs["row_weight"]
            ours = al.quantile_loss(p, t, quantile=q, sample_weight=w if weighted else None)
            theirs = mean_pinball_loss(t, p, alpha=q, sample_weight=w[:, 0] if weighted else None)
            return [np.asarray(ours)], [np.asarray(theirs)]

        return run

    for q in (0.1, 0.5, 0.9):
        for weighted in (False, True):
            out.append(
                PeerCheck(
                    "quantile_loss",
                    f"sklearn.metrics.mean_pinball_loss(alpha={q}, "
                    f"sample_weight={'rows' if weighted else None})",
                    "sklearn",
                    pinball(q, weighted),
                    rtol=1e-12,
                )
            )

    def pairwise(ours: Callable[..., Any], theirs_name: str) -> Callable[..., Any]:
        def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
            import sklearn.metrics.pairwise as skp

            a, c = inputs["a"], inputs["c"]
            return [np.asarray(ours(a, c))], [getattr(skp, theirs_name)(a, c)]

        return run

    out += [
        PeerCheck(
            "pairwise_euclidean_distance",
            "sklearn.metrics.pairwise.euclidean_distances",
            "sklearn",
            pairwise(al.pairwise_euclidean_distance, "euclidean_distances"),
            rtol=1e-12,
        ),
        PeerCheck(
            "pairwise_cosine_similarity",
            "sklearn.metrics.pairwise.cosine_similarity",
            "sklearn",
            pairwise(al.pairwise_cosine_similarity, "cosine_similarity"),
            rtol=1e-12,
        ),
    ]
    return out


CHECKS = tuple(_checks())


def _classification() -> list[PeerCheck]:
    def run(ours: Callable[..., Any], theirs: Callable[..., Any]) -> Callable[..., Any]:
        def go(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
            a, b = ours(inputs), theirs(inputs)
            a = a if isinstance(a, tuple) else (a,)
            b = b if isinstance(b, tuple) else (b,)
            return [np.asarray(x) for x in a], [np.asarray(x) for x in b]

        return go

    def sk(name: str) -> Any:
        import sklearn.metrics as skm

        return getattr(skm, name)

    out = []
    for weighted in (False, True):

        def w(i: dict[str, np.ndarray], weighted: bool = weighted) -> Any:
            return i["weight"] if weighted else None

        out += [
            PeerCheck(
                "metrics.accuracy",
                f"sklearn.metrics.accuracy_score(argmax, weighted={weighted})",
                "sklearn",
                run(
                    lambda i, w=w: metrics.accuracy(i["scores"], i["labels"], sample_weight=w(i)),
                    lambda i, w=w: sk("accuracy_score")(
                        i["labels"], i["scores"].argmax(1), sample_weight=w(i)
                    ),
                ),
            ),
            PeerCheck(
                "metrics.log_loss",
                f"sklearn.metrics.log_loss(labels=range(C), weighted={weighted})",
                "sklearn",
                run(
                    lambda i, w=w: metrics.log_loss(i["probs"], i["labels"], sample_weight=w(i)),
                    lambda i, w=w: sk("log_loss")(
                        i["labels"], i["probs"], labels=range(4), sample_weight=w(i)
                    ),
                ),
                rtol=1e-12,
            ),
            PeerCheck(
                "metrics.log_loss",
                f"sklearn.metrics.log_loss(binary, weighted={weighted})",
                "sklearn",
                run(
                    lambda i, w=w: metrics.log_loss(i["probs_1d"], i["binary"], sample_weight=w(i)),
                    lambda i, w=w: sk("log_loss")(i["binary"], i["probs_1d"], sample_weight=w(i)),
                ),
                rtol=1e-12,
            ),
        ]
        for k in (1, 2, 3):
            for scores in ("scores", "scores_tied"):
                out.append(
                    PeerCheck(
                        "metrics.top_k_accuracy",
                        f"sklearn.metrics.top_k_accuracy_score(k={k}, {scores}, "
                        f"weighted={weighted})",
                        "sklearn",
                        run(
                            lambda i, k=k, s=scores, w=w: metrics.top_k_accuracy(
                                i[s], i["labels"], k=k, sample_weight=w(i)
                            ),
                            lambda i, k=k, s=scores, w=w: sk("top_k_accuracy_score")(
                                i["labels"], i[s], k=k, labels=range(4), sample_weight=w(i)
                            ),
                        ),
                    )
                )
        for average in ("micro", "macro", "weighted"):
            for pred, c in (("scores", 4), ("pred_labels", 4), ("pred_labels", 6)):

                def ours(i, average=average, pred=pred, c=c, w=w):
                    return metrics.precision_recall_f1(
                        i[pred], i["labels"], num_classes=c, average=average, sample_weight=w(i)
                    )

                def theirs(i, average=average, pred=pred, c=c, w=w):
                    p = i[pred].argmax(1) if pred == "scores" else i[pred]
                    r = sk("precision_recall_fscore_support")(
                        i["labels"],
                        p,
                        labels=range(c),
                        average=average,
                        zero_division=0,
                        sample_weight=w(i),
                    )
                    return r[:3]

                out.append(
                    PeerCheck(
                        "metrics.precision_recall_f1",
                        f"sklearn.metrics.precision_recall_fscore_support(average={average!r}, "
                        f"labels=range({c}), zero_division=0, {pred}, weighted={weighted})",
                        "sklearn",
                        run(ours, theirs),
                        rtol=1e-12,
                    )
                )
    for scores in ("scores_1d", "scores_1d_tied"):
        out.append(
            PeerCheck(
                "metrics.roc_auc",
                f"sklearn.metrics.roc_auc_score({scores})",
                "sklearn",
                run(
                    lambda i, s=scores: metrics.roc_auc(i[s], i["binary"]),
                    lambda i, s=scores: sk("roc_auc_score")(i["binary"], i[s]),
                ),
                rtol=1e-12,
            )
        )
    return out


CHECKS = CHECKS + tuple(_classification())


def _ndcg(k: int, relevance: str) -> Callable[..., Any]:
    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        from sklearn.metrics import ndcg_score

        # tie-free scores (sklearn averages ties); a query with no relevant item scores 0 in
        # sklearn, as our default empty_target_action="neg"
        s, rel = inputs["scores"], inputs[relevance]
        return [np.asarray(metrics.ndcg_at_k(s, rel, k=k))], [np.asarray(ndcg_score(rel, s, k=k))]

    return run


CHECKS = CHECKS + tuple(
    PeerCheck(
        "metrics.ndcg_at_k",
        f"sklearn.metrics.ndcg_score(k={k}, {rel})",
        "sklearn",
        _ndcg(k, rel),
        rtol=1e-12,
    )
    for k in (1, 3, 8)
    for rel in ("relevance", "graded")
)
