"""Streaming regression metrics: the per-sample terms of :mod:`arraylosses.metrics.regression`
summed per output (MSE, RMSE, MAE, MAPE), or merged as weighted moments (R², explained
variance: Chan, Golub & LeVeque's pairwise update, never ``Σt² - (Σt)²/n``, whose
cancellation loses every digit when the mean is large against the spread)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..._backend import Array, Namespace, as_dtype, device_of
from ..._ops import divide_or_nan, safe_divide
from ..._validate import check_option, flag, integer, is_array, options
from ...typing import MultiOutput, VarianceMultiOutput
from .. import regression as oneshot
from ._core import (
    MeanState,
    StateSpace,
    StreamingMetric,
    check_mask,
    masked,
    mean_of,
    row_weights,
    rows_counted,
    state_space,
    zeros,
)

__all__ = [
    "CorrelationState",
    "ExplainedVarianceState",
    "R2State",
    "WeightedPercentageState",
    "concordance_corrcoef",
    "explained_variance_score",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_log_error",
    "pearson_corrcoef",
    "r2_score",
    "root_mean_squared_error",
    "root_mean_squared_log_error",
    "symmetric_mean_absolute_percentage_error",
    "weighted_mean_absolute_percentage_error",
]


def _outputs(num_outputs: Any) -> int | None:
    return None if num_outputs is None else integer("num_outputs", num_outputs, low=1)


def _multioutput(multioutput: Any, allowed: tuple[str, ...], k: int | None) -> Any:
    """A string option, or output weights as a tuple of floats (hashable, so the metric can be
    a static argument under ``jax.jit``)."""
    if isinstance(multioutput, str):
        return check_option("multioutput", multioutput, allowed)
    try:
        weights = tuple(
            float(w) for w in (multioutput if not is_array(multioutput) else list(multioutput))
        )
    except (TypeError, ValueError):
        raise ValueError(
            f"multioutput must be one of {', '.join(map(repr, allowed))} or a sequence of "
            f"output weights; got {multioutput!r}"
        ) from None
    if len(weights) != (k or 1):
        raise ValueError(
            f"multioutput weights must have one weight per output ({k or 1}); got {len(weights)}"
        )
    return weights


@dataclass(frozen=True)
class _RegressionMetric(StreamingMetric):
    """Shared by the regression metrics: ``num_outputs`` (None: ``(N,)`` inputs; ``K``:
    ``(N, K)`` inputs) and ``multioutput``."""

    num_outputs: int | None = None
    multioutput: Any = "uniform_average"
    _allowed = options(MultiOutput)

    def __post_init__(self) -> None:
        object.__setattr__(self, "num_outputs", _outputs(self.num_outputs))
        object.__setattr__(
            self, "multioutput", _multioutput(self.multioutput, self._allowed, self.num_outputs)
        )

    @property
    def _k(self) -> int:
        return self.num_outputs or 1

    def _columns(
        self, space: StateSpace, pred: Array, target: Array, sample_weight: Any, mask: Any
    ) -> tuple[oneshot.Columns, Array]:
        """The batch as ``(N, K)`` columns (masked rows zeroed) and its ``(N, 1)`` weights."""
        xp = space.xp
        check_mask(xp, mask, pred.shape[0] if pred.ndim else -1)
        expected = 1 if self.num_outputs is None else 2
        if pred.ndim != expected or (expected == 2 and pred.shape[1] != self.num_outputs):
            want = "(N,)" if self.num_outputs is None else f"(N, {self.num_outputs})"
            raise ValueError(
                f"pred must have shape {want} (num_outputs={self.num_outputs}); "
                f"got {tuple(pred.shape)}"
            )
        pred, target = masked(xp, pred, mask), masked(xp, target, mask)
        c = oneshot.columns(
            pred,
            target,
            sample_weight=sample_weight,
            multioutput="raw_values",
            allowed=("raw_values",),
        )
        w = row_weights(space, (pred.shape[0],), sample_weight, mask)
        return c, w[:, None]

    def _output_weights(self, xp: Namespace, like: Array) -> Any:
        """``multioutput`` as given, or its output weights as an array like ``like``."""
        if isinstance(self.multioutput, tuple):
            return xp.asarray(self.multioutput, dtype=like.dtype, device=device_of(like))
        return self.multioutput

    def _combine(self, xp: Namespace, scores: Array) -> Array:
        return oneshot.combine_outputs(xp, scores, self._output_weights(xp, scores), scores.dtype)


@dataclass(frozen=True)
class _MeanError(_RegressionMetric):
    """MSE, RMSE, MAE, MAPE: a running weighted mean of a per-sample error, per output."""

    term: Callable[[Namespace, Array, Array], Array] = oneshot.squared_error
    root: bool = False

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> MeanState:
        space = state_space(like, dtype, device)
        return MeanState(zeros(space, (self._k,)), zeros(space))

    def update(
        self,
        state: MeanState,
        pred: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> MeanState:
        space = self._space_of(state)
        c, w = self._columns(space, pred, target, sample_weight, mask)
        xp = space.xp
        error = as_dtype(xp, self.term(xp, c.pred, c.target), space.dtype)
        batch = MeanState(xp.sum(w * error, axis=0), xp.sum(w))
        return self.merge(state, batch)

    def compute(self, state: MeanState) -> Array:
        xp = self._space_of(state).xp
        per_output = mean_of(xp, state)
        return self._combine(xp, xp.sqrt(per_output) if self.root else per_output)


def mean_squared_error(
    *, num_outputs: int | None = None, multioutput: MultiOutput | Any = "uniform_average"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.mean_squared_error`: state ``MeanState`` with
    ``total = Σ w (p - t)²`` per output and ``weight = Σ w``.

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of output
            weights, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.mean_squared_error`.

    Example:
        >>> import numpy as np
        >>> m = mean_squared_error()
        >>> s = m.update(m.init(np), np.array([2.5, 0.0]), np.array([3.0, -0.5]))
        >>> s = m.update(s, np.array([2.0, 8.0]), np.array([2.0, 7.0]))
        >>> float(m.compute(s))
        0.375
    """
    return _MeanError(num_outputs, multioutput, term=oneshot.squared_error)


def root_mean_squared_error(
    *, num_outputs: int | None = None, multioutput: MultiOutput | Any = "uniform_average"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.root_mean_squared_error`: the MSE's state, the
    square root taken per output in ``compute``.

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of output
            weights, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.root_mean_squared_error`.

    Example:
        >>> import numpy as np
        >>> m = root_mean_squared_error()
        >>> float(m.compute(m.update(m.init(np), np.array([1.0, 1.0]), np.array([4.0, -3.0]))))
        3.5355339059327378
    """
    return _MeanError(num_outputs, multioutput, term=oneshot.squared_error, root=True)


def mean_absolute_error(
    *, num_outputs: int | None = None, multioutput: MultiOutput | Any = "uniform_average"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.mean_absolute_error` (``total = Σ w |p - t|``).

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of output
            weights, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.mean_absolute_error`.

    Example:
        >>> import numpy as np
        >>> m = mean_absolute_error()
        >>> float(m.compute(m.update(m.init(np), np.array([2.5, 0.0]), np.array([3.0, -0.5]))))
        0.5
    """
    return _MeanError(num_outputs, multioutput, term=oneshot.absolute_error)


def mean_absolute_percentage_error(
    *, num_outputs: int | None = None, multioutput: MultiOutput | Any = "uniform_average"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.mean_absolute_percentage_error`
    (``total = Σ w |p - t| / max(|t|, ε)``).

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of output
            weights, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.mean_absolute_percentage_error`.

    Example:
        >>> import numpy as np
        >>> m = mean_absolute_percentage_error()
        >>> float(m.compute(m.update(m.init(np), np.array([1.1, 2.0]), np.array([1.0, 4.0]))))
        0.3
    """
    return _MeanError(num_outputs, multioutput, term=oneshot.absolute_percentage_error)


def _merge_moments(
    xp: Namespace, wa: Array, ma: Array, m2a: Array, wb: Array, mb: Array, m2b: Array
) -> tuple[Array, Array, Array]:
    """Chan, Golub & LeVeque (1979): the weight, mean and centred sum of squares of the union
    of two weighted samples. Both empty (``wa + wb = 0``): the mean stays ``ma``."""
    w = wa + wb
    delta = mb - ma
    share = safe_divide(xp, wb, w)
    # (δ·wa)(δ·share), not δ²·wa·share: δ² may overflow (a float32 mean of 3e19) where a side
    # is empty, and inf * 0 would be NaN
    return w, ma + delta * share, m2a + m2b + (delta * wa) * (delta * share)


def _moments(xp: Namespace, w: Array, x: Array) -> tuple[Array, Array, Array]:
    """``(Σ w, weighted mean, Σ w (x - mean)²)`` of one batch, per column (two passes)."""
    total = xp.sum(w)
    mean = safe_divide(xp, xp.sum(w * x, axis=0), total)
    d = x - mean
    return total, mean, xp.sum((w * d) * d, axis=0)  # a masked row: (0 * d) * d = 0


class R2State(NamedTuple):
    """``count`` (rows counted, integer), ``weight = Σ w``, the target's weighted ``target_mean``
    and centred ``target_m2 = Σ w (t - t̄)²`` per output, and ``sse = Σ w (t - p)²``."""

    count: Array
    weight: Array
    target_mean: Array
    target_m2: Array
    sse: Array


class ExplainedVarianceState(NamedTuple):
    """``weight = Σ w``, and the weighted mean and centred sum of squares, per output, of the
    target (``target_*``) and of the residual ``t - p`` (``residual_*``)."""

    weight: Array
    target_mean: Array
    target_m2: Array
    residual_mean: Array
    residual_m2: Array


@dataclass(frozen=True)
class _Explained(_RegressionMetric):
    """R² (``residual=False``) and explained variance (``residual=True``)."""

    force_finite: bool = True
    residual: bool = False
    _allowed = options(VarianceMultiOutput)
    summable = False

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "force_finite", flag("force_finite", self.force_finite))

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> Any:
        space = state_space(like, dtype, device)
        k = (self._k,)
        if self.residual:
            return ExplainedVarianceState(
                zeros(space), zeros(space, k), zeros(space, k), zeros(space, k), zeros(space, k)
            )
        return R2State(
            zeros(space, integer=True),
            zeros(space),
            zeros(space, k),
            zeros(space, k),
            zeros(space, k),
        )

    def update(
        self,
        state: Any,
        pred: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> Any:
        space = self._space_of(state)
        xp = space.xp
        c, w = self._columns(space, pred, target, sample_weight, mask)
        t = as_dtype(xp, c.target, space.dtype)
        r = t - as_dtype(xp, c.pred, space.dtype)
        weight, mean, m2 = _moments(xp, w, t)
        if self.residual:
            _, r_mean, r_m2 = _moments(xp, w, r)
            return self.merge(state, ExplainedVarianceState(weight, mean, m2, r_mean, r_m2))
        count = rows_counted(space, pred.shape[0], mask)
        return self.merge(state, R2State(count, weight, mean, m2, xp.sum((w * r) * r, axis=0)))

    def merge(self, a: Any, b: Any) -> Any:
        xp = self._space_of(a).xp
        w, mean, m2 = _merge_moments(
            xp, a.weight, a.target_mean, a.target_m2, b.weight, b.target_mean, b.target_m2
        )
        if self.residual:
            _, r_mean, r_m2 = _merge_moments(
                xp,
                a.weight,
                a.residual_mean,
                a.residual_m2,
                b.weight,
                b.residual_mean,
                b.residual_m2,
            )
            return ExplainedVarianceState(w, mean, m2, r_mean, r_m2)
        return R2State(a.count + b.count, w, mean, m2, a.sse + b.sse)

    def compute(self, state: Any) -> Array:
        xp = self._space_of(state).xp
        if self.residual:
            numerator = divide_or_nan(xp, state.residual_m2, state.weight)
            denominator = divide_or_nan(xp, state.target_m2, state.weight)
        else:
            # fewer than 2 rows (the one-shot raises) or weights summing to 0: NaN
            undefined = (state.count < 2) | (state.weight == 0)
            nan = xp.full_like(state.sse, math.nan)
            numerator = xp.where(undefined, nan, state.sse)
            denominator = xp.where(undefined, nan, state.target_m2)
        return oneshot.explained_fraction(
            xp,
            numerator,
            denominator,
            multioutput=self._output_weights(xp, numerator),
            force_finite=self.force_finite,
            out_dtype=numerator.dtype,
        )


def r2_score(
    *,
    num_outputs: int | None = None,
    multioutput: VarianceMultiOutput | Any = "uniform_average",
    force_finite: bool = True,
) -> StreamingMetric:
    r"""Streaming :func:`arraylosses.metrics.r2_score`: state :class:`R2State`, the target's
    weighted mean and centred sum of squares merged pairwise (Chan et al.), and
    :math:`\sum w (t - p)^2`. ``compute`` gives NaN for fewer than 2 rows (the one-shot
    raises; a stream cannot raise under ``jax.jit``). Not summable: a distributed merge
    gathers the states.

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"``, ``"variance_weighted"``
            or a ``(K,)`` array of output weights, as the one-shot metric.
        force_finite: as the one-shot metric. Default ``True``.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`R2State`; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.r2_score`.
        - T. F. Chan, G. H. Golub and R. J. LeVeque (1979), "Updating Formulae and a Pairwise
          Algorithm for Computing Sample Variances", Stanford report STAN-CS-79-773 (the pairwise
          merge of weighted moments).
        - T. F. Chan, G. H. Golub and R. J. LeVeque (1983), "Algorithms for Computing the Sample
          Variance: Analysis and Recommendations", The American Statistician 37(3), 242-247.
          https://www.jstor.org/stable/2683386

    Example:
        >>> import numpy as np
        >>> m = r2_score()
        >>> s = m.update(m.init(np), np.array([2.5, 0.0]), np.array([3.0, -0.5]))
        >>> s = m.update(s, np.array([2.0, 8.0]), np.array([2.0, 7.0]))
        >>> round(float(m.compute(s)), 12)
        0.948608137045
    """
    return _Explained(num_outputs, multioutput, force_finite=force_finite, residual=False)


def explained_variance_score(
    *,
    num_outputs: int | None = None,
    multioutput: VarianceMultiOutput | Any = "uniform_average",
    force_finite: bool = True,
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.explained_variance_score`: state
    :class:`ExplainedVarianceState`, the weighted moments of the target and of the residual,
    merged pairwise (Chan et al.).

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"``, ``"variance_weighted"``
            or a ``(K,)`` array of output weights, as the one-shot metric.
        force_finite: as the one-shot metric. Default ``True``.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`ExplainedVarianceState`; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.explained_variance_score`.
        - T. F. Chan, G. H. Golub and R. J. LeVeque (1979), "Updating Formulae and a Pairwise
          Algorithm for Computing Sample Variances", Stanford report STAN-CS-79-773 (the pairwise
          merge of weighted moments).
        - T. F. Chan, G. H. Golub and R. J. LeVeque (1983), "Algorithms for Computing the Sample
          Variance: Analysis and Recommendations", The American Statistician 37(3), 242-247.
          https://www.jstor.org/stable/2683386

    Example:
        >>> import numpy as np
        >>> m = explained_variance_score()
        >>> s = m.update(m.init(np), np.array([2.5, 0.0]), np.array([3.0, -0.5]))
        >>> s = m.update(s, np.array([2.0, 8.0]), np.array([2.0, 7.0]))
        >>> round(float(m.compute(s)), 12)
        0.957173447537
    """
    return _Explained(num_outputs, multioutput, force_finite=force_finite, residual=True)


# ---------------------------------------------------------------------------------------------
# Wave 3: logarithmic and percentage errors, Pearson and concordance correlation


def mean_squared_log_error(
    *, num_outputs: int | None = None, multioutput: MultiOutput | Any = "uniform_average"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.mean_squared_log_error`: state ``MeanState`` with
    ``total = Σ w (log1p(p) - log1p(t))²`` per output and ``weight = Σ w``. A value ≤ -1 in a
    counted row raises ``ValueError`` eagerly (NaN under ``jax.jit``); masked rows may hold
    anything.

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of output
            weights, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.mean_squared_log_error`.

    Example:
        >>> import numpy as np
        >>> m = mean_squared_log_error()
        >>> s = m.update(m.init(np), np.array([1.0]), np.array([0.0]))
        >>> round(float(m.compute(m.update(s, np.array([3.0]), np.array([3.0])))), 12)
        0.240226506959
    """
    return _MeanError(num_outputs, multioutput, term=oneshot.squared_log_error)


def root_mean_squared_log_error(
    *, num_outputs: int | None = None, multioutput: MultiOutput | Any = "uniform_average"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.root_mean_squared_log_error`: the MSLE's state, the
    square root taken per output in ``compute``.

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of output
            weights, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.root_mean_squared_log_error`.

    Example:
        >>> import numpy as np
        >>> m = root_mean_squared_log_error()
        >>> s = m.update(m.init(np), np.array([1.0, 3.0]), np.array([0.0, 3.0]))
        >>> round(float(m.compute(s)), 12)
        0.490129071734
    """
    return _MeanError(num_outputs, multioutput, term=oneshot.squared_log_error, root=True)


def symmetric_mean_absolute_percentage_error(
    *, num_outputs: int | None = None, multioutput: MultiOutput | Any = "uniform_average"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.symmetric_mean_absolute_percentage_error`: state
    ``MeanState`` with ``total = Σ w 2|p - t| / (|p| + |t|)`` per output (0 where
    ``p = t = 0``).

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of output
            weights, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.symmetric_mean_absolute_percentage_error`.

    Example:
        >>> import numpy as np
        >>> m = symmetric_mean_absolute_percentage_error()
        >>> s = m.update(m.init(np), np.array([1.0, 0.0]), np.array([3.0, 0.0]))
        >>> float(m.compute(s))
        0.5
    """
    return _MeanError(num_outputs, multioutput, term=oneshot.symmetric_percentage_error)


class WeightedPercentageState(NamedTuple):
    """``error = Σ w |p - t|`` and ``scale = Σ w |t|`` per output, and ``weight = Σ w``
    (0-d). Merged by adding."""

    error: Array
    scale: Array
    weight: Array


@dataclass(frozen=True)
class _WeightedPercentage(_RegressionMetric):
    """WMAPE: the per-output sums of absolute errors and of absolute targets."""

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> Any:
        space = state_space(like, dtype, device)
        return WeightedPercentageState(
            zeros(space, (self._k,)), zeros(space, (self._k,)), zeros(space)
        )

    def update(
        self,
        state: Any,
        pred: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> Any:
        space = self._space_of(state)
        xp = space.xp
        c, w = self._columns(space, pred, target, sample_weight, mask)
        p, t = as_dtype(xp, c.pred, space.dtype), as_dtype(xp, c.target, space.dtype)
        batch = WeightedPercentageState(
            xp.sum(w * xp.abs(p - t), axis=0), xp.sum(w * xp.abs(t), axis=0), xp.sum(w)
        )
        return self.merge(state, batch)

    def compute(self, state: Any) -> Array:
        xp = self._space_of(state).xp
        ratio = oneshot.weighted_percentage_ratio(xp, state.error, state.scale, state.weight)
        return self._combine(xp, ratio)


def weighted_mean_absolute_percentage_error(
    *, num_outputs: int | None = None, multioutput: MultiOutput | Any = "uniform_average"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.weighted_mean_absolute_percentage_error`: state
    :class:`WeightedPercentageState`, ``(Σ w|p - t|, Σ w|t|)`` per output and ``Σ w``, merged
    by adding.

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of output
            weights, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`WeightedPercentageState`; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.weighted_mean_absolute_percentage_error`.

    Example:
        >>> import numpy as np
        >>> m = weighted_mean_absolute_percentage_error()
        >>> s = m.update(m.init(np), np.array([1.0]), np.array([2.0]))
        >>> float(m.compute(m.update(s, np.array([3.0]), np.array([2.0]))))
        0.5
    """
    return _WeightedPercentage(num_outputs, multioutput)


class CorrelationState(NamedTuple):
    """``count`` (rows counted, integer), the means ``pred_mean`` and ``target_mean``, the
    centred sums of squares ``pred_m2``, ``target_m2`` and the co-moment
    ``comoment = Σ (p - p̄)(t - t̄)``, per output."""

    count: Array
    pred_mean: Array
    target_mean: Array
    pred_m2: Array
    target_m2: Array
    comoment: Array


@dataclass(frozen=True)
class _Correlation(_RegressionMetric):
    """Pearson (``concordance=False``) and Lin's concordance: moments merged pairwise (Chan,
    Golub & LeVeque), never raw power sums."""

    concordance: bool = False
    summable = False
    sample_weighted = False

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> Any:
        space = state_space(like, dtype, device)
        k = (self._k,)
        return CorrelationState(zeros(space, integer=True), *(zeros(space, k) for _ in range(5)))

    def update(
        self,
        state: Any,
        pred: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> Any:
        self._no_weight(sample_weight)
        space = self._space_of(state)
        xp = space.xp
        c, w = self._columns(space, pred, target, None, mask)
        p, t = as_dtype(xp, c.pred, space.dtype), as_dtype(xp, c.target, space.dtype)
        _, p_mean, p_m2 = _moments(xp, w, p)
        _, t_mean, t_m2 = _moments(xp, w, t)
        comoment = xp.sum((w * (p - p_mean)) * (t - t_mean), axis=0)
        count = rows_counted(space, pred.shape[0], mask)
        return self.merge(state, CorrelationState(count, p_mean, t_mean, p_m2, t_m2, comoment))

    def merge(self, a: Any, b: Any) -> Any:
        space = self._space_of(a)
        xp = space.xp
        wa, wb = as_dtype(xp, a.count, space.dtype), as_dtype(xp, b.count, space.dtype)
        _, p_mean, p_m2 = _merge_moments(xp, wa, a.pred_mean, a.pred_m2, wb, b.pred_mean, b.pred_m2)
        _, t_mean, t_m2 = _merge_moments(
            xp, wa, a.target_mean, a.target_m2, wb, b.target_mean, b.target_m2
        )
        share = safe_divide(xp, wb, wa + wb)
        dp, dt = b.pred_mean - a.pred_mean, b.target_mean - a.target_mean
        comoment = a.comoment + b.comoment + (dp * wa) * (dt * share)
        return CorrelationState(a.count + b.count, p_mean, t_mean, p_m2, t_m2, comoment)

    def compute(self, state: Any) -> Array:
        xp = self._space_of(state).xp
        n = as_dtype(xp, state.count, state.comoment.dtype)
        few = state.count < 2
        one = xp.ones_like(state.comoment)
        if self.concordance:
            shift = state.pred_mean - state.target_mean
            den = (state.pred_m2 + state.target_m2) / xp.where(few, one, n) + shift * shift
            ok = (den > 0) & ~few
            value = 2 * state.comoment / xp.where(few, one, n) / xp.where(ok, den, one)
        else:
            den = xp.sqrt(state.pred_m2) * xp.sqrt(state.target_m2)
            ok = (den > 0) & ~few
            value = xp.clip(state.comoment / xp.where(ok, den, one), -1.0, 1.0)
        value = xp.where(ok | xp.isnan(value), value, xp.full_like(value, math.nan))
        return self._combine(xp, value)


def pearson_corrcoef(
    *, num_outputs: int | None = None, multioutput: MultiOutput | Any = "uniform_average"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.pearson_corrcoef`: state :class:`CorrelationState`
    (count, means, centred sums of squares and the co-moment per output), merged pairwise
    (Chan, Golub & LeVeque), as :func:`r2_score`: a mean of 1e9 with unit spread keeps its
    digits where raw power sums lose them all. Not summable: a distributed merge gathers the
    states. Fewer than 2 rows, or a constant column, give NaN. No ``sample_weight``.

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of output
            weights, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`CorrelationState`; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.pearson_corrcoef`.
        - T. F. Chan, G. H. Golub and R. J. LeVeque (1979), "Updating Formulae and a Pairwise
          Algorithm for Computing Sample Variances", Stanford report STAN-CS-79-773.

    Example:
        >>> import numpy as np
        >>> m = pearson_corrcoef()
        >>> s = m.update(m.init(np), np.array([1.0, 2.0]), np.array([2.0, 4.0]))
        >>> round(float(m.compute(m.update(s, np.array([3.0]), np.array([7.0])))), 12)
        0.993399267799
    """
    return _Correlation(num_outputs, multioutput, concordance=False)


def concordance_corrcoef(
    *, num_outputs: int | None = None, multioutput: MultiOutput | Any = "uniform_average"
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.concordance_corrcoef`: the moment state and merge
    of :func:`pearson_corrcoef`, Lin's coefficient (1/N moments) in ``compute``. Not
    summable. Fewer than 2 rows give NaN. No ``sample_weight``.

    Args:
        num_outputs: ``None`` (default: ``(N,)`` inputs) or ``K`` for ``(N, K)`` inputs; fixes the
            state's shape.
        multioutput: ``"uniform_average"`` (default), ``"raw_values"`` or a ``(K,)`` array of output
            weights, as the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`CorrelationState`; ``compute`` gives a 0-d array (``(K,)`` with
        ``multioutput="raw_values"``), in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.concordance_corrcoef`.
        - T. F. Chan, G. H. Golub and R. J. LeVeque (1979), "Updating Formulae and a Pairwise
          Algorithm for Computing Sample Variances", Stanford report STAN-CS-79-773.

    Example:
        >>> import numpy as np
        >>> m = concordance_corrcoef()
        >>> s = m.update(m.init(np), np.array([1.0, 2.0]), np.array([2.0, 3.0]))
        >>> round(float(m.compute(m.update(s, np.array([3.0]), np.array([4.0])))), 12)  # 4/7
        0.571428571429
    """
    return _Correlation(num_outputs, multioutput, concordance=True)
