"""Registry cases of :mod:`arraylosses.self_supervised`: VICReg, Barlow Twins, KoLeo,
alignment and uniformity. The peers are lightly's loss modules (loaded by file:
``lightly.loss``'s ``__init__`` imports torchvision) and Wang & Isola's published
``align_loss`` / ``uniform_loss``, written out on torch below."""

from __future__ import annotations

from typing import Any

import arraylosses as al

from .. import inputs
from .._peer import pair, peer, peer_module
from ._case import MONOTONE, Adapter, Case, Hostile, Params, Ref

__all__ = ["CASES"]

_VICREG_WEIGHTS = ("invariance_weight", "variance_weight", "covariance_weight")
# the batch-level losses need two rows for their statistics: the empty batch is a ValueError
_BATCH_LEVEL = Hostile(empty=ValueError)


def _lightly(module: str, cls: str, **params: Any) -> Any:
    """lightly's ``cls(**params)`` of ``lightly.loss.<module>``, called on the inputs."""

    def theirs(*arrays: Any) -> Any:
        return getattr(peer_module(f"lightly.loss.{module}"), cls)(**params)(*arrays)

    return theirs


def _pml_vicreg(scale: float, **params: Any) -> Any:
    def theirs(z1: Any, z2: Any) -> Any:
        from pytorch_metric_learning.losses import VICRegLoss

        return VICRegLoss(**params)(scale * z1, ref_emb=scale * z2)

    return theirs


def _vicreg(scale: float, **weights: Any) -> Any:
    return lambda z1, z2: al.vicreg_loss(scale * z1, scale * z2, **weights)


def _authors_align(alpha: float, normalize: bool) -> Any:
    """Wang & Isola's ``align_loss`` (github.com/SsnL/align_uniform), on normalised rows."""

    def theirs(x: Any, y: Any) -> Any:
        import torch.nn.functional as F

        if normalize:
            x, y = F.normalize(x, dim=1), F.normalize(y, dim=1)
        return (x - y).norm(p=2, dim=1).pow(alpha).mean()

    return theirs


def _authors_uniform(t: float, normalize: bool) -> Any:
    """Wang & Isola's ``uniform_loss``."""

    def theirs(x: Any) -> Any:
        import torch
        import torch.nn.functional as F

        if normalize:
            x = F.normalize(x, dim=1)
        return torch.pdist(x, p=2).pow(2).mul(-t).exp().mean().log()

    return theirs


def _hypersphere(t: float, lam: float) -> Any:
    """lightly's ``HypersphereLoss(t, lam)`` from ours: alignment plus ``lam`` times the mean
    uniformity of the two views."""

    def ours(z1: Any, z2: Any) -> Any:
        uniformity = al.uniformity_loss(z1, t=t) + al.uniformity_loss(z2, t=t)
        return al.alignment_loss(z1, z2) + lam * uniformity / 2

    return ours


TITLE = "Self-supervised losses"  # its docs section
MODULE = "arraylosses.self_supervised"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    Case(
        fn=al.vicreg_loss,
        hostile=_BATCH_LEVEL,
        adapter=Adapter(per_batch=(), not_learnable=dict.fromkeys(_VICREG_WEIGHTS, MONOTONE)),
        inputs=inputs.self_supervised,
        args=("z1", "z2"),
        params=(
            Params(),
            Params(
                invariance_weight=Ref("invariance_weight"),
                variance_weight=Ref("variance_weight"),
                covariance_weight=Ref("covariance_weight"),
                eps=1e-3,
            ),
            Params(return_terms=True),
        ),
        grad=("z1", "z2", *_VICREG_WEIGHTS),
        checks=(
            peer(
                "lightly VICRegLoss()",
                "lightly",
                pair(_vicreg(1.0), _lightly("vicreg_loss", "VICRegLoss"), "z1", "z2"),
            ),
            peer(
                "lightly VICRegLoss(lambda_param=10, mu_param=5, nu_param=2) on 0.3·z",
                "lightly",
                pair(
                    _vicreg(
                        0.3, invariance_weight=10.0, variance_weight=5.0, covariance_weight=2.0
                    ),
                    lambda z1, z2: _lightly(
                        "vicreg_loss", "VICRegLoss", lambda_param=10.0, mu_param=5.0, nu_param=2.0
                    )(0.3 * z1, 0.3 * z2),
                    "z1",
                    "z2",
                ),
            ),
            peer(
                "PML VICRegLoss()(z1, ref_emb=z2)",
                "pytorch_metric_learning",
                pair(_vicreg(1.0), _pml_vicreg(1.0), "z1", "z2"),
            ),
            peer(
                "PML VICRegLoss(invariance_lambda=10, variance_mu=5, covariance_v=2) on 0.3·z",
                "pytorch_metric_learning",
                pair(
                    _vicreg(
                        0.3, invariance_weight=10.0, variance_weight=5.0, covariance_weight=2.0
                    ),
                    _pml_vicreg(0.3, invariance_lambda=10.0, variance_mu=5.0, covariance_v=2.0),
                    "z1",
                    "z2",
                ),
            ),
        ),
    ),
    Case(
        fn=al.barlow_twins_loss,
        hostile=_BATCH_LEVEL,
        adapter=Adapter(per_batch=(), not_learnable={"redundancy_weight": MONOTONE}),
        inputs=inputs.self_supervised,
        args=("z1", "z2"),
        params=(
            Params(),
            Params(redundancy_weight=Ref("redundancy_weight"), eps=1e-3),
            Params(return_terms=True, redundancy_weight=0.1),
        ),
        grad=("z1", "z2", "redundancy_weight"),
        checks=tuple(
            peer(
                f"lightly BarlowTwinsLoss(lambda_param={lam})",
                "lightly",
                pair(
                    lambda z1, z2, lam=lam: al.barlow_twins_loss(z1, z2, redundancy_weight=lam),
                    _lightly("barlow_twins_loss", "BarlowTwinsLoss", lambda_param=lam),
                    "z1",
                    "z2",
                ),
            )
            for lam in (5e-3, 0.1)
        ),
    ),
    Case(
        fn=al.koleo_loss,
        inputs=inputs.self_supervised,
        args=("embeddings",),
        params=(
            Params(),
            Params(sample_weight=Ref("weight"), reduction="none"),
            Params(sample_weight=Ref("weight"), eps=1e-4),
        ),
        grad=("embeddings",),
        checks=tuple(
            peer(
                f"lightly KoLeoLoss() on {shape}",
                "lightly",
                pair(al.koleo_loss, _lightly("koleo_loss", "KoLeoLoss"), name),
            )
            for name, shape in (("wide", "(10, 6)"), ("long", "(24, 3)"))
        ),
    ),
    Case(
        fn=al.alignment_loss,
        inputs=inputs.self_supervised,
        args=("z1", "z2"),
        params=(
            Params(),
            Params(alpha=1.0, normalize=False, reduction="none"),
            Params(alpha=3.0, sample_weight=Ref("weight")),
        ),
        grad=("z1", "z2"),
        checks=(
            *(
                peer(
                    f"Wang & Isola align_loss(alpha={alpha}) on F.normalize'd rows (torch)",
                    "torch",
                    pair(
                        lambda z1, z2, alpha=alpha: al.alignment_loss(z1, z2, alpha=alpha),
                        _authors_align(alpha, True),
                        "z1",
                        "z2",
                    ),
                )
                for alpha in (2.0, 1.0, 3.0)
            ),
            peer(
                "Wang & Isola align_loss(alpha=2) on the raw rows (torch)",
                "torch",
                pair(
                    lambda z1, z2: al.alignment_loss(z1, z2, normalize=False),
                    _authors_align(2.0, False),
                    "z1",
                    "z2",
                ),
            ),
        ),
    ),
    Case(
        fn=al.uniformity_loss,
        hostile=_BATCH_LEVEL,
        adapter=Adapter(per_batch=(), not_learnable={"t": MONOTONE}),
        inputs=inputs.self_supervised,
        args=("embeddings",),
        params=(Params(), Params(t=0.5, normalize=False)),
        grad=("embeddings",),
        checks=(
            peer(
                "Wang & Isola uniform_loss(t=2) on F.normalize'd rows (torch)",
                "torch",
                pair(al.uniformity_loss, _authors_uniform(2.0, True), "embeddings"),
            ),
            peer(
                "Wang & Isola uniform_loss(t=0.5) on the raw rows (torch)",
                "torch",
                pair(
                    lambda x: al.uniformity_loss(x, t=0.5, normalize=False),
                    _authors_uniform(0.5, False),
                    "embeddings",
                ),
            ),
            *(
                peer(
                    f"lightly HypersphereLoss(t={t}, lam={lam}) = alignment_loss + "
                    f"{lam}·(uniformity_loss(z1, t={t}) + uniformity_loss(z2, t={t}))/2",
                    "lightly",
                    pair(
                        _hypersphere(t, lam),
                        _lightly("hypersphere_loss", "HypersphereLoss", t=t, lam=lam),
                        "z1",
                        "z2",
                    ),
                )
                for t, lam in ((1.0, 1.0), (2.0, 0.5))
            ),
        ),
    ),
)
