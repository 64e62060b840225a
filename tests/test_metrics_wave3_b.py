"""Wave-3 metrics 10-20 (correlations, log and percentage errors, R-precision, DCG, GAUC):
what the registry cannot express — the spec's crafted values, the peers' defects we depart from,
extreme magnitudes, domain errors, the flat forms and the streaming numerics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from arraylosses import metrics
from arraylosses.metrics import streaming

# --------------------------------------------------------------------------------------------
# correlations


@pytest.mark.parametrize(
    ("dtype", "scale"), [("float64", 1e-160), ("float64", 1e160), ("float32", 1e-20)]
)
def test_pearson_is_scale_invariant(dtype: str, scale: float) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    y = x + rng.normal(size=50)
    expected = np.corrcoef(x, y)[0, 1]
    got = metrics.pearson_corrcoef((x * scale).astype(dtype), (y * scale).astype(dtype))
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(float(got), expected, rtol=1e-12 if dtype == "float64" else 1e-5)


def test_pearson_float32_outlier_is_a_value_not_nan() -> None:
    """torchmetrics' near-constant guard gives NaN here (spec, section 10); ours the value."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=20_000)
    x[0] = 1e4
    y = x + rng.normal(scale=30.0, size=20_000)
    expected = np.corrcoef(x, y)[0, 1]
    got = float(metrics.pearson_corrcoef(x.astype(np.float32), y.astype(np.float32)))
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_correlations_undefined_cases() -> None:
    c, v = np.ones(4), np.array([1.0, 2.0, 4.0, 3.0])
    for fn in (metrics.pearson_corrcoef, metrics.spearman_corrcoef, metrics.kendall_tau):
        assert np.isnan(fn(c, v)) and np.isnan(fn(v[:1], v[:1])) and np.isnan(fn(v[:0], v[:0]))
    assert float(metrics.concordance_corrcoef(c, v)) == 0.0  # one constant side: 0
    assert float(metrics.concordance_corrcoef(c, 2 * c)) == 0.0  # different constants
    assert np.isnan(metrics.concordance_corrcoef(c, c))  # 0/0


def test_kendall_crafted_and_variants() -> None:
    x, y = np.array([1.0, 2, 2, 3]), np.array([1.0, 3, 2, 4])
    np.testing.assert_allclose(float(metrics.kendall_tau(x, y)), 5 / math.sqrt(30), rtol=1e-15)
    with pytest.raises(ValueError, match="variant"):
        metrics.kendall_tau(x, y, variant="a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pred"):
        metrics.kendall_tau(np.array([1, 2, 3]), y[:3])


def test_kendall_large_n_matches_scipy() -> None:
    """N = 3,000 in tiles (no N x N matrix at once), ties in both inputs."""
    from scipy.stats import kendalltau

    rng = np.random.default_rng(5)
    x = np.round(rng.normal(size=3000), 1)
    y = np.round(x + rng.normal(size=3000), 1)
    for variant in ("b", "c"):
        expected = kendalltau(x, y, variant=variant).statistic
        np.testing.assert_allclose(
            float(metrics.kendall_tau(x, y, variant=variant)), expected, rtol=1e-12
        )


def test_spearman_keeps_float64_and_matches_scipy_with_heavy_ties() -> None:
    from scipy.stats import spearmanr

    rng = np.random.default_rng(6)
    x, y = rng.integers(0, 4, size=40).astype(float), rng.integers(0, 3, size=40).astype(float)
    got = metrics.spearman_corrcoef(x, y)
    assert got.dtype == np.float64
    np.testing.assert_allclose(float(got), spearmanr(x, y).statistic, rtol=1e-12)


def test_concordance_is_lin_not_torchmetrics() -> None:
    """torchmetrics divides the moments by N - 1 but not the mean difference: 2/3 here."""
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0])
    np.testing.assert_allclose(float(metrics.concordance_corrcoef(x, y)), 4 / 7, rtol=1e-15)
    torch = pytest.importorskip("torch")
    from torchmetrics.functional import concordance_corrcoef as theirs

    peer = float(theirs(torch.tensor(x), torch.tensor(y)))
    np.testing.assert_allclose(peer, 2 / 3, rtol=1e-12)


def test_correlations_have_no_streaming_rank_form() -> None:
    assert not hasattr(streaming, "spearman_corrcoef")
    assert not hasattr(streaming, "kendall_tau")


def test_streaming_pearson_keeps_digits_of_a_large_mean() -> None:
    rng = np.random.default_rng(13)
    x = 1e9 + rng.normal(size=4000)
    y = x + rng.normal(scale=0.5, size=4000)
    m = streaming.pearson_corrcoef()
    state = m.init(np)
    for lo in range(0, 4000, 200):
        state = m.update(state, x[lo : lo + 200], y[lo : lo + 200])
    xc, yc = x - x.mean(), y - y.mean()
    expected = np.sum(xc * yc) / np.sqrt(np.sum(xc * xc) * np.sum(yc * yc))
    np.testing.assert_allclose(float(m.compute(state)), expected, rtol=1e-6)


# --------------------------------------------------------------------------------------------
# log and percentage errors


@pytest.mark.parametrize(
    "fn", [metrics.mean_squared_log_error, metrics.root_mean_squared_log_error]
)
def test_log_error_domain(fn) -> None:
    ok = np.array([0.5, -0.5, 2.0])
    assert np.isfinite(fn(ok, ok[::-1]))  # (-1, 0) is allowed, as sklearn 1.9
    with pytest.raises(ValueError, match="pred must hold values greater than -1"):
        fn(np.array([-1.0, 1.0, 2.0]), ok)
    with pytest.raises(ValueError, match="target"):
        fn(ok, np.array([1.0, -3.0, 2.0]))
    assert np.isnan(fn(np.array([np.nan, 1.0, 2.0]), ok))
    assert np.isnan(fn(ok[:0], ok[:0]))


def test_log_error_invalid_is_nan_under_jit() -> None:
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    f = jax.jit(lambda p, t: metrics.mean_squared_log_error(p, t, multioutput="raw_values"))
    out = np.asarray(f(jnp.array([[-2.0, 1.0], [1.0, 1.0]]), jnp.array([[1.0, 1.0], [2.0, 3.0]])))
    assert np.isnan(out[0]) and np.isfinite(out[1])


def test_streaming_log_error_masked_invalid_rows_do_not_raise() -> None:
    m = streaming.mean_squared_log_error()
    p, t = np.array([1.0, -5.0]), np.array([0.0, 1.0])
    s = m.update(m.init(np), p, t, mask=np.array([True, False]))
    np.testing.assert_allclose(float(m.compute(s)), math.log(2) ** 2, rtol=1e-15)


def test_smape_exact_definition_and_zero_zero() -> None:
    """torchmetrics clamps |p| + |t| at 1.17e-6 (0.017 here); the definition gives 2."""
    assert (
        float(metrics.symmetric_mean_absolute_percentage_error(np.array([1e-8]), np.zeros(1)))
        == 2.0
    )
    assert float(metrics.symmetric_mean_absolute_percentage_error(np.zeros(2), np.zeros(2))) == 0.0


def test_wmape_zero_denominator() -> None:
    wmape = metrics.weighted_mean_absolute_percentage_error
    assert float(wmape(np.array([1.0]), np.array([0.0]))) == math.inf  # torchmetrics: 854700.85
    assert float(wmape(np.zeros(2), np.zeros(2))) == 0.0
    assert np.isnan(wmape(np.ones(2), np.ones(2), sample_weight=np.zeros(2)))
    p, t = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[2.0, 2.0], [2.0, 2.0]])
    np.testing.assert_allclose(wmape(p, t, multioutput="raw_values"), [0.5, 0.5])


# --------------------------------------------------------------------------------------------
# R-precision, DCG, GAUC


def test_r_precision_ties_by_index_and_flat_form() -> None:
    s, rel = np.array([[0.5, 0.5, 0.9, 0.1]]), np.array([[0, 1, 1, 0]])
    assert float(metrics.r_precision(s, rel)) == 0.5
    ids = np.array([7, 7, 7, 7, 3, 3])
    flat = metrics.r_precision(
        np.array([0.5, 0.5, 0.9, 0.1, 0.2, 0.8]),
        np.array([0, 1, 1, 0, 1, 0]),
        indexes=ids,
        reduction="none",
    )
    np.testing.assert_array_equal(flat, [0.0, 0.5])  # ascending query id: 3, then 7
    assert np.isnan(metrics.r_precision(np.array([[np.nan, 1.0]]), np.array([[0, 1]])))


def test_dcg_crafted_ties_and_no_empty_rule() -> None:
    s, rel = np.array([[0.9, 0.5, 0.5, 0.1]]), np.array([[0, 2, 1, 3]])
    expected = 2 / math.log2(3) + 1 / 2 + 3 / math.log2(5)
    np.testing.assert_allclose(float(metrics.dcg_at_k(s, rel)), expected, rtol=1e-15)
    assert float(metrics.dcg_at_k(s, np.zeros((1, 4)))) == 0.0  # defined: no empty rule
    neg = metrics.dcg_at_k(np.array([[0.9, 0.1]]), np.array([[-1.0, 0.0]]))
    assert float(neg) == -1.0  # negative relevance counts as given
    flat = metrics.dcg_at_k(s[0], rel[0], indexes=np.zeros(4, dtype=np.int64))
    np.testing.assert_allclose(float(flat), expected, rtol=1e-15)


def test_gauc_weightings_crafted() -> None:
    """User 0: 4 rows, AUC 1/2, 2 clicks; user 1: 3 rows, AUC 3/4 (a tie), 1 click; user 2:
    all positive, left out."""
    s = np.array([0.9, 0.1, 0.5, 0.3, 0.4, 0.6, 0.6, 0.7, 0.8])
    y = np.array([1, 1, 0, 0, 0, 1, 0, 1, 1])
    ids = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2])
    expected = {
        "impressions": (4 * 0.5 + 3 * 0.75) / 7,
        "clicks": (2 * 0.5 + 0.75) / 3,
        "uniform": 0.625,
    }
    for weighting, value in expected.items():
        got = metrics.gauc(s, y, indexes=ids, weighting=weighting)
        np.testing.assert_allclose(float(got), value, rtol=1e-15)


def test_gauc_undefined_and_invalid() -> None:
    s = np.array([[0.1, 0.2], [0.3, 0.4]])
    assert np.isnan(metrics.gauc(s, np.ones((2, 2))))  # no qualifying user
    assert np.isnan(metrics.gauc(s[:0], s[:0]))
    nan = s.copy()
    nan[1, 0] = np.nan
    assert np.isnan(metrics.gauc(nan, np.array([[0, 1], [1, 1]])))  # even in a left-out user
    with pytest.raises(ValueError, match="0/1"):
        metrics.gauc(s, np.array([[0, 2], [1, 0]]))
    assert float(metrics.gauc(np.zeros((1, 3)), np.array([[1, 0, 1]]))) == 0.5  # all tied: 1/2


def test_native_bin_sums_equal_the_generic_sort() -> None:
    """NumPy's ``bincount`` and torch's ``index_add`` (``_backend.native_bin_sums``) give the
    generic sort-and-prefix-sum path's per-bin sums, in each value's dtype (empty bins 0)."""
    import torch

    from arraylosses import _backend
    from arraylosses.metrics import _bins

    rng = np.random.default_rng(4)
    bins = rng.integers(0, 6, size=200)  # bin 6 of 7 stays empty
    values = (rng.normal(size=200), rng.normal(size=200).astype(np.float32), bins % 2)
    generic = _backend.native_bin_sums
    for xp, convert in (
        (_backend.namespace(x=bins), np.asarray),
        (_backend.namespace(x=torch.from_numpy(bins)), torch.from_numpy),
    ):
        args = [convert(np.ascontiguousarray(v)) for v in values]
        native = _bins.bin_sums(xp, convert(bins), 7, *args)
        try:
            _bins.native_bin_sums = lambda *a: None
            expected = _bins.bin_sums(xp, convert(bins), 7, *args)
        finally:
            _bins.native_bin_sums = generic
        for got, want, v in zip(native, expected, args, strict=True):
            assert got.dtype == v.dtype and tuple(got.shape) == (7,)
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6, atol=1e-5)
