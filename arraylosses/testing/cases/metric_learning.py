"""Registry cases of :mod:`arraylosses.metric_learning`: the proxy losses (``proxies``) and the
pair losses (``pairs``). The peer is pytorch-metric-learning (PML) 2.9, called in float64
with the proxies passed in through ``torch.func.functional_call`` (so that the gradients
reach them); Keras 3 for Circle's values."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import arraylosses as al

from .. import inputs
from .._peer import pair, peer
from ._case import Adapter, Case, Hostile, Owned, Params, Ref

__all__ = ["CASES"]

PML = "pytorch_metric_learning"


def _pml_w(make: Callable[[int, int], Any], *, sub_centers: int = 0) -> Callable[..., Any]:
    """A PML proxy loss (``make(C, D)``) with its ``W`` ``(D, C)`` set to our proxies'
    transpose (``(C, K, D)`` sub-centres: columns ``c·K + k``)."""

    def theirs(x: Any, labels: Any, proxies: Any) -> Any:
        import torch

        c, d = proxies.shape[0], proxies.shape[-1]
        w = proxies.reshape(-1, d).T
        return torch.func.functional_call(make(c, d), {"W": w}, (x, labels))

    return theirs


def _arcface_pml(scale: float, margin: float) -> Callable[..., Any]:
    def make(c: int, d: int) -> Any:
        from pytorch_metric_learning.losses import ArcFaceLoss

        return ArcFaceLoss(
            num_classes=c, embedding_size=d, margin=math.degrees(margin), scale=scale
        )

    return _pml_w(make)


def _cosface_pml(scale: float, margin: float) -> Callable[..., Any]:
    def make(c: int, d: int) -> Any:
        from pytorch_metric_learning.losses import CosFaceLoss

        return CosFaceLoss(num_classes=c, embedding_size=d, margin=margin, scale=scale)

    return _pml_w(make)


def _sub_center_pml(k: int, scale: float, margin: float) -> Callable[..., Any]:
    def make(c: int, d: int) -> Any:
        from pytorch_metric_learning.losses import SubCenterArcFaceLoss

        return SubCenterArcFaceLoss(
            num_classes=c,
            embedding_size=d,
            sub_centers=k,
            margin=math.degrees(margin),
            scale=scale,
        )

    return _pml_w(make)


def _normalized_softmax_pml(temperature: float) -> Callable[..., Any]:
    def make(c: int, d: int) -> Any:
        from pytorch_metric_learning.losses import NormalizedSoftmaxLoss

        return NormalizedSoftmaxLoss(num_classes=c, embedding_size=d, temperature=temperature)

    return _pml_w(make)


def _proxy_anchor_pml(margin: float, alpha: float) -> Callable[..., Any]:
    def theirs(x: Any, labels: Any, proxies: Any) -> Any:
        import torch
        from pytorch_metric_learning.losses import ProxyAnchorLoss

        c, d = proxies.shape
        loss = ProxyAnchorLoss(num_classes=c, embedding_size=d, margin=margin, alpha=alpha)
        return torch.func.functional_call(loss, {"proxies": proxies}, (x, labels))

    return theirs


def _proxy_peer(
    call: str, ours: Callable[..., Any], theirs: Callable[..., Any], *, sub: bool = False
) -> Any:
    """A PML check of a proxy loss: values and gradients for the embeddings and proxies."""
    return peer(
        f"pytorch_metric_learning {call}",
        PML,
        pair(ours, theirs, "x", "labels", "sub_proxies" if sub else "proxies"),
    )


_GATHERED = ("all_embeddings", "all_labels", "offset", "sample_weight")
# the torch modules own their proxies (an nn.Parameter) as PML's losses own W, initialised as
# PML initialises it: N(0, 1) (its W is (D, C), ours (C, D)); Proxy Anchor's (C, D) with
# kaiming_normal_(mode="fan_out"), N(0, 2/C)
_PROXIES = {"proxies": Owned(("num_classes", "embedding_size"))}
_SUB_PROXIES = {
    "proxies": Owned(("num_classes", "sub_centers", "embedding_size"), defaults={"sub_centers": 3})
}
_ANCHOR_PROXIES = {
    "proxies": Owned(("num_classes", "embedding_size"), init="kaiming_normal_fan_out")
}
_STOPPED = "circle_loss stops the gradient through its pair weights (alpha_p, alpha_n), by design"


def _gathered(**kwargs: Any) -> Params:
    """A parameter set of the multi-device form: this device's 6 rows at offset 2 of 10."""
    return Params(all_embeddings=Ref("x_all"), all_labels=Ref("labels_all"), offset=2, **kwargs)


def _pml_pairs(make: Callable[[], Any], mining: float | None = None) -> Callable[..., Any]:
    """A PML pair loss (``make()``) on ``(embeddings, labels)``, mined by
    ``MultiSimilarityMiner(epsilon=mining)`` when given."""

    def theirs(x: Any, labels: Any) -> Any:
        loss = make()
        if mining is None:
            return loss(x, labels)
        from pytorch_metric_learning.miners import MultiSimilarityMiner

        return loss(x, labels, MultiSimilarityMiner(epsilon=mining)(x, labels))

    return theirs


def _circle_pml(m: float, gamma: float) -> Callable[..., Any]:
    def make() -> Any:
        from pytorch_metric_learning.losses import CircleLoss

        return CircleLoss(m=m, gamma=gamma)

    return _pml_pairs(make)


def _circle_keras(m: float, gamma: float, *, mean: bool) -> Callable[..., Any]:
    def theirs(x: Any, labels: Any) -> Any:
        import jax.numpy as jnp  # the Keras backend of the checks (KERAS_BACKEND=jax)
        import keras

        # Keras expects unit rows (UnitNormalization upstream); keras.ops.norm differs from
        # the exact norm by ~1e-8 here, so the rows are normalised in JAX
        unit = x / jnp.linalg.norm(x, axis=1, keepdims=True)
        if mean:
            return keras.losses.Circle(gamma=gamma, margin=m, dtype="float64")(labels, unit)
        return keras.losses.circle(
            y_true=labels, y_pred=unit, remove_diagonal=True, gamma=gamma, margin=m
        )

    return theirs


def _ms_pml(alpha: float, beta: float, base: float, mining: float | None) -> Callable[..., Any]:
    def make() -> Any:
        from pytorch_metric_learning.losses import MultiSimilarityLoss

        return MultiSimilarityLoss(alpha=alpha, beta=beta, base=base)

    return _pml_pairs(make, mining)


def _lifted_pml(name: str, neg: float, pos: float, normalize: bool) -> Callable[..., Any]:
    def make() -> Any:
        from pytorch_metric_learning import losses
        from pytorch_metric_learning.distances import LpDistance

        cls = getattr(losses, name)
        return cls(
            neg_margin=neg,
            pos_margin=pos,
            distance=LpDistance(normalize_embeddings=normalize),
        )

    return _pml_pairs(make)


def _pair_peer(call: str, ours: Callable[..., Any], theirs: Callable[..., Any]) -> Any:
    """A PML check of a pair loss: values and gradients for the embeddings."""
    return peer(f"pytorch_metric_learning {call}", PML, pair(ours, theirs, "x", "labels"))


TITLE = "Metric learning losses"  # its docs section
MODULE = "arraylosses.metric_learning"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    # arraylosses.metric_learning.proxies
    Case(
        fn=al.arcface_loss,
        adapter=Adapter(learnable=("scale",), positive=("scale",), owned=_PROXIES),
        inputs=inputs.metric_learning,
        args=("x", "labels", "proxies"),
        params=(
            Params(),
            Params(scale=Ref("scale"), margin=Ref("margin"), reduction="none"),
            Params(scale=16.0, margin=0.3, sample_weight=Ref("weight")),
        ),
        grad=("x", "proxies", "scale", "margin"),
        checks=(
            peer(
                "pytorch_metric_learning ArcFaceLoss(margin=degrees(0.5), scale=64), W = proxies.T",
                PML,
                pair(
                    lambda x, y, p: al.arcface_loss(x, y, p),
                    _arcface_pml(64.0, 0.5),
                    "x",
                    "labels",
                    "proxies",
                ),
            ),
            peer(
                "pytorch_metric_learning ArcFaceLoss(margin=degrees(0.3), scale=16), W = proxies.T",
                PML,
                pair(
                    lambda x, y, p: al.arcface_loss(x, y, p, scale=16.0, margin=0.3),
                    _arcface_pml(16.0, 0.3),
                    "x",
                    "labels",
                    "proxies",
                ),
            ),
        ),
    ),
    Case(
        fn=al.cosface_loss,
        adapter=Adapter(learnable=("scale",), positive=("scale",), owned=_PROXIES),
        inputs=inputs.metric_learning,
        args=("x", "labels", "proxies"),
        params=(
            Params(),
            Params(scale=Ref("scale"), margin=Ref("margin"), reduction="none"),
            Params(scale=16.0, margin=0.2, sample_weight=Ref("weight")),
        ),
        grad=("x", "proxies", "scale", "margin"),
        checks=(
            _proxy_peer(
                "CosFaceLoss(margin=0.35, scale=64), W = proxies.T",
                lambda x, y, p: al.cosface_loss(x, y, p),
                _cosface_pml(64.0, 0.35),
            ),
            _proxy_peer(
                "CosFaceLoss(margin=0.2, scale=16), W = proxies.T",
                lambda x, y, p: al.cosface_loss(x, y, p, scale=16.0, margin=0.2),
                _cosface_pml(16.0, 0.2),
            ),
        ),
    ),
    Case(
        fn=al.sub_center_arcface_loss,
        adapter=Adapter(learnable=("scale",), positive=("scale",), owned=_SUB_PROXIES),
        inputs=inputs.metric_learning,
        args=("x", "labels", "sub_proxies"),
        params=(
            Params(),
            Params(scale=Ref("scale"), margin=Ref("margin"), reduction="none"),
            Params(scale=16.0, sample_weight=Ref("weight")),
        ),
        grad=("x", "sub_proxies", "scale", "margin"),
        checks=(
            _proxy_peer(
                "SubCenterArcFaceLoss(sub_centers=3, margin=degrees(0.5), scale=64), "
                "W = proxies.reshape(C*K, D).T",
                lambda x, y, p: al.sub_center_arcface_loss(x, y, p),
                _sub_center_pml(3, 64.0, 0.5),
                sub=True,
            ),
            _proxy_peer(
                "SubCenterArcFaceLoss(sub_centers=3, margin=degrees(0.3), scale=16), "
                "W = proxies.reshape(C*K, D).T",
                lambda x, y, p: al.sub_center_arcface_loss(x, y, p, scale=16.0, margin=0.3),
                _sub_center_pml(3, 16.0, 0.3),
                sub=True,
            ),
        ),
    ),
    Case(
        fn=al.normalized_softmax_loss,
        adapter=Adapter(learnable=("temperature",), positive=("temperature",), owned=_PROXIES),
        inputs=inputs.metric_learning,
        args=("x", "labels", "proxies"),
        params=(
            Params(),
            Params(temperature=Ref("temperature"), sample_weight=Ref("weight")),
            Params(temperature=0.5, reduction="none"),
        ),
        grad=("x", "proxies", "temperature"),
        checks=(
            _proxy_peer(
                "NormalizedSoftmaxLoss(temperature=0.05), W = proxies.T",
                lambda x, y, p: al.normalized_softmax_loss(x, y, p),
                _normalized_softmax_pml(0.05),
            ),
            _proxy_peer(
                "NormalizedSoftmaxLoss(temperature=0.5), W = proxies.T",
                lambda x, y, p: al.normalized_softmax_loss(x, y, p, temperature=0.5),
                _normalized_softmax_pml(0.5),
            ),
        ),
    ),
    Case(
        fn=al.proxy_anchor_loss,
        # batch-level: no reduction; an empty batch has no class present, 0/0 = NaN
        hostile=Hostile(empty="nan"),
        adapter=Adapter(per_batch=(), owned=_ANCHOR_PROXIES),
        inputs=inputs.metric_learning,
        args=("x", "labels", "proxies"),
        params=(Params(), Params(margin=Ref("margin"), alpha=Ref("scale"))),
        grad=("x", "proxies", "margin", "scale"),
        checks=(
            _proxy_peer(
                "ProxyAnchorLoss(margin=0.1, alpha=32), proxies = proxies",
                lambda x, y, p: al.proxy_anchor_loss(x, y, p),
                _proxy_anchor_pml(0.1, 32.0),
            ),
            _proxy_peer(
                "ProxyAnchorLoss(margin=0.3, alpha=8), proxies = proxies",
                lambda x, y, p: al.proxy_anchor_loss(x, y, p, margin=0.3, alpha=8.0),
                _proxy_anchor_pml(0.3, 8.0),
            ),
        ),
    ),
    # arraylosses.metric_learning.pairs
    Case(
        fn=al.circle_loss,
        adapter=Adapter(per_batch=_GATHERED),
        exceptions={
            "mean_of_none": "anchors without a positive or a negative count 0 under 'none' "
            "and are left out of 'mean' (PML's AvgNonZeroReducer, Keras' masked mean)"
        },
        inputs=inputs.metric_learning,
        args=("x", "labels"),
        params=(
            Params(finite_differences=False),
            Params(margin=0.25, gamma=Ref("scale"), reduction="none", finite_differences=False),
            _gathered(sample_weight=Ref("weight"), finite_differences=False),
        ),
        grad=("x", "x_all", "scale"),
        checks=(
            _pair_peer(
                "CircleLoss(m=0.4, gamma=80)",
                lambda x, y: al.circle_loss(x, y),
                _circle_pml(0.4, 80.0),
            ),
            peer(
                "pytorch_metric_learning CircleLoss(m=0.25, gamma=4)",
                PML,
                pair(
                    lambda x, y: al.circle_loss(x, y, margin=0.25, gamma=4.0),
                    _circle_pml(0.25, 4.0),
                    "x",
                    "labels",
                ),
                deviation="at gamma = 4 the row losses stay below 20: PML's torch.nn.Softplus "
                "returns x itself above 20 (dropping e^-x, 1.3e-9 at 20.5), ours is exact",
            ),
            peer(
                "keras.losses.circle(remove_diagonal=True, gamma=4, margin=0.25) on unit rows",
                "keras",
                pair(
                    lambda x, y: al.circle_loss(x, y, margin=0.25, gamma=4.0, reduction="none"),
                    _circle_keras(0.25, 4.0, mean=False),
                    "x",
                    "labels",
                    backend="jax",
                    grad=(),
                ),
                deviation="values only: Keras does not stop the gradient through the pair "
                "weights (the paper's code and PML do)",
            ),
            peer(
                "keras.losses.Circle(gamma=80, margin=0.4, dtype='float64') on unit rows",
                "keras",
                pair(
                    lambda x, y: al.circle_loss(x, y),
                    _circle_keras(0.4, 80.0, mean=True),
                    "x",
                    "labels",
                    backend="jax",
                    grad=(),
                ),
                deviation="values only (the gradient differs by design, see above)",
            ),
        ),
    ),
    Case(
        fn=al.multi_similarity_loss,
        adapter=Adapter(per_batch=_GATHERED),
        inputs=inputs.metric_learning,
        args=("x", "labels"),
        params=(
            Params(),
            Params(mining_margin=0.1, beta=Ref("scale"), base=Ref("margin"), reduction="none"),
            _gathered(mining_margin=0.3, sample_weight=Ref("weight")),
        ),
        grad=("x", "x_all", "scale", "margin"),
        checks=(
            _pair_peer(
                "MultiSimilarityLoss(alpha=2, beta=50, base=0.5)",
                lambda x, y: al.multi_similarity_loss(x, y),
                _ms_pml(2.0, 50.0, 0.5, None),
            ),
            _pair_peer(
                "MultiSimilarityLoss(alpha=2, beta=10, base=0.3) with "
                "MultiSimilarityMiner(epsilon=0.3)",
                lambda x, y: al.multi_similarity_loss(x, y, beta=10.0, base=0.3, mining_margin=0.3),
                _ms_pml(2.0, 10.0, 0.3, 0.3),
            ),
        ),
    ),
    Case(
        fn=al.lifted_structure_loss,
        exceptions={
            "mean_over_units": "'mean' divides by the number of ordered positive pairs "
            "(Σ w_i |P(i)|), the paper's 1/(2|P|) over unordered pairs"
        },
        inputs=inputs.metric_learning,
        args=("x", "labels"),
        params=(
            Params(),
            Params(normalize=False, neg_margin=3.0, pos_margin=0.5, reduction="none"),
            Params(neg_margin=Ref("margin"), sample_weight=Ref("weight")),
        ),
        grad=("x", "margin"),
        checks=(
            _pair_peer(
                "LiftedStructureLoss(neg_margin=1, pos_margin=0)",
                lambda x, y: al.lifted_structure_loss(x, y),
                _lifted_pml("LiftedStructureLoss", 1.0, 0.0, True),
            ),
            _pair_peer(
                "LiftedStructureLoss(neg_margin=3, pos_margin=0.5, "
                "distance=LpDistance(normalize_embeddings=False))",
                lambda x, y: al.lifted_structure_loss(
                    x, y, normalize=False, neg_margin=3.0, pos_margin=0.5
                ),
                _lifted_pml("LiftedStructureLoss", 3.0, 0.5, False),
            ),
        ),
    ),
    Case(
        fn=al.generalized_lifted_structure_loss,
        adapter=Adapter(per_batch=_GATHERED),
        inputs=inputs.metric_learning,
        args=("x", "labels"),
        params=(
            Params(),
            Params(normalize=False, neg_margin=3.0, pos_margin=0.5, reduction="none"),
            _gathered(neg_margin=Ref("margin"), sample_weight=Ref("weight")),
        ),
        grad=("x", "x_all", "margin"),
        checks=(
            _pair_peer(
                "GeneralizedLiftedStructureLoss(neg_margin=1, pos_margin=0)",
                lambda x, y: al.generalized_lifted_structure_loss(x, y),
                _lifted_pml("GeneralizedLiftedStructureLoss", 1.0, 0.0, True),
            ),
            _pair_peer(
                "GeneralizedLiftedStructureLoss(neg_margin=3, pos_margin=0.5, "
                "distance=LpDistance(normalize_embeddings=False))",
                lambda x, y: al.generalized_lifted_structure_loss(
                    x, y, normalize=False, neg_margin=3.0, pos_margin=0.5
                ),
                _lifted_pml("GeneralizedLiftedStructureLoss", 3.0, 0.5, False),
            ),
        ),
    ),
)
