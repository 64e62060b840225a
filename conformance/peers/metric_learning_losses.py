"""Cross-checks against pytorch-metric-learning's ``NTXentLoss`` and ``SupConLoss``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import arraylosses as al

from ._base import PeerCheck, Run, pair

LIBRARY = "pytorch_metric_learning"


def _pml(ours: Callable[..., Any], theirs: Callable[..., Any]) -> Run:
    """Both on float64 tensors of the inputs (a dict ``x``); value and gradient with respect
    to the embeddings ``q``, ``p`` and ``views`` (zeros for the ones a loss does not use)."""

    def on_dict(fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda q, p, views, labels: fn({"q": q, "p": p, "views": views, "labels": labels})

    return pair(on_dict(ours), on_dict(theirs), "q", "p", "views", "labels")


def _ntxent(tau: float) -> Callable[..., Any]:
    def theirs(x: dict[str, Any]) -> Any:
        import torch
        from pytorch_metric_learning.losses import NTXentLoss

        n = x["q"].shape[0]
        return NTXentLoss(temperature=tau)(
            torch.cat([x["q"], x["p"]]), torch.cat([torch.arange(n)] * 2)
        )

    return _pml(lambda x: al.nt_xent_loss(x["q"], x["p"], temperature=tau), theirs)


def _supcon(tau: float, views: bool) -> Callable[..., Any]:
    def theirs(x: dict[str, Any]) -> Any:
        import torch
        from pytorch_metric_learning.losses import SupConLoss

        if views:  # our (N, V, D) is view-major in the paper's order
            f = x["views"]
            flat = f.permute(1, 0, 2).reshape(-1, f.shape[2])
            return SupConLoss(temperature=tau)(flat, torch.cat([x["labels"]] * f.shape[1]))
        return SupConLoss(temperature=tau)(x["q"], x["labels"])

    def ours(x: dict[str, Any]) -> Any:
        f = x["views"] if views else x["q"]
        return al.supcon_loss(f, x["labels"], temperature=tau, base_temperature=tau)

    return _pml(ours, theirs)


CHECKS = (
    *(
        PeerCheck(
            "nt_xent_loss",
            f"pytorch_metric_learning NTXentLoss(temperature={t})",
            LIBRARY,
            _ntxent(t),
            rtol=1e-12,
        )
        for t in (0.07, 0.5)
    ),
    *(
        PeerCheck(
            "supcon_loss",
            f"pytorch_metric_learning SupConLoss(temperature={t}{', 2 views' if v else ''})",
            LIBRARY,
            _supcon(t, v),
            rtol=1e-12,
            deviation="pytorch-metric-learning has no base temperature: "
            "compared with base_temperature=temperature",
        )
        for t in (0.1, 0.5)
        for v in (False, True)
    ),
)
