"""Registry cases of :mod:`arraylosses.contrastive`: pair and triplet losses (``pairs``),
in-batch losses (``inbatch``), multiple negatives ranking (``mnrl``) and ``matryoshka``."""

from __future__ import annotations

from typing import Any

import arraylosses as al

from .. import inputs
from .._peer import pair, peer, peer_module
from ._case import ALL_DIRECTIONS, MONOTONE, Adapter, Case, Hostile, Params, Ref

__all__ = ["CASES"]

_TEMPERATURES = ({"temperature": 1e-3},)


def _sharded(all_name: str | None = None) -> tuple[str, ...]:
    """The per-batch keywords of a sharded in-batch loss: ``offset``, its ``all_*`` array
    (when the loss gathers one) and ``sample_weight``."""
    return ("offset", *((all_name,) if all_name else ()), "sample_weight")


def _lightly_dcl(weighted: bool, temperature: float, sigma: float = 0.5) -> Any:
    """lightly's ``DCLLoss`` / ``DCLWLoss`` as a function of ``(z1, z2)`` (torch tensors).
    ``DCLWLoss`` builds its weights with ``torch.tensor(tensor)``, a UserWarning (harmless:
    the weights are meant to be detached)."""

    def theirs(z1: Any, z2: Any) -> Any:
        import warnings

        module = peer_module("lightly.loss.dcl_loss")
        if not weighted:
            return module.DCLLoss(temperature=temperature)(z1, z2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return module.DCLWLoss(temperature=temperature, sigma=sigma)(z1, z2)

    return theirs


def _matryoshka_case(
    q: Any,
    p: Any,
    negatives: Any = None,
    *,
    inner: str = "mnrl",
    dim_weights: tuple[float, ...] | None = None,
    sample_weight: Any = None,
    reduction: str = "mean",
    **options: Any,
) -> Any:
    """``matryoshka`` around MNRL (``inner="mnrl"``: the partial-dot-product path, dims
    (6, 4, 2) of D = 6) or InfoNCE (``inner="info_nce"``: the generic truncate-and-call path,
    dims (6, 3)); ``options`` are the wrapped loss's other keywords."""
    if inner == "mnrl":
        loss = al.matryoshka(al.multiple_negatives_ranking_loss, (6, 4, 2), dim_weights=dim_weights)
        return loss(q, p, negatives, sample_weight=sample_weight, reduction=reduction, **options)
    loss = al.matryoshka(al.info_nce, (6, 3), dim_weights=dim_weights)
    return loss(q, p, sample_weight=sample_weight, reduction=reduction, **options)


TITLE = "Embedding and contrastive losses"  # its docs section
MODULE = "arraylosses.contrastive"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    # arraylosses.contrastive.pairs
    Case(
        fn=al.contrastive_loss,
        adapter=Adapter(not_learnable={"margin": MONOTONE}),
        inputs=inputs.pairs,
        args=("a", "b", "bits"),
        params=(
            Params(),
            Params(margin=3.0),
            Params(distance="cosine", margin=0.5),
            Params(margin=Ref("margin"), reduction="none"),
            Params(args=("a", "b", "soft")),
            Params(sample_weight=Ref("weight"), margin=3.0),
        ),
        grad=("a", "b", "margin"),
        peers=("sentence-transformers",),
    ),
    Case(
        fn=al.online_contrastive_loss,
        adapter=Adapter(not_learnable={"margin": MONOTONE}),
        inputs=inputs.pairs,
        args=("a", "b", "bits"),
        params=(
            Params(),
            Params(distance="euclidean", margin=3.0),
            Params(reduction="none"),
            Params(reduction="mean", margin=Ref("margin")),
            Params(args=("a", "b", "all_positive")),
        ),
        grad=("a", "b", "margin"),
        peers=("sentence-transformers",),
    ),
    Case(
        fn=al.triplet_margin_loss,
        adapter=Adapter(not_learnable={"margin": MONOTONE}),
        inputs=inputs.pairs,
        args=("a", "b", "c"),
        params=(
            Params(),
            Params(swap=True),
            Params(p=1.5),
            Params(distance="cosine", margin=0.5),
            Params(margin=Ref("margin"), reduction="none"),
            Params(eps=0.0, margin=5.0),
            Params(sample_weight=Ref("weight"), margin=3.0),
        ),
        grad=("a", "b", "c", "margin"),
        peers=("torch", "optax", "sentence-transformers"),
    ),
    Case(
        fn=al.cosine_embedding_loss,
        adapter=Adapter(not_learnable={"margin": MONOTONE}),
        inputs=inputs.pairs,
        args=("a", "b", "signs"),
        params=(
            Params(),
            Params(margin=0.2, reduction="none"),
            Params(sample_weight=Ref("weight")),
            Params(margin=Ref("margin")),
        ),
        grad=("a", "b"),
        peers=("torch",),
    ),
    Case(
        fn=al.cosent_loss,
        reference="cosent_loss",
        # log(1 + Σ over the pairs): no pair gives 0, as sentence-transformers
        hostile=Hostile(empty="zero", extreme=({"scale": 100.0}, {"scale": 1000.0})),
        adapter=Adapter(per_batch=(), learnable=("scale",), positive=("scale",)),
        inputs=inputs.pairs,
        args=("a", "b", "scores"),
        params=(
            Params(),
            Params(scale=5.0),
            Params(scale=Ref("scale")),
            Params(args=("a", "b", "bits")),
        ),
        grad=("a", "b", "scale"),
        peers=("sentence-transformers",),
    ),
    Case(
        fn=al.angle_loss,
        reference="angle_loss",
        hostile=Hostile(empty="zero", extreme=({"scale": 100.0}, {"scale": 1000.0})),
        adapter=Adapter(per_batch=(), learnable=("scale",), positive=("scale",)),
        inputs=inputs.pairs,
        args=("a", "b", "scores"),
        params=(Params(), Params(scale=Ref("scale")), Params(args=("a_odd", "b_odd", "scores"))),
        grad=("a", "b", "a_odd", "b_odd", "scale"),
        peers=("sentence-transformers",),
    ),
    # arraylosses.contrastive.inbatch
    Case(
        fn=al.info_nce,
        kind="in_batch",
        hostile=Hostile(extreme=_TEMPERATURES),
        adapter=Adapter(
            per_batch=_sharded("all_query"), learnable=("temperature",), positive=("temperature",)
        ),
        inputs=inputs.inbatch,
        args=("q", "p"),
        params=(
            Params(),
            Params(reduction="none", temperature=Ref("temperature")),
            Params(symmetric=True),
            Params(similarity="dot", temperature=2.0),
            Params(args=("q", "p_gathered"), offset=3, sample_weight=Ref("weight")),
            Params(args=("q", "p", "negatives")),
            Params(args=("q", "p", "paired_negatives"), negative_mode="paired", reduction="sum"),
            Params(
                args=("q", "p_all"),
                symmetric=True,
                all_query=Ref("q_all"),
                offset=2,
                reduction="none",
            ),
            # chunk_size: the matrix in tiles (sizes that do not divide the batch); the chunked
            # path against the dense one, in depth: tests/test_chunked.py
            Params(symmetric=True, temperature=Ref("temperature"), similarity="dot", chunk_size=4),
            Params(
                args=("q", "p_all"),
                symmetric=True,
                all_query=Ref("q_all"),
                offset=2,
                reduction="none",
                chunk_size=4,
            ),
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
        fn=al.entropy_adaptive_info_nce,
        kind="in_batch",
        hostile=Hostile(extreme=({"min_temperature": 1e-3, "max_temperature": 1e-3},)),
        inputs=inputs.inbatch,
        args=("q", "p"),
        params=(
            Params(finite_differences=False),
            Params(reduction="none", finite_differences=False),
            Params(min_temperature=0.05, max_temperature=0.5, finite_differences=False),
            Params(sample_weight=Ref("weight"), finite_differences=False),
            Params(return_temperature=True, finite_differences=False),
        ),
        grad=("q", "p"),
        notes="defined in docs/spec.md (no peer); checked by definition. Its temperature is under "
        "stop_gradient, so finite differences of the value are not its gradient: "
        "tests/test_inbatch.py checks the gradient against finite differences with the "
        "temperature frozen",
    ),
    Case(
        fn=al.clip_loss,
        kind="in_batch",
        hostile=Hostile(extreme=({"logit_scale": 1e3},)),
        adapter=Adapter(
            per_batch=_sharded("all_image_emb"),
            learnable=("logit_scale",),
            positive=("logit_scale",),
        ),
        inputs=inputs.inbatch,
        args=("q", "p"),
        params=(
            Params(),
            Params(logit_scale=Ref("scale"), reduction="none"),
            Params(sample_weight=Ref("weight")),
            Params(args=("q", "p_all"), all_image_emb=Ref("q_all"), offset=2, reduction="none"),
            Params(logit_scale=Ref("scale"), chunk_size=2),
            Params(
                args=("q", "p_all"),
                all_image_emb=Ref("q_all"),
                offset=2,
                reduction="none",
                chunk_size=4,
            ),
        ),
        grad=("q", "p", "scale", "q_all", "p_all"),
        notes="peer: open_clip ClipLoss (not installed); by definition",
    ),
    Case(
        fn=al.siglip_loss,
        kind="in_batch",
        hostile=Hostile(extreme=({"logit_scale": 1e3, "logit_bias": -1e3},)),
        adapter=Adapter(
            per_batch=_sharded(), learnable=("logit_scale", "logit_bias"), positive=("logit_scale",)
        ),
        inputs=inputs.inbatch,
        args=("q", "p"),
        params=(
            Params(),
            Params(logit_scale=Ref("scale"), logit_bias=Ref("bias"), reduction="none"),
            Params(sample_weight=Ref("weight"), reduction="sum"),
            Params(args=("q", "p_all"), offset=2, reduction="none"),
            Params(
                logit_scale=Ref("scale"), logit_bias=Ref("bias"), reduction="none", chunk_size=2
            ),
            Params(args=("q", "p_all"), offset=2, chunk_size=4),
        ),
        grad=("q", "p", "scale", "bias", "p_all"),
        notes="peer: open_clip SigLipLoss (not installed); by definition",
    ),
    Case(
        fn=al.nt_xent_loss,
        kind="in_batch",
        hostile=Hostile(extreme=_TEMPERATURES),
        adapter=Adapter(
            per_batch=_sharded("all_z1"), learnable=("temperature",), positive=("temperature",)
        ),
        inputs=inputs.inbatch,
        args=("q", "p"),
        params=(
            Params(),
            Params(temperature=Ref("temperature"), reduction="none"),
            Params(sample_weight=Ref("weight")),
            Params(args=("q", "p_all"), all_z1=Ref("q_all"), offset=2, reduction="none"),
            Params(temperature=Ref("temperature"), chunk_size=2),
            Params(
                args=("q", "p_all"), all_z1=Ref("q_all"), offset=2, reduction="none", chunk_size=4
            ),
        ),
        grad=("q", "p", "temperature", "q_all", "p_all"),
        peers=("pytorch-metric-learning", "optax"),
    ),
    Case(
        fn=al.supcon_loss,
        kind="in_batch",
        hostile=Hostile(extreme=(*_TEMPERATURES, {"temperature": 1e-3, "base_temperature": 1e-3})),
        # no learnable temperature: the loss scales by temperature / base_temperature, whose
        # gradient always pushes the temperature down (arraylosses.torch says so)
        adapter=Adapter(
            always_int=True,
            not_learnable={
                "temperature": "supcon_loss multiplies the loss by temperature / "
                "base_temperature, so the gradient always pushes temperature down (learned, it "
                "ran from 0.07 to -15.7 in 300 Adam steps, the loss to -356)",
                "base_temperature": "supcon_loss divides the loss by base_temperature, so "
                "learned it only grows and the loss goes to 0",
            },
        ),
        exceptions={
            "mean_of_none": "anchors without positives count 0 under 'none' and are left out "
            "of 'mean' (and of the weighted mean), documented"
        },
        inputs=inputs.inbatch,
        args=("q", "labels"),
        params=(
            Params(),
            Params(temperature=0.2, base_temperature=0.1, reduction="none"),
            Params(args=("views", "labels"), temperature=Ref("temperature")),
            Params(sample_weight=Ref("weight")),
            Params(chunk_size=2, reduction="none"),
            Params(args=("views", "labels"), temperature=Ref("temperature"), chunk_size=4),
        ),
        grad=("q", "views", "temperature"),
        peers=("pytorch-metric-learning",),
    ),
    # arraylosses.contrastive.mnrl
    Case(
        fn=al.multiple_negatives_ranking_loss,
        kind="in_batch",
        hostile=Hostile(extreme=({"scale": 1e3},)),
        adapter=Adapter(
            per_batch=_sharded("all_anchors"), learnable=("scale",), positive=("scale",)
        ),
        inputs=inputs.mnrl,
        args=("q", "p"),
        params=(
            Params(),
            Params(args=("q", "p", "negatives_1")),
            Params(args=("q", "p", "negatives_k")),
            Params(args=("q", "p", "negatives_k"), scale=Ref("scale"), reduction="none"),
            Params(args=("q", "p", "negatives_k"), similarity="dot", scale=1.0),
            Params(args=("q", "p", "negatives_k"), directions=ALL_DIRECTIONS),
            Params(
                args=("q", "p", "negatives_k"),
                directions=("query_to_doc", "doc_to_query"),
                partition_mode="per_direction",
                sample_weight=Ref("weight"),
            ),
            *(
                Params(
                    args=("q", "p", "negatives_k"),
                    hardness_mode=mode,
                    hardness_strength=0.5,
                    finite_differences=False,
                )
                for mode in ("in_batch_negatives", "hard_negatives", "all_negatives")
            ),
            Params(
                args=("q_local", "p", "negatives_k"),
                offset=2,
                directions=("query_to_doc", "doc_to_doc"),
            ),
            Params(
                args=("q_local", "p", "negatives_k"),
                offset=2,
                all_anchors=Ref("q"),
                directions=ALL_DIRECTIONS,
                reduction="none",
            ),
            Params(args=("q", "p", "negatives_k"), directions=ALL_DIRECTIONS, chunk_size=2),
            Params(
                args=("q", "p", "negatives_k"),
                directions=("query_to_doc", "doc_to_query"),
                partition_mode="per_direction",
                similarity="dot",
                scale=1.0,
                chunk_size=2,
            ),
            Params(
                args=("q", "p", "negatives_k"),
                hardness_mode="all_negatives",
                hardness_strength=0.5,
                scale=Ref("scale"),
                finite_differences=False,
                chunk_size=4,
            ),
            Params(
                args=("q_local", "p", "negatives_k"),
                offset=2,
                all_anchors=Ref("q"),
                directions=ALL_DIRECTIONS,
                reduction="none",
                chunk_size=2,
            ),
        ),
        grad=("q", "q_local", "p", "negatives_1", "negatives_k", "scale"),
        peers=("sentence-transformers",),
    ),
    Case(
        fn=al.multiple_negatives_symmetric_ranking_loss,
        kind="in_batch",
        hostile=Hostile(extreme=({"scale": 1e3},)),
        adapter=Adapter(
            per_batch=_sharded("all_anchors"), learnable=("scale",), positive=("scale",)
        ),
        inputs=inputs.mnrl,
        args=("q", "p"),
        params=(
            Params(),
            Params(args=("q", "p", "negatives_k"), reduction="none"),
            Params(scale=Ref("scale")),
            Params(args=("q", "p", "negatives_k"), scale=Ref("scale"), chunk_size=2),
        ),
        grad=("q", "p", "negatives_k", "scale"),
        peers=("sentence-transformers",),
    ),
    # arraylosses.contrastive.matryoshka
    Case(
        fn=_matryoshka_case,
        kind="in_batch",
        hostile=Hostile(extreme=({"scale": 1e3},)),
        adapter=Adapter(module=False),  # a loss combinator: arraylosses.torch.Matryoshka
        inputs=inputs.matryoshka,
        args=("q", "p"),
        params=(
            Params(),
            Params(args=("q", "p", "negatives"), dim_weights=(1.0, 0.5, 0.25)),
            Params(
                args=("q", "p", "negatives"),
                reduction="none",
                directions=("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"),
            ),
            Params(sample_weight=Ref("weight"), scale=5.0),
            Params(inner="info_nce"),
            Params(inner="info_nce", reduction="none", dim_weights=(2.0, 1.0)),
            Params(args=("q", "p", "negatives"), reduction="none", chunk_size=2),
        ),
        grad=("q", "p", "negatives"),
        public=al.matryoshka,
        peers=("sentence-transformers",),
    ),
    # arraylosses.contrastive.decoupled
    Case(
        fn=al.dcl_loss,
        kind="in_batch",
        hostile=Hostile(extreme=_TEMPERATURES),
        adapter=Adapter(
            per_batch=_sharded("all_z1"), learnable=("temperature",), positive=("temperature",)
        ),
        inputs=inputs.inbatch,
        args=("q", "p"),
        params=(
            Params(),
            Params(args=("q", "p_all"), all_z1=Ref("q_all"), offset=2, reduction="none"),
            Params(temperature=Ref("temperature"), sample_weight=Ref("weight"), chunk_size=5),
        ),
        grad=("q", "p", "temperature", "q_all", "p_all"),
        checks=tuple(
            peer(
                f"lightly DCLLoss(temperature={t})",
                "lightly",
                pair(
                    lambda q, p, t=t: al.dcl_loss(q, p, temperature=t),
                    _lightly_dcl(False, t),
                    "q",
                    "p",
                ),
            )
            for t in (0.1, 0.5)
        ),
    ),
    Case(
        fn=al.dclw_loss,
        kind="in_batch",
        hostile=Hostile(extreme=_TEMPERATURES),
        adapter=Adapter(
            per_batch=_sharded("all_z1"), learnable=("temperature",), positive=("temperature",)
        ),
        inputs=inputs.inbatch,
        args=("q", "p"),
        # the weights hold a stop_gradient (lightly's and the paper's): the gradient is not
        # the value's derivative, so it is checked against lightly's (checks) instead
        params=(
            Params(finite_differences=False),
            Params(
                args=("q", "p_all"),
                all_z1=Ref("q_all"),
                offset=2,
                sigma=0.3,
                reduction="none",
                finite_differences=False,
            ),
            Params(
                temperature=Ref("temperature"),
                sample_weight=Ref("weight"),
                chunk_size=5,
                finite_differences=False,
            ),
        ),
        grad=("q", "p", "temperature", "q_all", "p_all"),
        checks=tuple(
            peer(
                f"lightly DCLWLoss(temperature={t}, sigma={s})",
                "lightly",
                pair(
                    lambda q, p, t=t, s=s: al.dclw_loss(q, p, temperature=t, sigma=s),
                    _lightly_dcl(True, t, s),
                    "q",
                    "p",
                ),
            )
            for t, s in ((0.1, 0.5), (0.5, 0.2))
        ),
    ),
)


# --- wave 3 (helper wt6): online triplet mining, GIST, MaxSim ranking -----------------------
# (builders and peer calls first, then the records, appended to CASES)

import numpy as _np  # noqa: E402

from .._peer import pair as _pair  # noqa: E402
from .._peer import peer as _peer  # noqa: E402


def _mining_batch(rng: _np.random.Generator) -> dict[str, _np.ndarray]:
    """8 rows of width 4 in 4 classes, one of them a singleton (an anchor without a positive),
    and a row 3x farther out in a class of two (its positive pair has no farther negative)."""
    x = rng.normal(scale=0.5, size=(8, 4))  # squared distances of order 1 (bfloat16's rounding)
    x[6] *= 3.0
    return {
        "x": x,
        "labels": _np.array([0, 0, 0, 1, 1, 2, 2, 3]),
        "weight": rng.uniform(0.5, 2.0, size=8),
        "margin": _np.asarray(0.8),
    }


_ST_MINING = {
    "batch_hard_triplet_loss": "BatchHardTripletLoss",
    "batch_hard_soft_margin_triplet_loss": "BatchHardSoftMarginTripletLoss",
    "batch_all_triplet_loss": "BatchAllTripletLoss",
    "batch_semi_hard_triplet_loss": "BatchSemiHardTripletLoss",
}
_MINING_SETTINGS = (("euclidean", 5.0), ("squared_euclidean", 3.0), ("cosine", 0.3))


def _st_mining(name: str, distance: str, margin: float) -> Any:
    """sentence-transformers' ``<Loss>(model, distance_metric=…, margin=…)`` as
    ``compute_loss_from_embeddings([x], labels)``: built without ``__init__`` (which only
    stores the model)."""

    def call(x: Any, labels: Any) -> Any:
        from functools import partial

        import torch
        from sentence_transformers.sentence_transformer import losses
        from sentence_transformers.sentence_transformer.losses.batch_hard_triplet import (
            BatchHardTripletLossDistanceFunction as F,
        )

        metric = {
            "euclidean": F.euclidean_distance,
            "squared_euclidean": partial(F.euclidean_distance, squared=True),
            "cosine": F.cosine_distance,
        }[distance]
        cls = getattr(losses, _ST_MINING[name])
        loss = cls.__new__(cls)
        torch.nn.Module.__init__(loss)
        loss.distance_metric = metric
        loss.margin = loss.triplet_margin = margin
        return loss.compute_loss_from_embeddings([x], labels)

    return call


def _mining_checks(fn: Any, *, soft: bool = False) -> tuple[Any, ...]:
    checks = []
    for distance, margin in _MINING_SETTINGS:
        kw: dict[str, Any] = {"distance": distance} | ({} if soft else {"margin": margin})

        def ours(x: Any, labels: Any, kw: dict[str, Any] = kw) -> Any:
            return fn(x, labels, **kw)

        spelled = ", ".join(f"{k}={v!r}" for k, v in kw.items())
        checks.append(
            _peer(
                f"sentence_transformers {_ST_MINING[fn.__name__]}({spelled})",
                "sentence_transformers",
                _pair(ours, _st_mining(fn.__name__, distance, margin), "x", "labels"),
                rtol=1e-10,
                atol=1e-9 if soft else 1e-12,
                deviation="torch's softplus is linear above 20 (off by <= 2e-9)" if soft else "",
            )
        )
    return tuple(checks)


def _mining_case(fn: Any, *, soft: bool = False) -> Case:
    margin: dict[str, Any] = {} if soft else {"margin": Ref("margin")}
    return Case(
        fn=fn,
        adapter=Adapter(not_learnable={} if soft else {"margin": MONOTONE}),
        inputs=_mining_batch,
        args=("x", "labels"),
        params=(
            Params(),
            Params(distance="squared_euclidean", reduction="none", **margin),
            Params(distance="cosine", sample_weight=Ref("weight")),
        ),
        grad=("x",) if soft else ("x", "margin"),
        checks=_mining_checks(fn, soft=soft),
        reference=fn.__name__,
        exceptions={}
        if fn in (al.batch_hard_triplet_loss, al.batch_hard_soft_margin_triplet_loss)
        else {
            "mean_over_units": "'none' sums an anchor's triplets; 'mean' divides by their number"
        },
    )


CASES = (
    *CASES,
    _mining_case(al.batch_hard_triplet_loss),
    _mining_case(al.batch_hard_soft_margin_triplet_loss, soft=True),
    _mining_case(al.batch_all_triplet_loss),
    _mining_case(al.batch_semi_hard_triplet_loss),
)


def _gist_batch(rng: _np.random.Generator) -> dict[str, _np.ndarray]:
    """6 anchors of width 4 and a guide of width 3 whose positives sit near their anchors, so
    that the guide removes some candidates (a few anchors' guide positive similarity is
    negative); ``a_local``: anchors 2..4 of a 3-device batch (``offset=2``)."""
    b, d, g = 6, 4, 3
    a = rng.normal(size=(b, d))
    ga = rng.normal(size=(b, g))
    return {
        "a": a,
        "a_local": a[2:5],
        "p": a + 0.7 * rng.normal(size=(b, d)),
        "n_1": rng.normal(size=(b, d)),
        "n_k": rng.normal(size=(b, 3, d)),
        "ga": ga,
        "ga_local": ga[2:5],
        "gp": ga + 0.9 * rng.normal(size=(b, g)),
        "gn_1": rng.normal(size=(b, g)),
        "gn_k": rng.normal(size=(b, 3, g)),
        "weight": rng.uniform(0.5, 2.0, size=b),
        "temperature": _np.asarray(0.3),
    }


_GIST_CONFIGS: tuple[dict[str, Any], ...] = (
    {"margin_strategy": "absolute", "margin": 0.0},
    {"margin_strategy": "relative", "margin": 0.3, "contrast_anchors": False},
    {"margin_strategy": "absolute", "margin": 0.1, "contrast_positives": False},
)


def _gist_ours(**options: Any) -> Any:
    def call(a: Any, p: Any, n: Any, ga: Any, gp: Any, gn: Any) -> Any:
        return al.gist_embed_loss(
            a, p, n, guide_anchors=ga, guide_positives=gp, guide_negatives=gn, **options
        )

    return call


def _st_gist(cached: bool, *, rank: int = 0, **options: Any) -> Any:
    """sentence-transformers' GISTEmbedLoss (one negative column; its ``forward`` on stand-in
    model and guide that return the given embeddings, ``gather_across_devices`` with an
    identity all-gather of arrays already gathered and ``get_rank() = rank``) or
    CachedGISTEmbedLoss's ``calculate_loss`` (any number of negative columns). ``__init__``
    is bypassed: it only compares the tokenizers."""
    settings = {
        "temperature": 0.01,
        "margin_strategy": "absolute",
        "margin": 0.0,
        "contrast_anchors": True,
        "contrast_positives": True,
    } | options

    def call(a: Any, p: Any, n: Any, ga: Any, gp: Any, gn: Any) -> Any:
        from unittest import mock

        import torch
        from sentence_transformers.sentence_transformer.losses import (
            cached_gist_embed,
            gist_embed,
        )

        cls = cached_gist_embed.CachedGISTEmbedLoss if cached else gist_embed.GISTEmbedLoss
        loss: Any = cls.__new__(cls)
        torch.nn.Module.__init__(loss)
        for k, v in settings.items():
            setattr(loss, k, v)
        loss.similarity_fct = torch.nn.CosineSimilarity(dim=-1)
        loss.cross_entropy_loss = torch.nn.CrossEntropyLoss()
        loss.gather_across_devices = rank > 0
        if cached:
            loss.mini_batch_size, loss.show_progress_bar = 2, False
            cols = [n[:, k] for k in range(n.shape[1])]
            gcols = [gn[:, k] for k in range(gn.shape[1])]
            return loss.calculate_loss(
                [[a], [p], *[[c] for c in cols]], [[ga], [gp], *[[c] for c in gcols]]
            )
        loss.model, loss.guide, loss.must_retokenize = "model", "guide", False
        columns = {"model": [a, p, n], "guide": [ga, gp, gn]}
        with (
            mock.patch.object(gist_embed, "embed_columns", lambda m, f: columns[m]),
            mock.patch.object(gist_embed, "all_gather_with_grad", lambda x: x),
            mock.patch.object(gist_embed, "get_rank", lambda: rank),
        ):
            return loss.forward([{}, {}, {}], None)

    return call


_GIST_NAMES = ("a", "p", "n_1", "ga", "gp", "gn_1")
_GIST_K = ("a", "p", "n_k", "ga", "gp", "gn_k")
_GIST_LOCAL = ("a_local", "p", "n_1", "ga_local", "gp", "gn_1")


def _gist_checks() -> tuple[Any, ...]:
    def check(what: str, names: tuple[str, ...], ours: Any, theirs: Any) -> Any:
        return _peer(
            what, "sentence_transformers", _pair(ours, theirs, *names, grad=names[:3]), rtol=1e-10
        )

    checks = [
        check(
            f"sentence_transformers GISTEmbedLoss({', '.join(f'{k}={v!r}' for k, v in o.items())})",
            _GIST_NAMES,
            _gist_ours(temperature=0.05, **o),
            _st_gist(False, temperature=0.05, **o),
        )
        for o in _GIST_CONFIGS
    ]
    for chunk in (None, 2, 4):
        checks.append(
            check(
                "sentence_transformers CachedGISTEmbedLoss (3 negative columns; ours "
                f"chunk_size={chunk})",
                _GIST_K,
                _gist_ours(temperature=0.05, margin=0.1, chunk_size=chunk),
                _st_gist(True, temperature=0.05, margin=0.1),
            )
        )
    for chunk in (None, 3):
        checks.append(
            check(
                "sentence_transformers GISTEmbedLoss(gather_across_devices=True), rank 1 of 2 "
                f"(ours offset=3, chunk_size={chunk})",
                ("a_local3", "p", "n_1", "ga_local3", "gp", "gn_1"),
                _gist_ours(temperature=0.05, offset=3, chunk_size=chunk),
                _st_gist(False, rank=1, temperature=0.05),
            )
        )
    return tuple(checks)


def _gist_inputs(rng: _np.random.Generator) -> dict[str, _np.ndarray]:
    arrays = _gist_batch(rng)
    return arrays | {"a_local3": arrays["a"][3:], "ga_local3": arrays["ga"][3:]}


CASES = (
    *CASES,
    Case(
        fn=al.gist_embed_loss,
        kind="in_batch",
        hostile=Hostile(extreme=({"temperature": 1e-3},)),
        adapter=Adapter(
            per_batch=(
                "offset",
                "guide_anchors",
                "guide_positives",
                "guide_negatives",
                "sample_weight",
            ),
            learnable=("temperature",),
            positive=("temperature",),
            not_learnable={"margin": "it only decides which candidates the guide removes"},
        ),
        inputs=_gist_inputs,
        args=("a", "p"),
        params=(
            Params(guide_anchors=Ref("ga"), guide_positives=Ref("gp"), temperature=0.05),
            Params(
                args=("a", "p", "n_k"),
                guide_anchors=Ref("ga"),
                guide_positives=Ref("gp"),
                guide_negatives=Ref("gn_k"),
                margin_strategy="relative",
                margin=0.3,
                temperature=Ref("temperature"),
                sample_weight=Ref("weight"),
                reduction="none",
            ),
            Params(
                args=("a_local", "p", "n_1"),
                guide_anchors=Ref("ga_local"),
                guide_positives=Ref("gp"),
                guide_negatives=Ref("gn_1"),
                offset=2,
                chunk_size=2,
                temperature=0.05,
            ),
        ),
        grad=("a", "p", "n_k", "a_local", "n_1", "temperature"),
        checks=_gist_checks(),
    ),
)


def _maxsim_batch(rng: _np.random.Generator) -> dict[str, _np.ndarray]:
    """3 queries (4 tokens) against 5 gathered documents (3 tokens) and negatives (2 tokens,
    1 or 2 columns), width 4, with masks; ``q_local``: queries 1..2 (``offset=1``)."""
    q = rng.normal(size=(3, 4, 4))
    q_mask = _np.ones((3, 4), dtype=bool)
    q_mask[0, 3] = q_mask[2, 2:] = False
    d_mask = _np.ones((5, 3), dtype=bool)
    d_mask[1, 0] = d_mask[4, 1:] = False
    return {
        "q": q,
        "q_local": q[1:],
        "q_mask_local": q_mask[1:],
        "d": rng.normal(size=(5, 3, 4)),
        "n_1": rng.normal(size=(5, 2, 4)),
        "n_k": rng.normal(size=(5, 2, 2, 4)),
        "q_mask": q_mask,
        "d_mask": d_mask,
        "weight": rng.uniform(0.5, 2.0, size=3),
        "weight_local": rng.uniform(0.5, 2.0, size=2),
        "scale": _np.asarray(2.0),
    }


def _maxsim_ours(scale: float) -> Any:
    def call(q: Any, d: Any, n: Any) -> Any:
        return al.maxsim_ranking_loss(q, d, n, scale=scale)

    return call


def _pylate_ce(scale: float) -> Any:
    """``F.cross_entropy(scale · cat(colbert_scores(q, d), colbert_scores(q, n_k)…), arange)``,
    PyLate's scores in float64, without masks."""

    def call(q: Any, d: Any, n: Any) -> Any:
        import pylate.scores
        import torch

        cols = [n] if n.ndim == 3 else [n[:, k] for k in range(n.shape[1])]
        scores = torch.cat([pylate.scores.colbert_scores(q, c) for c in [d, *cols]], dim=1)
        return torch.nn.functional.cross_entropy(scale * scores, torch.arange(q.shape[0]))

    return call


CASES = (
    *CASES,
    Case(
        fn=al.maxsim_ranking_loss,
        kind="in_batch",
        hostile=Hostile(extreme=({"scale": 1e3},)),
        adapter=Adapter(
            per_batch=("offset", "query_mask", "document_mask", "negative_mask", "sample_weight"),
            learnable=("scale",),
            positive=("scale",),
        ),
        inputs=_maxsim_batch,
        args=("q", "d"),
        params=(
            Params(),
            Params(args=("q", "d", "n_k"), scale=Ref("scale"), reduction="none"),
            Params(
                args=("q_local", "d", "n_1"),
                query_mask=Ref("q_mask_local"),
                document_mask=Ref("d_mask"),
                length_normalize=True,
                offset=1,
                chunk_size=2,
                sample_weight=Ref("weight_local"),
            ),
        ),
        grad=("q", "d", "n_k", "q_local", "n_1", "scale"),
        checks=tuple(
            _peer(
                f"pylate scores.colbert_scores + F.cross_entropy (scale={s}, {k} negative "
                "columns; float64, no masks)",
                "pylate.scores",
                _pair(_maxsim_ours(s), _pylate_ce(s), "q", "d", names),
                rtol=1e-10,
            )
            for s, k, names in ((1.0, 1, "n_1"), (0.5, 2, "n_k"), (2.0, 2, "n_k"))
        ),
    ),
)
