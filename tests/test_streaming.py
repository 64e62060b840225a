"""Streaming metrics: ``compute`` after any split into batches equals the one-shot metric on
the concatenated data (the one-shot metrics are checked against their definitions and peers
elsewhere); ``merge`` is associative and commutative; ``mask`` ignores rows whatever they
hold; NaN in, NaN out; the empty stream; ``jax.jit``; errors."""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from arraylosses import metrics
from arraylosses.metrics import streaming

from .conftest import JAX, use_backend
from .helpers import close

N = 41
SPLITS = (0, 5, 5, 17, 30, N)  # batches [0,5) [5,5) (empty) [5,17) [17,30) [30,41)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def regression_data(rng: np.random.Generator) -> dict[str, np.ndarray]:
    target = rng.normal(size=(N, 3)) * [1.0, 10.0, 0.1] + [0.0, 100.0, -3.0]
    return {
        "pred": target + rng.normal(scale=0.5, size=(N, 3)),
        "target": target,
        "pred_1d": target[:, 0] + rng.normal(scale=0.5, size=N),
        "target_1d": target[:, 0],
        "weight": rng.uniform(0.5, 2.0, size=N),
    }


def class_data(rng: np.random.Generator) -> dict[str, np.ndarray]:
    scores = rng.normal(size=(N, 4))
    return {
        "scores": scores,
        "labels": rng.integers(0, 4, size=N),
        "pred_labels": rng.integers(0, 4, size=N),
        "probs": _softmax(scores),
        "probs_1d": rng.uniform(0.02, 0.98, size=N),
        "bits": rng.integers(0, 2, size=N),
        "weight": rng.uniform(0.5, 2.0, size=N),
        "emb_a": rng.normal(size=(N, 5)),
        "emb_b": rng.normal(size=(N, 5)),
        "roc_scores": rng.uniform(size=N),
    }


def retrieval_data(rng: np.random.Generator) -> dict[str, np.ndarray]:
    relevance = (rng.uniform(size=(N, 7)) < 0.3).astype(np.int64)
    relevance[::6] = 0  # some queries without a relevant candidate
    return {
        "scores": rng.normal(size=(N, 7)),
        "relevance": relevance,
        "graded": relevance * rng.integers(1, 4, size=(N, 7)),
    }


@dataclass(frozen=True)
class Spec:
    """A streaming metric, the one-shot metric it must equal, and its data."""

    id: str
    make: Callable[[], Any]
    oneshot: Callable[..., Any]
    data: Callable[[np.random.Generator], dict[str, np.ndarray]]
    args: tuple[str, str]
    weight: bool = False  # pass sample_weight (the builder's "weight")
    kwargs: dict[str, Any] = field(default_factory=dict)  # the one-shot's hyperparameters


def _regression_specs() -> list[Spec]:
    out = []
    for name in (
        "mean_squared_error",
        "root_mean_squared_error",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "r2_score",
        "explained_variance_score",
    ):
        make, one = getattr(streaming, name), getattr(metrics, name)
        out += [
            Spec(name, lambda m=make: m(num_outputs=3), one, regression_data, ("pred", "target")),
            Spec(
                f"{name} 1-D weighted",
                lambda m=make: m(),
                one,
                regression_data,
                ("pred_1d", "target_1d"),
                weight=True,
            ),
            Spec(
                f"{name} raw_values",
                lambda m=make: m(num_outputs=3, multioutput="raw_values"),
                one,
                regression_data,
                ("pred", "target"),
                kwargs={"multioutput": "raw_values"},
            ),
            Spec(
                f"{name} output weights",
                lambda m=make: m(num_outputs=3, multioutput=[0.2, 0.5, 0.3]),
                one,
                regression_data,
                ("pred", "target"),
                weight=True,
                kwargs={"multioutput": np.array([0.2, 0.5, 0.3])},
            ),
        ]
    for name in ("r2_score", "explained_variance_score"):
        out.append(
            Spec(
                f"{name} variance_weighted",
                lambda n=name: getattr(streaming, n)(
                    num_outputs=3, multioutput="variance_weighted"
                ),
                getattr(metrics, name),
                regression_data,
                ("pred", "target"),
                weight=True,
                kwargs={"multioutput": "variance_weighted"},
            )
        )
    return out


SPECS = [
    *_regression_specs(),
    Spec("accuracy scores", streaming.accuracy, metrics.accuracy, class_data, ("scores", "labels")),
    Spec(
        "accuracy labels weighted",
        streaming.accuracy,
        metrics.accuracy,
        class_data,
        ("pred_labels", "labels"),
        weight=True,
    ),
    Spec(
        "top_k_accuracy",
        lambda: streaming.top_k_accuracy(k=2),
        metrics.top_k_accuracy,
        class_data,
        ("scores", "labels"),
        weight=True,
        kwargs={"k": 2},
    ),
    Spec("log_loss", streaming.log_loss, metrics.log_loss, class_data, ("probs", "labels")),
    Spec(
        "log_loss binary weighted",
        streaming.log_loss,
        metrics.log_loss,
        class_data,
        ("probs_1d", "bits"),
        weight=True,
    ),
    Spec(
        "mean_cosine_similarity",
        streaming.mean_cosine_similarity,
        metrics.mean_cosine_similarity,
        class_data,
        ("emb_a", "emb_b"),
        weight=True,
    ),
    *(
        Spec(
            f"precision_recall_f1 {average}",
            lambda a=average: streaming.precision_recall_f1(num_classes=4, average=a),
            metrics.precision_recall_f1,
            class_data,
            ("scores", "labels"),
            weight=average != "macro",
            kwargs={"num_classes": 4, "average": average},
        )
        for average in ("micro", "macro", "weighted")
    ),
    Spec(
        "roc_auc thresholds=20",
        lambda: streaming.roc_auc(thresholds=20),
        metrics.roc_auc,
        class_data,
        ("roc_scores", "bits"),
        kwargs={"thresholds": 20},
    ),
    Spec(
        "roc_auc given thresholds",
        lambda: streaming.roc_auc(thresholds=[-0.5, 0.1, 0.5, 0.52, 2.0]),
        metrics.roc_auc,
        class_data,
        ("roc_scores", "bits"),
        kwargs={"thresholds": [-0.5, 0.1, 0.5, 0.52, 2.0]},
    ),
    *(
        Spec(
            f"{name} {action}",
            lambda n=name, a=action: getattr(streaming, n)(k=3, empty_target_action=a),
            getattr(metrics, name),
            retrieval_data,
            ("scores", "relevance"),
            kwargs={"k": 3, "empty_target_action": action},
        )
        for name in ("recall_at_k", "precision_at_k", "hit_rate_at_k", "mrr", "map_at_k")
        for action in ("neg", "pos", "skip")
    ),
    Spec(
        "mrr k=None",
        streaming.mrr,
        metrics.mrr,
        retrieval_data,
        ("scores", "relevance"),
    ),
    *(
        Spec(
            f"ndcg_at_k {gain} {action}",
            lambda g=gain, a=action: streaming.ndcg_at_k(k=4, gain=g, empty_target_action=a),
            metrics.ndcg_at_k,
            retrieval_data,
            ("scores", "graded"),
            kwargs={"k": 4, "gain": gain, "empty_target_action": action},
        )
        for gain in ("linear", "exponential")
        for action in ("neg", "skip")
    ),
]
IDS = [s.id for s in SPECS]


def _oneshot(spec: Spec, arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
    kw = dict(spec.kwargs)
    if spec.weight:
        kw["sample_weight"] = arrays["weight"]
    out = spec.oneshot(*(arrays[a] for a in spec.args), **kw)
    return [np.asarray(v, dtype=np.float64) for v in (out if isinstance(out, tuple) else (out,))]


def _values(backend: Any, out: Any) -> list[np.ndarray]:
    return [
        np.asarray(backend.to_numpy(v), dtype=np.float64)
        for v in (out if isinstance(out, tuple) else (out,))
    ]


def _stream(backend: Any, spec: Spec, arrays: dict[str, np.ndarray], dtype: str, cuts: Any) -> Any:
    """The state after streaming the batches ``[cuts[i], cuts[i+1])``."""
    metric = spec.make()
    state = metric.init(_like(backend, dtype))
    for lo, hi in itertools.pairwise(cuts):
        batch, kw = backend.convert(
            [arrays[a][lo:hi] for a in spec.args],
            {"sample_weight": arrays["weight"][lo:hi]} if spec.weight else {},
            dtype,
        )
        state = metric.update(state, *batch, **kw)
    return metric, state


def _like(backend: Any, dtype: str) -> Any:
    """A floating array of ``dtype`` on the backend: the state takes its library, device and
    dtype (an integer ``like``, such as labels, would give the namespace's default float)."""
    return backend.asarray(np.zeros(1), dtype)


def _state_numpy(backend: Any, state: Any) -> list[np.ndarray]:
    return [np.asarray(backend.to_numpy(x)) for x in state]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_stream_equals_oneshot(backend: Any, spec: Spec) -> None:
    arrays = spec.data(np.random.default_rng(7))
    expected = _oneshot(spec, arrays)
    metric, first = _stream(backend, spec, arrays, "float64", SPLITS[:3])
    _, second = _stream(backend, spec, arrays, "float64", SPLITS[2:])
    for got, want in zip(
        _values(backend, metric.compute(metric.merge(first, second))), expected, strict=True
    ):
        close(got, want, "float64")
    # one stream over every batch, in order
    _, whole = _stream(backend, spec, arrays, "float64", SPLITS)
    for got, want in zip(_values(backend, metric.compute(whole)), expected, strict=True):
        close(got, want, "float64")


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_float32_stream(backend: Any, spec: Spec) -> None:
    """A float32 stream (the default state dtype of float32 inputs) agrees to float32
    rounding, and its results are float32."""
    arrays = spec.data(np.random.default_rng(8))
    expected = _oneshot(spec, arrays)
    metric, state = _stream(backend, spec, arrays, "float32", SPLITS)
    out = metric.compute(state)
    for v in out if isinstance(out, tuple) else (out,):
        assert backend.dtype_name(v) == "float32"
    for got, want in zip(_values(backend, out), expected, strict=True):
        close(got, want, "float32", rtol=2e-4, atol=2e-5)


def _same_state(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    for x, y in zip(a, b, strict=True):
        if x.dtype.kind in "iub":
            np.testing.assert_array_equal(x, y)  # integer counts: exact
        else:
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_merge_is_associative_and_commutative(backend: Any, spec: Spec) -> None:
    arrays = spec.data(np.random.default_rng(9))
    metric, a = _stream(backend, spec, arrays, "float64", (0, 9))
    _, b = _stream(backend, spec, arrays, "float64", (9, 20))
    _, c = _stream(backend, spec, arrays, "float64", (20, N))
    empty = metric.init(_like(backend, "float64"))
    s = lambda x: _state_numpy(backend, x)  # noqa: E731
    _same_state(s(metric.merge(a, b)), s(metric.merge(b, a)))
    _same_state(s(metric.merge(metric.merge(a, b), c)), s(metric.merge(a, metric.merge(b, c))))
    _same_state(s(metric.merge(empty, a)), s(a))
    _same_state(s(metric.merge(a, empty)), s(a))


def _garbage_rows(x: np.ndarray, rows: int, rng: np.random.Generator) -> np.ndarray:
    """``rows`` extra rows of ``x``'s dtype that must not count: NaN for floats, out-of-range
    labels for integers."""
    shape = (rows, *x.shape[1:])
    if x.dtype.kind == "f":
        junk = np.full(shape, np.nan)
        junk[:1] = 1e30
        return np.concatenate([x, junk.astype(x.dtype)])
    return np.concatenate([x, np.full(shape, -7, dtype=x.dtype)])


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_masked_rows_are_ignored(backend: Any, spec: Spec) -> None:
    """Each batch padded to 16 rows of NaN / 1e30 / invalid labels, masked out: the same as the
    unpadded stream."""
    rng = np.random.default_rng(10)
    arrays = spec.data(rng)
    expected = _oneshot(spec, arrays)
    metric = spec.make()
    state = metric.init(_like(backend, "float64"))
    for lo in range(0, N, 16):
        hi = min(lo + 16, N)
        pad = 16 - (hi - lo)
        batch, kw = backend.convert(
            [_garbage_rows(arrays[a][lo:hi], pad, rng) for a in spec.args],
            {"sample_weight": _garbage_rows(arrays["weight"][lo:hi], pad, rng)}
            if spec.weight
            else {},
            "float64",
        )
        mask = backend.asarray(np.arange(16) < hi - lo)
        state = metric.update(state, *batch, mask=mask, **kw)
    for got, want in zip(_values(backend, metric.compute(state)), expected, strict=True):
        close(got, want, "float64")


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_nan_in_a_counted_row_gives_nan(backend: Any, spec: Spec) -> None:
    arrays = spec.data(np.random.default_rng(11))
    name = spec.args[0] if arrays[spec.args[0]].dtype.kind == "f" else "weight"  # labels: weight
    assert name != "weight" or spec.weight
    arrays[name] = arrays[name].copy()
    arrays[name][23] = np.nan
    metric, state = _stream(backend, spec, arrays, "float64", SPLITS)
    for got in _values(backend, metric.compute(state)):
        assert np.all(np.isnan(got)), got


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_empty_stream_is_nan(backend: Any, spec: Spec) -> None:
    """Nothing counted (no update, or only an empty batch, or only masked rows): NaN, as the
    one-shot metrics give for an empty batch."""
    arrays = spec.data(np.random.default_rng(12))
    metric = spec.make()
    like = _like(backend, "float64")
    empty = metric.init(like)
    _, only_empty = _stream(backend, spec, arrays, "float64", (3, 3))
    batch, _ = backend.convert([arrays[a][:4] for a in spec.args], dtype="float64")
    masked_out = metric.update(metric.init(like), *batch, mask=backend.asarray(np.zeros(4, bool)))
    for state in (empty, only_empty, masked_out):
        for got in _values(backend, metric.compute(state)):
            assert np.all(np.isnan(got)), got


def test_r2_of_a_large_mean_keeps_its_digits() -> None:
    """Targets 1e9 ± 1: the pairwise (Chan) merge keeps R²; Σt² - (Σt)²/n in float64 would lose
    every digit of the variance (1e18 against spreads of 1)."""
    rng = np.random.default_rng(13)
    target = 1e9 + rng.normal(size=4000)
    pred = target + rng.normal(scale=0.5, size=4000)
    m = streaming.r2_score()
    state = m.init(np)
    for lo in range(0, 4000, 333):
        state = m.update(state, pred[lo : lo + 333], target[lo : lo + 333])
    t = target - target.mean()  # the two-pass reference, by hand
    expected = 1 - np.sum((target - pred) ** 2) / np.sum(t * t)
    np.testing.assert_allclose(float(m.compute(state)), expected, rtol=1e-9)


@pytest.mark.parametrize("name", ["r2_score", "explained_variance_score"])
def test_float32_moments_of_a_huge_mean_stay_finite(name: str) -> None:
    """float32 targets near 3e19: the squared distance of the mean from the empty state's 0
    (9e38) overflows float32. Merging into ``init`` and a masked row must not turn it into
    inf * 0 = NaN; the result equals the one-shot metric's. By hand, pred = 1.01 t with
    t = 3e19·(1, 1.0333, 0.9667): R² = 1 - Σ(0.01 t)² / Σ(t - t̄)² = 0.8649."""
    t = np.array([3e19, 3.1e19, 2.9e19], dtype=np.float32)
    p = (1.01 * t).astype(np.float32)
    m = getattr(streaming, name)()
    got = m.compute(m.update(m.init(t), p, t, mask=np.array([True, True, True])))
    masked = m.compute(
        m.update(m.init(t), np.append(p, 1e19), np.append(t, 4e19), mask=np.array([1, 1, 1, 0]) > 0)
    )
    want = getattr(metrics, name)(p, t)
    for v in (got, masked):
        assert np.isfinite(v)
        np.testing.assert_allclose(float(v), float(want), rtol=1e-5)
    if name == "r2_score":
        np.testing.assert_allclose(float(got), 0.8649, rtol=1e-4)


def test_roc_nan_score_counts_in_no_bin_and_has_no_bound() -> None:
    m = streaming.roc_auc(thresholds=[0.2, 0.5])
    s = m.update(m.init(np), np.array([0.1, np.nan, 0.3, 0.9]), np.array([0, 1, 1, 0]))
    np.testing.assert_array_equal(np.asarray(s.positive), [0, 1, 0])  # 0.3 only
    np.testing.assert_array_equal(np.asarray(s.negative), [1, 0, 1])
    assert math.isnan(float(m.compute(s))) and math.isnan(float(m.error_bound(s)))


def test_cosine_mask_on_the_embedding_axis_is_refused() -> None:
    m = streaming.mean_cosine_similarity(axis=0)
    with pytest.raises(ValueError, match="embedding axis"):
        m.update(m.init(np), np.ones((4, 4)), np.ones((4, 4)), mask=np.array([1, 1, 1, 0]) > 0)


@pytest.mark.skipif(not JAX, reason="JAX is not installed")
def test_counts_do_not_wrap_on_jax_without_x64() -> None:
    """JAX without x64 has int32 integers: counts are then kept in the floating dtype (2^31
    rows would wrap an int32 count to 0, and compute would call the stream empty)."""
    import subprocess
    import sys

    code = """
import jax.numpy as jnp
from arraylosses.metrics import streaming
m = streaming.precision_recall_f1(num_classes=2)
s = m.update(m.init(jnp.zeros(1)), jnp.zeros((4, 512, 512), int), jnp.zeros((4, 512, 512), int))
for _ in range(12):
    s = m.merge(s, s)
assert s.count.dtype == jnp.float32, s.count.dtype
assert float(s.count) == 4 * 512 * 512 * 4096, float(s.count)
print([float(v) for v in m.compute(s)])
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[1.0, 1.0, 1.0]"


def test_binned_roc_by_hand() -> None:
    """Thresholds 0.2, 0.5: bins 0 (s < 0.2), 1, 2 (s >= 0.5). Negatives 0.1 (bin 0), 0.4, 0.45
    (bin 1); positives 0.3 (bin 1), 0.6, 0.9 (bin 2). AUC = (1·(1 + 2/2) + 2·3) / (3·3) = 8/9;
    pairs sharing a bin: 1·2 → bound 2/2/9 = 1/9."""
    m = streaming.roc_auc(thresholds=[0.2, 0.5])
    s = m.update(m.init(np), np.array([0.1, 0.4, 0.3]), np.array([0, 0, 1]))
    s = m.update(s, np.array([0.45, 0.6, 0.9]), np.array([0, 1, 1]))
    np.testing.assert_array_equal(np.asarray(s.positive), [0, 1, 2])
    np.testing.assert_array_equal(np.asarray(s.negative), [1, 2, 0])
    assert math.isclose(float(m.compute(s)), 8 / 9)
    assert math.isclose(float(m.error_bound(s)), 1 / 9)


@pytest.mark.parametrize("thresholds", [5, 50, 500])
def test_binned_roc_within_its_bound(thresholds: int) -> None:
    rng = np.random.default_rng(thresholds)
    scores = rng.uniform(size=3000)
    target = (rng.uniform(size=3000) < scores).astype(int)
    m = streaming.roc_auc(thresholds=thresholds)
    state = m.update(m.init(np), scores, target)
    gap = abs(float(m.compute(state)) - float(metrics.roc_auc(scores, target)))
    bound = float(m.error_bound(state))
    assert gap <= bound
    assert bound < 0.6 / thresholds  # ~ (1/2)·(1/T) of the pairs share a bin


def test_binned_roc_equals_torchmetrics() -> None:
    """Peer: torchmetrics' ``BinaryAUROC(thresholds=T)``, itself streamed over the same batches
    (scores in [0, 1), so no score reaches the last threshold: see roc_auc's docstring)."""
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.classification")
    rng = np.random.default_rng(14)
    scores = rng.uniform(0.0, 0.999, size=500)
    target = (rng.uniform(size=500) < scores).astype(np.int64)
    peer = tm.BinaryAUROC(thresholds=25)
    m = streaming.roc_auc(thresholds=25)
    state = m.init(torch)
    for lo in range(0, 500, 70):
        s, t = torch.tensor(scores[lo : lo + 70]), torch.tensor(target[lo : lo + 70])
        peer.update(s, t)
        state = m.update(state, s, t)
    assert math.isclose(float(m.compute(state)), float(peer.compute()), rel_tol=1e-6)


@pytest.mark.skipif(not JAX, reason="JAX is not installed")
def test_jax_jit_update_compiles_once() -> None:
    """``jax.jit(metric.update)`` over equal-shape batches (the last padded and masked) traces
    once and gives the eager result."""
    import jax
    import jax.numpy as jnp

    use_backend("jax")
    rng = np.random.default_rng(15)
    arrays = regression_data(rng)
    metric = streaming.r2_score(num_outputs=3)
    traces = []

    def update(state: Any, p: Any, t: Any, mask: Any) -> Any:
        traces.append(1)
        return metric.update(state, p, t, mask=mask)

    jitted = jax.jit(update)
    state = metric.init(jnp.asarray(arrays["pred"]))
    for lo in range(0, N, 8):
        hi = min(lo + 8, N)
        p = _garbage_rows(arrays["pred"][lo:hi], 8 - (hi - lo), rng)
        t = _garbage_rows(arrays["target"][lo:hi], 8 - (hi - lo), rng)
        state = jitted(state, jnp.asarray(p), jnp.asarray(t), jnp.asarray(np.arange(8) < hi - lo))
    assert len(traces) == 1
    close(
        np.asarray(metric.compute(state)),
        metrics.r2_score(arrays["pred"], arrays["target"]),
        "float32",
        rtol=1e-4,
    )
    # compute and merge under jit too
    assert math.isclose(
        float(jax.jit(metric.compute)(jax.jit(metric.merge)(state, metric.init(jnp)))),
        float(metric.compute(state)),
        rel_tol=1e-6,
    )


@pytest.mark.filterwarnings("ignore:.*lru_cache.*:UserWarning")  # dynamo traces compat's caches
def test_torch_compile_update() -> None:
    torch = pytest.importorskip("torch")
    use_backend("torch")
    metric = streaming.mean_squared_error(num_outputs=3)
    arrays = regression_data(np.random.default_rng(16))
    update = torch.compile(metric.update, fullgraph=True)
    state = metric.init(torch.tensor(arrays["pred"]))
    mask = torch.ones(N, dtype=torch.bool)
    state = update(state, torch.tensor(arrays["pred"]), torch.tensor(arrays["target"]), mask=mask)
    close(
        metric.compute(state).numpy(),
        metrics.mean_squared_error(arrays["pred"], arrays["target"]),
        "float64",
    )


ERRORS = [
    (lambda: streaming.mean_squared_error(num_outputs=0), ValueError, "num_outputs"),
    (lambda: streaming.mean_squared_error(multioutput="sideways"), ValueError, "multioutput"),
    (
        lambda: streaming.mean_squared_error(num_outputs=2, multioutput=[1.0]),
        ValueError,
        "multioutput",
    ),
    (lambda: streaming.r2_score(multioutput=["a", 1]), ValueError, "multioutput"),
    (lambda: streaming.r2_score(multioutput=None), ValueError, "multioutput"),
    (lambda: streaming.map_at_k(denominator="all"), ValueError, "denominator"),
    (lambda: streaming.r2_score(force_finite="yes"), TypeError, "force_finite"),
    (lambda: streaming.top_k_accuracy(k=0), ValueError, "k"),
    (lambda: streaming.precision_recall_f1(num_classes=0), ValueError, "num_classes"),
    (lambda: streaming.precision_recall_f1(num_classes=2, average="median"), ValueError, "average"),
    (lambda: streaming.roc_auc(thresholds=1), ValueError, "thresholds"),
    (lambda: streaming.roc_auc(thresholds=[0.5, 0.2]), ValueError, "thresholds"),
    (lambda: streaming.roc_auc(thresholds=[0.1, math.nan]), ValueError, "thresholds"),
    (lambda: streaming.roc_auc(thresholds="many"), TypeError, "thresholds"),
    (lambda: streaming.ndcg_at_k(gain="cubic"), ValueError, "gain"),
    (lambda: streaming.recall_at_k(k=0), ValueError, "k"),
    (lambda: streaming.mrr(empty_target_action="shrug"), ValueError, "empty_target_action"),
    (lambda: streaming.accuracy().init("numpy"), TypeError, "like"),
    (lambda: streaming.accuracy().init(np, dtype=np.int64), TypeError, "dtype"),
]


@pytest.mark.parametrize("make, error, word", ERRORS)
def test_bad_hyperparameters_name_the_argument(make: Any, error: type, word: str) -> None:
    with pytest.raises(error, match=word):
        make()


def test_bad_batches_name_the_argument() -> None:
    m = streaming.mean_squared_error(num_outputs=3)
    s = m.init(np)
    with pytest.raises(ValueError, match="pred"):
        m.update(s, np.ones((4, 2)), np.ones((4, 2)))
    with pytest.raises(TypeError, match="mask"):
        m.update(s, np.ones((4, 3)), np.ones((4, 3)), mask=np.ones(4))
    with pytest.raises(ValueError, match="mask"):
        m.update(s, np.ones((4, 3)), np.ones((4, 3)), mask=np.ones(3, bool))
    r = streaming.roc_auc(thresholds=4)
    with pytest.raises(TypeError, match="sample_weight"):
        r.update(r.init(np), np.ones(3), np.ones(3), sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="binary"):
        r.update(r.init(np), np.ones(3), np.array([0, 1, 2]))
    a = streaming.top_k_accuracy(k=5)
    with pytest.raises(ValueError, match="k"):
        a.update(a.init(np), np.ones((3, 4)), np.zeros(3, int))
    c = streaming.precision_recall_f1(num_classes=3)
    with pytest.raises(ValueError, match="target"):
        c.update(c.init(np), np.zeros(3, int), np.array([0, 1, 3]))


def test_states_are_pytrees_of_fixed_shape() -> None:
    """The state's shapes depend on the hyperparameters only, never on the data."""
    for metric, shapes in (
        (streaming.mean_squared_error(num_outputs=3), [(3,), ()]),
        (streaming.r2_score(num_outputs=2), [(), (), (2,), (2,), (2,)]),
        (streaming.precision_recall_f1(num_classes=5), [(5,), (5,), (5,), ()]),
        (streaming.roc_auc(thresholds=10), [(11,), (11,), ()]),
        (streaming.ndcg_at_k(k=3), [(), ()]),
    ):
        state = metric.init(np)
        assert [tuple(x.shape) for x in state] == shapes
        hash(metric)  # usable as a static argument of jax.jit
