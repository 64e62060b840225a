"""Registry cases of :mod:`arraylosses.regression`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import arraylosses as al

from .. import inputs
from ._case import BROADCAST_WEIGHT_PARAMS, MONOTONE, REDUCTION_PARAMS, Adapter, Case, Params, Ref

__all__ = ["CASES"]


def _elementwise(
    fn: Callable[..., Any],
    *,
    extra: tuple[Params, ...] = (),
    peers: tuple[str, ...],
    name: str = "",
    monotone: str = "",
) -> Case:
    """An elementwise loss of ``pred`` and ``target``: every reduction, weighted and not, then
    its own parameter sets ``extra``."""
    return Case(
        fn=fn,
        inputs=inputs.regression,
        args=("pred", "target"),
        params=(*REDUCTION_PARAMS, *BROADCAST_WEIGHT_PARAMS, *extra),
        grad=("pred", "target", "delta"),
        peers=peers,
        name=name,
        traits=("elementwise",),
        adapter=Adapter(not_learnable={monotone: MONOTONE} if monotone else {}),
    )


TITLE = "Regression losses"  # its docs section
MODULE = "arraylosses.regression"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    _elementwise(al.mse_loss, peers=("torch", "optax")),
    _elementwise(al.l1_loss, peers=("torch",)),
    _elementwise(al.mae_loss, peers=("torch",), name="mae_loss"),
    _elementwise(
        al.huber_loss,
        extra=(Params(delta=0.5), Params(delta=Ref("delta"), reduction="none")),
        peers=("torch", "optax"),
        monotone="delta",
    ),
    _elementwise(
        al.smooth_l1_loss,
        extra=(Params(beta=0.5), Params(beta=0.0), Params(beta=Ref("delta"), reduction="none")),
        peers=("torch",),
        monotone="beta",
    ),
    _elementwise(al.log_cosh_loss, peers=("optax",)),
    _elementwise(
        al.quantile_loss,
        extra=(
            Params(quantile=0.1),
            Params(quantile=0.9, reduction="none"),
            Params(quantile=Ref("delta")),
        ),
        peers=("scikit-learn",),
        monotone="quantile",
    ),
    Case(
        fn=al.poisson_nll_loss,
        inputs=inputs.poisson,
        args=("pred", "target"),
        params=(
            *REDUCTION_PARAMS,
            Params(full=True, reduction="none"),
            Params(args=("rate", "target"), log_input=False),
            Params(args=("rate", "target_int"), log_input=False, full=True),
            Params(args=("pred", "target_int")),
        ),
        grad=("pred", "rate"),
        peers=("torch",),
    ),
    Case(
        fn=al.gaussian_nll_loss,
        inputs=inputs.gaussian,
        args=("pred", "target", "var"),
        params=(
            *REDUCTION_PARAMS,
            Params(full=True, reduction="none"),
            Params(args=("pred", "target", "var_row")),
            Params(args=("pred", "target", "var_col")),
        ),
        grad=("pred", "target", "var", "var_row", "var_col"),
        peers=("torch",),
    ),
    Case(
        fn=al.cosine_distance_loss,
        inputs=inputs.rowwise,
        args=("pred", "target"),
        params=(
            Params(),
            Params(reduction="none"),
            Params(sample_weight=Ref("weight")),
            Params(reduction="sum"),
            Params(
                args=("pred_t", "target_t"),
                axis=0,
                reduction="none",
                unswept="the batch is not the leading axis (axis=0 is the embedding axis)",
            ),
        ),
        grad=("pred", "target", "pred_t", "target_t"),
        peers=("optax",),
    ),
)
