"""Classification losses: softmax and sigmoid cross entropies, focal and poly losses, KL,
hinge and margin ranking; :func:`linear_cross_entropy`, the cross entropy of a linear head
computed in chunks of classes.

Conventions as in :mod:`arraylosses.regression`: ``(prediction, target)`` positional,
hyperparameters keyword-only, ``sample_weight=None`` (per-sample), ``reduction="mean"``. The
per-sample loss of a softmax loss is one value per row (the class axis, ``axis``, is summed
out); binary losses are elementwise (multi-label: one independent sigmoid per class, averaged
over all elements).

Integer targets are class indices and are validated (``0 <= y < C``) only in eager mode: under
``jax.jit`` an out-of-range index is not detected (JAX clamps or fills it), under torch it may
wrap around. Class-index losses never build a one-hot array.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ._backend import (
    Array,
    Namespace,
    as_dtype,
    const,
    custom_gradient,
    device_of,
    finalize,
    index_dtype,
    isdtype,
    log_softmax,
    logaddexp,
    logsumexp,
    nll_at,
    reduced_nll_at,
    scan,
    sigmoid,
    sigmoid_cross_entropy,
    softplus,
    take_along_axis,
)
from ._ops import mass_times, reduce_loss, xlogx
from ._validate import (
    check_axis,
    check_in_range,
    check_kind,
    check_labels,
    check_real,
    check_same_shape,
    check_sample_weight,
    check_values,
    check_weight,
    hyperparameter,
    integer,
    is_array,
    number,
    pair_key,
    prepare,
    recall_pair,
    remember_pair,
    sample_weighted,
)
from .typing import Reduction

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "kl_divergence",
    "linear_cross_entropy",
    "margin_ranking_loss",
    "nll_loss",
    "poly1_cross_entropy",
    "sigmoid_focal_loss",
    "softmax_focal_loss",
    "squared_hinge_loss",
]

_BINARY_KINDS = ("real floating", "integral", "bool")  # binary targets: 0/1, ±1 or booleans
_LOGITS_ADVICE = ". For logits (scores before the sigmoid), use binary_cross_entropy_with_logits"


class _Classes:
    """A validated softmax problem: scores ``(..., C)`` (classes moved last, compute dtype),
    the target (class indices, or probabilities moved like the scores), and what
    :meth:`finish` needs to reduce the per-row loss."""

    def __init__(
        self,
        pred_name: str,
        pred: Array,
        target: Array,
        *,
        axis: Any,
        reduction: Any,
        sample_weight: Array | None,
        class_weight: Array | None = None,
        ignore_index: Any = None,
        label_smoothing: Any = 0.0,
        allow_indices: bool = True,
        hyper: dict[str, Any] | None = None,
    ) -> None:
        """``allow_indices=False``: the target must hold probabilities (floating).

        The metadata checks of a call with class indices and no weight, ignored class or array
        hyperparameter are remembered per pair (:func:`~arraylosses._validate.recall_pair`);
        the label check runs at every call."""
        key = found = None
        if (
            allow_indices
            and class_weight is None
            and sample_weight is None
            and ignore_index is None
            and hyper is None
            and type(axis) is int
        ):
            key = pair_key(pred_name, pred, target, reduction, axis)
            found = recall_pair(key, pred, target)
        if found is not None:  # passed the checks down to the label check before
            xp, self.out_dtype, dtype, axis = found
            self.xp, self.reduction, self.sample_weight = xp, reduction, sample_weight
            self._indices_fast(xp, pred_name, pred, target, dtype, axis, label_smoothing)
            return
        xp, self.out_dtype, dtype = prepare(
            pred_name,
            pred,
            reduction=reduction,
            hyper=hyper,
            target=target,
            class_weight=class_weight,
            sample_weight=sample_weight,
        )
        self.xp, self.reduction, self.sample_weight = xp, reduction, sample_weight
        # the integer test once (it is also the kind check for class indices)
        self.indices = indices = isdtype(xp, target.dtype, "integral")
        if allow_indices:
            if not indices:
                check_kind(
                    xp,
                    "target",
                    target,
                    ("integral", "real floating"),
                    must="hold class indices (integer) or probabilities (floating)",
                )
        else:
            check_kind(
                xp,
                "target",
                target,
                ("real floating",),
                must="be a floating array of probabilities",
            )
        if pred.ndim < 1:
            raise ValueError(f"{pred_name} must have a class axis; got shape ()")
        ndim = pred.ndim
        if type(axis) is int and -ndim <= axis < ndim:  # the common case, without a call
            axis %= ndim
        else:
            axis = check_axis("axis", axis, pred)
        self.scores = as_dtype(xp, pred, dtype)
        if axis != pred.ndim - 1:
            self.scores = xp.moveaxis(self.scores, axis, -1)
        self.num_classes = C = self.scores.shape[-1]
        shape_rows = self.scores.shape[:-1]  # compared as is (torch.Size is a tuple)
        if indices:
            if target.shape != shape_rows and tuple(target.shape) != tuple(shape_rows):
                rows = tuple(shape_rows)
                raise ValueError(
                    f"target of class indices must have {pred_name}'s shape without the class "
                    f"axis {rows}; got {tuple(target.shape)}"
                )
            if ignore_index is not None:
                ignore_index = integer("ignore_index", ignore_index)
            elif key is not None:
                remember_pair(key, xp, self.out_dtype, dtype, axis)
            check_labels(xp, "target", target, num_classes=C, ignore_index=ignore_index)
            self.target = as_dtype(xp, target, index_dtype(xp, target))
        else:  # probabilities
            rows = tuple(shape_rows)
            if tuple(target.shape) == rows and allow_indices:
                raise TypeError(
                    f"target has the shape of class indices {rows} (that of {pred_name} "
                    f"without its class axis) but the floating dtype {target.dtype}: class "
                    "indices must be integers; cast them (NumPy: target.astype(int), torch: "
                    "target.long(), any library: xp.astype(target, xp.int64)), or pass "
                    f"probabilities of {pred_name}'s shape {tuple(pred.shape)}"
                )
            if tuple(target.shape) != tuple(pred.shape):
                raise ValueError(
                    f"target of probabilities must have {pred_name}'s shape "
                    f"{tuple(pred.shape)}; got {tuple(target.shape)}"
                )
            if ignore_index is not None:
                raise ValueError(
                    "ignore_index applies to class-index targets only; target holds probabilities"
                )
            self.target = as_dtype(xp, target, dtype)
            if axis != pred.ndim - 1:
                self.target = xp.moveaxis(self.target, axis, -1)
        self.ignore_index = ignore_index
        if self.indices and ignore_index is not None:
            # an ignored row's scores are not read: 0 in their place, so that a row masked to
            # -inf everywhere (its loss zeroed) gives no NaN, in value or gradient (issue #36)
            keep = (self.target != ignore_index)[..., None]
            self.scores = xp.where(keep, self.scores, xp.zeros_like(self.scores))
        if class_weight is not None:
            if tuple(class_weight.shape) != (C,):
                raise ValueError(
                    f"class_weight must have shape ({C},); got {tuple(class_weight.shape)}"
                )
            check_real(xp, "class_weight", class_weight)
            class_weight = as_dtype(xp, class_weight, dtype)
        self.class_weight = class_weight
        if sample_weight is not None:
            check_sample_weight(xp, sample_weight, tuple(shape_rows))
        if type(label_smoothing) is float and 0.0 <= label_smoothing <= 1.0:  # NaN fails
            self.label_smoothing = label_smoothing
        else:
            self.label_smoothing = number(
                "label_smoothing", label_smoothing, low=0.0, high=1.0, expected="a float"
            )

    def _indices_fast(
        self,
        xp: Namespace,
        pred_name: str,
        pred: Array,
        target: Array,
        dtype: Any,
        axis: int,
        label_smoothing: Any,
    ) -> None:
        """The rest of ``__init__`` for a remembered pair (class indices, no weight, no ignored
        class): the metadata checks passed before; the label check and the smoothing's run."""
        self.indices = True
        scores = pred if pred.dtype == dtype else xp.astype(pred, dtype)
        if axis != pred.ndim - 1:
            scores = xp.moveaxis(scores, axis, -1)
        self.scores = scores
        self.num_classes = C = scores.shape[-1]
        check_labels(xp, "target", target, num_classes=C, ignore_index=None)
        self.target = as_dtype(xp, target, index_dtype(xp, target))
        self.ignore_index = self.class_weight = None
        if type(label_smoothing) is float and 0.0 <= label_smoothing <= 1.0:  # NaN fails
            self.label_smoothing = label_smoothing
        else:
            self.label_smoothing = number(
                "label_smoothing", label_smoothing, low=0.0, high=1.0, expected="a float"
            )

    def plain(self) -> bool:
        """Class indices of a 2-D ``(N, C)`` problem, ``N > 0``, with no weight, no ignored
        class and no smoothing: the per-row loss is :func:`nll_at`, reduced as is (no
        normaliser), which :func:`~arraylosses._backend.reduced_nll_at` fuses."""
        return (
            self.indices
            and self.class_weight is None
            and self.sample_weight is None
            and self.ignore_index is None
            and not self.label_smoothing
            and self.scores.ndim == 2
            and self.scores.shape[0] > 0
        )

    # -- class-index targets
    def mask(self) -> Array | None:
        if self.ignore_index is None:
            return None
        return self.target != self.ignore_index

    def safe_target(self) -> Array:
        mask = self.mask()
        t = self.target
        return t if mask is None else self.xp.where(mask, t, self.xp.zeros_like(t))

    def pick(self, values: Array) -> Array:
        """``values[..., y]`` for the (safe) class indices, without a one-hot array."""
        xp = self.xp
        idx = self.safe_target()[..., None]
        return take_along_axis(xp, values, idx, axis=-1)[..., 0]

    def label_weight(self) -> Array | None:
        """``class_weight[y]`` per sample (``None`` without class weights)."""
        if self.class_weight is None:
            return None
        xp = self.xp
        t = self.safe_target()
        flat = xp.take(self.class_weight, xp.reshape(t, (-1,)), axis=0)
        return xp.reshape(flat, t.shape)

    # -- probability targets
    def smoothed(self) -> Array:
        q = self.target
        if self.label_smoothing:
            q = (1 - self.label_smoothing) * q + self.label_smoothing / self.num_classes
        return q

    def finish(self, loss: Array, *, norm: Array | None = None) -> Array:
        """Zero the ignored rows, then apply ``sample_weight`` and the reduction (``norm``:
        the per-row count in the mean, torch's class weight of the label)."""
        xp = self.xp
        mask = self.mask() if self.indices else None
        if mask is not None:
            zero = xp.zeros_like(loss)
            loss = xp.where(mask, loss, zero)
            keep = xp.astype(mask, loss.dtype)
            norm = keep if norm is None else norm * keep
        return reduce_loss(
            xp,
            loss,
            reduction=self.reduction,
            sample_weight=self.sample_weight,
            out_dtype=self.out_dtype,
            norm=norm,
        )


def _nll_finish(c: _Classes, nll: Array) -> Array:
    """Class-weighted negative log-likelihood of class indices, torch's normaliser."""
    lw = c.label_weight()
    return c.finish(nll if lw is None else lw * nll, norm=lw)


def _softmax_ce(c: _Classes, log_p: Array) -> Array:
    """torch's ``cross_entropy``/``nll_loss`` on log-probabilities, label smoothing included."""
    xp = c.xp
    cw = c.class_weight
    eps = c.label_smoothing
    if c.indices:
        nll = -c.pick(log_p)
        if not eps:
            return _nll_finish(c, nll)
        lw = c.label_weight()
        if lw is not None:
            nll = lw * nll
        weighted = log_p if cw is None else log_p * cw
        smooth = -xp.sum(weighted, axis=-1)
        loss = (1 - eps) * nll + (eps / c.num_classes) * smooth
        return c.finish(loss, norm=lw)
    q = c.smoothed()
    if cw is not None:
        q = q * cw
    # a class masked to -inf with no target mass adds 0, not 0·(-inf) = NaN
    return c.finish(-xp.sum(mass_times(xp, q, log_p), axis=-1))


@sample_weighted
def cross_entropy(
    logits: Array,
    target: Array,
    *,
    axis: int = -1,
    label_smoothing: float = 0.0,
    class_weight: Array | None = None,
    ignore_index: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Softmax cross entropy, :math:`\ell = -\sum_c q_c \log \mathrm{softmax}(z)_c`.

    ``target`` holds class indices (integer, ``logits``' shape without ``axis``) or
    probabilities (floating, ``logits``' shape). With label smoothing ``ε``, the target is
    :math:`q = (1-ε)\,y + ε/C`. Semantics follow ``torch.nn.functional.cross_entropy``
    exactly (the peer; also optax ``softmax_cross_entropy[_with_integer_labels]`` and Keras
    ``categorical_crossentropy``, whose smoothing is the same):

    * ``class_weight`` (``(C,)``) scales each class's term; with class indices the per-sample
      loss is :math:`(1-ε)\,w_y(-\log p_y) + \tfrac{ε}{C}\sum_c w_c(-\log p_c)`, and ``"mean"``
      divides by :math:`\sum_i w_{y_i}` over non-ignored rows (torch). With probabilities,
      ``"mean"`` divides by the number of rows (torch).
    * ``ignore_index`` rows contribute 0 and do not count in the mean. If every row of a
      non-empty batch is ignored the mean is **0** (torch returns NaN), with a zero gradient;
      the mean over an empty batch is NaN.
    * ``sample_weight`` (per-sample, ours): ``"mean"`` is :math:`\sum_i w_i\ell_i / \sum_i w_i n_i`
      with :math:`n_i` the torch normaliser above.

    The softmax is shifted by a gradient-detached maximum: logits of ±1e4 are exact, and
    float16 logits are computed in float32. No one-hot array is built for class indices.

    Args:
        logits: ``(..., C, ...)`` floating, the C classes on ``axis``.
        target: class indices (integer, ``logits``' shape without ``axis``) or probabilities
            (floating, ``logits``' shape).
        axis: the class axis. Default ``-1`` (last, as optax and Keras; torch's is 1).
        label_smoothing: :math:`ε \in [0, 1]`, the target becomes :math:`(1-ε)\,y + ε/C`.
            Default ``0.0`` (no smoothing), as torch.
        class_weight: optional ``(C,)`` floating per-class weights. Default ``None`` (all 1).
        ignore_index: a class index whose rows contribute 0 and do not count in the mean
            (class-index targets only). Default ``None``: no row is ignored.
        sample_weight: optional per-row weights, broadcastable to the per-row loss
            (``logits``' shape without ``axis``). Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in the logits' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one
        loss per row (``logits``' shape without ``axis``) for ``reduction="none"``.

    References:
        - Peer implementation followed: ``torch.nn.functional.cross_entropy``.
        - Label smoothing: C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens and Z. Wojna (2016),
          "Rethinking the Inception Architecture for Computer Vision", CVPR. arXiv:1512.00567.

    .. rubric:: Paper settings

    - Szegedy et al. (2016, arXiv:1512.00567) smooth towards the uniform prior
      :math:`u(k) = 1/K` with :math:`ε = 0.1` in their ImageNet experiments (Section 7); our
      default is ``label_smoothing=0.0`` (torch's, no smoothing): ``label_smoothing=0.1`` gives
      the paper's target :math:`(1-ε)\,y + ε/C`.

    Example:
        >>> import numpy as np, math
        >>> z = np.array([[0.0, math.log(3.0)]])  # softmax = (1/4, 3/4)
        >>> round(float(cross_entropy(z, np.array([1]))), 12) == round(-math.log(0.75), 12)
        True
    """
    c = _Classes(
        "logits",
        logits,
        target,
        axis=axis,
        reduction=reduction,
        sample_weight=sample_weight,
        class_weight=class_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
    )
    xp = c.xp
    if c.indices and not c.label_smoothing:  # the common case: no full log-probabilities
        if c.plain() and reduction != "none":  # one fused kernel where the backend has it
            out = reduced_nll_at(xp, c.scores, c.target, reduction=reduction)
            if out is not None:
                return finalize(xp, out, c.out_dtype)
        nll = nll_at(xp, c.scores, c.safe_target(), axis=-1)
        return _nll_finish(c, nll)
    return _softmax_ce(c, log_softmax(xp, c.scores))


@sample_weighted
def nll_loss(
    log_probs: Array,
    target: Array,
    *,
    axis: int = -1,
    class_weight: Array | None = None,
    ignore_index: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Negative log-likelihood of class indices, :math:`\ell = -w_y\, \log p_y`, from
    log-probabilities (``torch.nn.functional.nll_loss`` semantics, the peer; note that torch's
    class axis is 1, ours ``axis=-1`` by default). ``class_weight``, ``ignore_index`` and the
    mean as in :func:`cross_entropy`; floating targets (probabilities) give
    :math:`-\sum_c q_c \log p_c`. A NaN anywhere in a row makes its loss NaN, even off the
    label (torch reads the label's entry only).

    Args:
        log_probs: ``(..., C, ...)`` floating log-probabilities, the C classes on ``axis``.
        target: class indices (integer, ``log_probs``' shape without ``axis``) or probabilities
            (floating, ``log_probs``' shape).
        axis: the class axis. Default ``-1`` (last, as optax and Keras; torch's is 1).
        class_weight: optional ``(C,)`` floating per-class weights. Default ``None`` (all 1).
        ignore_index: a class index whose rows contribute 0 and do not count in the mean
            (class-index targets only). Default ``None``: no row is ignored.
        sample_weight: optional per-row weights, broadcastable to the per-row loss
            (``log_probs``' shape without ``axis``). Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in the log_probs' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one
        loss per row (``log_probs``' shape without ``axis``) for ``reduction="none"``.

    References:
        - Peer implementation followed: ``torch.nn.functional.nll_loss``.

    Example:
        >>> import numpy as np, math
        >>> float(nll_loss(np.log(np.array([[0.25, 0.75]])), np.array([0]))) == math.log(4)
        True
    """
    c = _Classes(
        "log_probs",
        log_probs,
        target,
        axis=axis,
        reduction=reduction,
        sample_weight=sample_weight,
        class_weight=class_weight,
        ignore_index=ignore_index,
    )
    xp = c.xp
    if c.indices:
        nll = -c.pick(c.scores)
        # the pick reads one entry per row; a NaN elsewhere in the row must show too (torch's
        # nll_loss hides it): NaN in, NaN out for the row
        row_nan = xp.any(xp.isnan(c.scores), axis=-1)
        nll = xp.where(row_nan, xp.full_like(nll, math.nan), nll)
        return _nll_finish(c, nll)
    return _softmax_ce(c, c.scores)


@sample_weighted
def poly1_cross_entropy(
    logits: Array,
    target: Array,
    *,
    axis: int = -1,
    epsilon: Any = 1.0,
    label_smoothing: float = 0.0,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Poly-1 loss (Leng et al. 2022, PolyLoss): :math:`\ell = CE + ε\,(1 - p_t)` with
    :math:`p_t = \sum_c q_c\,\mathrm{softmax}(z)_c` for the (label-smoothed) target ``q``.

    For class indices :math:`p_t` is the probability of the label. Peer:
    ``optax.losses.poly_loss_cross_entropy`` (whose default is ``epsilon=2.0``); rax's
    ``poly1_softmax_loss`` uses 1.0, as we do.

    Args:
        logits: ``(..., C, ...)`` floating, the C classes on ``axis``.
        target: class indices (integer, ``logits``' shape without ``axis``) or probabilities
            (floating, ``logits``' shape).
        axis: the class axis. Default ``-1`` (last, as optax and Keras; torch's is 1).
        epsilon: the weight :math:`ε` of the first polynomial term, a float or a 0-d array.
            Default ``1.0``, rax's (the paper tunes it per task, see "Paper settings").
        label_smoothing: :math:`ε \in [0, 1]`, the target becomes :math:`(1-ε)\,y + ε/C`.
            Default ``0.0`` (no smoothing), as torch.
        sample_weight: optional per-row weights, broadcastable to the per-row loss
            (``logits``' shape without ``axis``). Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in the logits' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one
        loss per row (``logits``' shape without ``axis``) for ``reduction="none"``.

    References:
        - Z. Leng, M. Tan, C. Liu, E. D. Cubuk, X. Shi, S. Cheng and D. Anguelov (2022),
          "PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions", ICLR.
          arXiv:2204.12511.
        - Peer implementation followed: ``optax.losses.poly_loss_cross_entropy``.

    .. rubric:: Paper settings

    - Leng et al. (2022, arXiv:2204.12511) give no single default: their code listing takes
      ``epsilon`` as an argument (:math:`ε \ge -1`) and the best value depends on the task.
      optax's docstring cites the paper for :math:`ε = 2` on ImageNet classification and
      :math:`ε = -1` for instance segmentation and detection: pass ``epsilon=2.0`` or
      ``epsilon=-1.0``.

    Example:
        >>> import numpy as np, math
        >>> z = np.array([[0.0, math.log(3.0)]])
        >>> round(float(poly1_cross_entropy(z, np.array([1]))), 12) == round(
        ...     -math.log(0.75) + 0.25, 12)
        True
    """
    c = _Classes(
        "logits",
        logits,
        target,
        axis=axis,
        reduction=reduction,
        sample_weight=sample_weight,
        label_smoothing=label_smoothing,
        hyper={"epsilon": epsilon},
    )
    xp = c.xp
    eps = hyperparameter(xp, "epsilon", epsilon, c.scores)
    log_p = log_softmax(xp, c.scores)
    q = c.smoothed() if not c.indices else None
    if c.indices:
        ce = -c.pick(log_p)
        pt = xp.exp(c.pick(log_p))
        if c.label_smoothing:
            ls, C = c.label_smoothing, c.num_classes
            ce = (1 - ls) * ce - (ls / C) * xp.sum(log_p, axis=-1)
            pt = (1 - ls) * pt + ls / C  # Σ_c (ε/C) p_c = ε/C
    else:
        ce = -xp.sum(mass_times(xp, q, log_p), axis=-1)  # 0, not NaN, at a -inf logit
        pt = xp.sum(q * xp.exp(log_p), axis=-1)
    return c.finish(ce + eps * (1 - pt))


@sample_weighted
def softmax_focal_loss(
    logits: Array,
    target: Array,
    *,
    axis: int = -1,
    gamma: float = 2.0,
    alpha: Any = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Softmax focal loss (Lin et al. 2017, multi-class form):
    :math:`\ell = -\alpha_y\,(1 - p_y)^\gamma \log p_y`.

    With probability targets, :math:`-\sum_c q_c\,\alpha_c (1 - p_c)^\gamma \log p_c` (Keras'
    ``CategoricalFocalCrossentropy`` form). ``alpha``: ``None`` (no weighting), a float, or a
    ``(C,)`` array of per-class weights. :math:`1 - p` is computed as ``-expm1(log p)``, exact
    also when :math:`p \to 1`. ``gamma = 0`` is the cross entropy.

    Args:
        logits: ``(..., C, ...)`` floating, the C classes on ``axis``.
        target: class indices (integer, ``logits``' shape without ``axis``) or probabilities
            (floating, ``logits``' shape).
        axis: the class axis. Default ``-1`` (last, as optax and Keras; torch's is 1).
        gamma: the focusing exponent :math:`\gamma \ge 0`, a Python number. Default ``2.0``, the
            paper's choice; ``0`` gives the cross entropy.
        alpha: ``None`` (default: no class weighting), a float, or a ``(C,)`` array of per-class
            weights.
        sample_weight: optional per-row weights, broadcastable to the per-row loss
            (``logits``' shape without ``axis``). Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in the logits' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one
        loss per row (``logits``' shape without ``axis``) for ``reduction="none"``.

    References:
        - T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár (2017), "Focal Loss for Dense
          Object Detection", ICCV. arXiv:1708.02002.
        - Peer implementation followed (probability targets): Keras
          ``CategoricalFocalCrossentropy``.

    .. rubric:: Paper settings

    - Lin et al. (2017, arXiv:1708.02002) state the loss for binary classification with a
      sigmoid, :math:`-\alpha_t (1 - p_t)^\gamma \log p_t` with :math:`\alpha_t = \alpha` for
      the positive class and :math:`1 - \alpha` for the negative one (Section 3.2, Eq. 5; the
      multi-class case is left to footnote 1), and use :math:`\gamma = 2` with
      :math:`\alpha = 0.25` in all experiments (Section 5.1). Our ``gamma=2.0`` is the paper's;
      ``alpha`` defaults to ``None`` (no weighting), and a float ``alpha`` scales every class
      alike, which is not the paper's :math:`\alpha_t`. For the paper's setting use
      :func:`sigmoid_focal_loss` (its defaults are the paper's) or, with two classes and class 1
      the positive one, pass ``alpha`` as the ``(2,)`` array ``[0.75, 0.25]``.

    Example:
        >>> import numpy as np, math
        >>> z = np.array([[0.0, math.log(3.0)]])
        >>> round(float(softmax_focal_loss(z, np.array([1]))), 12) == round(
        ...     -(0.25 ** 2) * math.log(0.75), 12)
        True
    """
    c = _Classes(
        "logits",
        logits,
        target,
        axis=axis,
        reduction=reduction,
        sample_weight=sample_weight,
        hyper={"alpha": alpha},
    )
    xp = c.xp
    g = _gamma(gamma)
    if alpha is not None and is_array(alpha) and alpha.ndim == 1:
        if tuple(alpha.shape) != (c.num_classes,):
            raise ValueError(
                f"alpha must be a float, a 0-d array or shape ({c.num_classes},); "
                f"got {tuple(alpha.shape)}"
            )
        check_real(xp, "alpha", alpha)
        alpha_c: Any = as_dtype(xp, alpha, c.scores.dtype)
    elif alpha is not None:
        alpha_c = hyperparameter(xp, "alpha", alpha, c.scores, low=0.0)
    else:
        alpha_c = None
    log_p = log_softmax(xp, c.scores)
    if c.indices:
        lp = c.pick(log_p)
        loss = -_focal_factor(xp, -xp.expm1(lp), g) * lp
        if alpha_c is not None:
            if is_array(alpha_c) and alpha_c.ndim == 1:
                flat = xp.take(alpha_c, xp.reshape(c.safe_target(), (-1,)), axis=0)
                alpha_c = xp.reshape(flat, lp.shape)
            loss = alpha_c * loss
    else:
        # 0, not 0·(-inf) = NaN, for a class of no target mass masked to -inf
        terms = -_focal_factor(xp, -xp.expm1(log_p), g) * mass_times(xp, c.target, log_p)
        if alpha_c is not None:
            terms = alpha_c * terms
        loss = xp.sum(terms, axis=-1)
    return c.finish(loss)


def _gamma(gamma: Any) -> float:
    """The focusing exponent: a finite Python number ``>= 0`` (it picks code paths, so no
    arrays)."""
    return number("gamma", gamma, low=0.0, expected="a float")


def _focal_factor(xp: Namespace, one_minus_p: Array, gamma: float) -> Array:
    """:math:`(1-p)^\\gamma` with a finite gradient at :math:`1 - p = 0` (and 1 for γ = 0).

    The mask is ``<= 0``, not ``> 0``: NaN compares false, so it reaches the power and
    propagates instead of becoming a factor of 0."""
    if gamma == 0:
        return xp.ones_like(one_minus_p)
    zero = one_minus_p <= 0
    safe = xp.where(zero, xp.ones_like(one_minus_p), one_minus_p)
    return xp.where(zero, xp.zeros_like(one_minus_p), safe**gamma)


@sample_weighted
def kl_divergence(
    logits: Array,
    target: Array,
    *,
    axis: int = -1,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""KL divergence of the softmax of ``logits`` from the target distribution, per row:
    :math:`\ell = \sum_c t_c (\log t_c - \log\mathrm{softmax}(z)_c)`, with :math:`0 \log 0 = 0`.

    ``"mean"`` averages over rows, which equals torch's
    ``kl_div(log_softmax(z), t, reduction="batchmean")`` for 2-D inputs (torch's default
    ``"mean"`` averages over elements, which is not the KL divergence). Peers: torch
    ``kl_div``, ``optax.losses.kl_divergence(log_softmax(z), t)`` (note: log-predictions
    first in both).

    Args:
        logits: ``(..., C, ...)`` floating, the C classes on ``axis``.
        target: ``logits``' shape, floating target probabilities (each row sums to 1).
        axis: the class axis. Default ``-1`` (last, as optax and Keras; torch's is 1).
        sample_weight: optional per-row weights, broadcastable to the per-row loss
            (``logits``' shape without ``axis``). Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in the logits' floating dtype, a 0-d array for ``"mean"``/``"sum"``, one
        loss per row (``logits``' shape without ``axis``) for ``reduction="none"``.

    References:
        - S. Kullback and R. A. Leibler (1951), "On Information and Sufficiency", Annals of
          Mathematical Statistics 22(1). DOI 10.1214/aoms/1177729694.
        - Peer implementation followed: ``torch.nn.functional.kl_div`` with ``log_softmax``
          inputs and ``reduction="batchmean"``.

    Example:
        >>> import numpy as np
        >>> float(kl_divergence(np.zeros((1, 2)), np.array([[0.5, 0.5]])))
        0.0
    """
    c = _Classes(
        "logits",
        logits,
        target,
        axis=axis,
        reduction=reduction,
        sample_weight=sample_weight,
        allow_indices=False,
    )
    xp, t = c.xp, c.target
    # t log t with 0 log 0 = 0 and a finite gradient at t = 0 (a NaN target stays NaN)
    # and 0 for a class of no target mass whose logit is masked to -inf (not 0·(-inf) = NaN)
    loss = xp.sum(xlogx(xp, t) - mass_times(xp, t, log_softmax(xp, c.scores)), axis=-1)
    return c.finish(loss)


# ---------------------------------------------------------------------------------------------
# Elementwise binary losses


class _Binary(NamedTuple):
    """A validated elementwise binary problem: prediction and target of one shape."""

    xp: Namespace
    pred: Array  # compute dtype
    target: Array  # compute dtype
    out_dtype: Any


def _binary(
    pred_name: str,
    pred: Array,
    target: Array,
    *,
    sample_weight: Array | None,
    reduction: Any,
    hyper: dict[str, Any] | None = None,
) -> _Binary:
    """:func:`~arraylosses._validate.prepare`, then the elementwise shape checks: ``target``
    real or boolean and of the prediction's shape, ``sample_weight`` broadcastable to it.
    Remembered per pair's metadata where no weight or array hyperparameter joins the call
    (:func:`~arraylosses._validate.recall_pair`)."""
    key = None
    if sample_weight is None and hyper is None:
        key = pair_key(pred_name, pred, target, reduction)
        found = recall_pair(key, pred, target)
        if found is not None:
            xp, out_dtype, dtype = found
            p = pred if pred.dtype == dtype else xp.astype(pred, dtype)
            t = target if target.dtype == dtype else xp.astype(target, dtype)
            return _Binary(xp, p, t, out_dtype)
    xp, out_dtype, dtype = prepare(
        pred_name,
        pred,
        reduction=reduction,
        hyper=hyper,
        target=target,
        sample_weight=sample_weight,
    )
    if not isdtype(xp, target.dtype, _BINARY_KINDS):
        check_kind(xp, "target", target, _BINARY_KINDS, must="be a real or boolean array")
    check_same_shape(pred_name, pred, "target", target)
    if sample_weight is not None:
        check_sample_weight(xp, sample_weight, tuple(pred.shape))
    remember_pair(key, xp, out_dtype, dtype)
    # as_dtype inline: a small call's time is its Python calls (benchmarks/run.py overhead)
    p = pred if pred.dtype == dtype else xp.astype(pred, dtype)
    t = target if target.dtype == dtype else xp.astype(target, dtype)
    return _Binary(xp, p, t, out_dtype)


@sample_weighted
def binary_cross_entropy(
    probs: Array,
    target: Array,
    *,
    eps: float = 1e-7,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Binary cross entropy on probabilities,
    :math:`\ell = -(t \log \hat p + (1-t) \log(1-\hat p))` with
    :math:`\hat p = \mathrm{clip}(p, ε, 1-ε)`.

    The clip follows Keras (``ε = 1e-7``: each element's loss is at most
    :math:`-\log ε ≈ 16.1`, and the gradient is 0 beyond the clip). :math:`1 - \hat p` is
    clipped as such (``1 - p`` is exact for :math:`p \ge 1/2`): in float32, ``1 - ε`` itself
    rounds to :math:`1 - 1.19\cdot10^{-7}`, which would cap the loss at 15.94, not 16.12 as in
    float64 (Keras' float32 clip does; we keep float32 within its tolerance of float64). torch's
    ``binary_cross_entropy`` (the peer) instead clamps each log at -100, so the two agree
    exactly whenever :math:`ε \le p \le 1-ε` and differ for saturated probabilities (torch's
    loss reaches 100). Prefer :func:`binary_cross_entropy_with_logits`, which needs no clip.

    Args:
        probs: ``(...)`` floating probabilities in [0, 1], any shape. A value outside
            (logits passed by mistake) raises a ValueError that names
            :func:`binary_cross_entropy_with_logits`, in eager mode (as torch's
            ``binary_cross_entropy``); under ``jax.jit`` and ``torch.compile`` values are not
            read, and the clip applies.
        target: ``probs``' shape, real or boolean, in [0, 1] (soft labels allowed).
        eps: the clip :math:`ε` of the probabilities. Default ``1e-7``, as Keras: each element's
            loss is at most :math:`-\log ε ≈ 16.1`.
        sample_weight: optional per-element weights, broadcastable to ``probs``'s shape.
            Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``probs``'s floating dtype, a 0-d array for ``"mean"``/``"sum"``,
        ``probs``'s shape for ``reduction="none"``.

    References:
        - Peer implementations followed: ``torch.nn.functional.binary_cross_entropy`` and Keras
          ``binary_crossentropy`` (its clip).

    Example:
        >>> import numpy as np, math
        >>> float(binary_cross_entropy(np.array([0.75]), np.array([1.0]))) == -math.log(0.75)
        True
    """
    xp, p, t, out_dtype = _binary(
        "probs", probs, target, sample_weight=sample_weight, reduction=reduction
    )
    eps = number("eps", eps, low=0.0, low_inclusive=False, high=0.5, high_inclusive=False)
    check_in_range(xp, "probs", p, low=0.0, high=1.0, advice=_LOGITS_ADVICE)
    log_p = xp.log(xp.clip(p, eps, 1 - eps))
    # log(1 - p̂): log1p(-p) below 1/2; above, clip 1 - p (exact there) at eps, since 1 - eps
    # rounds in float32. clip propagates NaN on every backend, and both branches are finite.
    log_1mp = xp.where(p > 0.5, xp.log(xp.clip(1 - p, eps, 0.5)), xp.log1p(-xp.clip(p, eps, 0.5)))
    loss = -(t * log_p + (1 - t) * log_1mp)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def binary_cross_entropy_with_logits(
    logits: Array,
    target: Array,
    *,
    pos_weight: Array | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Sigmoid cross entropy
    :math:`\ell = w_+\,t\,\mathrm{softplus}(-z) + (1 - t)\,\mathrm{softplus}(z)`
    (:math:`= \mathrm{softplus}(z) - t z` without ``pos_weight``).

    Computed exactly in both tails: without ``pos_weight`` as
    :math:`\max(z, 0) - t z + \log(1 + e^{-|z|})`, so that a confident correct logit of
    :math:`|z| = 20` loses :math:`2.06\cdot10^{-9}`, not 0, in float32 at ``t = 1`` and at
    ``t = 0`` (``softplus(z) - t·z`` gives 0 at ``t = 1``, torch's
    ``(1 - t)·z - log σ(z)`` gives 0 at ``t = 0``); with ``pos_weight`` as the two softplus
    terms above. The gradient in ``z`` is :math:`σ(z) - t` (with ``pos_weight``
    :math:`(1 - t)\,σ(z) - w_+ t\,σ(-z)`), as torch's.

    ``pos_weight`` (an array broadcastable to ``logits``, typically ``(C,)`` for multi-label,
    or a Python number ``>= 0``) scales the positive term, as
    ``torch.nn.functional.binary_cross_entropy_with_logits`` (the peer; also
    ``optax.losses.sigmoid_binary_cross_entropy``). Exact for logits of ±1e4.

    Args:
        logits: ``(...)`` floating logits, any shape.
        target: ``logits``' shape, real or boolean, in [0, 1] (soft labels allowed).
        pos_weight: optional weight :math:`w_+ \ge 0` of the positive term, an array broadcastable
            to ``logits`` (typically ``(C,)`` for multi-label) or a Python number. Default ``None``
            (1).
        sample_weight: optional per-element weights, broadcastable to ``logits``'s shape.
            Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``logits``'s floating dtype, a 0-d array for ``"mean"``/``"sum"``,
        ``logits``'s shape for ``reduction="none"``.

    References:
        - Peer implementation followed: ``torch.nn.functional.binary_cross_entropy_with_logits``.

    Example:
        >>> import numpy as np, math
        >>> float(binary_cross_entropy_with_logits(np.array([0.0]), np.array([1.0]))) == math.log(2)
        True
    """
    xp, z, t, out_dtype = _binary(
        "logits",
        logits,
        target,
        sample_weight=sample_weight,
        reduction=reduction,
        hyper=None if pos_weight is None else {"pos_weight": pos_weight},
    )
    if pos_weight is None:
        loss = sigmoid_cross_entropy(xp, z, t)
    else:
        if is_array(pos_weight):
            check_weight(xp, pos_weight, tuple(logits.shape), name="pos_weight")
            pw = as_dtype(xp, pos_weight, z.dtype)
        else:
            pw = number("pos_weight", pos_weight, low=0.0, expected="an array or a number")
        # both softplus terms exact in their tails: (1 - t)·z + softplus(-z) cancels at t = 0
        loss = (1 - t) * softplus(xp, z) + pw * t * softplus(xp, -z)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def sigmoid_focal_loss(
    logits: Array,
    target: Array,
    *,
    alpha: Any = 0.25,
    gamma: float = 2.0,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Sigmoid focal loss (Lin et al. 2017, RetinaNet):
    :math:`\ell = \alpha_t\,(1 - p_t)^\gamma\,\mathrm{BCE}(z, t)`, with :math:`p = σ(z)`,
    :math:`p_t = p\,t + (1-p)(1-t)`, :math:`\alpha_t = \alpha t + (1-\alpha)(1-t)`.

    ``alpha=None`` disables the α weighting. Same formula as
    ``torchvision.ops.sigmoid_focal_loss`` (α=0.25 by default, disabled by α<0 there; its
    default reduction is ``"none"``) and ``optax.losses.sigmoid_focal_loss`` (α=None by
    default). :math:`1 - p_t` is computed as :math:`p(1-t) + σ(-z)\,t`, accurate in both tails.

    Args:
        logits: ``(...)`` floating logits, any shape.
        target: ``logits``' shape, real or boolean, in [0, 1].
        alpha: the positive-class weight :math:`\alpha \in [0, 1]`, a float or a 0-d array, or
            ``None`` to disable it. Default ``0.25``, the paper's and torchvision's.
        gamma: the focusing exponent :math:`\gamma \ge 0`, a Python number. Default ``2.0``, the
            paper's.
        sample_weight: optional per-element weights, broadcastable to ``logits``'s shape.
            Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``logits``'s floating dtype, a 0-d array for ``"mean"``/``"sum"``,
        ``logits``'s shape for ``reduction="none"``.

    References:
        - T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár (2017), "Focal Loss for Dense
          Object Detection", ICCV. arXiv:1708.02002.
        - Peer implementation followed: ``torchvision.ops.sigmoid_focal_loss``.

    .. rubric:: Paper settings

    - Lin et al. (2017, arXiv:1708.02002) sum the loss over all anchors of an image and divide
      by the number of anchors assigned to a ground-truth box, not by the number of anchors
      (Section 4.1, "Focal Loss"); our ``alpha=0.25`` and ``gamma=2.0`` are the paper's
      (Section 5.1), but ``reduction="mean"`` divides by the number of elements:
      ``reduction="sum"`` divided by the number of anchors assigned to a ground-truth box gives
      the paper's normalisation.

    Example:
        >>> import numpy as np, math
        >>> l = sigmoid_focal_loss(np.array([0.0]), np.array([1.0]), alpha=None)
        >>> float(l) == 0.25 * math.log(2)
        True
    """
    xp, z, t, out_dtype = _binary(
        "logits",
        logits,
        target,
        sample_weight=sample_weight,
        reduction=reduction,
        hyper={"alpha": alpha},
    )
    g = _gamma(gamma)
    a = None if alpha is None else hyperparameter(xp, "alpha", alpha, z, low=0.0, high=1.0)
    ce = sigmoid_cross_entropy(xp, z, t)
    one_minus_pt = sigmoid(xp, z) * (1 - t) + sigmoid(xp, -z) * t
    loss = _focal_factor(xp, one_minus_pt, g) * ce
    if a is not None:
        loss = (a * t + (1 - a) * (1 - t)) * loss
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


def _signed_target(xp: Namespace, t: Array) -> Array:
    """Targets in {0, 1} become {-1, 1}; -1 and 1 stay (elementwise, no value branching)."""
    return xp.where(t == 0, -xp.ones_like(t), t)


def _check_signs(xp: Namespace, target: Array) -> None:
    """Eager-only: labels in {-1, 0, 1}. Booleans always are (and cannot be compared with the
    Python int 1 in array_api_strict); NaN passes, to propagate as any NaN input."""
    if xp.isdtype(target.dtype, "bool"):
        return
    ok = (target == 1) | (target == 0) | (target == -1)
    if xp.isdtype(target.dtype, "real floating"):
        ok = ok | xp.isnan(target)
    check_values(xp, ok, "target must hold labels in {-1, 1} or {0, 1}")


@sample_weighted
def hinge_loss(
    scores: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Hinge loss, :math:`\ell = \max(0, 1 - y\,s)` elementwise, for labels :math:`y` in
    {-1, 1} or {0, 1} (0 is read as -1, as Keras ``hinge`` does; checked in eager mode) or
    booleans; a NaN label gives a NaN loss, not an error.

    Keras (the peer) averages over the last axis first; every element counts once here.

    Args:
        scores: ``(...)`` floating decision values, any shape.
        target: ``scores``' shape: labels in {-1, 1}, {0, 1} (0 read as -1) or booleans.
        sample_weight: optional per-element weights, broadcastable to ``scores``'s shape.
            Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``scores``'s floating dtype, a 0-d array for ``"mean"``/``"sum"``,
        ``scores``'s shape for ``reduction="none"``.

    References:
        - C. Cortes and V. Vapnik (1995), "Support-vector networks", Machine Learning 20.
          DOI 10.1007/BF00994018.
        - Peer implementation followed: Keras ``hinge``.

    Example:
        >>> import numpy as np
        >>> hinge_loss(np.array([0.3, 2.0, 0.5]), np.array([1, 1, 0]), reduction="none").tolist()
        [0.7, 0.0, 1.5]
    """
    xp, s, t, out_dtype = _binary(
        "scores", scores, target, sample_weight=sample_weight, reduction=reduction
    )
    _check_signs(xp, target)
    loss = xp.maximum(1 - _signed_target(xp, t) * s, xp.zeros_like(s))
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def squared_hinge_loss(
    scores: Array,
    target: Array,
    *,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Squared hinge, :math:`\ell = \max(0, 1 - y\,s)^2`; labels as :func:`hinge_loss`.
    Peer: Keras ``squared_hinge``.

    Args:
        scores: ``(...)`` floating decision values, any shape.
        target: ``scores``' shape: labels in {-1, 1}, {0, 1} (0 read as -1) or booleans.
        sample_weight: optional per-element weights, broadcastable to ``scores``'s shape.
            Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``scores``'s floating dtype, a 0-d array for ``"mean"``/``"sum"``,
        ``scores``'s shape for ``reduction="none"``.

    References:
        - C. Cortes and V. Vapnik (1995), "Support-vector networks", Machine Learning 20.
          DOI 10.1007/BF00994018.
        - Peer implementation followed: Keras ``squared_hinge``.

    Example:
        >>> import numpy as np
        >>> squared_hinge_loss(np.array([0.5, -1.0]), np.array([1, -1]), reduction="none").tolist()
        [0.25, 0.0]
    """
    xp, s, t, out_dtype = _binary(
        "scores", scores, target, sample_weight=sample_weight, reduction=reduction
    )
    _check_signs(xp, target)
    h = xp.maximum(1 - _signed_target(xp, t) * s, xp.zeros_like(s))
    return reduce_loss(
        xp, h * h, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


@sample_weighted
def margin_ranking_loss(
    x1: Array,
    x2: Array,
    target: Array,
    *,
    margin: Any = 0.0,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Margin ranking loss, :math:`\ell = \max(0, -y\,(x_1 - x_2) + m)` with :math:`y = 1`
    when ``x1`` should rank higher, -1 otherwise. Peer:
    ``torch.nn.functional.margin_ranking_loss`` (labels in {-1, 1}). Labels in {0, 1} and
    booleans work too: 0 (``False``) is read as -1, as in :func:`hinge_loss` (torch leaves
    :math:`y = 0` undefined); other values raise (checked in eager mode).

    Args:
        x1: ``(...)`` floating scores of the first items, any shape.
        x2: ``x1``'s shape, floating scores of the second items.
        target: ``x1``'s shape: 1 where ``x1`` should rank higher, -1 (or 0, or ``False``)
            otherwise.
        margin: the margin :math:`m`, a float or a 0-d array. Default ``0.0``, as torch.
        sample_weight: optional per-element weights, broadcastable to ``x1``'s shape.
            Default ``None``.
        reduction: ``"mean"`` (default, the peers' default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``x1``'s floating dtype, a 0-d array for ``"mean"``/``"sum"``,
        ``x1``'s shape for ``reduction="none"``.

    References:
        - Peer implementation followed: ``torch.nn.functional.margin_ranking_loss``.

    Example:
        >>> import numpy as np
        >>> margin_ranking_loss(np.array([1.0, 1.0]), np.array([0.5, 0.5]), np.array([1, -1]),
        ...                     margin=0.1, reduction="none").tolist()
        [0.0, 0.6]
    """
    xp, out_dtype, dtype = prepare(
        "x1",
        x1,
        reduction=reduction,
        hyper={"margin": margin},
        x2=x2,
        target=target,
        sample_weight=sample_weight,
    )
    check_same_shape("x1", x1, "x2", x2)
    check_same_shape("x1", x1, "target", target)
    check_kind(xp, "target", target, _BINARY_KINDS, must="be a real or boolean array")
    check_sample_weight(xp, sample_weight, tuple(x1.shape))
    _check_signs(xp, target)
    a, b, y = (as_dtype(xp, v, dtype) for v in (x1, x2, target))
    y = _signed_target(xp, y)
    m = hyperparameter(xp, "margin", margin, a)
    loss = xp.maximum(-y * (a - b) + m, xp.zeros_like(a))
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


def _chunked_class_logsumexp(xp: Namespace, h: Array, w: Array, b: Array, chunk: int) -> Array:
    """``log Σ_c exp(h·W_c + b_c)`` per row of ``h`` ``(M, D)``, the classes taken ``chunk``
    at a time with a running log-sum-exp, without the ``(M, C)`` logits: the forward saves
    ``h``, ``W``, ``b`` and the result, and the backward recomputes each chunk's logits, so
    memory is ``O(M·chunk + C·D)`` (Cut Cross-Entropy's scheme, arXiv:2411.09009). The full
    chunks run in :func:`arraylosses._backend.scan` (``lax.scan`` under JAX tracing), a shorter
    last chunk after them."""
    c = w.shape[0]
    full = c // chunk * chunk

    def pieces(*arrays: Array) -> list[tuple[bool, tuple[Array, ...]]]:
        out = []
        if full:
            out.append(
                (
                    True,
                    tuple(
                        xp.reshape(a[:full, ...], (full // chunk, chunk, *a.shape[1:]))
                        for a in arrays
                    ),
                )
            )
        if full < c:
            out.append((False, tuple(a[full:, ...] for a in arrays)))
        return out

    def logits(hh: Array, wk: Array, bk: Array) -> Array:
        return xp.matmul(hh, xp.matrix_transpose(wk)) + bk

    def forward(hh: Array, ww: Array, bb: Array) -> tuple[tuple[Array], tuple[Array, ...]]:
        run = xp.full((hh.shape[0],), -math.inf, dtype=hh.dtype, device=device_of(hh))

        def body(carry: Array, x: tuple[Array, ...]) -> tuple[Array, Array]:
            z = logits(hh, x[0], x[1])
            return logaddexp(xp, carry, logsumexp(xp, z, axis=-1)), const(xp, 0.0, carry)

        for scanned, xs in pieces(ww, bb):
            if scanned:
                run, _ = scan(xp, body, run, xs)
            else:
                run, _ = body(run, xs)
        return (run,), (hh, ww, bb, run)

    def backward(res: tuple[Array, ...], cots: tuple[Array, ...]) -> tuple[Array, ...]:
        hh, ww, bb, lse = res
        g = cots[0]

        def body(dh: Array, x: tuple[Array, ...]) -> tuple[Array, tuple[Array, Array]]:
            p = xp.exp(logits(hh, x[0], x[1]) - lse[:, None]) * g[:, None]  # (M, chunk)
            dh = dh + xp.matmul(p, x[0])
            return dh, (xp.matmul(xp.matrix_transpose(p), hh), xp.sum(p, axis=0))

        dh = xp.zeros_like(hh)
        dws, dbs = [], []
        for scanned, xs in pieces(ww, bb):
            if scanned:
                dh, (dw, db) = scan(xp, body, dh, xs)
                dws.append(xp.reshape(dw, (dw.shape[0] * dw.shape[1], dw.shape[2])))
                dbs.append(xp.reshape(db, (db.shape[0] * db.shape[1],)))
            else:
                dh, (dw, db) = body(dh, xs)
                dws.append(dw)
                dbs.append(db)
        dw = dws[0] if len(dws) == 1 else xp.concat(dws)
        db = dbs[0] if len(dbs) == 1 else xp.concat(dbs)
        return dh, dw, db

    return custom_gradient(xp, forward, backward)(h, w, b)[0]


@sample_weighted
def linear_cross_entropy(
    hidden: Array,
    linear_weight: Array,
    target: Array,
    *,
    linear_bias: Array | None = None,
    class_weight: Array | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Cross entropy of a linear classifier head, :func:`cross_entropy` of
    ``hidden @ linear_weightᵀ + linear_bias``, optionally without ever storing the logits.

    In plain text: ``z = h W^T + b``, then ``cross_entropy(z, target, ...)``.

    .. math:: z = h W^\top + b, \quad \ell = -\sum_c q_c \log \mathrm{softmax}(z)_c

    Every rule of :func:`cross_entropy` with class indices (torch semantics): ``class_weight``,
    ``ignore_index`` (a batch whose rows are all ignored gives 0 with a zero gradient; torch's
    mean is NaN), ``label_smoothing``, ``sample_weight``. ``ignore_index=None`` ignores
    nothing (torch's default is -100). Probability targets are not accepted (they would be an
    ``(N, C)`` array).

    ``chunk_size``: the classes are processed ``chunk_size`` at a time with a running
    log-sum-exp and the backward pass recomputes each chunk, so the ``(N, C)`` logits are
    stored neither in the forward nor in the backward (memory ``O(N·chunk_size + C·D)``,
    Wijmans et al.'s Cut Cross-Entropy). The label's logit is ``h·W[y] + b[y]`` and the
    smoothing term ``h·(Σ_c w_c W_c) + Σ_c w_c b_c``. Values and gradients equal the dense
    path's; it works under ``jax.grad``/``jit``, ``torch.func`` and ``torch.compile``.
    ``chunk_size > C`` is one chunk. torch's ``F.linear_cross_entropy`` chunks the batch, not
    the classes, and its chunked path does not support ``torch.func``.

    Args:
        hidden: ``(..., D)`` floating hidden states.
        linear_weight: ``(C, D)`` floating weight of the classifier head.
        target: integer class indices, ``hidden.shape[:-1]``.
        linear_bias: optional ``(C,)`` floating bias. Default ``None``.
        class_weight: optional ``(C,)`` per-class weights, as :func:`cross_entropy`.
        ignore_index: a class index whose rows contribute 0 and do not count in the mean.
            Default ``None``.
        label_smoothing: ``ε`` in ``[0, 1]``. Default ``0.0``.
        chunk_size: ``None`` (default: the dense logits) or an int ``>= 1``, the classes per
            chunk.
        sample_weight: optional per-row weights, broadcastable to ``hidden.shape[:-1]``.
        reduction: ``"mean"`` (default, torch's), ``"sum"`` or ``"none"``.

    Returns:
        In ``hidden``'s floating dtype, a 0-d array for ``"mean"``/``"sum"``, one loss per row
        (``hidden.shape[:-1]``) for ``reduction="none"``.

    References:
        - E. Wijmans, B. Huval, A. Hertzberg, V. Koltun and P. Krähenbühl (2024), "Cut Your
          Losses in Large-Vocabulary Language Models". arXiv:2411.09009.
        - Peer implementation followed: ``torch.nn.functional.linear_cross_entropy``.

    Example:
        >>> import numpy as np, math
        >>> h, w = np.array([[1.0, 0.0]]), np.array([[0.0, 0.0], [math.log(3.0), 0.0]])
        >>> round(float(linear_cross_entropy(h, w, np.array([1]), chunk_size=1)), 12)
        0.287682072452
    """
    xp, out_dtype, dtype = prepare(
        "hidden",
        hidden,
        reduction=reduction,
        linear_weight=linear_weight,
        target=target,
        linear_bias=linear_bias,
        class_weight=class_weight,
        sample_weight=sample_weight,
    )
    check_kind(xp, "linear_weight", linear_weight, ("real floating",), must="be floating")
    if hidden.ndim < 1:
        raise ValueError("hidden must have shape (..., D); got shape ()")
    if linear_weight.ndim != 2 or linear_weight.shape[1] != hidden.shape[-1]:
        raise ValueError(
            f"linear_weight must have shape (C, {hidden.shape[-1]}) for hidden of width "
            f"{hidden.shape[-1]}; got {tuple(linear_weight.shape)}"
        )
    c = linear_weight.shape[0]
    if linear_bias is not None:
        check_kind(xp, "linear_bias", linear_bias, ("real floating",), must="be floating")
        if tuple(linear_bias.shape) != (c,):
            raise ValueError(f"linear_bias must have shape ({c},); got {tuple(linear_bias.shape)}")
    check_kind(
        xp,
        "target",
        target,
        ("integral",),
        must="hold class indices (integer); probability targets are not accepted",
    )
    if chunk_size is not None:
        chunk_size = integer("chunk_size", chunk_size, low=1)
    h = as_dtype(xp, hidden, dtype)
    w = as_dtype(xp, linear_weight, dtype)
    b = None if linear_bias is None else as_dtype(xp, linear_bias, dtype)
    if chunk_size is None:
        if ignore_index is not None and tuple(target.shape) == tuple(h.shape[:-1]):
            # an ignored row is excluded: zero its hidden states (as the chunked path), so a
            # NaN there gives no 0·NaN gradient (its loss is 0 either way)
            keep = target != integer("ignore_index", ignore_index)
            h = xp.where(keep[..., None], h, xp.zeros_like(h))
        logits = xp.matmul(h, xp.matrix_transpose(w))
        if b is not None:
            logits = logits + b
        loss = cross_entropy(
            logits,
            target,
            class_weight=class_weight,
            ignore_index=ignore_index,
            label_smoothing=label_smoothing,
            sample_weight=sample_weight,
            reduction=reduction,
        )
        return as_dtype(xp, loss, out_dtype)
    rows = tuple(h.shape[:-1])
    if tuple(target.shape) != rows:
        raise ValueError(
            f"target of class indices must have hidden's shape without its last axis {rows}; "
            f"got {tuple(target.shape)}"
        )
    if ignore_index is not None:
        ignore_index = integer("ignore_index", ignore_index)
    check_labels(xp, "target", target, num_classes=c, ignore_index=ignore_index)
    cw = None
    if class_weight is not None:
        check_real(xp, "class_weight", class_weight)
        if tuple(class_weight.shape) != (c,):
            raise ValueError(
                f"class_weight must have shape ({c},); got {tuple(class_weight.shape)}"
            )
        cw = as_dtype(xp, class_weight, dtype)
    check_sample_weight(xp, sample_weight, rows)
    eps = number("label_smoothing", label_smoothing, low=0.0, high=1.0, expected="a float")
    t = as_dtype(xp, target, index_dtype(xp, target))
    n = math.prod(rows)
    d = h.shape[-1]
    hf = xp.reshape(h, (n, d))
    tf = xp.reshape(t, (n,))
    mask = None if ignore_index is None else tf != ignore_index
    if mask is not None:  # ignored rows: label 0 and a zero row (finite, no gradient back)
        tf = xp.where(mask, tf, xp.zeros_like(tf))
        hf = xp.where(mask[:, None], hf, xp.zeros_like(hf))
    bias = xp.zeros((c,), dtype=dtype, device=device_of(h)) if b is None else b
    lse = _chunked_class_logsumexp(xp, hf, w, bias, chunk_size)
    picked = xp.sum(hf * xp.take(w, tf, axis=0), axis=-1)
    if b is not None:
        picked = picked + xp.take(b, tf, axis=0)
    nll = lse - picked
    lw = None if cw is None else xp.take(cw, tf, axis=0)
    if lw is not None:
        nll = lw * nll
    if eps:
        weights = xp.ones((c,), dtype=dtype, device=device_of(h)) if cw is None else cw
        mixed = xp.matmul(weights[None, :], w)[0, ...]  # Σ_c w_c W_c
        smooth = lse * xp.sum(weights) - xp.sum(hf * mixed, axis=-1)
        if b is not None:
            smooth = smooth - xp.sum(weights * b)
        nll = (1 - eps) * nll + (eps / c) * smooth
    norm = lw
    if mask is not None:
        nll = xp.where(mask, nll, xp.zeros_like(nll))
        keep = xp.astype(mask, nll.dtype)
        norm = keep if norm is None else norm * keep
    loss = xp.reshape(nll, rows)
    norm = None if norm is None else xp.reshape(norm, rows)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype, norm=norm
    )
