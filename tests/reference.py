"""By-definition references: plain Python float64 loops that read like the formulas.

Nothing here calls arraylosses; each function is the textbook or peer-documented definition,
written element by element. They take and return NumPy float64 arrays (or floats).
"""

from __future__ import annotations

import math

import numpy as np


def elementwise(fn, pred, target):
    p, t = np.asarray(pred, float), np.asarray(target, float)
    out = np.empty(p.shape)
    for idx in np.ndindex(p.shape):
        out[idx] = fn(float(p[idx]), float(t[idx]))
    return out


def reduce(per_sample, reduction="mean", weight=None):
    """docs/spec.md: none -> w·l, sum -> Σ w·l, mean -> Σ w·l / Σ w (Σ l / n unweighted)."""
    per_sample = np.asarray(per_sample, float)
    w = np.ones_like(per_sample) if weight is None else np.broadcast_to(weight, per_sample.shape)
    weighted = [float(w[i]) * float(per_sample[i]) for i in np.ndindex(per_sample.shape)]
    if reduction == "none":
        return np.asarray(weighted).reshape(per_sample.shape)
    if reduction == "sum":
        return math.fsum(weighted)
    return math.fsum(weighted) / math.fsum(float(x) for x in w.ravel())


def squared(p, t):
    return (p - t) ** 2


def absolute(p, t):
    return abs(p - t)


def huber(delta):
    def f(p, t):
        r = abs(p - t)
        return 0.5 * r * r if r <= delta else delta * (r - 0.5 * delta)

    return f


def smooth_l1(beta):
    def f(p, t):
        r = abs(p - t)
        return 0.5 * r * r / beta if r < beta else r - 0.5 * beta

    return f


def log_cosh(p, t):
    return math.log(math.cosh(p - t))


def pinball(q):
    def f(p, t):
        r = t - p
        return q * r if r >= 0 else (q - 1) * r

    return f


def poisson_nll(log_input, full, eps=1e-8):
    def f(p, t):
        loss = math.exp(p) - t * p if log_input else p - t * math.log(p + eps)
        if full and t > 1:
            loss += t * math.log(t) - t + 0.5 * math.log(2 * math.pi * t)
        return loss

    return f


def gaussian_nll(p, t, v, full=False, eps=1e-6):
    v = max(v, eps)
    loss = 0.5 * (math.log(v) + (p - t) ** 2 / v)
    return loss + 0.5 * math.log(2 * math.pi) if full else loss


def norm(v):
    return math.sqrt(math.fsum(float(x) * float(x) for x in v))


def cosine(a, b, eps=1e-8):
    dot = math.fsum(float(x) * float(y) for x, y in zip(a, b))
    return dot / (max(norm(a), eps) * max(norm(b), eps))


def rows(fn, a, b, axis=-1):
    """``fn(row_a, row_b)`` for each pair of rows along ``axis``."""
    a, b = np.moveaxis(np.asarray(a, float), axis, -1), np.moveaxis(np.asarray(b, float), axis, -1)
    out = np.empty(a.shape[:-1])
    for idx in np.ndindex(out.shape):
        out[idx] = fn(a[idx], b[idx])
    return out


def pairs(fn, a, b):
    return np.array([[fn(x, y) for y in b] for x in a])


def euclidean(x, y):
    return math.sqrt(math.fsum((float(u) - float(v)) ** 2 for u, v in zip(x, y)))


def weighted_mean(values, w=None):
    w = [1.0] * len(values) if w is None else list(w)
    return math.fsum(float(x) * float(wi) for x, wi in zip(values, w)) / math.fsum(w)


def columns(fn, pred, target, weight=None):
    """Per-output score ``fn(p_col, t_col, w)`` for (N,) or (N, K) inputs."""
    p, t = np.asarray(pred, float), np.asarray(target, float)
    if p.ndim == 1:
        p, t = p[:, None], t[:, None]
    return np.array([fn(p[:, k], t[:, k], weight) for k in range(p.shape[1])])


def mse_col(p, t, w):
    return weighted_mean([(a - b) ** 2 for a, b in zip(p, t)], w)


def mae_col(p, t, w):
    return weighted_mean([abs(a - b) for a, b in zip(p, t)], w)


def mape_col(p, t, w):
    eps = np.finfo(np.float64).eps
    return weighted_mean([abs(a - b) / max(abs(b), eps) for a, b in zip(p, t)], w)


def r2_parts(p, t, w):
    w = [1.0] * len(p) if w is None else list(w)
    mean_t = weighted_mean(t, w)
    num = math.fsum(wi * (b - a) ** 2 for a, b, wi in zip(p, t, w))
    den = math.fsum(wi * (b - mean_t) ** 2 for b, wi in zip(t, w))
    return num, den


def explained_variance_parts(p, t, w):
    r = [b - a for a, b in zip(p, t)]
    mean_r, mean_t = weighted_mean(r, w), weighted_mean(t, w)
    num = weighted_mean([(x - mean_r) ** 2 for x in r], w)
    den = weighted_mean([(b - mean_t) ** 2 for b in t], w)
    return num, den


def fraction_explained(num, den, force_finite=True):
    if not force_finite:
        return 1 - num / den
    if num == 0:
        return 1.0
    return 0.0 if den == 0 else 1 - num / den


# -- classification (rows of logits; every class term written out)


def log_softmax_row(z):
    m = max(z)
    lse = m + math.log(math.fsum(math.exp(v - m) for v in z))
    return [v - lse for v in z]


def cross_entropy_rows(
    logits, target, *, smoothing=0.0, class_weight=None, ignore=None, reduction="mean", weight=None
):
    """torch's definition, row by row: see docs/spec.md and torch's cross_entropy docs."""
    n, c = len(logits), len(logits[0])
    cw = [1.0] * c if class_weight is None else [float(x) for x in class_weight]
    w = [1.0] * n if weight is None else [float(x) for x in weight]
    losses, norms = [], []
    for i in range(n):
        lp = log_softmax_row([float(v) for v in logits[i]])
        t = target[i]
        if np.ndim(t) == 0:  # class index
            y = int(t)
            if ignore is not None and y == ignore:
                losses.append(0.0)
                norms.append(0.0)
                continue
            nll = -cw[y] * lp[y]
            smooth = -math.fsum(cw[k] * lp[k] for k in range(c))
            losses.append((1 - smoothing) * nll + smoothing / c * smooth)
            norms.append(cw[y])
        else:  # probabilities
            q = [(1 - smoothing) * float(t[k]) + smoothing / c for k in range(c)]
            losses.append(-math.fsum(cw[k] * q[k] * lp[k] for k in range(c)))
            norms.append(1.0)
    weighted = [w[i] * losses[i] for i in range(n)]
    if reduction == "none":
        return np.array(weighted)
    if reduction == "sum":
        return math.fsum(weighted)
    den = math.fsum(w[i] * norms[i] for i in range(n))
    return 0.0 if den == 0 else math.fsum(weighted) / den


def sigmoid(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


# ---------------------------------------------------------------------------------------------
# CoSENT and AnglE (one definition, used by tests/test_contrastive.py, tests/test_hostile_pairs.py
# and the registry's by-definition sweep)


def cosent_terms(sims, scores, scale):
    """``log(1 + Σ_{s_i > s_j} e^{scale·(sim_j - sim_i)})``, the O(N²) loop over the pairs in
    float64 (CoSENT, Su 2022; sentence-transformers' CoSENTLoss)."""
    terms = [0.0] + [
        scale * (sims[j] - sims[i])
        for i in range(len(sims))
        for j in range(len(sims))
        if scores[i] > scores[j]
    ]
    m = max(terms)
    return m + math.log(math.fsum(math.exp(t - m) for t in terms))


def angle_similarity(x, y):
    """AnglE's similarity of two real vectors read as complex ones (first half real, second
    half imaginary; an odd width padded with a 0): ``|Re(x̄ y) + Im(...)|`` of the normalised
    vectors, as sentence-transformers' AnglELoss."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) % 2:
        x, y = np.append(x, 0.0), np.append(y, 0.0)
    x, y = x / max(norm(x), 1e-12), y / max(norm(y), 1e-12)
    h = len(x) // 2
    cos = math.fsum(x * y)
    sin = math.fsum(x[h:] * y[:h] - x[:h] * y[h:])
    return abs(cos + sin)


def cosent_loss(a, b, target, *, scale=20.0):
    """The registry's reference for :func:`arraylosses.cosent_loss` (row cosines)."""
    sims = [cosine(x, y) for x, y in zip(a, b)]
    return np.float64(cosent_terms(sims, np.asarray(target, float), float(scale)))


def angle_loss(a, b, target, *, scale=20.0):
    """The registry's reference for :func:`arraylosses.angle_loss`."""
    sims = [angle_similarity(x, y) for x, y in zip(a, b)]
    return np.float64(cosent_terms(sims, np.asarray(target, float), float(scale)))


# --- wave 3, contrastive: batch triplet mining (the four batch_*_triplet_loss) ---------------


def _mining_distances(x, distance):
    x = np.asarray(x, float)
    n = len(x)
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            if distance == "cosine":
                d[i, j] = max(0.0, 1.0 - cosine(x[i], x[j], eps=1e-12))
            else:
                sq = math.fsum((x[i] - x[j]) ** 2)
                d[i, j] = sq if distance == "squared_euclidean" else math.sqrt(sq)
    return d


def _mining_reduce(losses, counts, reduction, sample_weight):
    """The wave-3 rule for losses normalised by a count of units: ``Σ w·l / Σ w·n``, 0 when
    that denominator is 0; ``"none"``: ``w·l``."""
    w = np.ones(len(losses)) if sample_weight is None else np.asarray(sample_weight, float)
    losses, counts = np.asarray(losses, float), np.asarray(counts, float)
    if reduction == "none":
        return w * losses
    if reduction == "sum":
        return np.float64(math.fsum(w * losses))
    den = math.fsum(w * counts)
    return np.float64(math.fsum(w * losses) / den if den else 0.0)


def _mining(x, labels, distance):
    d = _mining_distances(x, distance)
    n = len(d)
    pos = [[p for p in range(n) if p != a and labels[p] == labels[a]] for a in range(n)]
    neg = [[k for k in range(n) if labels[k] != labels[a]] for a in range(n)]
    return d, pos, neg


def _hardest_pair(d, pos, neg, a):
    d_pos = max((d[a, p] for p in pos[a]), default=0.0)
    d_neg = min(d[a, k] for k in neg[a]) if neg[a] else max(d[a])
    return d_pos, d_neg


def batch_hard_triplet_loss(
    x, labels, *, margin=5.0, distance="euclidean", sample_weight=None, reduction="mean"
):
    d, pos, neg = _mining(x, labels, distance)
    losses = []
    for a in range(len(d)):
        d_pos, d_neg = _hardest_pair(d, pos, neg, a)
        losses.append(max(0.0, d_pos - d_neg + float(margin)))
    return _mining_reduce(losses, np.ones(len(d)), reduction, sample_weight)


def batch_hard_soft_margin_triplet_loss(
    x, labels, *, distance="euclidean", sample_weight=None, reduction="mean"
):
    d, pos, neg = _mining(x, labels, distance)
    losses = []
    for a in range(len(d)):
        d_pos, d_neg = _hardest_pair(d, pos, neg, a)
        losses.append(np.logaddexp(0.0, d_pos - d_neg))
    return _mining_reduce(losses, np.ones(len(d)), reduction, sample_weight)


def batch_all_triplet_loss(
    x, labels, *, margin=5.0, distance="euclidean", sample_weight=None, reduction="mean"
):
    d, pos, neg = _mining(x, labels, distance)
    losses, counts = [], []
    for a in range(len(d)):
        terms = [max(0.0, d[a, p] - d[a, k] + float(margin)) for p in pos[a] for k in neg[a]]
        losses.append(math.fsum(terms))
        counts.append(sum(t > 0 for t in terms))
    return _mining_reduce(losses, counts, reduction, sample_weight)


def batch_semi_hard_triplet_loss(
    x, labels, *, margin=5.0, distance="euclidean", sample_weight=None, reduction="mean"
):
    d, pos, neg = _mining(x, labels, distance)
    losses, counts = [], []
    for a in range(len(d)):
        terms = []
        for p in pos[a]:
            farther = [d[a, k] for k in neg[a] if d[a, k] > d[a, p]]
            d_neg = min(farther) if farther else max((d[a, k] for k in neg[a]), default=0.0)
            terms.append(max(0.0, d[a, p] - d_neg + float(margin)))
        losses.append(math.fsum(terms))
        counts.append(len(pos[a]))
    return _mining_reduce(losses, counts, reduction, sample_weight)


# ---------------------------------------------------------------------------------------------
# Ranking, wave 3 (learning to rank)


def lambda_loss(
    scores,
    labels,
    *,
    weighting_scheme="ndcg_loss2pp",
    mu=10.0,
    k=None,
    sigma=1.0,
    eps=1e-10,
    reduction_log="binary",
    where=None,
    sample_weight=None,
    reduction="mean",
):
    """The LambdaLoss framework as sentence-transformers (allRank) defines it, list by list:
    order the valid items by score (stable), position ``p`` 1-based, ``D_p = log2(1 + p)``,
    ``G_p = (2^max(y_p, 0) - 1) / max(eps, ideal DCG@k)``, weights by scheme, pairs with
    ``y_p > y_q`` (every pair for ndcg_loss1) and ``p <= k or q <= k``; the loss
    ``-w·log σ(sigma·(s_p - s_q))`` (in bits for ``"binary"``); the mean over kept pairs."""
    s = np.asarray(scores, float)
    y = np.asarray(labels, float)
    valid = np.ones(s.shape, bool) if where is None else np.asarray(where, bool)
    sigma = float(sigma)
    flat_s, flat_y, flat_v = (
        s.reshape(-1, s.shape[-1]),
        y.reshape(-1, s.shape[-1]),
        valid.reshape(-1, s.shape[-1]),
    )
    sums, counts = [], []
    for row_s, row_y, row_v in zip(flat_s, flat_y, flat_v, strict=True):
        items = [i for i in range(len(row_s)) if row_v[i]]
        items.sort(key=lambda i: -row_s[i])  # stable: ties keep the input order
        n = len(items)
        cut = n if k is None else k
        ideal = sorted((row_y[i] for i in items), reverse=True)
        max_dcg = max(
            eps,
            math.fsum(
                (2.0 ** max(g, 0.0) - 1.0) / math.log2(2.0 + p) for p, g in enumerate(ideal[:cut])
            ),
        )
        gain = [(2.0 ** max(row_y[i], 0.0) - 1.0) / max_dcg for i in items]
        disc = [math.log2(2.0 + p) for p in range(n)]  # D at 0-based position p

        def delta(d):
            return 0.0 if d == 0 else abs(1.0 / math.log2(1.0 + d) - 1.0 / math.log2(2.0 + d))

        total, count = [], 0
        for p in range(n):
            for q in range(n):
                yp, yq = row_y[items[p]], row_y[items[q]]
                if weighting_scheme != "ndcg_loss1" and not yp > yq:
                    continue
                if not (p < cut or q < cut):
                    continue
                loss2 = delta(abs(p - q)) * abs(gain[p] - gain[q])
                rank = abs(1.0 / disc[p] - 1.0 / disc[q]) * abs(gain[p] - gain[q])
                w = {
                    None: 1.0,
                    "ndcg_loss1": gain[p] / disc[p] if weighting_scheme == "ndcg_loss1" else 0.0,
                    "ndcg_loss2": loss2,
                    "lambdarank": rank,
                    "ndcg_loss2pp": float(mu) * loss2 + rank,
                }[weighting_scheme]
                diff = min(max(row_s[items[p]] - row_s[items[q]], -1e8), 1e8)
                pair = w * softplus(-sigma * diff)
                total.append(pair / math.log(2.0) if reduction_log == "binary" else pair)
                count += 1
        sums.append(math.fsum(total))
        counts.append(count)
    lists = np.asarray(sums).reshape(s.shape[:-1])
    w = (
        np.ones(lists.shape)
        if sample_weight is None
        else np.broadcast_to(sample_weight, lists.shape)
    )
    if reduction == "none":
        return lists * w
    if reduction == "sum":
        return np.float64(math.fsum((lists * w).ravel()))
    den = math.fsum((np.asarray(counts).reshape(lists.shape) * w).ravel())
    return np.float64(math.fsum((lists * w).ravel()) / den if den else 0.0)


# ---------------------------------------------------------------------------------------------
# Wave 3 metrics 10-20: GAUC (no peer library: RecBole's formula, written out)


def _average_ranks(values):
    """1-based ranks, tied values sharing the mean of their ranks (rankdata "average")."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for m in range(i, j + 1):
            ranks[order[m]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def gauc(scores, target, *, indexes=None, weighting="impressions"):
    """RecBole's ``GAUC.metric_info``: per user, AUC from the average ranks of its positives,
    ``(Σ rank_pos - P(P+1)/2) / (P·N)``; users with one class left out; the weighted mean with
    ``w_u`` the user's rows (impressions), positives (clicks; RecBole's) or 1 (uniform)."""
    s, t = np.asarray(scores, float), np.asarray(target, float)
    if indexes is None:
        users = [(list(s[u]), list(t[u])) for u in range(s.shape[0])]
    else:
        ids = np.asarray(indexes)
        users = [
            ([float(x) for x in s[ids == u]], [float(x) for x in t[ids == u]])
            for u in sorted(set(ids.tolist()))
        ]
    if np.isnan(s).any() or np.isnan(t).any():
        return math.nan
    num, den = [], []
    for user_scores, labels in users:
        pos = sum(1 for y in labels if y == 1)
        neg = len(labels) - pos
        if pos == 0 or neg == 0:
            continue
        ranks = _average_ranks(user_scores)
        rank_sum = math.fsum(r for r, y in zip(ranks, labels, strict=True) if y == 1)
        auc = (rank_sum - pos * (pos + 1) / 2) / (pos * neg)
        w = {"impressions": len(labels), "clicks": pos, "uniform": 1}[weighting]
        num.append(w * auc)
        den.append(w)
    return math.fsum(num) / math.fsum(den) if den else math.nan
