"""Retrieval evaluation over a corpus that is never scored whole: 10,000 queries against
1,000,000 documents (D = 64, float32), exact top-100 search in chunks, then the retrieval
metrics from the returned ids and the qrels, as an IR evaluator takes them.

    python examples/corpus_retrieval_eval.py                         # the full run, torch (CPU)
    python examples/corpus_retrieval_eval.py --backend numpy|jax
    python examples/corpus_retrieval_eval.py --queries 300 --docs 20000 --check-docs 5000

Data (generated, no download): unit-norm random documents; each query is a noisy mixture of
one to three documents, so its relevant documents and their grades (2 for the main one, 1 for
the others) are known. The search is :func:`arraylosses.metrics.search.top_k_search`: it walks
the corpus in chunks with a running per-query top-k and never builds the ``Q x N`` score
matrix. The metrics come from the ``(Q, k)`` ids and the qrels.

Check: ``--check-queries`` queries (ones whose main document lies among the first
``--check-docs`` documents) are searched again over those documents alone, and their metrics
must equal the dense one-shot metrics (``arraylosses.metrics.ndcg_at_k`` & co. on the full
``(q, n)`` score matrix and a dense relevance matrix).

Memory: the resident set (``/proc/self/status``). The peak is reset after the corpus and the
queries exist (``/proc/self/clear_refs``), and the figure printed is the peak of the search
and the metric step minus the resident set at that moment: memory above the corpus. Where the
reset is not permitted the peak since the start is used, which includes building the corpus
(the line says so). Target (issue #16): <= 1 GiB above the corpus on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import time
from typing import Any

GIB = 2**30
METRICS = ("recall", "precision", "hit_rate", "mrr", "ndcg", "map")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--queries", type=int, default=10_000)
    p.add_argument("--docs", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--backend", choices=("torch", "numpy", "jax"), default="torch")
    p.add_argument("--chunk-size", type=int, default=None, help="documents per chunk")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--check-queries", type=int, default=200)
    p.add_argument("--check-docs", type=int, default=50_000)
    p.add_argument("--dense-reference", action="store_true", help="also time dense matmul+topk")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------------------
# memory


def status_kib(field: str) -> int:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> tuple[int, str]:
    """The resident set now (bytes) and how the peak is measured from here on."""
    rss = status_kib("VmRSS") * 1024
    try:
        pathlib.Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return rss, "peak since start (clear_refs not permitted) minus RSS after the corpus"
    return rss, "VmHWM reset after the corpus (clear_refs), minus RSS at the reset"


# ---------------------------------------------------------------------------------------------
# data


def make_data(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """Corpus ``(N, D)`` float32 unit rows, queries ``(Q, D)`` float32, qrels ``(Q, 3)`` ids
    (-1: none) and grades ``(Q, 3)`` (0: none)."""
    import numpy as np

    rng = np.random.default_rng(args.seed)
    n, d, q = args.docs, args.dim, args.queries
    corpus = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 65536):  # in blocks: no float64 or full-size temporaries
        block = rng.standard_normal((min(65536, n - start), d), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        corpus[start : start + block.shape[0]] = block
    n_rel = rng.choice([1, 2, 3], size=q, p=[0.6, 0.25, 0.15])
    qrels = rng.integers(0, n, size=(q, 3))
    # a share of queries whose main document is among the first check_docs (the dense check)
    share = min(q, 2 * args.check_queries)
    qrels[:share, 0] = rng.integers(0, min(n, args.check_docs), size=share)
    qrels = np.where(np.arange(3) < n_rel[:, None], qrels, -1)
    for row in range(q):  # distinct relevant documents
        ids = qrels[row, : n_rel[row]]
        while len(set(ids.tolist())) < len(ids):
            ids[1:] = rng.integers(0, n, size=len(ids) - 1)
    grades = np.where(qrels >= 0, np.where(np.arange(3) == 0, 2, 1), 0).astype(np.float32)
    weights = np.array([1.0, 0.7, 0.5], dtype=np.float32) * (qrels >= 0)
    queries = np.einsum("qr,qrd->qd", weights, corpus[np.maximum(qrels, 0)])
    noise = rng.uniform(0.3, 2.0, size=(q, 1)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    queries += noise * rng.standard_normal((q, d), dtype=np.float32) / np.sqrt(d)
    return corpus, queries.astype(np.float32), qrels, grades


# ---------------------------------------------------------------------------------------------
# backends


def setup(backend: str, threads: int) -> tuple[Any, Any, Any]:
    """``(to_backend, corpus_for_search, to_numpy)`` for the backend."""
    import numpy as np

    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
        return torch.from_numpy, torch.from_numpy, lambda x: x.numpy()  # no copy of the corpus
    if backend == "jax":
        import jax.numpy as jnp

        # the corpus stays NumPy: top_k_search converts it chunk by chunk (no device copy)
        return jnp.asarray, lambda c: c, np.asarray
    return (lambda x: x), (lambda c: c), (lambda x: x)


# ---------------------------------------------------------------------------------------------
# metrics


def metrics_from_ids(ids: Any, invalid: Any, qrels: Any, grades: Any, k: int) -> dict[str, Any]:
    """Per-query metrics from the search output (ranked ids, ``invalid``) and the qrels, with
    :func:`arraylosses.metrics.retrieval_metrics`, as an IR evaluator takes them."""
    import numpy as np

    from arraylosses.metrics import retrieval_metrics

    out = retrieval_metrics(ids, qrels, qrel_grades=grades, k=k, invalid=invalid, reduction="none")
    return {m: np.asarray(out[m], dtype=np.float64) for m in METRICS}


def dense_metrics(alm: Any, scores: Any, relevance: Any, k: int) -> dict[str, Any]:
    import numpy as np

    binary = relevance > 0
    fns = {
        "recall": (alm.recall_at_k, binary),
        "precision": (alm.precision_at_k, binary),
        "hit_rate": (alm.hit_rate_at_k, binary),
        "mrr": (alm.mrr, binary),
        "ndcg": (alm.ndcg_at_k, relevance),
        "map": (alm.map_at_k, binary),
    }
    return {
        m: np.asarray(fn(scores, rel, k=k, reduction="none"), dtype=np.float64)
        for m, (fn, rel) in fns.items()
    }


def check_against_dense(
    args: argparse.Namespace,
    corpus: Any,
    queries: Any,
    qrels: Any,
    grades: Any,
    to_backend: Any,
    to_numpy: Any,
) -> str:
    """Search a subset again and compare its metrics with the one-shot dense metrics."""
    import numpy as np

    import arraylosses.metrics as alm
    from arraylosses.metrics.search import top_k_search

    n = min(args.check_docs, corpus.shape[0])
    rows = np.flatnonzero(qrels[:, 0] < n)[: args.check_queries]
    if rows.size == 0:
        return "dense check: no query has its main document in the subset"
    sub_q, sub_c = queries[rows], corpus[:n]
    sub_qrels = np.where(qrels[rows] < n, qrels[rows], -1)
    sub_grades = np.where(sub_qrels >= 0, grades[rows], 0)
    k = min(args.k, n)
    r = top_k_search(
        to_backend(sub_q), to_backend(np.ascontiguousarray(sub_c)), k=k, chunk_size=args.chunk_size
    )
    _, ids, inv = (to_numpy(x) for x in r)
    from_search = metrics_from_ids(ids, inv, sub_qrels, sub_grades, k)
    dense_scores = to_numpy(to_backend(sub_q) @ to_backend(np.ascontiguousarray(sub_c)).T)
    relevance = np.zeros(dense_scores.shape)
    for i, (ids_i, g_i) in enumerate(zip(sub_qrels, sub_grades, strict=True)):
        relevance[i, ids_i[ids_i >= 0]] = g_i[ids_i >= 0]
    dense = dense_metrics(alm, dense_scores.astype(np.float64), relevance, k)
    worst = max(float(np.max(np.abs(from_search[m] - dense[m]))) for m in METRICS)
    ok = all(np.allclose(from_search[m], dense[m], rtol=1e-6, atol=1e-9) for m in METRICS)
    verdict = "equal" if ok else "DIFFERENT"
    line = (
        f"dense check ({rows.size} queries x {n} documents, k={k}): search metrics {verdict} "
        f"to the dense one-shot metrics (max abs difference {worst:.1e})"
    )
    if not ok:
        raise SystemExit(line)
    return line


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))  # this script's process only
    import numpy as np

    from arraylosses.metrics.search import top_k_search

    t0 = time.perf_counter()
    corpus, queries_np, qrels, grades = make_data(args)
    to_backend, as_corpus, to_numpy = setup(args.backend, args.threads)
    queries = to_backend(queries_np)
    corpus_b = as_corpus(corpus)
    build_s = time.perf_counter() - t0
    rss_after_corpus, how = reset_peak()
    print(
        f"corpus {args.docs:,} x {args.dim} float32 ({corpus.nbytes / GIB:.2f} GiB), "
        f"{args.queries:,} queries, k={args.k}, backend {args.backend}, "
        f"{args.threads} thread(s); built in {build_s:.1f} s"
    )

    t0 = time.perf_counter()
    result = top_k_search(queries, corpus_b, k=args.k, chunk_size=args.chunk_size)
    _, ids, invalid = (to_numpy(x) for x in result)
    search_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    per_query = metrics_from_ids(ids, invalid, qrels, grades, args.k)
    metric_s = time.perf_counter() - t0
    peak = status_kib("VmHWM") * 1024 - rss_after_corpus

    print(f"search: {search_s:.1f} s; metrics (retrieval_metrics): {metric_s:.2f} s")
    print(f"peak memory above the corpus: {peak / GIB:.3f} GiB ({how}; target <= 1 GiB)")
    print(f"| metric@{args.k} | mean over {args.queries} queries |")
    print("|---|---|")
    for m in METRICS:
        print(f"| {m} | {np.mean(per_query[m]):.4f} |")
    print(check_against_dense(args, corpus, queries_np, qrels, grades, to_backend, to_numpy))
    if args.dense_reference:
        dense_reference(args, corpus, queries_np, search_s)


def dense_reference(args: argparse.Namespace, corpus: Any, queries: Any, search_s: float) -> None:
    """Time of the native dense form on the first 1,000 queries against the whole corpus,
    scaled to all queries: one matmul and the backend's own top-k (``torch.topk``,
    ``jax.lax.top_k`` under ``jit``, NumPy ``argpartition``), with a ``(1000, N)`` score
    matrix (4 GB at N = 1M: a reference for the time, not for the memory)."""
    import numpy as np

    q = queries[: min(1000, len(queries))]
    if args.backend == "torch":
        import torch

        def dense() -> Any:
            return torch.topk(torch.from_numpy(q) @ torch.from_numpy(corpus).T, args.k, dim=1)

    elif args.backend == "jax":
        import jax
        import jax.numpy as jnp

        qj, cj = jnp.asarray(q), jnp.asarray(corpus)
        # compiled ahead of the timing
        step = jax.jit(lambda a, b: jax.lax.top_k(a @ b.T, args.k)).lower(qj, cj).compile()

        def dense() -> Any:
            return jax.block_until_ready(step(qj, cj))

    else:

        def dense() -> Any:
            return np.argpartition(q @ corpus.T, -args.k, axis=1)[:, -args.k :]

    t0 = time.perf_counter()
    dense()
    dense_s = (time.perf_counter() - t0) * len(queries) / len(q)
    print(
        f"dense reference ({args.backend}: matmul + native top-k, {len(q)} queries x all "
        f"documents, scaled to {len(queries)}): {dense_s:.1f} s; search / dense = "
        f"{search_s / dense_s:.2f}"
    )


if __name__ == "__main__":
    main()
