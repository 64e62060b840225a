"""Wave-3 classification metrics (docs/spec.md): the crafted values of the spec, the exact
curves (eager only, so outside the registry's transforms) against scikit-learn on every
backend, their error under tracing, the documented empty and degenerate values, and the peer
disagreements where we follow one rule."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from arraylosses import metrics
from arraylosses.metrics import streaming

from .conftest import use_backend

S = np.array([0.9, 0.5, 0.5, 0.5, 0.2, 0.2, 0.1])
Y = np.array([1, 0, 1, 1, 0, 1, 0])


def _lists(out: tuple) -> list[list[float]]:
    return [np.asarray(v, dtype=np.float64).tolist() for v in out]


# ---------------------------------------------------------------------------------------------
# 1-3: ranking curves


def test_crafted_values() -> None:
    assert float(metrics.average_precision(S, Y)) == pytest.approx(19 / 24, abs=1e-15)
    assert float(metrics.average_precision(np.full(4, 0.3), np.array([1, 0, 0, 1]))) == 0.5
    assert float(metrics.average_precision(S, np.ones(7, dtype=int))) == 1.0
    p, r, t = _lists(metrics.precision_recall_curve(S, Y))
    assert t == [0.1, 0.2, 0.5, 0.9]
    np.testing.assert_allclose(p, [4 / 7, 2 / 3, 3 / 4, 1, 1])
    np.testing.assert_allclose(r, [1, 1, 0.75, 0.25, 0])
    p, r, t = _lists(metrics.precision_recall_curve(S, Y, thresholds=5))
    np.testing.assert_allclose(p, [4 / 7, 3 / 4, 3 / 4, 1, 1, 1])
    np.testing.assert_allclose(r, [1, 0.75, 0.75, 0.25, 0, 0])
    fpr, tpr, t = _lists(metrics.roc_curve(S, Y))
    np.testing.assert_allclose(fpr, [0, 0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(tpr, [0, 0.25, 0.75, 1, 1])
    assert t == [math.inf, 0.9, 0.5, 0.2, 0.1]
    fpr, tpr, t = _lists(metrics.roc_curve(S, Y, thresholds=5))
    assert t == [1, 0.75, 0.5, 0.25, 0]
    np.testing.assert_allclose(fpr, [0, 0, 1 / 3, 1 / 3, 1])
    np.testing.assert_allclose(tpr, [0, 0.25, 0.75, 0.75, 1])


def test_binned_ap_counts_bin_zero() -> None:
    """A score below the first threshold: bin 0 is the last step to recall 1 (torchmetrics:
    0.25, never predicting it positive)."""
    s, y = np.array([0.1, 0.3, 0.6, 0.9]), np.array([1, 0, 1, 0])
    assert float(metrics.average_precision(s, y, thresholds=[0.2, 0.5, 0.8])) == 0.5


def test_missing_class_and_empty() -> None:
    no_pos = np.zeros(7, dtype=int)
    assert math.isnan(float(metrics.average_precision(S, no_pos)))
    assert math.isnan(float(metrics.average_precision(S, no_pos, thresholds=5)))
    p, r, _ = _lists(metrics.precision_recall_curve(S, no_pos))
    assert all(math.isnan(v) for v in r[:-1]) and r[-1] == 0 and p[-1] == 1
    fpr, tpr, _ = _lists(metrics.roc_curve(S, no_pos))
    assert all(math.isnan(v) for v in tpr) and not any(math.isnan(v) for v in fpr)
    fpr, tpr, _ = _lists(metrics.roc_curve(S, np.ones(7, dtype=int), thresholds=4))
    assert all(math.isnan(v) for v in fpr)
    e = np.zeros(0)
    assert math.isnan(float(metrics.average_precision(e, e)))
    assert _lists(metrics.precision_recall_curve(e, e)) == [[1.0], [0.0], []]
    p, r, t = _lists(metrics.precision_recall_curve(e, e, thresholds=3))
    assert p == [1.0] * 4 and all(math.isnan(v) for v in r[:-1]) and r[-1] == 0
    assert t == [0, 0.5, 1]
    fpr, tpr, t = _lists(metrics.roc_curve(e, e))
    assert fpr == [] or all(math.isnan(v) for v in fpr)
    m = streaming.precision_recall_curve(thresholds=3)
    got = _lists(m.compute(m.init(np)))
    assert got[0] == [1.0] * 4 and got[2] == [0, 0.5, 1]


def test_nan_poisons_every_point_but_the_appended_one() -> None:
    s = S.copy()
    s[3] = np.nan
    assert math.isnan(float(metrics.average_precision(s, Y)))
    for thresholds in (None, 5):
        p, r, _ = _lists(metrics.precision_recall_curve(s, Y, thresholds=thresholds))
        assert all(math.isnan(v) for v in p[:-1] + r[:-1]) and (p[-1], r[-1]) == (1, 0)
        fpr, tpr, _ = _lists(metrics.roc_curve(s, Y, thresholds=thresholds))
        assert all(math.isnan(v) for v in fpr + tpr)
    w = np.ones(7)
    w[0] = np.nan
    assert math.isnan(float(metrics.average_precision(S, Y, sample_weight=w)))


@pytest.mark.parametrize("name", ["precision_recall_curve", "roc_curve"])
def test_exact_curves_match_sklearn_on_every_backend(backend, name: str) -> None:
    import sklearn.metrics as skm

    rng = np.random.default_rng(3)
    s = np.round(rng.uniform(size=30) * 8) / 8
    y = rng.integers(0, 2, size=30)
    w = rng.uniform(0.5, 2.0, size=30)
    w[:4] = 0  # zero-weight rows: their scores are no threshold, as scikit-learn
    args = (backend.asarray(s, "float64"), backend.asarray(y))
    if backend.strict_flags and not backend.strict_flags.get("data_dependent_shapes", True):
        # array-api-strict without data-dependent shapes (the jit-like column): as under
        # tracing, the exact curve is refused, naming the fixed-shape form
        with pytest.raises(ValueError, match="thresholds="):
            getattr(metrics, name)(*args, sample_weight=backend.asarray(w))
        return
    ours = getattr(metrics, name)(*args, sample_weight=backend.asarray(w))
    theirs = getattr(skm, name)(y, s, sample_weight=w, drop_intermediate=False)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(backend.to_numpy(a), b, rtol=1e-12)


@pytest.mark.parametrize("name", ["precision_recall_curve", "roc_curve"])
def test_exact_curves_refuse_tracing(name: str) -> None:
    use_backend("jax")
    import jax
    import jax.numpy as jnp

    fn = getattr(metrics, name)
    with pytest.raises(ValueError, match="thresholds="):
        jax.jit(fn)(jnp.asarray(S), jnp.asarray(Y))
    out = jax.jit(lambda s, y: fn(s, y, thresholds=5))(jnp.asarray(S), jnp.asarray(Y))
    assert [len(v) for v in out] == ([6, 6, 5] if name == "precision_recall_curve" else [5] * 3)


def test_bad_thresholds_and_labels() -> None:
    with pytest.raises(ValueError, match="binary labels"):
        metrics.average_precision(S, np.array([0, 1, 2, 0, 0, 1, 0]))
    with pytest.raises(ValueError, match="strictly increasing"):
        metrics.roc_curve(S, Y, thresholds=[0.5, 0.2])
    with pytest.raises(TypeError, match="thresholds"):
        streaming.average_precision(thresholds="5")


# ---------------------------------------------------------------------------------------------
# 4-5: calibration


def test_calibration_phantom_bin_and_bin_edges() -> None:
    """torchmetrics#3510: a confidence of exactly 1.0 lands in an extra bin there (.525/.708/1.0
    for l1/l2/max); ours is one bin, confidence .975, accuracy .5: .475 for all three."""
    p, y = np.array([0.95, 1.0]), np.array([1, 0])
    for norm in ("l1", "l2", "max"):
        assert float(metrics.calibration_error(p, y, n_bins=10, norm=norm)) == pytest.approx(0.475)
    # left-closed bins (torchmetrics, np.histogram): .21667; right-closed would give .28333
    got = metrics.calibration_error(np.array([0.25, 0.3, 0.2]), np.array([1, 0, 0]), n_bins=4)
    assert float(got) == pytest.approx(0.21666666666666667, abs=1e-15)


def test_calibration_forms_and_errors() -> None:
    rng = np.random.default_rng(0)
    p1 = rng.uniform(size=20)
    y = rng.integers(0, 2, size=20)
    two = np.stack([1 - p1, p1], axis=1)
    # (N, 2) is the top-label error, not the (N,) one
    assert float(metrics.calibration_error(two, y)) != float(metrics.calibration_error(p1, y))
    zero = metrics.calibration_error(np.array([0.0, 1.0]), np.array([0, 1]), norm="l2")
    assert float(zero) == 0.0 and zero.dtype == np.float64
    assert math.isnan(float(metrics.calibration_error(np.zeros(0), np.zeros(0, dtype=int))))
    with pytest.raises(ValueError, match="probs must lie in"):
        metrics.calibration_error(np.array([0.5, 1.5]), np.array([0, 1]))
    with pytest.raises(ValueError, match="norm"):
        metrics.calibration_error(p1, y, norm="l3")
    with pytest.raises(ValueError, match="n_bins"):
        metrics.calibration_error(p1, y, n_bins=0)


def test_brier_scalings_and_empty() -> None:
    p1, y = np.array([0.9, 0.2, 0.6]), np.array([1, 1, 0])
    two = np.stack([1 - p1, p1], axis=1)
    for half in ("auto", True, False):
        a = metrics.brier_score(p1, y, scale_by_half=half)
        b = metrics.brier_score(two, y, scale_by_half=half)
        assert float(a) == pytest.approx(float(b), abs=1e-15)
    assert float(metrics.brier_score(p1, y, scale_by_half=False)) == pytest.approx(
        2 * float(metrics.brier_score(p1, y))
    )
    assert math.isnan(float(metrics.brier_score(np.zeros(0), np.zeros(0, dtype=int))))
    with pytest.raises(ValueError, match="scale_by_half"):
        metrics.brier_score(p1, y, scale_by_half="yes")


# ---------------------------------------------------------------------------------------------
# 6-9: the confusion matrix and its metrics


def test_confusion_crafted_and_degenerate() -> None:
    tp2 = np.array([1, 1, 1, 0, 0]), np.array([1, 1, 0, 0, 0])  # TP 2, FP 1, TN 2, FN 0
    assert float(metrics.matthews_corrcoef(*tp2, num_classes=2)) == pytest.approx(2 / 3)
    y = np.array([0, 1, 2, 1])
    assert float(metrics.matthews_corrcoef(y, y, num_classes=3)) == pytest.approx(1.0)
    assert float(metrics.matthews_corrcoef(1 - tp2[1], tp2[1], num_classes=2)) == -1.0
    # a zero denominator: 0, as scikit-learn (torchmetrics 1.0 and 0.408 here)
    ones = np.array([1, 1, 1])
    assert float(metrics.matthews_corrcoef(ones, ones, num_classes=2)) == 0.0
    assert float(metrics.matthews_corrcoef(np.array([0, 1, 1]), ones, num_classes=2)) == 0.0
    kappa = metrics.cohen_kappa(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), num_classes=2)
    assert float(kappa) == pytest.approx(0.5)
    assert math.isnan(float(metrics.cohen_kappa(ones, ones, num_classes=2)))  # Σ w E = 0
    assert float(metrics.cohen_kappa(ones, np.array([0, 1, 1]), num_classes=2)) == 0.0
    bacc = metrics.balanced_accuracy(
        np.array([0, 1, 2, 2, 0]), np.array([0, 1, 1, 1, 0]), num_classes=3
    )
    assert float(bacc) == pytest.approx(2 / 3)  # torchmetrics' macro recall: 4/9
    assert float(
        metrics.balanced_accuracy(np.array([0, 1, 1]), ones, num_classes=2)
    ) == pytest.approx(2 / 3)
    adjusted = metrics.balanced_accuracy(np.array([0, 1, 1]), ones, num_classes=2, adjusted=True)
    assert math.isnan(float(adjusted))  # scikit-learn: -inf (chance level 1: 0/0)


def test_confusion_empty_nan_and_normalize() -> None:
    e = np.zeros(0, dtype=int)
    for normalize in (None, "true", "pred", "all"):
        got = metrics.confusion_matrix(e, e, num_classes=3, normalize=normalize)
        assert got.shape == (3, 3) and not got.any()
    for fn in (metrics.matthews_corrcoef, metrics.cohen_kappa, metrics.balanced_accuracy):
        assert math.isnan(float(fn(e, e, num_classes=3)))
    scores = np.array([[0.1, 0.9], [np.nan, 0.2]])
    assert np.isnan(metrics.confusion_matrix(scores, np.array([1, 0]), num_classes=2)).all()
    m = metrics.confusion_matrix(
        np.array([0, 0]), np.array([0, 0]), num_classes=2, normalize="pred"
    )
    assert m.tolist() == [[1.0, 0.0], [0.0, 0.0]]  # a zero column normalises to 0
    with pytest.raises(ValueError, match=r"target holds class indices outside \[0, 2\)"):
        metrics.confusion_matrix(np.array([0, 1]), np.array([0, 2]), num_classes=2)
    with pytest.raises(ValueError, match="normalize"):
        metrics.confusion_matrix(np.array([0]), np.array([0]), num_classes=2, normalize="row")
    with pytest.raises(ValueError, match="weights"):
        metrics.cohen_kappa(np.array([0]), np.array([0]), num_classes=2, weights="cubic")


def test_out_of_range_labels_under_jit_give_nan() -> None:
    use_backend("jax")
    import jax
    import jax.numpy as jnp

    pred, target = jnp.asarray([0, 1, 1]), jnp.asarray([0, 2, 1])
    got = jax.jit(lambda p, t: metrics.confusion_matrix(p, t, num_classes=2))(pred, target)
    assert np.isnan(np.asarray(got)).all()
    probs = jnp.asarray([0.5, 1.5])
    got = jax.jit(metrics.calibration_error)(probs, jnp.asarray([0, 1]))
    assert math.isnan(float(got))


def test_no_warnings_on_degenerate_inputs() -> None:
    ones = np.array([1, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics.matthews_corrcoef(ones, ones, num_classes=2)
        metrics.cohen_kappa(ones, ones, num_classes=2)
        metrics.balanced_accuracy(ones, ones, num_classes=2, adjusted=True)
        metrics.average_precision(S, np.zeros(7, dtype=int))
        metrics.roc_curve(S, np.zeros(7, dtype=int))
