"""Classification metrics against by-definition loops, on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

from arraylosses import metrics

from .helpers import call, close


def _data(rng, n=15, c=4):
    return rng.normal(size=(n, c)), rng.integers(0, c, size=n), rng.uniform(0.5, 2.0, size=n)


def test_accuracy_by_definition(backend, dtype, rng):
    scores, labels, w = _data(rng)
    hits = [float(np.argmax(s) == y) for s, y in zip(scores, labels)]
    close(call(backend, dtype, metrics.accuracy, scores, labels), np.mean(hits), dtype)
    close(
        call(backend, dtype, metrics.accuracy, scores, labels, sample_weight=w),
        np.dot(hits, w) / w.sum(),
        dtype,
    )


def test_accuracy_of_labels(backend, rng):
    _, labels, _ = _data(rng)
    pred = labels.copy()
    pred[:5] = (pred[:5] + 1) % 4
    got = metrics.accuracy(backend.asarray(pred), backend.asarray(labels))
    close(backend.to_numpy(got), 10 / 15, "float32")


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_top_k_by_definition_with_ties(backend, dtype, rng, k):
    scores, labels, w = _data(rng)
    scores = np.round(scores)  # ties: the higher class index ranks first (sklearn)
    hits = []
    for s, y in zip(scores, labels):
        order = sorted(range(4), key=lambda c: (-s[c], -c))
        hits.append(float(y in order[:k]))
    close(
        call(backend, dtype, metrics.top_k_accuracy, scores, labels, k=k, sample_weight=w),
        np.dot(hits, w) / w.sum(),
        dtype,
    )


@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
def test_precision_recall_f1_by_definition(backend, dtype, rng, average):
    scores, labels, w = _data(rng)
    pred = scores.argmax(1)
    c = 5  # class 4 is absent from both: it counts 0 in the macro mean
    tp = [sum(wi for p, y, wi in zip(pred, labels, w) if p == y == k) for k in range(c)]
    npred = [sum(wi for p, wi in zip(pred, w) if p == k) for k in range(c)]
    ntrue = [sum(wi for y, wi in zip(labels, w) if y == k) for k in range(c)]

    def div(a, b):
        return a / b if b else 0.0

    if average == "micro":
        expected = (
            div(sum(tp), sum(npred)),
            div(sum(tp), sum(ntrue)),
            div(2 * sum(tp), sum(npred) + sum(ntrue)),
        )
    else:
        per = [
            (div(tp[k], npred[k]), div(tp[k], ntrue[k]), div(2 * tp[k], npred[k] + ntrue[k]))
            for k in range(c)
        ]
        wk = [1.0] * c if average == "macro" else ntrue
        expected = tuple(
            math.fsum(wk[k] * per[k][j] for k in range(c)) / math.fsum(wk) for j in range(3)
        )
    args = [backend.asarray(pred), backend.asarray(labels)]
    got = metrics.precision_recall_f1(
        *args, num_classes=c, average=average, sample_weight=backend.asarray(w, dtype)
    )
    for g, e in zip(got, expected):
        close(backend.to_numpy(g), e, "float32")


def test_log_loss_by_definition(backend, dtype, rng):
    scores, labels, w = _data(rng)
    probs = np.exp(scores) / np.exp(scores).sum(1, keepdims=True)
    nll = [-math.log(p[y]) for p, y in zip(probs, labels)]
    close(
        call(backend, dtype, metrics.log_loss, probs, labels, sample_weight=w),
        np.dot(nll, w) / w.sum(),
        dtype,
    )
    p1 = rng.uniform(0.05, 0.95, size=15)
    y1 = rng.integers(0, 2, size=15)
    nll1 = [-math.log(p if y else 1 - p) for p, y in zip(p1, y1)]
    close(call(backend, dtype, metrics.log_loss, p1, y1), np.mean(nll1), dtype)


def test_log_loss_clips_at_machine_epsilon(backend, dtype):
    got = call(backend, dtype, metrics.log_loss, np.array([0.0, 1.0]), np.array([1, 0]))
    close(got, -math.log(np.finfo(dtype).eps), dtype)


def test_roc_auc_by_definition_with_ties(backend, dtype, rng):
    s = np.round(rng.normal(size=20), 1)
    y = rng.integers(0, 2, size=20)
    y[:2] = [0, 1]
    pos, neg = s[y == 1], s[y == 0]
    pairs = [1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg]
    close(call(backend, dtype, metrics.roc_auc, s, y), np.mean(pairs), dtype)


def test_roc_auc_single_class_is_nan(backend):
    # scikit-learn 1.9 returns NaN (and warns); so do we, eagerly and under jit alike
    got = metrics.roc_auc(
        backend.asarray(np.array([0.1, 0.2]), "float64"), backend.asarray(np.array([1, 1]))
    )
    assert np.isnan(backend.to_numpy(got))
