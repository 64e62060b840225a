"""Exact top-k search over a corpus that is walked in chunks: the per-query ``k`` best documents
and their scores, in ``O(Q·k)`` state, never the ``(Q, N)`` score matrix.

Ranking rule (the one of :mod:`arraylosses.metrics.retrieval`): documents are ordered by
descending score; **of equal scores the lower document id ranks first**. The result is
therefore exactly the first ``k`` columns of a stable descending ``argsort`` of the scores
it was given, whatever the chunking, the shard split, or the order of the merges.
:func:`top_k_search` computes those scores by matrix products whose rounding depends on their
shape, so its scores, and the order of documents whose scores lie within that rounding, may
differ between ``chunk_size`` values (its docstring bounds the difference).

The state is :class:`TopK`, a NamedTuple of three fixed-shape arrays (a JAX pytree):

* ``scores`` ``(Q, k)``, descending along each row;
* ``ids`` ``(Q, k)`` global document ids (the namespace's default index dtype: int64, and
  int32 on JAX without x64, where ids must stay below ``2**31 - 1``);
* ``invalid`` ``(Q,)`` bool: a NaN score was seen for the query.

Empty slots (fewer than ``k`` documents seen, e.g. ``k > N``) hold the score ``-inf`` and the
id ``-1``, and rank after every real document, one scored ``-inf`` included. A NaN score is
never ranked: it is replaced by ``-inf`` (the document can still fill a slot no finite score
wants) and the query is marked ``invalid``; :func:`arraylosses.metrics.retrieval_metrics`
(``invalid=``) makes its metrics NaN, as the dense metrics make a query holding a NaN score
NaN. A NaN in a document row therefore marks every query (its dot product with each is NaN).

Three functions hold the state (``init``, ``update``, ``merge``, as the streaming metrics):
:func:`top_k_init`, :func:`top_k_update` (one chunk of scores for documents ``offset ..
offset + c - 1``) and :func:`top_k_merge` (two states over disjoint documents, e.g. corpus
shards searched on different ranks: exact, associative and commutative). :func:`top_k_search`
drives them over a corpus of embeddings. Peers: ``faiss.IndexFlatIP.search`` (exact search,
which does not specify its tie order) and ``torch.topk`` over the dense score matrix.

Cost: one matmul and one partial selection per (query block, chunk), the work of the dense
``matmul + topk``; the merges touch ``(Q, 2k)`` per chunk. ``top_k_search`` runs its loop
eagerly; on JAX it calls :func:`top_k_update` under ``jax.jit`` (one compilation per chunk
shape, the tie rule of ``lax.top_k`` and the two-key merge; the same result), and a loop of
your own can do the same. ``examples/corpus_retrieval_eval.py`` measures 10,000 queries x
1,000,000 documents.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .. import _backend
from .._backend import Array, Namespace, as_dtype, device_of, index_dtype, namespace
from .._ops import normalize
from .._validate import check_floating, check_option, integer, options
from ..typing import Similarity

__all__ = ["TopK", "top_k_init", "top_k_merge", "top_k_search", "top_k_update"]

#: bytes of one ``(query block, document chunk)`` score block. 128 MiB: at 10,000 queries x
#: 200,000 documents (2 CPU threads) 256 MiB took 0.33 GiB above the inputs on torch and 0.8 GiB
#: on NumPy (its argpartition makes int64 indices of the block's size), 128 MiB half that, in
#: 1.06x the time on torch and 0.85x on NumPy
SCORE_BLOCK_BYTES = 128 * 2**20
#: documents per chunk when ``chunk_size=None`` (queries are then blocked to fit the budget)
DEFAULT_CHUNK = 16384


class TopK(NamedTuple):
    """The running top-k of each query: ``scores`` ``(Q, k)`` descending, ``ids`` ``(Q, k)``
    global document ids (``-1``: empty slot, score ``-inf``), ``invalid`` ``(Q,)`` bool (a
    NaN score was seen for the query)."""

    scores: Array
    ids: Array
    invalid: Array


def _check_type(state: Any, name: str) -> None:
    if not isinstance(state, TopK):
        raise TypeError(f"{name} must be a TopK state; got {type(state).__name__}")


def _check_state(xp: Namespace, state: TopK, name: str) -> None:
    q, k = state.scores.shape if state.scores.ndim == 2 else (None, None)
    if (
        state.scores.ndim != 2
        or tuple(state.ids.shape) != (q, k)
        or tuple(state.invalid.shape) != (q,)
    ):
        raise ValueError(
            f"{name} must hold scores and ids of one shape (Q, k) and invalid of shape (Q,); "
            f"got {tuple(state.scores.shape)}, {tuple(state.ids.shape)}, "
            f"{tuple(state.invalid.shape)}"
        )
    check_floating(xp, f"{name}.scores", state.scores)


def top_k_init(queries: Array, *, k: int) -> TopK:
    """The empty state for the ``Q`` rows of ``queries``: every slot empty (score ``-inf``,
    id ``-1``), no query invalid. On the queries' namespace and device; the scores have the
    queries' floating dtype (float32 for float16/bfloat16 queries, which are scored in
    float32), the ids the namespace's default index dtype.

    Args:
        queries: ``(Q, D)`` floating array (only its shape, dtype and device are used).
        k: the number of documents kept per query, ``>= 1``.

    Returns:
        The empty :class:`TopK` state, ``scores`` ``(Q, k)`` all ``-inf``, ``ids`` ``(Q, k)`` all
        ``-1``, ``invalid`` ``(Q,)`` all ``False``.

    References:
        - No paper: exact top-k search in chunks with a running merge. Peer implementations
          followed: ``torch.topk`` and ``jax.lax.top_k`` (per chunk); the result is that of exact
          (flat) search, as FAISS ``IndexFlatIP``.

    Example:
        >>> import numpy as np
        >>> top_k_init(np.zeros((1, 4)), k=2).ids.tolist()
        [[-1, -1]]
    """
    xp = namespace(queries=queries)
    k = integer("k", k, low=1)
    if queries.ndim != 2:
        raise ValueError(f"queries must have shape (Q, D); got {tuple(queries.shape)}")
    _, dtype = _backend.compute_dtype(xp, queries, "queries")
    dev = device_of(queries)
    q = queries.shape[0]
    return TopK(
        xp.full((q, k), -math.inf, dtype=dtype, device=dev),
        xp.full((q, k), -1, dtype=index_dtype(xp, queries), device=dev),
        xp.zeros((q,), dtype=xp.bool, device=dev),
    )


def _select(xp: Namespace, scores: Array, ids: Array, invalid: Array, k: int) -> TopK:
    """The first ``k`` of ``(scores, ids)`` ``(Q, m)``, ``k <= m <= 2k``, by (score
    descending, id ascending, empty slots last).

    Eagerly on the CPU, the ``k + 1`` best by score come first
    (:func:`arraylosses._backend.top_k`); in a row where no two of them are equal, their order
    and the cut are already the answer. The other rows (every row under tracing or on an
    accelerator, where finding them would read values back) take the exact two-key order
    (:func:`_two_key_select`)."""
    m = scores.shape[1]
    if m == k or not _backend.host_readable(scores):
        s, i = _two_key_select(xp, scores, ids, k)
        return TopK(s, i, invalid)
    values, positions = _backend.top_k(xp, scores, k + 1)
    tied = xp.any(values[:, 1:] == values[:, :-1], axis=1)
    values, top_ids = values[:, :k], _take(xp, ids, positions[:, :k])
    count = int(xp.sum(xp.astype(tied, xp.int32)))
    if count:
        # the tied rows first (a stable argsort, not nonzero), redone in a block of a power of
        # two rows: a few distinct shapes (eager JAX compiles each shape once), untied rows
        # in the block are redone too (the same answer)
        rows = xp.argsort(xp.astype(~tied, xp.int32), stable=True)
        block = min(1 << (count - 1).bit_length(), scores.shape[0])
        s, i = _two_key_select(
            xp, xp.take(scores, rows[:block], axis=0), xp.take(ids, rows[:block], axis=0), k
        )
        where = xp.argsort(rows)  # row -> its place in rows
        done = (where < block)[:, None]
        where = xp.where(where < block, where, xp.zeros_like(where))
        values = xp.where(done, xp.take(s, where, axis=0), values)
        top_ids = xp.where(done, xp.take(i, where, axis=0), top_ids)
    return TopK(values, top_ids, invalid)


def _two_key_select(xp: Namespace, scores: Array, ids: Array, k: int) -> tuple[Array, Array]:
    """The first ``k`` by (score descending, id ascending, ``-1`` last): a stable sort by id
    (``-1`` mapped past every id), then a stable sort by score."""
    key = xp.where(ids < 0, xp.full_like(ids, xp.iinfo(ids.dtype).max), ids)
    order = xp.argsort(key, axis=-1, stable=True)
    scores, ids = _take(xp, scores, order), _take(xp, ids, order)
    order = xp.argsort(scores, axis=-1, descending=True, stable=True)[:, :k]
    return _take(xp, scores, order), _take(xp, ids, order)


def _take(xp: Namespace, x: Array, positions: Array) -> Array:
    """``x`` at the row-wise ``positions`` (``torch.gather`` on torch)."""
    return _backend.take_along_axis(xp, x, as_dtype(xp, positions, index_dtype(xp, x)), axis=-1)


def top_k_update(state: TopK, scores_chunk: Array, *, offset: Any) -> TopK:
    r"""``state`` after the scores of documents ``offset .. offset + c - 1``.

    ``scores_chunk`` ``(Q, c)`` holds each query's scores of those documents. The chunk's own
    top ``min(k, c)`` (:func:`arraylosses._backend.top_k`: ``torch.topk``,
    ``jax.lax.top_k``, ``np.argpartition`` made exact on ties) is merged with the running
    ``(Q, k)`` and the best ``k`` kept, ties by id: the result equals the first ``k`` columns
    of a stable descending argsort of all the scores seen, with their ids. A NaN score is
    replaced by ``-inf`` and marks its query ``invalid``. Traceable under ``jax.jit``
    (``offset`` may be a Python int or a 0-d integer array).

    Args:
        state: the running :class:`TopK`.
        scores_chunk: ``(Q, c)`` floating scores, cast to the state's dtype.
        offset: the global id of the chunk's first document, ``>= 0`` (an int or a 0-d integer
            array).

    Returns:
        The new :class:`TopK` state, same shapes and dtypes as ``state``.

    References:
        - No paper: exact top-k search in chunks with a running merge. Peer implementations
          followed: ``torch.topk`` and ``jax.lax.top_k`` (per chunk); the result is that of exact
          (flat) search, as FAISS ``IndexFlatIP``.

    Example:
        >>> import numpy as np
        >>> s = top_k_init(np.zeros((1, 3)), k=2)
        >>> s = top_k_update(s, np.array([[0.5, 0.9]]), offset=0)
        >>> s = top_k_update(s, np.array([[0.9, 0.1]]), offset=2)
        >>> s.ids.tolist(), s.scores.tolist()
        ([[1, 2]], [[0.9, 0.9]])
    """
    _check_type(state, "state")
    xp = namespace(scores=state.scores, scores_chunk=scores_chunk)
    _check_state(xp, state, "state")
    check_floating(xp, "scores_chunk", scores_chunk)
    q, k = state.scores.shape
    if scores_chunk.ndim != 2 or scores_chunk.shape[0] != q:
        raise ValueError(
            f"scores_chunk must have shape (Q, c) with Q = {q} (the state's queries); got "
            f"{tuple(scores_chunk.shape)}"
        )
    if isinstance(offset, int | float) or not hasattr(offset, "shape"):
        offset = integer("offset", offset, low=0)
    c = scores_chunk.shape[1]
    if c == 0 or q == 0:
        return state
    s = as_dtype(xp, scores_chunk, state.scores.dtype)
    # a NaN row sum flags every row holding a NaN (one reduction, no (Q, c) mask), and a few
    # more (+inf beside -inf); eagerly, the exact mask is formed only when one is flagged
    maybe = xp.isnan(xp.sum(s, axis=1))
    if not _backend.host_readable(maybe) or bool(xp.any(maybe)):
        nan = xp.isnan(s)
        invalid = state.invalid | xp.any(nan, axis=1)
        s = xp.where(nan, _backend.const(xp, -math.inf, s), s)
    else:
        invalid = state.invalid
    values, positions = _backend.top_k(xp, s, min(k, c))
    ids = as_dtype(xp, positions, state.ids.dtype) + offset
    return _select(
        xp,
        xp.concat([state.scores, values], axis=1),
        xp.concat([state.ids, as_dtype(xp, ids, state.ids.dtype)], axis=1),
        invalid,
        k,
    )


def top_k_merge(a: TopK, b: TopK) -> TopK:
    r"""The top-k of two states over **disjoint** documents (corpus shards; ids are global):
    the best ``k`` of their ``2k`` entries by (score descending, id ascending, empty slots
    last), and ``invalid = a.invalid | b.invalid``.

    Exact, associative and commutative: ``merge(a, b) == merge(b, a)`` and ``merge(merge(a,
    b), c) == merge(a, merge(b, c))`` element for element, and the merge of the states of the
    shards equals the state of the whole corpus (no rounding: entries are only moved).

    Args:
        a: a :class:`TopK` state.
        b: a :class:`TopK` state of the same shapes over disjoint documents.

    Returns:
        The merged :class:`TopK` state, same shapes and dtypes.

    References:
        - No paper: exact top-k search in chunks with a running merge. Peer implementations
          followed: ``torch.topk`` and ``jax.lax.top_k`` (per chunk); the result is that of exact
          (flat) search, as FAISS ``IndexFlatIP``.

    Example:
        >>> import numpy as np
        >>> a = top_k_update(top_k_init(np.zeros((1, 2)), k=2), np.array([[0.3, 0.7]]), offset=0)
        >>> b = top_k_update(top_k_init(np.zeros((1, 2)), k=2), np.array([[0.7, 0.2]]), offset=2)
        >>> top_k_merge(b, a).ids.tolist()
        [[1, 2]]
    """
    _check_type(a, "a")
    _check_type(b, "b")
    xp = namespace(a=a.scores, b=b.scores)
    _check_state(xp, a, "a")
    _check_state(xp, b, "b")
    if tuple(a.scores.shape) != tuple(b.scores.shape) or a.scores.dtype != b.scores.dtype:
        raise ValueError(
            f"a and b must have the same shape (Q, k) and dtype; got {tuple(a.scores.shape)} "
            f"{a.scores.dtype} and {tuple(b.scores.shape)} {b.scores.dtype}"
        )
    return _select(
        xp,
        xp.concat([a.scores, b.scores], axis=1),
        xp.concat([a.ids, as_dtype(xp, b.ids, a.ids.dtype)], axis=1),
        a.invalid | b.invalid,
        a.scores.shape[1],
    )


def _is_numpy(x: Any) -> bool:
    import array_api_compat

    return bool(array_api_compat.is_numpy_array(x))


def _corpus_namespace(xp: Namespace, queries: Array, corpus: Any) -> bool:
    """Validate ``corpus``; True when it must be converted chunk by chunk (a NumPy array or
    memmap beside queries of another library), False when it shares the queries' namespace."""
    if _is_numpy(corpus) and not _is_numpy(queries):
        if corpus.dtype.kind != "f":
            raise TypeError(f"corpus must be a real floating array; got dtype {corpus.dtype}")
        return True
    namespace(queries=queries, corpus=corpus)
    check_floating(xp, "corpus", corpus)
    return False


def top_k_search(
    queries: Array,
    corpus: Any,
    *,
    k: int,
    similarity: Similarity = "dot",
    chunk_size: int | None = None,
) -> TopK:
    r"""The ``k`` best documents of each query by exact search over ``corpus``, in chunks.

    The score of query :math:`q_i` and document :math:`d_j` is :math:`s_{ij} = q_i \cdot d_j`
    (``similarity="dot"``) or :math:`\hat q_i \cdot \hat d_j` with :math:`\hat x = x /
    \max(\lVert x \rVert_2, 10^{-8})` (``"cosine"``, the library's clamped norm). The result
    holds, for each query, the ``k`` largest :math:`s_{ij}` in descending order with the ids
    ``j`` (ties: the lower id first), i.e. the first ``k`` columns of a stable descending
    argsort of :math:`S = Q D^\top` as computed (see ``chunk_size``), which is never built: the
    corpus is walked ``chunk_size`` rows at a time (:func:`top_k_update`), and the queries in
    blocks so that one score block stays within ``SCORE_BLOCK_BYTES`` (128 MiB). ``k > N``
    leaves the last ``k - N`` slots empty (score ``-inf``, id ``-1``). A NaN score marks its
    query ``invalid``.

    ``corpus`` may be a NumPy array or ``np.memmap`` beside queries of another library: each
    chunk is sliced, copied and converted to the queries' namespace and device, so a corpus on
    disk is read once and never held whole. Memory beyond the inputs: the state ``(Q, k)``,
    one chunk ``(chunk_size, D)`` and one score block.

    Args:
        queries: ``(Q, D)`` floating embeddings.
        corpus: ``(N, D)`` floating embeddings of the queries' namespace, or a NumPy array.
        k: documents kept per query, ``>= 1``.
        similarity: ``"dot"`` (default) or ``"cosine"``.
        chunk_size: documents scored at a time (``None``: 16384), ``>= 1``. It changes the
            time and memory, and the result only by rounding: each score is a dot product
            rounded as the matrix product it is computed in (BLAS picks its summation order
            by shape), within :math:`D u \sum_i |q_i d_i|` of the exact one (:math:`u` the
            unit roundoff, :math:`2^{-24}` in float32) but not always the same between chunk
            sizes, so documents whose exact scores are equal or that close may swap places.
            Exactly computed scores (small-integer embeddings, say) give the same result
            whatever the chunk size.

    Returns:
        The :class:`TopK` state ``(scores, ids, invalid)``, ``scores`` ``(Q, k)`` in the queries'
        floating dtype (float32 for float16/bfloat16), ``ids`` ``(Q, k)`` integer, ``invalid``
        ``(Q,)`` boolean.

    References:
        - No paper: exact top-k search in chunks with a running merge. Peer implementations
          followed: ``torch.topk`` and ``jax.lax.top_k`` (per chunk); the result is that of exact
          (flat) search, as FAISS ``IndexFlatIP``.

    Example:
        >>> import numpy as np
        >>> corpus = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
        >>> r = top_k_search(np.array([[1.0, 0.0]]), corpus, k=3, chunk_size=2)
        >>> r.ids.tolist(), r.scores.tolist()
        ([[0, 2, 3]], [[1.0, 1.0, 1.0]])
    """
    xp = namespace(queries=queries)
    check_floating(xp, "queries", queries)
    if queries.ndim != 2:
        raise ValueError(f"queries must have shape (Q, D); got {tuple(queries.shape)}")
    convert = _corpus_namespace(xp, queries, corpus)
    if corpus.ndim != 2 or corpus.shape[1] != queries.shape[1]:
        raise ValueError(
            f"corpus must have shape (N, D) with D = {queries.shape[1]} (the queries' width); "
            f"got {tuple(corpus.shape)}"
        )
    k = integer("k", k, low=1)
    check_option("similarity", similarity, options(Similarity))
    chunk = DEFAULT_CHUNK if chunk_size is None else integer("chunk_size", chunk_size, low=1)
    state = top_k_init(queries, k=k)
    dtype, dev = state.scores.dtype, device_of(queries)
    n, q = corpus.shape[0], queries.shape[0]
    if q == 0 or n == 0:
        return state
    chunk = min(chunk, n)
    itemsize = 8 if dtype == xp.float64 else 4
    block = max(1, min(q, SCORE_BLOCK_BYTES // (chunk * itemsize)))
    qs = as_dtype(xp, queries, dtype)
    if similarity == "cosine":
        qs = normalize(xp, qs)
    # on JAX the update runs under jax.jit: one compilation per chunk shape (two at most: the
    # full chunk and the last), where eagerly each of its ~40 primitives compiled at each
    # shape, and the eager tie check's data-dependent blocks added shapes of their own
    update = _backend.jitted(xp, top_k_update)
    ends = {i: min(i + block, q) for i in range(0, q, block)}  # in range: strict slicing
    blocks = [qs[i:end, :] for i, end in ends.items()]
    states = [
        TopK(state.scores[i:end, :], state.ids[i:end, :], state.invalid[i:end])
        for i, end in ends.items()
    ]
    for start in range(0, n, chunk):
        docs = corpus[start : min(start + chunk, n), :]
        if convert:
            import numpy as np

            host = np.dtype(str(dtype).rsplit(".", 1)[-1])  # torch.float32 -> float32
            docs = xp.asarray(np.array(docs, dtype=host), device=dev)  # a copy: no memmap view
        docs = as_dtype(xp, docs, dtype)
        if similarity == "cosine":
            docs = normalize(xp, docs)
        docs_t = xp.permute_dims(docs, (1, 0))
        states = [
            update(s, xp.matmul(b, docs_t), offset=start)
            for s, b in zip(states, blocks, strict=True)
        ]
    if len(states) == 1:
        return states[0]
    return TopK(*(xp.concat([s[m] for s in states], axis=0) for m in range(3)))
