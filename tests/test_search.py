"""Exact top-k search (arraylosses.metrics.search) and its backend hook (_backend.top_k).

Every expectation comes from a stable descending ``np.argsort`` of the full score matrix in
NumPy float64 (ties: the lower id first), never from the code under test. Embeddings hold
small integers, so every dot product is exact in float32 and float64 and in any summation
order: the chunked search, whatever its chunking, must give exactly the dense order, ties
(which small integers make frequent) included.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from arraylosses import _backend
from arraylosses.metrics.search import (
    TopK,
    top_k_init,
    top_k_merge,
    top_k_search,
    top_k_update,
)
from arraylosses.testing import Backend

from .conftest import JAX, SELECTED, entered, use_backend


def oracle(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(values, ids)`` of the k best of each row by a stable descending argsort, padded with
    ``(-inf, -1)`` beyond the row length; NaN counts as ``-inf`` (search's rule)."""
    s = np.where(np.isnan(scores), -np.inf, np.asarray(scores, dtype=np.float64))
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    values = np.take_along_axis(s, order, axis=1)
    pad = k - order.shape[1]
    if pad > 0:
        values = np.pad(values, ((0, 0), (0, pad)), constant_values=-np.inf)
        order = np.pad(order, ((0, 0), (0, pad)), constant_values=-1)
    return values, order


def as_numpy(backend, state: TopK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.asarray(backend.to_numpy(state.scores), dtype=np.float64),
        np.asarray(backend.to_numpy(state.ids)),
        np.asarray(backend.to_numpy(state.invalid)),
    )


def integer_embeddings(rng, n: int, d: int = 3, high: int = 3) -> np.ndarray:
    return rng.integers(-high, high + 1, size=(n, d)).astype(np.float64)


# ---------------------------------------------------------------------------------------------
# _backend.top_k


def tie_heavy_rows(rng) -> list[tuple[np.ndarray, int]]:
    cases = []
    for n in (1, 2, 5, 17, 64):
        for k in sorted({1, 2, max(1, n // 2), n}):
            if k <= n:
                cases.append((rng.integers(0, 3, size=(6, n)).astype(np.float64), k))
    cases.append((np.zeros((3, 9)), 4))  # all equal
    straddle = np.array([[5.0, 1.0, 3.0, 3.0, 0.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0, 9, 9, 3.0]])
    cases += [(straddle, 2), (straddle, 3), (straddle, 4)]  # ties across the k-th place
    inf = np.array([[-np.inf, 1.0, -np.inf, 2.0, -np.inf], [-np.inf] * 5])
    cases += [(inf, 3), (inf, 5)]
    cases.append((np.array([[0.0, -0.0, 1.0, -0.0, 0.0]]), 3))  # -0.0 equals 0.0
    cases.append((rng.standard_normal((20, 300)), 7))  # no ties: the fast path alone
    return cases


@pytest.mark.parametrize("generic", [False, True], ids=["native", "generic"])
def test_top_k_equals_stable_argsort(backend, dtype, rng, generic):
    for x, k in tie_heavy_rows(rng):
        xb = backend.asarray(x, dtype)
        if generic:
            with _backend.generic_kernels():
                values, indices = _backend.top_k(backend.xp, xb, k)
        else:
            values, indices = _backend.top_k(backend.xp, xb, k)
        want_values, want_ids = oracle(x.astype(dtype), k)
        np.testing.assert_array_equal(backend.to_numpy(indices), want_ids, err_msg=f"{x}, {k}")
        np.testing.assert_array_equal(backend.to_numpy(values), want_values)


def test_top_k_rejects_k_out_of_range(backend):
    x = backend.asarray(np.zeros((2, 3)), "float64")
    for k in (0, 4):
        with pytest.raises(ValueError, match=r"k must be in \[1, 3\]"):
            _backend.top_k(backend.xp, x, k)


@pytest.mark.parametrize("name", JAX)
def test_top_k_under_jit_follows_lax_rule(name, rng):
    import jax

    backend = use_backend(name)
    with backend.context():
        for x, k in tie_heavy_rows(rng):
            values, indices = jax.jit(lambda a, k=k: _backend.top_k(backend.xp, a, k))(
                backend.asarray(x, "float64")
            )
            np.testing.assert_array_equal(np.asarray(indices), oracle(x, k)[1])
            np.testing.assert_array_equal(np.asarray(values), oracle(x, k)[0])


# ---------------------------------------------------------------------------------------------
# top_k_search against the dense stable argsort


# JAX in float64 only: each JAX dtype is XLA compilations of its own (about 20 s of the suite
# for these two tests), and its float32 search, ties included, is checked by
# test_search_numpy_corpus_beside_other_queries (integer embeddings, chunked, the float32
# result) and test_search_chunk_size_changes_the_result_by_rounding_only
SEARCH_CELLS = [
    (b, d) for b in SELECTED for d in ("float32", "float64") if b not in JAX or d == "float64"
]


@pytest.fixture(params=SEARCH_CELLS, ids=[f"{b}-{d}" for b, d in SEARCH_CELLS])
def backend_dtype(request: pytest.FixtureRequest) -> Iterator[tuple[Backend, str]]:
    name, dtype = request.param
    for backend in entered(name):
        yield backend, dtype


@pytest.mark.parametrize(
    ("n", "k"), [(23, 1), (23, 5), (23, 23), (23, 30), (1, 3), (40, 12)], ids=str
)
def test_search_equals_dense_argsort(backend_dtype, rng, n, k):
    backend, dtype = backend_dtype
    queries, corpus = integer_embeddings(rng, 7), integer_embeddings(rng, n)
    want_scores, want_ids = oracle(queries @ corpus.T, k)
    for chunk in (1, 7, None):  # None: one chunk; 7 divides neither 23 nor 40
        got = top_k_search(
            backend.asarray(queries, dtype), backend.asarray(corpus, dtype), k=k, chunk_size=chunk
        )
        scores, ids, invalid = as_numpy(backend, got)
        np.testing.assert_array_equal(ids, want_ids, err_msg=f"chunk_size={chunk}")
        np.testing.assert_array_equal(scores, want_scores)
        assert not invalid.any()
        assert got.scores.dtype == getattr(backend.xp, dtype)
        assert got.ids.dtype == _backend.index_dtype(backend.xp, got.scores)
        assert got.invalid.dtype == backend.xp.bool


def test_search_query_blocks(backend, rng, monkeypatch):
    """Queries split into blocks (a score block over budget): the same result."""
    from arraylosses.metrics import search

    queries, corpus = integer_embeddings(rng, 11), integer_embeddings(rng, 19)
    monkeypatch.setattr(search, "SCORE_BLOCK_BYTES", 3 * 5 * 8)  # 3 queries x 5 documents
    got = top_k_search(
        backend.asarray(queries, "float64"), backend.asarray(corpus, "float64"), k=4, chunk_size=5
    )
    _, want_ids = oracle(queries @ corpus.T, 4)
    np.testing.assert_array_equal(as_numpy(backend, got)[1], want_ids)


def test_search_cosine(backend_dtype, rng):
    """Cosine on a corpus of scaled unit vectors (each normalises exactly to e_j, zero rows to
    0): the score of document j is q_j / |q|, so its order is the order of the integers q_j."""
    backend, dtype = backend_dtype
    d = 6
    axes = rng.integers(0, d, size=25)
    scale = rng.integers(1, 9, size=25).astype(np.float64)
    corpus = np.zeros((25, d))
    corpus[np.arange(25), axes] = scale
    corpus[[3, 17]] = 0.0  # zero vectors: clamped norm, score 0
    queries = integer_embeddings(rng, 5, d)
    queries[0] = 0.0
    unit = np.where(corpus.any(axis=1, keepdims=True), corpus / np.maximum(scale[:, None], 1), 0)
    q_unit = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-8)
    _, want_ids = oracle(queries @ unit.T, 8)  # the order of the integer scores
    for chunk in (4, None):
        got = top_k_search(
            backend.asarray(queries, dtype),
            backend.asarray(corpus, dtype),
            k=8,
            similarity="cosine",
            chunk_size=chunk,
        )
        scores, ids, _ = as_numpy(backend, got)
        np.testing.assert_array_equal(ids, want_ids)
        np.testing.assert_allclose(
            scores, np.take_along_axis(q_unit @ unit.T, want_ids, axis=1), rtol=1e-6
        )


def test_search_update_is_traced_on_jax_only(backend, rng, monkeypatch):
    """On JAX, ``top_k_search`` runs its update under ``jax.jit`` (``_backend.jitted``): the
    update sees tracers there, concrete arrays elsewhere; the result is the dense order."""
    from arraylosses.metrics import search

    seen = []
    eager_update = search.top_k_update

    def update(state, scores_chunk, *, offset):
        seen.append(_backend.is_eager(backend.xp, scores_chunk))
        return eager_update(state, scores_chunk, offset=offset)

    monkeypatch.setattr(search, "top_k_update", update)
    queries, corpus = integer_embeddings(rng, 5), integer_embeddings(rng, 9)
    got = top_k_search(
        backend.asarray(queries, "float64"), backend.asarray(corpus, "float64"), k=4, chunk_size=4
    )
    np.testing.assert_array_equal(as_numpy(backend, got)[1], oracle(queries @ corpus.T, 4)[1])
    # chunks of 4, 4 and 1 documents: two shapes traced once each on JAX, three eager calls else
    assert seen == ([False, False] if backend.is_jax else [True, True, True])


def test_search_numpy_corpus_beside_other_queries(backend, rng, tmp_path):
    """A NumPy memmap corpus is read chunk by chunk into the queries' namespace and device."""
    queries, corpus = integer_embeddings(rng, 4), integer_embeddings(rng, 30)
    path = tmp_path / "corpus.f32"
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=corpus.shape)
    mm[:] = corpus
    mm.flush()
    mm = np.memmap(path, dtype=np.float32, mode="r", shape=corpus.shape)
    got = top_k_search(backend.asarray(queries, "float32"), mm, k=6, chunk_size=7)
    _, want_ids = oracle(queries @ corpus.T, 6)
    np.testing.assert_array_equal(as_numpy(backend, got)[1], want_ids)
    assert got.scores.dtype == backend.xp.float32


def test_search_k_beyond_corpus_leaves_empty_slots(backend):
    queries = backend.asarray(np.array([[1.0, 0.0], [0.0, -1.0]]), "float64")
    corpus = backend.asarray(np.array([[2.0, 1.0], [-3.0, 0.0]]), "float64")
    scores, ids, invalid = as_numpy(backend, top_k_search(queries, corpus, k=4, chunk_size=1))
    np.testing.assert_array_equal(ids, [[0, 1, -1, -1], [1, 0, -1, -1]])
    inf = np.inf
    np.testing.assert_array_equal(scores, [[2.0, -3.0, -inf, -inf], [0.0, -1.0, -inf, -inf]])
    assert not invalid.any()


def test_update_real_minus_inf_ranks_before_empty_slots(backend):
    state = top_k_init(backend.asarray(np.zeros((1, 2)), "float64"), k=4)
    chunk = np.array([[-np.inf, 1.0, -np.inf]])
    state = top_k_update(state, backend.asarray(chunk, "float64"), offset=5)
    scores, ids, _ = as_numpy(backend, state)
    np.testing.assert_array_equal(ids, [[6, 5, 7, -1]])
    np.testing.assert_array_equal(scores, [[1.0, -np.inf, -np.inf, -np.inf]])


def test_search_empty_inputs(backend):
    q = backend.asarray(np.zeros((0, 3)), "float64")
    c = backend.asarray(np.ones((5, 3)), "float64")
    got = top_k_search(q, c, k=2)
    assert tuple(got.scores.shape) == (0, 2) and tuple(got.invalid.shape) == (0,)
    got = top_k_search(c, backend.asarray(np.zeros((0, 3)), "float64"), k=2)
    np.testing.assert_array_equal(as_numpy(backend, got)[1], -np.ones((5, 2)))


# ---------------------------------------------------------------------------------------------
# NaN: invalid for exactly the affected queries


def test_nan_in_a_query_marks_that_query(backend, rng):
    queries, corpus = integer_embeddings(rng, 5), integer_embeddings(rng, 12)
    queries[2, 1] = np.nan
    got = top_k_search(
        backend.asarray(queries, "float64"), backend.asarray(corpus, "float64"), k=3, chunk_size=5
    )
    scores, ids, invalid = as_numpy(backend, got)
    np.testing.assert_array_equal(invalid, [False, False, True, False, False])
    _, want_ids = oracle(queries @ corpus.T, 3)
    np.testing.assert_array_equal(ids, want_ids)  # the NaN row: all -inf, ids 0, 1, 2
    assert not np.isnan(scores).any()


def test_nan_in_a_document_marks_every_query(backend, rng):
    queries, corpus = integer_embeddings(rng, 4), integer_embeddings(rng, 12)
    corpus[7, 0] = np.nan
    got = top_k_search(
        backend.asarray(queries, "float64"), backend.asarray(corpus, "float64"), k=3, chunk_size=5
    )
    scores, ids, invalid = as_numpy(backend, got)
    assert invalid.all()
    np.testing.assert_array_equal(ids, oracle(queries @ corpus.T, 3)[1])
    assert (ids != 7).all() and not np.isnan(scores).any()


def test_update_nan_entries(backend, rng):
    s = rng.integers(0, 4, size=(5, 9)).astype(np.float64)
    s[1, 4] = np.nan
    s[3, 0] = np.nan
    state = top_k_init(backend.asarray(np.zeros((5, 2)), "float64"), k=3)
    state = top_k_update(state, backend.asarray(s[:, :4], "float64"), offset=0)
    state = top_k_update(state, backend.asarray(s[:, 4:], "float64"), offset=4)
    scores, ids, invalid = as_numpy(backend, state)
    np.testing.assert_array_equal(invalid, [False, True, False, True, False])
    want_scores, want_ids = oracle(s, 3)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_array_equal(scores, want_scores)


# ---------------------------------------------------------------------------------------------
# update and merge


def shard_state(backend, scores: np.ndarray, columns: np.ndarray, k: int) -> TopK:
    """The state of the documents ``columns`` alone, one update per document (any ids)."""
    state = top_k_init(backend.asarray(np.zeros((scores.shape[0], 1)), "float64"), k=k)
    for j in rng_order(columns):
        state = top_k_update(state, backend.asarray(scores[:, j : j + 1], "float64"), offset=j)
    return state


def rng_order(columns: np.ndarray) -> list[int]:
    return [int(j) for j in columns[::-1]]  # updates out of id order on purpose


def assert_same(backend, a: TopK, b: TopK) -> None:
    for x, y in zip(as_numpy(backend, a), as_numpy(backend, b), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("k", [1, 3, 8])
def test_merge_is_exact_associative_commutative(backend, rng, k):
    scores = rng.integers(0, 3, size=(6, 14)).astype(np.float64)
    scores[0, :] = -np.inf  # a query with only -inf documents: real ones before empty slots
    for _ in range(3):
        labels = rng.integers(0, 3, size=14)  # three shards of random (non-contiguous) ids
        a, b, c = (shard_state(backend, scores, np.flatnonzero(labels == m), k) for m in range(3))
        whole = top_k_merge(top_k_merge(a, b), c)
        want_scores, want_ids = oracle(scores, k)
        np.testing.assert_array_equal(as_numpy(backend, whole)[1], want_ids)
        np.testing.assert_array_equal(as_numpy(backend, whole)[0], want_scores)
        assert_same(backend, whole, top_k_merge(a, top_k_merge(b, c)))
        assert_same(backend, top_k_merge(a, b), top_k_merge(b, a))
        assert_same(backend, whole, top_k_merge(c, top_k_merge(b, a)))
        empty = top_k_init(backend.asarray(np.zeros((6, 1)), "float64"), k=k)
        assert_same(backend, top_k_merge(a, empty), a)  # the empty state is the identity


def test_update_chunks_in_any_order(backend, rng):
    scores = rng.integers(0, 3, size=(5, 20)).astype(np.float64)
    state = top_k_init(backend.asarray(np.zeros((5, 1)), "float64"), k=6)
    for start in (15, 0, 10, 5):
        chunk = backend.asarray(scores[:, start : start + 5], "float64")
        state = top_k_update(state, chunk, offset=start)
    np.testing.assert_array_equal(as_numpy(backend, state)[1], oracle(scores, 6)[1])


@pytest.mark.parametrize("name", JAX)
def test_update_and_merge_under_jit(name, rng):
    import jax

    backend = use_backend(name)
    with backend.context():
        scores = rng.integers(0, 3, size=(6, 18)).astype(np.float64)
        update = jax.jit(top_k_update)  # offset traced: a 0-d integer array
        update_static = jax.jit(top_k_update, static_argnames="offset")
        merge = jax.jit(top_k_merge)
        state = top_k_init(backend.asarray(np.zeros((6, 1)), "float64"), k=5)
        shard = top_k_init(backend.asarray(np.zeros((6, 1)), "float64"), k=5)
        for start in range(0, 12, 4):
            chunk = backend.asarray(scores[:, start : start + 4], "float64")
            state = update(state, chunk, offset=backend.xp.asarray(start))
        shard = update_static(shard, backend.asarray(scores[:, 12:], "float64"), offset=12)
        scores_out, ids, invalid = as_numpy(backend, merge(state, shard))
        want_scores, want_ids = oracle(scores, 5)
        np.testing.assert_array_equal(ids, want_ids)
        np.testing.assert_array_equal(scores_out, want_scores)
        assert not invalid.any()


@pytest.mark.parametrize("name", JAX)
def test_jax_without_x64_uses_int32_ids(name):
    import jax

    backend = use_backend(name)
    with jax.enable_x64(False):
        q = backend.xp.ones((2, 3), dtype=backend.xp.float32)
        got = top_k_search(q, backend.xp.ones((4, 3), dtype=backend.xp.float32), k=2)
        assert got.ids.dtype == backend.xp.int32
        np.testing.assert_array_equal(np.asarray(got.ids), [[0, 1], [0, 1]])


# ---------------------------------------------------------------------------------------------
# errors name the argument


def test_errors(backend):
    def arr(shape, dtype="float64"):
        return backend.asarray(np.zeros(shape), dtype)

    q, c = arr((2, 3)), arr((5, 3))
    with pytest.raises(ValueError, match="k must be in"):
        top_k_search(q, c, k=0)
    with pytest.raises(TypeError, match="k must be an int"):
        top_k_search(q, c, k=2.0)
    with pytest.raises(ValueError, match=r"queries must have shape \(Q, D\)"):
        top_k_search(arr((3,)), c, k=1)
    with pytest.raises(ValueError, match=r"corpus must have shape \(N, D\) with D = 3"):
        top_k_search(q, arr((5, 4)), k=1)
    with pytest.raises(ValueError, match="similarity must be one of"):
        top_k_search(q, c, k=1, similarity="l2")
    with pytest.raises(ValueError, match="chunk_size must be in"):
        top_k_search(q, c, k=1, chunk_size=0)
    with pytest.raises(TypeError, match="queries must be a real floating array"):
        top_k_search(backend.asarray(np.zeros((2, 3), dtype=np.int64)), c, k=1)
    with pytest.raises(TypeError, match="corpus must be a real floating array"):
        top_k_search(q, backend.asarray(np.zeros((5, 3), dtype=np.int64)), k=1)
    state = top_k_init(q, k=2)
    with pytest.raises(ValueError, match=r"scores_chunk must have shape \(Q, c\) with Q = 2"):
        top_k_update(state, arr((3, 4)), offset=0)
    with pytest.raises(ValueError, match="offset must be in"):
        top_k_update(state, arr((2, 4)), offset=-1)
    with pytest.raises(TypeError, match="scores_chunk must be a real floating array"):
        top_k_update(state, backend.asarray(np.zeros((2, 4), dtype=np.int64)), offset=0)
    with pytest.raises(TypeError, match="state must be a TopK state"):
        top_k_update((state.scores, state.ids, state.invalid), arr((2, 4)), offset=0)
    with pytest.raises(ValueError, match="a and b must have the same shape"):
        top_k_merge(state, top_k_init(q, k=3))
    with pytest.raises(ValueError, match="k must be in"):
        top_k_init(q, k=0)


# ---------------------------------------------------------------------------------------------
# chunk_size changes the result only by rounding (top_k_search's docstring): each float32 score
# lies within D u sum_i |q_i d_i| of the exact dot product, whatever the chunking; the
# rank-wise scores are then within the row's largest bound of the exact top-k; and documents
# change places only where their exact scores are that close.


def test_search_chunk_size_changes_the_result_by_rounding_only(backend, rng):
    # Q, N, k as test_search_equals_dense_argsort's last case: eager JAX compiles each new
    # shape once (~2 s), and these shapes are then compiled already
    q, n, d, k = 7, 40, 64, 12
    queries = rng.standard_normal((q, d))
    corpus = rng.standard_normal((n, d))
    corpus[20:] = corpus[:20] + 1e-7 * rng.standard_normal((20, d))  # near-ties
    queries32, corpus32 = queries.astype(np.float32), corpus.astype(np.float32)
    # the exact scores of the float32 inputs (float64 products of float32 values are exact
    # to 2^-48, far below the float32 rounding bound)
    exact = queries32.astype(np.float64) @ corpus32.astype(np.float64).T
    bound = d * 2.0**-24 * (np.abs(queries32).astype(np.float64) @ np.abs(corpus32).T)
    want_scores, _ = oracle(exact, k)
    rows = np.arange(q)[:, None]
    for chunk in (None, 1):  # the pair
        got = top_k_search(
            backend.asarray(queries32, "float32"),
            backend.asarray(corpus32, "float32"),
            k=k,
            chunk_size=chunk,
        )
        scores, ids, _ = as_numpy(backend, got)
        msg = f"chunk_size={chunk}"
        # each returned score: the document's exact score, rounded within its bound
        assert np.all(np.abs(scores - exact[rows, ids]) <= bound[rows, ids]), msg
        # rank by rank, within the row's largest bound of the exact top-k
        row_bound = bound.max(axis=1, keepdims=True)
        assert np.all(np.abs(scores - want_scores) <= row_bound), msg
        # an out-of-order pair, by exact score, is closer than twice the bound
        ahead, behind = exact[rows, ids[:, :-1]], exact[rows, ids[:, 1:]]
        assert np.all(behind - ahead <= 2 * row_bound), msg
        assert len(set(ids.ravel().tolist())) > q  # not a degenerate ranking
