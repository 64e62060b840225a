"""Invariants that hold for any input (hypothesis), on NumPy and torch. The functions come from
the registry (:mod:`arraylosses.testing.cases`), so a new case inherits the properties of its
kind: every function with a ``reduction`` gets the reduction-consistency property on its
registry inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import arraylosses as al
from arraylosses import metrics
from arraylosses.testing import parts
from arraylosses.testing.cases import CASES, Case

from .conftest import SELECTED, use_backend

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
shapes = st.tuples(st.integers(1, 6), st.integers(1, 4))

# the traits each record declares (arraylosses.testing.cases.TRAITS says what each promises)
ELEMENTWISE = [c for c in CASES if "elementwise" in c.traits]
SOFTMAX = [c for c in CASES if "softmax" in c.traits]
BINARY = [c for c in CASES if "binary" in c.traits]
REDUCED = [c for c in CASES if c.accepts("reduction")]
# "mean" is not the mean of "none" where the record declares why (supcon_loss: anchors
# without positives count 0 under "none" and are left out of "mean")
MEAN_OVER_NONZERO = {c.name for c in CASES if "mean_of_none" in c.exceptions}
# "mean" divides by a per-row count of units that "none" does not show (the ordered positive
# pairs of lifted_structure_loss, the pairs of a list, the triplets of an anchor: Σ w_i n_i):
# only "sum" and "none" are compared here; the mean is the by-definition and peer checks'
MEAN_OVER_COUNTS = {c.name for c in CASES if "mean_over_units" in c.exceptions}


def _ids(case: Case) -> str:
    return case.name


def pairs(shape=shapes):
    return shape.flatmap(
        lambda s: st.tuples(
            arrays(np.float64, s, elements=finite), arrays(np.float64, s, elements=finite)
        )
    )


@pytest.fixture(params=[n for n in ("numpy", "torch") if n in SELECTED])
def be(request):
    return use_backend(request.param)


def test_the_kinds_are_not_empty():
    assert len(ELEMENTWISE) >= 6 and len(SOFTMAX) >= 3 and len(BINARY) >= 4 and len(REDUCED) >= 40


@pytest.mark.parametrize("case", ELEMENTWISE, ids=_ids)
def test_losses_are_nonnegative_and_zero_at_target(be, case):
    fn = case.fn

    @settings(max_examples=30, deadline=None)
    @given(pairs())
    def check(pt):
        (p, t), _ = be.convert(pt, dtype="float64")
        assert np.all(be.to_numpy(fn(p, t, reduction="none")) >= -1e-12)
        assert np.all(np.abs(be.to_numpy(fn(t, t, reduction="none"))) <= 1e-12)

    check()


def _reduced_parts(case: Case, be, arrays, **kwargs) -> list[np.ndarray]:
    """The case's first parameter set with ``kwargs``, on ``be`` in float64, as NumPy: one
    array per output (``retrieval_metrics`` returns one per metric)."""
    args, kw = case.arguments(case.params[0].with_(**kwargs), arrays)

    args, kw = be.convert(args, kw, "float64")
    out = case.fn(*args, **kw)
    return [np.asarray(be.to_numpy(x), dtype=np.float64) for x in parts(out)]


@pytest.mark.parametrize("case", REDUCED, ids=_ids)
def test_reductions_are_consistent(be, case):
    """``"mean"`` is the mean of ``"none"``, ``"sum"`` its sum; with ``sample_weight``, the
    weighted mean, the weighted sum and the weighted ``"none"``; a weight of ones is no weight.
    On three draws of the case's registry inputs, for each of its outputs."""
    for seed in range(3):
        arrays = case.inputs(np.random.default_rng(seed))
        for part in range(len(_reduced_parts(case, be, arrays, reduction="none"))):
            _check_reductions(case, be, arrays, seed, part)


def _check_reductions(case: Case, be, arrays, seed: int, part: int) -> None:
    weighted = case.accepts("sample_weight")
    has_sum = not case.name.startswith("metrics.")  # metrics average; they have no "sum"

    def reduced(**kwargs) -> np.ndarray:
        return _reduced_parts(case, be, arrays, **kwargs)[part]

    none = reduced(reduction="none")
    counted = none != 0 if case.name in MEAN_OVER_NONZERO else np.ones(none.shape, bool)
    assert none.ndim >= 1 and counted.any(), (case.name, none)
    mean = reduced(reduction="mean")
    by_count = case.name in MEAN_OVER_COUNTS
    if not by_count:
        np.testing.assert_allclose(mean, none[counted].mean(), rtol=1e-9, atol=1e-12)
    if has_sum:
        total = reduced(reduction="sum")
        np.testing.assert_allclose(total, none.sum(), rtol=1e-9, atol=1e-12)
    if not weighted:
        return
    w = np.random.default_rng(100 + seed).uniform(0.1, 10.0, size=none.shape)
    np.testing.assert_allclose(
        reduced(sample_weight=w, reduction="none"), none * w, rtol=1e-9, atol=1e-12
    )
    if not by_count:
        np.testing.assert_allclose(
            reduced(sample_weight=w, reduction="mean"),
            (none * w)[counted].sum() / w[counted].sum(),
            rtol=1e-9,
            atol=1e-12,
        )
    if has_sum:
        np.testing.assert_allclose(
            reduced(sample_weight=w, reduction="sum"), (none * w).sum(), rtol=1e-9, atol=1e-12
        )
    ones = np.ones(none.shape)
    np.testing.assert_allclose(
        reduced(sample_weight=ones, reduction="mean"), mean, rtol=1e-12, atol=1e-12
    )


def test_cosine_is_scale_invariant(be):
    @settings(max_examples=30, deadline=None)
    @given(
        pairs(st.tuples(st.integers(1, 5), st.integers(2, 6))),
        st.floats(1e-3, 1e3),
        st.floats(1e-3, 1e3),
    )
    def check(pt, c1, c2):
        a, b = pt
        if min(np.linalg.norm(a, axis=1).min(), np.linalg.norm(b, axis=1).min()) < 1e-3:
            return
        base = be.to_numpy(al.cosine_similarity(be.asarray(a), be.asarray(b)))
        scaled = be.to_numpy(al.cosine_similarity(be.asarray(c1 * a), be.asarray(c2 * b)))
        np.testing.assert_allclose(scaled, base, rtol=1e-9, atol=1e-12)
        assert np.all(np.abs(base) <= 1 + 1e-12)

    check()


def test_perfect_prediction_metrics(be):
    @settings(max_examples=30, deadline=None)
    @given(shapes.flatmap(lambda s: arrays(np.float64, (s[0] + 1, s[1]), elements=finite)))
    def check(t):
        x = be.asarray(t, "float64")
        assert float(be.to_numpy(metrics.r2_score(x, x))) == 1.0
        assert float(be.to_numpy(metrics.explained_variance_score(x, x))) == 1.0
        assert float(be.to_numpy(metrics.mean_squared_error(x, x))) == 0.0

    check()


def test_r2_of_the_mean_is_zero(be):
    @settings(max_examples=30, deadline=None)
    @given(st.integers(2, 8).flatmap(lambda n: arrays(np.float64, (n,), elements=finite)))
    def check(t):
        if np.ptp(t) < 1e-3:
            return
        pred = np.full_like(t, t.mean())
        got = float(be.to_numpy(metrics.r2_score(be.asarray(pred), be.asarray(t))))
        assert abs(got) < 1e-9

    check()


def _logits_and_labels():
    return st.tuples(st.integers(1, 6), st.integers(2, 5)).flatmap(
        lambda s: st.tuples(
            arrays(np.float64, s, elements=st.floats(-50, 50)),
            arrays(np.int64, s[:1], elements=st.integers(0, s[1] - 1)),
        )
    )


@pytest.mark.parametrize("case", SOFTMAX, ids=_ids)
def test_softmax_losses_nonnegative_and_shift_invariant(be, case):
    fn = case.fn

    @settings(max_examples=30, deadline=None)
    @given(_logits_and_labels(), st.floats(-100, 100))
    def check(zy, shift):
        z, y = zy
        base = be.to_numpy(fn(be.asarray(z, "float64"), be.asarray(y), reduction="none"))
        shifted = be.to_numpy(fn(be.asarray(z + shift, "float64"), be.asarray(y), reduction="none"))
        assert np.all(base >= -1e-12)
        np.testing.assert_allclose(shifted, base, rtol=1e-9, atol=1e-9)

    check()


@pytest.mark.parametrize("case", BINARY, ids=_ids)
def test_binary_losses_nonnegative_and_reductions_consistent(be, case):
    fn = case.fn

    @settings(max_examples=30, deadline=None)
    @given(
        shapes.flatmap(
            lambda s: st.tuples(
                arrays(np.float64, s, elements=st.floats(-30, 30)),
                arrays(np.int64, s, elements=st.integers(0, 1)),
            )
        )
    )
    def check(zt):
        z, t = (be.asarray(zt[0], "float64"), be.asarray(zt[1]))
        none = be.to_numpy(fn(z, t, reduction="none"))
        assert np.all(none >= -1e-12)
        np.testing.assert_allclose(be.to_numpy(fn(z, t)), none.mean(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(
            be.to_numpy(fn(z, t, reduction="sum")), none.sum(), rtol=1e-9, atol=1e-12
        )

    check()


# online_contrastive_loss is left out: its hard-pair selection uses strict comparisons with
# the batch's extreme distances, so equal distances (duplicate pairs) flip with rounding
@pytest.mark.parametrize("fn", [al.cosent_loss, al.angle_loss], ids=lambda f: f.__name__)
def test_in_batch_losses_are_permutation_invariant_and_scale_free(be, fn):
    @settings(max_examples=25, deadline=None)
    @given(
        st.integers(2, 9).flatmap(
            lambda n: st.tuples(
                arrays(np.float64, (n, 4), elements=st.floats(-3, 3)),
                arrays(np.float64, (n, 4), elements=st.floats(-3, 3)),
                arrays(np.int64, (n,), elements=st.integers(0, 1)),
                st.permutations(list(range(n))),
            )
        ),
        st.floats(0.1, 10.0),
    )
    def check(data, c):
        a, b, y, perm = data
        if min(np.linalg.norm(a, axis=1).min(), np.linalg.norm(b, axis=1).min()) < 1e-2:
            return
        perm = np.asarray(perm)

        def run(a, b, y):
            return float(
                be.to_numpy(fn(be.asarray(a, "float64"), be.asarray(b, "float64"), be.asarray(y)))
            )

        base = run(a, b, y)
        np.testing.assert_allclose(run(a[perm], b[perm], y[perm]), base, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(run(c * a, b, y), base, rtol=1e-7, atol=1e-9)  # cosine-based
        assert base >= 0

    check()
