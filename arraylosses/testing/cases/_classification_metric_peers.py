"""Peer calls of the wave-3 classification metrics (ranking curves, calibration, confusion-matrix
metrics) for their records' ``checks=``: each run takes the case's NumPy inputs and returns
``(ours, theirs)``, lists of NumPy arrays. The peer library is imported inside the run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from arraylosses import metrics

from .._peer import PeerCheck, peer

__all__ = [
    "CALIBRATION_CHECKS",
    "CONFUSION_CHECKS",
    "CURVE_CHECKS",
    "sklearn_check",
    "torchmetrics_check",
]


def _arrays(out: Any) -> list[np.ndarray]:
    values = out if isinstance(out, tuple) else (out,)
    return [np.asarray(v, dtype=np.float64) for v in values]


def sklearn_check(
    call: str,
    ours: Callable[..., Any],
    theirs: Callable[..., Any],
    names: tuple[str, ...],
    *,
    weight: str | None = None,
    rtol: float = 1e-12,
    atol: float = 1e-12,
    deviation: str = "",
    **hyper: Any,
) -> PeerCheck:
    """Ours ``ours(*arrays, sample_weight=..., **hyper)`` against ``theirs(skm, *arrays, w)``
    (``skm``: ``sklearn.metrics``; the argument order is the peer's to choose), NumPy float64."""

    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import sklearn.metrics as skm

        arrays = [inputs[n] for n in names]
        w = None if weight is None else inputs[weight]
        kw = {} if w is None else {"sample_weight": w}
        return _arrays(ours(*arrays, **kw, **hyper)), _arrays(theirs(skm, *arrays, w))

    return peer(call, "sklearn", run, rtol=rtol, atol=atol, deviation=deviation)


def torchmetrics_check(
    call: str,
    ours: Callable[..., Any],
    theirs: Callable[..., Any],
    names: tuple[str, ...],
    *,
    rtol: float = 1e-6,
    atol: float = 1e-7,
    deviation: str = "",
    **hyper: Any,
) -> PeerCheck:
    """Ours on NumPy float64 against ``theirs(F, *tensors)`` (``F``:
    ``torchmetrics.functional.classification``; float64 tensors, integers kept)."""

    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import torch
        import torchmetrics.functional.classification as F

        arrays = [inputs[n] for n in names]
        tensors = [torch.asarray(a) for a in arrays]
        out = theirs(F, *tensors)
        values = out if isinstance(out, tuple) else (out,)
        return _arrays(ours(*arrays, **hyper)), [
            np.asarray(v.detach().to(torch.float64).numpy()) for v in values
        ]

    return peer(call, "torchmetrics", run, rtol=rtol, atol=atol, deviation=deviation)


def _nan_as_one(x: Any) -> Any:
    import torch

    return torch.where(torch.isnan(x), torch.ones_like(x), x)


CURVE_CHECKS: dict[str, tuple[PeerCheck, ...]] = {
    "average_precision": (
        sklearn_check(
            "sklearn.metrics.average_precision_score(target, scores, sample_weight=w)",
            metrics.average_precision,
            lambda skm, s, y, w: skm.average_precision_score(y, s, sample_weight=w),
            ("scores_1d_tied", "binary"),
            weight="weight",
        ),
        torchmetrics_check(
            "torchmetrics binary_average_precision(scores, target) (float32 internally)",
            metrics.average_precision,
            lambda F, s, y: F.binary_average_precision(s, y),
            ("scores_1d_tied", "binary"),
        ),
        torchmetrics_check(
            "torchmetrics binary_average_precision(scores, target, thresholds=7)",
            metrics.average_precision,
            lambda F, s, y: F.binary_average_precision(s, y, thresholds=7),
            ("probs_1d", "binary"),
            thresholds=7,
        ),
    ),
    "precision_recall_curve": (
        sklearn_check(
            "sklearn.metrics.precision_recall_curve(target, scores, sample_weight=w, "
            "drop_intermediate=False) (the exact curve)",
            metrics.precision_recall_curve,
            lambda skm, s, y, w: skm.precision_recall_curve(
                y, s, sample_weight=w, drop_intermediate=False
            ),
            ("scores_1d_tied", "binary"),
            weight="weight",
        ),
        torchmetrics_check(
            "torchmetrics binary_precision_recall_curve(scores, target, thresholds=5)",
            metrics.precision_recall_curve,
            lambda F, s, y: (lambda p, r, t: (_nan_as_one(p), r, t))(
                *F.binary_precision_recall_curve(s, y, thresholds=5)
            ),
            ("probs_1d", "binary"),
            deviation="a threshold that predicts nothing positive: torchmetrics' precision is "
            "NaN (zero_division='nan'), ours 1 (scikit-learn's last point); read as 1 here",
            thresholds=5,
        ),
    ),
    "roc_curve": (
        sklearn_check(
            "sklearn.metrics.roc_curve(target, scores, sample_weight=w, "
            "drop_intermediate=False) (the exact curve)",
            metrics.roc_curve,
            lambda skm, s, y, w: skm.roc_curve(y, s, sample_weight=w, drop_intermediate=False),
            ("scores_1d_tied", "binary"),
            weight="weight",
        ),
        torchmetrics_check(
            "torchmetrics binary_roc(scores, target, thresholds=5)",
            metrics.roc_curve,
            lambda F, s, y: F.binary_roc(s, y, thresholds=5),
            ("probs_1d", "binary"),
            thresholds=5,
        ),
    ),
}
"""The peer checks of :func:`arraylosses.metrics.average_precision`,
``precision_recall_curve`` and ``roc_curve``: the exact forms against scikit-learn (weighted,
tied scores), the binned forms against torchmetrics (scores in [0, 1], no sigmoid)."""


CALIBRATION_CHECKS: dict[str, tuple[PeerCheck, ...]] = {
    "calibration_error": tuple(
        check
        for norm, n_bins in (("l1", 15), ("l2", 10), ("max", 5))
        for check in (
            torchmetrics_check(
                f"torchmetrics binary_calibration_error(probs, target, n_bins={n_bins}, "
                f"norm={norm!r})",
                metrics.calibration_error,
                lambda F, p, y, n_bins=n_bins, norm=norm: F.binary_calibration_error(
                    p, y, n_bins=n_bins, norm=norm
                ),
                ("probs_1d", "binary"),
                rtol=1e-12,
                atol=1e-12,
                n_bins=n_bins,
                norm=norm,
            ),
            torchmetrics_check(
                f"torchmetrics multiclass_calibration_error(probs, target, num_classes=4, "
                f"n_bins={n_bins}, norm={norm!r})",
                metrics.calibration_error,
                lambda F, p, y, n_bins=n_bins, norm=norm: F.multiclass_calibration_error(
                    p, y, num_classes=4, n_bins=n_bins, norm=norm
                ),
                ("probs", "labels"),
                rtol=2e-6,
                atol=2e-6,
                deviation="torchmetrics returns float32 for float64 input",
                n_bins=n_bins,
                norm=norm,
            ),
        )
    ),
    "brier_score": tuple(
        sklearn_check(
            f"sklearn.metrics.brier_score_loss(target, probs, sample_weight=w, "
            f"labels=range(C), scale_by_half={half!r})",
            metrics.brier_score,
            lambda skm, p, y, w, half=half: skm.brier_score_loss(
                y,
                p,
                sample_weight=w,
                labels=list(range(2 if p.ndim == 1 else p.shape[1])),
                scale_by_half=half,
            ),
            names,
            weight="weight",
            scale_by_half=half,
        )
        for half in ("auto", True, False)
        for names in (("probs", "labels"), ("probs_1d", "binary"))
    ),
}
"""The peer checks of :func:`arraylosses.metrics.calibration_error` (torchmetrics, its three
norms, binary and top-label) and ``brier_score`` (scikit-learn, its three scalings)."""


def _labels_of(pred: np.ndarray) -> np.ndarray:
    """Scores reduced to labels by argmax (ties to the first class), as ours."""
    return pred if pred.ndim == 1 else np.argmax(pred, axis=-1)


CONFUSION_CHECKS: dict[str, tuple[PeerCheck, ...]] = {
    "confusion_matrix": (
        *(
            sklearn_check(
                f"sklearn.metrics.confusion_matrix(target, pred, labels=range(4), "
                f"normalize={normalize!r}, sample_weight=w)",
                metrics.confusion_matrix,
                lambda skm, p, y, w, normalize=normalize: skm.confusion_matrix(
                    y, _labels_of(p), labels=list(range(4)), normalize=normalize, sample_weight=w
                ),
                ("scores", "labels"),
                weight="weight",
                num_classes=4,
                normalize=normalize,
            )
            for normalize in (None, "true", "pred", "all")
        ),
        torchmetrics_check(
            "torchmetrics multiclass_confusion_matrix(pred, target, num_classes=4, "
            "normalize='true')",
            metrics.confusion_matrix,
            lambda F, p, y: F.multiclass_confusion_matrix(p, y, num_classes=4, normalize="true"),
            ("pred_labels", "labels"),
            num_classes=4,
            normalize="true",
        ),
    ),
    "matthews_corrcoef": (
        sklearn_check(
            "sklearn.metrics.matthews_corrcoef(target, pred, sample_weight=w)",
            metrics.matthews_corrcoef,
            lambda skm, p, y, w: skm.matthews_corrcoef(y, _labels_of(p), sample_weight=w),
            ("scores", "labels"),
            weight="weight",
            num_classes=4,
        ),
        torchmetrics_check(
            "torchmetrics multiclass_matthews_corrcoef(pred, target, num_classes=4)",
            metrics.matthews_corrcoef,
            lambda F, p, y: F.multiclass_matthews_corrcoef(p, y, num_classes=4),
            ("pred_labels", "labels"),
            deviation="float32; a zero denominator: torchmetrics special-cases it (1.0 or "
            "0.408 where sklearn and we give 0); not on these inputs",
            num_classes=4,
        ),
    ),
    "cohen_kappa": tuple(
        check
        for weights in (None, "linear", "quadratic")
        for check in (
            sklearn_check(
                f"sklearn.metrics.cohen_kappa_score(target, pred, labels=range(4), "
                f"weights={weights!r}, sample_weight=w)",
                metrics.cohen_kappa,
                lambda skm, p, y, w, weights=weights: skm.cohen_kappa_score(
                    y, _labels_of(p), labels=list(range(4)), weights=weights, sample_weight=w
                ),
                ("scores", "labels"),
                weight="weight",
                num_classes=4,
                weights=weights,
            ),
            torchmetrics_check(
                f"torchmetrics multiclass_cohen_kappa(pred, target, num_classes=4, "
                f"weights={weights!r})",
                metrics.cohen_kappa,
                lambda F, p, y, weights=weights: F.multiclass_cohen_kappa(
                    p, y, num_classes=4, weights=weights
                ),
                ("pred_labels", "labels"),
                deviation="float32",
                num_classes=4,
                weights=weights,
            ),
        )
    ),
    "balanced_accuracy": tuple(
        sklearn_check(
            f"sklearn.metrics.balanced_accuracy_score(target, pred, sample_weight=w, "
            f"adjusted={adjusted})",
            metrics.balanced_accuracy,
            lambda skm, p, y, w, adjusted=adjusted: skm.balanced_accuracy_score(
                y, _labels_of(p), sample_weight=w, adjusted=adjusted
            ),
            ("scores", "labels"),
            weight="weight",
            num_classes=4,
            adjusted=adjusted,
        )
        for adjusted in (False, True)
    ),
}
"""The peer checks of :func:`arraylosses.metrics.confusion_matrix`, ``matthews_corrcoef``,
``cohen_kappa`` and ``balanced_accuracy`` (scikit-learn, weighted, on argmax labels;
torchmetrics, unweighted, on labels)."""
