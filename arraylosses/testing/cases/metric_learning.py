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
from ._case import Adapter, Case, Params, Ref

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
)
