"""Streaming metrics: ``compute`` after any split into batches equals the one-shot metric on
the concatenated data, for every streaming case and parameter set of the registry (the
one-shot metrics are checked against their definitions and peers elsewhere); float32 streams;
``mask`` ignores rows whatever they hold; numerics of the moment states and binned ROC;
``jax.jit`` and ``torch.compile`` of ``update``; errors. ``merge``'s laws, NaN in and the
empty stream are the registry's sweeps (tests/test_conformance.py, tests/test_hostile.py)."""

from __future__ import annotations

import inspect
import itertools
import math
import os
from typing import Any

import numpy as np
import pytest

from arraylosses import metrics
from arraylosses.metrics import streaming
from arraylosses.testing.cases import CASES

from .conftest import JAX, use_backend
from .helpers import close

N = 41


def regression_data(rng: np.random.Generator) -> dict[str, np.ndarray]:
    target = rng.normal(size=(N, 3)) * [1.0, 10.0, 0.1] + [0.0, 100.0, -3.0]
    return {
        "pred": target + rng.normal(scale=0.5, size=(N, 3)),
        "target": target,
        "pred_1d": target[:, 0] + rng.normal(scale=0.5, size=N),
        "target_1d": target[:, 0],
        "weight": rng.uniform(0.5, 2.0, size=N),
    }


def _garbage_rows(x: np.ndarray, rows: int, rng: np.random.Generator) -> np.ndarray:
    """``rows`` extra rows of ``x``'s dtype that must not count: NaN for floats, out-of-range
    labels for integers."""
    shape = (rows, *x.shape[1:])
    if x.dtype.kind == "f":
        junk = np.full(shape, np.nan)
        junk[:1] = 1e30
        return np.concatenate([x, junk.astype(x.dtype)])
    return np.concatenate([x, np.full(shape, -7, dtype=x.dtype)])


# ---------------------------------------------------------------------------------------------
# Every streaming case of the registry, every parameter set: the stream equals the one-shot
# metric on the concatenated rows (the one-shot metrics are checked against their definitions
# and peers elsewhere). The merge laws, NaN in, the empty stream and jax.jit of the whole
# stream are the registry's sweeps (tests/test_conformance.py, tests/test_hostile.py).

STREAMING = [c for c in CASES if c.kind == "streaming"]
SETS = [(c, i) for c in STREAMING for i in range(len(c.params))]
SET_IDS = [f"{c.name.removeprefix('metrics.streaming.')}-{c.params[i].label}" for c, i in SETS]


def _one_shot_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The streaming factory's keywords as the one-shot metric takes them: ``num_outputs``
    (a streaming state's fixed width) left out, output weights as an array."""
    out = {k: v for k, v in kwargs.items() if k != "num_outputs"}
    if isinstance(out.get("multioutput"), tuple):
        out["multioutput"] = np.asarray(out["multioutput"])
    return out


def _split(case: Any, index: int, rng: np.random.Generator) -> tuple[Any, ...]:
    """``(metric, data arrays, sample_weight or None, one-shot kwargs)`` of one parameter set."""
    params = case.params[index]
    args, kwargs = case.arguments(params, case.inputs(rng))
    weight = kwargs.pop("sample_weight", None)
    static = {k: v for k, v in kwargs.items() if not isinstance(v, np.ndarray)}
    return case.public(**static), args, weight, _one_shot_kwargs(kwargs)


def _expected(case: Any, args: tuple, weight: Any, kwargs: dict[str, Any]) -> list[np.ndarray]:
    one_shot = getattr(metrics, case.name.removeprefix("metrics.streaming."))
    out = one_shot(*args, **kwargs, **({} if weight is None else {"sample_weight": weight}))
    return [np.asarray(v, dtype=np.float64) for v in (out if isinstance(out, tuple) else (out,))]


def _cuts(n: int) -> tuple[int, ...]:
    """Uneven batches with an empty one, in three shapes (on JAX a jitted ``update`` compiles
    once per shape): [0, 1) [1, 1) [1, 2) [2, n)."""
    return (0, 1, 1, 2, n)


class _Streamer:
    """Streams of ``metric`` on ``backend``, its ``update`` called as an evaluation loop calls
    it: on JAX under ``jax.jit``, one compilation per batch shape, where eager JAX compiles
    each primitive at each shape (about twice the time; the matrix's value checks call it
    eagerly). One ``jax.jit`` wrapper for all of the metric's streams: each wrapper compiles
    afresh (``metric.update`` is a new bound method at each access)."""

    def __init__(self, backend: Any, metric: Any) -> None:
        self.backend, self.metric, self.update = backend, metric, metric.update
        if backend.is_jax:
            import jax

            self.update = jax.jit(metric.update)

    def __call__(self, args, weight, dtype, cuts, width=0, rng=None) -> Any:
        """The state after streaming the batches ``[cuts[i], cuts[i+1])`` in ``dtype``; with
        ``width``, each batch padded with garbage rows to ``width`` rows, masked out (one
        batch shape, as a jitted evaluation loop pads its batches)."""
        backend = self.backend
        state = self.metric.init(backend.asarray(np.zeros(1), dtype))
        for lo, hi in itertools.pairwise(cuts):
            batch = [a[lo:hi] for a in args]
            w = None if weight is None else weight[lo:hi]
            kw = {}
            if width:
                pad = width - (hi - lo)
                batch = [_garbage_rows(a, pad, rng) for a in batch]
                w = None if w is None else _garbage_rows(w, pad, rng)
                kw["mask"] = backend.asarray(np.arange(width) < hi - lo)
            if w is not None:
                kw["sample_weight"] = backend.asarray(w, dtype)
            state = self.update(state, *(backend.asarray(a, dtype) for a in batch), **kw)
        return state


def _values(backend: Any, out: Any) -> list[np.ndarray]:
    return [
        np.asarray(backend.to_numpy(v), dtype=np.float64)
        for v in (out if isinstance(out, tuple) else (out,))
    ]


def test_every_streaming_metric_is_swept() -> None:
    """Every streaming factory of arraylosses.metrics.streaming has a record, and each record
    runs more than one parameter set (counted from the registry, not hard-coded)."""
    factories = {n for n in streaming.__all__ if inspect.isfunction(getattr(streaming, n))}
    swept = {c.name.removeprefix("metrics.streaming.") for c in STREAMING}
    assert factories and factories <= swept, sorted(factories - swept)
    assert len(SETS) > len(STREAMING)


@pytest.mark.parametrize(("case", "index"), SETS, ids=SET_IDS)
def test_stream_equals_oneshot(backend: Any, case: Any, index: int) -> None:
    """In float64: one stream over uneven batches (one empty), and the same batches as two
    streams (the first three batches, the last), merged (no new batch shape: one jax.jit
    compilation fewer each)."""
    metric, args, weight, kwargs = _split(case, index, np.random.default_rng(7))
    expected = _expected(case, args, weight, kwargs)
    cuts = _cuts(args[0].shape[0])
    stream = _Streamer(backend, metric)
    whole = stream(args, weight, "float64", cuts)
    first = stream(args, weight, "float64", cuts[:-1])
    second = stream(args, weight, "float64", cuts[-2:])
    for state in (whole, metric.merge(second, first)):
        got = _values(backend, metric.compute(state))
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            close(g, e, "float64")


@pytest.mark.parametrize(("case", "index"), SETS, ids=SET_IDS)
def test_float32_stream(registry_backend: Any, case: Any, index: int) -> None:
    """A float32 stream (the state dtype of float32 inputs) agrees to float32 rounding, and its
    results are float32. Not on JAX unless ``ARRAYLOSSES_JAX_REGISTRY=full``: the matrix's
    float32 values of every streaming record (a stream of three batches, one masked, its
    states and result against NumPy float64's, in float32, every parameter set) make the same
    claim there, and NumPy's float64 stream equals the one-shot metric here."""
    backend = registry_backend
    metric, args, weight, kwargs = _split(case, index, np.random.default_rng(8))
    expected = _expected(case, args, weight, kwargs)
    stream = _Streamer(backend, metric)
    out = metric.compute(stream(args, weight, "float32", _cuts(args[0].shape[0])))
    for v in out if isinstance(out, tuple) else (out,):
        assert backend.dtype_name(v) == "float32"
    for g, e in zip(_values(backend, out), expected, strict=True):
        close(g, e, "float32", rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize(("case", "index"), SETS, ids=SET_IDS)
def test_masked_rows_are_ignored(backend: Any, case: Any, index: int) -> None:
    """Each batch padded to one width with at least three rows of NaN / 1e30 / invalid labels,
    masked out: the same as the unpadded stream."""
    rng = np.random.default_rng(10)
    metric, args, weight, kwargs = _split(case, index, rng)
    expected = _expected(case, args, weight, kwargs)
    cuts = _cuts(args[0].shape[0])
    width = int(max(np.diff(cuts))) + 3
    stream = _Streamer(backend, metric)
    state = stream(args, weight, "float64", cuts, width=width, rng=rng)
    for g, e in zip(_values(backend, metric.compute(state)), expected, strict=True):
        close(g, e, "float64")
    # only masked rows: nothing counted, NaN as for an empty batch
    nothing = stream(args, weight, "float64", (0, 0), width=width, rng=rng)
    got = _values(backend, metric.compute(nothing))
    if case.hostile.skipped("empty") or case.hostile.empty != "auto":
        # a documented empty value (the binned curves, the confusion matrix's zeros)
        empty = _expected(case, tuple(a[:0] for a in args), _head(weight), kwargs)
        for g, e in zip(got, empty, strict=True):
            close(g, e, "float64")
    else:
        assert all(np.isnan(v).all() for v in got)


def _head(weight: Any) -> Any:
    return None if weight is None else weight[:0]


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
    (lambda: streaming.map_at_k(map_denominator="all"), ValueError, "map_denominator"),
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
