"""Streaming calibration metrics: the binned calibration error over per-bin sums, and the Brier
score as a running weighted mean."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..._backend import Array, as_dtype
from ...typing import CalibrationNorm
from .. import calibration as oneshot
from ._core import StreamingMetric, check_mask, masked, state_space, zeros
from .classification import _ProbsRowMean

__all__ = ["CalibrationState", "brier_score", "calibration_error"]


class CalibrationState(NamedTuple):
    """Per-bin ``count`` (integer), summed confidence and summed outcome, each ``(n_bins,)``,
    and ``invalid`` (0-d), the number of batches that held a counted row with a NaN (or, under
    jit, a value out of range). Merged by adding."""

    count: Array
    confidence: Array
    outcome: Array
    invalid: Array


@dataclass(frozen=True)
class _CalibrationError(StreamingMetric):
    n_bins: int = 15
    norm: str = "l1"
    sample_weighted = False

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> CalibrationState:
        space = state_space(like, dtype, device)
        bins = (self.n_bins,)
        return CalibrationState(
            zeros(space, bins, integer=True), zeros(space, bins), zeros(space, bins), zeros(space)
        )

    def update(
        self,
        state: CalibrationState,
        probs: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> CalibrationState:
        self._no_weight(sample_weight)
        space = self._space_of(state)
        xp = space.xp
        check_mask(xp, mask, probs.shape[0] if probs.ndim else -1)
        probs, target = masked(xp, probs, mask), masked(xp, target, mask)
        b = oneshot.calibration_bins(probs, target, n_bins=self.n_bins, include=mask)
        batch = CalibrationState(
            as_dtype(xp, b.count, space.int_dtype),
            as_dtype(xp, b.confidence, space.dtype),
            as_dtype(xp, b.outcome, space.dtype),
            as_dtype(xp, b.invalid, space.dtype),
        )
        return self.merge(state, batch)

    def compute(self, state: CalibrationState) -> Array:
        space = self._space_of(state)
        return oneshot.calibration_from_bins(
            space.xp,
            state.count,
            state.confidence,
            state.outcome,
            state.invalid > 0,
            norm=self.norm,
            out_dtype=space.dtype,
        )


def calibration_error(*, n_bins: int = 15, norm: CalibrationNorm = "l1") -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.calibration_error`. State
    :class:`CalibrationState`: per-bin count, summed confidence and summed outcome, ``O(n_bins)``
    memory. The same object accepts ``(N,)`` (binary) and ``(N, C)`` (top-label) batches.

    Args:
        n_bins: the number of equal-width bins, an int ``>= 1``. Default 15.
        norm: ``"l1"`` (default, the ECE), ``"l2"`` (the RMS calibration error) or ``"max"``
            (the MCE).

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`CalibrationState`; ``compute`` gives a 0-d array in the state's floating dtype.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.calibration_error`.

    Example:
        >>> import numpy as np
        >>> m = calibration_error(n_bins=10)
        >>> s = m.update(m.init(np), np.array([0.95]), np.array([1]))
        >>> float(m.compute(m.update(s, np.array([1.0]), np.array([0]))))
        0.475
    """
    return _CalibrationError(*oneshot.calibration_options(n_bins, norm))


def brier_score(*, scale_by_half: bool | str = "auto") -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.brier_score` (``MeanState`` of the per-sample
    values; it takes ``sample_weight``).

    Args:
        scale_by_half: ``True``, ``False`` or ``"auto"`` (default: halve for two classes), as
            the one-shot metric.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        ``MeanState``; ``compute`` gives a 0-d array in the state's floating dtype.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.brier_score`.

    Example:
        >>> import numpy as np
        >>> m = brier_score()
        >>> s = m.update(m.init(np), np.array([0.9]), np.array([1]))
        >>> float(m.compute(m.update(s, np.array([0.2]), np.array([1]))))
        0.325
    """
    return _ProbsRowMean(
        oneshot.brier_rows, (("scale_by_half", oneshot.scale_option(scale_by_half)),)
    )
