"""Cross-checks against trec_eval, the information-retrieval reference, through
``pytrec_eval`` (``pip install pytrec-eval-terrier``).

Each query is a trec_eval query ``"q<i>"``; each candidate (or ranked id) a document
``"d<j>"``; the run gives each document its score, the qrels its relevance grade (0: judged
non-relevant). Measures, read in trec_eval's ``m_*.c`` sources and checked here:

* ``P_k``: relevant retrieved in the top k / k (k even when fewer are retrieved);
* ``recall_k``: relevant retrieved in the top k / R (R: qrels with grade >= 1);
* ``success_k``: 1 if a relevant document is in the top k (any cutoff: ``"success.1,3,8"``);
* ``recip_rank``: 1 / rank of the first relevant document, no cutoff;
* ``ndcg_cut_k``: linear gain (the grade), discount ``log2(rank + 1)``, ideal from the qrels;
* ``map_cut_k``: the precisions at the relevant ranks within k, summed, / R.

trec_eval ranks by score descending, then by docno descending in string order (pytrec_eval
issues #51, #56), so the inputs are tie-free. A query whose qrels hold no relevant document
gets 0 from every measure above (our ``empty_target_action="neg"``); a query absent from the
qrels is left out of pytrec_eval's result altogether (checked below), and so is a query of the
qrels absent from the run (trec_eval's command line then leaves it out of its mean, unless
``-c``, which counts it as 0, as our ``retrieval_metrics`` does for a row of empty slots).
A negative grade is judged non-relevant and gains 0 in ``ndcg_cut`` (checked by hand:
grades -1, 1, 2 ranked in that order give 0.6199, not 0.2398): as ``retrieval_metrics``; the
dense ``ndcg_at_k`` counts negative relevance as given (no negative grades here).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from arraylosses import metrics
from arraylosses.metrics.retrieval import retrieval_metrics

from ._base import PeerCheck

LIBRARY = "pytrec_eval"


def _evaluate(
    qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], measures: set[str]
) -> dict[str, dict[str, float]]:
    import pytrec_eval

    return pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)


def _dense_qrels_and_run(
    scores: np.ndarray, relevance: np.ndarray
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    """Every candidate judged (grade 0 or more) and retrieved with its score."""
    q, m = scores.shape
    qrels = {f"q{i}": {f"d{j}": int(relevance[i, j]) for j in range(m)} for i in range(q)}
    run = {f"q{i}": {f"d{j}": float(scores[i, j]) for j in range(m)} for i in range(q)}
    return qrels, run


# ours, our keywords, trec_eval's measure (``{k}``: the cutoff)
_MEASURES: dict[str, tuple[dict[str, Any], str]] = {
    "precision_at_k": ({}, "P_{k}"),
    "recall_at_k": ({}, "recall_{k}"),
    "hit_rate_at_k": ({}, "success_{k}"),
    "ndcg_at_k": ({}, "ndcg_cut_{k}"),
    "map_at_k": ({"map_denominator": "relevant"}, "map_cut_{k}"),
    "mrr": ({}, "recip_rank"),
}


def _request(measure: str, k: int | None) -> str:
    """The measure as pytrec_eval takes it: ``"P.3"`` for ``P_3``."""
    if k is None:
        return measure
    return measure.replace("_{k}", f".{k}")


def _dense(ours_name: str, k: int | None, relevance: str) -> Any:
    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        s, rel = inputs["scores"], inputs[relevance]
        kwargs, measure = _MEASURES[ours_name]
        ours = getattr(metrics, ours_name)(s, rel, k=k, reduction="none", **kwargs)
        result = _evaluate(*_dense_qrels_and_run(s, rel), {_request(measure, k)})
        key = measure.format(k=k)
        theirs = [result[f"q{i}"][key] for i in range(s.shape[0])]
        return [np.asarray(ours)], [np.asarray(theirs)]

    return run


_TIE_FREE = (
    "Tie-free scores: trec_eval breaks ties by docno descending in string order, we by index "
    "ascending."
)

_DEVIATIONS = {
    "precision_at_k": "",
    "recall_at_k": "",
    "hit_rate_at_k": "",
    "ndcg_at_k": "trec_eval's default ndcg gain is the grade (linear; our default); it has no "
    "exponential gain.",
    "map_at_k": "map_cut_k divides by R, the query's number of relevant documents: our "
    "map_denominator='relevant'. Our default 'hits' (torchmetrics) differs whenever a relevant "
    "document is missing from the top k.",
    "mrr": "recip_rank has no cutoff: our mrr with k=None (the whole ranking).",
}

CHECKS: tuple[PeerCheck, ...] = tuple(
    PeerCheck(
        f"metrics.{ours}",
        f"pytrec_eval {_MEASURES[ours][1].format(k=k)}"
        + (", graded qrels" if rel == "graded" else ""),
        LIBRARY,
        _dense(ours, k, rel),
        rtol=1e-12,
        atol=1e-12,
        deviation=" ".join(d for d in (_DEVIATIONS[ours], _TIE_FREE) if d),
    )
    for ours in _MEASURES
    for k in ((None,) if ours == "mrr" else (1, 3, 8))
    for rel in (("relevance", "graded") if ours in ("ndcg_at_k", "map_at_k") else ("relevance",))
)


def _ids(ranked: str, k: int | None) -> Any:
    """retrieval_metrics on ranked ids against trec_eval given only the retrieved documents
    (empty slots left out, scores decreasing with the rank) and the qrels (grade 0 included).
    A query without any qrel is absent from trec_eval's result: checked, then compared over
    the others."""

    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        ids, qrel_ids, grades = inputs[ranked], inputs["qrel_ids"], inputs["qrel_grades"]
        q, width = ids.shape
        cut = width if k is None else k
        qrels = {
            f"q{i}": {f"d{d}": int(g) for d, g in zip(qrel_ids[i], grades[i]) if d >= 0}
            for i in range(q)
        }
        qrels = {name: judged for name, judged in qrels.items() if judged}
        run_ = {
            f"q{i}": {f"d{d}": float(width - r) for r, d in enumerate(ids[i]) if d >= 0}
            for i in range(q)
        }
        measures = {f"P.{cut}", f"recall.{cut}", f"success.{cut}", f"ndcg_cut.{cut}"}
        measures |= {f"map_cut.{cut}", "recip_rank"}
        result = _evaluate(qrels, run_, measures)
        kept = [i for i in range(q) if f"q{i}" in qrels]
        assert sorted(result) == sorted(f"q{i}" for i in kept), sorted(result)
        ours = retrieval_metrics(
            ids,
            qrel_ids,
            qrel_grades=grades,
            k=cut,
            map_denominator="relevant",
            reduction="none",
        )
        keys = {
            "precision": f"P_{cut}",
            "recall": f"recall_{cut}",
            "hit_rate": f"success_{cut}",
            "ndcg": f"ndcg_cut_{cut}",
            "map": f"map_cut_{cut}",
        }
        # recip_rank has no cutoff: our mrr at k = K, the whole ranking
        full = retrieval_metrics(ids, qrel_ids, qrel_grades=grades, reduction="none")["mrr"]
        mine = [np.asarray(ours[name])[kept] for name in keys] + [np.asarray(full)[kept]]
        theirs = [np.asarray([result[f"q{i}"][m] for i in kept]) for m in keys.values()]
        theirs.append(np.asarray([result[f"q{i}"]["recip_rank"] for i in kept]))
        return mine, theirs

    return run


CHECKS = CHECKS + tuple(
    PeerCheck(
        "metrics.retrieval_metrics",
        f"pytrec_eval P, recall, success, ndcg_cut, map_cut at {k or 'K'}, recip_rank"
        f" ({'a top-5 with empty slots' if ranked == 'top_ids' else 'full rankings'})",
        LIBRARY,
        _ids(ranked, k),
        rtol=1e-12,
        atol=1e-12,
        deviation="map is our map_denominator='relevant' (map_cut); recip_rank is our mrr at "
        "k=K. A query absent from the qrels gets no result from trec_eval (ours: "
        "empty_target_action, 0 by default); a query whose qrels are all grade 0 gets 0 from "
        "both. Ranked ids are given to trec_eval as scores decreasing with the rank.",
    )
    for ranked in ("ranked_ids", "top_ids")
    for k in (None, 3)
)
