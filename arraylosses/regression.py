"""Regression losses: each is an elementwise (or row-wise) loss, then a reduction.

Every loss takes ``(pred, target)`` positionally, hyperparameters keyword-only, and
``sample_weight=None, reduction="mean"``:

* ``reduction="none"`` returns the per-sample losses (the elementwise loss, of ``pred``'s
  shape; for :func:`cosine_distance_loss` one loss per row), multiplied by ``sample_weight``
  if given;
* ``"sum"`` returns ``Σ w·l``;
* ``"mean"`` returns ``Σ l / n``, or ``Σ w·l / Σ w`` with weights (0 if the weights sum to 0);
  NaN for an empty batch, weighted or not (``"sum"`` is then 0, ``"none"`` empty).

``sample_weight`` must broadcast to the per-sample loss without changing its shape. The result
has ``pred``'s floating dtype (float16/bfloat16 are computed in float32) and lives on ``pred``'s
device; ``target`` may be integer.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ._backend import (
    LOG_2,
    LOG_2PI,
    Array,
    Namespace,
    as_dtype,
    const,
    logaddexp,
    stop_gradient,
)
from ._ops import reduce_loss, rowwise_cosine
from ._validate import (
    check_axis,
    check_real,
    check_same_shape,
    check_sample_weight,
    check_values,
    flag,
    hyperparameter,
    is_array,
    pair_key,
    positive_float,
    prepare,
    recall_pair,
    remember_pair,
    sample_weighted,
    unused,
)
from .typing import Reduction

__all__ = [
    "cosine_distance_loss",
    "gaussian_nll_loss",
    "huber_loss",
    "l1_loss",
    "log_cosh_loss",
    "mae_loss",
    "mse_loss",
    "poisson_nll_loss",
    "quantile_loss",
    "smooth_l1_loss",
]


class _Elementwise(NamedTuple):
    """A validated ``(pred, target)`` pair whose per-sample loss has ``pred``'s shape."""

    xp: Namespace
    pred: Array  # compute dtype
    target: Array  # compute dtype
    out_dtype: Any


def _elementwise(
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None,
    reduction: Any,
    hyper: dict[str, Any] | None = None,
    **arrays: Array | None,
) -> _Elementwise:
    """:func:`~arraylosses._validate.prepare`, then the elementwise shape checks: ``target``
    real and of ``pred``'s shape, ``sample_weight`` broadcastable to it. ``arrays`` (such as
    ``var``) only join the namespace check. Remembered per pair's metadata where no weight,
    other array or array hyperparameter joins the call
    (:func:`~arraylosses._validate.recall_pair`)."""
    key = None
    if sample_weight is None and hyper is None and not arrays:
        key = pair_key("pred", pred, target, reduction)
        found = recall_pair(key, pred, target)
        if found is not None:
            xp, out_dtype, dtype = found
            return _Elementwise(
                xp, as_dtype(xp, pred, dtype), as_dtype(xp, target, dtype), out_dtype
            )
    xp, out_dtype, dtype = prepare(
        "pred",
        pred,
        reduction=reduction,
        hyper=hyper,
        target=target,
        sample_weight=sample_weight,
        **arrays,
    )
    check_real(xp, "target", target)
    check_same_shape("pred", pred, "target", target)
    if sample_weight is not None:
        check_sample_weight(xp, sample_weight, tuple(pred.shape))
    remember_pair(key, xp, out_dtype, dtype)
    return _Elementwise(xp, as_dtype(xp, pred, dtype), as_dtype(xp, target, dtype), out_dtype)


class _Rows(NamedTuple):
    """A validated ``(pred, target)`` pair whose per-sample loss drops ``axis``."""

    xp: Namespace
    pred: Array  # compute dtype
    target: Array  # compute dtype
    axis: int  # non-negative
    out_dtype: Any


def _rows(
    pred: Array, target: Array, *, axis: Any, sample_weight: Array | None, reduction: Any
) -> _Rows:
    """:func:`~arraylosses._validate.prepare`, then the row-wise shape checks: ``target`` real
    and of ``pred``'s shape, ``axis`` one of its axes, ``sample_weight`` broadcastable to the
    per-row loss (``pred``'s shape without ``axis``)."""
    xp, out_dtype, dtype = prepare(
        "pred", pred, reduction=reduction, target=target, sample_weight=sample_weight
    )
    check_real(xp, "target", target)
    check_same_shape("pred", pred, "target", target)
    axis = check_axis("axis", axis, pred)
    rows = tuple(s for i, s in enumerate(pred.shape) if i != axis)
    check_sample_weight(xp, sample_weight, rows)
    return _Rows(xp, as_dtype(xp, pred, dtype), as_dtype(xp, target, dtype), axis, out_dtype)


@sample_weighted
def mse_loss(
    pred: Array, target: Array, *, sample_weight: Array | None = None, reduction: Reduction = "mean"
) -> Array:
    r"""Mean squared error, :math:`\ell = (p - t)^2` per element.

    Peers: ``torch.nn.functional.mse_loss``; ``optax.squared_error`` (per element; note that
    ``optax.l2_loss`` is half of it).

    Args:
        pred: ``(...)`` floating predictions, any shape.
        target: ``(...)`` real (floating or integer) targets, ``pred``'s shape.
        sample_weight: optional per-sample weights, broadcastable to the per-sample loss
            without changing its shape. Default ``None``: every sample counts once.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``pred``'s floating dtype, on ``pred``'s device, a 0-d array for
        ``"mean"``/``"sum"``, ``pred``'s shape for ``reduction="none"``.

    References:
        - No paper: the textbook squared error. Peer implementation followed:
          ``torch.nn.functional.mse_loss``.

    Example:
        >>> import numpy as np
        >>> float(mse_loss(np.array([1.0, 2.0]), np.array([3.0, 2.0])))
        2.0
    """
    xp, p, t, out_dtype = _elementwise(
        pred, target, sample_weight=sample_weight, reduction=reduction
    )
    r = p - t
    return reduce_loss(
        xp, r * r, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def l1_loss(
    pred: Array, target: Array, *, sample_weight: Array | None = None, reduction: Reduction = "mean"
) -> Array:
    r"""Mean absolute error, :math:`\ell = |p - t|` per element. Alias: :func:`mae_loss`.

    Peer: ``torch.nn.functional.l1_loss``. The gradient at ``p = t`` is 0 on torch and 1 on
    JAX (their ``abs`` conventions differ at the kink).

    Args:
        pred: ``(...)`` floating predictions, any shape.
        target: ``(...)`` real (floating or integer) targets, ``pred``'s shape.
        sample_weight: optional per-sample weights, broadcastable to the per-sample loss
            without changing its shape. Default ``None``: every sample counts once.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``pred``'s floating dtype, on ``pred``'s device, a 0-d array for
        ``"mean"``/``"sum"``, ``pred``'s shape for ``reduction="none"``.

    References:
        - No paper: the textbook absolute error. Peer implementation followed:
          ``torch.nn.functional.l1_loss`` (https://pytorch.org/docs/stable/generated/torch.nn.functional.l1_loss.html).

    Example:
        >>> import numpy as np
        >>> float(l1_loss(np.array([1.0, 2.0]), np.array([3.0, 2.5])))
        1.25
    """
    xp, p, t, out_dtype = _elementwise(
        pred, target, sample_weight=sample_weight, reduction=reduction
    )
    return reduce_loss(
        xp, xp.abs(p - t), reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


mae_loss = l1_loss


@sample_weighted
def huber_loss(
    pred: Array,
    target: Array,
    *,
    delta: Any = 1.0,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Huber loss with threshold :math:`\delta > 0`, :math:`r = p - t`:

    In plain text: ``l = r**2 / 2`` where ``|r| <= delta``, else
    ``delta * (|r| - delta / 2)``.

    .. math:: \ell = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\
              \delta\,(|r| - \tfrac12\delta) & \text{otherwise} \end{cases}

    Huber (1964). Peers: ``torch.nn.functional.huber_loss``, ``optax.huber_loss`` (both
    ``delta=1.0``). Keras' ``huber`` first averages over the last axis; here every element
    counts once, as in torch.

    Args:
        pred: ``(...)`` floating predictions, any shape.
        target: ``(...)`` real (floating or integer) targets, ``pred``'s shape.
        delta: the threshold :math:`\delta` between the quadratic and linear parts, a positive
            float or a 0-d array (learnable). Default ``1.0``, as torch and optax.
        sample_weight: optional per-sample weights, broadcastable to the per-sample loss
            without changing its shape. Default ``None``: every sample counts once.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``pred``'s floating dtype, on ``pred``'s device, a 0-d array for
        ``"mean"``/``"sum"``, ``pred``'s shape for ``reduction="none"``.

    References:
        - P. J. Huber (1964), "Robust Estimation of a Location Parameter", Annals of
          Mathematical Statistics 35(1). DOI 10.1214/aoms/1177703732.
        - Peer implementation followed: ``torch.nn.functional.huber_loss``.

    Example:
        >>> import numpy as np
        >>> huber_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none").tolist()
        [0.125, 2.5]
    """
    xp, p, t, out_dtype = _elementwise(
        pred,
        target,
        sample_weight=sample_weight,
        reduction=reduction,
        hyper={"delta": delta},
    )
    delta = hyperparameter(xp, "delta", delta, p, low=0.0, low_inclusive=False)
    r = p - t
    a = xp.abs(r)
    loss = xp.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def smooth_l1_loss(
    pred: Array,
    target: Array,
    *,
    beta: Any = 1.0,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Smooth L1 loss with threshold :math:`\beta \ge 0`, :math:`r = p - t`:

    In plain text: ``l = r**2 / (2 * beta)`` where ``|r| < beta``, else ``|r| - beta / 2``.

    .. math:: \ell = \begin{cases} \tfrac12 r^2 / \beta & |r| < \beta \\
              |r| - \tfrac12\beta & \text{otherwise} \end{cases}

    Girshick (2015), Fast R-CNN. Peer: ``torch.nn.functional.smooth_l1_loss``. Equals
    ``huber_loss(delta=β) / β`` for ``β > 0`` and ``l1_loss`` for ``β = 0``.

    Args:
        pred: ``(...)`` floating predictions, any shape.
        target: ``(...)`` real (floating or integer) targets, ``pred``'s shape.
        beta: the threshold :math:`\beta \ge 0`, a float or a 0-d array. Default ``1.0``, as
            torch; ``0`` gives the L1 loss.
        sample_weight: optional per-sample weights, broadcastable to the per-sample loss
            without changing its shape. Default ``None``: every sample counts once.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``pred``'s floating dtype, on ``pred``'s device, a 0-d array for
        ``"mean"``/``"sum"``, ``pred``'s shape for ``reduction="none"``.

    References:
        - R. Girshick (2015), "Fast R-CNN", ICCV. arXiv:1504.08083.
        - Peer implementation followed: ``torch.nn.functional.smooth_l1_loss``.

    .. rubric:: Paper settings

    - Fast R-CNN (Girshick 2015, arXiv:1504.08083) puts the threshold at 1 (Eq. 3, our default
      ``beta=1.0``) and sums the loss over the four box coordinates of a RoI,
      :math:`L_{loc} = \sum_{i \in \{x, y, w, h\}} \mathrm{smooth}_{L_1}(t_i - v_i)`
      (Section 2.3, Eq. 2), whereas ``reduction="mean"`` averages over every element:
      ``reduction="none"`` summed over the coordinate axis gives the paper's per-RoI term.

    Example:
        >>> import numpy as np
        >>> smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none").tolist()
        [0.125, 2.5]
    """
    xp, p, t, out_dtype = _elementwise(
        pred,
        target,
        sample_weight=sample_weight,
        reduction=reduction,
        hyper={"beta": beta},
    )
    beta = hyperparameter(xp, "beta", beta, p, low=0.0)
    r = p - t
    a = xp.abs(r)
    # beta = 0 never takes the quadratic branch; divide by 1 there so its gradient is not NaN.
    if is_array(beta):
        safe_beta = xp.where(beta > 0, beta, xp.ones_like(beta))
    else:
        safe_beta = beta if beta > 0 else 1.0
    loss = xp.where(a < beta, 0.5 * r * r / safe_beta, a - 0.5 * beta)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def log_cosh_loss(
    pred: Array, target: Array, *, sample_weight: Array | None = None, reduction: Reduction = "mean"
) -> Array:
    r""":math:`\ell = \log\cosh(p - t)`, computed as :math:`\mathrm{logaddexp}(r, -r) - \log 2`.

    That form equals :math:`|r| + \mathrm{softplus}(-2|r|) - \log 2` and never overflows (``cosh``
    itself overflows for :math:`|r| > 710` in float64, 89 in float32); its gradient is exactly
    :math:`\tanh r`, with no kink at 0. Peers: ``optax.log_cosh`` (same form), Keras
    ``log_cosh`` (which averages over the last axis first).

    Args:
        pred: ``(...)`` floating predictions, any shape.
        target: ``(...)`` real (floating or integer) targets, ``pred``'s shape.
        sample_weight: optional per-sample weights, broadcastable to the per-sample loss
            without changing its shape. Default ``None``: every sample counts once.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``pred``'s floating dtype, on ``pred``'s device, a 0-d array for
        ``"mean"``/``"sum"``, ``pred``'s shape for ``reduction="none"``.

    References:
        - No paper: log-cosh is a classical smooth surrogate of the absolute error.
          Peer implementation followed: ``optax.log_cosh``.

    Example:
        >>> import numpy as np, math
        >>> abs(float(log_cosh_loss(np.array([1.0]), np.array([0.0]))) - math.log(math.cosh(1)))
        0.0
    """
    xp, p, t, out_dtype = _elementwise(
        pred, target, sample_weight=sample_weight, reduction=reduction
    )
    r = p - t
    loss = logaddexp(xp, r, -r) - LOG_2
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def quantile_loss(
    pred: Array,
    target: Array,
    *,
    quantile: Any = 0.5,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Pinball loss for quantile :math:`q \in [0, 1]`, with :math:`r = t - p`:

    In plain text: ``l = max(q * r, (q - 1) * r)``.

    .. math:: \ell = \max(q\, r,\ (q - 1)\, r)

    Koenker & Bassett (1978). Peer: ``sklearn.metrics.mean_pinball_loss(y_true, y_pred,
    alpha=q)`` (note its ``(target, pred)`` order). ``q = 0.5`` is half the absolute error.

    Args:
        pred: ``(...)`` floating predictions, any shape.
        target: ``(...)`` real (floating or integer) targets, ``pred``'s shape.
        quantile: the quantile :math:`q \in [0, 1]`, a float or a 0-d array. Default ``0.5``
            (the median; half the absolute error).
        sample_weight: optional per-sample weights, broadcastable to the per-sample loss
            without changing its shape. Default ``None``: every sample counts once.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``pred``'s floating dtype, on ``pred``'s device, a 0-d array for
        ``"mean"``/``"sum"``, ``pred``'s shape for ``reduction="none"``.

    References:
        - R. Koenker and G. Bassett (1978), "Regression Quantiles", Econometrica 46(1).
          DOI 10.2307/1913643.
        - Peer implementation followed: ``sklearn.metrics.mean_pinball_loss``.

    Example:
        >>> import numpy as np
        >>> quantile_loss(np.array([0.0, 0.0]), np.array([1.0, -1.0]), quantile=0.9,
        ...               reduction="none").round(6).tolist()
        [0.9, 0.1]
    """
    xp, p, t, out_dtype = _elementwise(
        pred,
        target,
        sample_weight=sample_weight,
        reduction=reduction,
        hyper={"quantile": quantile},
    )
    q = hyperparameter(xp, "quantile", quantile, p, low=0.0, high=1.0)
    r = t - p
    loss = xp.maximum(q * r, (q - 1) * r)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def poisson_nll_loss(
    pred: Array,
    target: Array,
    *,
    log_input: bool = True,
    full: bool = False,
    eps: float | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Poisson negative log-likelihood of counts ``target`` given the rate ``pred``.

    In plain text: ``l = exp(p) - t * p`` (``log_input=True``) or
    ``l = p - t * log(p + eps)``, plus, with ``full=True`` and where ``t > 1``,
    ``t * log(t) - t + log(2 * pi * t) / 2``.

    .. math:: \ell = \begin{cases} e^{p} - t\,p & \texttt{log\_input} \\
              p - t \log(p + \epsilon) & \text{otherwise} \end{cases}
              \;+\; [\texttt{full} \wedge t > 1]\,\big(t \log t - t + \tfrac12 \log(2\pi t)\big)

    The last term is Stirling's approximation of :math:`\log t!`, added only where
    :math:`t > 1` (exactly as ``torch.nn.functional.poisson_nll_loss``, the peer). The constant
    :math:`\log t!` is otherwise dropped, so the loss can be negative.

    Args:
        pred: log-rates (``log_input=True``) or rates (``>= 0``; a negative rate raises,
            checked in eager mode only, since it reads values), floating, any shape.
        target: counts, ``pred``'s shape, floating or integer.
        log_input: whether ``pred`` holds log-rates (default ``True``, as torch: the
            exponential keeps the rate positive without a clamp) or rates.
        full: add Stirling's approximation of :math:`\log t!` where :math:`t > 1`. Default
            ``False``, as torch (the term has no gradient with respect to ``pred``).
        eps: added to the rate inside the log, ``log_input=False`` only (default ``1e-8``, as
            torch); giving it with ``log_input=True``, where it has no effect, is a ValueError.
        sample_weight: optional per-sample weights, broadcastable to the per-sample loss
            without changing its shape. Default ``None``: every sample counts once.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``pred``'s floating dtype, on ``pred``'s device, a 0-d array for
        ``"mean"``/``"sum"``, ``pred``'s shape for ``reduction="none"``.

    References:
        - Peer implementation followed: ``torch.nn.functional.poisson_nll_loss``.

    Example:
        >>> import numpy as np
        >>> float(poisson_nll_loss(np.array([0.0]), np.array([2.0])))
        1.0
    """
    xp, p, t, out_dtype = _elementwise(
        pred, target, sample_weight=sample_weight, reduction=reduction
    )
    log_input = flag("log_input", log_input)
    full = flag("full", full)
    if eps is not None:
        eps = positive_float("eps", eps)
    unused("eps", eps, unless=not log_input, because="with rates (log_input=False) only")
    if log_input:
        loss = xp.exp(p) - t * p
    else:
        eps = 1e-8 if eps is None else eps
        # NaN passes: it propagates, as any NaN input
        check_values(
            xp,
            ~(p < 0),
            "pred must hold non-negative rates when log_input=False; it has negative entries",
        )
        loss = p - t * xp.log(p + eps)
    if full:
        large = t > 1
        t_safe = xp.where(large, t, xp.ones_like(t))  # log(0) must not reach the gradient
        log_t = xp.log(t_safe)
        stirling = t_safe * log_t - t_safe + 0.5 * (LOG_2PI + log_t)
        loss = loss + xp.where(large, stirling, xp.zeros_like(t))
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


def _variance_shape(pred: Array, var: Array) -> bool:
    """torch's rule: ``var`` has ``pred``'s shape, lacks its last axis, or is 1 on one axis.

    Returns whether ``var`` lacks the last axis (and needs it added back).
    """
    ps, vs = tuple(pred.shape), tuple(var.shape)
    if vs == ps:
        return False
    if vs == ps[:-1]:
        return True
    mismatched = [v for p, v in zip(ps, vs, strict=False) if p != v]
    if len(vs) == len(ps) and mismatched == [1]:
        return False
    raise ValueError(
        f"var must have pred's shape {ps}, that shape without its last axis, or that shape with "
        f"one axis of size 1; got {vs}"
    )


@sample_weighted
def gaussian_nll_loss(
    pred: Array,
    target: Array,
    var: Array,
    *,
    full: bool = False,
    eps: float = 1e-6,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Gaussian negative log-likelihood of ``target`` under :math:`\mathcal N(p, v)`:

    In plain text: ``l = (log(max(v, eps)) + (p - t)**2 / max(v, eps)) / 2``, plus
    ``log(2 * pi) / 2`` with ``full=True``.

    .. math:: \ell = \tfrac12\big(\log \max(v, \epsilon) + (p - t)^2 / \max(v, \epsilon)\big)
              \;+\; [\texttt{full}]\,\tfrac12 \log 2\pi

    torch semantics (``torch.nn.functional.gaussian_nll_loss``, the peer): ``var`` has
    ``pred``'s shape, or lacks its last axis, or has size 1 on one axis (homoscedastic);
    ``var`` is clamped at ``eps`` for the value but the clamp passes the gradient straight
    through (torch clamps in place under ``no_grad``); negative ``var`` raises (checked only in
    eager mode, since it reads values). Nix & Weigend (1994).

    Args:
        pred: ``(...)`` floating predicted means.
        target: ``(...)`` real targets, ``pred``'s shape.
        var: predicted variances, floating: ``pred``'s shape, that shape without its last axis, or
            that shape with one axis of size 1 (homoscedastic); non-negative.
        full: add the constant :math:`\tfrac12 \log 2\pi`. Default ``False``, as torch (it
            changes no gradient).
        eps: the clamp on ``var`` for the value (the gradient passes straight through). Default
            ``1e-6``, as torch.
        sample_weight: optional per-sample weights, broadcastable to the per-sample loss
            without changing its shape. Default ``None``: every sample counts once.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``pred``'s floating dtype, on ``pred``'s device, a 0-d array for
        ``"mean"``/``"sum"``, ``pred``'s shape for ``reduction="none"``.

    References:
        - D. A. Nix and A. S. Weigend (1994), "Estimating the mean and variance of the target
          probability distribution", IEEE International Conference on Neural Networks (ICNN'94).
          DOI 10.1109/ICNN.1994.374138.
        - Peer implementation followed: ``torch.nn.functional.gaussian_nll_loss``.

    Example:
        >>> import numpy as np
        >>> float(gaussian_nll_loss(np.array([0.0]), np.array([2.0]), np.array([1.0])))
        2.0
    """
    xp, p, t, out_dtype = _elementwise(
        pred, target, sample_weight=sample_weight, reduction=reduction, var=var
    )
    check_real(xp, "var", var)
    eps = positive_float("eps", eps)
    full = flag("full", full)
    v = as_dtype(xp, var, p.dtype)
    if _variance_shape(pred, var):
        v = xp.expand_dims(v, axis=-1)
    # NaN passes: it propagates, as any NaN input
    check_values(xp, ~(v < 0), "var must be non-negative; it has negative entries")
    # value max(v, eps), gradient of v itself (straight-through, as torch's no_grad clamp_)
    v = v + stop_gradient(xp, xp.maximum(v, const(xp, eps, v)) - v)
    r = p - t
    loss = 0.5 * (xp.log(v) + r * r / v)
    if full:
        loss = loss + 0.5 * LOG_2PI
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def cosine_distance_loss(
    pred: Array,
    target: Array,
    *,
    axis: int = -1,
    eps: float = 1e-8,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Cosine distance per row, :math:`\ell = 1 - \cos(p, t)` with
    :math:`\cos(p, t) = p\cdot t / (\max(\lVert p\rVert, \epsilon)\max(\lVert t\rVert, \epsilon))`.

    The "cosine loss" for regressing embeddings. Peer: ``optax.cosine_distance`` (which clamps
    at ``epsilon=0`` by default; identical whenever no norm is below ``eps``).

    Args:
        pred: ``(..., D)`` floating embeddings (``D`` on ``axis``).
        target: ``(..., D)`` real, ``pred``'s shape.
        axis: the embedding axis. Default ``-1``.
        eps: the floor of each norm, :math:`\epsilon > 0`. Default ``1e-8``, as
            ``torch.nn.functional.cosine_similarity``, so a zero row gives distance 1, not NaN.
        sample_weight: optional weights broadcastable to the per-row loss (``pred``'s shape
            without ``axis``). Default ``None``: every sample counts once.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``pred``'s floating dtype, a 0-d array for ``"mean"``/``"sum"``, one
        loss per row (``pred``'s shape without ``axis``) for ``reduction="none"``.

    References:
        - No paper: one minus the cosine similarity. Peer implementation followed:
          ``optax.cosine_distance``.

    Example:
        >>> import numpy as np
        >>> float(cosine_distance_loss(np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]])))
        1.0
    """
    xp, p, t, axis, out_dtype = _rows(
        pred, target, axis=axis, sample_weight=sample_weight, reduction=reduction
    )
    eps = positive_float("eps", eps)
    loss = 1 - rowwise_cosine(xp, p, t, axis=axis, eps=eps)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )
