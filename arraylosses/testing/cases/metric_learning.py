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
from ._case import Adapter, Case, Hostile, Params, Ref

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


CASES: tuple[Case, ...] = (
    # arraylosses.metric_learning.proxies
    Case(
        fn=al.arcface_loss,
        adapter=Adapter(learnable=("scale",), positive=("scale",)),
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
        adapter=Adapter(learnable=("scale",), positive=("scale",)),
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
        adapter=Adapter(learnable=("scale",), positive=("scale",)),
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
        adapter=Adapter(learnable=("temperature",), positive=("temperature",)),
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
        adapter=Adapter(per_batch=()),
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
)
