"""Metrics under hostile input (issue #12), on every backend, eager and under ``jax.jit``.

NaN in a score, target or weight gives NaN (in the affected query/row for per-row outputs,
and in the mean), never a finite value; a mean over nothing (empty batch, weights summing to 0)
is NaN; constant targets, zero MAPE targets, probabilities of exactly 0 or 1, single-class AUC,
tied scores, boolean targets, ``k`` and the other Python arguments are checked. Expected
values come from the definitions (by hand or plain Python), or from the policy (NaN, finite).
Warnings are errors (pyproject), so each test also proves that nothing warned.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from arraylosses import metrics

NAN = math.nan
REGRESSION = [
    metrics.mean_squared_error,
    metrics.root_mean_squared_error,
    metrics.mean_absolute_error,
    metrics.mean_absolute_percentage_error,
    metrics.r2_score,
    metrics.explained_variance_score,
]
RETRIEVAL = [
    metrics.recall_at_k,
    metrics.precision_at_k,
    metrics.hit_rate_at_k,
    metrics.mrr,
    metrics.ndcg_at_k,
    metrics.map_at_k,
]


def _modes(backend):
    """Eager everywhere; also traced under ``jax.jit`` on JAX (value checks cannot run)."""
    return [False, True] if backend.name.startswith("jax") else [False]


_JITTED: dict[tuple[Any, ...], Any] = {}


def _first(item):
    return item[0]


def _jitted(fn, static):
    """``jax.jit`` of ``fn`` with the keywords ``static`` bound: one wrapper per ``(fn,
    static)``, so that a test calling it again at the same shapes (another row of NaN, say)
    reuses the compilation instead of compiling a new lambda."""
    import jax

    def call(a, t):
        return fn(*a, **t, **static)

    try:  # typed: True == 1 and 2 == 2.0, which must not share a wrapper
        key = (fn, tuple((k, type(v), v) for k, v in sorted(static.items(), key=_first)))
        hash(key)
    except TypeError:  # an unhashable static value: a wrapper of its own
        return jax.jit(call)
    if key not in _JITTED:
        _JITTED[key] = jax.jit(call)
    return _JITTED[key]


def _run(backend, fn, *arrays, dtype="float64", jit=False, **params):
    """``fn`` on ``backend`` (floating NumPy inputs cast to ``dtype``; integer and boolean
    ones kept), optionally under ``jax.jit``; the result(s) as NumPy float64."""

    args, kw = backend.convert(arrays, params, dtype)
    if jit:
        traced = {k: v for k, v in kw.items() if hasattr(v, "shape")}
        static = {k: v for k, v in kw.items() if k not in traced}
        out = _jitted(fn, static)(args, traced)
    else:
        out = fn(*args, **kw)
    if isinstance(out, tuple):
        return tuple(np.asarray(backend.to_numpy(o), dtype=np.float64) for o in out)
    return np.asarray(backend.to_numpy(out), dtype=np.float64)


def _nan(x):
    return bool(np.all(np.isnan(x)))


# -- regression ---------------------------------------------------------------------------


def _regression_data():
    rng = np.random.default_rng(0)
    target = rng.normal(size=(6, 2)) + 2.0
    return target + rng.normal(scale=0.5, size=(6, 2)), target


@pytest.mark.parametrize("fn", REGRESSION, ids=lambda f: f.__name__)
def test_regression_nan_propagates_to_its_output_only(backend, fn):
    pred, target = _regression_data()
    weight = np.linspace(0.5, 1.5, 6)
    for jit in _modes(backend):
        for where in ("pred", "target", "weight"):  # row 2: both outputs see the NaN
            p, t, w = pred.copy(), target.copy(), weight.copy()
            {"pred": p, "target": t, "weight": w}[where][2, ...] = NAN
            raw = _run(backend, fn, p, t, jit=jit, multioutput="raw_values", sample_weight=w)
            assert raw.shape == (2,) and np.isnan(raw).all(), (where, raw)
            assert _nan(_run(backend, fn, p, t, jit=jit, sample_weight=w)), where
        # NaN in one column only: the other output stays finite
        p = pred.copy()
        p[3, 0] = NAN
        raw = _run(backend, fn, p, target, jit=jit, multioutput="raw_values")
        assert np.isnan(raw[0]) and np.isfinite(raw[1]), raw
        assert _nan(_run(backend, fn, p, target, jit=jit, multioutput=np.array([0.5, 0.5])))


@pytest.mark.parametrize(
    "fn", [metrics.r2_score, metrics.explained_variance_score], ids=lambda f: f.__name__
)
@pytest.mark.parametrize("force_finite", [True, False])
def test_constant_target_rule_does_not_hide_nan(backend, fn, force_finite):
    # output 0 constant: force_finite would say 0 (imperfect) or 1 (perfect); NaN must win
    target = np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    pred = np.array([[1.0, 1.5], [NAN, 2.0], [1.0, 3.0]])
    for jit in _modes(backend):
        raw = _run(
            backend, fn, pred, target, jit=jit, multioutput="raw_values", force_finite=force_finite
        )
        assert np.isnan(raw[0]), raw
        assert np.isfinite(raw[1]), raw
        assert _nan(
            _run(
                backend,
                fn,
                pred,
                target,
                jit=jit,
                multioutput="variance_weighted",
                force_finite=force_finite,
            )
        )


@pytest.mark.parametrize(
    "fn", [metrics.r2_score, metrics.explained_variance_score], ids=lambda f: f.__name__
)
def test_constant_target_without_force_finite(backend, fn):
    # sklearn: 0/0 -> NaN (perfect), c/0 -> -inf; here without a division warning
    target = np.array([[1.0, 5.0, 1.0], [1.0, 5.0, 2.0], [1.0, 5.0, 3.0]])
    pred = np.array([[1.0, 5.0, 1.0], [1.0, 6.0, 2.0], [1.0, 5.0, 4.0]])
    for jit in _modes(backend):
        raw = _run(backend, fn, pred, target, jit=jit, multioutput="raw_values", force_finite=False)
        assert np.isnan(raw[0]) and raw[1] == -np.inf and np.isfinite(raw[2]), raw
        forced = _run(backend, fn, pred, target, jit=jit, multioutput="raw_values")
        np.testing.assert_array_equal(forced[:2], [1.0, 0.0])
        # variance weighting gives the constant outputs weight 0, but 0 * -inf is NaN (sklearn)
        assert _nan(
            _run(
                backend,
                fn,
                pred,
                target,
                jit=jit,
                multioutput="variance_weighted",
                force_finite=False,
            )
        )


@pytest.mark.parametrize("fn", REGRESSION, ids=lambda f: f.__name__)
def test_regression_empty_batch(backend, fn):
    empty = np.zeros((0, 3))
    for jit in _modes(backend):
        if fn is metrics.r2_score:  # documented: needs two samples
            if not jit:
                with pytest.raises(ValueError, match="r2_score needs at least 2 samples"):
                    fn(backend.asarray(empty, "float64"), backend.asarray(empty, "float64"))
            continue
        assert _nan(_run(backend, fn, empty, empty, jit=jit))
        raw = _run(backend, fn, empty, empty, jit=jit, multioutput="raw_values")
        assert raw.shape == (3,) and _nan(raw)
        one_d = _run(backend, fn, empty[:, 0], empty[:, 0], jit=jit, multioutput="raw_values")
        assert one_d.shape == (1,) and _nan(one_d)
        assert _nan(_run(backend, fn, empty, empty, jit=jit, sample_weight=np.zeros(0)))


@pytest.mark.parametrize("fn", REGRESSION, ids=lambda f: f.__name__)
def test_regression_weights_summing_to_zero(backend, fn):
    pred, target = _regression_data()
    for jit in _modes(backend):
        assert _nan(_run(backend, fn, pred, target, jit=jit, sample_weight=np.zeros(6)))
        assert _nan(_run(backend, fn, pred, target, jit=jit, multioutput=np.zeros(2)))


@pytest.mark.parametrize("fn", REGRESSION, ids=lambda f: f.__name__)
def test_regression_boolean_targets(backend, fn):
    pred = np.array([0.2, 0.9, 0.4, 0.6, 0.1])
    target = np.array([False, True, True, False, False])
    t = target.astype(float)
    r = pred - t
    mean_t = t.mean()
    expected = {
        "mean_squared_error": np.mean(r**2),
        "root_mean_squared_error": math.sqrt(np.mean(r**2)),
        "mean_absolute_error": np.mean(abs(r)),
        # |p - t| / max(|t|, eps64)
        "mean_absolute_percentage_error": np.mean(abs(r) / np.maximum(abs(t), 2.0**-52)),
        "r2_score": 1 - np.sum(r**2) / np.sum((t - mean_t) ** 2),
        "explained_variance_score": 1 - np.var(r) / np.var(t),
    }[fn.__name__]
    for jit in _modes(backend):
        got = _run(backend, fn, pred, target, jit=jit)
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_mape_zero_target_follows_the_float64_epsilon_rule(backend, dtype):
    # sklearn: |p - t| / max(|t|, finfo(float64).eps), whatever the dtype: huge, not inf
    for jit in _modes(backend):
        got = _run(
            backend,
            metrics.mean_absolute_percentage_error,
            np.array([0.5, 1.0]),
            np.array([0.0, 1.0]),
            dtype=dtype,
            jit=jit,
        )
        np.testing.assert_allclose(got, (0.5 / 2.0**-52 + 0.0) / 2, rtol=2e-5)


def test_mape_zero_target_in_float16_overflows_quietly(backend):
    if "float16" not in backend.dtypes:
        pytest.skip(f"{backend.name} has no float16")
    for jit in _modes(backend):  # 2.25e15 > 65504: inf, with no NumPy overflow warning
        got = _run(
            backend,
            metrics.mean_absolute_percentage_error,
            np.array([0.5, 1.0]),
            np.array([0.0, 1.0]),
            dtype="float16",
            jit=jit,
        )
        assert got == np.inf


def test_force_finite_must_be_a_bool(backend):
    x = backend.asarray(np.arange(4.0), "float64")
    for fn in (metrics.r2_score, metrics.explained_variance_score):
        with pytest.raises(TypeError, match="force_finite must be a bool; got int"):
            fn(x, x, force_finite=1)
        with pytest.raises(TypeError, match="force_finite must be a bool; got str"):
            fn(x, x, force_finite="yes")


# -- classification -----------------------------------------------------------------------


def _scores():
    s = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4], [0.6, 0.1, 0.3]])
    return s, np.array([1, 0, 2, 2])  # argmax: 1, 0, 2, 0 -> 3 of 4 right


def test_accuracy_nan_score_is_nan_not_argmax(backend, dtype):
    s, y = _scores()
    s[3, 1] = NAN  # argmax would still pick some class for this row
    for jit in _modes(backend):
        assert _nan(_run(backend, metrics.accuracy, s, y, dtype=dtype, jit=jit))
        assert _nan(
            _run(
                backend,
                metrics.accuracy,
                s,
                y,
                dtype=dtype,
                jit=jit,
                sample_weight=np.array([1.0, 1.0, 1.0, 0.0]),
            )
        )


def test_top_k_nan_score_is_nan(backend, dtype):
    s, y = _scores()
    for row, col in [(0, 1), (0, 0)]:  # NaN at the label's score, or at another class
        bad = s.copy()
        bad[row, col] = NAN
        for jit in _modes(backend):
            assert _nan(_run(backend, metrics.top_k_accuracy, bad, y, dtype=dtype, jit=jit, k=2))


@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
def test_precision_recall_f1_nan_score_is_nan(backend, average):
    s, y = _scores()
    s[2, 0] = NAN
    for jit in _modes(backend):
        got = _run(
            backend, metrics.precision_recall_f1, s, y, jit=jit, num_classes=3, average=average
        )
        assert all(_nan(v) for v in got), got


def test_log_loss_nan_anywhere_in_the_row_is_nan(backend, dtype):
    probs = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    y = np.array([1, 0])
    probs[0, 2] = NAN  # not the label's column
    for jit in _modes(backend):
        assert _nan(_run(backend, metrics.log_loss, probs, y, dtype=dtype, jit=jit))
        assert _nan(_run(backend, metrics.log_loss, np.array([NAN, 0.4]), y, dtype=dtype, jit=jit))


def test_roc_auc_nan_is_nan(backend):
    s = np.array([0.1, 0.4, 0.35, 0.8])
    y = np.array([0, 0, 1, 1])
    for jit in _modes(backend):
        bad = s.copy()
        bad[0] = NAN
        assert _nan(_run(backend, metrics.roc_auc, bad, y, jit=jit))
        assert _nan(_run(backend, metrics.roc_auc, s, np.array([0.0, NAN, 1.0, 1.0]), jit=jit))


@pytest.mark.parametrize("weighted", [False, True])
def test_classification_nan_weight(backend, weighted):
    s, y = _scores()
    w = np.array([1.0, NAN, 1.0, 1.0])
    probs = s / s.sum(1, keepdims=True)
    for jit in _modes(backend):
        for fn, args, kw in [
            (metrics.accuracy, (s, y), {}),
            (metrics.top_k_accuracy, (s, y), {"k": 2}),
            (metrics.log_loss, (probs, y), {}),
        ]:
            assert _nan(_run(backend, fn, *args, jit=jit, sample_weight=w, **kw)), fn.__name__
        got = _run(
            backend, metrics.precision_recall_f1, s, y, jit=jit, num_classes=3, sample_weight=w
        )
        assert all(_nan(v) for v in got)


def test_classification_empty_batch(backend):
    s = np.zeros((0, 3))
    y = np.zeros(0, dtype=np.int64)
    for jit in _modes(backend):
        assert _nan(_run(backend, metrics.accuracy, s, y, jit=jit))
        assert _nan(_run(backend, metrics.accuracy, y, y, jit=jit))  # labels
        assert _nan(_run(backend, metrics.top_k_accuracy, s, y, jit=jit, k=2))
        assert _nan(_run(backend, metrics.log_loss, s, y, jit=jit))
        assert _nan(_run(backend, metrics.log_loss, np.zeros(0), y, jit=jit))
        assert _nan(_run(backend, metrics.roc_auc, np.zeros(0), y, jit=jit))
        for average in ("micro", "macro", "weighted"):
            got = _run(
                backend, metrics.precision_recall_f1, s, y, jit=jit, num_classes=3, average=average
            )
            assert all(_nan(v) for v in got), (average, got)


def test_classification_weights_summing_to_zero(backend):
    s, y = _scores()
    probs = s / s.sum(1, keepdims=True)
    zero = np.zeros(4)
    for jit in _modes(backend):
        assert _nan(_run(backend, metrics.accuracy, s, y, jit=jit, sample_weight=zero))
        assert _nan(_run(backend, metrics.top_k_accuracy, s, y, jit=jit, k=2, sample_weight=zero))
        assert _nan(_run(backend, metrics.log_loss, probs, y, jit=jit, sample_weight=zero))
        # precision/recall/F1 keep sklearn's zero_division=0 for an empty denominator
        got = _run(
            backend, metrics.precision_recall_f1, s, y, jit=jit, num_classes=3, sample_weight=zero
        )
        assert [float(v) for v in got] == [0.0, 0.0, 0.0]


def test_log_loss_probabilities_exactly_zero_and_one(backend):
    for dtype in backend.dtypes:
        if dtype == "bfloat16":
            continue
        eps = float(np.finfo(dtype).eps)
        # losses -log(eps) (p=0 for the label), -log(1-eps) (p=1 for the label)
        expected = (-math.log(eps) - math.log1p(-eps)) / 2
        for jit in _modes(backend):
            got = _run(
                backend,
                metrics.log_loss,
                np.array([[1.0, 0.0], [0.0, 1.0]]),
                np.array([1, 1]),
                dtype=dtype,
                jit=jit,
            )
            assert np.isfinite(got)
            np.testing.assert_allclose(got, expected, rtol=1e-3 if dtype == "float16" else 1e-6)


def test_log_loss_out_of_range_under_jit_is_nan(backend):
    probs = np.array([1.5, 0.4])
    y = np.array([1, 0])
    if not backend.name.startswith("jax"):
        with pytest.raises(ValueError, match=r"probs must lie in \[0, 1\]"):
            metrics.log_loss(backend.asarray(probs, "float64"), backend.asarray(y))
        return
    assert _nan(_run(backend, metrics.log_loss, probs, y, jit=True))


def test_roc_auc_single_class_and_non_binary(backend):
    s = np.array([0.3, 0.1, 0.2])
    for jit in _modes(backend):
        for y in (np.ones(3, dtype=np.int64), np.zeros(3, dtype=np.int64), np.ones(3, dtype=bool)):
            assert _nan(_run(backend, metrics.roc_auc, s, y, jit=jit))
    if backend.name.startswith("jax"):  # cannot be checked under jit: NaN, not a number
        assert _nan(_run(backend, metrics.roc_auc, s, np.array([0, 1, 2]), jit=True))


def test_roc_auc_all_tied_and_boolean_target(backend, dtype):
    y = np.array([0, 1, 1, 0, 1])
    s = np.array([0.2, 0.9, 0.4, 0.4, 0.1])
    # Mann-Whitney by pairs (positive above negative: 1, tie: 1/2)
    pos, neg = s[y == 1], s[y == 0]
    expected = np.mean([1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg])
    for jit in _modes(backend):
        assert _run(backend, metrics.roc_auc, np.full(5, 0.3), y, dtype=dtype, jit=jit) == 0.5
        got = _run(backend, metrics.roc_auc, s, y.astype(bool), dtype=dtype, jit=jit)
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_all_tied_scores_pick_the_first_class(backend):
    y = np.array([0, 1, 2, 0])
    for jit in _modes(backend):  # argmax of a tie is class 0: 2 of 4 right
        assert _run(backend, metrics.accuracy, np.zeros((4, 3)), y, jit=jit) == 0.5
        # top-k ties (sklearn): the higher class index ranks first, so k=1 picks class 2
        assert _run(backend, metrics.top_k_accuracy, np.zeros((4, 3)), y, jit=jit, k=1) == 0.25


def test_classification_boolean_targets(backend):
    s = np.array([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.9, 0.1]])  # argmax 0, 1, 1, 0
    y = np.array([False, True, False, False])
    probs1 = np.array([0.2, 0.7, 0.6, 0.1])  # P(class 1)
    for jit in _modes(backend):
        assert _run(backend, metrics.accuracy, s, y, jit=jit) == 0.75
        assert _run(backend, metrics.accuracy, s[:, 1] > 0.5, y, jit=jit) == 0.75
        assert _run(backend, metrics.top_k_accuracy, s, y, jit=jit, k=1) == 0.75
        p, r, f = _run(
            backend,
            metrics.precision_recall_f1,
            s[:, 1] > 0.5,
            y,
            jit=jit,
            num_classes=2,
            average="macro",
        )
        # class 0: predicted {0,3}, true {0,2,3}, TP 2; class 1: predicted {1,2}, true {1}, TP 1
        np.testing.assert_allclose(
            [p, r, f], [(1.0 + 0.5) / 2, (2 / 3 + 1.0) / 2, (4 / 5 + 2 / 3) / 2], rtol=1e-6
        )
        nll = -(math.log(0.8) + math.log(0.7) + math.log(0.4) + math.log(0.9)) / 4
        np.testing.assert_allclose(_run(backend, metrics.log_loss, probs1, y, jit=jit), nll)


def test_classification_argument_validation(backend):
    s = backend.asarray(np.zeros((3, 4)), "float64")
    y = backend.asarray(np.array([0, 1, 2]))
    assert np.isfinite(backend.to_numpy(metrics.top_k_accuracy(s, y, k=np.int64(2))))
    for bad, err in [
        (2.0, TypeError),
        (True, TypeError),
        ("2", TypeError),
        (None, TypeError),
        (0, ValueError),
        (5, ValueError),
    ]:
        with pytest.raises(err, match="k must be"):
            metrics.top_k_accuracy(s, y, k=bad)
    got = metrics.precision_recall_f1(s, y, num_classes=np.int64(4))
    assert all(np.isfinite(backend.to_numpy(v)) for v in got)
    for bad, err in [(4.0, TypeError), (True, TypeError), (0, ValueError), (-1, ValueError)]:
        with pytest.raises(err, match="num_classes must be"):
            metrics.precision_recall_f1(s, y, num_classes=bad)
    with pytest.raises(ValueError, match="at least one class"):
        metrics.accuracy(s[:, :0], y)
    with pytest.raises(ValueError, match="at least one class"):
        metrics.log_loss(s[:, :0], y)


# -- retrieval ----------------------------------------------------------------------------


def _retrieval():
    s = np.array([[0.9, 0.1, 0.5, 0.3], [0.2, 0.8, 0.4, 0.6], [0.7, 0.6, 0.5, 0.4]])
    rel = np.array([[1, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 0]])  # query 2: nothing relevant
    return s, rel


@pytest.mark.parametrize("fn", RETRIEVAL, ids=lambda f: f.__name__)
@pytest.mark.parametrize("action", ["neg", "pos", "skip", "error"])
def test_retrieval_nan_score_makes_its_query_nan(backend, fn, action):
    s, rel = _retrieval()
    if action == "error":
        rel = rel.copy()
        rel[2, 3] = 1
    for row in (0, 2):  # a query with relevant items, and the empty one
        bad = s.copy()
        bad[row, 1] = NAN
        for jit in _modes(backend):
            per = _run(
                backend, fn, bad, rel, jit=jit, k=2, empty_target_action=action, reduction="none"
            )
            assert np.isnan(per[row]), per
            others = np.delete(per, row)
            if action == "skip" and row == 0:  # query 2 is empty: skipped as NaN
                others = others[:1]
            assert np.isfinite(others).all(), per
            assert _nan(_run(backend, fn, bad, rel, jit=jit, k=2, empty_target_action=action))


@pytest.mark.parametrize("fn", RETRIEVAL, ids=lambda f: f.__name__)
def test_retrieval_nan_relevance_makes_its_query_nan(backend, fn):
    s, rel = _retrieval()
    rel = rel.astype(float)
    rel[1, 0] = NAN  # a candidate ranked last: no comparison would notice it
    for jit in _modes(backend):
        per = _run(backend, fn, s, rel, jit=jit, k=2, reduction="none")
        assert np.isnan(per[1]) and np.isfinite(per[[0, 2]]).all(), per
        assert _nan(_run(backend, fn, s, rel, jit=jit, k=2))
    rel[2, 0] = NAN  # unknown relevance is not "no relevant candidate": no error, NaN
    per = _run(backend, fn, s, rel, k=2, reduction="none", empty_target_action="error")
    assert np.isnan(per[1:]).all() and np.isfinite(per[0]), per


@pytest.mark.parametrize("fn", RETRIEVAL, ids=lambda f: f.__name__)
@pytest.mark.parametrize("action", ["neg", "pos", "skip"])
def test_retrieval_empty_batch(backend, fn, action):
    s = np.zeros((0, 4))
    rel = np.zeros((0, 4), dtype=np.int64)
    for jit in _modes(backend):
        assert _nan(_run(backend, fn, s, rel, jit=jit, k=2, empty_target_action=action))
        per = _run(backend, fn, s, rel, jit=jit, k=2, empty_target_action=action, reduction="none")
        assert per.shape == (0,)


@pytest.mark.parametrize("fn", RETRIEVAL, ids=lambda f: f.__name__)
def test_retrieval_empty_rows_and_ties(backend, fn):
    s, rel = _retrieval()
    tied = np.zeros_like(s)  # ties by candidate index: ranking 0, 1, 2, 3
    # query 0 relevant at ranks 1 and 4, query 1 at rank 3: top 2 hold one / no relevant
    expected = {
        "recall_at_k": [0.5, 0.0],
        "precision_at_k": [0.5, 0.0],
        "hit_rate_at_k": [1.0, 0.0],
        "mrr": [1.0, 0.0],
        "ndcg_at_k": [1.0 / (1.0 + 1.0 / math.log2(3)), 0.0],
        "map_at_k": [1.0, 0.0],
    }[fn.__name__]
    for jit in _modes(backend):
        for action, fill in [("neg", 0.0), ("pos", 1.0)]:
            per = _run(
                backend, fn, tied, rel, jit=jit, k=2, empty_target_action=action, reduction="none"
            )
            np.testing.assert_allclose(per, [*expected, fill], rtol=1e-12)
        per = _run(
            backend, fn, tied, rel, jit=jit, k=2, empty_target_action="skip", reduction="none"
        )
        assert np.isnan(per[2])
        np.testing.assert_allclose(
            _run(backend, fn, tied, rel, jit=jit, k=2, empty_target_action="skip"),
            np.mean(expected),
            rtol=1e-12,
        )
        # every query empty and skipped: the mean of nothing
        assert _nan(_run(backend, fn, tied, 0 * rel, jit=jit, k=2, empty_target_action="skip"))


@pytest.mark.parametrize("fn", RETRIEVAL, ids=lambda f: f.__name__)
def test_retrieval_boolean_relevance(backend, fn):
    s, rel = _retrieval()
    for jit in _modes(backend):
        np.testing.assert_array_equal(
            _run(backend, fn, s, rel > 0, jit=jit, k=2, reduction="none"),
            _run(backend, fn, s, rel, jit=jit, k=2, reduction="none"),
        )
    # and by definition for one: query 0 ranks candidates 0, 2, 3, 1; relevant 0 and 3
    if fn is metrics.recall_at_k:
        np.testing.assert_allclose(
            _run(backend, fn, s, rel > 0, k=3, reduction="none"), [1.0, 1.0, 0.0]
        )


@pytest.mark.parametrize("fn", RETRIEVAL, ids=lambda f: f.__name__)
def test_retrieval_k_validation(backend, fn):
    s, rel = _retrieval()
    xs, xr = backend.asarray(s, "float64"), backend.asarray(rel)
    assert np.isfinite(backend.to_numpy(fn(xs, xr, k=np.int64(2))))
    with pytest.raises(
        ValueError,
        match=r"k must be in \[1, 4\] \(the number of candidates\); "
        r"got 5",
    ):
        fn(xs, xr, k=5)
    for bad, err in [
        (0, ValueError),
        (-1, ValueError),
        (2.0, TypeError),
        (True, TypeError),
        ("2", TypeError),
    ]:
        with pytest.raises(err, match="k must be"):
            fn(xs, xr, k=bad)
    with pytest.raises(ValueError, match="at least one candidate"):
        fn(xs[:, :0], xr[:, :0])


def test_ndcg_exponential_gain_with_large_relevance(backend, dtype):
    # all relevant items share one grade R, so every gain is 2^R - 1 and nDCG equals the
    # binary linear nDCG; 2^R overflows float32 from R = 128 (float64 from 1024)
    s, rel = _retrieval()
    big = 200.0 if dtype == "float32" else 2000.0
    # query 0 ranks candidates 0, 2, 3, 1: relevant at ranks 1 and 3; query 1 ranks 1, 3, 2,
    # 0: relevant at rank 3
    dcg0 = 1.0 + 1.0 / math.log2(4)
    expected = [dcg0 / (1.0 + 1.0 / math.log2(3)), (1.0 / math.log2(4)) / 1.0, 0.0]
    for jit in _modes(backend):
        got = _run(
            backend,
            metrics.ndcg_at_k,
            s,
            rel * big,
            dtype=dtype,
            jit=jit,
            gain="exponential",
            reduction="none",
        )
        np.testing.assert_allclose(got, expected, rtol=2e-5)


def test_ndcg_infinite_relevance_is_nan(backend):
    s, rel = _retrieval()
    rel = rel.astype(float)
    rel[0, 0] = np.inf  # DCG / IDCG = inf / inf
    for jit in _modes(backend):
        for gain in ("linear", "exponential"):
            per = _run(backend, metrics.ndcg_at_k, s, rel, jit=jit, gain=gain, reduction="none")
            assert np.isnan(per[0]) and np.isfinite(per[1:]).all(), per
