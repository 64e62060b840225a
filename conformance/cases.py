"""The case registry: one entry per public function of arraylosses.

A :class:`Case` says how to build inputs for a function (NumPy float64, from a seeded
generator, away from the kinks where autodiff conventions differ), which parameter sets to run,
and which inputs to differentiate. The conformance matrix, the backend-agreement tests, the
gradient tests and the jit/vmap tests all read this registry, so a function added here is
checked everywhere; ``tests/test_registry.py`` fails when a public name has no case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import arraylosses as al
from arraylosses import metrics

Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class Case:
    """How to exercise one public function.

    ``make(rng)`` returns named NumPy arrays; the first ``args`` names are passed positionally
    (a parameter set may replace them with its ``"args"`` entry). In a parameter set, a string
    value ``"@name"`` stands for the array ``name``. ``grad`` lists the arrays to differentiate
    (those a parameter set does not use are skipped). A parameter set with ``"_fd": False`` is
    not checked against finite differences: it holds a ``stop_gradient`` by design, so its
    gradient is not the derivative of its value (its gradient is checked against the peer's).
    """

    name: str
    fn: Callable[..., Any]
    make: Callable[[np.random.Generator], Arrays]
    args: tuple[str, ...]
    params: tuple[dict[str, Any], ...] = ({},)
    grad: tuple[str, ...] = ()
    public: Any = None  # the public object, when fn is built from it (matryoshka)
    no_grad: str = ""  # why there is no gradient to check (piecewise-constant metrics)
    notes: str = ""
    peers: tuple[str, ...] = field(default=())

    def variants(self, rng: np.random.Generator) -> Iterator[tuple[str, tuple, dict]]:
        """``(label, positional arrays, keyword arguments)`` per parameter set, NumPy float64."""
        arrays = self.make(rng)
        for params in self.params:
            names = params.get("args", self.args)
            kwargs = {k: arrays[v[1:]] if isinstance(v, str) and v.startswith("@") else v
                      for k, v in params.items() if k != "args" and not k.startswith("_")}
            label = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
            yield label, tuple(arrays[n] for n in names), kwargs

    def grad_names(self, params: dict[str, Any]) -> list[tuple[str, int | str]]:
        """``(array name, position or keyword)`` of each differentiated input of a param set."""
        if params.get("_fd", True) is False:
            return []
        names = params.get("args", self.args)
        used = {n: i for i, n in enumerate(names)}
        used.update({v[1:]: k for k, v in params.items()
                     if isinstance(v, str) and v.startswith("@")})
        return [(n, used[n]) for n in self.grad if n in used]


# ---------------------------------------------------------------------------------------------
# Input builders. Residuals are kept away from 0, 0.5 and 1 (the kinks of abs, Huber and
# smooth L1 at the tested thresholds), so every backend's gradient is the same there.


def _residuals(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    bands = np.array([[0.1, 0.4], [0.6, 0.9], [1.1, 2.5]])
    band = bands[rng.integers(0, 3, size=shape)]
    magnitude = band[..., 0] + rng.uniform(size=shape) * (band[..., 1] - band[..., 0])
    return magnitude * rng.choice([-1.0, 1.0], size=shape)


def _regression(rng: np.random.Generator, shape: tuple[int, ...] = (6, 3)) -> Arrays:
    target = rng.normal(size=shape)
    return {
        "pred": target + _residuals(rng, shape),
        "target": target,
        "weight": rng.uniform(0.5, 2.0, size=shape),
        "row_weight": rng.uniform(0.5, 2.0, size=shape[:1] + (1,) * (len(shape) - 1)),
        "delta": np.asarray(0.75),
    }


def _poisson(rng: np.random.Generator) -> Arrays:
    shape = (6, 3)
    counts = rng.integers(0, 6, size=shape)
    return {
        "pred": rng.normal(scale=0.5, size=shape),
        "rate": rng.uniform(0.3, 3.0, size=shape),
        "target": counts.astype(np.float64),
        "target_int": counts.astype(np.int64),
        "weight": rng.uniform(0.5, 2.0, size=shape),
    }


def _gaussian(rng: np.random.Generator) -> Arrays:
    arrays = _regression(rng)
    arrays["var"] = rng.uniform(0.3, 2.0, size=(6, 3))
    arrays["var_row"] = rng.uniform(0.3, 2.0, size=(6,))
    arrays["var_col"] = rng.uniform(0.3, 2.0, size=(6, 1))
    # some variances below the default eps=1e-6: clamped in value, straight-through in gradient
    arrays["var_tiny"] = np.where(rng.uniform(size=(6, 3)) < 0.3, 1e-9, arrays["var"])
    return arrays


def _embeddings(rng: np.random.Generator) -> Arrays:
    return {
        "a": rng.normal(size=(5, 4)),
        "b": rng.normal(size=(5, 4)),
        "c": rng.normal(size=(7, 4)),
        "a_t": rng.normal(size=(4, 5)),
        "b_t": rng.normal(size=(4, 5)),
        "row_weight": rng.uniform(0.5, 2.0, size=(5,)),
    }


def _rowwise(rng: np.random.Generator) -> Arrays:
    e = _embeddings(rng)
    return {"pred": e["a"], "target": e["b"], "pred_t": e["a_t"], "target_t": e["b_t"],
            "weight": e["row_weight"]}


def _metric(rng: np.random.Generator) -> Arrays:
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


def _classes(rng: np.random.Generator) -> Arrays:
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


def _binary(rng: np.random.Generator) -> Arrays:
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


def _ranking_pairs(rng: np.random.Generator) -> Arrays:
    arrays = _binary(rng)
    # keep -y(x1-x2)+m away from 0 for the margins tested (0, 0.25, 0.5)
    y = arrays["rank_signs"]
    gap = rng.uniform(0.1, 1.0, size=8) * rng.choice([-1, 1], size=8)
    arrays["x2"] = arrays["x1"] - y * (gap + np.where(gap > 0, 0.6, 0.0))
    return arrays


def _class_metrics(rng: np.random.Generator) -> Arrays:
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


CE_PARAMS: tuple[dict[str, Any], ...] = (
    {},
    {"reduction": "none"},
    {"reduction": "sum"},
    {"label_smoothing": 0.1},
    {"class_weight": "@class_weight"},
    {"weight": "@weight"},
    {"args": ("LOGITS", "labels_ignored"), "ignore_index": -100, "class_weight": "@class_weight",
     "label_smoothing": 0.2},
    {"args": ("LOGITS", "labels_ignored"), "ignore_index": -100, "reduction": "none"},
    {"args": ("LOGITS", "labels_all_ignored"), "ignore_index": -100},
    {"args": ("LOGITS", "probs")},
    {"args": ("LOGITS", "probs"), "label_smoothing": 0.1, "class_weight": "@class_weight"},
)


def _ce_params(logits: str) -> tuple[dict[str, Any], ...]:
    out = []
    for params in CE_PARAMS:
        p = dict(params)
        if "args" in p:
            p["args"] = tuple(logits if a == "LOGITS" else a for a in p["args"])
        out.append(p)
    return tuple(out)


def _retrieval(rng: np.random.Generator) -> Arrays:
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


RETRIEVAL_PARAMS: tuple[dict[str, Any], ...] = (
    {"k": 3},
    {},
    {"k": 5, "empty_target_action": "pos"},
    {"k": 4, "empty_target_action": "skip"},
    {"k": 4, "empty_target_action": "skip", "reduction": "none"},
    {"args": ("scores_tied", "relevance"), "k": 3, "reduction": "none"},
    {"args": ("scores_signed", "relevance"), "k": 2},
)

def _pairs(rng: np.random.Generator) -> Arrays:
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


def _inbatch(rng: np.random.Generator) -> Arrays:
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


def _mnrl(rng: np.random.Generator) -> Arrays:
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


ALL_DIRECTIONS = ("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc")


def _matryoshka_case(q: Any, p: Any, negatives: Any = None, *, inner: str = "mnrl",
                     **kwargs: Any) -> Any:
    """``matryoshka`` around MNRL (the partial-dot-product path) or InfoNCE (the generic
    truncate-and-call path), dims (6, 4, 2) of D = 6."""
    weights = kwargs.pop("dim_weights", None)
    if inner == "mnrl":
        fn = al.matryoshka(al.multiple_negatives_ranking_loss, (6, 4, 2), weights=weights)
        return fn(q, p, negatives, **kwargs)
    return al.matryoshka(al.info_nce, (6, 3), weights=weights)(q, p, **kwargs)


def _matryoshka_inputs(rng: np.random.Generator) -> Arrays:
    b, d = 5, 6
    return {"q": rng.normal(size=(b, d)), "p": rng.normal(size=(b, d)),
            "negatives": rng.normal(size=(b, 2, d)), "weight": rng.uniform(0.5, 2.0, size=b)}


def _regularizer_inputs(rng: np.random.Generator) -> Arrays:
    probs = _softmax(rng.normal(size=(6, 4)))
    return {
        # shifted so that the squared-cosine moment sits well above 1/D (relu's kink)
        "a": rng.normal(size=(6, 3)) + 1.0,
        "n": rng.normal(size=(5, 3)) + 0.8,
        "probs": probs,
        "probs_t": probs.T.copy(),
        "weight": rng.uniform(0.5, 2.0, size=6),
    }


def _ranking(rng: np.random.Generator) -> Arrays:
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


REDUCTIONS: tuple[dict[str, Any], ...] = (
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"weight": "@weight"},
    {"weight": "@row_weight", "reduction": "sum"},
    {"weight": "@weight", "reduction": "none"},
)

METRIC_PARAMS: tuple[dict[str, Any], ...] = (
    {},
    {"multioutput": "raw_values"},
    {"weight": "@weight"},
    {"multioutput": "@output_weights"},
    {"args": ("pred_1d", "target_1d")},
)
VARIANCE_PARAMS = (*METRIC_PARAMS, {"multioutput": "variance_weighted", "weight": "@weight"})


def _elementwise(name: str, fn: Callable[..., Any], extra: tuple[dict[str, Any], ...] = (),
                 peers: tuple[str, ...] = ()) -> Case:
    return Case(name, fn, _regression, ("pred", "target"), (*REDUCTIONS, *extra),
                grad=("pred", "target", "delta"), peers=peers)


def _metric_case(name: str, fn: Callable[..., Any], params: tuple[dict[str, Any], ...]) -> Case:
    return Case(f"metrics.{name}", fn, _metric, ("pred", "target"), params,
                grad=("pred",), peers=("scikit-learn",))


CASES: tuple[Case, ...] = (
    # -- regression losses
    _elementwise("mse_loss", al.mse_loss, peers=("torch", "optax")),
    _elementwise("l1_loss", al.l1_loss, peers=("torch",)),
    _elementwise("mae_loss", al.mae_loss, peers=("torch",)),
    _elementwise("huber_loss", al.huber_loss,
                 ({"delta": 0.5}, {"delta": "@delta", "reduction": "none"}),
                 peers=("torch", "optax")),
    _elementwise("smooth_l1_loss", al.smooth_l1_loss,
                 ({"beta": 0.5}, {"beta": 0.0}, {"beta": "@delta", "reduction": "none"}),
                 peers=("torch",)),
    _elementwise("log_cosh_loss", al.log_cosh_loss, peers=("optax",)),
    _elementwise("quantile_loss", al.quantile_loss,
                 ({"quantile": 0.1}, {"quantile": 0.9, "reduction": "none"},
                  {"quantile": "@delta"}),
                 peers=("scikit-learn",)),
    Case("poisson_nll_loss", al.poisson_nll_loss, _poisson, ("pred", "target"),
         (*REDUCTIONS[:4], {"full": True, "reduction": "none"},
          {"args": ("rate", "target"), "log_input": False},
          {"args": ("rate", "target_int"), "log_input": False, "full": True},
          {"args": ("pred", "target_int")}),
         grad=("pred", "rate"), peers=("torch",)),
    Case("gaussian_nll_loss", al.gaussian_nll_loss, _gaussian, ("pred", "target", "var"),
         (*REDUCTIONS[:4], {"full": True, "reduction": "none"},
          {"args": ("pred", "target", "var_row")}, {"args": ("pred", "target", "var_col")}),
         grad=("pred", "target", "var", "var_row", "var_col"), peers=("torch",)),
    Case("cosine_distance_loss", al.cosine_distance_loss, _rowwise, ("pred", "target"),
         ({}, {"reduction": "none"}, {"weight": "@weight"}, {"reduction": "sum"},
          {"args": ("pred_t", "target_t"), "axis": 0, "reduction": "none"}),
         grad=("pred", "target", "pred_t", "target_t"), peers=("optax",)),
    # -- classification losses
    Case("cross_entropy", al.cross_entropy, _classes, ("logits", "labels"),
         (*_ce_params("logits"), {"args": ("logits_ncd", "labels_nd"), "axis": 1}),
         grad=("logits", "logits_ncd", "probs"), peers=("torch", "optax")),
    Case("nll_loss", al.nll_loss, _classes, ("log_probs", "labels"),
         tuple(p for p in _ce_params("log_probs") if "label_smoothing" not in p),
         grad=("log_probs", "probs"), peers=("torch",)),
    Case("poly1_cross_entropy", al.poly1_cross_entropy, _classes, ("logits", "labels"),
         ({}, {"reduction": "none"}, {"label_smoothing": 0.1}, {"epsilon": "@scalar"},
          {"args": ("logits", "probs"), "epsilon": 2.0}, {"weight": "@weight"}),
         grad=("logits", "probs", "scalar"), peers=("optax",)),
    Case("softmax_focal_loss", al.softmax_focal_loss, _classes, ("logits", "labels"),
         ({}, {"gamma": 0.0}, {"gamma": 1.5, "reduction": "none"},
          {"alpha": "@class_weight"}, {"alpha": 0.25, "args": ("logits", "probs")},
          {"weight": "@weight", "alpha": "@scalar"}),
         grad=("logits", "scalar"),
         notes="no peer has the multi-class softmax focal loss with class indices; checked by "
               "definition (tests/test_classification.py)"),
    Case("kl_divergence", al.kl_divergence, _classes, ("logits", "probs"),
         ({}, {"reduction": "none"}, {"args": ("logits", "probs_with_zero")},
          {"weight": "@weight", "reduction": "sum"}),
         grad=("logits", "probs"), peers=("torch", "optax")),
    Case("binary_cross_entropy", al.binary_cross_entropy, _binary, ("probs", "targets"),
         (*REDUCTIONS[:4], {"args": ("probs", "soft_targets")}, {"args": ("probs", "bits")},
          {"eps": 1e-3}),
         grad=("probs", "soft_targets"), peers=("torch",)),
    Case("binary_cross_entropy_with_logits", al.binary_cross_entropy_with_logits, _binary,
         ("logits", "targets"),
         (*REDUCTIONS[:4], {"pos_weight": "@pos_weight"},
          {"args": ("logits", "soft_targets"), "pos_weight": "@pos_weight", "reduction": "none"},
          {"args": ("logits", "bits")}),
         grad=("logits", "soft_targets", "pos_weight"), peers=("torch", "optax")),
    Case("sigmoid_focal_loss", al.sigmoid_focal_loss, _binary, ("logits", "targets"),
         ({}, {"reduction": "none"}, {"alpha": None}, {"gamma": 0.0}, {"alpha": "@scalar"},
          {"args": ("logits", "soft_targets"), "gamma": 1.5}, {"weight": "@weight"}),
         grad=("logits", "scalar"), peers=("optax",)),
    Case("hinge_loss", al.hinge_loss, _binary, ("scores", "signs"),
         ({}, {"reduction": "none"}, {"args": ("scores", "bits")}, {"weight": "@weight"}),
         grad=("scores",), peers=("keras",)),
    Case("squared_hinge_loss", al.squared_hinge_loss, _binary, ("scores", "signs"),
         ({}, {"reduction": "none"}, {"args": ("scores", "bits")}, {"weight": "@weight"}),
         grad=("scores",), peers=("keras",)),
    Case("margin_ranking_loss", al.margin_ranking_loss, _ranking_pairs,
         ("x1", "x2", "rank_signs"),
         ({}, {"margin": 0.5, "reduction": "none"}, {"margin": "@margin"}),
         grad=("x1", "x2", "margin"), peers=("torch",)),
    # -- classification metrics
    Case("metrics.accuracy", metrics.accuracy, _class_metrics, ("scores", "labels"),
         ({}, {"args": ("pred_labels", "labels")}, {"weight": "@weight"}),
         no_grad="piecewise constant", peers=("scikit-learn",)),
    Case("metrics.top_k_accuracy", metrics.top_k_accuracy, _class_metrics, ("scores", "labels"),
         ({"k": 1}, {"k": 2}, {"k": 3, "weight": "@weight"},
          {"args": ("scores_tied", "labels"), "k": 2}),
         no_grad="piecewise constant", peers=("scikit-learn",)),
    Case("metrics.precision_recall_f1", metrics.precision_recall_f1, _class_metrics,
         ("scores", "labels"),
         ({"num_classes": 4}, {"num_classes": 4, "average": "macro"},
          {"num_classes": 4, "average": "weighted", "weight": "@weight"},
          {"args": ("pred_labels", "labels"), "num_classes": 5, "average": "macro"}),
         no_grad="piecewise constant", peers=("scikit-learn",)),
    Case("metrics.log_loss", metrics.log_loss, _class_metrics, ("probs", "labels"),
         ({}, {"args": ("probs_1d", "binary")}, {"weight": "@weight"}),
         grad=("probs", "probs_1d"), peers=("scikit-learn",)),
    Case("metrics.roc_auc", metrics.roc_auc, _class_metrics, ("scores_1d", "binary"),
         ({}, {"args": ("scores_1d_tied", "binary")}),
         no_grad="piecewise constant", peers=("scikit-learn",)),
    # -- embedding losses over pairs and triplets
    Case("contrastive_loss", al.contrastive_loss, _pairs, ("a", "b", "bits"),
         ({}, {"margin": 3.0}, {"distance": "cosine", "margin": 0.5},
          {"margin": "@margin", "reduction": "none"}, {"args": ("a", "b", "soft")},
          {"weight": "@weight", "margin": 3.0}),
         grad=("a", "b", "margin"), peers=("sentence-transformers",)),
    Case("online_contrastive_loss", al.online_contrastive_loss, _pairs, ("a", "b", "bits"),
         ({}, {"distance": "euclidean", "margin": 3.0}, {"reduction": "none"},
          {"reduction": "mean", "margin": "@margin"}, {"args": ("a", "b", "all_positive")}),
         grad=("a", "b", "margin"), peers=("sentence-transformers",)),
    Case("triplet_margin_loss", al.triplet_margin_loss, _pairs, ("a", "b", "c"),
         ({}, {"swap": True}, {"p": 1.5}, {"distance": "cosine", "margin": 0.5},
          {"margin": "@margin", "reduction": "none"}, {"eps": 0.0, "margin": 5.0},
          {"weight": "@weight", "margin": 3.0}),
         grad=("a", "b", "c", "margin"), peers=("torch", "optax", "sentence-transformers")),
    Case("cosine_embedding_loss", al.cosine_embedding_loss, _pairs, ("a", "b", "signs"),
         ({}, {"margin": 0.2, "reduction": "none"}, {"weight": "@weight"},
          {"margin": "@margin"}),
         grad=("a", "b"), peers=("torch",)),
    Case("cosent_loss", al.cosent_loss, _pairs, ("a", "b", "scores"),
         ({}, {"scale": 5.0}, {"scale": "@scale"}, {"args": ("a", "b", "bits")}),
         grad=("a", "b", "scale"), peers=("sentence-transformers",)),
    Case("angle_loss", al.angle_loss, _pairs, ("a", "b", "scores"),
         ({}, {"scale": "@scale"}, {"args": ("a_odd", "b_odd", "scores")}),
         grad=("a", "b", "a_odd", "b_odd", "scale"), peers=("sentence-transformers",)),
    # -- in-batch contrastive losses
    Case("info_nce", al.info_nce, _inbatch, ("q", "p"),
         ({}, {"reduction": "none", "temperature": "@temperature"}, {"symmetric": True},
          {"similarity": "dot", "temperature": 2.0},
          {"args": ("q", "p_gathered"), "offset": 3, "weight": "@weight"},
          {"args": ("q", "p", "negatives")},
          {"args": ("q", "p", "paired_negatives"), "negative_mode": "paired",
           "reduction": "sum"},
          {"args": ("q", "p_all"), "symmetric": True, "all_query": "@q_all", "offset": 2,
           "reduction": "none"}),
         grad=("q", "p", "p_gathered", "negatives", "paired_negatives", "temperature", "q_all",
               "p_all"),
         notes="peer: the info-nce-pytorch package (not installed here); by definition"),
    Case("entropy_adaptive_info_nce", al.entropy_adaptive_info_nce, _inbatch, ("q", "p"),
         tuple({**params, "_fd": False} for params in (
             {}, {"reduction": "none"}, {"min_temperature": 0.05, "max_temperature": 0.5},
             {"weight": "@weight"}, {"return_temperature": True})),
         grad=("q", "p"),
         notes="defined in SPEC.md (no peer); checked by definition. Its temperature is under "
               "stop_gradient, so finite differences of the value are not its gradient: "
               "tests/test_inbatch.py checks the gradient against finite differences with the "
               "temperature frozen"),
    Case("clip_loss", al.clip_loss, _inbatch, ("q", "p"),
         ({}, {"logit_scale": "@scale", "reduction": "none"}, {"weight": "@weight"},
          {"args": ("q", "p_all"), "all_image_emb": "@q_all", "offset": 2,
           "reduction": "none"}),
         grad=("q", "p", "scale", "q_all", "p_all"),
         notes="peer: open_clip ClipLoss (not installed); by definition"),
    Case("siglip_loss", al.siglip_loss, _inbatch, ("q", "p"),
         ({}, {"logit_scale": "@scale", "logit_bias": "@bias", "reduction": "none"},
          {"weight": "@weight", "reduction": "sum"},
          {"args": ("q", "p_all"), "offset": 2, "reduction": "none"}),
         grad=("q", "p", "scale", "bias", "p_all"),
         notes="peer: open_clip SigLipLoss (not installed); by definition"),
    Case("nt_xent_loss", al.nt_xent_loss, _inbatch, ("q", "p"),
         ({}, {"temperature": "@temperature", "reduction": "none"}, {"weight": "@weight"},
          {"args": ("q", "p_all"), "all_z1": "@q_all", "offset": 2, "reduction": "none"}),
         grad=("q", "p", "temperature", "q_all", "p_all"),
         peers=("pytorch-metric-learning", "optax")),
    Case("supcon_loss", al.supcon_loss, _inbatch, ("q", "labels"),
         ({}, {"temperature": 0.2, "base_temperature": 0.1, "reduction": "none"},
          {"args": ("views", "labels"), "temperature": "@temperature"},
          {"weight": "@weight"}),
         grad=("q", "views", "temperature"), peers=("pytorch-metric-learning",)),
    Case("multiple_negatives_ranking_loss", al.multiple_negatives_ranking_loss, _mnrl,
         ("q", "p"),
         ({}, {"args": ("q", "p", "negatives_1")}, {"args": ("q", "p", "negatives_k")},
          {"args": ("q", "p", "negatives_k"), "scale": "@scale", "reduction": "none"},
          {"args": ("q", "p", "negatives_k"), "similarity": "dot", "scale": 1.0},
          {"args": ("q", "p", "negatives_k"), "directions": ALL_DIRECTIONS},
          {"args": ("q", "p", "negatives_k"), "directions": ("query_to_doc", "doc_to_query"),
           "partition_mode": "per_direction", "weight": "@weight"},
          *({"args": ("q", "p", "negatives_k"), "hardness_mode": mode, "hardness_strength": 0.5,
             "_fd": False}
            for mode in ("in_batch_negatives", "hard_negatives", "all_negatives")),
          {"args": ("q_local", "p", "negatives_k"), "offset": 2,
           "directions": ("query_to_doc", "doc_to_doc")},
          {"args": ("q_local", "p", "negatives_k"), "offset": 2, "all_anchors": "@q",
           "directions": ALL_DIRECTIONS, "reduction": "none"}),
         grad=("q", "q_local", "p", "negatives_1", "negatives_k", "scale"),
         peers=("sentence-transformers",)),
    Case("multiple_negatives_symmetric_ranking_loss",
         al.multiple_negatives_symmetric_ranking_loss, _mnrl, ("q", "p"),
         ({}, {"args": ("q", "p", "negatives_k"), "reduction": "none"}, {"scale": "@scale"}),
         grad=("q", "p", "negatives_k", "scale"), peers=("sentence-transformers",)),
    Case("matryoshka", _matryoshka_case, _matryoshka_inputs, ("q", "p"),
         ({}, {"args": ("q", "p", "negatives"), "dim_weights": (1.0, 0.5, 0.25)},
          {"args": ("q", "p", "negatives"), "reduction": "none",
           "directions": ("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc")},
          {"weight": "@weight", "scale": 5.0}, {"inner": "info_nce"},
          {"inner": "info_nce", "reduction": "none", "dim_weights": (2.0, 1.0)}),
         grad=("q", "p", "negatives"), public=al.matryoshka,
         peers=("sentence-transformers",)),
    # -- recommendation and ranking (arraylosses.ranking)
    Case("bpr_loss", al.bpr_loss, _ranking, ("pos", "neg_k"),
         ({}, {"args": ("pos", "neg_1")}, {"reduction": "none"},
          {"weight": "@weight", "reduction": "sum"}),
         grad=("pos", "neg_1", "neg_k"), peers=("torch", "rax")),
    Case("dynamic_margin_bpr_loss", al.dynamic_margin_bpr_loss, _ranking, ("pos", "neg_k"),
         tuple({**params, "_fd": False} for params in (
             {}, {"args": ("pos", "neg_1"), "alpha": 0.3}, {"alpha": "@alpha",
                                                            "reduction": "none"},
             {"weight": "@weight"})),
         grad=("pos", "neg_1", "neg_k"),
         notes="defined in SPEC.md (no peer); checked by definition. Its margin is under "
               "stop_gradient, so finite differences of the value are not its gradient: "
               "tests/test_ranking.py checks that its gradient is BPR's with a constant margin"),
    Case("sampled_softmax_loss", al.sampled_softmax_loss, _ranking, ("pos", "neg_k"),
         ({}, {"log_q": "@log_q"}, {"log_q": "@log_q_nk", "pos_log_q": "@pos_log_q",
                                    "reduction": "none"},
          {"num_items": 50, "weight": "@weight"},
          {"pos_ids": "@pos_ids", "neg_ids": "@neg_ids", "log_q": "@log_q"},
          {"pos_ids": "@pos_ids", "neg_ids": "@shared_neg_ids", "num_items": 9,
           "reduction": "sum"}),
         grad=("pos", "neg_k"),
         notes="peers TensorFlow sampled_softmax_loss / KerasRS (not installed: TensorFlow); "
               "by definition"),
    Case("normalized_sampled_softmax_loss", al.normalized_sampled_softmax_loss, _ranking,
         ("square",),
         ({"num_items": 5}, {"num_items": 1000}, {"num_items": 40, "reduction": "none"},
          {"num_items": 40, "weight": "@square_weight", "eps": 1e-3}),
         grad=("square",), notes="defined in SPEC.md (no peer); checked by definition"),
    Case("csar_loss", al.csar_loss, _ranking, ("energies", "labels"),
         ({}, {"reduction": "none", "eps": 1e-3}, {"args": ("energies", "label_probs")},
          {"weight": "@weight", "ignore_index": 2}),
         grad=("energies", "label_probs"),
         notes="defined in SPEC.md (no peer); checked by definition"),
    Case("listnet_loss", al.listnet_loss, _ranking, ("list_scores", "relevance"),
         ({}, {"reduction": "none"}, {"where": "@where"},
          {"where": "@where", "weight": "@list_weight", "reduction": "none"},
          {"weight": "@list_weight"}),
         grad=("list_scores", "relevance"), peers=("rax",)),
    # -- regularisers (arraylosses.regularizers)
    Case("orthogonal_loss", al.orthogonal_loss, _regularizer_inputs, ("a",),
         ({}, {"mode": "l2"}, {"args": ("n",), "mode": "l2"}), grad=("a", "n"),
         notes="defined in SPEC.md (no peer); checked by definition"),
    Case("global_orthogonal_regularization", al.global_orthogonal_regularization,
         _regularizer_inputs, ("a", "n"),
         ({}, {"aggregation": "sum", "mean_weight": 0.5}, {"return_terms": True},
          {"args": ("a",), "second_moment_weight": 2.0}),
         grad=("a", "n"), peers=("sentence-transformers",)),
    Case("exclusiveness_loss", al.exclusiveness_loss, _regularizer_inputs, ("probs",),
         ({}, {"reduction": "none"}, {"weight": "@weight"},
          {"args": ("probs_t",), "axis": 0, "reduction": "sum"}),
         grad=("probs", "probs_t"), notes="defined in SPEC.md (no peer); checked by definition"),
    Case("inclusiveness_loss", al.inclusiveness_loss, _regularizer_inputs, ("probs",),
         ({}, {"args": ("probs_t",), "axis": 0}), grad=("probs", "probs_t"),
         notes="defined in SPEC.md (no peer); checked by definition"),
    # -- retrieval metrics
    *(Case(f"metrics.{name}", getattr(metrics, name), _retrieval, ("scores", "relevance"),
           RETRIEVAL_PARAMS + (({"args": ("scores", "graded"), "k": 4},
                                {"args": ("scores_tied", "graded"), "gain": "exponential"})
                               if name == "ndcg_at_k" else ()),
           no_grad="piecewise constant in the scores", peers=("torchmetrics",))
      for name in ("recall_at_k", "precision_at_k", "hit_rate_at_k", "mrr", "ndcg_at_k",
                   "map_at_k")),
    # -- similarity
    Case("cosine_similarity", al.cosine_similarity, _embeddings, ("a", "b"),
         ({}, {"args": ("a_t", "b_t"), "axis": 0}), grad=("a", "b", "a_t", "b_t"),
         peers=("torch",)),
    Case("pairwise_cosine_similarity", al.pairwise_cosine_similarity, _embeddings, ("a", "c"),
         grad=("a", "c"), peers=("torch",)),
    Case("pairwise_dot", al.pairwise_dot, _embeddings, ("a", "c"), grad=("a", "c"),
         peers=("torch",)),
    Case("pairwise_euclidean_distance", al.pairwise_euclidean_distance, _embeddings, ("a", "c"),
         ({}, {"squared": True}), grad=("a", "c"), peers=("torch", "scikit-learn")),
    Case("l2_normalize", al.l2_normalize, _embeddings, ("a",), ({}, {"axis": 0}), grad=("a",),
         peers=("torch",)),
    # -- metrics
    _metric_case("mean_squared_error", metrics.mean_squared_error, METRIC_PARAMS),
    _metric_case("root_mean_squared_error", metrics.root_mean_squared_error, METRIC_PARAMS),
    _metric_case("mean_absolute_error", metrics.mean_absolute_error, METRIC_PARAMS),
    _metric_case("mean_absolute_percentage_error", metrics.mean_absolute_percentage_error,
                 METRIC_PARAMS),
    _metric_case("r2_score", metrics.r2_score, VARIANCE_PARAMS),
    _metric_case("explained_variance_score", metrics.explained_variance_score, VARIANCE_PARAMS),
    Case("metrics.mean_cosine_similarity", metrics.mean_cosine_similarity, _rowwise,
         ("pred", "target"), ({}, {"weight": "@weight"}), grad=("pred", "target"),
         peers=("torchmetrics",)),
)

BY_NAME: dict[str, Case] = {case.name: case for case in CASES}


def public_names() -> list[str]:
    """Every public function: ``arraylosses.__all__`` and ``metrics.__all__`` (prefixed)."""
    top = [n for n in al.__all__ if callable(getattr(al, n))]
    return top + [f"metrics.{n}" for n in metrics.__all__]
