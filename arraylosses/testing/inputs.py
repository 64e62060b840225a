"""Input builders of the registry cases (:mod:`arraylosses.testing.cases`), in plain NumPy.

Each builder takes a seeded ``numpy.random.Generator`` and returns named float64 (or integer)
arrays; a case passes some of them positionally and others as keywords. Values are kept away
from the kinks where autodiff conventions differ (residuals away from 0, 0.5 and 1; hinge
margins away from 1; ReLU arguments away from 0), so every backend's gradient is the same
there and finite differences are accurate.
"""

from __future__ import annotations

import numpy as np

Arrays = dict[str, np.ndarray]

__all__ = [
    "binary",
    "class_metrics",
    "classes",
    "embeddings",
    "gaussian",
    "inbatch",
    "linear_head",
    "listwise",
    "matryoshka",
    "metric",
    "metric_learning",
    "mnrl",
    "pairs",
    "poisson",
    "ranking",
    "ranking_pairs",
    "regression",
    "regularizers",
    "retrieval",
    "retrieval_flat",
    "retrieval_ids",
    "rowwise",
    "search",
    "self_supervised",
    "sparse",
]


def _residuals(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    bands = np.array([[0.1, 0.4], [0.6, 0.9], [1.1, 2.5]])
    band = bands[rng.integers(0, 3, size=shape)]
    magnitude = band[..., 0] + rng.uniform(size=shape) * (band[..., 1] - band[..., 0])
    return magnitude * rng.choice([-1.0, 1.0], size=shape)


def regression(rng: np.random.Generator, shape: tuple[int, ...] = (6, 3)) -> Arrays:
    target = rng.normal(size=shape)
    return {
        "pred": target + _residuals(rng, shape),
        "target": target,
        "weight": rng.uniform(0.5, 2.0, size=shape),
        "row_weight": rng.uniform(0.5, 2.0, size=shape[:1] + (1,) * (len(shape) - 1)),
        "delta": np.asarray(0.75),
    }


def poisson(rng: np.random.Generator) -> Arrays:
    shape = (6, 3)
    counts = rng.integers(0, 6, size=shape)
    return {
        "pred": rng.normal(scale=0.5, size=shape),
        "rate": rng.uniform(0.3, 3.0, size=shape),
        "target": counts.astype(np.float64),
        "target_int": counts.astype(np.int64),
        "weight": rng.uniform(0.5, 2.0, size=shape),
    }


def gaussian(rng: np.random.Generator) -> Arrays:
    arrays = regression(rng)
    arrays["var"] = rng.uniform(0.3, 2.0, size=(6, 3))
    arrays["var_row"] = rng.uniform(0.3, 2.0, size=(6,))
    arrays["var_col"] = rng.uniform(0.3, 2.0, size=(6, 1))
    # some variances below the default eps=1e-6: clamped in value, straight-through in gradient
    arrays["var_tiny"] = np.where(rng.uniform(size=(6, 3)) < 0.3, 1e-9, arrays["var"])
    return arrays


def embeddings(rng: np.random.Generator) -> Arrays:
    return {
        "a": rng.normal(size=(5, 4)),
        "b": rng.normal(size=(5, 4)),
        "c": rng.normal(size=(7, 4)),
        "a_t": rng.normal(size=(4, 5)),
        "b_t": rng.normal(size=(4, 5)),
        "row_weight": rng.uniform(0.5, 2.0, size=(5,)),
    }


def rowwise(rng: np.random.Generator) -> Arrays:
    e = embeddings(rng)
    return {
        "pred": e["a"],
        "target": e["b"],
        "pred_t": e["a_t"],
        "target_t": e["b_t"],
        "weight": e["row_weight"],
    }


def metric(rng: np.random.Generator) -> Arrays:
    n, k = 8, 3
    target = rng.normal(size=(n, k))
    target = np.where(np.abs(target) < 0.3, 0.3 * np.sign(target) + target, target)  # MAPE
    return {
        "pred": target + _residuals(rng, (n, k)),
        "target": target,
        "pred_1d": target[:, 0] + _residuals(rng, (n,)),
        "target_1d": target[:, 0],
        "weight": rng.uniform(0.5, 2.0, size=(n,)),
        "output_weights": np.array([0.2, 0.5, 0.3]),
    }


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def classes(rng: np.random.Generator) -> Arrays:
    n, c = 6, 4
    logits = rng.normal(scale=2.0, size=(n, c))
    labels = rng.integers(0, c, size=n)
    ignored = labels.copy()
    ignored[[1, 4]] = -100
    probs = _softmax(rng.normal(size=(n, c)))
    with_zero = probs.copy()
    with_zero[0, 1] = 0.0
    with_zero[0] /= with_zero[0].sum()
    return {
        "logits": logits,
        "log_probs": np.log(_softmax(logits)),
        "labels": labels,
        "labels_ignored": ignored,
        "labels_all_ignored": np.full(n, -100),
        "probs": probs,
        "probs_with_zero": with_zero,
        "logits_ncd": rng.normal(scale=2.0, size=(3, c, 2)),  # torch's (N, C, d) layout
        "labels_nd": rng.integers(0, c, size=(3, 2)),
        "class_weight": rng.uniform(0.5, 2.0, size=c),
        "weight": rng.uniform(0.5, 2.0, size=n),
        "scalar": np.asarray(0.3),
    }


def binary(rng: np.random.Generator) -> Arrays:
    shape = (6, 3)
    logits = rng.normal(scale=2.0, size=shape)
    bits = rng.integers(0, 2, size=shape)
    signs = 2 * bits - 1
    # hinge kinks sit at y·s = 1: keep every margin at least 0.1 away
    scores = signs * (1 + _residuals(rng, shape))
    return {
        "logits": logits,
        "probs": rng.uniform(0.05, 0.95, size=shape),
        "targets": bits.astype(np.float64),
        "soft_targets": rng.uniform(size=shape),
        "bits": bits,
        "signs": signs,
        "scores": scores,
        "pos_weight": rng.uniform(0.5, 3.0, size=shape[1:]),
        "weight": rng.uniform(0.5, 2.0, size=shape),
        "scalar": np.asarray(0.3),
        "margin": np.asarray(0.25),
        "x1": rng.normal(size=(8,)),
        "x2": rng.normal(size=(8,)),
        "rank_signs": rng.choice([-1, 1], size=8),
    }


def ranking_pairs(rng: np.random.Generator) -> Arrays:
    arrays = binary(rng)
    # keep -y(x1-x2)+m away from 0 for the margins tested (0, 0.25, 0.5)
    y = arrays["rank_signs"]
    gap = rng.uniform(0.1, 1.0, size=8) * rng.choice([-1, 1], size=8)
    arrays["x2"] = arrays["x1"] - y * (gap + np.where(gap > 0, 0.6, 0.0))
    return arrays


def class_metrics(rng: np.random.Generator) -> Arrays:
    n, c = 12, 4
    scores = rng.normal(size=(n, c))
    labels = rng.integers(0, c, size=n)
    tied = np.round(scores * 2) / 2  # many ties
    binary = rng.integers(0, 2, size=n)
    binary[:2] = [0, 1]
    s1 = rng.normal(size=n)
    return {
        "scores": scores,
        "scores_tied": tied,
        "labels": labels,
        "pred_labels": rng.integers(0, c, size=n),
        "probs": _softmax(scores),
        "probs_1d": rng.uniform(0.02, 0.98, size=n),
        "binary": binary,
        "scores_1d": s1,
        "scores_1d_tied": np.round(s1),
        "weight": rng.uniform(0.5, 2.0, size=n),
    }


def retrieval(rng: np.random.Generator) -> Arrays:
    q, m = 5, 8
    scores = rng.uniform(0.1, 1.0, size=(q, m))  # positive: torchmetrics drops scores <= 0
    relevance = (rng.uniform(size=(q, m)) < 0.35).astype(np.int64)
    relevance[0, :2] = [1, 0]
    relevance[3] = 0  # a query with no relevant candidate
    graded = relevance * rng.integers(1, 4, size=(q, m))
    return {
        "scores": scores,
        "scores_tied": np.round(scores * 4) / 4,
        "scores_signed": scores - 0.6,
        "relevance": relevance,
        "graded": graded,
    }


def retrieval_flat(rng: np.random.Generator) -> Arrays:
    """The flat ragged form (``indexes=``): 20 items in 5 queries of sizes 6, 1, 5, 3, 5, ids
    neither contiguous nor sorted, the items of the queries interleaved; query 7 has no
    relevant item, query 3 one item. Scores positive and tie-free (the torchmetrics peer)."""
    sizes = {12: 6, 3: 1, 40: 5, 7: 3, 25: 5}
    indexes = np.concatenate([np.full(n, q) for q, n in sizes.items()])
    indexes = indexes[rng.permutation(indexes.size)]
    n = indexes.size
    scores = rng.uniform(0.1, 1.0, size=n)
    relevance = (rng.uniform(size=n) < 0.4).astype(np.int64)
    relevance[indexes == 3] = 1
    relevance[indexes == 7] = 0
    relevance[np.flatnonzero(indexes == 12)[0]] = 1
    return {
        "scores": scores,
        "scores_tied": np.round(scores * 4) / 4,
        "relevance": relevance,
        "graded": relevance * rng.integers(1, 4, size=n),
        "indexes": indexes,
    }


def retrieval_ids(rng: np.random.Generator) -> Arrays:
    """Rankings as ids and qrels (``retrieval_metrics``), from a :func:`retrieval` draw:
    ``ranked_ids`` the full ranking of ``scores`` (descending, tie-free), ``top_ids`` a
    top-5 with empty slots (-1) in two queries; ``qrel_ids`` each query's relevant candidates
    (shuffled, padded with -1), plus a judged non-relevant one (grade 0) in query 1;
    ``qrel_grades`` the graded relevance; ``invalid`` one query flagged."""
    arrays = retrieval(rng)
    scores, graded = arrays["scores"], arrays["graded"]
    q, m = scores.shape
    ranked = np.argsort(-scores, axis=1, kind="stable")
    top = ranked[:, :5].copy()
    top[1, 4] = -1
    top[4, 3:] = -1
    width = m + 1  # fixed shapes (the vmap check stacks draws): any relevant count, + 1
    qrel_ids = np.full((q, width), -1)
    qrel_grades = np.zeros((q, width))
    for i in range(q):
        where = rng.permutation(np.flatnonzero(graded[i] > 0))
        qrel_ids[i, : where.size] = where
        qrel_grades[i, : where.size] = graded[i, where]
    # query 1 judges a retrieved non-relevant candidate (or, if none, an unretrieved id 99)
    spare = next((j for j in range(m) if graded[1, j] <= 0), 99)
    qrel_ids[1, -1], qrel_grades[1, -1] = spare, 0.0
    return {
        **arrays,
        "ranked_ids": ranked,
        "top_ids": top,
        "qrel_ids": qrel_ids,
        "qrel_grades": qrel_grades,
        "invalid": np.arange(q) == 2,
    }


def pairs(rng: np.random.Generator) -> Arrays:
    n, d = 8, 5
    bits = rng.integers(0, 2, size=n)
    bits[:2] = [0, 1]
    return {
        "a": rng.normal(size=(n, d)),
        "b": rng.normal(size=(n, d)),
        "c": rng.normal(size=(n, d)),
        "a_odd": rng.normal(size=(n, d + 2)),
        "b_odd": rng.normal(size=(n, d + 2)),
        "bits": bits,
        "all_positive": np.ones(n, dtype=np.int64),
        "soft": rng.uniform(size=n),
        "signs": 2 * bits - 1,
        "scores": rng.integers(0, 5, size=n).astype(np.float64),
        "weight": rng.uniform(0.5, 2.0, size=n),
        "margin": np.asarray(2.5),
        "scale": np.asarray(7.0),
    }


def inbatch(rng: np.random.Generator) -> Arrays:
    n, d = 6, 4
    labels = rng.integers(0, 2, size=n)
    labels[-1] = 5  # an anchor with no positive
    q, p = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    return {
        "q": q,
        "p": p,
        "p_gathered": rng.normal(size=(n + 4, d)),
        "negatives": rng.normal(size=(5, d)),
        # every device's rows, this device's (q, p) at offset 2, as an all-gather gives them
        "q_all": np.concatenate([rng.normal(size=(2, d)), q, rng.normal(size=(2, d))]),
        "p_all": np.concatenate([rng.normal(size=(2, d)), p, rng.normal(size=(2, d))]),
        "paired_negatives": rng.normal(size=(n, 3, d)),
        "labels": labels,
        "views": rng.normal(size=(n, 2, d)),
        "weight": rng.uniform(0.5, 2.0, size=n),
        "temperature": np.asarray(0.3),
        "scale": np.asarray(5.0),
        "bias": np.asarray(-2.0),
    }


def mnrl(rng: np.random.Generator) -> Arrays:
    b, k, d = 6, 2, 4
    q = rng.normal(size=(b, d))
    return {
        "q": q,
        "q_local": q[2:5],
        "p": rng.normal(size=(b, d)),
        "negatives_1": rng.normal(size=(b, d)),
        "negatives_k": rng.normal(size=(b, k, d)),
        "weight": rng.uniform(0.5, 2.0, size=b),
        "scale": np.asarray(7.0),
    }


def matryoshka(rng: np.random.Generator) -> Arrays:
    b, d = 5, 6
    return {
        "q": rng.normal(size=(b, d)),
        "p": rng.normal(size=(b, d)),
        "negatives": rng.normal(size=(b, 2, d)),
        "weight": rng.uniform(0.5, 2.0, size=b),
    }


def regularizers(rng: np.random.Generator) -> Arrays:
    probs = _softmax(rng.normal(size=(6, 4)))
    return {
        # shifted so that the squared-cosine moment sits well above 1/D (relu's kink)
        "a": rng.normal(size=(6, 3)) + 1.0,
        "n": rng.normal(size=(5, 3)) + 0.8,
        "probs": probs,
        "probs_t": probs.T.copy(),
        "weight": rng.uniform(0.5, 2.0, size=6),
    }


def sparse(rng: np.random.Generator) -> Arrays:
    """SPLADE-like non-negative sparse activations ``(5, 8)``: rows with 6, 5, 1, 3 and 0
    non-zero entries (none with exactly 2 or 4, the thresholds tested, so that a finite
    difference at a zero entry never flips a row's mask)."""
    x = np.log1p(np.exp(rng.normal(size=(5, 8)))) + 0.1
    for row, active in enumerate((6, 5, 1, 3, 0)):
        x[row, rng.permutation(8)[active:]] = 0.0
    x[0] = 0.0  # row 0: six active entries, the first among them (the hostile NaN lands there)
    x[0, :6] = np.log1p(np.exp(rng.normal(size=6))) + 0.1
    return {"sparse": x}


def ranking(rng: np.random.Generator) -> Arrays:
    n, k, lists, length = 6, 3, 4, 5
    neg_ids = rng.integers(0, 8, size=(n, k))
    pos_ids = rng.integers(0, 8, size=n)
    neg_ids[0, 1], neg_ids[3, 0] = pos_ids[0], pos_ids[3]  # accidental hits
    where = rng.uniform(size=(lists, length)) < 0.7
    where[:, 0] = True
    where[-1] = False  # a list without valid items
    return {
        "pos": rng.normal(size=n) + 0.5,
        "neg_1": rng.normal(size=n),
        "neg_k": rng.normal(size=(n, k)),
        "log_q": np.log(rng.uniform(0.01, 0.3, size=k)),
        "log_q_nk": np.log(rng.uniform(0.01, 0.3, size=(n, k))),
        "pos_log_q": np.log(rng.uniform(0.01, 0.3, size=n)),
        "pos_ids": pos_ids,
        "neg_ids": neg_ids,
        "shared_neg_ids": neg_ids[1],
        "weight": rng.uniform(0.5, 2.0, size=n),
        "alpha": np.asarray(0.7),
        "square": rng.normal(size=(5, 5)) * 2.0 + 0.3,
        "square_weight": rng.uniform(0.5, 2.0, size=5),
        "energies": np.log1p(np.exp(rng.normal(size=(n, 4)))),
        "labels": rng.integers(0, 4, size=n),
        "label_probs": _softmax(rng.normal(size=(n, 4))),
        "list_scores": rng.normal(size=(lists, length)),
        "relevance": rng.integers(0, 4, size=(lists, length)).astype(np.float64),
        "where": where,
        "list_weight": rng.uniform(0.5, 2.0, size=lists),
    }


def search(rng: np.random.Generator) -> Arrays:
    """Queries ``(4, 6)`` and a corpus ``(13, 6)`` for the chunked top-k search: Gaussian, so
    the scores are tie-free (ties are tests/test_search.py's)."""
    return {"queries": rng.normal(size=(4, 6)), "corpus": rng.normal(size=(13, 6))}


def listwise(rng: np.random.Generator) -> Arrays:
    """Padded lists for the wave-3 learning-to-rank and distillation losses: 4 lists of 6
    items. Graded labels with ties; list 2 has constant labels (no pair), list 3 no valid item
    under ``where``; the first item of list 0 is valid and in pairs (the hostile NaN lands
    there). Score gaps stay away from the hinge's kink (``s_i - s_j = 1``) and from ties.
    ``prefix``/``distinct`` are variable-length lists (ST's form), ``q``/``docs`` embeddings
    of a query and 4 candidates (ST's MarginMSE and DistillKLDiv), ``teacher`` teacher scores
    and ``margins_*`` teacher margins."""
    lists, length, n, k, d = 4, 6, 5, 3, 4
    while True:
        scores = rng.normal(size=(lists, length))
        gaps = np.abs(scores[:, :, None] - scores[:, None, :])
        if np.abs(gaps - 1.0).min() > 0.05 and (gaps + np.eye(length)).min() > 0.05:
            break
    labels = rng.integers(0, 4, size=(lists, length)).astype(np.float64)
    labels[0, :3] = [3.0, 1.0, 1.0]
    labels[2] = 1.0
    where = rng.uniform(size=(lists, length)) < 0.75
    where[:, :2] = True
    where[3] = False
    lengths = np.array([6, 4, 5, 3])
    return {
        "list_scores": scores,
        "list_labels": labels,
        "where": where,
        "list_weight": rng.uniform(0.5, 2.0, size=lists),
        "prefix": np.arange(length)[None, :] < lengths[:, None],
        "distinct": rng.permutation(lists * length).reshape(lists, length).astype(np.float64),
        "teacher": rng.normal(size=(lists, length)) * 2.0,
        "tau": np.asarray(0.7),
        "q": rng.normal(size=(n, d)),
        "docs": rng.normal(size=(n, 1 + k, d)),
        "pos": rng.normal(size=n) + 0.5,
        "neg_1": rng.normal(size=n),
        "neg_k": rng.normal(size=(n, k)),
        "margins_1": rng.normal(size=n),
        "margins_k": rng.normal(size=(n, k)),
        "teacher_k": rng.normal(size=(n, 1 + k)),
        "weight": rng.uniform(0.5, 2.0, size=n),
    }


def linear_head(rng: np.random.Generator) -> Arrays:
    """A linear classifier head: hidden ``(6, 4)``, ``C = 23`` classes (not a multiple of the
    chunk sizes tested), bias, class weights, labels (one row labelled 5, the ignore_index
    tested) and per-row weights."""
    n, d, c = 6, 4, 23
    target = rng.integers(0, c, size=n)
    target[target == 5] = 6
    target[2] = 5
    return {
        "hidden": rng.normal(size=(n, d)),
        "head": rng.normal(size=(c, d)) * 0.7,
        "head_bias": rng.normal(size=c) * 0.3,
        "head_target": target,
        "head_class_weight": rng.uniform(0.5, 2.0, size=c),
        "weight": rng.uniform(0.5, 2.0, size=n),
    }


def metric_learning(rng: np.random.Generator) -> Arrays:
    """Class-labelled embeddings: N = 6 rows, D = 4, C = 4 classes (class 3 absent from the
    batch, class 2 a singleton: an anchor without positives), proxies ``(C, D)`` and
    sub-centres ``(C, 3, D)``; every device's rows with this device's at offset 2."""
    n, d, c = 6, 4, 4
    x = rng.normal(size=(n, d))
    labels = np.array([0, 1, 0, 2, 1, 0])
    return {
        "x": x,
        "labels": labels,
        "proxies": rng.normal(size=(c, d)),
        "sub_proxies": rng.normal(size=(c, 3, d)),
        "x_all": np.concatenate([rng.normal(size=(2, d)), x, rng.normal(size=(2, d))]),
        "labels_all": np.concatenate([[1, 2], labels, [0, 3]]),
        "weight": rng.uniform(0.5, 2.0, size=n),
        "scale": np.asarray(8.0),
        "margin": np.asarray(0.3),
        "temperature": np.asarray(0.2),
    }


def self_supervised(rng: np.random.Generator) -> Arrays:
    """Two views ``(8, 5)`` of correlated samples whose columns have standard deviations
    about 0.3, 2, 0.3, 1.6 and 0.5: VICReg's variance hinge ``relu(1 - std)`` is active on
    some columns and idle on others, away from its kink. ``wide`` ``(10, 6)`` and ``long``
    ``(24, 3)``: KoLeo's peer shapes."""
    scales = np.array([0.3, 2.0, 0.3, 1.6, 0.5])
    z1 = rng.normal(size=(8, 5)) * scales
    return {
        "z1": z1,
        "z2": z1 + 0.5 * rng.normal(size=(8, 5)) * scales,
        "embeddings": rng.normal(size=(8, 5)),
        "wide": rng.normal(size=(10, 6)),
        "long": rng.normal(size=(24, 3)),
        "weight": rng.uniform(0.5, 2.0, size=8),
        "invariance_weight": np.asarray(20.0),
        "variance_weight": np.asarray(15.0),
        "covariance_weight": np.asarray(2.0),
        "redundancy_weight": np.asarray(0.05),
    }
