"""The case registry: one entry per public function of arraylosses.

A :class:`Case` says how to build inputs for a function (a builder of
:mod:`arraylosses.testing.inputs`: NumPy float64, from a seeded generator, away from the kinks
where autodiff conventions differ), which parameter sets to run, and which inputs to
differentiate. The conformance matrix, the backend-agreement tests, the gradient tests, the
jit/vmap tests and :func:`arraylosses.testing.crosscheck`'s default inputs all read this
registry, so a function added here is checked everywhere; ``tests/test_registry.py`` fails when
a public name has no case. It ships in the wheel (the conformance matrix in the source tree
imports it from here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import arraylosses as al
from arraylosses import metrics

from . import inputs
from .inputs import Arrays

__all__ = ["ALL_DIRECTIONS", "BY_NAME", "CASES", "Case", "public_names"]


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
            kwargs = {
                k: arrays[v[1:]] if isinstance(v, str) and v.startswith("@") else v
                for k, v in params.items()
                if k != "args" and not k.startswith("_")
            }
            label = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
            yield label, tuple(arrays[n] for n in names), kwargs

    def grad_names(self, params: dict[str, Any]) -> list[tuple[str, int | str]]:
        """``(array name, position or keyword)`` of each differentiated input of a param set."""
        if params.get("_fd", True) is False:
            return []
        names = params.get("args", self.args)
        used: dict[str, int | str] = {n: i for i, n in enumerate(names)}
        used.update(
            {v[1:]: k for k, v in params.items() if isinstance(v, str) and v.startswith("@")}
        )
        return [(n, used[n]) for n in self.grad if n in used]


# ---------------------------------------------------------------------------------------------
# Parameter sets shared by several cases


CE_PARAMS: tuple[dict[str, Any], ...] = (
    {},
    {"reduction": "none"},
    {"reduction": "sum"},
    {"label_smoothing": 0.1},
    {"class_weight": "@class_weight"},
    {"sample_weight": "@weight"},
    {
        "args": ("LOGITS", "labels_ignored"),
        "ignore_index": -100,
        "class_weight": "@class_weight",
        "label_smoothing": 0.2,
    },
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


RETRIEVAL_PARAMS: tuple[dict[str, Any], ...] = (
    {"k": 3},
    {},
    {"k": 5, "empty_target_action": "pos"},
    {"k": 4, "empty_target_action": "skip"},
    {"k": 4, "empty_target_action": "skip", "reduction": "none"},
    {"args": ("scores_tied", "relevance"), "k": 3, "reduction": "none"},
    {"args": ("scores_signed", "relevance"), "k": 2},
)


ALL_DIRECTIONS = ("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc")


def _matryoshka_case(
    q: Any, p: Any, negatives: Any = None, *, inner: str = "mnrl", **kwargs: Any
) -> Any:
    """``matryoshka`` around MNRL (the partial-dot-product path) or InfoNCE (the generic
    truncate-and-call path), dims (6, 4, 2) of D = 6."""
    weights = kwargs.pop("dim_weights", None)
    if inner == "mnrl":
        fn = al.matryoshka(al.multiple_negatives_ranking_loss, (6, 4, 2), dim_weights=weights)
        return fn(q, p, negatives, **kwargs)
    return al.matryoshka(al.info_nce, (6, 3), dim_weights=weights)(q, p, **kwargs)


REDUCTIONS: tuple[dict[str, Any], ...] = (
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"sample_weight": "@weight"},
    {"sample_weight": "@row_weight", "reduction": "sum"},
    {"sample_weight": "@weight", "reduction": "none"},
)

METRIC_PARAMS: tuple[dict[str, Any], ...] = (
    {},
    {"multioutput": "raw_values"},
    {"sample_weight": "@weight"},
    {"multioutput": "@output_weights"},
    {"args": ("pred_1d", "target_1d")},
)
VARIANCE_PARAMS = (*METRIC_PARAMS, {"multioutput": "variance_weighted", "sample_weight": "@weight"})


def _elementwise(
    name: str,
    fn: Callable[..., Any],
    extra: tuple[dict[str, Any], ...] = (),
    peers: tuple[str, ...] = (),
) -> Case:
    return Case(
        name,
        fn,
        inputs.regression,
        ("pred", "target"),
        (*REDUCTIONS, *extra),
        grad=("pred", "target", "delta"),
        peers=peers,
    )


def _metric_case(name: str, fn: Callable[..., Any], params: tuple[dict[str, Any], ...]) -> Case:
    return Case(
        f"metrics.{name}",
        fn,
        inputs.metric,
        ("pred", "target"),
        params,
        grad=("pred",),
        peers=("scikit-learn",),
    )


CASES: tuple[Case, ...] = (
    # -- regression losses
    _elementwise("mse_loss", al.mse_loss, peers=("torch", "optax")),
    _elementwise("l1_loss", al.l1_loss, peers=("torch",)),
    _elementwise("mae_loss", al.mae_loss, peers=("torch",)),
    _elementwise(
        "huber_loss",
        al.huber_loss,
        ({"delta": 0.5}, {"delta": "@delta", "reduction": "none"}),
        peers=("torch", "optax"),
    ),
    _elementwise(
        "smooth_l1_loss",
        al.smooth_l1_loss,
        ({"beta": 0.5}, {"beta": 0.0}, {"beta": "@delta", "reduction": "none"}),
        peers=("torch",),
    ),
    _elementwise("log_cosh_loss", al.log_cosh_loss, peers=("optax",)),
    _elementwise(
        "quantile_loss",
        al.quantile_loss,
        ({"quantile": 0.1}, {"quantile": 0.9, "reduction": "none"}, {"quantile": "@delta"}),
        peers=("scikit-learn",),
    ),
    Case(
        "poisson_nll_loss",
        al.poisson_nll_loss,
        inputs.poisson,
        ("pred", "target"),
        (
            *REDUCTIONS[:4],
            {"full": True, "reduction": "none"},
            {"args": ("rate", "target"), "log_input": False},
            {"args": ("rate", "target_int"), "log_input": False, "full": True},
            {"args": ("pred", "target_int")},
        ),
        grad=("pred", "rate"),
        peers=("torch",),
    ),
    Case(
        "gaussian_nll_loss",
        al.gaussian_nll_loss,
        inputs.gaussian,
        ("pred", "target", "var"),
        (
            *REDUCTIONS[:4],
            {"full": True, "reduction": "none"},
            {"args": ("pred", "target", "var_row")},
            {"args": ("pred", "target", "var_col")},
        ),
        grad=("pred", "target", "var", "var_row", "var_col"),
        peers=("torch",),
    ),
    Case(
        "cosine_distance_loss",
        al.cosine_distance_loss,
        inputs.rowwise,
        ("pred", "target"),
        (
            {},
            {"reduction": "none"},
            {"sample_weight": "@weight"},
            {"reduction": "sum"},
            {"args": ("pred_t", "target_t"), "axis": 0, "reduction": "none"},
        ),
        grad=("pred", "target", "pred_t", "target_t"),
        peers=("optax",),
    ),
    # -- classification losses
    Case(
        "cross_entropy",
        al.cross_entropy,
        inputs.classes,
        ("logits", "labels"),
        (*_ce_params("logits"), {"args": ("logits_ncd", "labels_nd"), "axis": 1}),
        grad=("logits", "logits_ncd", "probs"),
        peers=("torch", "optax"),
    ),
    Case(
        "nll_loss",
        al.nll_loss,
        inputs.classes,
        ("log_probs", "labels"),
        tuple(p for p in _ce_params("log_probs") if "label_smoothing" not in p),
        grad=("log_probs", "probs"),
        peers=("torch",),
    ),
    Case(
        "poly1_cross_entropy",
        al.poly1_cross_entropy,
        inputs.classes,
        ("logits", "labels"),
        (
            {},
            {"reduction": "none"},
            {"label_smoothing": 0.1},
            {"epsilon": "@scalar"},
            {"args": ("logits", "probs"), "epsilon": 2.0},
            {"sample_weight": "@weight"},
        ),
        grad=("logits", "probs", "scalar"),
        peers=("optax",),
    ),
    Case(
        "softmax_focal_loss",
        al.softmax_focal_loss,
        inputs.classes,
        ("logits", "labels"),
        (
            {},
            {"gamma": 0.0},
            {"gamma": 1.5, "reduction": "none"},
            {"alpha": "@class_weight"},
            {"alpha": 0.25, "args": ("logits", "probs")},
            {"sample_weight": "@weight", "alpha": "@scalar"},
        ),
        grad=("logits", "scalar"),
        notes="no peer has the multi-class softmax focal loss with class indices; checked by "
        "definition (tests/test_classification.py)",
    ),
    Case(
        "kl_divergence",
        al.kl_divergence,
        inputs.classes,
        ("logits", "probs"),
        (
            {},
            {"reduction": "none"},
            {"args": ("logits", "probs_with_zero")},
            {"sample_weight": "@weight", "reduction": "sum"},
        ),
        grad=("logits", "probs"),
        peers=("torch", "optax"),
    ),
    Case(
        "binary_cross_entropy",
        al.binary_cross_entropy,
        inputs.binary,
        ("probs", "targets"),
        (
            *REDUCTIONS[:4],
            {"args": ("probs", "soft_targets")},
            {"args": ("probs", "bits")},
            {"eps": 1e-3},
        ),
        grad=("probs", "soft_targets"),
        peers=("torch",),
    ),
    Case(
        "binary_cross_entropy_with_logits",
        al.binary_cross_entropy_with_logits,
        inputs.binary,
        ("logits", "targets"),
        (
            *REDUCTIONS[:4],
            {"pos_weight": "@pos_weight"},
            {"args": ("logits", "soft_targets"), "pos_weight": "@pos_weight", "reduction": "none"},
            {"args": ("logits", "bits")},
        ),
        grad=("logits", "soft_targets", "pos_weight"),
        peers=("torch", "optax"),
    ),
    Case(
        "sigmoid_focal_loss",
        al.sigmoid_focal_loss,
        inputs.binary,
        ("logits", "targets"),
        (
            {},
            {"reduction": "none"},
            {"alpha": None},
            {"gamma": 0.0},
            {"alpha": "@scalar"},
            {"args": ("logits", "soft_targets"), "gamma": 1.5},
            {"sample_weight": "@weight"},
        ),
        grad=("logits", "scalar"),
        peers=("optax",),
    ),
    Case(
        "hinge_loss",
        al.hinge_loss,
        inputs.binary,
        ("scores", "signs"),
        ({}, {"reduction": "none"}, {"args": ("scores", "bits")}, {"sample_weight": "@weight"}),
        grad=("scores",),
        peers=("keras",),
    ),
    Case(
        "squared_hinge_loss",
        al.squared_hinge_loss,
        inputs.binary,
        ("scores", "signs"),
        ({}, {"reduction": "none"}, {"args": ("scores", "bits")}, {"sample_weight": "@weight"}),
        grad=("scores",),
        peers=("keras",),
    ),
    Case(
        "margin_ranking_loss",
        al.margin_ranking_loss,
        inputs.ranking_pairs,
        ("x1", "x2", "rank_signs"),
        ({}, {"margin": 0.5, "reduction": "none"}, {"margin": "@margin"}),
        grad=("x1", "x2", "margin"),
        peers=("torch",),
    ),
    # -- classification metrics
    Case(
        "metrics.accuracy",
        metrics.accuracy,
        inputs.class_metrics,
        ("scores", "labels"),
        ({}, {"args": ("pred_labels", "labels")}, {"sample_weight": "@weight"}),
        no_grad="piecewise constant",
        peers=("scikit-learn",),
    ),
    Case(
        "metrics.top_k_accuracy",
        metrics.top_k_accuracy,
        inputs.class_metrics,
        ("scores", "labels"),
        (
            {"k": 1},
            {"k": 2},
            {"k": 3, "sample_weight": "@weight"},
            {"args": ("scores_tied", "labels"), "k": 2},
        ),
        no_grad="piecewise constant",
        peers=("scikit-learn",),
    ),
    Case(
        "metrics.precision_recall_f1",
        metrics.precision_recall_f1,
        inputs.class_metrics,
        ("scores", "labels"),
        (
            {"num_classes": 4},
            {"num_classes": 4, "average": "macro"},
            {"num_classes": 4, "average": "weighted", "sample_weight": "@weight"},
            {"args": ("pred_labels", "labels"), "num_classes": 5, "average": "macro"},
        ),
        no_grad="piecewise constant",
        peers=("scikit-learn",),
    ),
    Case(
        "metrics.log_loss",
        metrics.log_loss,
        inputs.class_metrics,
        ("probs", "labels"),
        ({}, {"args": ("probs_1d", "binary")}, {"sample_weight": "@weight"}),
        grad=("probs", "probs_1d"),
        peers=("scikit-learn",),
    ),
    Case(
        "metrics.roc_auc",
        metrics.roc_auc,
        inputs.class_metrics,
        ("scores_1d", "binary"),
        ({}, {"args": ("scores_1d_tied", "binary")}),
        no_grad="piecewise constant",
        peers=("scikit-learn",),
    ),
    # -- embedding losses over pairs and triplets
    Case(
        "contrastive_loss",
        al.contrastive_loss,
        inputs.pairs,
        ("a", "b", "bits"),
        (
            {},
            {"margin": 3.0},
            {"distance": "cosine", "margin": 0.5},
            {"margin": "@margin", "reduction": "none"},
            {"args": ("a", "b", "soft")},
            {"sample_weight": "@weight", "margin": 3.0},
        ),
        grad=("a", "b", "margin"),
        peers=("sentence-transformers",),
    ),
    Case(
        "online_contrastive_loss",
        al.online_contrastive_loss,
        inputs.pairs,
        ("a", "b", "bits"),
        (
            {},
            {"distance": "euclidean", "margin": 3.0},
            {"reduction": "none"},
            {"reduction": "mean", "margin": "@margin"},
            {"args": ("a", "b", "all_positive")},
        ),
        grad=("a", "b", "margin"),
        peers=("sentence-transformers",),
    ),
    Case(
        "triplet_margin_loss",
        al.triplet_margin_loss,
        inputs.pairs,
        ("a", "b", "c"),
        (
            {},
            {"swap": True},
            {"p": 1.5},
            {"distance": "cosine", "margin": 0.5},
            {"margin": "@margin", "reduction": "none"},
            {"eps": 0.0, "margin": 5.0},
            {"sample_weight": "@weight", "margin": 3.0},
        ),
        grad=("a", "b", "c", "margin"),
        peers=("torch", "optax", "sentence-transformers"),
    ),
    Case(
        "cosine_embedding_loss",
        al.cosine_embedding_loss,
        inputs.pairs,
        ("a", "b", "signs"),
        (
            {},
            {"margin": 0.2, "reduction": "none"},
            {"sample_weight": "@weight"},
            {"margin": "@margin"},
        ),
        grad=("a", "b"),
        peers=("torch",),
    ),
    Case(
        "cosent_loss",
        al.cosent_loss,
        inputs.pairs,
        ("a", "b", "scores"),
        ({}, {"scale": 5.0}, {"scale": "@scale"}, {"args": ("a", "b", "bits")}),
        grad=("a", "b", "scale"),
        peers=("sentence-transformers",),
    ),
    Case(
        "angle_loss",
        al.angle_loss,
        inputs.pairs,
        ("a", "b", "scores"),
        ({}, {"scale": "@scale"}, {"args": ("a_odd", "b_odd", "scores")}),
        grad=("a", "b", "a_odd", "b_odd", "scale"),
        peers=("sentence-transformers",),
    ),
    # -- in-batch contrastive losses
    Case(
        "info_nce",
        al.info_nce,
        inputs.inbatch,
        ("q", "p"),
        (
            {},
            {"reduction": "none", "temperature": "@temperature"},
            {"symmetric": True},
            {"similarity": "dot", "temperature": 2.0},
            {"args": ("q", "p_gathered"), "offset": 3, "sample_weight": "@weight"},
            {"args": ("q", "p", "negatives")},
            {"args": ("q", "p", "paired_negatives"), "negative_mode": "paired", "reduction": "sum"},
            {
                "args": ("q", "p_all"),
                "symmetric": True,
                "all_query": "@q_all",
                "offset": 2,
                "reduction": "none",
            },
        ),
        grad=(
            "q",
            "p",
            "p_gathered",
            "negatives",
            "paired_negatives",
            "temperature",
            "q_all",
            "p_all",
        ),
        notes="peer: the info-nce-pytorch package (not installed here); by definition",
    ),
    Case(
        "entropy_adaptive_info_nce",
        al.entropy_adaptive_info_nce,
        inputs.inbatch,
        ("q", "p"),
        tuple(
            {**params, "_fd": False}
            for params in (
                {},
                {"reduction": "none"},
                {"min_temperature": 0.05, "max_temperature": 0.5},
                {"sample_weight": "@weight"},
                {"return_temperature": True},
            )
        ),
        grad=("q", "p"),
        notes="defined in docs/spec.md (no peer); checked by definition. Its temperature is under "
        "stop_gradient, so finite differences of the value are not its gradient: "
        "tests/test_inbatch.py checks the gradient against finite differences with the "
        "temperature frozen",
    ),
    Case(
        "clip_loss",
        al.clip_loss,
        inputs.inbatch,
        ("q", "p"),
        (
            {},
            {"logit_scale": "@scale", "reduction": "none"},
            {"sample_weight": "@weight"},
            {"args": ("q", "p_all"), "all_image_emb": "@q_all", "offset": 2, "reduction": "none"},
        ),
        grad=("q", "p", "scale", "q_all", "p_all"),
        notes="peer: open_clip ClipLoss (not installed); by definition",
    ),
    Case(
        "siglip_loss",
        al.siglip_loss,
        inputs.inbatch,
        ("q", "p"),
        (
            {},
            {"logit_scale": "@scale", "logit_bias": "@bias", "reduction": "none"},
            {"sample_weight": "@weight", "reduction": "sum"},
            {"args": ("q", "p_all"), "offset": 2, "reduction": "none"},
        ),
        grad=("q", "p", "scale", "bias", "p_all"),
        notes="peer: open_clip SigLipLoss (not installed); by definition",
    ),
    Case(
        "nt_xent_loss",
        al.nt_xent_loss,
        inputs.inbatch,
        ("q", "p"),
        (
            {},
            {"temperature": "@temperature", "reduction": "none"},
            {"sample_weight": "@weight"},
            {"args": ("q", "p_all"), "all_z1": "@q_all", "offset": 2, "reduction": "none"},
        ),
        grad=("q", "p", "temperature", "q_all", "p_all"),
        peers=("pytorch-metric-learning", "optax"),
    ),
    Case(
        "supcon_loss",
        al.supcon_loss,
        inputs.inbatch,
        ("q", "labels"),
        (
            {},
            {"temperature": 0.2, "base_temperature": 0.1, "reduction": "none"},
            {"args": ("views", "labels"), "temperature": "@temperature"},
            {"sample_weight": "@weight"},
        ),
        grad=("q", "views", "temperature"),
        peers=("pytorch-metric-learning",),
    ),
    Case(
        "multiple_negatives_ranking_loss",
        al.multiple_negatives_ranking_loss,
        inputs.mnrl,
        ("q", "p"),
        (
            {},
            {"args": ("q", "p", "negatives_1")},
            {"args": ("q", "p", "negatives_k")},
            {"args": ("q", "p", "negatives_k"), "scale": "@scale", "reduction": "none"},
            {"args": ("q", "p", "negatives_k"), "similarity": "dot", "scale": 1.0},
            {"args": ("q", "p", "negatives_k"), "directions": ALL_DIRECTIONS},
            {
                "args": ("q", "p", "negatives_k"),
                "directions": ("query_to_doc", "doc_to_query"),
                "partition_mode": "per_direction",
                "sample_weight": "@weight",
            },
            *(
                {
                    "args": ("q", "p", "negatives_k"),
                    "hardness_mode": mode,
                    "hardness_strength": 0.5,
                    "_fd": False,
                }
                for mode in ("in_batch_negatives", "hard_negatives", "all_negatives")
            ),
            {
                "args": ("q_local", "p", "negatives_k"),
                "offset": 2,
                "directions": ("query_to_doc", "doc_to_doc"),
            },
            {
                "args": ("q_local", "p", "negatives_k"),
                "offset": 2,
                "all_anchors": "@q",
                "directions": ALL_DIRECTIONS,
                "reduction": "none",
            },
        ),
        grad=("q", "q_local", "p", "negatives_1", "negatives_k", "scale"),
        peers=("sentence-transformers",),
    ),
    Case(
        "multiple_negatives_symmetric_ranking_loss",
        al.multiple_negatives_symmetric_ranking_loss,
        inputs.mnrl,
        ("q", "p"),
        ({}, {"args": ("q", "p", "negatives_k"), "reduction": "none"}, {"scale": "@scale"}),
        grad=("q", "p", "negatives_k", "scale"),
        peers=("sentence-transformers",),
    ),
    Case(
        "matryoshka",
        _matryoshka_case,
        inputs.matryoshka,
        ("q", "p"),
        (
            {},
            {"args": ("q", "p", "negatives"), "dim_weights": (1.0, 0.5, 0.25)},
            {
                "args": ("q", "p", "negatives"),
                "reduction": "none",
                "directions": ("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"),
            },
            {"sample_weight": "@weight", "scale": 5.0},
            {"inner": "info_nce"},
            {"inner": "info_nce", "reduction": "none", "dim_weights": (2.0, 1.0)},
        ),
        grad=("q", "p", "negatives"),
        public=al.matryoshka,
        peers=("sentence-transformers",),
    ),
    # -- recommendation and ranking (arraylosses.ranking)
    Case(
        "bpr_loss",
        al.bpr_loss,
        inputs.ranking,
        ("pos", "neg_k"),
        (
            {},
            {"args": ("pos", "neg_1")},
            {"reduction": "none"},
            {"sample_weight": "@weight", "reduction": "sum"},
        ),
        grad=("pos", "neg_1", "neg_k"),
        peers=("torch", "rax"),
    ),
    Case(
        "dynamic_margin_bpr_loss",
        al.dynamic_margin_bpr_loss,
        inputs.ranking,
        ("pos", "neg_k"),
        tuple(
            {**params, "_fd": False}
            for params in (
                {},
                {"args": ("pos", "neg_1"), "alpha": 0.3},
                {"alpha": "@alpha", "reduction": "none"},
                {"sample_weight": "@weight"},
            )
        ),
        grad=("pos", "neg_1", "neg_k"),
        notes="defined in docs/spec.md (no peer); checked by definition. Its margin is under "
        "stop_gradient, so finite differences of the value are not its gradient: "
        "tests/test_ranking.py checks that its gradient is BPR's with a constant margin",
    ),
    Case(
        "sampled_softmax_loss",
        al.sampled_softmax_loss,
        inputs.ranking,
        ("pos", "neg_k"),
        (
            {},
            {"log_q": "@log_q"},
            {"log_q": "@log_q_nk", "pos_log_q": "@pos_log_q", "reduction": "none"},
            {"num_items": 50, "sample_weight": "@weight"},
            {"pos_ids": "@pos_ids", "neg_ids": "@neg_ids", "log_q": "@log_q"},
            {
                "pos_ids": "@pos_ids",
                "neg_ids": "@shared_neg_ids",
                "num_items": 9,
                "reduction": "sum",
            },
        ),
        grad=("pos", "neg_k"),
        notes="peers TensorFlow sampled_softmax_loss / KerasRS (not installed: TensorFlow); "
        "by definition",
    ),
    Case(
        "normalized_sampled_softmax_loss",
        al.normalized_sampled_softmax_loss,
        inputs.ranking,
        ("square",),
        (
            {"num_items": 5},
            {"num_items": 1000},
            {"num_items": 40, "reduction": "none"},
            {"num_items": 40, "sample_weight": "@square_weight", "eps": 1e-3},
        ),
        grad=("square",),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
    Case(
        "csar_loss",
        al.csar_loss,
        inputs.ranking,
        ("energies", "labels"),
        (
            {},
            {"reduction": "none", "eps": 1e-3},
            {"args": ("energies", "label_probs")},
            {"sample_weight": "@weight", "ignore_index": 2},
        ),
        grad=("energies", "label_probs"),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
    Case(
        "listnet_loss",
        al.listnet_loss,
        inputs.ranking,
        ("list_scores", "relevance"),
        (
            {},
            {"reduction": "none"},
            {"where": "@where"},
            {"where": "@where", "sample_weight": "@list_weight", "reduction": "none"},
            {"sample_weight": "@list_weight"},
        ),
        grad=("list_scores", "relevance"),
        peers=("rax",),
    ),
    # -- regularisers (arraylosses.regularizers)
    Case(
        "orthogonal_loss",
        al.orthogonal_loss,
        inputs.regularizers,
        ("a",),
        ({}, {"mode": "l2"}, {"args": ("n",), "mode": "l2"}),
        grad=("a", "n"),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
    Case(
        "global_orthogonal_regularization",
        al.global_orthogonal_regularization,
        inputs.regularizers,
        ("a", "n"),
        (
            {},
            {"aggregation": "sum", "mean_weight": 0.5},
            {"return_terms": True},
            {"args": ("a",), "second_moment_weight": 2.0},
        ),
        grad=("a", "n"),
        peers=("sentence-transformers",),
    ),
    Case(
        "exclusiveness_loss",
        al.exclusiveness_loss,
        inputs.regularizers,
        ("probs",),
        (
            {},
            {"reduction": "none"},
            {"sample_weight": "@weight"},
            {"args": ("probs_t",), "axis": 0, "reduction": "sum"},
        ),
        grad=("probs", "probs_t"),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
    Case(
        "inclusiveness_loss",
        al.inclusiveness_loss,
        inputs.regularizers,
        ("probs",),
        ({}, {"args": ("probs_t",), "axis": 0}),
        grad=("probs", "probs_t"),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
    # -- retrieval metrics
    *(
        Case(
            f"metrics.{name}",
            getattr(metrics, name),
            inputs.retrieval,
            ("scores", "relevance"),
            RETRIEVAL_PARAMS
            + (
                (
                    {"args": ("scores", "graded"), "k": 4},
                    {"args": ("scores_tied", "graded"), "gain": "exponential"},
                )
                if name == "ndcg_at_k"
                else ()
            ),
            no_grad="piecewise constant in the scores",
            peers=("torchmetrics",),
        )
        for name in (
            "recall_at_k",
            "precision_at_k",
            "hit_rate_at_k",
            "mrr",
            "ndcg_at_k",
            "map_at_k",
        )
    ),
    # -- similarity
    Case(
        "cosine_similarity",
        al.cosine_similarity,
        inputs.embeddings,
        ("a", "b"),
        ({}, {"args": ("a_t", "b_t"), "axis": 0}),
        grad=("a", "b", "a_t", "b_t"),
        peers=("torch",),
    ),
    Case(
        "pairwise_cosine_similarity",
        al.pairwise_cosine_similarity,
        inputs.embeddings,
        ("a", "c"),
        grad=("a", "c"),
        peers=("torch",),
    ),
    Case(
        "pairwise_dot",
        al.pairwise_dot,
        inputs.embeddings,
        ("a", "c"),
        grad=("a", "c"),
        peers=("torch",),
    ),
    Case(
        "pairwise_euclidean_distance",
        al.pairwise_euclidean_distance,
        inputs.embeddings,
        ("a", "c"),
        ({}, {"squared": True}),
        grad=("a", "c"),
        peers=("torch", "scikit-learn"),
    ),
    Case(
        "l2_normalize",
        al.l2_normalize,
        inputs.embeddings,
        ("a",),
        ({}, {"axis": 0}),
        grad=("a",),
        peers=("torch",),
    ),
    # -- metrics
    _metric_case("mean_squared_error", metrics.mean_squared_error, METRIC_PARAMS),
    _metric_case("root_mean_squared_error", metrics.root_mean_squared_error, METRIC_PARAMS),
    _metric_case("mean_absolute_error", metrics.mean_absolute_error, METRIC_PARAMS),
    _metric_case(
        "mean_absolute_percentage_error", metrics.mean_absolute_percentage_error, METRIC_PARAMS
    ),
    _metric_case("r2_score", metrics.r2_score, VARIANCE_PARAMS),
    _metric_case("explained_variance_score", metrics.explained_variance_score, VARIANCE_PARAMS),
    Case(
        "metrics.mean_cosine_similarity",
        metrics.mean_cosine_similarity,
        inputs.rowwise,
        ("pred", "target"),
        ({}, {"sample_weight": "@weight"}),
        grad=("pred", "target"),
        peers=("torchmetrics",),
    ),
)

BY_NAME: dict[str, Case] = {case.name: case for case in CASES}


def public_names() -> list[str]:
    """Every public function: ``arraylosses.__all__`` and ``metrics.__all__`` (prefixed)."""
    top = [n for n in al.__all__ if callable(getattr(al, n))]
    return top + [f"metrics.{n}" for n in metrics.__all__]
